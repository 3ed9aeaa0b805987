// Savina's micro benchmarks as joerl actors. Each reports `{ done, value }` to the bench when it finishes.
// The same protocols (message shapes included) are written for nact in nact.ts.
import { defineActor, type Pid } from '@joerl/runtime';

export interface Done {
  done: true;
  value: number;
}
type Report = Pid<Done>;
const done = (value: number): Done => ({ done: true, value });

/** Setup messages may carry `ack`: the bench waits for every actor's ack before it starts the clock. */
export const ACK = { ack: true } as const;
type Ack = { ack?: Pid<typeof ACK> };
function ack(msg: Ack, ctx: { send(to: Pid<any>, m: unknown): void }): void {
  if (msg.ack !== undefined) ctx.send(msg.ack, ACK);
}

// --- PingPong: two actors, N round trips ---------------------------------------
// ping <- { start, n, pong, report }, then numbers: PING (1) one way, PONG (2) back.
const PING = 1;
const PONG = 2;
type PingMsg = number | { start: true; n: number; pong: Pid<number | { peer: Pid<number> }>; report: Report };

export const ping = defineActor<undefined, { left: number; pong: Pid<any> | null; report: Report | null }, PingMsg>({
  name: 'SavinaPing',
  init: () => ({ left: 0, pong: null, report: null }),
  handle(msg, s, ctx) {
    if (msg === PONG) {
      if (--s.left === 0) ctx.send(s.report!, done(0));
      else ctx.send(s.pong!, PING);
    } else if (typeof msg === 'object' && 'start' in msg) {
      s.left = msg.n;
      s.pong = msg.pong;
      s.report = msg.report;
      ctx.send(msg.pong, { peer: ctx.self as Pid<number> });
      ctx.send(msg.pong, PING);
    }
    return s;
  },
});

export const pong = defineActor<undefined, { peer: Pid<number> | null }, number | { peer: Pid<number> }>({
  name: 'SavinaPong',
  init: () => ({ peer: null }),
  handle(msg, s, ctx) {
    if (msg === PING) ctx.send(s.peer!, PONG);
    else if (typeof msg === 'object' && 'peer' in msg) s.peer = msg.peer;
    return s;
  },
});

// --- Counting: a producer sends N increments to a counter, then asks for the count ---------
type CounterMsg = number | { get: Pid<number> };

export const counter = defineActor<undefined, { count: number }, CounterMsg>({
  name: 'SavinaCounter',
  init: () => ({ count: 0 }),
  handle(msg, s, ctx) {
    if (msg === 1) s.count++;
    else if (typeof msg === 'object' && 'get' in msg) {
      ctx.send(msg.get, s.count);
      s.count = 0;
    }
    return s;
  },
});

export const producer = defineActor<undefined, { report: Report | null }, number | { start: true; n: number; counter: Pid<CounterMsg>; report: Report }>({
  name: 'SavinaProducer',
  init: () => ({ report: null }),
  handle(msg, s, ctx) {
    if (typeof msg === 'number') ctx.send(s.report!, done(msg));
    else if (typeof msg === 'object' && 'start' in msg) {
      s.report = msg.report;
      for (let i = 0; i < msg.n; i++) ctx.send(msg.counter, 1);
      ctx.send(msg.counter, { get: ctx.self as Pid<number> });
    }
    return s;
  },
});

// --- ThreadRing: a token passed N times around a ring of actors -----------------------------
type RingMsg = number | ({ next: Pid<RingMsg>; report: Report } & Ack);

export const ringNode = defineActor<undefined, { next: Pid<RingMsg> | null; report: Report | null }, RingMsg>({
  name: 'SavinaRingNode',
  init: () => ({ next: null, report: null }),
  handle(msg, s, ctx) {
    if (typeof msg === 'number') {
      if (msg === 0) ctx.send(s.report!, done(0));
      else ctx.send(s.next!, msg - 1);
    } else if (typeof msg === 'object' && 'next' in msg) {
      s.next = msg.next;
      s.report = msg.report;
      ack(msg, ctx);
    }
    return s;
  },
});

// --- Chameneos: C creatures meet through a mall N times in all, changing colour -----------------
type Meet = { meet: Pid<ChameneoMsg>; color: number };
type ChameneoMsg = Meet | { change: number } | { exit: true } | { start: Pid<MallMsg> };
type MallMsg = Meet | { faded: number } | { start: true; n: number; creatures: Pid<ChameneoMsg>[]; report: Report };

const complement = (a: number, b: number) => (a === b ? a : 3 - a - b);

