// Bench actor pair: `ponger` answers every ping; `pinger` runs `rounds` round trips and reports latency percentiles.
import { defineActor, type Pid } from '@joerl/runtime';

export type PongMsg = { kind: 'ping'; seq: number; from: Pid<PingMsg> };
export type PingMsg =
  | { kind: 'pong'; seq: number }
  | { kind: 'run'; to: Pid<PongMsg>; rounds: number; warmup: number; report: Pid<PingReport> };
export interface PingReport {
  kind: 'ping-report';
  rtts: number[];
}

export const ponger = defineActor<undefined, undefined, PongMsg>({
  name: 'Ponger',
  handle(msg, s, ctx) {
    const m = msg as PongMsg;
    if (m.kind === 'ping') ctx.send(m.from, { kind: 'pong', seq: m.seq });
    return s;
  },
});

interface PingState {
  to: Pid<PongMsg> | null;
  report: Pid<PingReport> | null;
  left: number;
  warmup: number;
  sentAt: number;
  rtts: number[];
}

export const pinger = defineActor<undefined, PingState, PingMsg>({
  name: 'Pinger',
  init: () => ({ to: null, report: null, left: 0, warmup: 0, sentAt: 0, rtts: [] }),
  handle(msg, s, ctx) {
    const m = msg as PingMsg;
    if (m.kind === 'run') {
      s.to = m.to;
      s.report = m.report;
      s.left = m.rounds;
      s.warmup = m.warmup;
      s.rtts = [];
    } else if (m.kind === 'pong') {
      const rtt = performance.now() - s.sentAt;
      if (s.warmup > 0) s.warmup--;
      else {
        s.rtts.push(rtt);
        s.left--;
      }
      if (s.left === 0) {
        ctx.send(s.report!, { kind: 'ping-report', rtts: s.rtts });
        return s;
      }
    }
    s.sentAt = performance.now();
    ctx.send(s.to!, { kind: 'ping', seq: s.left, from: ctx.self });
    return s;
  },
});
