// An SVG chart of a bench run: Savina micro benchmarks against nact, postMessage and Erlang/OTP, and the parallel scaling curves.
import type { Row } from './harness.js';
import type { Scaling } from './savina/parallel.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = { inShard: '#2563eb', off: '#93c5fd', spread: '#7c3aed', postMessage: '#f59e0b', erlang: '#a90533', nact: '#6b7280', piscina: '#f59e0b', single: '#6b7280' };

/** Micro panel: speed relative to nact (nact = 1), log scale, one group of bars per benchmark. */
function microPanel(rows: Row[], y0: number, width: number): { svg: string; height: number } {
  const names = [...new Set(rows.filter((r) => r.group === 'savina' && r.name.endsWith(' in-shard')).map((r) => r.name.slice(0, -' in-shard'.length)))];
  if (names.length === 0) return { svg: '', height: 0 };
  const find = (n: string) => rows.find((r) => r.group === 'savina' && r.name === n);
  type Bar = { label: string; speed: number; color: string };
  const groups = names.map((name) => {
    const on = find(`${name} in-shard`)!;
    const nactMs = on.baseline!.sample.median;
    const bars: Bar[] = [{ label: 'joerl in-shard', speed: nactMs / on.joerl.median, color: COLORS.inShard }];
    const off = find(`${name} in-shard, telemetry off`);
    if (off) bars.push({ label: 'joerl in-shard, telemetry off', speed: nactMs / off.joerl.median, color: COLORS.off });
    const spread = rows.find((r) => r.group === 'savina' && r.name.startsWith(`${name} spread`));
    if (spread) {
      bars.push({ label: 'joerl spread over shards', speed: nactMs / spread.joerl.median, color: COLORS.spread });
      if (spread.baseline?.name === 'postMessage') bars.push({ label: 'raw postMessage (2 threads)', speed: nactMs / spread.baseline.sample.median, color: COLORS.postMessage });
    }
    const erl = find(`${name} in-shard vs Erlang`);
    if (erl?.baseline !== undefined) bars.push({ label: 'Erlang/OTP +S 1', speed: nactMs / erl.baseline.sample.median, color: COLORS.erlang });
    bars.push({ label: 'nact', speed: 1, color: COLORS.nact });
    return { name, bars };
  });
  const left = 170;
  const plotW = width - left - 40;
  const barH = 9;
  const all = groups.flatMap((g) => g.bars.map((b) => b.speed)).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 1))));
  const x = (v: number) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  let y = y0 + 40;
  const parts: string[] = [`<text x="${left}" y="${y0 + 18}" class="title">Savina micro benchmarks: speed relative to nact (log scale, higher is better)</text>`];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    parts.push(`<line x1="${x(d)}" x2="${x(d)}" y1="${y0 + 28}" y2="__BOTTOM__" class="grid"/><text x="${x(d)}" y="${y0 + 34}" class="axis" text-anchor="middle">${d >= 1 ? d.toFixed(0) : d}x</text>`);
  }
  for (const g of groups) {
    parts.push(`<text x="${left - 8}" y="${y + (g.bars.length * (barH + 2)) / 2 + 3}" class="label" text-anchor="end">${esc(g.name)}</text>`);
    for (const b of g.bars) {
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(b.speed) - left)}" height="${barH}" fill="${b.color}"><title>${esc(`${g.name}, ${b.label}: ${b.speed.toFixed(2)}x nact`)}</title></rect>`);
      parts.push(`<text x="${x(b.speed) + 4}" y="${y + barH - 1}" class="value">${b.speed >= 10 ? b.speed.toFixed(0) : b.speed.toFixed(2)}x</text>`);
      y += barH + 2;
    }
    y += 10;
  }
  const legend = [
    ['joerl in-shard', COLORS.inShard],
    ['joerl in-shard, telemetry off', COLORS.off],
    ['joerl spread over shards', COLORS.spread],
    ['raw postMessage', COLORS.postMessage],
    ['Erlang/OTP +S 1', COLORS.erlang],
    ['nact', COLORS.nact],
  ];
  // Each entry as wide as its label (about 5.5 px a character at the axis font size).
  let lx = left;
  for (const [label, color] of legend) {
    parts.push(`<rect x="${lx}" y="${y}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${y + 9}" class="axis">${esc(label!)}</text>`);
    lx += 14 + Math.ceil(label!.length * 5.5) + 18;
  }
  y += 24;
  return { svg: parts.join('\n').replaceAll('__BOTTOM__', String(y - 30)), height: y - y0 };
}

