// Crash and supervisor reports: built where they happen, shipped to the main thread whether telemetry is on or not.

import { type ExitReason, formatReason, toWellFormed } from '../actor/exit-reason.js';
import type { Pid } from '../actor/pid.js';
import type { BehaviourProbe } from '../actor/probe.js';
import type { Proc } from '../actor/proc.js';
import { assertEncodable } from '../codec/codec.js';

/** An error as it crosses threads: its name, message and stack. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

/** A process panicked: a throw (or a rejected promise) in its init, a handler or terminate. */
export interface CrashReport {
  kind: 'crash';
  pid: Pid;
  /** The behaviour's name (the `type` label). */
  type: string;
  shard: number;
  during: 'init' | 'handle' | 'terminate';
  /**
   * What it was handling (never its content): the message's `kind`, `type`,
   * `op` or `tag` field when it is a string, `call:<kind>` / `cast:<kind>` for
   * GenServer envelopes, else its JavaScript type. Only with `during: 'handle'`.
   */
  messageKind?: string;
  error: ErrorInfo;
  /** When, in ms since the epoch. */
  time: number;
}

/** A supervisor (or, for shards, the system) acted on a failure. */
export type SupervisorReport =
  | (SupervisorBase & { event: 'child_restarted'; childId: string; strategy: string; child?: Pid; reason?: ExitReason })
  | (SupervisorBase & { event: 'child_start_failed'; childId: string; error: ErrorInfo })
  | (SupervisorBase & { event: 'intensity_exceeded'; maxRestarts?: number; withinMs?: number; reason?: ExitReason })
  | { kind: 'supervisor'; event: 'shard_restarted'; shard: number; incarnation: number; cause: string; message: string; time: number };

interface SupervisorBase {
  kind: 'supervisor';
  /** The supervisor's pid, type and shard. */
  supervisor: Pid;
  type: string;
  shard: number;
  time: number;
}

/**
 * Sent messages this thread found lost: the rest of a message whose first
 * frames its previous incarnation had read and freed (see
 * MID_MESSAGE_INDEX). The main thread reports them as `messagesLost`
 * (`shard_down`) of this shard.
 */
export interface LostReport {
  kind: 'lost';
  shard: number;
  messages: number;
}

/** A crash or supervisor report (what the system's events carry). */
export type Report = CrashReport | SupervisorReport;

/** What crosses to the main thread in OP_REPORT: a report, or a count of lost messages. */
export type Shipped = Report | LostReport;

/** Longest `messageKind` kept (a field can hold any string). */
const MAX_KIND = 64;

/** The kind of a message, never its content (see CrashReport.messageKind). */
export function messageKind(msg: unknown): string {
  if (msg === null) return 'null';
  if (Array.isArray(msg)) return 'array';
  if (typeof msg !== 'object') return typeof msg;
  const m = msg as Record<string, unknown>;
  if (m.$joerl === 'call') return `call:${messageKind(m.req)}`;
  if (m.$joerl === 'cast') return `cast:${messageKind(m.msg)}`;
  for (const field of ['kind', 'type', 'op', 'tag']) {
    const v = m[field];
    if (typeof v === 'string') return toWellFormed(v.length > MAX_KIND ? `${v.slice(0, MAX_KIND)}...` : v);
  }
  const proto = Object.getPrototypeOf(m) as { constructor?: { name?: string } } | null;
  const name = proto?.constructor?.name;
  return proto === null || proto === Object.prototype || !name ? 'object' : name;
}

/** Anything thrown, as name, message and stack. */
export function errorInfo(thrown: unknown): ErrorInfo {
  // Strings, well formed: a report must cross to the main thread whatever was thrown (a message
  // replaced by an object, a lone surrogate), and read there as it reads here.
  if (thrown instanceof Error) {
    const e: ErrorInfo = { name: toWellFormed(safeString(thrown.name)), message: toWellFormed(safeString(thrown.message)) };
    if (thrown.stack !== undefined) e.stack = toWellFormed(safeString(thrown.stack));
    return e;
  }
  const name = (thrown as { constructor?: { name?: string } } | null | undefined)?.constructor?.name ?? typeof thrown;
  return { name: toWellFormed(String(name)), message: toWellFormed(typeof thrown === 'string' ? thrown : safeString(thrown)) };
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return '[unprintable value]';
  }
}

