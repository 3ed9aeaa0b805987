import { Worker } from 'node:worker_threads';
const mods = process.argv.slice(2).map((s) => s.startsWith("/") ? "file://" + s : import.meta.resolve(s)).map((u) => u.replace("file://", ""));
const src = `
import v8 from 'node:v8'; import { parentPort, workerData } from 'node:worker_threads';
const m = (s) => { gc(); gc(); const h = v8.getHeapStatistics(); const c = v8.getHeapSpaceStatistics().find(x=>x.space_name==='code_space').space_used_size; return [h.used_heap_size, c]; };
const base = m(); const out = [];
for (const x of workerData) { await import(x.startsWith("node:") ? x : "file://" + x); const n = m(); out.push([x.replace(/.*node_modules\\//,'').replace('/work/wt-heapdiet/packages/',''), Math.round((n[0]-base[0])/1024), Math.round((n[1]-base[1])/1024)]); }
parentPort.postMessage({ baseKB: Math.round(base[0]/1024), out });`;
const w = new Worker(new URL('data:text/javascript,' + encodeURIComponent(src)), { workerData: mods });
w.on('message', (r) => { console.log('bare worker used KB', r.baseKB); for (const o of r.out) console.log(String(o[1]).padStart(6), 'KB heap (cum)', String(o[2]).padStart(5), 'KB code', o[0]); });
