// Typed errors: a class per failure with its stable `.code` (the base in error-base.ts), and the plain-object form that crosses threads.

import type { Pid } from './actor/pid.js';

export { type ErrorCode, InvalidArgumentError, InvalidOptionError, JoerlError } from './error-base.js';
import { InvalidArgumentError, InvalidOptionError, JoerlError, STANDARD_ERRORS } from './error-base.js';

/**
 * The target process is not alive (it exited, or never existed). Carries the
 * message that could not be delivered, like ractor's `SendErr(T)`.
 */
export class NoProcError extends JoerlError {
  static override readonly CODE = 'ERR_NO_PROC' as const;
  readonly undelivered: unknown;
  constructor(target: string, undelivered?: unknown) {
    super('ERR_NO_PROC', `no process ${target}: it has exited or never existed`);
    this.undelivered = undelivered;
  }
}

/** No process is registered under the name. */
export class UnknownNameError extends JoerlError {
  static override readonly CODE = 'ERR_UNKNOWN_NAME' as const;
  readonly undelivered: unknown;
  constructor(name: string, undelivered?: unknown) {
    super('ERR_UNKNOWN_NAME', `no process is registered as "${name}"`);
    this.undelivered = undelivered;
  }
}

/** `register` was asked for a name another live process holds. */
export class NameTakenError extends JoerlError {
  static override readonly CODE = 'ERR_NAME_TAKEN' as const;
  constructor(name: string, holder: string) {
    super('ERR_NAME_TAKEN', `the name "${name}" is already registered to ${holder}; unregister it first or pick another name`);
  }
}

/** The name table in shared memory has no free slot left. */
export class RegistryFullError extends JoerlError {
  static override readonly CODE = 'ERR_REGISTRY_FULL' as const;
  constructor(capacity: number) {
    super('ERR_REGISTRY_FULL', `the name registry is full (${capacity} names); raise options.maxNames`);
  }
}

/** The target's mailbox is at capacity; the message is handed back. */
export class MailboxFullError extends JoerlError {
  static override readonly CODE = 'ERR_MAILBOX_FULL' as const;
  readonly undelivered: unknown;
  constructor(target: string, capacity: number, undelivered?: unknown) {
    super('ERR_MAILBOX_FULL', `the mailbox of ${target} is full (capacity ${capacity}); retry after it drains or raise mailboxCapacity`);
    this.undelivered = undelivered;
  }
}

/** A value cannot cross threads intact (function, symbol, class instance, a lone surrogate...); `path` names it. */
export class UnencodableError extends JoerlError {
  static override readonly CODE = 'ERR_UNENCODABLE' as const;
  readonly path: string;
  constructor(path: string, what: string, hint = 'messages must be plain data (objects, arrays, strings, numbers, booleans, null, bigint, Date, RegExp, Error, Map, Set, ArrayBuffers, typed arrays, Pid)') {
    super('ERR_UNENCODABLE', `cannot send ${what} at ${path}: ${hint}`);
    this.path = path;
  }
}

/** `move()` was given something that cannot be handed over without a copy (shared, detached, part of a larger buffer...). */
export class NotMovableError extends JoerlError {
  static override readonly CODE = 'ERR_NOT_MOVABLE' as const;
  constructor(what: string, fix: string) {
    super('ERR_NOT_MOVABLE', `cannot move ${what}: ${fix}`);
  }
}

