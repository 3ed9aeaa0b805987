// Demo: a worker pulls jobs from the dispatcher and hashes them (CPU-heavy), in a loop; faults are injected on request.
import { createHash } from 'node:crypto';
import { defineActor } from '@joerl/runtime';
import type { Assignment } from './dispatcher.server.js';

type Msg = { kind: 'work' } | { kind: 'panic' } | { kind: 'get-stuck' };

export default defineActor<{ id: number }, { id: number }, Msg>({
  name: 'HashWorker',
  init(args, ctx) {
    ctx.send(ctx.self, { kind: 'work' });
    return args;
  },
  async handle(msg, st, ctx) {
    if (!('kind' in msg)) return st;
    if (msg.kind === 'panic') throw new Error(`injected fault in worker ${st.id}`);
    if (msg.kind === 'get-stuck') for (;;); // the shard's watchdog ends this by restarting the shard
    let a: Assignment;
    try {
      a = (await ctx.call('dispatcher', { kind: 'next' }, { timeoutMs: 10_000 })) as Assignment;
    } catch {
      // The dispatcher is being restarted (or is slow): ask again shortly.
      ctx.sendAfter(ctx.self, { kind: 'work' }, 200);
      return st;
    }
    const started = performance.now();
    let digest = Buffer.from(`job-${a.id}`);
    for (let i = 0; i < a.rounds; i++) digest = createHash('sha256').update(digest).digest();
    const ms = performance.now() - started;
    ctx.cast(a.job, 'finish');
    ctx.cast('dispatcher', { kind: 'done', id: a.id, shard: ctx.shard, ms, digest: digest.toString('hex').slice(0, 12) });
    ctx.send(ctx.self, { kind: 'work' });
    return st;
  },
});
