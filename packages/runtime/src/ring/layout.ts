// Shared-memory layout: every slot of the rings and of the control block, named in one place.

/*
 * Ring: one SharedArrayBuffer per ordered pair of threads (producer -> consumer).
 *
 * Allocated on first use of its pair (see system/shared-memory.ts), so memory
 * grows with the pairs that talk, not with the square of the thread count.
 *
 *   byte 0        64           96          100   104   108   112   116        128              128 + capacity
 *   +-------------+------------+-----------+-----+-----+-----+-----+----------+--+--------------+
 *   | WRITE (i32) | READ (i32) | NEED_SPACE| ACK |TAKEN|EPOCH| GEN | ATTACHED |MID| data: frames |
 *   +-------------+------------+-----------+-----+-----+-----+-----+----------+--+--------------+
 *     producer's    consumer's   set by a    side channel of this pair            set by the
 *     cache line    cache line   blocked     (ARCHITECTURE.md, "Big payloads"):   consumer once
 *                                producer    ACK, TAKEN by the consumer,          it reads this
 *                                            EPOCH, GEN by the main thread        ring
 *
 * WRITE and READ are free-running 32-bit byte counters (they wrap at 2^32, which
 * the power-of-two capacity divides); position = counter & (capacity - 1).
 *
 * Frame: [u32 header][u32 tag, if SIDE_FLAG][u32 count, if COUNT_FLAG][payload, padded to a multiple of 4]
 *   header = payload length, with MORE_FLAG set when the payload continues
 *            in the next frame (messages larger than a quarter of the ring),
 *            SIDE_FLAG on the first frame of a message whose side items
 *            were posted on the pair's port (the tag is that port's generation),
 *            and COUNT_FLAG on the first frame of a message that continues:
 *            the count is how many sent messages the whole of it carries
 *   header = PAD   -> the rest of the data region is unused; go to its start
 *   header = RESET -> the producer restarted; drop any half-assembled message
 */

/** Int32 index of the producer's write counter. */
export const WRITE_INDEX = 0;
/** Int32 index of the consumer's read counter, on its own cache line. */
export const READ_INDEX = 16;
/** Int32 index of the flag a producer raises when the ring is too full for its next frame. */
export const NEED_SPACE_INDEX = 24;
/** Int32 index: the side-channel generation the consumer holds a port for (0: none). */
export const PORT_ACK_INDEX = 25;
/** PORT_ACK value: the consumer is gone for good (the system gave up on its shard): side items are dropped, frames tagged GONE_TAG. */
export const PORT_GONE = -1;
/** The tag of a frame whose side items went nowhere (its consumer is gone); read as lost. */
export const GONE_TAG = 0xffff_ffff;
/** The tag of a raw frame: bytes its consumer's transport hands to a handler as they are, not msgpack ops (span rows to the main thread). */
export const RAW_TAG = 0xffff_fffe;
/** Int32 index: KiB of side items the consumer has taken from the port of generation PORT_ACK (wraps; read as u32). */
export const SIDE_TAKEN_INDEX = 26;
/** Int32 index: bumped by the main thread when the consumer dies; a producer asks for a new channel once per epoch. */
export const EPOCH_INDEX = 27;
/** Int32 index: the last side-channel generation the main thread made for this pair. */
export const PORT_GEN_INDEX = 28;
/** Int32 index: 1 once the consumer holds this ring (its producer holds other output back until then). */
export const ATTACHED_INDEX = 29;
/**
 * Int32 index: non-zero while the consumer has freed the first frames of a
 * message that continues (MORE_FLAG) and not yet its last: 1 + the sent
 * messages it carries (its first frame's count). A reader that starts on
 * the ring (a restarted consumer, the main thread draining a dead one's)
 * finds it set and skips to the end of that message: its first bytes went
 * with the reader that freed them. When that end comes, the reader reports
 * the count lost: until the producer has published it, the producer counts
 * them as unsent (a producer that dies first reports them, and its
 * successor's RESET ends the skip without a count).
 */
export const MID_MESSAGE_INDEX = 30;
/** Int32 slots of the ring header. */
export const RING_HEADER_I32 = 32;
/** Bytes before the data region. */
export const RING_HEADER_BYTES = 128;
/** Header bit: this frame's payload continues in the next frame. */
export const MORE_FLAG = 0x8000_0000;
/** Header bit: a u32 tag (the side-channel generation) precedes the payload. */
export const SIDE_FLAG = 0x4000_0000;
/** Header bit: a u32 count (the sent messages of the whole message, which continues) precedes the payload, after the tag. */
export const COUNT_FLAG = 0x2000_0000;
/** Header value: skip to the start of the data region. */
export const PAD = 0xffff_ffff;
/** Header value: the producer (re)started; discard partial reassembly. */
export const RESET = 0xffff_fffe;
/** Largest payload chunk per frame, as a fraction of capacity. */
export const MAX_CHUNK_DIVISOR = 4;
