// Process identifiers: node, shard (thread) and serial; printed Erlang-style.

import { InvalidArgumentError } from '../error-base.js';

const BRAND = Symbol.for('joerl.pid');

/** A whole number >= 0 that a double holds exactly. */
const isIndex = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;

/** Thread ids fit in 12 bits: thread 0 is the main thread, 1..N are shards. */
export const MAX_THREADS = 4096;

/**
 * A process id. Immutable, comparable with {@link Pid.equals}, and safe to put
 * inside messages: it crosses threads as itself.
 *
 * Printed as `<node.shard.serial>`; shard 0 is the main thread.
 */
export class Pid<M = unknown> {
  /** Phantom: the messages this process accepts (type-level only). */
  declare readonly __message?: M;
  /** The node's id in its cluster (0 on a system started without `node`); a restarted node gets a new one. */
  readonly node: number;
  /** The thread that hosts the process: 0 = main, 1..N = shards. */
  readonly shard: number;
  /** Never reused within a node, even across shard restarts. */
  readonly serial: number;

  constructor(node: number, shard: number, serial: number) {
    // (A shard of 1.5 or -1 would be routed as a thread of its own: a ring no thread reads, holding up the sender's output.)
    if (!isIndex(node) || !isIndex(shard) || shard >= MAX_THREADS || !isIndex(serial)) {
      throw new InvalidArgumentError(`a Pid is <node.shard.serial>, whole numbers >= 0 with shard below ${MAX_THREADS}, got <${String(node)}.${String(shard)}.${String(serial)}>`);
    }
    this.node = node;
    this.shard = shard;
    this.serial = serial;
  }

  /**
   * `serial * 4096 + shard`: unique among the pids of one node (see
   * {@link pidKey} across nodes). Computed, not stored: past serial 2^19 it
   * is no small integer, and a field holding one gives every pid a boxed
   * number of its own (a pid is made per spawn).
   */
  get key(): number {
    return this.serial * MAX_THREADS + this.shard;
  }

  /** True when both name the same process. */
  equals(other: Pid<unknown> | null | undefined): boolean {
    return other != null && other.serial === this.serial && other.shard === this.shard && other.node === this.node;
  }

  toString(): string {
    return `<${this.node}.${this.shard}.${this.serial}>`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Pid${this.toString()}`;
  }

  /** Recognises pids from any copy of this package (the brand is a `Symbol.for`). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** Parses `<node.shard.serial>` (as printed by `toString`). */
  static parse(text: string): Pid {
    const m = /^<(\d+)\.(\d+)\.(\d+)>$/.exec(text);
    if (m === null) throw new InvalidArgumentError(`not a pid: ${JSON.stringify(text)} (expected <node.shard.serial>)`);
    return new Pid(Number(m[1]), Number(m[2]), Number(m[3]));
  }
}

Object.defineProperty(Pid.prototype, BRAND, { value: true });

/**
 * The main thread itself: the parent of processes spawned from main code,
 * and the sender of `system.exit`. A trapping GenServer or supervisor spawned
 * from main stops when it gets an exit signal from it, like from any parent.
 */
export const MAIN_PID = new Pid(0, 0, 0);

/**
 * A Map key unique across nodes: `key` for the pids of a system without
 * nodes (node 0), otherwise one that includes the node (links hold pids of
 * several nodes; their `key`s alone may collide).
 */
export function pidKey(pid: Pid<unknown>): number | string {
  return pid.node === 0 ? pid.key : `${pid.node}.${pid.key}`;
}

/** True for a {@link Pid} (including one rebuilt on another thread). */
export function isPid(value: unknown): value is Pid<unknown> {
  // The brand read directly: `instanceof Pid` goes through V8's generic path and a call to
  // Symbol.hasInstance (~4% of a sending shard's samples when a send used it).
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
