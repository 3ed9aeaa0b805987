// Which shards have not read a node-down yet: their remote ops for that node until they do were for the connection that is over.

/**
 * When a connection is lost the main thread sends every shard an
 * OP_NODE_DOWN, and each answers OP_NODE_DOWN_SEEN once it has read it,
 * behind every remote op it sent before (one ring, in order). A shard's op
 * for that node that arrives in between was sent while the shard still
 * took the old connection for live: a link or a monitor it set up then is
 * ended by the node-down it has yet to read, and must not reach the other
 * node over the next connection (a link held on that side only, a monitor
 * on a process that no longer watches it). Such ops are answered as for a
 * node that is not connected. Ops from the main thread itself never wait in
 * a ring, so they are never stale.
 */
export class UnreadDowns {
  /** Per node id: per thread, the node-downs sent and not yet read (absent: none anywhere). */
  readonly #unread = new Map<number, Int32Array>();
  readonly #threads: number;

  constructor(threads: number) {
    this.#threads = threads;
  }

  /** A node-down of `node` was sent to every shard. */
  sent(node: number): void {
    let c = this.#unread.get(node);
    if (c === undefined) this.#unread.set(node, (c = new Int32Array(this.#threads)));
    for (let t = 1; t < this.#threads; t++) c[t]!++;
  }

  /** Shard `thread` has read a node-down of `node`. */
  seen(thread: number, node: number): void {
    const c = this.#unread.get(node);
    if (c === undefined || c[thread] === 0) return;
    c[thread]!--;
    this.#dropIfRead(node, c);
  }

  /** True when `thread` sent its op for `node` before reading a node-down of it. */
  stale(thread: number, node: number): boolean {
    // (Every remote op from a shard asks: none unread, the common case, is one compare.)
    if (this.#unread.size === 0) return false;
    const c = this.#unread.get(node);
    return c !== undefined && c[thread]! > 0;
  }

  /** Shard `thread` died: it reads nothing more (what it published is in), and its next life has no links or monitors yet. */
  threadDied(thread: number): void {
    // (Deleting the entry being visited is safe in a Map's iteration.)
    for (const [node, c] of this.#unread) {
      c[thread] = 0;
      this.#dropIfRead(node, c);
    }
  }

  /** Forgets `node` once every shard has read its node-downs (`stale` is then one compare again). */
  #dropIfRead(node: number, c: Int32Array): void {
    if (c.every((n) => n === 0)) this.#unread.delete(node);
  }
}
