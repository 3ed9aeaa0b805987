// Savina's parallel benchmarks as joerl actors: a master hands out work to workers spread over the shards.
import { defineActor, type Pid } from '@joerl/runtime';
import { nqueensCount, nqueensExpand, piDigits, piScale, piTermRun, piTerms, PI_PREFIX, trapezoidArea, trapezoidSlice } from './kernels.js';
import type { Done } from './micro.actor.js';

type Report = Pid<Done>;

// --- Trapezoid: one slice of the integral per worker ---------------------------------
type TrapWork = { left: number; pieces: number; h: number; master: Pid<TrapMsg> };
type TrapMsg = { area: number } | { start: true; workers: Pid<TrapWork>[]; pieces: number; report: Report };

export const trapWorker = defineActor<undefined, undefined, TrapWork>({
  name: 'TrapezoidWorker',
  handle(msg, s, ctx) {
    if (typeof msg === 'object' && 'pieces' in msg) ctx.send(msg.master, { area: trapezoidArea(msg.left, msg.pieces, msg.h) });
    return s;
  },
});

export const trapMaster = defineActor<undefined, { left: number; area: number; report: Report | null }, TrapMsg>({
  name: 'TrapezoidMaster',
  init: () => ({ left: 0, area: 0, report: null }),
  handle(msg, s, ctx) {
    if (typeof msg !== 'object' || msg === null) return s;
    if ('area' in msg) {
      s.area += msg.area;
      if (--s.left === 0) ctx.send(s.report!, { done: true, value: s.area });
    } else if ('start' in msg) {
      Object.assign(s, { left: msg.workers.length, area: 0, report: msg.report });
      msg.workers.forEach((w, i) => ctx.send(w, { ...trapezoidSlice(i, msg.workers.length, msg.pieces), master: ctx.self as Pid<TrapMsg> }));
    }
    return s;
  },
});

// --- NQueens: boards shorter than the threshold fork into longer ones, sent on to peers; longer ones are solved ------
type NqResult = { solutions: number; forked: number };
type NqMsg = number[] | { peers: Pid<NqMsg>[]; master: Pid<NqResult>; size: number; threshold: number };
type NqMasterMsg = NqResult | { start: true; workers: Pid<NqMsg>[]; size: number; threshold: number; report: Report };

export const nqWorker = defineActor<undefined, { peers: Pid<NqMsg>[]; master: Pid<NqResult> | null; size: number; threshold: number; next: number }, NqMsg>({
  name: 'NQueensWorker',
  init: () => ({ peers: [], master: null, size: 0, threshold: 0, next: 0 }),
  handle(msg, s, ctx) {
    if (Array.isArray(msg)) {
      if (msg.length >= s.threshold) ctx.send(s.master!, { solutions: nqueensCount(s.size, msg), forked: 0 });
      else {
        const boards = nqueensExpand(s.size, msg);
        // Counted before the boards go out, so the master never sees the work run dry early.
        ctx.send(s.master!, { solutions: 0, forked: boards.length });
        for (const b of boards) {
          ctx.send(s.peers[s.next]!, b);
          s.next = (s.next + 1) % s.peers.length;
        }
      }
    } else if (typeof msg === 'object' && msg !== null && 'peers' in msg) {
      Object.assign(s, { peers: msg.peers, master: msg.master, size: msg.size, threshold: msg.threshold, next: msg.peers.indexOf(ctx.self as Pid<NqMsg>) + 1 });
    }
    return s;
  },
});

