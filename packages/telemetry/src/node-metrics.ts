// The distribution metrics of a node, written by its main thread into the main thread's region: per peer, slots cached.

import {
  CATALOGUE,
  NETWORK_LATENCY,
  NODE_CONNECTIONS_ACTIVE,
  NODE_CONNECTION_ESTABLISHED,
  NODE_CONNECTION_LOST,
  REMOTE_MESSAGES_FAILED,
  REMOTE_MESSAGES_SENT,
  SERIALIZATION_ERRORS,
  metricId,
} from './catalogue.js';

/** Why messages to another node failed: the spec's reason labels. */
export type RemoteFailReason = 'reconnect_failed' | 'write_failed' | 'flush_failed' | 'connection_failed' | 'serialization_error';

/** What a node's connection layer records. Counts are per event; nothing here runs per message except one add. */
export interface NodeMetricsWriter {
  /** `n` messages went out to `node`. */
  remoteSent(node: string, n: number): void;
  /** `n` messages to `node` failed (or were never confirmed before its connection was lost). */
  remoteFailed(node: string, reason: RemoteFailReason, n: number): void;
  /** A connection to `node` is up. */
  connected(node: string): void;
  /** The connection to `node` was lost. */
  lost(node: string): void;
  /** A round trip to `node` took `ms`. */
  latency(node: string, ms: number): void;
  /** A message could not be encoded for the network. */
  serializationError(): void;
}

/** Metrics off. */
export const NOOP_NODE_METRICS: NodeMetricsWriter = Object.freeze({
  remoteSent: () => {},
  remoteFailed: () => {},
  connected: () => {},
  lost: () => {},
  latency: () => {},
  serializationError: () => {},
});

const I_SENT = metricId(REMOTE_MESSAGES_SENT);
const I_FAILED = metricId(REMOTE_MESSAGES_FAILED);
const I_ACTIVE = metricId(NODE_CONNECTIONS_ACTIVE);
const I_ESTABLISHED = metricId(NODE_CONNECTION_ESTABLISHED);
const I_LOST = metricId(NODE_CONNECTION_LOST);
const I_LATENCY = metricId(NETWORK_LATENCY);
const I_SERIALIZATION = metricId(SERIALIZATION_ERRORS);
const LATENCY_BUCKETS = CATALOGUE[I_LATENCY]!.buckets!;

/** The slot of a series (allocated and announced the first time). */
export type SeriesOf = (metric: number, labels: string[]) => number;

/** A region writer's distribution metrics: one Map lookup per call, by node name. */
export class RegionNodeMetrics implements NodeMetricsWriter {
  readonly #slots: Float64Array;
  readonly #series: SeriesOf;
  readonly #sent = new Map<string, number>();
  readonly #active: number;
  readonly #serialization: number;

  constructor(slots: Float64Array, series: SeriesOf) {
    this.#slots = slots;
    this.#series = series;
    // Announced at once: a node with no peers yet shows 0 connections, not nothing.
    this.#active = series(I_ACTIVE, []);
    this.#serialization = series(I_SERIALIZATION, []);
  }

  remoteSent(node: string, n: number): void {
    let slot = this.#sent.get(node);
    if (slot === undefined) {
      slot = this.#series(I_SENT, [node]);
      this.#sent.set(node, slot);
    }
    this.#slots[slot]! += n;
  }

  remoteFailed(node: string, reason: RemoteFailReason, n: number): void {
    this.#slots[this.#series(I_FAILED, [node, reason])]! += n;
  }

  connected(node: string): void {
    this.#slots[this.#series(I_ESTABLISHED, [node])]!++;
    this.#slots[this.#active]!++;
  }

  lost(node: string): void {
    this.#slots[this.#series(I_LOST, [node])]!++;
    this.#slots[this.#active]!--;
  }

  latency(node: string, ms: number): void {
    const base = this.#series(I_LATENCY, [node]);
    const v = ms / 1000;
    const b = LATENCY_BUCKETS;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    const r = this.#slots;
    r[base + i]!++;
    r[base + b.length + 1]! += v;
    r[base + b.length + 2]!++;
  }

  serializationError(): void {
    this.#slots[this.#serialization]!++;
  }
}