/**
 * One per thread. Panics are rare, so reports allocate freely. On a shard a
 * report travels to the main thread as OP_REPORT, in order with the signals
 * (the crash report comes before the DOWN it caused); on the main thread it
 * goes straight to the system.
 */
export class ReportSink {
  constructor(
    private readonly thread: number,
    private readonly ship: (report: Shipped) => void,
  ) {}

  /** `p` panicked `during` init, a handler (`msg`) or terminate. */
  crash(p: Proc, during: CrashReport['during'], thrown: unknown, msg?: unknown): void {
    const r: CrashReport = { kind: 'crash', pid: p.pid, type: p.typeName, shard: this.thread, during, error: errorInfo(thrown), time: Date.now() };
    if (during === 'handle') r.messageKind = messageKind(msg);
    this.ship(r);
  }

  /** `messages` sent messages went with this thread's previous incarnation (see LostReport). */
  lost(messages: number): void {
    this.ship({ kind: 'lost', shard: this.thread, messages });
  }

  /** A supervisor report from `p` (see ReportingProbe). */
  supervisor(p: Proc, fields: Record<string, unknown> & { event: SupervisorReport['event'] }): void {
    const r = { kind: 'supervisor', supervisor: p.pid, type: p.typeName, shard: this.thread, ...fields, time: Date.now() } as SupervisorReport;
    if (this.thread !== 0) {
      // A custom exit reason may hold anything: keep the report, print the reason.
      const rr = r as { reason?: unknown };
      try {
        assertEncodable(rr.reason);
      } catch {
        rr.reason = { kind: 'custom', value: formatReason(rr.reason as ExitReason) };
      }
    }
    this.ship(r);
  }
}

/**
 * The probe a process's behaviour gets: supervisor events always become
 * reports; everything (statem events included) also goes to the telemetry
 * probe, which is the no-op probe when telemetry is off.
 */
export class ReportingProbe implements BehaviourProbe {
  constructor(
    private readonly sink: ReportSink,
    private readonly p: Proc,
    private readonly inner: BehaviourProbe,
  ) {}

  statemEntered(state: string): void {
    this.inner.statemEntered(state);
  }

  statemTransition(from: string, to: string, msInFrom: number): void {
    this.inner.statemTransition(from, to, msInFrom);
  }

  statemInvalid(state: string, event: string): void {
    this.inner.statemInvalid(state, event);
  }

  supervisorRestart(childId: string, strategy: string, ms: number, child?: Pid, reason?: ExitReason): void {
    this.inner.supervisorRestart(childId, strategy, ms, child, reason);
    const f: Record<string, unknown> & { event: 'child_restarted' } = { event: 'child_restarted', childId, strategy };
    if (child !== undefined) f.child = child;
    if (reason !== undefined) f.reason = reason;
    this.sink.supervisor(this.p, f);
  }

  childStartFailed(childId: string, error: unknown): void {
    this.inner.childStartFailed(childId, error);
    this.sink.supervisor(this.p, { event: 'child_start_failed', childId, error: errorInfo(error) });
  }

  intensityExceeded(maxRestarts?: number, withinMs?: number, reason?: ExitReason): void {
    this.inner.intensityExceeded(maxRestarts, withinMs, reason);
    const f: Record<string, unknown> & { event: 'intensity_exceeded' } = { event: 'intensity_exceeded' };
    if (maxRestarts !== undefined) f.maxRestarts = maxRestarts;
    if (withinMs !== undefined) f.withinMs = withinMs;
    if (reason !== undefined) f.reason = reason;
    this.sink.supervisor(this.p, f);
  }
}
