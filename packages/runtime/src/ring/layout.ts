// Shared-memory layout: every slot of the rings and of the control block, named in one place.

/*
 * Ring: one SharedArrayBuffer per ordered pair of threads (producer -> consumer).
 *
 *   byte 0         64            96            128                         128 + capacity
 *   +--------------+-------------+-------------+----------------------------+
 *   | WRITE (i32)  | READ (i32)  | NEED_SPACE  | data: frame frame frame ... |
 *   +--------------+-------------+-------------+----------------------------+
 *     producer's     consumer's    set by a      capacity is a power of two
 *     cache line     cache line    blocked producer
 *
 * WRITE and READ are free-running u32 byte counters (they wrap at 2^32, which
 * the power-of-two capacity divides); position = counter & (capacity - 1).
 *
 * Frame: [u32 header][payload, padded to a multiple of 4]
 *   header = payload length, with MORE_FLAG set when the payload continues
 *            in the next frame (messages larger than a quarter of the ring)
 *   header = PAD   -> the rest of the data region is unused; go to its start
 *   header = RESET -> the producer restarted; drop any half-assembled message
 */

/** Int32 index of the producer's write counter. */
export const WRITE_INDEX = 0;
/** Int32 index of the consumer's read counter, on its own cache line. */
export const READ_INDEX = 16;
/** Int32 index of the flag a producer raises when the ring is too full for its next frame. */
export const NEED_SPACE_INDEX = 24;
/** Bytes before the data region. */
export const RING_HEADER_BYTES = 128;
/** Header bit: this frame's payload continues in the next frame. */
export const MORE_FLAG = 0x8000_0000;
/** Header value: skip to the start of the data region. */
export const PAD = 0xffff_ffff;
/** Header value: the producer (re)started; discard partial reassembly. */
export const RESET = 0xffff_fffe;
/** Largest payload chunk per frame, as a fraction of capacity. */
export const MAX_CHUNK_DIVISOR = 4;
