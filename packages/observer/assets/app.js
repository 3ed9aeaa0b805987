// The observer page: one server-sent event stream of snapshots drives the header, the charts, the table, the tree and the log.

import { Chart } from './charts.js';
import { ProcessDetail } from './detail.js';
import { bytes, clock, el, num, shardColor } from './format.js';
import { ProcessTable } from './table.js';
import { SupervisionTree } from './tree.js';

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
const TOKEN = meta('joerl-observer-token');
const BASE = meta('joerl-observer-base');
const $ = (id) => document.getElementById(id);

/** Calls the observer; actions carry this page's token. */
function api(path, init = {}) {
  const headers = init.method === 'POST' ? { 'Content-Type': 'application/json', 'x-joerl-observer-token': TOKEN } : {};
  return fetch(`${BASE}${path}`, { ...init, headers });
}

// Rows per page: the observer's `limit` option, as the rows menu's choice (added to it when it is not one of its own).
const LIMIT = meta('joerl-observer-limit');
const query = { sortBy: 'reductions', limit: LIMIT, shard: '', q: '' };
if (![...$('limit').options].some((o) => o.value === LIMIT)) {
  $('limit').append(Object.assign(document.createElement('option'), { value: LIMIT, textContent: `${LIMIT} rows` }));
}
$('limit').value = LIMIT;
const log = []; // { at, kind, text }, newest last
const seen = new Set(); // server events already in the log

const charts = {
  msgs: new Chart('Messages / s', num),
  queued: new Chart('Queued messages', num),
  lag: new Chart('Event-loop lag (ms)', num),
  heap: new Chart('Heap used', bytes),
};
$('charts').append(...Object.values(charts).map((c) => c.node));

const detail = new ProcessDetail({ api, onSelect: select, confirm });
const table = new ProcessTable({
  onSort(key) {
    query.sortBy = key;
    table.setSort(key);
    connect();
  },
  onSelect: select,
});
const tree = new SupervisionTree({ onSelect: select, onRestart: (text) => note('restart', text) });
$('table').append(table.node);
$('tree').append(tree.node);
document.body.append(detail.node);

function select(pid) {
  table.selected = pid;
  for (const tr of table.body.querySelectorAll('tr[data-pid]')) tr.classList.toggle('selected', tr.dataset.pid === pid);
  detail.open(pid);
}

/** Asks before an action; resolves with the reason, or null when cancelled. */
function confirm(kind, pid) {
  const dialog = $('confirm');
  $('confirm-text').textContent = kind === 'kill' ? `Kill ${pid}? It exits with reason killed at once: kill cannot be trapped.` : `Send an exit signal to ${pid}? A process that traps exits gets it as a message.`;
  $('confirm-reason-row').hidden = kind === 'kill';
  $('confirm-reason').value = 'shutdown';
  $('confirm-ok').textContent = kind === 'kill' ? 'Kill' : 'Send exit';
  // Escape closes a dialog without touching returnValue (HTML spec): left at the last confirmation's 'ok', it would act.
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? $('confirm-reason').value.trim() || 'shutdown' : null), { once: true });
  });
}

function note(kind, text, at = Date.now()) {
  log.push({ at, kind, text });
  if (log.length > 100) log.shift();
  renderLog();
}

function renderLog() {
  const items = log.slice(-50).reverse().map((e) => el('li', { className: `ev ev-${e.kind}` }, el('time', {}, clock(e.at)), ' ', e.text));
  $('events').replaceChildren(...(items.length > 0 ? items : [el('li', { className: 'muted' }, 'Nothing yet: shard deaths, stalls and restarts show here.')]));
}

function setConnection(state, text) {
  const c = $('connection');
  c.className = `conn conn-${state}`;
  c.textContent = text;
}

