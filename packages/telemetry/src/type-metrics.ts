// The metric slots of one behaviour type on one thread, allocated when its first actor starts there.

import {
  ACTORS_ACTIVE,
  ACTORS_PANICKED,
  ACTORS_SPAWNED,
  ACTORS_STOPPED,
  ACTOR_LIFETIME,
  BOUNDED_CAPACITY,
  BOUNDED_DEPTH,
  MAILBOX_DEPTH,
  MAILBOX_FULL,
  SHORT_LIVED_ACTORS,
  metricId,
} from './catalogue.js';

/** Exit reason classes, in label order. */
export const REASONS = ['normal', 'shutdown', 'killed', 'panic', 'custom'] as const;
export type ReasonLabel = (typeof REASONS)[number];

const I_SPAWNED = metricId(ACTORS_SPAWNED);
const I_STOPPED = metricId(ACTORS_STOPPED);
const I_ACTIVE = metricId(ACTORS_ACTIVE);
const I_PANICKED = metricId(ACTORS_PANICKED);
const I_LIFETIME = metricId(ACTOR_LIFETIME);
const I_SHORT = metricId(SHORT_LIVED_ACTORS);
const I_DEPTH = metricId(MAILBOX_DEPTH);
const I_FULL = metricId(MAILBOX_FULL);
const I_BDEPTH = metricId(BOUNDED_DEPTH);
const I_BCAP = metricId(BOUNDED_CAPACITY);

/** Slots of one behaviour type on one thread, allocated when its first actor starts here. */
export class TypeMetrics {
  readonly name: string;
  readonly spawned: number;
  readonly active: number;
  readonly panicked: number;
  readonly lifetime: number;
  readonly shortLived: number;
  readonly depth: number;
  readonly full: number;
  readonly boundedDepth: number;
  readonly capacity: number;
  readonly stopped: number[];
  /** GenServer series, allocated on the first call or cast. */
  casts = -1;
  callDuration = -1;
  callTimeouts = -1;
  inFlight = -1;
  /** GenStatem series by state / state pair, allocated on first use. */
  readonly statem = new Map<string, number>();

  constructor(series: (metric: number, labels: string[]) => number, name: string) {
    this.name = name;
    const l = [name];
    this.spawned = series(I_SPAWNED, l);
    this.active = series(I_ACTIVE, l);
    this.panicked = series(I_PANICKED, l);
    this.lifetime = series(I_LIFETIME, l);
    this.shortLived = series(I_SHORT, l);
    this.depth = series(I_DEPTH, l);
    this.full = series(I_FULL, l);
    this.boundedDepth = series(I_BDEPTH, l);
    this.capacity = series(I_BCAP, l);
    this.stopped = REASONS.map((r) => series(I_STOPPED, [name, r]));
  }
}
