// The NATS transport: @nats-io/transport-node and @nats-io/kv, loaded only when a node starts (optional peer dependencies).

import { readFile } from 'node:fs/promises';
import { InvalidOptionError, NodeConnectError } from '../errors.js';
import type { ResolvedNodeOptions } from './node-options.js';
import {
  type KvBucket,
  KvConflictError,
  type KvEntry,
  type NodeTransport,
  NoRespondersError,
  type Stoppable,
  type TransportEvent,
  type TransportMessage,
} from './node-transport.js';

/** Keys a bucket listing reads at once (see list). */
const LIST_BATCH = 64;

// The few shapes of the client we use, declared here so the runtime compiles without the client installed.
interface NatsMsg {
  subject: string;
  data: Uint8Array;
  headers?: { get(k: string): string; keys(): string[] };
  respond(data?: Uint8Array): boolean;
}
interface NatsConnection {
  info?: { max_payload: number };
  publish(subject: string, data: Uint8Array, opts?: { headers?: unknown }): void;
  subscribe(subject: string, opts: { callback: (err: Error | null, m: NatsMsg) => void }): { unsubscribe(): void };
  request(subject: string, data: Uint8Array, opts: { timeout: number }): Promise<NatsMsg>;
  status(): AsyncIterable<{ type: string }>;
  flush(): Promise<void>;
  close(): Promise<void>;
  closed(): Promise<void | Error>;
}
interface NatsKvEntry {
  key: string;
  value: Uint8Array;
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
}
interface NatsKv {
  get(k: string): Promise<NatsKvEntry | null>;
  create(k: string, v: Uint8Array): Promise<number>;
  update(k: string, v: Uint8Array, version: number): Promise<number>;
  delete(k: string, opts?: { previousSeq: number }): Promise<void>;
  keys(filter?: string): Promise<AsyncIterable<string>>;
  watch(opts: { key: string }): Promise<AsyncIterable<NatsKvEntry> & { stop(): void }>;
}
interface NatsModule {
  connect(opts: Record<string, unknown>): Promise<NatsConnection>;
  headers(): { set(k: string, v: string): void };
  credsAuthenticator(creds: Uint8Array): unknown;
}
interface KvModule {
  Kvm: new (nc: NatsConnection) => { create(name: string, opts: Record<string, unknown>): Promise<NatsKv> };
}

/** Connects to the servers in `o` as `connectionName`; throws ERR_NODE_CONNECT if they cannot be reached in `connectTimeoutMs`. */
export async function connectNats(o: ResolvedNodeOptions, connectionName: string): Promise<NodeTransport> {
  let nats: NatsModule;
  let kvm: KvModule;
  try {
    nats = (await import('@nats-io/transport-node' as string)) as NatsModule;
    kvm = (await import('@nats-io/kv' as string)) as KvModule;
  } catch (err) {
    throw new NodeConnectError('the NATS client is not installed: npm i @nats-io/transport-node @nats-io/kv', { cause: err });
  }
  const opts: Record<string, unknown> = {
    servers: o.servers,
    name: connectionName,
    timeout: o.connectTimeoutMs,
    // Keep trying after a drop: the node declares its connections lost meanwhile, and rejoins once back.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  };
  if (o.user !== undefined) opts.user = o.user;
  if (o.pass !== undefined) opts.pass = o.pass;
  if (o.tls !== undefined && o.tls !== false) opts.tls = o.tls === true ? {} : o.tls;
  // The system account logs in with its own user and password: none of the node's credentials.
  const sysOpts = { ...opts, ...o.systemAccount, name: `${connectionName}:sys` };
  if (o.token !== undefined) opts.token = o.token;
  if (o.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = await readFile(o.credsFile);
    } catch (err) {
      throw new InvalidOptionError(`options.node.credsFile: cannot read ${o.credsFile} (${(err as Error).message})`);
    }
    opts.authenticator = nats.credsAuthenticator(creds);
  }
  const nc = await connectOrFail(nats, opts, o);
  let sys: NatsConnection | null = null;
  if (o.systemAccount !== undefined) {
    try {
      sys = await connectOrFail(nats, sysOpts, o);
    } catch (err) {
      await nc.close(); // (it would keep reconnecting, and keep the process alive)
      throw err;
    }
  }
  return new NatsTransport(nats, kvm, nc, sys);
}

async function connectOrFail(nats: NatsModule, opts: Record<string, unknown>, o: ResolvedNodeOptions): Promise<NatsConnection> {
  try {
    return await nats.connect(opts);
  } catch (err) {
    throw new NodeConnectError(`no NATS server answered at ${o.servers.join(', ')} within ${o.connectTimeoutMs} ms (${(err as Error).message})`, { cause: err });
  }
}

class NatsTransport implements NodeTransport {
  readonly #nats: NatsModule;
  readonly #kvm: KvModule;
  readonly #nc: NatsConnection;
  readonly #sys: NatsConnection | null;
  readonly #listeners: Array<(e: TransportEvent) => void> = [];

