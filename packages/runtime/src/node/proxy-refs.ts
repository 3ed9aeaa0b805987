// Monitor refs of other nodes, mapped to refs minted here: a process's `monitoredBy` never mixes two nodes' refs.

/**
 * A ref is unique on the node that minted it only. A monitor from another
 * node is recorded under a local ref (minted by the main thread); the DOWN
 * that comes back is translated to the watcher's own ref on its way out.
 */
export class ProxyRefs {
  /** node -> (their ref -> our ref) */
  readonly #byRemote = new Map<number, Map<number, number>>();
  /** our ref -> [node, their ref, the thread of ours the monitored process lives on (-1: not known yet)] */
  readonly #byLocal = new Map<number, [number, number, number]>();
  readonly #mint: () => number;

  constructor(mint: () => number) {
    this.#mint = mint;
  }

  /** Our ref for `node`'s monitor `ref` on a process of our thread `thread` (minted on first sight; -1: placed later, see `placed`). */
  inbound(node: number, ref: number, thread: number): number {
    let m = this.#byRemote.get(node);
    if (m === undefined) this.#byRemote.set(node, (m = new Map()));
    let local = m.get(ref);
    if (local === undefined) {
      local = this.#mint();
      m.set(ref, local);
      this.#byLocal.set(local, [node, ref, thread]);
    }
    return local;
  }

  /** The process monitored under our ref `local` (a spawn's, minted before it had a thread) lives on our thread `thread`. */
  placed(local: number, thread: number): void {
    const e = this.#byLocal.get(local);
    if (e !== undefined) e[2] = thread;
  }

  /**
   * Our thread `thread` died: no DOWN will come from its processes to
   * translate their monitors' refs and end them (the watchers fire theirs
   * on W_SHARD_DOWN and send no demonitor), so they end here.
   */
  dropTarget(thread: number): void {
    for (const [local, e] of this.#byLocal) {
      if (e[2] !== thread) continue;
      this.#byLocal.delete(local);
      this.#byRemote.get(e[0])?.delete(e[1]);
    }
  }

  /** Our ref for `node`'s monitor `ref`, forgotten (its demonitor). */
  take(node: number, ref: number): number | undefined {
    const m = this.#byRemote.get(node);
    const local = m?.get(ref);
    if (local === undefined) return undefined;
    m!.delete(ref);
    this.#byLocal.delete(local);
    return local;
  }

  /** The watcher's own ref for a DOWN we send with `local`, forgotten (a monitor fires once). */
  outbound(local: number): number | undefined {
    const e = this.#byLocal.get(local);
    if (e === undefined) return undefined;
    this.#byLocal.delete(local);
    this.#byRemote.get(e[0])?.delete(e[1]);
    return e[1];
  }

  /**
   * Thread `thread` of `node` died (W_SHARD_DOWN): the monitors its processes held are forgotten (their
   * entries on our processes went with them, Remote.onShardDown). A ref names the thread that minted it
   * (ref % 4096), the watcher's own; the thread's next life's monitors come after the death's word.
   */
  dropThread(node: number, thread: number): void {
    const m = this.#byRemote.get(node);
    if (m === undefined) return;
    for (const [theirs, local] of m) {
      if (theirs % 4096 !== thread) continue;
      m.delete(theirs);
      this.#byLocal.delete(local);
    }
  }

  /** `node` is gone: its monitors are forgotten with it. */
  dropNode(node: number): void {
    const m = this.#byRemote.get(node);
    if (m === undefined) return;
    for (const local of m.values()) this.#byLocal.delete(local);
    this.#byRemote.delete(node);
  }

  /** Monitors from other nodes held now (tests, introspection). */
  get size(): number {
    return this.#byLocal.size;
  }
}
