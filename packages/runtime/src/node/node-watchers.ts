// monitorNode watchers, by node name: each watcher monitored while it waits, so one that exits first is forgotten.

import { type Pid, pidKey } from '../actor/pid.js';
import type { Proc } from '../actor/proc.js';
import type { ThreadRuntime } from '../shard/thread-runtime.js';
import { downWatcher } from './down-watcher.js';

interface Watcher {
  pid: Pid;
  /** Our monitor of it. */
  ref: number;
  /** The nodes it waits on, each with how many times it asked (one nodedown each, as OTP's monitor_node). */
  nodes: Map<string, number>;
}

/**
 * Who waits for `{ type: 'nodedown' }` of which node. A process that calls
 * monitorNode and exits before that node goes down is dropped at its exit:
 * short-lived callers would otherwise pile up for the node's lifetime, and
 * each would be a dead letter when it finally went.
 */
export class NodeWatchers {
  readonly #rt: ThreadRuntime;
  readonly #byPid = new Map<number | string, Watcher>();
  readonly #byNode = new Map<string, Set<Watcher>>();
  readonly #byRef = new Map<number, Watcher>();
  /** A main-thread process that monitors the watchers (its DOWNs say who exited). */
  #self: Proc | null = null;

  constructor(rt: ThreadRuntime) {
    this.#rt = rt;
  }

  start(): void {
    this.#self = downWatcher(this.#rt, (m) => {
      const w = this.#byRef.get(m.ref);
      if (w !== undefined) this.#forget(w);
    });
  }

  stop(): void {
    if (this.#self !== null) this.#rt.exitProc(this.#self, 'normal');
  }

  /** `pid` waits for node `name` to go down: one nodedown for each time it asks, as OTP's monitor_node. */
  add(name: string, pid: Pid): void {
    const key = pidKey(pid);
    let w = this.#byPid.get(key);
    if (w === undefined) {
      w = { pid, ref: this.#rt.monitor(this.#self!, pid), nodes: new Map() };
      this.#byPid.set(key, w);
      this.#byRef.set(w.ref, w);
    }
    w.nodes.set(name, (w.nodes.get(name) ?? 0) + 1);
    let set = this.#byNode.get(name);
    if (set === undefined) this.#byNode.set(name, (set = new Set()));
    set.add(w);
  }

  /** `pid` takes back one of its watches of node `name` (OTP's monitor_node(Node, false) takes back one). */
  remove(name: string, pid: Pid): void {
    const w = this.#byPid.get(pidKey(pid));
    const n = w?.nodes.get(name);
    if (w === undefined || n === undefined) return;
    if (n > 1) {
      w.nodes.set(name, n - 1);
      return;
    }
    w.nodes.delete(name);
    const set = this.#byNode.get(name)!;
    set.delete(w);
    if (set.size === 0) this.#byNode.delete(name);
    if (w.nodes.size === 0) this.#forget(w);
  }

  /** Node `name` went down: each of its watchers is told, once for each watch it holds. */
  fire(name: string): void {
    const set = this.#byNode.get(name);
    if (set === undefined) return;
    this.#byNode.delete(name);
    for (const w of set) {
      for (let i = w.nodes.get(name) ?? 0; i > 0; i--) this.#rt.delivery.sendQuiet(w.pid, { type: 'nodedown', node: name });
      w.nodes.delete(name);
      if (w.nodes.size === 0) this.#forget(w);
    }
  }

  /** Watchers held now (tests). */
  get size(): number {
    return this.#byPid.size;
  }

  #forget(w: Watcher): void {
    this.#byPid.delete(pidKey(w.pid));
    this.#byRef.delete(w.ref);
    this.#rt.demonitor(this.#self!, w.ref);
    for (const n of w.nodes.keys()) {
      const set = this.#byNode.get(n);
      set?.delete(w);
      if (set?.size === 0) this.#byNode.delete(n);
    }
    w.nodes.clear();
  }
}
