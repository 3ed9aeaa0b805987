// The telemetry observer of a thread that does not trace: its sends carry no trace context, as compiled code can see.

import type { ShardInit } from './protocol.js';
import type { LocalSinks, ShardState } from './shard-state.js';
import { TelemetryObserver } from './telemetry-observer.js';

/**
 * TelemetryObserver with tracing off (metrics or a provider only). Its
 * `traceSend` returns undefined outright, so a send that inlines it knows
 * the send carries no context and drops every test of one (the self-send
 * check, the context handed to the mailbox, the mailbox's traced push), as
 * with NOOP_OBSERVER: the base class's `tracing === null` is a field V8
 * must read on every send. Shard-thread CPU of Savina's Fork-join
 * throughput at 100%: see ARCHITECTURE.md, *Telemetry: one observer*.
 */
export class UntracedObserver extends TelemetryObserver {
  override traceSend(): undefined {
    return undefined;
  }
}

/** The thread's telemetry observer: UntracedObserver unless `init` turns tracing on. */
export function telemetryObserver(s: ShardState, init: ShardInit, local: LocalSinks): TelemetryObserver {
  return init.tracing === null ? new UntracedObserver(s, init, local) : new TelemetryObserver(s, init, local);
}