export const nqMaster = defineActor<undefined, { outstanding: number; solutions: number; report: Report | null }, NqMasterMsg>({
  name: 'NQueensMaster',
  init: () => ({ outstanding: 0, solutions: 0, report: null }),
  handle(msg, s, ctx) {
    if (typeof msg !== 'object' || msg === null) return s;
    if ('forked' in msg) {
      s.solutions += msg.solutions;
      s.outstanding += msg.forked - 1;
      if (s.outstanding === 0) ctx.send(s.report!, { done: true, value: s.solutions });
    } else if ('start' in msg) {
      Object.assign(s, { outstanding: 1, solutions: 0, report: msg.report });
      for (const w of msg.workers) ctx.send(w, { peers: msg.workers, master: ctx.self as Pid<NqResult>, size: msg.size, threshold: msg.threshold });
      ctx.send(msg.workers[0]!, []);
    }
    return s;
  },
});

// --- PiPrecision: runs of BBP terms handed out on demand; each worker keeps its own running sum -------------------
// The master hands a run of `chunk` terms to whichever worker finished one (`inFlight` per worker), and
// once every run is done collects one partial sum from each worker. Partial sums stay in the workers'
// state, so the serial part (parsing big integers on the master) is one per worker, not one per run.
type PiWork = { k: number; count: number; digits: number; master: Pid<PiMsg> } | { collect: Pid<PiMsg> };
type PiMsg =
  | { did: Pid<PiWork> }
  | { sum: string }
  | { start: true; workers: Pid<PiWork>[]; digits: number; chunk: number; inFlight: number; report: Report };

export const piWorker = defineActor<undefined, { scale: bigint; digits: number; sum: bigint }, PiWork>({
  name: 'PiWorker',
  init: () => ({ scale: 0n, digits: -1, sum: 0n }),
  handle(msg, s, ctx) {
    if (typeof msg !== 'object' || msg === null) return s;
    if ('k' in msg) {
      if (msg.digits !== s.digits) Object.assign(s, { scale: piScale(msg.digits), digits: msg.digits, sum: 0n });
      s.sum += piTermRun(msg.k, msg.count, s.scale);
      ctx.send(msg.master, { did: ctx.self as Pid<PiWork> });
    } else if ('collect' in msg) {
      // Sums cross threads as hex text: big integers are not a msgpack type.
      ctx.send(msg.collect, { sum: s.sum.toString(16) });
      s.sum = 0n;
    }
    return s;
  },
});

export const piMaster = defineActor<
  undefined,
  { next: number; terms: number; chunk: number; runs: number; done: number; workers: Pid<PiWork>[]; sums: number; digits: number; sum: bigint; report: Report | null },
  PiMsg
>({
  name: 'PiMaster',
  init: () => ({ next: 0, terms: 0, chunk: 1, runs: 0, done: 0, workers: [], sums: 0, digits: 0, sum: 0n, report: null }),
  handle(msg, s, ctx) {
    if (typeof msg !== 'object' || msg === null) return s;
    const self = ctx.self as Pid<PiMsg>;
    const handOut = (w: Pid<PiWork>) => {
      const count = Math.min(s.chunk, s.terms - s.next);
      ctx.send(w, { k: s.next, count, digits: s.digits, master: self });
      s.next += count;
    };
    if ('did' in msg) {
      if (s.next < s.terms) handOut(msg.did);
      if (++s.done === s.runs) for (const w of s.workers) ctx.send(w, { collect: self });
    } else if ('sum' in msg) {
      s.sum += BigInt(`0x${msg.sum}`);
      if (++s.sums === s.workers.length) {
        const digits = piDigits(s.sum, s.digits);
        ctx.send(s.report!, { done: true, value: PI_PREFIX.startsWith(digits.slice(0, PI_PREFIX.length)) ? s.digits : -1 });
      }
    } else if ('start' in msg) {
      const terms = piTerms(msg.digits);
      Object.assign(s, { next: 0, terms, chunk: msg.chunk, runs: Math.ceil(terms / msg.chunk), done: 0, workers: msg.workers, sums: 0, digits: msg.digits, sum: 0n, report: msg.report });
      for (let round = 0; round < msg.inFlight; round++) for (const w of msg.workers) if (s.next < s.terms) handOut(w);
    }
    return s;
  },
});
