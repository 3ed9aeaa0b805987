// The messaging a node needs, as a small interface: NATS implements it (nats-transport.ts), and so does memory (tests).

/** A message as a subscriber receives it. Decode `data` before the handler returns (it may be a reused buffer). */
export interface TransportMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Header values by name (undefined: none). */
  readonly headers: ReadonlyMap<string, string> | undefined;
  /** Answers a request (no-op for a plain publish). */
  respond(data: Uint8Array): void;
}

/** Handed back by subscribe and watch. */
export interface Stoppable {
  stop(): void;
}

/** An entry of a key-value bucket; a deleted key has `value` null. */
export interface KvEntry {
  readonly key: string;
  readonly value: Uint8Array | null;
  readonly revision: number;
}

/**
 * A key-value bucket with atomic create and compare-and-set (NATS KV over
 * JetStream). Conflicts reject with an error whose `kvConflict` is true.
 */
export interface KvBucket {
  get(key: string): Promise<KvEntry | null>;
  /** Creates `key`; rejects (kvConflict) if it holds a value. Resolves with the new revision. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Replaces `key` if its revision is still `revision`; rejects (kvConflict) otherwise. */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  /** Deletes `key` (only at `revision` when given; rejects kvConflict otherwise). */
  delete(key: string, revision?: number): Promise<void>;
  /** Every entry under `prefix` that holds a value now. */
  list(prefix: string): Promise<KvEntry[]>;
  /** Calls `onEntry` with every current entry under `prefix`, then with every change, in order. */
  watch(prefix: string, onEntry: (e: KvEntry) => void): Promise<Stoppable>;
}

/** What the connection reports about itself. */
export type TransportEvent =
  /** Our connection to the servers dropped: anything sent meanwhile may be lost. */
  | { type: 'disconnect' }
  /** It is back (a new connection: peers must be told). */
  | { type: 'reconnect' }
  /** The servers report a client of the cluster gone (a system account's DISCONNECT event), by connection name. */
  | { type: 'peer-disconnect'; name: string }
  /** The connection is closed for good. */
  | { type: 'closed' };

/** The messaging under a node: subjects, request/reply, a key-value store, status events. */
export interface NodeTransport {
  /** The largest payload the servers accept, in bytes: a message's data and its headers together (see headerBytes). */
  readonly maxPayload: number;
  /** Publishes `data` on `subject`, in order with everything else this transport publishes. */
  publish(subject: string, data: Uint8Array, headers?: ReadonlyMap<string, string>): void;
  subscribe(subject: string, onMessage: (m: TransportMessage) => void): Stoppable;
  /** One answer to `data` on `subject`; rejects with `noResponders: true` at once when nobody listens, or on timeout. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Opens (or creates) a key-value bucket. */
  kv(bucket: string): Promise<KvBucket>;
  onEvent(listener: (e: TransportEvent) => void): void;
  /** Resolves once the servers have everything published so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A compare-and-set or create that lost: someone else wrote the key first. */
export class KvConflictError extends Error {
  readonly kvConflict = true;
  constructor(key: string) {
    super(`key ${key} changed under us`);
    this.name = 'KvConflictError';
  }
}

/** A request nobody listens to. */
export class NoRespondersError extends Error {
  readonly noResponders = true;
  constructor(subject: string) {
    super(`no responders on ${subject}`);
    this.name = 'NoRespondersError';
  }
}

/** True for a lost compare-and-set or create, from any transport. */
export function isKvConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { kvConflict?: unknown }).kvConflict === true;
}

/**
 * The bytes `headers` add to a message against the servers' max payload,
 * as NATS counts them: its `NATS/1.0` line, a `key: value` line each and the
 * blank line that ends them (0: no headers).
 */
export function headerBytes(headers: ReadonlyMap<string, string> | undefined): number {
  if (headers === undefined || headers.size === 0) return 0;
  let n = 'NATS/1.0\r\n\r\n'.length;
  for (const [k, v] of headers) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 4;
  return n;
}
