// Per-shard line charts in plain SVG: the last two minutes, one line per shard, gaps where a shard did not answer.

import { el, shardColor } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 300;
const H = 100;
const WINDOW_MS = 120_000;
/** A new page's charts span at least this much, and widen as data comes in, up to WINDOW_MS. */
const MIN_SPAN_MS = 20_000;

/** The smallest 1, 2 or 5 times a power of ten at or above `v`. */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function svg(tag, attrs) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
}

/** One chart: a title, the scale, a legend with each shard's latest value, and the lines. */
export class Chart {
  constructor(title, format) {
    this.format = format;
    this.series = new Map(); // shard -> [{ at, v }]
    this.scale = el('span', { className: 'chart-scale' });
    this.legend = el('div', { className: 'chart-legend' });
    this.plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: 'chart-plot', role: 'img', 'aria-label': title });
    this.node = el('figure', { className: 'chart card' }, el('figcaption', {}, el('span', { className: 'chart-title' }, title), this.scale), this.plot, this.legend);
  }

  /** Adds one point per shard; `null` marks a shard that did not answer (a gap). */
  push(at, values) {
    for (const [shard, v] of values) {
      if (!this.series.has(shard)) this.series.set(shard, []);
      this.series.get(shard).push({ at, v });
    }
    for (const points of this.series.values()) while (points.length > 0 && points[0].at < at - WINDOW_MS) points.shift();
    this.render(at);
  }

  render(now) {
    let max = 0;
    for (const points of this.series.values()) for (const p of points) if (p.v !== null && p.v > max) max = p.v;
    const top = niceMax(max);
    this.scale.textContent = `max ${this.format(top)}`;
    let first = now;
    for (const points of this.series.values()) if (points.length > 0 && points[0].at < first) first = points[0].at;
    const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - first));
    const x = (at) => ((at - (now - span)) / span) * W;
    const y = (v) => H - (v / top) * (H - 4) - 2;
    const nodes = [svg('line', { x1: 0, x2: W, y1: H / 2, y2: H / 2, class: 'chart-grid' }), svg('line', { x1: 0, x2: W, y1: H - 1, y2: H - 1, class: 'chart-axis' })];
    const legend = [];
    for (const [shard, points] of [...this.series].sort((a, b) => a[0] - b[0])) {
      let d = '';
      let pen = 'M';
      for (const p of points) {
        if (p.v === null) {
          pen = 'M';
          continue;
        }
        d += `${pen}${x(p.at).toFixed(1)},${y(p.v).toFixed(1)}`;
        pen = 'L';
      }
      if (d !== '') nodes.push(svg('path', { d, stroke: shardColor(shard), class: 'chart-line' }));
      const last = points.at(-1)?.v;
      const dot = el('i', { className: 'dot' });
      dot.style.background = shardColor(shard);
      legend.push(el('span', { className: 'chart-key' }, dot, `shard ${shard} `, el('b', {}, last === null || last === undefined ? '–' : this.format(last))));
    }
    this.plot.replaceChildren(...nodes);
    this.legend.replaceChildren(...legend);
  }
}