/** The actor module could not be imported. */
export class ModuleNotFoundError extends JoerlError {
  static override readonly CODE = 'ERR_MODULE_NOT_FOUND' as const;
  constructor(url: string, cause?: unknown) {
    super('ERR_MODULE_NOT_FOUND', `cannot load actor module ${url}${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause });
  }
}

/**
 * The module (an actor module, a telemetry provider) was found but failed
 * while it loaded: its top-level code threw, or it does not parse or link (a
 * SyntaxError). `cause` is what it threw (a value that is not an Error is
 * described in the message).
 */
export class ModuleFailedError extends JoerlError {
  static override readonly CODE = 'ERR_MODULE_FAILED' as const;
  constructor(url: string, cause?: unknown) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : `a ${typeof cause} (${describe(cause).slice(0, 100)})`;
    super('ERR_MODULE_FAILED', `module ${url} failed while it loaded: ${what}`, { cause });
  }
}

/** A thrown value for a message, whatever it is (String() of an object without a prototype, or whose toString throws, throws). */
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The module loaded but has no export of that name. */
export class ExportNotFoundError extends JoerlError {
  static override readonly CODE = 'ERR_EXPORT_NOT_FOUND' as const;
  constructor(url: string, exportName: string, available: string[]) {
    super('ERR_EXPORT_NOT_FOUND', `actor module ${url} has no export "${exportName}" (exports: ${available.join(', ') || 'none'})`);
  }
}

/** The export is not something `defineActor` (or another define*) made. */
export class NotABehaviourError extends JoerlError {
  static override readonly CODE = 'ERR_NOT_A_BEHAVIOUR' as const;
  constructor(url: string, exportName: string) {
    super('ERR_NOT_A_BEHAVIOUR', `export "${exportName}" of ${url} is not a behaviour: wrap it with defineActor({ init, handle })`);
  }
}

/** The actor's init threw (or it was killed during init); `reason` is its exit reason. */
export class InitFailedError extends JoerlError {
  static override readonly CODE = 'ERR_INIT_FAILED' as const;
  readonly reason: unknown;
  constructor(pid: string, reason: unknown, detail: string) {
    super('ERR_INIT_FAILED', `actor ${pid} failed to start: ${detail}`);
    this.reason = reason;
  }
}

/** A spawn's module load or async init did not finish in time; the half-started process was killed. */
export class SpawnTimeoutError extends JoerlError {
  static override readonly CODE = 'ERR_SPAWN_TIMEOUT' as const;
  constructor(pid: string, timeoutMs: number, stage: string) {
    super('ERR_SPAWN_TIMEOUT', `actor ${pid} did not start within ${timeoutMs} ms (${stage}), so it was killed; raise the spawn's timeoutMs or the system's spawnTimeoutMs if it needs longer`);
  }
}

/** The metrics endpoint already runs elsewhere: one system serves one endpoint. */
export class ServerRunningError extends JoerlError {
  static override readonly CODE = 'ERR_SERVER_RUNNING' as const;
  constructor(running: string, asked: string) {
    super('ERR_SERVER_RUNNING', `the metrics endpoint already runs at ${running}, not ${asked}; close it (server.close()) first, or call without a port to get the running one`);
  }
}

/** The shard that should answer died before it did. */
export class ShardDownError extends JoerlError {
  static override readonly CODE = 'ERR_SHARD_DOWN' as const;
  /** `gaveUp`: the system gave up restarting it (restartShards: false, or it kept dying as it started). */
  constructor(shard: number, gaveUp = false) {
    super(
      'ERR_SHARD_DOWN',
      gaveUp
        ? `shard ${shard} is down for good: the system gave up restarting it (restartShards: false, or it died three times in a row as it started); place the process on another shard`
        : `shard ${shard} went down before answering; it is being restarted, retry`,
    );
  }
}

/** The system has been shut down (or is shutting down). */
export class SystemStoppedError extends JoerlError {
  static override readonly CODE = 'ERR_SYSTEM_STOPPED' as const;
  constructor(what = 'the actor system') {
    super('ERR_SYSTEM_STOPPED', `${what} has been shut down`);
  }
}

/** An actor-only operation was called outside the actor's own handlers. */
export class NotInActorError extends JoerlError {
  static override readonly CODE = 'ERR_NOT_IN_ACTOR' as const;
  constructor(op: string) {
    super('ERR_NOT_IN_ACTOR', `${op} can only be called by the actor itself, from inside its handlers`);
  }
}

/** A call got no reply in time. A reply that comes later is discarded. */
export class CallTimeoutError extends JoerlError {
  static override readonly CODE = 'ERR_CALL_TIMEOUT' as const;
  constructor(target: string, timeoutMs: number) {
    super('ERR_CALL_TIMEOUT', `call to ${target} got no reply within ${timeoutMs} ms`);
  }
}

/** A call failed because the server exited (or was not there). */
export class CallFailedError extends JoerlError {
  static override readonly CODE = 'ERR_CALL_FAILED' as const;
  readonly reason: unknown;
  constructor(target: string, reason: unknown, detail: string) {
    super('ERR_CALL_FAILED', `call to ${target} failed: ${detail}`);
    this.reason = reason;
  }
}

/** A state machine got an event its transition table does not allow in its current state (or a callback tried a transition it may not make). */
export class InvalidTransitionError extends JoerlError {
  static override readonly CODE = 'ERR_INVALID_TRANSITION' as const;
  readonly state: string;
  readonly event: string;
  /** `outcome`: what happens to the machine (default: it stays in `state`). */
  constructor(state: string, event: string, detail?: string, outcome = `the machine stays in "${state}"`) {
    super('ERR_INVALID_TRANSITION', `event "${event}" is not allowed in state "${state}"${detail ? ` (${detail})` : ''}; ${outcome}`);
    this.state = state;
    this.event = event;
  }
}

/**
 * startChild with an id the supervisor already has. `pid` is that child's
 * when it runs (OTP's `{already_started, Pid}`: use it), null when only its
 * spec is there (`already_present`: restartChild or deleteChild it).
 */
export class ChildExistsError extends JoerlError {
  static override readonly CODE = 'ERR_CHILD_EXISTS' as const;
  readonly id: string;
  readonly pid: Pid | null;
  constructor(id: string, pid: Pid | null = null) {
    super(
      'ERR_CHILD_EXISTS',
      pid === null
        ? `the supervisor already has a child "${id}" (not running); restartChild it, or deleteChild it first, or pick another id`
        : `the supervisor already has a child "${id}", running as ${pid} (its pid is on this error); pick another id or terminateChild and deleteChild it first`,
    );
    this.id = id;
    this.pid = pid;
  }
}

/** A child id (or pid) the supervisor does not know. */
export class ChildNotFoundError extends JoerlError {
  static override readonly CODE = 'ERR_CHILD_NOT_FOUND' as const;
  constructor(id: string) {
    super('ERR_CHILD_NOT_FOUND', `the supervisor has no child "${id}"`);
  }
}

/** deleteChild / restartChild on a child that is running. */
export class ChildRunningError extends JoerlError {
  static override readonly CODE = 'ERR_CHILD_RUNNING' as const;
  constructor(id: string) {
    super('ERR_CHILD_RUNNING', `child "${id}" is running; terminateChild it first`);
  }
}

/**
 * deleteChild / restartChild on a child whose restart failed and is being
 * tried again (OTP's `{error, restarting}`): the supervisor is restarting it.
 */
export class ChildRestartingError extends JoerlError {
  static override readonly CODE = 'ERR_CHILD_RESTARTING' as const;
  constructor(id: string) {
    super('ERR_CHILD_RESTARTING', `child "${id}" is being restarted (its last start failed and is tried again); terminateChild it to stop the retries first`);
  }
}

/** An offloaded job threw, or could not be run. */
export class OffloadFailedError extends JoerlError {
  static override readonly CODE = 'ERR_OFFLOAD_FAILED' as const;
  constructor(module: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_OFFLOAD_FAILED', `offloaded job ${module} failed: ${detail}`, options);
  }
}

/** The node a pid lives on is not connected: it went down (`noconnection`), or no such node exists. */
export class NodeDownError extends JoerlError {
  static override readonly CODE = 'ERR_NODE_DOWN' as const;
  /** The node's id (the first number of its pids). */
  readonly node: number;
  constructor(node: number, detail: string) {
    super('ERR_NODE_DOWN', `node ${node} is not connected: ${detail}`);
    this.node = node;
  }
}

/** No node of that name is connected to this one (a typo, or it has not joined the cluster). */
export class UnknownNodeError extends JoerlError {
  static override readonly CODE = 'ERR_UNKNOWN_NODE' as const;
  constructor(name: string, known: string[]) {
    super('ERR_UNKNOWN_NODE', `no node "${name}" is connected (connected: ${known.join(', ') || 'none'}); check the name and that it joined the same cluster`);
  }
}

/** Another live node of the cluster already has this name. */
export class NodeNameTakenError extends JoerlError {
  static override readonly CODE = 'ERR_NODE_NAME_TAKEN' as const;
  constructor(name: string, cluster: string) {
    super('ERR_NODE_NAME_TAKEN', `a live node named "${name}" is already in cluster "${cluster}"; give this node another name, or stop that one first`);
  }
}

/** The node could not reach its messaging servers (or the client is not installed). */
export class NodeConnectError extends JoerlError {
  static override readonly CODE = 'ERR_NODE_CONNECT' as const;
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_NODE_CONNECT', `cannot start the node: ${detail}`, options);
  }
}

/** A cluster operation (global names, spawn on a node) on a system started without `node`. */
export class NotANodeError extends JoerlError {
  static override readonly CODE = 'ERR_NOT_A_NODE' as const;
  constructor(op: string) {
    super('ERR_NOT_A_NODE', `${op} needs a node: start the system with ActorSystem.start({ node: { name } })`);
  }
}

/** The form in which an error crosses threads. */
export interface WireError {
  name: string;
  code?: string;
  message: string;
  stack?: string;
  reason?: unknown;
  /** The error's own `cause`, flattened as well (a few levels at most: a cause may lead back to itself). */
  cause?: WireError;
  /** Its other own fields that are primitives or pids (an InvalidTransitionError's `state`, a ChildExistsError's `pid`, a user error's `status`). */
  fields?: Record<string, unknown>;
}

/** Levels of `cause` a wire error keeps. */
const MAX_CAUSES = 4;

/** Fields a wire error carries in its own slots, or never: the message a NoProcError could not deliver stays on the thread that refused it. */
const NOT_FIELDS = new Set(['name', 'code', 'message', 'stack', 'reason', 'cause', 'undelivered']);
/** pid.ts's brand, read here without importing pid.ts: errors sit below pids. */
const PID_BRAND = Symbol.for('joerl.pid');

/** `err`'s own enumerable fields that always encode (strings, numbers, booleans, null, pids; not a bigint, which may not fit the codec's 64 bits), beside those WireError names; undefined: none. */
function fieldsOf(err: Error): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(err)) {
    if (NOT_FIELDS.has(k)) continue;
    const v = (err as unknown as Record<string, unknown>)[k];
    const t = typeof v;
    const keeps = v === null || t === 'string' || t === 'number' || t === 'boolean' || (t === 'object' && (v as Record<symbol, unknown>)[PID_BRAND] === true);
    if (keeps) (out ??= {})[k] = v;
  }
  return out;
}

/** Flattens any thrown value to a `WireError`, with its `cause` (a job's own error under an OffloadFailedError, say). */
export function toWireError(err: unknown, depth = 0): WireError {
  if (err instanceof Error) {
    const w: WireError = { name: err.name, message: err.message };
    if (err.stack !== undefined) w.stack = err.stack;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') w.code = code;
    const reason = (err as { reason?: unknown }).reason;
    if (reason !== undefined) w.reason = reason;
    if (err.cause !== undefined && depth < MAX_CAUSES) w.cause = toWireError(err.cause, depth + 1);
    const fields = fieldsOf(err);
    if (fields !== undefined) w.fields = fields;
    return w;
  }
  return { name: 'Error', message: describe(err) };
}

/**
 * Rebuilds an error from its wire form: the runtime's codes get their class
 * back, the standard subclasses (a RangeError, a TypeError) theirs by name,
 * as in a message; any other error with a code comes back a JoerlError, and
 * the rest a plain Error. Each keeps its name, message, stack, cause and fields.
 */
export function fromWireError(w: WireError): Error {
  const known = w.code !== undefined ? classes[w.code] : undefined;
  const standard = known === undefined && typeof w.name === 'string' && w.name !== 'Error' ? STANDARD_ERRORS[w.name] : undefined;
  // Made by an Error constructor (a runtime class's prototype as new.target, its own constructor not run):
  // a real error, which a message may carry on.
  const err: Error = known !== undefined
    ? (Reflect.construct(Error, [w.message], known) as Error)
    : standard !== undefined
      ? new standard(w.message)
      : w.code !== undefined
        ? (Reflect.construct(Error, [w.message], JoerlError) as Error)
        : new Error(w.message);
  if (w.code !== undefined) (err as unknown as { code: string }).code = w.code;
  Object.defineProperty(err, 'name', { value: w.name, writable: true, configurable: true });
  if (w.stack !== undefined) Object.defineProperty(err, 'stack', { value: w.stack, writable: true, configurable: true });
  if (w.reason !== undefined) (err as { reason?: unknown }).reason = w.reason;
  if (w.cause !== undefined) Object.defineProperty(err, 'cause', { value: fromWireError(w.cause), writable: true, configurable: true });
  if (typeof w.fields === 'object' && w.fields !== null) {
    // Defined, not assigned: a field named __proto__ (from another node, say) stays a field.
    for (const [k, v] of Object.entries(w.fields)) {
      if (!NOT_FIELDS.has(k)) Object.defineProperty(err, k, { value: v, writable: true, enumerable: true, configurable: true });
    }
  }
  return err;
}

const classes: Readonly<Record<string, (abstract new (...args: never[]) => JoerlError) | undefined>> = Object.assign(Object.create(null) as object, {
  ERR_INVALID_OPTION: InvalidOptionError,
  ERR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_NO_PROC: NoProcError,
  ERR_UNKNOWN_NAME: UnknownNameError,
  ERR_NAME_TAKEN: NameTakenError,
  ERR_MAILBOX_FULL: MailboxFullError,
  ERR_UNENCODABLE: UnencodableError,
  ERR_NOT_MOVABLE: NotMovableError,
  ERR_MODULE_NOT_FOUND: ModuleNotFoundError,
  ERR_MODULE_FAILED: ModuleFailedError,
  ERR_EXPORT_NOT_FOUND: ExportNotFoundError,
  ERR_NOT_A_BEHAVIOUR: NotABehaviourError,
  ERR_INIT_FAILED: InitFailedError,
  ERR_SPAWN_TIMEOUT: SpawnTimeoutError,
  ERR_SERVER_RUNNING: ServerRunningError,
  ERR_SHARD_DOWN: ShardDownError,
  ERR_SYSTEM_STOPPED: SystemStoppedError,
  ERR_NOT_IN_ACTOR: NotInActorError,
  ERR_CALL_TIMEOUT: CallTimeoutError,
  ERR_CALL_FAILED: CallFailedError,
  ERR_REGISTRY_FULL: RegistryFullError,
  ERR_INVALID_TRANSITION: InvalidTransitionError,
  ERR_OFFLOAD_FAILED: OffloadFailedError,
  ERR_CHILD_EXISTS: ChildExistsError,
  ERR_CHILD_NOT_FOUND: ChildNotFoundError,
  ERR_CHILD_RUNNING: ChildRunningError,
  ERR_CHILD_RESTARTING: ChildRestartingError,
  ERR_NODE_DOWN: NodeDownError,
  ERR_UNKNOWN_NODE: UnknownNodeError,
  ERR_NODE_NAME_TAKEN: NodeNameTakenError,
  ERR_NODE_CONNECT: NodeConnectError,
  ERR_NOT_A_NODE: NotANodeError,
});
