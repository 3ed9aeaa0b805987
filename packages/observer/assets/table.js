// The process table: one row per process of the latest snapshot, sorted by the server (top-N per shard), click for detail.

import { bytes, el, num, shardColor } from './format.js';

/** Columns; `sort` names the server's sort key for the numeric ones. */
const COLUMNS = [
  { key: 'pid', label: 'Pid' },
  { key: 'name', label: 'Name' },
  { key: 'type', label: 'Type' },
  { key: 'behaviour', label: 'Kind' },
  { key: 'shard', label: 'Shard' },
  { key: 'status', label: 'Status' },
  { key: 'reductions', label: 'Msgs/s', sort: 'reductions', fmt: num, title: 'messages handled per second over the last second (our "reductions")' },
  { key: 'mailbox', label: 'Mailbox', sort: 'mailbox', fmt: num },
  { key: 'memory', label: 'Memory', sort: 'memory', fmt: bytes, title: "the mailbox's estimated memory" },
  { key: 'links', label: 'Links', sort: 'links', fmt: num },
  { key: 'monitors', label: 'Monitors', sort: 'monitors', fmt: num },
];

export class ProcessTable {
  /** `onSort(key)` when a numeric header is clicked, `onSelect(pid)` when a row is. */
  constructor({ onSort, onSelect }) {
    this.onSort = onSort;
    this.onSelect = onSelect;
    this.sortBy = 'reductions';
    this.selected = null;
    this.head = el('tr');
    this.body = el('tbody');
    this.node = el('table', { className: 'procs' }, el('thead', {}, this.head), this.body);
    this.body.addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-pid]');
      if (tr) this.onSelect(tr.dataset.pid);
    });
    this.body.addEventListener('keydown', (e) => {
      const tr = e.target.closest('tr[data-pid]');
      if (tr && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.onSelect(tr.dataset.pid);
      }
    });
    this.renderHead();
  }

  renderHead() {
    this.head.replaceChildren(
      ...COLUMNS.map((c) => {
        if (!c.sort) return el('th', { scope: 'col' }, c.label);
        const active = c.sort === this.sortBy;
        const button = el('button', { type: 'button', title: `sort by ${c.title ?? c.label.toLowerCase()}, highest first`, dataset: { sort: c.sort }, onclick: () => this.onSort(c.sort) }, c.label, active ? ' ▼' : '');
        return el('th', { scope: 'col', className: `num${active ? ' sorted' : ''}`, 'aria-sort': active ? 'descending' : 'none' }, button);
      }),
    );
  }

  setSort(key) {
    this.sortBy = key;
    this.renderHead();
  }

  /** Draws `rows`; an empty table says why. */
  render(rows, emptyText) {
    if (rows.length === 0) {
      this.body.replaceChildren(el('tr', {}, el('td', { colSpan: COLUMNS.length, className: 'empty' }, emptyText)));
      return;
    }
    this.body.replaceChildren(...rows.map((r) => this.row(r)));
  }

  row(r) {
    const cells = COLUMNS.map((c) => {
      const v = r[c.key];
      if (c.fmt) return el('td', { className: `num${c.sort === this.sortBy ? ' sorted' : ''}` }, c.fmt(v));
      if (c.key === 'shard') {
        const dot = el('i', { className: 'dot' });
        dot.style.background = shardColor(v);
        return el('td', {}, dot, String(v));
      }
      if (c.key === 'status') return el('td', {}, el('span', { className: `status status-${v}` }, v));
      if (c.key === 'pid') return el('td', { className: 'mono' }, v);
      return el('td', { className: v ? '' : 'muted' }, v ?? '–');
    });
    return el('tr', { tabIndex: 0, dataset: { pid: r.pid }, className: r.pid === this.selected ? 'selected' : '' }, cells);
  }
}
