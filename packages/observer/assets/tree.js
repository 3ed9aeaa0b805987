// The supervision trees: collapsible, nested across shards, a child's restarts highlighted for a few seconds as they happen.

import { el, shardColor } from './format.js';

const HIGHLIGHT_MS = 6000;
const MAX_CHILDREN = 200;

export class SupervisionTree {
  /** `onSelect(pid)` when a pid is clicked; `onRestart(text)` when a child's restart count goes up. */
  constructor({ onSelect, onRestart }) {
    this.onSelect = onSelect;
    this.onRestart = onRestart;
    this.closed = new Set(); // keys of collapsed supervisors
    this.restarts = new Map(); // child key -> restarts last seen
    this.flash = new Map(); // child key -> highlighted until (ms)
    this.node = el('div', { className: 'tree' });
  }

  /**
   * A root is keyed by its pid (the shard order of two roots of one type
   * changes when one goes). What is kept of trees that are gone is dropped,
   * unless the snapshot is `partial` (a silent shard's trees come back).
   */
  render(roots, now, partial = false) {
    this.seen = new Set();
    if (roots.length === 0) {
      this.node.replaceChildren(el('p', { className: 'empty' }, 'No supervisors running.'));
    } else {
      this.node.replaceChildren(el('ul', {}, roots.map((s) => this.supervisor(s, `${s.name ?? s.type}#${s.pid}`, now))));
    }
    if (partial) return;
    for (const keys of [this.closed, this.restarts, this.flash]) {
      for (const key of keys.keys()) if (!this.seen.has(key)) keys.delete(key);
    }
  }

  supervisor(s, key, now) {
    // The shard reports at most 200 children and counts the rest (moreChildren).
    const more = (s.moreChildren ?? 0) + Math.max(0, s.children.length - MAX_CHILDREN);
    this.seen.add(key);
    const details = el('details', { open: !this.closed.has(key) });
    details.addEventListener('toggle', () => (details.open ? this.closed.delete(key) : this.closed.add(key)));
    const dot = el('i', { className: 'dot' });
    dot.style.background = shardColor(s.shard);
    details.append(
      el('summary', {},
        el('span', { className: 'sup-name' }, s.name ?? s.type),
        s.name ? el('span', { className: 'muted' }, ` ${s.type}`) : null,
        ' ', this.pidLink(s.pid),
        el('span', { className: 'tag' }, s.strategy),
        el('span', { className: 'muted small', title: 'restart intensity' }, ` ≤${s.intensity.maxRestarts} in ${s.intensity.withinMs / 1000}s `),
        dot, el('span', { className: 'muted small' }, `shard ${s.shard}`),
      ),
      el('ul', {}, s.children.slice(0, MAX_CHILDREN).map((c) => this.child(c, `${key}/${c.id}`, now)),
        more > 0 ? el('li', { className: 'muted more-children' }, `… ${more} more`) : null),
    );
    return el('li', { className: 'sup' }, details);
  }

  child(c, key, now) {
    this.seen.add(key);
    const before = this.restarts.get(key);
    this.restarts.set(key, c.restarts);
    if (before !== undefined && c.restarts > before) {
      this.flash.set(key, now + HIGHLIGHT_MS);
      this.onRestart(`${key.replace(/#<[^>]*>/, '')} restarted (${c.restarts} so far)`);
    }
    const hot = (this.flash.get(key) ?? 0) > now;
    if (c.supervisor) {
      const li = this.supervisor(c.supervisor, key, now);
      if (c.restarts > 0) li.querySelector('summary').append(this.restartBadge(c.restarts, hot));
      if (hot) li.classList.add('restarted');
      return li;
    }
    return el('li', { className: `child${hot ? ' restarted' : ''}`, dataset: { child: c.id } },
      el('span', { className: 'child-id' }, c.id), ' ',
      c.pid ? this.pidLink(c.pid) : el('span', { className: 'muted' }, 'not running'),
      el('span', { className: 'muted small' }, ` ${c.restart}`),
      c.restarts > 0 ? this.restartBadge(c.restarts, hot) : null,
    );
  }

  restartBadge(n, hot) {
    return el('span', { className: `restarts${hot ? ' hot' : ''}`, title: 'restarts so far' }, `↻ ${n}`);
  }

  pidLink(pid) {
    return el('button', { type: 'button', className: 'pid-link mono', onclick: (e) => { e.preventDefault(); this.onSelect(pid); } }, pid);
  }
}
