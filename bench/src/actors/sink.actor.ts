// Bench actor: counts messages and reports to `report` once `expect` have arrived.
import { defineActor, type Pid } from '@joerl/runtime';

export interface Tick {
  kind: 'tick';
  seq: number;
  payload: string;
}

export type SinkMsg = Tick | { kind: 'expect'; n: number; report: Pid<SinkDone> };
export interface SinkDone {
  kind: 'sink-done';
  count: number;
}

interface State {
  count: number;
  target: number;
  report: Pid<SinkDone> | null;
}

export default defineActor<undefined, State, SinkMsg>({
  name: 'Sink',
  init: () => ({ count: 0, target: Infinity, report: null }),
  handle(msg, s, ctx) {
    if ((msg as Tick).kind === 'tick') {
      if (++s.count === s.target) {
        ctx.send(s.report!, { kind: 'sink-done', count: s.count });
        s.count = 0;
        s.target = Infinity;
      }
      return s;
    }
    const m = msg as Extract<SinkMsg, { kind: 'expect' }>;
    if (m.kind === 'expect') {
      s.target = m.n;
      s.report = m.report;
    }
    return s;
  },
});
