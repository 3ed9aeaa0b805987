// The metric catalogue: every metric of the joerl telemetry contract, with its exact name, type and labels, in one place.

// Actor lifecycle
export const ACTORS_SPAWNED = 'joerl_actors_spawned_total';
export const ACTORS_STOPPED = 'joerl_actors_stopped_total';
export const ACTORS_ACTIVE = 'joerl_actors_active';
export const ACTORS_PANICKED = 'joerl_actors_panicked_total';
export const ACTOR_LIFETIME = 'joerl_actor_lifetime_seconds';
export const SHORT_LIVED_ACTORS = 'joerl_short_lived_actors_total';
// Messages
export const MESSAGES_SENT = 'joerl_messages_sent_total';
export const MESSAGES_SENT_FAILED = 'joerl_messages_sent_failed_total';
export const MESSAGES_PROCESSED = 'joerl_messages_processed_total';
export const MESSAGE_PROCESSING = 'joerl_message_processing_duration_seconds';
export const MESSAGE_QUEUE_WAIT = 'joerl_message_queue_wait_seconds';
// Mailboxes
export const MAILBOX_DEPTH = 'joerl_mailbox_depth';
export const MAILBOX_UTILIZATION = 'joerl_mailbox_utilization_percent';
export const MAILBOX_FULL = 'joerl_mailbox_full_total';
// Links and monitors
export const LINKS_CREATED = 'joerl_links_created_total';
export const MONITORS_CREATED = 'joerl_monitors_created_total';
// Supervisors
export const SUPERVISOR_RESTARTS = 'joerl_supervisor_restarts_total';
export const SUPERVISOR_INTENSITY_EXCEEDED = 'joerl_supervisor_restart_intensity_exceeded_total';
export const SUPERVISOR_RESTART_DURATION = 'joerl_supervisor_restart_duration_seconds';
// GenServer
export const GEN_SERVER_CALL_DURATION = 'joerl_gen_server_call_duration_seconds';
export const GEN_SERVER_CASTS = 'joerl_gen_server_casts_total';
export const GEN_SERVER_CALL_TIMEOUTS = 'joerl_gen_server_call_timeouts_total';
export const GEN_SERVER_CALLS_IN_FLIGHT = 'joerl_gen_server_calls_in_flight';
// GenStatem
export const GEN_STATEM_TRANSITIONS = 'joerl_gen_statem_transitions_total';
export const GEN_STATEM_INVALID_TRANSITIONS = 'joerl_gen_statem_invalid_transitions_total';
export const GEN_STATEM_STATE_DURATION = 'joerl_gen_statem_state_duration_seconds';
export const GEN_STATEM_CURRENT_STATE = 'joerl_gen_statem_current_state';
// Signals
export const SIGNALS_SENT = 'joerl_signals_sent_total';
export const SIGNALS_RECEIVED = 'joerl_signals_received_total';
export const SIGNALS_IGNORED = 'joerl_signals_ignored_total';
export const EXIT_SIGNALS_BY_REASON = 'joerl_exit_signals_by_reason_total';
// Distribution (emitted by the main thread of a node)
export const REMOTE_MESSAGES_SENT = 'joerl_remote_messages_sent_total';
export const REMOTE_MESSAGES_FAILED = 'joerl_remote_messages_failed_total';
export const NODE_CONNECTIONS_ACTIVE = 'joerl_node_connections_active';
export const NODE_CONNECTION_ESTABLISHED = 'joerl_node_connection_established_total';
export const NODE_CONNECTION_LOST = 'joerl_node_connection_lost_total';
export const NETWORK_LATENCY = 'joerl_network_latency_seconds';
export const SERIALIZATION_ERRORS = 'joerl_serialization_errors_total';
// Memory
export const SYSTEM_MEMORY = 'joerl_system_memory_bytes';
export const MAILBOX_MEMORY = 'joerl_mailbox_memory_bytes';
export const MAILBOX_MEMORY_TOTAL = 'joerl_mailbox_memory_total_bytes';

