// Bench supervisor: one restartee child, placed where the benchmark asks.
import { defineSupervisor, type Pid } from '@joerl/runtime';

export default defineSupervisor<{ report: Pid; shard: number }>({
  name: 'BenchSup',
  init: ({ report, shard }) => ({
    intensity: { maxRestarts: 1_000_000, withinMs: 1000 },
    children: [{ id: 'r', module: new URL('./call.actor.js', import.meta.url), export: 'restartee', args: { report }, shard }],
  }),
});
