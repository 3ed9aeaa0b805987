// Bench actor: sends `n` small messages to `to` in chunks (one chunk per turn, so batches flush and rings drain).
import { defineActor, type Pid } from '@joerl/runtime';
import type { Tick } from './sink.actor.js';

export type SourceMsg = { kind: 'go'; to: Pid<Tick>; n: number; chunk: number } | { kind: 'more' };

interface State {
  to: Pid<Tick> | null;
  left: number;
  chunk: number;
  seq: number;
}

export default defineActor<undefined, State, SourceMsg>({
  name: 'Source',
  init: () => ({ to: null, left: 0, chunk: 1000, seq: 0 }),
  handle(msg, s, ctx) {
    const m = msg as SourceMsg;
    if (m.kind === 'go') {
      s.to = m.to;
      s.left = m.n;
      s.chunk = m.chunk;
    }
    if (m.kind === 'go' || m.kind === 'more') {
      const to = s.to!;
      const n = Math.min(s.chunk, s.left);
      for (let i = 0; i < n; i++) ctx.send(to, { kind: 'tick', seq: s.seq++, payload: 'abcdefgh' });
      s.left -= n;
      if (s.left > 0) ctx.send(ctx.self, { kind: 'more' });
    }
    return s;
  },
});