export const mall = defineActor<undefined, { left: number; waiting: Meet | null; creatures: number; faded: number; meetings: number; report: Report | null }, MallMsg>({
  name: 'SavinaMall',
  init: () => ({ left: 0, waiting: null, creatures: 0, faded: 0, meetings: 0, report: null }),
  handle(msg, s, ctx) {
    if (typeof msg !== 'object' || msg === null) return s;
    if ('meet' in msg) {
      if (s.left === 0) ctx.send(msg.meet, { exit: true });
      else if (s.waiting === null) s.waiting = msg;
      else {
        s.left--;
        ctx.send(s.waiting.meet, msg);
        s.waiting = null;
      }
    } else if ('faded' in msg) {
      s.meetings += msg.faded;
      if (++s.faded === s.creatures) ctx.send(s.report!, done(s.meetings));
    } else if ('start' in msg) {
      Object.assign(s, { left: msg.n, waiting: null, creatures: msg.creatures.length, faded: 0, meetings: 0, report: msg.report });
      // Started by the mall, so each creature's first meet arrives after this.
      for (const c of msg.creatures) ctx.send(c, { start: ctx.self as Pid<MallMsg> });
    }
    return s;
  },
});

export const chameneo = defineActor<{ color: number }, { color: number; mall: Pid<MallMsg> | null; meetings: number }, ChameneoMsg>({
  name: 'SavinaChameneo',
  init: (a) => ({ color: a.color, mall: null, meetings: 0 }),
  handle(msg, s, ctx) {
    if (typeof msg !== 'object' || msg === null) return s;
    if ('meet' in msg) {
      s.color = complement(s.color, msg.color);
      s.meetings++;
      ctx.send(msg.meet, { change: s.color });
      ctx.send(s.mall!, { meet: ctx.self as Pid<ChameneoMsg>, color: s.color });
    } else if ('change' in msg) {
      s.color = msg.change;
      s.meetings++;
      ctx.send(s.mall!, { meet: ctx.self as Pid<ChameneoMsg>, color: s.color });
    } else if ('exit' in msg) {
      ctx.send(s.mall!, { faded: s.meetings });
      s.meetings = 0;
    } else if ('start' in msg) {
      s.mall = msg.start;
      ctx.send(msg.start, { meet: ctx.self as Pid<ChameneoMsg>, color: s.color });
    }
    return s;
  },
});

// --- Big: W actors each ping random peers N times, waiting for each pong ---------------------------
type BigMsg = { ping: Pid<BigMsg> } | 0 | ({ peers: Pid<BigMsg>[]; n: number; sink: Pid<number>; seed: number } & Ack) | 'go';

export const bigNode = defineActor<undefined, { peers: Pid<BigMsg>[]; left: number; sink: Pid<number> | null; seed: number; me: { ping: Pid<BigMsg> } | null }, BigMsg>({
  name: 'SavinaBig',
  init: () => ({ peers: [], left: 0, sink: null, seed: 1, me: null }),
  handle(msg, s, ctx) {
    if (msg === 0) {
      // a pong
      if (--s.left === 0) ctx.send(s.sink!, 1);
      else ctx.send(pickPeer(s), s.me!);
    } else if (msg === 'go') ctx.send(pickPeer(s), s.me!);
    else if (typeof msg === 'object' && 'ping' in msg) ctx.send(msg.ping, 0);
    else if (typeof msg === 'object' && 'peers' in msg) {
      s.peers = msg.peers;
      s.left = msg.n;
      s.sink = msg.sink;
      s.seed = msg.seed;
      s.me = { ping: ctx.self as Pid<BigMsg> };
      ack(msg, ctx);
    }
    return s;
  },
});

/** A pseudo-random peer (xorshift32: the same sequence on every runtime). */
export function pickPeer<P>(s: { peers: P[]; seed: number }): P {
  let x = s.seed;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  s.seed = x >>> 0;
  return s.peers[s.seed % s.peers.length]!;
}

/** Counts `expect` ones, then reports. Used by Big and Fork-join throughput. */
export const sink = defineActor<undefined, { got: number; expect: number; report: Report | null }, number | ({ expect: number; report: Report } & Ack)>({
  name: 'SavinaSink',
  init: () => ({ got: 0, expect: 0, report: null }),
  handle(msg, s, ctx) {
    if (msg === 1) {
      if (++s.got === s.expect) ctx.send(s.report!, done(s.got));
    } else if (typeof msg === 'object' && 'expect' in msg) {
      s.got = 0;
      s.expect = msg.expect;
      s.report = msg.report;
      ack(msg, ctx);
    }
    return s;
  },
});

