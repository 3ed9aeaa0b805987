// A supervisor's child specs and flags: their types, defaults and checks (a spec is normalized once, when it is added).

import type { ModuleRef, Placement } from '../actor/context.js';
import { moduleHref } from '../actor/module-ref.js';
import { InvalidArgumentError, InvalidOptionError } from '../errors.js';
import { preview } from '../validate.js';
import { childNodes } from './child-nodes.js';

/** How the supervisor reacts to a child that must be restarted. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
/** permanent: always restarted; transient: only after an abnormal exit; temporary: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

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
}

/** Checks `spec` and fills in its defaults (`fallbackId` when it has no id). */
export function normalize(spec: ChildSpec, fallbackId: string): Normalized {
  if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError(`a child spec must be an object, got ${String(spec)}`);
  const id = spec.id ?? fallbackId;
  if (typeof id !== 'string' || id.length === 0) throw new InvalidArgumentError(`child spec id must be a non-empty string, got ${String(spec.id)}`);
  const restart = spec.restart ?? 'permanent';
  if (restart !== 'permanent' && restart !== 'transient' && restart !== 'temporary') {
    throw new InvalidArgumentError(`child "${id}": restart must be 'permanent', 'transient' or 'temporary', got ${String(restart)}`);
  }
  const type = spec.type ?? 'worker';
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000);
  if (shutdown !== 'brutal_kill' && shutdown !== 'infinity' && !(typeof shutdown === 'number' && shutdown >= 0)) {
    throw new InvalidArgumentError(`child "${id}": shutdown must be ms >= 0, 'brutal_kill' or 'infinity', got ${String(shutdown)}`);
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
  };
}

/** 3 restarts within 5 s: see SupervisorSpec.intensity. */
export const DEFAULT_INTENSITY: Intensity = { maxRestarts: 3, withinMs: 5000 };

/** Checks a supervisor's strategy and intensity. */
export function checkFlags(strategy: Strategy, intensity: Intensity): void {
  if (strategy !== 'one_for_one' && strategy !== 'one_for_all' && strategy !== 'rest_for_one') {
    throw new InvalidOptionError(`strategy must be 'one_for_one', 'one_for_all' or 'rest_for_one', got ${String(strategy)}`);
  }
  if (typeof intensity !== 'object' || intensity === null || !(Number.isInteger(intensity.maxRestarts) && intensity.maxRestarts >= 0 && intensity.withinMs > 0)) {
    throw new InvalidOptionError(`intensity must be { maxRestarts: integer >= 0, withinMs: > 0 }, got ${preview(intensity)}`);
  }
}