// Inputs of derived metrics (not exposed)
export const BOUNDED_DEPTH = 'joerl_internal_bounded_mailbox_depth';
export const BOUNDED_CAPACITY = 'joerl_internal_bounded_mailbox_capacity';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** How the main thread builds a metric's value. */
export type Source =
  | 'shards' //    summed over every thread's region (and the retired totals of dead shards)
  | 'hidden' //    like 'shards', but only an input to derived metrics (never exposed)
  | 'derived' //   computed at scrape time from other series (utilization, mailbox memory)
  | 'main' //      read once on the main thread (process memory)
  | 'none'; //     declared only (no metric uses it today)

export interface MetricDef {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
  readonly source: Source;
}

/** Short operations, in seconds: 5 us to 10 s. */
export const LATENCY_BUCKETS = [
  0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;
/** Lifetimes and time in a state, in seconds: 1 ms to 1 h. */
export const LIFETIME_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] as const;

const def = (name: string, type: MetricType, help: string, labels: readonly string[] = [], source: Source = 'shards', buckets?: readonly number[]): MetricDef =>
  buckets === undefined ? { name, type, help, labels, source } : { name, type, help, labels, source, buckets };

/** Every metric, in exposition order. Index = metric id in the shard regions' announcements. */
export const CATALOGUE: readonly MetricDef[] = [
  def(ACTORS_SPAWNED, 'counter', 'Actors started, by behaviour', ['type']),
  def(ACTORS_STOPPED, 'counter', 'Actors that exited, by behaviour and exit reason', ['type', 'reason']),
  def(ACTORS_ACTIVE, 'gauge', 'Actors alive now, by behaviour', ['type']),
  def(ACTORS_PANICKED, 'counter', 'Actors that exited because a handler threw, by behaviour', ['type']),
  def(ACTOR_LIFETIME, 'histogram', 'How long actors lived, by behaviour', ['type'], 'shards', LIFETIME_BUCKETS),
  def(SHORT_LIVED_ACTORS, 'counter', 'Actors that exited within a second of starting (restart loops show here)', ['type']),
  def(MESSAGES_SENT, 'counter', 'Messages accepted for delivery (sampled by messageSamplingRate)'),
  def(MESSAGES_SENT_FAILED, 'counter', 'Messages that could not be delivered, by reason (never sampled)', ['reason']),
  def(MESSAGES_PROCESSED, 'counter', 'Messages handled by actors (sampled by messageSamplingRate)'),
  def(MESSAGE_PROCESSING, 'histogram', 'Time a handler took per message (sampled by messageSamplingRate)', [], 'shards', LATENCY_BUCKETS),
  def(MESSAGE_QUEUE_WAIT, 'histogram', 'Time from send to the start of handling (sampled by queueWaitSamplingRate)', [], 'shards', LATENCY_BUCKETS),
  def(MAILBOX_DEPTH, 'gauge', 'Messages waiting in mailboxes, by behaviour', ['type']),
  def(MAILBOX_UTILIZATION, 'gauge', 'Fill level of bounded mailboxes in percent (0-100), by behaviour', ['type'], 'derived'),
  def(MAILBOX_FULL, 'counter', 'Messages refused because a mailbox was full, by behaviour', ['type']),
  def(LINKS_CREATED, 'counter', 'Links created'),
  def(MONITORS_CREATED, 'counter', 'Monitors created'),
  def(SUPERVISOR_RESTARTS, 'counter', 'Children restarted by supervisors, by strategy', ['strategy']),
  def(SUPERVISOR_INTENSITY_EXCEEDED, 'counter', 'Supervisors that gave up because restarts exceeded their intensity'),
  def(SUPERVISOR_RESTART_DURATION, 'histogram', 'Time to start a replacement child', [], 'shards', LATENCY_BUCKETS),
  def(GEN_SERVER_CALL_DURATION, 'histogram', 'Time from a call being sent to its reply, by server behaviour', ['type'], 'shards', LATENCY_BUCKETS),
  def(GEN_SERVER_CASTS, 'counter', 'Casts handled, by server behaviour', ['type']),
  def(GEN_SERVER_CALL_TIMEOUTS, 'counter', 'Calls answered after their caller had given up, by server behaviour', ['type']),
  def(GEN_SERVER_CALLS_IN_FLIGHT, 'gauge', 'Calls taken by a server and not yet answered, by server behaviour', ['type']),
  def(GEN_STATEM_TRANSITIONS, 'counter', 'State changes, by machine behaviour and states', ['type', 'from', 'to']),
  def(GEN_STATEM_INVALID_TRANSITIONS, 'counter', 'Events refused by a transition table, by machine behaviour, state and event', ['type', 'state', 'event']),
  def(GEN_STATEM_STATE_DURATION, 'histogram', 'Time spent in a state before leaving it, by machine behaviour and state', ['type', 'state'], 'shards', LIFETIME_BUCKETS),
  def(GEN_STATEM_CURRENT_STATE, 'gauge', 'Machines in each state now, by machine behaviour', ['type', 'state']),
  def(SIGNALS_SENT, 'counter', 'Signals sent, by kind (exit, down, stop, kill; sampled by signalSamplingRate)', ['type']),
  def(SIGNALS_RECEIVED, 'counter', 'Signals received, by kind (sampled by signalSamplingRate)', ['type']),
  def(SIGNALS_IGNORED, 'counter', 'Exit signals a trapping process took as messages, by kind', ['type']),
  def(EXIT_SIGNALS_BY_REASON, 'counter', 'Exit signals sent, by reason (sampled by signalSamplingRate)', ['reason']),
  def(REMOTE_MESSAGES_SENT, 'counter', 'Messages sent to other nodes, by node', ['target_node']),
  def(REMOTE_MESSAGES_FAILED, 'counter', 'Messages to other nodes that failed, by node and reason', ['target_node', 'reason']),
  def(NODE_CONNECTIONS_ACTIVE, 'gauge', 'Connections to other nodes now'),
  def(NODE_CONNECTION_ESTABLISHED, 'counter', 'Connections to other nodes established, by node', ['node']),
  def(NODE_CONNECTION_LOST, 'counter', 'Connections to other nodes lost, by node', ['node']),
  def(NETWORK_LATENCY, 'histogram', 'Round-trip latency to other nodes, by node', ['node'], 'shards', LATENCY_BUCKETS),
  def(SERIALIZATION_ERRORS, 'counter', 'Messages that could not be encoded for another thread or node'),
  def(SYSTEM_MEMORY, 'gauge', 'Resident memory of the whole process (Linux), in bytes', [], 'main'),
  def(MAILBOX_MEMORY, 'gauge', 'Estimated memory held by queued messages, by behaviour, in bytes', ['type'], 'derived'),
  def(MAILBOX_MEMORY_TOTAL, 'gauge', 'Estimated memory held by all queued messages, in bytes', [], 'derived'),
  def(BOUNDED_DEPTH, 'gauge', 'Messages waiting in bounded mailboxes, by behaviour', ['type'], 'hidden'),
  def(BOUNDED_CAPACITY, 'gauge', 'Capacity of the bounded mailboxes of live actors, by behaviour', ['type'], 'hidden'),
];

/** Metric id by name. */
export const METRIC_ID: ReadonlyMap<string, number> = new Map(CATALOGUE.map((m, i) => [m.name, i]));

export function metricId(name: string): number {
  const id = METRIC_ID.get(name);
  if (id === undefined) throw new Error(`joerl internal error: no metric ${name} in the catalogue`);
  return id;
}

/** Region slots a series of this metric takes: 1, or for a histogram one per bucket, +Inf, sum and count. */
export function slotsOf(def: MetricDef): number {
  return def.type === 'histogram' ? def.buckets!.length + 3 : 1;
}

/** Estimated bytes per queued message (envelope, array slot, a small object): the mailbox-memory gauges use it. */
export const ESTIMATED_BYTES_PER_QUEUED_MESSAGE = 96;
