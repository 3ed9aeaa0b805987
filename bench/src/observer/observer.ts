// Introspection benchmarks: how long processes() and the observer's snapshot take with 100k actors over two shards.
import { ActorSystem, type Pid } from '@joerl/runtime';
import { serveObserver } from '@joerl/observer';
import type { SpawnReport, SpawnerMsg } from '../actors/spawner.actor.js';
import { repeat, type Row } from '../harness.js';

const SPAWNER = new URL('../actors/spawner.actor.js', import.meta.url);

export interface ObserverBenchConfig {
  runs: number;
  /** Idle actors in all, spread evenly over two shards. */
  actors: number;
  progress: (what: string) => void;
}

/** Milliseconds one call of `fn` takes. */
const timed = (fn: () => Promise<unknown>) => async () => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

export async function observerBenchmarks(cfg: ObserverBenchConfig): Promise<Row[]> {
  const rows: Row[] = [];
  const k = `${cfg.actors / 1000}k actors`;
  cfg.progress(`introspection: spawning ${k}`);
  const system = await ActorSystem.start({ threads: 2 });
  try {
    const inbox = system.inbox<SpawnReport>();
    for (const shard of [1, 2]) {
      const spawner = await system.spawn(SPAWNER, undefined, { shard });
      system.send(spawner as Pid<SpawnerMsg>, { kind: 'spawn', n: cfg.actors / 2, report: inbox.pid });
    }
    await inbox.receive();
    await inbox.receive();
    const figures = await system.shardFigures();
    const live = figures.reduce((n, f) => n + f.actors, 0);
    const notes = `${live} live actors on 2 shards`;

    cfg.progress(`introspection: processes() with ${k}`);
    const top = await repeat(cfg.runs, 2, timed(() => system.processes({ limit: 100 })));
    rows.push({ group: 'observer', name: `processes() top 100 of ${k}`, unit: 'ms', joerl: top, notes });
    const matched = await repeat(cfg.runs, 2, timed(() => system.processes({ limit: 100, match: 'spawner' })));
    rows.push({ group: 'observer', name: `processes({ match }) of ${k}`, unit: 'ms', joerl: matched });

    cfg.progress(`introspection: an observer snapshot with ${k}`);
    const observer = await serveObserver(system, { port: 0 });
    const snapshot = await repeat(cfg.runs, 2, timed(async () => (await fetch(`${observer.url}/api/snapshot`)).json()));
    rows.push({ group: 'observer', name: `observer snapshot (HTTP) with ${k}`, unit: 'ms', joerl: snapshot, notes: 'what an open page costs about once a second: figures, top 100, trees, JSON' });
    inbox.close();
  } finally {
    await system.shutdown();
  }
  return rows;
}
