// A worker: asks the dispatcher for a block, hashes it (CPU-heavy), hands the digest back, and asks again.
import { createHash } from 'node:crypto';
import { defineActor, type Pid } from '@joerl/runtime';
import type { DispatcherCall, DispatcherCast } from './dispatcher.server.js';

export interface WorkerArgs {
  dispatcher: Pid;
  rounds: number;
}

type Msg = { kind: 'next' };

export default defineActor<WorkerArgs, WorkerArgs, Msg>({
  name: 'HashWorker',
  init(args, ctx) {
    ctx.send(ctx.self, { kind: 'next' });
    return args;
  },
  async handle(msg, st, ctx) {
    if (!('kind' in msg) || msg.kind !== 'next') return st;
    const block = (await ctx.call(st.dispatcher as Pid<any>, { kind: 'take' } satisfies DispatcherCall, { timeoutMs: 60_000 })) as number | null;
    if (block === null) return st; // nothing left: wait to be stopped
    let digest = Buffer.from(`block-${block}`);
    for (let i = 0; i < st.rounds; i++) digest = createHash('sha256').update(digest).digest();
    ctx.cast(st.dispatcher as Pid<any>, { kind: 'done', block, digest: digest.toString('hex').slice(0, 16), node: ctx.node ?? '?' } satisfies DispatcherCast);
    ctx.send(ctx.self, { kind: 'next' });
    return st;
  },
});
