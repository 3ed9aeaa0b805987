// Bench actor: sends `n` messages carrying a Float64Array of `bytes` to `to`, copied (one array, sent again and again) or moved (a new one each).
import { defineActor, move, type Pid } from '@joerl/runtime';
import type { Tick } from './sink.actor.js';

export type PayloadSourceMsg =
  | { kind: 'go'; to: Pid<Tick>; n: number; bytes: number; mode: 'copy' | 'move'; chunk: number }
  | { kind: 'more' };

interface State {
  to: Pid<Tick> | null;
  left: number;
  chunk: number;
  seq: number;
  bytes: number;
  mode: 'copy' | 'move';
  shared: Float64Array;
}

export default defineActor<undefined, State, PayloadSourceMsg>({
  name: 'PayloadSource',
  init: () => ({ to: null, left: 0, chunk: 1, seq: 0, bytes: 0, mode: 'copy', shared: new Float64Array(0) }),
  handle(msg, s, ctx) {
    const m = msg as PayloadSourceMsg;
    if (m.kind === 'go') {
      s.to = m.to;
      s.left = m.n;
      s.chunk = m.chunk;
      s.bytes = m.bytes;
      s.mode = m.mode;
      s.shared = new Float64Array(m.bytes / 8).fill(1.5);
    }
    const to = s.to!;
    const n = Math.min(s.chunk, s.left);
    for (let i = 0; i < n; i++) {
      // A move hands its array away: each message needs a new one (as with a postMessage transfer).
      const data = s.mode === 'copy' ? s.shared : move(new Float64Array(s.bytes / 8));
      ctx.send(to, { kind: 'tick', seq: s.seq++, payload: data as unknown as string });
    }
    s.left -= n;
    if (s.left > 0) ctx.send(ctx.self, { kind: 'more' });
    return s;
  },
});