/** Scaling panel: speed-up over the single-thread JS run, by shards (joerl) and threads (piscina). */
function scalingPanel(scaling: Scaling[], y0: number, width: number): { svg: string; height: number } {
  if (scaling.length === 0) return { svg: '', height: 0 };
  const n = Math.max(...scaling.map((s) => s.joerl.length));
  const cellW = Math.floor((width - 60) / scaling.length);
  const plotH = 200;
  const parts: string[] = [`<text x="40" y="${y0 + 18}" class="title">Savina parallel benchmarks: speed-up over one thread of plain JS, by threads (dashed: ideal)</text>`];
  scaling.forEach((s, idx) => {
    const ox = 40 + idx * cellW + 30;
    const w = cellW - 60;
    const oy = y0 + 40;
    const speed = [...s.joerl, ...s.piscina].map((t) => s.single / t);
    const top = Math.max(n, ...speed) * 1.1;
    const px = (k: number) => ox + (n === 1 ? w / 2 : ((k - 1) / (n - 1)) * w);
    const py = (v: number) => oy + plotH - (v / top) * plotH;
    parts.push(`<text x="${ox + w / 2}" y="${oy - 6}" class="label" text-anchor="middle">${esc(s.name)}</text>`);
    parts.push(`<line x1="${ox}" y1="${oy + plotH}" x2="${ox + w}" y2="${oy + plotH}" class="axisline"/><line x1="${ox}" y1="${oy}" x2="${ox}" y2="${oy + plotH}" class="axisline"/>`);
    for (let k = 1; k <= n; k++) parts.push(`<text x="${px(k)}" y="${oy + plotH + 14}" class="axis" text-anchor="middle">${k}</text>`);
    for (let v = 0; v <= top; v += top > 8 ? 2 : 1) parts.push(`<text x="${ox - 6}" y="${py(v) + 3}" class="axis" text-anchor="end">${v}x</text>`);
    parts.push(`<polyline points="${[1, n].map((k) => `${px(k)},${py(k)}`).join(' ')}" class="ideal"/>`);
    const line = (ts: number[], color: string, label: string) => {
      const pts = ts.map((t, i) => [px(i + 1), py(s.single / t)] as const);
      parts.push(`<polyline points="${pts.map(([a, b]) => `${a},${b}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      pts.forEach(([a, b], i) => parts.push(`<circle cx="${a}" cy="${b}" r="3" fill="${color}"><title>${esc(`${s.name}, ${label}, ${i + 1} thread(s): ${(s.single / ts[i]!).toFixed(2)}x (${ts[i]!.toFixed(1)} ms)`)}</title></circle>`));
    };
    line(s.piscina, COLORS.piscina, 'piscina');
    line(s.joerl, COLORS.inShard, 'joerl');
    parts.push(`<text x="${ox + w / 2}" y="${oy + plotH + 28}" class="axis" text-anchor="middle">shards / threads</text>`);
  });
  const ly = y0 + 40 + plotH + 40;
  parts.push(`<rect x="40" y="${ly}" width="10" height="10" fill="${COLORS.inShard}"/><text x="54" y="${ly + 9}" class="axis">joerl (shards)</text>`);
  parts.push(`<rect x="160" y="${ly}" width="10" height="10" fill="${COLORS.piscina}"/><text x="174" y="${ly + 9}" class="axis">piscina (threads)</text>`);
  return { svg: parts.join('\n'), height: plotH + 100 };
}

export function chart(rows: Row[], scaling: Scaling[], caption: string): string | null {
  const width = 900;
  const micro = microPanel(rows, 30, width);
  const scale = scalingPanel(scaling, 30 + micro.height, width);
  if (micro.height === 0 && scale.height === 0) return null;
  const height = 30 + micro.height + scale.height + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>
.title{font-size:14px;font-weight:600}.label{font-size:12px}.axis{font-size:10px;fill:#444}.value{font-size:9px;fill:#333}
.grid{stroke:#e5e7eb}.axisline{stroke:#9ca3af}.ideal{stroke:#9ca3af;stroke-dasharray:4 3;fill:none}
</style>
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="18" class="axis">${esc(caption)}</text>
${micro.svg}
${scale.svg}
</svg>
`;
}
