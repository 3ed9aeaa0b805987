// The `node` option of ActorSystem.start: what a node is called, where its servers are, how fast a lost node is noticed.

import { InvalidOptionError } from '../errors.js';
import { describe } from '../validate.js';
import { rootHref } from './module-names.js';
import type { NodeTransport } from './node-transport.js';

/** Options of a node (`ActorSystem.start({ node: { ... } })`). */
export interface NodeOptions {
  /** This node's name, unique among the live nodes of its cluster: letters, digits, `_` and `-`. */
  name: string;
  /** Keeps clusters on the same servers apart (default `'joerl'`). Same charset as `name`. */
  cluster?: string;
  /** NATS server URLs (default `'nats://127.0.0.1:4222'`). JetStream must be on (`nats-server -js`): names and members live in its key-value buckets. */
  servers?: string | string[];
  /** NATS credentials: user and password, a token, or a `.creds` file (NKEY/JWT). */
  user?: string;
  pass?: string;
  token?: string;
  credsFile?: string;
  /** TLS to the servers (`true`: the system's CAs; or files). */
  tls?: boolean | { caFile?: string; certFile?: string; keyFile?: string };
  /**
   * A user of the servers' system account: the node then also watches the
   * servers' client-disconnect events, and a killed node is noticed in
   * milliseconds instead of `downAfterMs`.
   */
  systemAccount?: { user: string; pass: string };
  /** Heartbeat period, ms (default 1000). */
  tickMs?: number;
  /** A node heard nothing from for this long is down (default 4000; at least 2 × tickMs). Erlang's net_ticktime. */
  downAfterMs?: number;
  /** How long start waits for the servers (default 5000), then fails with ERR_NODE_CONNECT. */
  connectTimeoutMs?: number;
  /**
   * The project folder modules are named under when spawned on another node
   * (default: the current working directory). Another node loads the same
   * relative path under its own root, so machines may keep the project in
   * different folders.
   */
  root?: string | URL;
  /** A transport of your own (tests use an in-memory one); the NATS client is then not loaded. */
  transport?: NodeTransport;
}

/** Node options with defaults filled in. */
export interface ResolvedNodeOptions {
  name: string;
  cluster: string;
  servers: string[];
  user: string | undefined;
  pass: string | undefined;
  token: string | undefined;
  credsFile: string | undefined;
  tls: NodeOptions['tls'];
  systemAccount: NodeOptions['systemAccount'];
  tickMs: number;
  downAfterMs: number;
  connectTimeoutMs: number;
  root: string;
  transport: NodeTransport | undefined;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function resolveNodeOptions(n: NodeOptions | undefined): ResolvedNodeOptions | null {
  if (n === undefined) return null;
  if (typeof n !== 'object' || n === null) throw new InvalidOptionError(`options.node must be an object like { name: 'a' }, got ${describe(n)}`);
  if (typeof n.name !== 'string' || !NAME.test(n.name) || n.name === 'local') {
    throw new InvalidOptionError(`options.node.name must be 1-64 letters, digits, '_' or '-' (and not 'local'), got ${describe(n.name)}`);
  }
  const cluster = n.cluster ?? 'joerl';
  if (typeof cluster !== 'string' || !NAME.test(cluster)) throw new InvalidOptionError(`options.node.cluster must be 1-64 letters, digits, '_' or '-', got ${describe(cluster)}`);
  const servers = n.servers ?? 'nats://127.0.0.1:4222';
  const list = Array.isArray(servers) ? servers : [servers];
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new InvalidOptionError(`options.node.servers must be a URL or a list of URLs like 'nats://127.0.0.1:4222', got ${describe(servers)}`);
  }
  const tickMs = n.tickMs ?? 1000;
  num(tickMs, 'options.node.tickMs', 10, 600_000);
  const downAfterMs = n.downAfterMs ?? Math.max(4000, 2 * tickMs);
  num(downAfterMs, 'options.node.downAfterMs', 2 * tickMs, 3_600_000);
  const connectTimeoutMs = n.connectTimeoutMs ?? 5000;
  num(connectTimeoutMs, 'options.node.connectTimeoutMs', 1, 600_000);
  for (const k of ['user', 'pass', 'token', 'credsFile'] as const) {
    if (n[k] !== undefined && typeof n[k] !== 'string') throw new InvalidOptionError(`options.node.${k} must be a string, got ${describe(n[k])}`);
  }
  const sys = n.systemAccount;
  if (sys !== undefined && (typeof sys !== 'object' || sys === null || typeof sys.user !== 'string' || typeof sys.pass !== 'string')) {
    throw new InvalidOptionError(`options.node.systemAccount must be { user, pass }, got ${describe(sys)}`);
  }
  const t = n.transport;
  if (t !== undefined && (typeof t !== 'object' || t === null || typeof (t as NodeTransport).publish !== 'function')) {
    throw new InvalidOptionError(`options.node.transport must be a NodeTransport, got ${describe(t)}`);
  }
  let root: string;
  try {
    root = rootHref(n.root ?? process.cwd());
  } catch {
    throw new InvalidOptionError(`options.node.root must be a folder path or a file: URL, got ${describe(n.root)}`);
  }
  return {
    name: n.name,
    cluster,
    servers: list,
    user: n.user,
    pass: n.pass,
    token: n.token,
    credsFile: n.credsFile,
    tls: n.tls,
    systemAccount: sys,
    tickMs,
    downAfterMs,
    connectTimeoutMs,
    root,
    transport: t,
  };
}

function num(v: unknown, what: string, min: number, max: number): void {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) {
    throw new InvalidOptionError(`${what} must be a number from ${min} to ${max}, got ${describe(v)}`);
  }
}
