// An in-memory NodeTransport: several nodes in one process share a hub (tests of node semantics), with faults on demand.

import {
  headerBytes,
  type KvBucket,
  KvConflictError,
  type KvEntry,
  type NodeTransport,
  NoRespondersError,
  type Stoppable,
  type TransportEvent,
  type TransportMessage,
} from './node-transport.js';

interface Sub {
  owner: MemoryTransport;
  onMessage: (m: TransportMessage) => void;
}

/**
 * A message bus, request/reply and key-value store in one process. Delivery
 * is asynchronous (a later turn of the event loop) and in publish order, like
 * one NATS server. Faults: `cut` (a partition: nothing passes), `dropNext`
 * (lost messages: a gap) and `kill` (a client gone, reported to the others as
 * the server's disconnect event).
 */
export class MemoryHub {
  readonly maxPayload: number;
  readonly #subs = new Map<string, Set<Sub>>();
  readonly #buckets = new Map<string, MemoryBucket>();
  readonly #clients = new Set<MemoryTransport>();
  readonly #cuts = new Set<string>();
  readonly #drops = new Map<string, number>();
  readonly #queue: Array<() => void> = [];
  #scheduled = false;

  constructor(opts: { maxPayload?: number } = {}) {
    this.maxPayload = opts.maxPayload ?? 1024 * 1024;
  }

  /** A new client; `name` is what the disconnect event reports. */
  connect(name = 'client'): MemoryTransport {
    const t = new MemoryTransport(this, name);
    this.#clients.add(t);
    return t;
  }

  /** Nothing passes between `a` and `b` (both ways) until `heal`. */
  cut(a: MemoryTransport, b: MemoryTransport): void {
    this.#cuts.add(pairKey(a, b));
  }

  heal(a: MemoryTransport, b: MemoryTransport): void {
    this.#cuts.delete(pairKey(a, b));
  }

  /** The next `n` messages from `from` to `to` are lost (as a slow consumer's would be). */
  dropNext(from: MemoryTransport, to: MemoryTransport, n = 1): void {
    this.#drops.set(`${from.id}>${to.id}`, n);
  }

  /** `t` is gone at once (like a SIGKILLed process); the others hear of it as from the server. */
  kill(t: MemoryTransport): void {
    this.#drop(t);
    for (const c of this.#clients) this.#later(() => c.emit({ type: 'peer-disconnect', name: t.name }));
  }

  /** @internal */
  bucket(name: string): MemoryBucket {
    let b = this.#buckets.get(name);
    if (b === undefined) {
      b = new MemoryBucket((fn) => this.#later(fn));
      this.#buckets.set(name, b);
    }
    return b;
  }

  /** @internal */
  publish(from: MemoryTransport, subject: string, data: Uint8Array, headers: ReadonlyMap<string, string> | undefined, reply?: (d: Uint8Array) => void): number {
    const subs = this.#subs.get(subject);
    if (subs === undefined || subs.size === 0) return 0;
    // Copied: the publisher may reuse its buffer.
    const copy = data.slice();
    let n = 0;
    for (const sub of subs) {
      if (!this.#passes(from, sub.owner)) continue;
      n++;
      const m: TransportMessage = { subject, data: copy, headers, respond: reply ?? (() => {}) };
      this.#later(() => {
        if (sub.owner.open) sub.onMessage(m);
      });
    }
    return n;
  }

  /** @internal */
  subscribe(subject: string, sub: Sub): Stoppable {
    let set = this.#subs.get(subject);
    if (set === undefined) this.#subs.set(subject, (set = new Set()));
    set.add(sub);
    return { stop: () => set!.delete(sub) };
  }

  /** @internal */
  hasSubscriber(subject: string): boolean {
    return (this.#subs.get(subject)?.size ?? 0) > 0;
  }

  /** @internal */
  close(t: MemoryTransport): void {
    this.#drop(t);
  }

  #drop(t: MemoryTransport): void {
    t.open = false;
    this.#clients.delete(t);
    for (const set of this.#subs.values()) for (const s of [...set]) if (s.owner === t) set.delete(s);
  }

  #passes(from: MemoryTransport, to: MemoryTransport): boolean {
    if (!from.open || !to.open) return false;
    if (from !== to && this.#cuts.has(pairKey(from, to))) return false;
    const k = `${from.id}>${to.id}`;
    const left = this.#drops.get(k);
    if (left !== undefined) {
      if (left <= 1) this.#drops.delete(k);
      else this.#drops.set(k, left - 1);
      return false;
    }
    return true;
  }

  #later(fn: () => void): void {
    this.#queue.push(fn);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const q = this.#queue.splice(0);
      for (const f of q) f();
    });
  }
}

let nextId = 0;
const pairKey = (a: MemoryTransport, b: MemoryTransport): string => (a.id < b.id ? `${a.id}|${b.id}` : `${b.id}|${a.id}`);

/** One client of a {@link MemoryHub}. */
export class MemoryTransport implements NodeTransport {
  readonly id = ++nextId;
  readonly name: string;
  open = true;
  readonly #hub: MemoryHub;
  readonly #listeners: Array<(e: TransportEvent) => void> = [];

  constructor(hub: MemoryHub, name: string) {
    this.#hub = hub;
    this.name = name;
  }

