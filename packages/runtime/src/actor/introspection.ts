// What introspection reports: process rows, one process's detail, supervisors and shard figures (plain data).

import type { Pid } from './pid.js';

/** A process's state, as introspection names it. */
export type ProcessStatus = 'running' | 'waiting' | 'idle' | 'exiting' | 'starting';

/** Columns `processes()` can sort by (descending). */
export type ProcessSortKey = 'reductions' | 'mailbox' | 'memory' | 'links' | 'monitors';

/** A query for `processes()`. */
export interface ProcessQuery {
  /** Sort key, descending (default `'reductions'`). */
  sortBy?: ProcessSortKey;
  /** At most this many rows (default 100; each shard computes its own top-N). */
  limit?: number;
  /** Only this shard. */
  shard?: number;
  /** Only this node's processes: its id (`system.node.id`, 0 without a node); another node's id gives none (nodes answer for themselves). */
  node?: number;
  /** Only processes whose registered name, type or pid text contains this (case-insensitive), filtered on each shard before its top-N. */
  match?: string;
  /** Wait at most this long (ms) for each shard: a shard that has not answered by then (stalled in a handler) is left out. Default: wait for every shard. */
  timeoutMs?: number;
  /**
   * Called with each shard left out of the answer: it did not answer within
   * `timeoutMs`, or it still holds an earlier question of the same kind that
   * was given up on (a stalled shard is asked again only once it has
   * answered that one, so questions do not pile up behind its stall), or
   * the question failed there (the shard went down meanwhile). If it throws,
   * the question rejects with what it threw.
   */
  onSilent?: (shard: number) => void;
}

/** How long a request that asks every shard waits for each (`supervisionTree`, `shardFigures`). */
export interface AnswerOptions {
  /** Wait at most this long (ms) for each shard; one that has not answered by then (stalled in a handler) is left out. Default: wait for every shard. */
  timeoutMs?: number;
  /** Called with each shard left out of the answer (see ProcessQuery's `onSilent`). */
  onSilent?: (shard: number) => void;
}

/** One process, as `processes()` lists it. */
export interface ProcessRow {
  pid: Pid;
  /** Its registered names, first one (undefined: none). */
  name: string | undefined;
  /** Its behaviour's name (the `type` label). */
  type: string;
  /** The behaviour kind: `actor`, `gen_server`, `gen_statem`, `supervisor`. */
  behaviour: string;
  shard: number;
  node: number;
  status: ProcessStatus;
  /** Messages queued. */
  mailbox: number;
  /** Messages handled per second over the last sampling interval (our "reductions"). */
  reductions: number;
  /** Estimated bytes held by its mailbox (the mailbox memory metric's estimate). */
  memory: number;
  links: number;
  monitors: number;
  /** Who spawned it. */
  parent: Pid | undefined;
}

/** One process in detail (`processInfo`). Messages and state are rendered safely, as truncated text. */
export interface ProcessDetail extends ProcessRow {
  /** Its links, at most MAX_REPORTED_RELATIONS (200) of them; `more.linkedTo` counts the rest. */
  linkedTo: Pid[];
  /** Monitors it holds: ref and watched pid (at most 200, as every list here). */
  monitorsHeld: { ref: number; pid: Pid }[];
  /** Monitors on it: ref and watcher. */
  monitoredBy: { ref: number; pid: Pid }[];
  trapExit: boolean;
  /** Timers it set that have not fired. */
  timers: number[];
  /** How many of each list were left out: a supervisor of 50,000 children is not shipped whole to a page. */
  more: { linkedTo: number; monitorsHeld: number; monitoredBy: number; timers: number };
  /** The first queued messages, rendered (see `messages` in the options). */
  queue: string[];
  /** Messages handled since it started. */
  handled: number;
}

/** The most links, monitors (each way) and timers `processInfo` lists; `more` counts the rest. */
export const MAX_REPORTED_RELATIONS = 200;

/** The most children a supervisor reports to introspection; `moreChildren` counts the rest. */
export const MAX_REPORTED_CHILDREN = 200;

/** A supervisor and its children (`supervisionTree()`). */
export interface SupervisorNode {
  pid: Pid;
  name: string | undefined;
  type: string;
  shard: number;
  /** Who started it (its own supervisor, for one inside a tree). */
  parent: Pid | undefined;
  strategy: string;
  intensity: { maxRestarts: number; withinMs: number };
  /** Its first children in start order, at most MAX_REPORTED_CHILDREN (200). */
  children: SupervisedChild[];
  /** Children left out of `children`: a supervisor of 5,000 is not shipped whole to every snapshot. */
  moreChildren: number;
}

/** A child as its supervisor reports it; `supervisor` is set when the child is itself a supervisor. */
export interface SupervisedChild {
  id: string;
  pid: Pid | undefined;
  restart: string;
  type: 'worker' | 'supervisor';
  /** Restarts of this child so far. */
  restarts: number;
  supervisor?: SupervisorNode;
}

/** Live figures of one shard. */
export interface ShardFigures {
  shard: number;
  actors: number;
  runQueue: number;
  /** Messages delivered per second over the last sampling interval. */
  msgsPerSec: number;
  /** Messages queued in all its mailboxes. */
  queued: number;
  heapUsed: number;
  heapTotal: number;
  lagMs: number;
  ringFill: number;
}
