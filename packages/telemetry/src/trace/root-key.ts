// A thread's root key: the trace ids of the traces a thread starts, derived from their numbers (see below).

/*
 * A thread numbers the traces it starts (1, 2, ...) and derives each trace
 * id from its number and the thread's random 128-bit root key. A traced
 * envelope that starts a trace (OP_SEND_TR) then carries the number, not
 * the id's four random words (each a msgpack integer of five bytes, to pack
 * on the sending shard and unpack on the receiving one: ~15 ns a word a
 * side, measured); the key goes ahead of such envelopes once per batch of
 * ops to a thread (OP_TRACE_KEY), and the receiver derives the same words.
 * Within a key the first word alone is a bijection of the number (no two
 * traces of a thread alike); across threads and processes the keys differ.
 * After ROOTS_PER_KEY traces the thread draws a new key (rootKeyGen counts
 * them). The words are well mixed (murmur3's finalizer) but not a secret
 * from whoever sees the key.
 */
const ROOTS_PER_KEY = 0x3fff_ffff;
const ROOT_KEY = new Int32Array(4);
let rootSeq = ROOTS_PER_KEY;
let rootGen = 0;

/** The thread's current root key (four words; see above). Only read: it changes with rootKeyGen. */
export function rootKey(): Int32Array {
  return ROOT_KEY;
}

/** Counts the thread's root keys: a new one must be announced again wherever the old one was. */
export function rootKeyGen(): number {
  return rootGen;
}

/** The words of trace `n` under key k0..k3 into `out` (see above): each word mixes the one before with a word of the key. */
export function keyedTrace(out: { t0: number; t1: number; t2: number; t3: number }, k0: number, k1: number, k2: number, k3: number, n: number): void {
  const t0 = mix32(n ^ k0);
  const t1 = mix32(t0 ^ k1);
  const t2 = mix32(t1 ^ k2);
  out.t0 = t0;
  out.t1 = t1;
  out.t2 = t2;
  out.t3 = mix32(t2 ^ k3) || 1;
}

/** The next trace of this thread: its words into `out`, its number returned (a new key first when the last one is used up). */
export function nextRoot(out: { t0: number; t1: number; t2: number; t3: number }): number {
  if (rootSeq >= ROOTS_PER_KEY) {
    crypto.getRandomValues(ROOT_KEY);
    rootSeq = 0;
    rootGen++;
  }
  const n = ++rootSeq;
  const k = ROOT_KEY;
  keyedTrace(out, k[0]!, k[1]!, k[2]!, k[3]!, n);
  return n;
}

/** murmur3's 32-bit finalizer: a bijection of int32 whose every output bit depends on every input bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}
