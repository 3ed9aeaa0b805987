// Bench actor: spawns `n` idle actors on its own shard and reports the spawn rate and heap per idle actor.
import { getHeapStatistics } from 'node:v8';
import { defineActor, type Pid } from '@joerl/runtime';

export interface SpawnReport {
  kind: 'spawn-report';
  n: number;
  ms: number;
  heapPerActor: number;
  gc: boolean;
}

export type SpawnerMsg = { kind: 'spawn'; n: number; report: Pid<SpawnReport> };

/** An idle actor: a number of state, never sent anything. */
export const idle = defineActor<number, number, never>({
  name: 'Idle',
  init: (n) => n,
  handle: (_m, s) => s,
});

const gc = (globalThis as { gc?: () => void }).gc;
/**
 * The heap in use plus the memory outside it that its objects hold
 * (ArrayBuffers: the process table's keys are a Float64Array, 8 bytes a
 * slot, 21 bytes an actor at 100k), so memory a structure keeps off the
 * heap still counts against the actors.
 */
function usedMemory(): number {
  if (gc) {
    gc();
    gc();
  }
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

export default defineActor<undefined, undefined, SpawnerMsg>({
  name: 'Spawner',
  async handle(msg, s, ctx) {
    const m = msg as SpawnerMsg;
    const url = new URL(import.meta.url);
    const before = usedMemory();
    const started = performance.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < m.n; i++) {
      pending.push(ctx.spawn(url, i, { export: 'idle' }));
      if (pending.length === 1000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const ms = performance.now() - started;
    const after = usedMemory();
    ctx.send(m.report, { kind: 'spawn-report', n: m.n, ms, heapPerActor: (after - before) / m.n, gc: gc !== undefined });
    return s;
  },
});