  get maxPayload(): number {
    return this.#hub.maxPayload;
  }

  publish(subject: string, data: Uint8Array, headers?: ReadonlyMap<string, string>): void {
    if (!this.open) return;
    // As a NATS client does: data and headers together.
    const bytes = data.length + headerBytes(headers);
    if (bytes > this.maxPayload) throw new Error(`payload of ${bytes} bytes is over the maximum of ${this.maxPayload}`);
    this.#hub.publish(this, subject, data, headers);
  }

  subscribe(subject: string, onMessage: (m: TransportMessage) => void): Stoppable {
    return this.#hub.subscribe(subject, { owner: this, onMessage });
  }

  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (!this.#hub.hasSubscriber(subject)) {
        setImmediate(() => reject(new NoRespondersError(subject)));
        return;
      }
      const timer = setTimeout(() => reject(new Error(`request on ${subject} timed out`)), timeoutMs);
      timer.unref();
      this.#hub.publish(this, subject, data, undefined, (d) => {
        clearTimeout(timer);
        resolve(d.slice());
      });
    });
  }

  kv(bucket: string): Promise<KvBucket> {
    return Promise.resolve(new ClientBucket(this, this.#hub.bucket(bucket)));
  }

  onEvent(listener: (e: TransportEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** @internal */
  emit(e: TransportEvent): void {
    if (this.open) for (const l of this.#listeners) l(e);
  }

  flush(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  close(): Promise<void> {
    this.#hub.close(this);
    return Promise.resolve();
  }
}

/**
 * One client's handle on a shared bucket: once the client is closed (or
 * killed) it neither reads, writes nor hears of changes, as a dead process
 * would not (a killed node must not rejoin, nor free names, behind a test's back).
 */
class ClientBucket implements KvBucket {
  readonly #t: MemoryTransport;
  readonly #b: MemoryBucket;

  constructor(t: MemoryTransport, b: MemoryBucket) {
    this.#t = t;
    this.#b = b;
  }

  #closed(): Promise<never> {
    return Promise.reject(new Error(`${this.#t.name}: the connection is closed`));
  }

  get(key: string): Promise<KvEntry | null> {
    return this.#t.open ? this.#b.get(key) : this.#closed();
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return this.#t.open ? this.#b.create(key, value) : this.#closed();
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    return this.#t.open ? this.#b.update(key, value, revision) : this.#closed();
  }

  delete(key: string, revision?: number): Promise<void> {
    return this.#t.open ? this.#b.delete(key, revision) : this.#closed();
  }

  list(prefix: string): Promise<KvEntry[]> {
    return this.#t.open ? this.#b.list(prefix) : this.#closed();
  }

  watch(prefix: string, onEntry: (e: KvEntry) => void): Promise<Stoppable> {
    if (!this.#t.open) return this.#closed();
    return this.#b.watch(prefix, (e) => {
      if (this.#t.open) onEntry(e);
    });
  }
}

/** A bucket: revisions per bucket, tombstones for deleted keys, watchers told in order. */
class MemoryBucket implements KvBucket {
  readonly #entries = new Map<string, KvEntry>();
  readonly #watchers = new Set<{ prefix: string; onEntry: (e: KvEntry) => void }>();
  readonly #later: (fn: () => void) => void;
  #revision = 0;

  constructor(later: (fn: () => void) => void) {
    this.#later = later;
  }

  get(key: string): Promise<KvEntry | null> {
    return Promise.resolve(this.#entries.get(key) ?? null);
  }

  create(key: string, value: Uint8Array): Promise<number> {
    const e = this.#entries.get(key);
    if (e !== undefined && e.value !== null) return Promise.reject(new KvConflictError(key));
    return Promise.resolve(this.#put(key, value.slice()));
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    const e = this.#entries.get(key);
    if (e === undefined || e.revision !== revision) return Promise.reject(new KvConflictError(key));
    return Promise.resolve(this.#put(key, value.slice()));
  }

  delete(key: string, revision?: number): Promise<void> {
    const e = this.#entries.get(key);
    if (revision !== undefined && (e === undefined || e.revision !== revision)) return Promise.reject(new KvConflictError(key));
    this.#put(key, null);
    return Promise.resolve();
  }

  list(prefix: string): Promise<KvEntry[]> {
    return Promise.resolve([...this.#entries.values()].filter((e) => e.key.startsWith(prefix) && e.value !== null));
  }

  watch(prefix: string, onEntry: (e: KvEntry) => void): Promise<Stoppable> {
    const w = { prefix, onEntry };
    const now = [...this.#entries.values()].filter((e) => e.key.startsWith(prefix) && e.value !== null);
    // The snapshot is queued first; changes from now on queue behind it (one FIFO).
    this.#later(() => {
      for (const e of now) if (this.#watchers.has(w)) onEntry(e);
    });
    this.#watchers.add(w);
    return Promise.resolve({ stop: () => this.#watchers.delete(w) });
  }

  #put(key: string, value: Uint8Array | null): number {
    const e: KvEntry = { key, value, revision: ++this.#revision };
    this.#entries.set(key, e);
    for (const w of this.#watchers) if (key.startsWith(w.prefix)) this.#later(() => w.onEntry(e));
    return e.revision;
  }
}