function renderHeader(s) {
  const t = s.totals;
  const fact = (label, value, cls = '') => el('div', { className: `fact ${cls}` }, el('span', {}, label), el('b', {}, value));
  $('totals').replaceChildren(
    fact('actors', num(t.actors)), fact('msgs/s', num(t.msgsPerSec)), fact('queued', num(t.queued)),
    fact('restarts', num(t.restarts), t.restarts > 0 ? 'warn' : ''), fact('panics', num(t.panics), t.panics > 0 ? 'bad' : ''),
  );
  $('shards').replaceChildren(
    ...s.shards.map((sh) => {
      const state = !sh.up ? 'down' : sh.stalled ? 'stalled' : 'up';
      const dot = el('i', { className: 'dot' });
      dot.style.background = shardColor(sh.shard);
      const what = state === 'stalled' ? `stalled ${(sh.stalledMs / 1000).toFixed(1)} s` : state === 'down' ? 'restarting' : `${num(sh.actors)} actors`;
      return el('span', { className: `pill pill-${state}`, dataset: { shard: sh.shard }, title: `incarnation ${sh.incarnation}, run queue ${sh.runQueue}, ring fill ${(sh.ringFill * 100).toFixed(0)}%` },
        dot, `shard ${sh.shard} `, el('b', {}, what), sh.incarnation > 0 ? el('span', { className: 'small' }, ` · restarted ×${sh.incarnation}`) : null);
    }),
  );
  const shardSelect = $('shard');
  if (shardSelect.options.length !== s.shards.length + 1) {
    shardSelect.replaceChildren(el('option', { value: '' }, 'all shards'), ...s.shards.map((sh) => el('option', { value: String(sh.shard) }, `shard ${sh.shard}`)));
    shardSelect.value = query.shard;
  }
}

function onSnapshot(s) {
  setConnection('live', 'live');
  renderHeader(s);
  const value = (f) => new Map(s.shards.map((sh) => [sh.shard, sh.answered ? f(sh) : null]));
  charts.msgs.push(s.at, value((sh) => sh.msgsPerSec));
  charts.queued.push(s.at, value((sh) => sh.queued));
  charts.lag.push(s.at, value((sh) => sh.lagMs));
  charts.heap.push(s.at, value((sh) => sh.heapUsed));
  const by = { reductions: 'msgs/s', mailbox: 'mailbox', memory: 'memory', links: 'links', monitors: 'monitors' }[query.sortBy];
  $('table-caption').textContent = `Top ${s.processes.length} by ${by}${query.q ? `, matching “${query.q}”` : ''}${query.shard ? `, on shard ${query.shard}` : ''} · ${num(s.totals.actors)} processes in all`;
  $('silent').textContent = s.silent.length > 0 ? `Shard ${s.silent.join(', ')} did not answer in time (stalled or restarting): some or all of its processes and supervisors are missing for now.` : '';
  table.render(s.processes, query.q || query.shard ? 'No process matches this filter.' : 'No processes.');
  tree.render(s.tree, s.at, s.silent.length > 0);
  for (const e of s.events) {
    const key = `${e.at}|${e.text}`;
    if (!seen.has(key)) {
      seen.add(key);
      note(e.kind, e.text, e.at);
    }
  }
  detail.setActions(s.actions);
  void detail.refresh();
  document.body.dataset.ready = 'true';
}

let source = null;
function connect() {
  source?.close();
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ''));
  source = new EventSource(`${BASE}/events?${params}`);
  source.addEventListener('snapshot', (e) => onSnapshot(JSON.parse(e.data)));
  source.addEventListener('problem', (e) => setConnection('problem', JSON.parse(e.data).message));
  source.addEventListener('stopped', () => {
    source.close();
    setConnection('stopped', 'system stopped');
  });
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) setConnection('retry', 'reconnecting…');
    else setConnection('stopped', 'disconnected');
  };
}

let typing;
$('filter').addEventListener('input', (e) => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    query.q = e.target.value.trim();
    connect();
  }, 250);
});
$('shard').addEventListener('change', (e) => {
  query.shard = e.target.value;
  connect();
});
$('limit').addEventListener('change', (e) => {
  query.limit = e.target.value;
  connect();
});
// Enter in the reason field confirms: the form's implicit submission would use its first button, Cancel.
$('confirm-reason').addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.isComposing) return;
  e.preventDefault();
  $('confirm').close('ok');
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !$('confirm').open) detail.close();
});
renderLog();
connect();
