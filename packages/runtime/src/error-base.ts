// The base of the typed errors: the codes, JoerlError, and the two argument errors the lowest modules (pids) throw.

/** Every error the runtime throws or rejects with has one of these codes. */
export type ErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_NO_PROC'
  | 'ERR_UNKNOWN_NAME'
  | 'ERR_NAME_TAKEN'
  | 'ERR_MAILBOX_FULL'
  | 'ERR_UNENCODABLE'
  | 'ERR_NOT_MOVABLE'
  | 'ERR_MODULE_NOT_FOUND'
  | 'ERR_MODULE_FAILED'
  | 'ERR_EXPORT_NOT_FOUND'
  | 'ERR_NOT_A_BEHAVIOUR'
  | 'ERR_INIT_FAILED'
  | 'ERR_SPAWN_TIMEOUT'
  | 'ERR_SERVER_RUNNING'
  | 'ERR_SHARD_DOWN'
  | 'ERR_SYSTEM_STOPPED'
  | 'ERR_NOT_IN_ACTOR'
  | 'ERR_CALL_TIMEOUT'
  | 'ERR_CALL_FAILED'
  | 'ERR_REGISTRY_FULL'
  | 'ERR_INVALID_TRANSITION'
  | 'ERR_OFFLOAD_FAILED'
  | 'ERR_CHILD_EXISTS'
  | 'ERR_CHILD_NOT_FOUND'
  | 'ERR_CHILD_RUNNING'
  | 'ERR_CHILD_RESTARTING'
  | 'ERR_NODE_DOWN'
  | 'ERR_UNKNOWN_NODE'
  | 'ERR_NODE_NAME_TAKEN'
  | 'ERR_NODE_CONNECT'
  | 'ERR_NOT_A_NODE';

const BRAND = Symbol.for('joerl.error');

/**
 * Base of every joerl error; `code` is stable and safe to switch on.
 *
 * `instanceof` works across duplicate copies of the package (and on errors
 * rebuilt after crossing threads): it checks a `Symbol.for` brand and the
 * code, not the prototype chain.
 */
export class JoerlError extends Error {
  /** The code every instance of this class carries (undefined on the base). */
  static readonly CODE: ErrorCode | undefined = undefined;
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
    const code = (this as typeof JoerlError).CODE;
    return code === undefined || (value as { code?: unknown }).code === code;
  }
}
Object.defineProperty(JoerlError.prototype, BRAND, { value: true });

/** An option passed to the runtime is out of range or of the wrong type. */
export class InvalidOptionError extends JoerlError {
  static override readonly CODE = 'ERR_INVALID_OPTION' as const;
  constructor(message: string) { super('ERR_INVALID_OPTION', message); }
}

/** An argument (pid, name, module URL, reason) is malformed. */
export class InvalidArgumentError extends JoerlError {
  static override readonly CODE = 'ERR_INVALID_ARGUMENT' as const;
  constructor(message: string) { super('ERR_INVALID_ARGUMENT', message); }
}

/**
 * The standard error classes structuredClone keeps (V8's list), by `name`.
 * Without a prototype: a name such as `toString` or `constructor` finds
 * nothing here, not Object.prototype's function.
 */
export const STANDARD_ERRORS: Readonly<Record<string, ErrorConstructor | undefined>> = Object.assign(Object.create(null) as Record<string, ErrorConstructor>, {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
});
