// Exit reasons: normal, shutdown, killed, panic (a thrown error) and custom; helpers to build, classify and print them.

/** A thrown error that ended a process. */
export interface PanicReason {
  readonly kind: 'panic';
  readonly message: string;
  readonly name?: string;
  readonly stack?: string;
}

/** Any other reason: `exit(pid, 'timeout')`, `ctx.stop({ code: 7 })`. */
export interface CustomReason {
  readonly kind: 'custom';
  readonly value: unknown;
}

/** Why a process ended. Plain data: it crosses threads as is. */
export type ExitReason = 'normal' | 'shutdown' | 'killed' | PanicReason | CustomReason;

/** The five reason classes, as used for metric labels. */
export type ExitReasonKind = 'normal' | 'shutdown' | 'killed' | 'panic' | 'custom';

/**
 * What callers may pass where a reason is expected. `'kill'` is the
 * untrappable kill signal (the target exits with `'killed'`); an `Error`
 * becomes a panic; any other string or value becomes a custom reason.
 */
export type ExitReasonInput = ExitReason | 'kill' | string | Error | { readonly [key: string]: unknown };

/** The reason a process gets when `exit(pid, 'kill')` reaches it. */
export const KILL = 'kill';

/** `s` with each lone surrogate replaced by U+FFFD (String#toWellFormed, Node 20). */
export const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

/**
 * Builds a panic reason from anything thrown: a description of it (strings),
 * not the value. Its strings are made well formed here, where it is made, so
 * it reads the same on every thread (UTF-8 cannot carry a lone surrogate, and
 * nobody made a call that could be refused).
 */
export function panicReason(thrown: unknown): PanicReason {
  if (thrown instanceof Error) {
    const r: { kind: 'panic'; message: string; name: string; stack?: string } = { kind: 'panic', message: toWellFormed(String(thrown.message)), name: toWellFormed(String(thrown.name)) };
    if (thrown.stack !== undefined) r.stack = toWellFormed(String(thrown.stack));
    return r;
  }
  return { kind: 'panic', message: toWellFormed(typeof thrown === 'string' ? thrown : safeString(thrown)) };
}

/** Turns caller input into a canonical reason (`'kill'` stays `'kill'`: it is a signal, not a reason). */
export function normalizeReason(input: ExitReasonInput): ExitReason | typeof KILL {
  if (input === 'normal' || input === 'shutdown' || input === 'killed' || input === KILL) return input;
  if (typeof input === 'string') return { kind: 'custom', value: input };
  if (input instanceof Error) return panicReason(input);
  if (typeof input === 'object' && input !== null) {
    const kind = (input as { kind?: unknown }).kind;
    if (kind === 'panic' && typeof (input as { message?: unknown }).message === 'string') return input as PanicReason;
    if (kind === 'custom' && 'value' in input) return input as CustomReason;
  }
  return { kind: 'custom', value: input };
}

/** The reason's class: `'normal' | 'shutdown' | 'killed' | 'panic' | 'custom'`. */
export function reasonKind(reason: ExitReason): ExitReasonKind {
  return typeof reason === 'string' ? reason : reason.kind;
}

/** True for `'normal'`, the one reason a non-trapping linked process ignores. */
export function isNormalReason(reason: ExitReason): boolean {
  return reason === 'normal';
}

/** A short human form: `normal`, `panic: boom`, `custom: "timeout"`. */
export function formatReason(reason: ExitReason): string {
  if (typeof reason === 'string') return reason;
  if (reason.kind === 'panic') return `panic: ${reason.message}`;
  return `custom: ${typeof reason.value === 'string' ? reason.value : safeString(reason.value)}`;
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The exit reason for links and monitors to a process that does not exist. */
export const NOPROC: ExitReason = Object.freeze({ kind: 'custom', value: 'noproc' });

/** True for {@link NOPROC} (also after it crossed threads): a DOWN, an EXIT or a `join` of a process that did not exist. */
export function isNoProc(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { kind?: unknown }).kind === 'custom' && (reason as { value?: unknown }).value === 'noproc';
}