  constructor(nats: NatsModule, kvm: KvModule, nc: NatsConnection, sys: NatsConnection | null) {
    this.#nats = nats;
    this.#kvm = kvm;
    this.#nc = nc;
    this.#sys = sys;
    void this.#watchStatus();
    // A client of the cluster that closed (or was found stale) is reported by the servers at once.
    sys?.subscribe('$SYS.ACCOUNT.*.DISCONNECT', {
      callback: (_err, m) => {
        try {
          const ev = JSON.parse(new TextDecoder().decode(m.data)) as { client?: { name?: string } };
          if (typeof ev.client?.name === 'string') this.#emit({ type: 'peer-disconnect', name: ev.client.name });
        } catch {
          // not an event we understand
        }
      },
    });
  }

  get maxPayload(): number {
    return this.#nc.info?.max_payload ?? 1024 * 1024;
  }

  publish(subject: string, data: Uint8Array, headers?: ReadonlyMap<string, string>): void {
    if (headers === undefined) {
      this.#nc.publish(subject, data);
      return;
    }
    const h = this.#nats.headers();
    for (const [k, v] of headers) h.set(k, v);
    this.#nc.publish(subject, data, { headers: h });
  }

  subscribe(subject: string, onMessage: (m: TransportMessage) => void): Stoppable {
    const sub = this.#nc.subscribe(subject, {
      callback: (err, m) => {
        if (err !== null) return;
        let headers: Map<string, string> | undefined;
        if (m.headers !== undefined) {
          headers = new Map();
          for (const k of m.headers.keys()) headers.set(k, m.headers.get(k));
        }
        onMessage({ subject: m.subject, data: m.data, headers, respond: (d) => void m.respond(d) });
      },
    });
    return { stop: () => sub.unsubscribe() };
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      return (await this.#nc.request(subject, data, { timeout: timeoutMs })).data;
    } catch (err) {
      if ((err as { isNoResponders?: () => boolean }).isNoResponders?.() === true) throw new NoRespondersError(subject);
      throw err;
    }
  }

  async kv(bucket: string): Promise<KvBucket> {
    try {
      return new NatsBucket(await new this.#kvm.Kvm(this.#nc).create(bucket, { history: 1 }));
    } catch (err) {
      throw new NodeConnectError(`cannot open the key-value bucket ${bucket}: is JetStream on (nats-server -js)? (${(err as Error).message})`, { cause: err });
    }
  }

  onEvent(listener: (e: TransportEvent) => void): void {
    this.#listeners.push(listener);
  }

  flush(): Promise<void> {
    return this.#nc.flush();
  }

  async close(): Promise<void> {
    await this.#sys?.close();
    await this.#nc.close();
  }

  #emit(e: TransportEvent): void {
    for (const l of this.#listeners) l(e);
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === 'disconnect') this.#emit({ type: 'disconnect' });
      else if (s.type === 'reconnect') this.#emit({ type: 'reconnect' });
      else if (s.type === 'close') this.#emit({ type: 'closed' });
    }
  }
}

class NatsBucket implements KvBucket {
  readonly #kv: NatsKv;

  constructor(kv: NatsKv) {
    this.#kv = kv;
  }

  async get(key: string): Promise<KvEntry | null> {
    const e = await this.#kv.get(key);
    return e === null ? null : entry(e);
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return conflicts(key, this.#kv.create(key, value));
  }

  update(key: string, value: Uint8Array, revision: number): Promise<number> {
    return conflicts(key, this.#kv.update(key, value, revision));
  }

  delete(key: string, revision?: number): Promise<void> {
    return conflicts(key, this.#kv.delete(key, revision === undefined ? undefined : { previousSeq: revision }));
  }

  async list(prefix: string): Promise<KvEntry[]> {
    const keys: string[] = [];
    for await (const k of await this.#kv.keys(`${prefix}>`)) keys.push(k);
    // The gets in flight together, a batch at a time: one round trip after another made a start that reads
    // the names bucket (a node restarted under its name) wait a round trip per global name.
    const out: KvEntry[] = [];
    for (let i = 0; i < keys.length; i += LIST_BATCH) {
      for (const e of await Promise.all(keys.slice(i, i + LIST_BATCH).map((k) => this.get(k)))) if (e !== null && e.value !== null) out.push(e);
    }
    return out;
  }

  async watch(prefix: string, onEntry: (e: KvEntry) => void): Promise<Stoppable> {
    const it = await this.#kv.watch({ key: `${prefix}>` });
    // (A watch that fails ends here, not as an unhandled rejection: the node goes on with what it knew.)
    (async () => {
      for await (const e of it) onEntry(entry(e));
    })().catch(() => {});
    return { stop: () => it.stop() };
  }
}

function entry(e: NatsKvEntry): KvEntry {
  return { key: e.key, value: e.operation === 'PUT' ? e.value : null, revision: e.revision };
}

/** JetStream's "wrong last sequence" (10071) is a lost compare-and-set. */
async function conflicts<T>(key: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const e = err as { code?: unknown; message?: string; api_error?: { err_code?: number } };
    if (e.code === 10071 || e.api_error?.err_code === 10071 || /wrong last sequence/.test(e.message ?? '')) throw new KvConflictError(key);
    throw err;
  }
}
