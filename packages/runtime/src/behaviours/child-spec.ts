// A supervisor's child specs and flags: their types, defaults and checks (a spec is normalized once, when it is added).

import type { ModuleRef, Placement } from '../actor/context.js';
import { moduleHref } from '../actor/module-ref.js';
import { InvalidArgumentError, InvalidOptionError } from '../errors.js';
import { MAX_DELAY } from '../timer/timer-heap.js';
import { preview } from '../validate.js';
import { childNodes } from './child-nodes.js';

/** How the supervisor reacts to a child that must be restarted. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
/** permanent: always restarted; transient: only after an abnormal exit; temporary: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';
/**
 * When the supervisor stops by itself (OTP's auto_shutdown): never; when
 * any significant child exits by itself and is not restarted; when all of
 * them have.
 */
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant';

/** One child of a supervisor. */
export interface ChildSpec {
  /** Unique among the supervisor's children. Optional for startChild (one is generated). */
  id?: string;
  /** The child's behaviour module (URL, file: URL string or absolute path). */
  module: ModuleRef;
  export?: string;
  args?: unknown;
  /** Default `'permanent'`. */
  restart?: RestartType;
  /** Milliseconds to wait for a `'shutdown'` exit before killing, `'brutal_kill'`, or `'infinity'`. Default 5000 (`'infinity'` for supervisors). */
  shutdown?: number | 'brutal_kill' | 'infinity';
  /** Placement (default `'round-robin'`: children spread over the shards). */
  shard?: Placement;
  /** Register the child under this name (each incarnation in turn). */
  name?: string;
  mailboxCapacity?: number;
  /** `'supervisor'` for nested supervisors (their shutdown defaults to `'infinity'`). */
  type?: 'worker' | 'supervisor';
  /**
   * The node to run the child on, or candidates tried in order (`'local'`:
   * the supervisor's own node). A child lost with its node (exit
   * `noconnection`) is restarted on the first candidate that is up then.
   */
  node?: string | string[];
  /**
   * Its own exit (not restarted: `transient` after a normal one, `temporary`
   * after any) may stop the supervisor, by its `autoShutdown`. Default false;
   * true takes a `transient` or `temporary` child, under a supervisor whose
   * `autoShutdown` is not `'never'` (ERR_INVALID_ARGUMENT otherwise).
   */
  significant?: boolean;
}

/** Restart intensity: more than `maxRestarts` restarts within `withinMs` stops the supervisor. */
export interface Intensity {
  maxRestarts: number;
  withinMs: number;
}

/** A child spec with its defaults filled in and checked. */
export interface Normalized {
  id: string;
  href: string;
  export: string;
  args: unknown;
  restart: RestartType;
  shutdown: number | 'brutal_kill' | 'infinity';
  shard: Placement;
  name: string | undefined;
  mailboxCapacity: number | undefined;
  type: 'worker' | 'supervisor';
  nodes: string[] | undefined;
  significant: boolean;
}

/** Checks `spec` and fills in its defaults (`fallbackId` when it has no id), for a supervisor whose auto-shutdown is `auto`. */
export function normalize(spec: ChildSpec, fallbackId: string, auto: AutoShutdown): Normalized {
  if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError(`a child spec must be an object, got ${String(spec)}`);
  const id = spec.id ?? fallbackId;
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError(`child spec id must be a non-empty string, got ${String(spec.id)}`);
  const restart = spec.restart ?? 'permanent';
  if (restart !== 'permanent' && restart !== 'transient' && restart !== 'temporary') {
    throw new InvalidArgumentError(`child "${id}": restart must be 'permanent', 'transient' or 'temporary', got ${String(restart)}`);
  }
  const type = spec.type ?? 'worker';
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000);
  // (At most a timer's longest delay: it is the child's terminate limit too, see SpawnOptions.terminateTimeoutMs.)
  if (shutdown !== 'brutal_kill' && shutdown !== 'infinity' && !(typeof shutdown === 'number' && shutdown >= 0 && shutdown <= MAX_DELAY)) {
    throw new InvalidArgumentError(`child "${id}": shutdown must be ms from 0 to ${MAX_DELAY}, 'brutal_kill' or 'infinity', got ${String(shutdown)}`);
  }
  const significant = spec.significant ?? false;
  if (typeof significant !== 'boolean') throw new InvalidArgumentError(`child "${id}": significant must be a boolean, got ${preview(significant)}`);
  // As OTP's: a permanent child never exits for good, and a supervisor that never stops by itself has no use for one.
  if (significant && restart === 'permanent') throw new InvalidArgumentError(`child "${id}": a significant child must be 'transient' or 'temporary', not 'permanent'`);
  if (significant && auto === 'never') {
    throw new InvalidArgumentError(`child "${id}" is significant, but its supervisor's autoShutdown is 'never': give the supervisor autoShutdown 'any_significant' or 'all_significant', or drop significant`);
  }
  return {
    id,
    href: moduleHref(spec.module),
    export: spec.export ?? 'default',
    args: spec.args,
    restart,
    shutdown,
    shard: spec.shard ?? 'round-robin',
    name: spec.name,
    mailboxCapacity: spec.mailboxCapacity,
    type,
    nodes: childNodes(spec.node, id),
    significant,
  };
}

/** 3 restarts within 5 s: see SupervisorSpec.intensity. */
export const DEFAULT_INTENSITY: Intensity = { maxRestarts: 3, withinMs: 5000 };

/** Checks a supervisor's strategy, intensity and auto-shutdown. */
export function checkFlags(strategy: Strategy, intensity: Intensity, auto: AutoShutdown): void {
  if (auto !== 'never' && auto !== 'any_significant' && auto !== 'all_significant') {
    throw new InvalidOptionError(`autoShutdown must be 'never', 'any_significant' or 'all_significant', got ${preview(auto)}`);
  }
  if (strategy !== 'one_for_one' && strategy !== 'one_for_all' && strategy !== 'rest_for_one') {
    throw new InvalidOptionError(`strategy must be 'one_for_one', 'one_for_all' or 'rest_for_one', got ${String(strategy)}`);
  }
  if (typeof intensity !== 'object' || intensity === null || !(Number.isInteger(intensity.maxRestarts) && intensity.maxRestarts >= 0 && intensity.withinMs > 0)) {
    throw new InvalidOptionError(`intensity must be { maxRestarts: integer >= 0, withinMs: > 0 }, got ${preview(intensity)}`);
  }
}
