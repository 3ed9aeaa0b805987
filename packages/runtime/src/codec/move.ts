// move(): marks a buffer to be handed over (transferred, not copied) by the next send that carries it.

import { NotMovableError } from '../errors.js';
import { isDetached } from './binary-kinds.js';

/**
 * The marks live on `globalThis` under a registered symbol: an actor module
 * loaded through tsx gets its own copy of this package, and its `move()`
 * must mark buffers the runtime's copy sees.
 */
interface Marks {
  /** Buffers marked and not yet sent. Weak: a marked buffer that is dropped unsent is simply collected. */
  readonly set: WeakSet<ArrayBuffer>;
  /** How many marked buffers are alive and unsent (sends in-shard look for marks only while this is above 0). */
  pending: number;
  /** Counts a marked buffer down when it is collected unsent. */
  readonly gone: FinalizationRegistry<number>;
}

const KEY = Symbol.for('joerl.moves');
const g = globalThis as unknown as Record<symbol, Marks | undefined>;
const marks: Marks = (g[KEY] ??= (() => {
  const m: Marks = {
    set: new WeakSet(),
    pending: 0,
    gone: new FinalizationRegistry<number>(() => {
      m.pending--;
    }),
  };
  return m;
})());

/**
 * Marks `value` to be moved: the next send that carries it hands its memory
 * to the receiver without a copy, and detaches it here, as `postMessage`
 * does with a transfer list. Returns `value`, so it can wrap a field in place:
 *
 * ```ts
 * ctx.send(worker, { kind: 'frame', pixels: move(pixels) });
 * pixels.length; // 0: the memory now belongs to the receiver
 * ```
 *
 * Moves work the same wherever the receiver lives (in-shard too). Throws
 * `ERR_NOT_MOVABLE` for a SharedArrayBuffer or a view over one (it is
 * already shared: send it as it is), a detached buffer, and a view that
 * spans only part of its buffer (a pooled `Buffer`, a `subarray`): moving it
 * would take the rest of the buffer along.
 */
export function move<T extends ArrayBuffer | ArrayBufferView>(value: T): T {
  let buf: ArrayBuffer;
  if (ArrayBuffer.isView(value)) {
    const b = value.buffer;
    if (b instanceof SharedArrayBuffer) throw new NotMovableError('a view over a SharedArrayBuffer', 'shared memory is already shared; send it as it is (it arrives as the same memory)');
    if (isDetached(b)) throw new NotMovableError('a view over a detached buffer', 'its memory was already moved or transferred');
    if (value.byteOffset !== 0 || value.byteLength !== b.byteLength) {
      throw new NotMovableError(
        `a view of ${value.byteLength} bytes at offset ${value.byteOffset} into a buffer of ${b.byteLength} (a pooled Buffer or a subarray?)`,
        'moving it would take the whole buffer along; send it without move() (it is copied), or move a view that spans its own buffer',
      );
    }
    buf = b;
  } else if (value instanceof ArrayBuffer) {
    if (isDetached(value)) throw new NotMovableError('a detached ArrayBuffer', 'its memory was already moved or transferred');
    buf = value;
  } else if (value instanceof SharedArrayBuffer) {
    throw new NotMovableError('a SharedArrayBuffer', 'shared memory is already shared; send it as it is (it arrives as the same memory)');
  } else {
    throw new NotMovableError(typeof value === 'object' ? 'an object that is not a buffer' : `a ${typeof value}`, 'move() takes an ArrayBuffer, a typed array or a DataView');
  }
  if (!marks.set.has(buf)) {
    marks.set.add(buf);
    marks.pending++;
    marks.gone.register(buf, 0, buf);
  }
  return value;
}

/** True while some marked buffer is alive and unsent. */
export function movesPending(): boolean {
  return marks.pending > 0;
}

/** True if `buf` was marked by {@link move} and not yet sent. */
export function isMarked(buf: ArrayBuffer): boolean {
  return marks.pending > 0 && marks.set.has(buf);
}

/** Detaches a marked buffer into a new one (no copy) and clears the mark: the send that carries it is under way. */
export function takeMarked(buf: ArrayBuffer): ArrayBuffer {
  let moved: ArrayBuffer;
  try {
    moved = structuredClone(buf, { transfer: [buf] });
  } catch (err) {
    throw new NotMovableError('this buffer', `the platform refused to transfer it (${(err as Error).message}); send it without move()`);
  }
  marks.set.delete(buf);
  marks.gone.unregister(buf);
  marks.pending--;
  return moved;
}
