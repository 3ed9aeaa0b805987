// Global names: one key per name in the cluster's bucket (atomic create), a local cache kept current by a watch.

import { Pid } from '../actor/pid.js';
import type { Proc } from '../actor/proc.js';
import { InvalidArgumentError, NameTakenError, NoProcError, NodeNameTakenError } from '../errors.js';
import type { ThreadRuntime } from '../shard/thread-runtime.js';
import { describe } from '../validate.js';
import { downWatcher } from './down-watcher.js';
import { type KvBucket, type Stoppable, isKvConflict } from './node-transport.js';

interface Entry {
  pid: Pid;
  revision: number;
}

const text = new TextEncoder();
const untext = new TextDecoder();
const PREFIX = 'g.';
/** A global name a process of ours holds: the store's revision of our write (-1 while it is being written). */
interface Held {
  name: string;
  pid: Pid;
  revision: number;
}

/** How long a name whose holder exited waits before the store is asked again, when freeing it failed. */
const FREE_RETRY_MS = 1000;
/** Keys allow [-/_=.a-zA-Z0-9]: a name is stored base64url-encoded, so any string can be a name. */
const keyOf = (name: string): string => PREFIX + Buffer.from(name, 'utf8').toString('base64url');
const nameOf = (key: string): string => Buffer.from(key.slice(PREFIX.length), 'base64url').toString('utf8');

export class GlobalNames {
  readonly #kv: KvBucket;
  readonly #rt: ThreadRuntime;
  readonly #node: number;
  readonly #cache = new Map<string, Entry>();
  /** A main-thread process that monitors the holders of our names: their DOWN frees the name. */
  #watcher: Proc | null = null;
  /** The names our processes hold, by the ref of the monitor on their holder. */
  readonly #byRef = new Map<number, Held>();
  #watch: Stoppable | null = null;
  /** Set by stop: frees that failed are not tried again. */
  #stopped = false;

  /** Is node `id` down to us (a connection lost, not yet back)? Its names are nobody's meanwhile (see whereis). */
  readonly #down: (id: number) => boolean;

  constructor(kv: KvBucket, rt: ThreadRuntime, down: (id: number) => boolean = () => false) {
    this.#kv = kv;
    this.#rt = rt;
    this.#node = rt.state.node;
    this.#down = down;
  }

