// --repeat: the same rows from several fresh processes, and how far apart they land.
import { fmt, sample, type Row } from './harness.js';

/** One row's figures across the processes that produced it. */
export interface Spread {
  group: string;
  name: string;
  unit: string;
  /** Each process's median, in process order. */
  medians: number[];
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, in percent. */
  spreadPct: number;
  /** Each process's ratio to its baseline, when the row has one. */
  ratios?: number[];
  ratio?: number;
  target?: number;
}

/** Groups rows by `group/name` (skipped rows left out) and summarises each across processes. */
export function spreads(rows: Row[]): Spread[] {
  const by = new Map<string, Row[]>();
  for (const r of rows) {
    if (r.skipped !== undefined) continue;
    const k = `${r.group}/${r.name}`;
    let list = by.get(k);
    if (list === undefined) by.set(k, (list = []));
    list.push(r);
  }
  return [...by.values()].map((list) => {
    const first = list[0]!;
    const medians = list.map((r) => r.joerl.median);
    const s = sample(medians);
    const out: Spread = { group: first.group, name: first.name, unit: first.unit, medians, median: s.median, min: s.min, max: s.max, spreadPct: ((s.max - s.min) / s.median) * 100 };
    const ratios = list.map((r) => r.ratio).filter((x): x is number => x !== undefined);
    if (ratios.length > 0) {
      out.ratios = ratios;
      out.ratio = sample(ratios).median;
    }
    if (first.target !== undefined) out.target = first.target;
    return out;
  });
}

export function spreadTable(list: Spread[]): string {
  const head = ['benchmark', 'median of processes (each process)', 'spread', 'ratio (each process)', 'target', ''];
  const body = list.map((s) => {
    const pass = s.target === undefined || s.ratio === undefined ? undefined : s.ratio >= s.target;
    return [
      `${s.group}/${s.name}`,
      `${fmt(s.median, s.unit)} ${s.unit} (${s.medians.map((v) => fmt(v, s.unit)).join(', ')})`,
      `${s.spreadPct.toFixed(1)}%`,
      s.ratio === undefined ? '' : `${s.ratio.toFixed(2)}x (${s.ratios!.map((v) => v.toFixed(2)).join(', ')})`,
      s.target === undefined ? '' : `>= ${s.target}x`,
      pass === undefined ? '' : pass ? 'ok' : 'MISS',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
