// `npm start` (for now): spreads CPU-heavy hashing actors over every shard and prints what each shard did.
import { ActorSystem, type Pid } from '@joerl/runtime';
import type { HashJob, HashResult } from './hasher.actor.js';
import type Hasher from './hasher.actor.js';

const JOBS = Number(process.env.JOBS ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 40_000);

const system = await ActorSystem.start();
console.log(`joerl: ${system.shards} shards (one per core), ${JOBS} jobs of ${ROUNDS} chained SHA-256 rounds\n`);

const workers: Pid<HashJob>[] = [];
for (let i = 0; i < system.shards * 2; i++) {
  workers.push(await system.spawn<typeof Hasher>(new URL('./hasher.actor.js', import.meta.url), { id: i }));
}

const inbox = system.inbox<HashResult>();
const started = performance.now();
for (let block = 0; block < JOBS; block++) {
  system.send(workers[block % workers.length]!, { kind: 'hash', block, rounds: ROUNDS, replyTo: inbox.pid });
}

const perShard = new Map<number, { jobs: number; busyMs: number; workers: Set<string> }>();
for (let i = 0; i < JOBS; i++) {
  const r = (await inbox.receive()) as HashResult;
  const s = perShard.get(r.shard) ?? { jobs: 0, busyMs: 0, workers: new Set<string>() };
  s.jobs++;
  s.busyMs += r.ms;
  s.workers.add(r.worker);
  perShard.set(r.shard, s);
}
const wall = performance.now() - started;

console.log('shard  actors  jobs  busy ms  hashes/s');
let busy = 0;
for (const [shard, s] of [...perShard].sort((a, b) => a[0] - b[0])) {
  busy += s.busyMs;
  const rate = (s.jobs * ROUNDS) / (s.busyMs / 1000);
  console.log(`${String(shard).padStart(5)}  ${String(s.workers.size).padStart(6)}  ${String(s.jobs).padStart(4)}  ${s.busyMs.toFixed(0).padStart(7)}  ${rate.toFixed(0).padStart(8)}`);
}
console.log(`\nwall ${wall.toFixed(0)} ms for ${busy.toFixed(0)} ms of hashing: ${(busy / wall).toFixed(2)}x parallelism on ${system.shards} shards`);

await system.shutdown();
