// A CPU-heavy actor: hashes a block by chaining SHA-256 many times and reports the digest.
import { createHash } from 'node:crypto';
import { defineActor, type Pid } from '@joerl/runtime';

export interface HashJob {
  kind: 'hash';
  block: number;
  rounds: number;
  replyTo: Pid<HashResult>;
}

export interface HashResult {
  kind: 'hashed';
  block: number;
  digest: string;
  shard: number;
  worker: string;
  ms: number;
}

export default defineActor<{ id: number }, { id: number; done: number }, HashJob>({
  name: 'Hasher',
  init: ({ id }) => ({ id, done: 0 }),
  handle(msg, state, ctx) {
    if (!('kind' in msg) || msg.kind !== 'hash') return state;
    const started = performance.now();
    let digest = Buffer.from(`block-${msg.block}`);
    for (let i = 0; i < msg.rounds; i++) digest = createHash('sha256').update(digest).digest();
    ctx.send(msg.replyTo, {
      kind: 'hashed',
      block: msg.block,
      digest: digest.toString('hex').slice(0, 16),
      shard: ctx.shard,
      worker: String(ctx.self),
      ms: performance.now() - started,
    });
    return { ...state, done: state.done + 1 };
  },
});