// --- Fork-join throughput: N messages to each of A actors, each does a little arithmetic ------------
/** Savina's per-message work. */
export function fjWork(theta: number): number {
  const sint = Math.sin(theta);
  return sint * sint;
}

export const fjWorker = defineActor<undefined, { left: number; sink: Pid<number> | null; acc: number }, number | ({ n: number; sink: Pid<number> } & Ack)>({
  name: 'SavinaFjWorker',
  init: () => ({ left: 0, sink: null, acc: 0 }),
  handle(msg, s, ctx) {
    if (typeof msg === 'number') {
      s.acc += fjWork(msg);
      if (--s.left === 0) ctx.send(s.sink!, 1);
    } else if (typeof msg === 'object' && 'n' in msg) {
      s.left = msg.n;
      s.sink = msg.sink;
      ack(msg, ctx);
    }
    return s;
  },
});

export const fjSource = defineActor<undefined, undefined, { workers: Pid<number>[]; n: number }>({
  name: 'SavinaFjSource',
  handle(msg, s, ctx) {
    if (typeof msg === 'object' && 'workers' in msg) {
      for (let i = 0; i < msg.n; i++) for (const w of msg.workers) ctx.send(w, 37.2);
    }
    return s;
  },
});

// --- Fork-join create: N actors created, each handles one message and stops -------------------------
/** This module, and the spawn options of the two spawning benchmarks: made once, not per spawn. */
const SELF = new URL(import.meta.url);
const FJ_LOCAL = { export: 'fjChild', shard: 'local' } as const;
const FJ_SPREAD = { export: 'fjChild', shard: 'round-robin' } as const;
const FIB_LOCAL = { export: 'fib', shard: 'local' } as const;
const FIB_SPREAD = { export: 'fib', shard: 'round-robin' } as const;

export const fjChild = defineActor<{ sink: Pid<number> }, { sink: Pid<number> }, number>({
  name: 'SavinaFjChild',
  init(a, ctx) {
    ctx.send(ctx.self, 37.2);
    return { sink: a.sink };
  },
  handle(msg, s, ctx) {
    if (typeof msg === 'number') {
      fjWork(msg);
      ctx.send(s.sink, 1);
      ctx.stop();
    }
    return s;
  },
});

export const fjCreator = defineActor<undefined, { got: number; n: number; report: Report | null }, number | { n: number; report: Report; placement: 'local' | 'round-robin' }>({
  name: 'SavinaFjCreator',
  init: () => ({ got: 0, n: 0, report: null }),
  handle(msg, s, ctx) {
    if (msg === 1) {
      if (++s.got === s.n) ctx.send(s.report!, done(s.got));
    } else if (typeof msg === 'object' && 'n' in msg) {
      Object.assign(s, { got: 0, n: msg.n, report: msg.report });
      const fail = (e: Error) => ctx.send(msg.report, { done: true, value: -1, error: e.message } as Done);
      // The same arguments and options for every child (in-shard, args are handed over, not copied).
      const args = { sink: ctx.self as Pid<number> };
      const opts = msg.placement === 'local' ? FJ_LOCAL : FJ_SPREAD;
      for (let i = 0; i < msg.n; i++) ctx.spawn(SELF, args, opts).catch(fail);
    }
    return s;
  },
});

// --- Fibonacci: fib(n) computed by a tree of actors, each spawning two children ------------------
export const fib = defineActor<{ n: number; parent: Pid<number>; placement: 'local' | 'round-robin' }, { parent: Pid<number>; sum: number; got: number }, number>({
  name: 'SavinaFib',
  init(a, ctx) {
    if (a.n <= 2) {
      ctx.send(a.parent, 1);
      ctx.stop();
    } else {
      const opts = a.placement === 'local' ? FIB_LOCAL : FIB_SPREAD;
      const fail = () => ctx.stop('spawn failed');
      ctx.spawn(SELF, { n: a.n - 1, parent: ctx.self as Pid<number>, placement: a.placement }, opts).catch(fail);
      ctx.spawn(SELF, { n: a.n - 2, parent: ctx.self as Pid<number>, placement: a.placement }, opts).catch(fail);
    }
    return { parent: a.parent, sum: 0, got: 0 };
  },
  handle(msg, s, ctx) {
    if (typeof msg === 'number') {
      s.sum += msg;
      if (++s.got === 2) {
        ctx.send(s.parent, s.sum);
        ctx.stop();
      }
    }
    return s;
  },
});
