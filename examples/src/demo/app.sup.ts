// Demo: the supervision tree. root (one_for_one) -> dispatcher + workers (a supervisor of hash workers spread over every shard).
import { defineSupervisor } from '@joerl/runtime';

export interface AppArgs {
  workers: number;
  rounds: number;
  shards: number;
}

export const workers = defineSupervisor<AppArgs>({
  name: 'WorkerPool',
  init: ({ workers: n, shards }) => ({
    strategy: 'one_for_one',
    intensity: { maxRestarts: 100, withinMs: 10_000 },
    children: Array.from({ length: n }, (_, i) => ({
      id: `worker-${i + 1}`,
      module: new URL('./worker.actor.js', import.meta.url),
      args: { id: i + 1 },
      // Pinned, so a restarted worker comes back on its own shard and every core stays busy.
      shard: 1 + (i % shards),
    })),
  }),
});

export default defineSupervisor<AppArgs>({
  name: 'App',
  init: (args) => ({
    strategy: 'one_for_one',
    intensity: { maxRestarts: 20, withinMs: 10_000 },
    children: [
      { id: 'dispatcher', module: new URL('./dispatcher.server.js', import.meta.url), args: { rounds: args.rounds }, name: 'dispatcher', shard: 1 },
      { id: 'workers', module: new URL('./app.sup.js', import.meta.url), export: 'workers', args, type: 'supervisor', name: 'workers', shard: 1 },
    ],
  }),
});
