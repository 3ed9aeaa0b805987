// Generates dashboards/joerl.json, the Grafana dashboard: the panels the telemetry spec's PromQL examples describe.
//
//   node scripts/dashboard.mjs          writes dashboards/joerl.json
//   node scripts/dashboard.mjs --check  exits 1 if the file is not what this script writes
//
// The spec's examples put `by (...)` after rate(), which PromQL rejects; here
// every grouping is an aggregation (`sum by (type) (rate(...))`), and every
// query is filtered by the $instance variable.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards', 'joerl.json');
const DS = { type: 'prometheus', uid: '${datasource}' };
const R = '$__rate_interval';
/** `metric{instance=~"$instance",extra}` */
const sel = (metric, extra = '') => `${metric}{instance=~"$instance"${extra ? `,${extra}` : ''}}`;
const rate = (metric, extra) => `rate(${sel(metric, extra)}[${R}])`;
const quantiles = (metric, by = []) =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (${rate(`${metric}_bucket`)}))`,
    legend: `${by.map((b) => `{{${b}}} `).join('')}p${Math.round(q * 100)}`,
  }));

let nextId = 1;
let y = 0;
const panels = [];

function row(title, children, { collapsed = false } = {}) {
  const r = { id: nextId++, type: 'row', title, collapsed, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] };
  panels.push(r);
  let x = 0;
  let rowHeight = 0;
  for (const c of children) {
    const w = c.w ?? 8;
    const h = c.h ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const p = panel(c, { h, w, x, y });
    (collapsed ? r.panels : panels).push(p);
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  y += rowHeight;
}

function panel({ title, description, type = 'timeseries', unit = 'short', targets, stack = false, thresholds, min }, gridPos) {
  const defaults = { unit, color: { mode: type === 'stat' ? 'thresholds' : 'palette-classic' } };
  if (min !== undefined) defaults.min = min;
  if (thresholds) defaults.thresholds = { mode: 'absolute', steps: thresholds.map(([value, color]) => ({ value, color })) };
  if (type === 'timeseries') defaults.custom = { drawStyle: 'line', lineWidth: 1, fillOpacity: stack ? 30 : 10, stacking: { mode: stack ? 'normal' : 'none', group: 'A' }, showPoints: 'never' };
  const options =
    type === 'stat'
      ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'area', textMode: 'auto', justifyMode: 'auto', orientation: 'auto' }
      : { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } };
  return {
    id: nextId++,
    type,
    title,
    ...(description ? { description } : {}),
    datasource: DS,
    gridPos,
    fieldConfig: { defaults, overrides: [] },
    options,
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: DS, expr: t.expr, legendFormat: t.legend ?? '__auto', range: true })),
  };
}

// --- Health: the health model's rules as PromQL, and firing alerts --------------
row('Health', [
  { title: 'Active actors', type: 'stat', w: 4, h: 5, targets: [{ expr: `sum(${sel('joerl_actors_active')})` }] },
  {
    title: 'Panic rate (5m)',
    description: 'Actors that panicked / actors alive or started in the last 5 minutes (the health model\'s maxPanicRate, default 1%).',
    type: 'stat', w: 5, h: 5, unit: 'percentunit', thresholds: [[null, 'green'], [0.01, 'red']],
    targets: [{ expr: `sum(increase(${sel('joerl_actors_panicked_total')}[5m])) / clamp_min(sum(${sel('joerl_actors_active')}) + sum(increase(${sel('joerl_actors_spawned_total')}[5m])), 1)` }],
  },
  {
    title: 'Restart rate (5m)',
    description: 'Supervisor restarts / actors stopped in the last 5 minutes (the health model\'s maxRestartRate, default 5%).',
    type: 'stat', w: 5, h: 5, unit: 'percentunit', thresholds: [[null, 'green'], [0.05, 'orange']],
    targets: [{ expr: `sum(increase(${sel('joerl_supervisor_restarts_total')}[5m])) / clamp_min(sum(increase(${sel('joerl_actors_stopped_total')}[5m])), 1)` }],
  },
  {
    title: 'Backpressure rate (5m)',
    description: 'Messages refused by full mailboxes / messages sent in the last 5 minutes (maxBackpressureRate, default 10%). messages_sent is sampled: multiply by 100 / messageSamplingRate if you sample.',
    type: 'stat', w: 5, h: 5, unit: 'percentunit', thresholds: [[null, 'green'], [0.1, 'orange']],
    targets: [{ expr: `sum(increase(${sel('joerl_mailbox_full_total')}[5m])) / clamp_min(sum(increase(${sel('joerl_messages_sent_total')}[5m])) + sum(increase(${sel('joerl_mailbox_full_total')}[5m])), 1)` }],
  },
  {
    title: 'Firing joerl alerts', type: 'stat', w: 5, h: 5, thresholds: [[null, 'green'], [1, 'red']],
    description: 'Alerts from alerts/joerl.rules.yml that are firing now.',
    targets: [{ expr: `count(ALERTS{alertname=~"Joerl.*",alertstate="firing",instance=~"$instance"}) or vector(0)` }],
  },
]);

// --- Actors ---------------------------------------------------------------
row('Actors', [
  { title: 'Active actors by type', stack: true, targets: [{ expr: `sum by (type) (${sel('joerl_actors_active')})`, legend: '{{type}}' }] },
  { title: 'Spawned per second by type', unit: 'ops', targets: [{ expr: `sum by (type) (${rate('joerl_actors_spawned_total')})`, legend: '{{type}}' }] },
  { title: 'Stopped per second by type and reason', unit: 'ops', targets: [{ expr: `sum by (type, reason) (${rate('joerl_actors_stopped_total')}) > 0`, legend: '{{type}} {{reason}}' }] },
  { title: 'Panics per second by type (top 5)', unit: 'ops', targets: [{ expr: `topk(5, sum by (type) (${rate('joerl_actors_panicked_total')}))`, legend: '{{type}}' }] },
  { title: 'Actor lifetime', unit: 's', targets: [...quantiles('joerl_actor_lifetime_seconds'), { expr: `sum(${rate('joerl_actor_lifetime_seconds_sum')}) / sum(${rate('joerl_actor_lifetime_seconds_count')})`, legend: 'mean' }] },
  { title: 'Short-lived actors per second (restart loops)', unit: 'ops', targets: [{ expr: `topk(5, sum by (type) (${rate('joerl_short_lived_actors_total')}))`, legend: '{{type}}' }] },
]);

// --- Messages ---------------------------------------------------------------
row('Messages', [
  {
    title: 'Message throughput', unit: 'ops',
    description: 'sent and processed are sampled by messageSamplingRate (multiply by 100 / rate); failures are never sampled.',
    targets: [
      { expr: `sum(${rate('joerl_messages_sent_total')})`, legend: 'sent' },
      { expr: `sum(${rate('joerl_messages_processed_total')})`, legend: 'processed' },
      { expr: `sum by (reason) (${rate('joerl_messages_sent_failed_total')})`, legend: 'failed: {{reason}}' },
    ],
  },
  { title: 'Processing time per message', unit: 's', targets: [...quantiles('joerl_message_processing_duration_seconds'), { expr: `sum(${rate('joerl_message_processing_duration_seconds_sum')}) / sum(${rate('joerl_message_processing_duration_seconds_count')})`, legend: 'mean' }] },
  { title: 'Queue wait (send to handling)', unit: 's', targets: [...quantiles('joerl_message_queue_wait_seconds'), { expr: `sum(${rate('joerl_message_queue_wait_seconds_sum')}) / sum(${rate('joerl_message_queue_wait_seconds_count')})`, legend: 'mean' }] },
]);

// --- Mailboxes --------------------------------------------------------------
row('Mailboxes', [
  { title: 'Mailbox depth by type', w: 6, targets: [{ expr: `sum by (type) (${sel('joerl_mailbox_depth')})`, legend: '{{type}}' }] },
  { title: 'Mailbox utilization (top 5)', w: 6, unit: 'percent', min: 0, targets: [{ expr: `topk(5, max by (type) (${sel('joerl_mailbox_utilization_percent')}))`, legend: '{{type}}' }] },
  { title: 'Full-mailbox refusals per second', w: 6, unit: 'ops', targets: [{ expr: `sum by (type) (${rate('joerl_mailbox_full_total')})`, legend: '{{type}}' }] },
  {
    title: 'Memory', w: 6, unit: 'bytes',
    targets: [
      { expr: `sum(${sel('joerl_system_memory_bytes')})`, legend: 'process RSS' },
      { expr: `sum(${sel('joerl_mailbox_memory_total_bytes')})`, legend: 'queued messages' },
      { expr: `topk(5, sum by (type) (${sel('joerl_mailbox_memory_bytes')}))`, legend: 'queued for {{type}}' },
    ],
  },
]);

// --- Supervisors ----------------------------------------------------------------
row('Supervisors', [
  {
    title: 'Restarts per second by strategy', unit: 'ops',
    targets: [
      { expr: `sum by (strategy) (${rate('joerl_supervisor_restarts_total')})`, legend: '{{strategy}}' },
      { expr: `sum(${rate('joerl_supervisor_restart_intensity_exceeded_total')})`, legend: 'gave up (intensity exceeded)' },
    ],
  },
  { title: 'Restart time (crash to replacement running)', unit: 's', targets: quantiles('joerl_supervisor_restart_duration_seconds') },
  { title: 'Exit signals per second by reason', unit: 'ops', targets: [{ expr: `sum by (reason) (${rate('joerl_exit_signals_by_reason_total')})`, legend: '{{reason}}' }] },
]);

// --- GenServer --------------------------------------------------------------------
row('GenServer', [
  { title: 'Call latency by type', unit: 's', targets: [...quantiles('joerl_gen_server_call_duration_seconds', ['type']), { expr: `sum by (type) (${rate('joerl_gen_server_call_duration_seconds_sum')}) / sum by (type) (${rate('joerl_gen_server_call_duration_seconds_count')})`, legend: '{{type}} mean' }] },
  {
    title: 'Calls and casts per second', unit: 'ops',
    targets: [
      { expr: `sum by (type) (${rate('joerl_gen_server_call_duration_seconds_count')})`, legend: '{{type}} calls' },
      { expr: `sum by (type) (${rate('joerl_gen_server_casts_total')})`, legend: '{{type}} casts' },
      { expr: `sum by (type) (${rate('joerl_gen_server_call_timeouts_total')})`, legend: '{{type}} timed out' },
    ],
  },
  { title: 'Calls in flight', targets: [{ expr: `sum by (type) (${sel('joerl_gen_server_calls_in_flight')})`, legend: '{{type}}' }] },
]);

// --- GenStatem ---------------------------------------------------------------------
row('GenStatem', [
  { title: 'Transitions per second (top 10)', w: 12, unit: 'ops', targets: [{ expr: `topk(10, sum by (type, from, to) (${rate('joerl_gen_statem_transitions_total')}))`, legend: '{{type}} {{from}} → {{to}}' }] },
  { title: 'Machines in each state', w: 12, stack: true, targets: [{ expr: `sum by (type, state) (${sel('joerl_gen_statem_current_state')})`, legend: '{{type}} {{state}}' }] },
  { title: 'Mean time in state', w: 12, unit: 's', targets: [{ expr: `sum by (type, state) (${rate('joerl_gen_statem_state_duration_seconds_sum')}) / sum by (type, state) (${rate('joerl_gen_statem_state_duration_seconds_count')})`, legend: '{{type}} {{state}}' }] },
  { title: 'Invalid transitions per second (bugs)', w: 12, unit: 'ops', targets: [{ expr: `sum by (type, state, event) (${rate('joerl_gen_statem_invalid_transitions_total')})`, legend: '{{type}} {{state}} / {{event}}' }] },
]);

// --- Signals ------------------------------------------------------------------------
row('Signals', [
  {
    title: 'Signals per second by kind', unit: 'ops',
    targets: [
      { expr: `sum by (type) (${rate('joerl_signals_sent_total')})`, legend: 'sent {{type}}' },
      { expr: `sum by (type) (${rate('joerl_signals_received_total')})`, legend: 'received {{type}}' },
      { expr: `sum by (type) (${rate('joerl_signals_ignored_total')})`, legend: 'ignored {{type}}' },
    ],
  },
  { title: 'Ignored / received (trapped exits)', unit: 'percentunit', targets: [{ expr: `sum(${rate('joerl_signals_ignored_total')}) / (sum(${rate('joerl_signals_received_total')}) + 0.001)`, legend: 'ignored ratio' }] },
  {
    title: 'Links and monitors created per second', unit: 'ops',
    targets: [
      { expr: `sum(${rate('joerl_links_created_total')})`, legend: 'links' },
      { expr: `sum(${rate('joerl_monitors_created_total')})`, legend: 'monitors' },
    ],
  },
]);

// --- Nodes (emitted by systems started with a node) -----------------------------------
row(
  'Nodes',
  [
    { title: 'Connected nodes', targets: [{ expr: `sum(${sel('joerl_node_connections_active')})`, legend: 'connections' }, { expr: `sum(${rate('joerl_node_connection_established_total')}) + (sum(${rate('joerl_node_connection_lost_total')}) or vector(0))`, legend: 'churn /s' }] },
    {
      title: 'Remote messages per second', unit: 'ops',
      targets: [
        { expr: `sum by (target_node) (${rate('joerl_remote_messages_sent_total')})`, legend: 'sent {{target_node}}' },
        { expr: `sum by (target_node, reason) (${rate('joerl_remote_messages_failed_total')})`, legend: 'failed {{target_node}} {{reason}}' },
        { expr: `sum(${rate('joerl_serialization_errors_total')})`, legend: 'serialization errors' },
      ],
    },
    { title: 'Network latency by node', unit: 's', targets: quantiles('joerl_network_latency_seconds', ['node']) },
  ],
  { collapsed: true },
);

const dashboard = {
  uid: 'joerl-overview',
  title: 'joerl actor system',
  description: 'Actors, messages, mailboxes, supervisors, GenServer, GenStatem, signals and health of a joerl system (metrics of the joerl telemetry spec).',
  tags: ['joerl', 'actors'],
  editable: true,
  graphTooltip: 1,
  refresh: '10s',
  schemaVersion: 39,
  version: 1,
  time: { from: 'now-30m', to: 'now' },
  timepicker: {},
  timezone: 'browser',
  annotations: {
    list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }],
  },
  templating: {
    list: [
      { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, options: [] },
      {
        name: 'instance', label: 'Instance', type: 'query', datasource: DS,
        query: { query: 'label_values(joerl_actors_active, instance)', refId: 'instance' },
        definition: 'label_values(joerl_actors_active, instance)',
        multi: true, includeAll: true, allValue: '.*', current: {}, refresh: 2, sort: 1, hide: 0, options: [],
      },
    ],
  },
  panels,
};

const text = `${JSON.stringify(dashboard, null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(OUT, 'utf8');
  } catch {}
  if (current !== text) {
    console.error('dashboards/joerl.json is out of date: run node scripts/dashboard.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}: ${panels.length} panels and rows`);
}
