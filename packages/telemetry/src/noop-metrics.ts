// Telemetry off: a writer that records nothing and owns no shared memory.

import { performance } from 'node:perf_hooks';
import type { MetricsWriter } from './metrics-writer.js';
import { NOOP_NODE_METRICS } from './node-metrics.js';
import { TypeMetrics } from './type-metrics.js';

const ORIGIN = performance.timeOrigin;
const nothing = (): void => {};
/** Slots that point nowhere: a type's series are never written with telemetry off. */
const NO_TYPE = new TypeMetrics(() => 0, '');

/** The writer of a thread with telemetry off (OTel's NoopMeter pattern: the same interface, no work). */
export const NOOP_METRICS: MetricsWriter = Object.freeze({
  timesInBlocks: false,
  type: () => NO_TYPE,
  now: () => ORIGIN + performance.now(),
  hold: nothing,
  release: nothing,
  sampleMessage: () => false,
  sent: nothing,
  sentMany: nothing,
  sendStamp: () => NaN,
  sendFailed: nothing,
  processedBlock: nothing,
  queueWait: nothing,
  mailboxDelta: nothing,
  spawned: nothing,
  stopped: nothing,
  linkCreated: nothing,
  monitorCreated: nothing,
  signalSent: nothing,
  signalReceived: nothing,
  supervisorRestart: nothing,
  intensityExceeded: nothing,
  cast: nothing,
  callTaken: nothing,
  callDone: nothing,
  callTimedOut: nothing,
  statemEnter: nothing,
  statemTransition: nothing,
  statemInvalid: nothing,
  nodeMetrics: () => NOOP_NODE_METRICS,
});
