// Bench actor pair: `ponger` answers every ping; `pinger` runs `rounds` round trips and reports latency percentiles.
import { defineActor, type Pid } from '@joerl/runtime';

export type PongMsg = { kind: 'ping'; seq: number; from: Pid<PingMsg> };
export type PingMsg =
  | { kind: 'pong'; seq: number }
  | { kind: 'run'; to: Pid<PongMsg>; rounds: number; warmup: number; report: Pid<PingReport> };
export interface PingReport {
  kind: 'ping-report';
  /** Round trips (ms), in order. */
  rtts: Float64Array;
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
  /**
   * Made once a run, at its size: a growing array of 20,000 numbers is a
   * large object every time it grows past 128 KiB, and those filled the old
   * generation of a thread that runs many such runs, whose major collections
   * then marked through measured runs (the GenServer rows' baseline: three
   * runs in forty at 2-3x, 2026-12-01).
   */
  rtts: Float64Array;
  at: number;
}

export const pinger = defineActor<undefined, PingState, PingMsg>({
  name: 'Pinger',
  init: () => ({ to: null, report: null, left: 0, warmup: 0, sentAt: 0, rtts: new Float64Array(0), at: 0 }),
  handle(msg, s, ctx) {
    const m = msg as PingMsg;
    if (m.kind === 'run') {
      s.to = m.to;
      s.report = m.report;
      s.left = m.rounds;
      s.warmup = m.warmup;
      s.rtts = new Float64Array(m.rounds);
      s.at = 0;
    } else if (m.kind === 'pong') {
      const rtt = performance.now() - s.sentAt;
      if (s.warmup > 0) s.warmup--;
      else {
        s.rtts[s.at++] = rtt;
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

/**
 * A round-trip rate without per-trip clocks: the same messages as `pinger`,
 * timed once from the first measured ping to the last pong (as the call
 * loop it is compared with is timed). `pinger`'s two clock reads a trip
 * (~35-40 ns each here) are a large share of an in-shard round trip of
 * ~0.1 us: summed per-trip times read that baseline slow.
 */
export const wallPinger = defineActor<undefined, { to: Pid<PongMsg> | null; report: Pid<WallReport> | null; left: number; warmup: number; t0: number }, PingMsg>({
  name: 'WallPinger',
  init: () => ({ to: null, report: null, left: 0, warmup: 0, t0: 0 }),
  handle(msg, s, ctx) {
    const m = msg as PingMsg;
    if (m.kind === 'run') {
      s.to = m.to;
      s.report = m.report as unknown as Pid<WallReport>;
      s.left = m.rounds;
      s.warmup = m.warmup;
      if (s.warmup === 0) s.t0 = performance.now();
    } else if (s.warmup > 0) {
      if (--s.warmup === 0) s.t0 = performance.now();
    } else if (--s.left === 0) {
      ctx.send(s.report!, { kind: 'wall-report', rounds: 0, ms: performance.now() - s.t0 });
      return s;
    }
    ctx.send(s.to!, { kind: 'ping', seq: s.left, from: ctx.self });
    return s;
  },
});

export interface WallReport {
  kind: 'wall-report';
  rounds: number;
  ms: number;
}