  async start(): Promise<void> {
    this.#watch = await this.#kv.watch(PREFIX, (e) => {
      const name = nameOf(e.key);
      if (e.value === null) {
        this.#cache.delete(name);
        return;
      }
      const holder = Pid.parse(untext.decode(e.value));
      this.#cache.set(name, { pid: holder, revision: e.revision });
      // Another node took a name of ours while we were down to it (see #write): ours no longer holds it.
      if (holder.node !== this.#node && this.#byRef.size > 0) {
        // (Only past our own write: a name still being written is not ours yet, and an older entry says nothing.)
        for (const [ref, held] of this.#byRef) if (held.name === name && held.revision >= 0 && e.revision > held.revision) this.#lost(ref, held, holder);
      }
    });
    this.#watcher = downWatcher(this.#rt, (m) => {
      const held = this.#byRef.get(m.ref);
      if (held === undefined) return;
      this.#byRef.delete(m.ref);
      this.#freeSoon(held.name, m.pid);
    });
  }

  /**
   * Frees `name` from `pid`, which exited, apart from the loop that reads the
   * DOWNs: a store that fails to answer (a NATS blip) must not end that loop
   * (every later exit would keep its name). Tried again every FREE_RETRY_MS
   * until it answers or we stop.
   */
  #freeSoon(name: string, pid: Pid): void {
    this.#free(name, pid).catch(() => {
      if (!this.#stopped) setTimeout(() => this.#freeSoon(name, pid), FREE_RETRY_MS).unref();
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
    if (this.#watcher !== null) this.#rt.exitProc(this.#watcher, 'normal');
  }

  /** Registers `pid` (a process of this node) under `name`, cluster-wide. */
  /**
   * This node is out of the cluster (another took its name, NodeService#outOfCluster): names it took now
   * would resolve everywhere to a node nobody connects to, and nobody would free them. Refused from here on.
   */
  refuseAsOusted(name: string, cluster: string): void {
    this.#ousted = { name, cluster };
  }

  #ousted: { name: string; cluster: string } | null = null;

  async register(name: string, pid: unknown): Promise<void> {
    if (this.#ousted !== null) throw new NodeNameTakenError(this.#ousted.name, this.#ousted.cluster);
    if (!(pid instanceof Pid)) throw new InvalidArgumentError(`registerGlobal needs a Pid, got ${describe(pid)}`);
    if (pid.node !== this.#node) throw new InvalidArgumentError(`registerGlobal needs a process of this node, got ${pid}: register it from its own node`);
    const rt = this.#rt;
    const r = rt.router.route(pid);
    if (r < 0) throw new NoProcError(pid.toString());
    // Watched first: if it dies before the name is written, the DOWN frees the name right after.
    const ref = rt.monitor(this.#watcher!, pid);
    const held: Held = { name, pid, revision: -1 };
    this.#byRef.set(ref, held);
    let revision: number;
    try {
      revision = await this.#write(name, pid);
    } catch (err) {
      this.#byRef.delete(ref);
      rt.demonitor(this.#watcher!, ref);
      if (!isKvConflict(err)) throw err;
      const holder = await this.whereis(name);
      throw new NameTakenError(name, holder?.toString() ?? 'another process');
    }
    if (!this.#byRef.has(ref)) {
      // It exited while the name was being written: its DOWN found nothing to free then, so the name goes now.
      this.#freeSoon(name, pid);
      return;
    }
    held.revision = revision;
    this.#cache.set(name, { pid, revision });
  }

  /**
   * Writes `name` for `pid` if it is free, or held on a node that is down
   * to us (free as whereis sees it: OTP's `global` dropped that node's names
   * at its nodedown, and registers them again on either side of a
   * partition). Taken at the revision read: a survivor's free made at it
   * then finds a conflict, and the holder's node, back, hears it lost (see
   * the watch). Rejects with a conflict when a live process holds it.
   */
  async #write(name: string, pid: Pid): Promise<number> {
    const key = keyOf(name);
    const value = text.encode(pid.toString());
    // A few rounds: a name freed, or taken, between our reads is read again.
    for (let round = 0; ; round++) {
      try {
        return await this.#kv.create(key, value);
      } catch (err) {
        if (!isKvConflict(err) || round === 4) throw err;
        const e = await this.#kv.get(key);
        if (e === null || e.value === null) continue;
        if (!this.#down(Pid.parse(untext.decode(e.value)).node)) throw err;
        try {
          return await this.#kv.update(key, value, e.revision);
        } catch (err2) {
          if (!isKvConflict(err2)) throw err2;
        }
      }
    }
  }

  /** Frees `name` (whichever node holds it). False if nobody did. */
  async unregister(name: string): Promise<boolean> {
    if (typeof name !== 'string') throw new InvalidArgumentError(`unregisterGlobal needs a name, got ${describe(name)}`);
    const e = await this.#kv.get(keyOf(name));
    if (e === null || e.value === null) return false;
    try {
      await this.#kv.delete(keyOf(name), e.revision);
    } catch (err) {
      if (isKvConflict(err)) return false;
      throw err;
    }
    this.#cache.delete(name);
    for (const [ref, held] of this.#byRef) {
      if (held.name !== name) continue;
      this.#byRef.delete(ref);
      this.#rt.demonitor(this.#watcher!, ref);
    }
    return true;
  }

  /**
   * The holder of `name`: from the cache (a watch keeps it current), else
   * from the bucket. None while the holder's node is down to us, as OTP's
   * `global` drops a node's names at its nodedown: the survivors free them
   * in the bucket only once they have found the node dead (a ping, then the
   * deletes), and a send meanwhile would be a noconnection dead letter.
   */
  async whereis(name: string): Promise<Pid | undefined> {
    if (typeof name !== 'string') throw new InvalidArgumentError(`whereisGlobal needs a name, got ${describe(name)}`);
    const hit = this.#cache.get(name);
    if (hit !== undefined) return this.#down(hit.pid.node) ? undefined : hit.pid;
    const e = await this.#kv.get(keyOf(name));
    if (e === null || e.value === null) return undefined;
    const pid = Pid.parse(untext.decode(e.value));
    this.#cache.set(name, { pid, revision: e.revision });
    return this.#down(pid.node) ? undefined : pid;
  }

  /**
   * Node `id` is gone: its names are freed (each survivor tries; a name taken
   * again since is left alone). A survivor's cache has them; `fromStore` reads
   * the bucket instead, for a node that has just started under the dead one's
   * name: its watch may not have delivered its first entries yet (a cache
   * still empty would free nothing, and when the whole cluster restarted
   * nobody else would).
   */
  async purgeNode(id: number, fromStore = false): Promise<void> {
    const doomed: Array<[string, Entry]> = fromStore
      ? (await this.#kv.list(PREFIX)).map((e) => [nameOf(e.key), { pid: Pid.parse(untext.decode(e.value!)), revision: e.revision }])
      : [...this.#cache];
    const theirs = doomed.filter(([, e]) => e.pid.node === id);
    await Promise.all(
      theirs.map(async ([name, e]) => {
        await this.#free(name, e.pid, e.revision);
        // Gone now for whereis here too, before the watch reports the delete.
        if (this.#cache.get(name)?.revision === e.revision) this.#cache.delete(name);
      }),
    );
  }

  /**
   * purgeNode apart from its caller: a store that fails to answer (a NATS
   * blip) is asked again every FREE_RETRY_MS until it does, we stop, or
   * `gone` says the node is back, as for a name whose holder exited (a dead
   * node's names must not stay taken; a live one's must not be freed).
   */
  purgeSoon(id: number, fromStore = false, gone: () => boolean = () => true): void {
    // Each try only while the node is still gone: one that came back (a partition healed) holds its names again.
    if (this.#stopped || !gone()) return;
    this.purgeNode(id, fromStore).catch(() => {
      setTimeout(() => this.purgeSoon(id, fromStore, gone), FREE_RETRY_MS).unref();
    });
  }

  /**
   * We are back in the cluster after it found us dead (NodeService#rejoin):
   * every name a live process of ours still holds is written again where the
   * survivors freed it, as OTP's `global` syncs its tables when a node comes
   * back. A name that is still ours gets a new revision, so that a survivor's
   * free still on its way (made at the old one) finds a conflict and leaves
   * it. A name another process took meanwhile stays with that process: ours
   * no longer holds it, and a process warning (JOERL_GLOBAL_NAME_LOST) says
   * so. A store that fails to answer is asked again every FREE_RETRY_MS.
   */
  reclaim(): void {
    for (const [ref, held] of this.#byRef) this.#reclaimSoon(ref, held.name, held.pid);
  }

  #reclaimSoon(ref: number, name: string, pid: Pid): void {
    this.#reclaim(ref, name, pid).catch(() => {
      if (!this.#stopped) setTimeout(() => this.#reclaimSoon(ref, name, pid), FREE_RETRY_MS).unref();
    });
  }

  async #reclaim(ref: number, name: string, pid: Pid): Promise<void> {
    const key = keyOf(name);
    const value = text.encode(pid.toString());
    // A few rounds: each write that lost a race (a survivor's free, another node's register) reads again.
    for (let round = 0; round < 8; round++) {
      // Its holder exited, or the name was unregistered, meanwhile: nothing to take back.
      const held = this.#byRef.get(ref);
      if (this.#stopped || held?.pid !== pid) return;
      const e = await this.#kv.get(key);
      try {
        if (e === null || e.value === null) {
          this.#cache.set(name, { pid, revision: (held.revision = await this.#kv.create(key, value)) });
          this.#heldStill(ref, name, pid);
          return;
        }
        const holder = Pid.parse(untext.decode(e.value));
        if (!holder.equals(pid)) {
          this.#lost(ref, held, holder);
          return;
        }
        this.#cache.set(name, { pid, revision: (held.revision = await this.#kv.update(key, value, e.revision)) });
        this.#heldStill(ref, name, pid);
        return;
      } catch (err) {
        if (!isKvConflict(err)) throw err;
      }
    }
    throw new Error(`global name ${name}: the store kept changing under us`);
  }

  /** After a write of `name` for `pid`: its holder exited (or the name was unregistered) during it, and its free may have missed the write; it goes now (as in register). */
  #heldStill(ref: number, name: string, pid: Pid): void {
    if (this.#byRef.get(ref)?.pid !== pid) this.#freeSoon(name, pid);
  }

  /**
   * `name`, which our `pid` held, went to `holder` while we were cut off: freed by the survivors, or held
   * on a node that saw ours down, and taken (seen by the watch, or as we rejoin). Ours lets it go, and says so.
   */
  #lost(ref: number, held: Held, holder: Pid): void {
    // (Once: the watch and a rejoin's reclaim may both find it.)
    if (this.#byRef.get(ref) !== held) return;
    this.#byRef.delete(ref);
    this.#rt.demonitor(this.#watcher!, ref);
    const { name, pid } = held;
    process.emitWarning(
      `global name ${JSON.stringify(name)} of ${pid} was taken by ${holder} while this node was cut off from the cluster: ${pid} no longer holds it (it runs on)`,
      { code: 'JOERL_GLOBAL_NAME_LOST' },
    );
  }

  /** Every global name known here with its holder. */
  entries(): Array<[string, Pid]> {
    return [...this.#cache].map(([n, e]) => [n, e.pid]);
  }

  async #free(name: string, pid: Pid, revision?: number): Promise<void> {
    let rev = revision;
    if (rev === undefined) {
      const e = await this.#kv.get(keyOf(name));
      if (e === null || e.value === null || !Pid.parse(untext.decode(e.value)).equals(pid)) return;
      rev = e.revision;
    }
    try {
      await this.#kv.delete(keyOf(name), rev);
    } catch (err) {
      if (!isKvConflict(err)) throw err;
    }
  }
}
