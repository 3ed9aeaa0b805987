// The Savina micro benchmarks on nact (the most used Node actor library; one event loop), with the
// protocols and message shapes of micro.actor.ts. Each function resolves with the result once the run is done.
import { dispatch, spawn, start, stop, type Ref } from 'nact';
import { fjWork, pickPeer } from './micro.actor.js';

type System = ReturnType<typeof start>;
type Ctx = { self: Ref<any> };

function run<T>(body: (system: System, finish: (v: T) => void) => void): Promise<T> {
  const system = start();
  return new Promise<T>((resolve) => {
    body(system, (v) => {
      resolve(v);
      // Stop once the last handler has returned.
      setImmediate(() => stop(system));
    });
  });
}

export function pingPong(n: number): Promise<number> {
  return run((system, finish) => {
    let peer: Ref<any>;
    const pong = spawn(system, (s: null, msg: any) => {
      if (msg === 1) dispatch(peer, 2);
      else if (typeof msg === 'object' && 'peer' in msg) peer = msg.peer;
      return s;
    });
    const ping = spawn(system, (s: { left: number }, msg: any, ctx: Ctx) => {
      if (msg === 2) {
        if (--s.left === 0) finish(0);
        else dispatch(pong, 1);
      } else if (typeof msg === 'object' && 'start' in msg) {
        s = { left: msg.n };
        dispatch(pong, { peer: ctx.self });
        dispatch(pong, 1);
      }
      return s;
    });
    dispatch(ping, { start: true, n });
  });
}

export function counting(n: number): Promise<number> {
  return run((system, finish) => {
    const counter = spawn(system, (count: number = 0, msg: any) => {
      if (msg === 1) return count + 1;
      if (typeof msg === 'object' && 'get' in msg) dispatch(msg.get, count);
      return count;
    });
    const producer = spawn(system, (s: null, msg: any, ctx: Ctx) => {
      if (typeof msg === 'number') finish(msg);
      else if (typeof msg === 'object' && 'start' in msg) {
        for (let i = 0; i < msg.n; i++) dispatch(counter, 1);
        dispatch(counter, { get: ctx.self });
      }
      return s;
    });
    dispatch(producer, { start: true, n });
  });
}

export function threadRing(actors: number, passes: number): Promise<number> {
  return run((system, finish) => {
    const nodes: Ref<any>[] = [];
    for (let i = 0; i < actors; i++) {
      nodes.push(
        spawn(system, (s: { next: Ref<any> } | undefined, msg: any) => {
          if (typeof msg === 'number') {
            if (msg === 0) finish(0);
            else dispatch(s!.next, msg - 1);
            return s;
          }
          return { next: msg.next };
        }, `r${i}`),
      );
    }
    nodes.forEach((n, i) => dispatch(n, { next: nodes[(i + 1) % actors], report: null }));
    dispatch(nodes[0]!, passes);
  });
}

export function chameneos(creatures: number, meetings: number): Promise<number> {
  return run((system, finish) => {
    const m = { left: meetings, waiting: null as { meet: Ref<any>; color: number } | null, faded: 0, total: 0 };
    const mall = spawn(system, (s: null, msg: any) => {
      if ('meet' in msg) {
        if (m.left === 0) dispatch(msg.meet, { exit: true });
        else if (m.waiting === null) m.waiting = msg;
        else {
          m.left--;
          dispatch(m.waiting.meet, msg);
          m.waiting = null;
        }
      } else if ('faded' in msg) {
        m.total += msg.faded;
        if (++m.faded === creatures) finish(m.total);
      }
      return s;
    });
    const complement = (a: number, b: number) => (a === b ? a : 3 - a - b);
    for (let i = 0; i < creatures; i++) {
      const c = spawn(system, (s: { color: number; meetings: number } = { color: i % 3, meetings: 0 }, msg: any, ctx: Ctx) => {
        if ('meet' in msg) {
          s.color = complement(s.color, msg.color);
          s.meetings++;
          dispatch(msg.meet, { change: s.color });
          dispatch(mall, { meet: ctx.self, color: s.color });
        } else if ('change' in msg) {
          s.color = msg.change;
          s.meetings++;
          dispatch(mall, { meet: ctx.self, color: s.color });
        } else if ('exit' in msg) {
          dispatch(mall, { faded: s.meetings });
          s.meetings = 0;
        } else if ('start' in msg) dispatch(mall, { meet: ctx.self, color: s.color });
        return s;
      }, `c${i}`);
      dispatch(c, { start: mall });
    }
  });
}

export function big(actors: number, pings: number): Promise<number> {
  return run((system, finish) => {
    let done = 0;
    const nodes: Ref<any>[] = [];
    for (let i = 0; i < actors; i++) {
      nodes.push(
        spawn(system, (s: { peers: Ref<any>[]; left: number; seed: number; me: { ping: Ref<any> } } | undefined, msg: any, ctx: Ctx) => {
          if (msg === 0) {
            if (--s!.left === 0) {
              if (++done === actors) finish(done);
            } else dispatch(pickPeer(s!), s!.me);
          } else if (msg === 'go') dispatch(pickPeer(s!), s!.me);
          else if (typeof msg === 'object' && 'ping' in msg) dispatch(msg.ping, 0);
          else if (typeof msg === 'object' && 'peers' in msg) return { peers: msg.peers, left: msg.n, seed: msg.seed, me: { ping: ctx.self } };
          return s;
        }, `b${i}`),
      );
    }
    nodes.forEach((n, i) => dispatch(n, { peers: nodes, n: pings, seed: i + 1 }));
    for (const n of nodes) dispatch(n, 'go');
  });
}

export function fjThroughput(actors: number, messages: number): Promise<number> {
  return run((system, finish) => {
    let done = 0;
    const workers: Ref<any>[] = [];
    for (let i = 0; i < actors; i++) {
      workers.push(
        spawn(system, (s: { left: number; acc: number } = { left: messages, acc: 0 }, msg: any) => {
          s.acc += fjWork(msg);
          if (--s.left === 0 && ++done === actors) finish(done);
          return s;
        }, `w${i}`),
      );
    }
    for (let i = 0; i < messages; i++) for (const w of workers) dispatch(w, 37.2);
  });
}

export function fjCreate(n: number): Promise<number> {
  return run((system, finish) => {
    let got = 0;
    const child = (s: null, msg: any, ctx: Ctx) => {
      fjWork(msg);
      if (++got === n) finish(got);
      stop(ctx.self);
      return s;
    };
    for (let i = 0; i < n; i++) dispatch(spawn(system, child, `f${i}`), 37.2);
  });
}

export function fibonacci(n: number): Promise<number> {
  return run((system, finish) => {
    type S = { parent: Ref<any> | null; sum: number; got: number };
    const fib = (s: S | undefined, msg: any, ctx: Ctx): S | undefined => {
      if (typeof msg === 'object') {
        // { n, parent }: start
        if (msg.n <= 2) {
          reply(msg.parent, 1);
          stop(ctx.self);
          return s;
        }
        dispatch(spawn(ctx.self, fib, 'a'), { n: msg.n - 1, parent: ctx.self });
        dispatch(spawn(ctx.self, fib, 'b'), { n: msg.n - 2, parent: ctx.self });
        return { parent: msg.parent, sum: 0, got: 0 };
      }
      s!.sum += msg;
      if (++s!.got === 2) {
        reply(s!.parent, s!.sum);
        stop(ctx.self);
      }
      return s;
    };
    const reply = (to: Ref<any> | null, v: number) => (to === null ? finish(v) : dispatch(to, v));
    dispatch(spawn(system, fib, 'root'), { n, parent: null });
  });
}
