// The Savina micro benchmarks' definitions: how each sets up its joerl actors and times a run, its nact twin and its parameters.
import type { ActorSystem, Inbox, Pid } from '@joerl/runtime';
import { postMessagePingPong, postMessageThroughput } from '../baselines/post-message.js';
import type { Done } from './micro.actor.js';
import * as nact from './nact.js';

const MICRO = new URL('./micro.actor.js', import.meta.url);

export type Placement = (i: number) => number;
/** Sets up a benchmark's actors; `run` times one execution (ms). */
export type Setup = (system: ActorSystem, place: Placement, inbox: Inbox<any>) => Promise<{ run: () => Promise<number>; pids: Pid<any>[] }>;

export interface Micro {
  name: string;
  params: string;
  joerl: Setup;
  nact: () => Promise<number>;
  /** Raw postMessage between two threads, where the benchmark is a two-thread exchange. */
  postMessage?: () => Promise<number>;
  /** Time one nact run (ms) and check its result. */
  check: (value: number) => boolean;
  /** The same benchmark in bench/erlang/savina.erl: its name there and the same parameters. */
  erlang: [string, ...number[]];
}

const now = () => performance.now();

export async function doneOf(inbox: Inbox<any>, what: string): Promise<Done> {
  const m = (await inbox.receive((x: any) => x?.done === true || typeof x === 'number', { timeoutMs: 300_000 })) as Done | number | undefined;
  if (m === undefined) throw new Error(`${what}: no result within 5 minutes`);
  return typeof m === 'number' ? { done: true, value: m } : m;
}

async function spawnAll(system: ActorSystem, exp: string, count: number, place: Placement, args?: (i: number) => unknown, offset = 0): Promise<Pid<any>[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => system.spawn(MICRO, args?.(i), { export: exp, shard: place(i + offset) }) as Promise<Pid<any>>));
}

/** Sends setup messages carrying `ack` and waits for every ack, so the clock starts on a ready topology. */
async function setUp(system: ActorSystem, inbox: Inbox<any>, sends: Array<[Pid<any>, object]>): Promise<void> {
  for (const [to, msg] of sends) system.send(to, { ...msg, ack: inbox.pid });
  for (let i = 0; i < sends.length; i++) {
    const a = await inbox.receive((m: any) => m?.ack === true, { timeoutMs: 60_000 });
    if (a === undefined) throw new Error('setup was never acknowledged');
  }
}

export function microSuite(quick: boolean): Micro[] {
  const q = (full: number, small: number) => (quick ? small : full);
  const pingN = q(40_000, 10_000);
  const countN = q(1_000_000, 200_000);
  const ring = { actors: 100, passes: q(100_000, 20_000) };
  const cham = { creatures: 100, meetings: q(200_000, 20_000) };
  const bigP = { actors: 120, pings: q(20_000, 500) };
  const fjt = { actors: 60, messages: q(10_000, 1_000) };
  const fjc = q(40_000, 10_000);
  const fibN = q(25, 20);
  const FIB: Record<number, number> = { 20: 6765, 25: 75025 };
  return [
    {
      name: 'PingPong', params: `N=${pingN}`,
      joerl: async (system, place, inbox) => {
        const [ping] = await spawnAll(system, 'ping', 1, place);
        const [pong] = await spawnAll(system, 'pong', 1, place, undefined, 1);
        return { pids: [ping!, pong!], run: async () => { const t0 = now(); system.send(ping!, { start: true, n: pingN, pong, report: inbox.pid }); await doneOf(inbox, 'PingPong'); return now() - t0; } };
      },
      nact: () => nact.pingPong(pingN),
      postMessage: async () => (await postMessagePingPong(pingN, 1000)).reduce((a, b) => a + b, 0),
      check: () => true,
      erlang: ['pingpong', pingN],
    },
    {
      name: 'Counting', params: `N=${countN}`,
      joerl: async (system, place, inbox) => {
        const [producer] = await spawnAll(system, 'producer', 1, place);
        const [counter] = await spawnAll(system, 'counter', 1, place, undefined, 1);
        return {
          pids: [producer!, counter!],
          run: async () => {
            const t0 = now();
            system.send(producer!, { start: true, n: countN, counter, report: inbox.pid });
            const d = await doneOf(inbox, 'Counting');
            if (d.value !== countN) throw new Error(`Counting counted ${d.value}, not ${countN}`);
            return now() - t0;
          },
        };
      },
      nact: () => nact.counting(countN),
      // The same message as the joerl and Erlang versions send: the integer 1.
      postMessage: async () => (countN / (await postMessageThroughput(countN, true))) * 1000,
      check: (v) => v === countN,
      erlang: ['counting', countN],
    },
    {
      name: 'ThreadRing', params: `${ring.actors} actors, ${ring.passes} passes`,
      joerl: async (system, place, inbox) => {
        const nodes = await spawnAll(system, 'ringNode', ring.actors, place);
        await setUp(system, inbox, nodes.map((n, i) => [n, { next: nodes[(i + 1) % nodes.length], report: inbox.pid }]));
        return { pids: nodes, run: async () => { const t0 = now(); system.send(nodes[0]!, ring.passes); await doneOf(inbox, 'ThreadRing'); return now() - t0; } };
      },
      nact: () => nact.threadRing(ring.actors, ring.passes),
      check: () => true,
      erlang: ['threadring', ring.actors, ring.passes],
    },
    {
      name: 'Chameneos', params: `${cham.creatures} chameneos, ${cham.meetings} meetings`,
      joerl: async (system, place, inbox) => {
        const [mall] = await spawnAll(system, 'mall', 1, place);
        const creatures = await spawnAll(system, 'chameneo', cham.creatures, place, (i) => ({ color: i % 3 }), 1);
        return {
          pids: [mall!, ...creatures],
          run: async () => {
            const t0 = now();
            system.send(mall!, { start: true, n: cham.meetings, creatures, report: inbox.pid });
            const d = await doneOf(inbox, 'Chameneos');
            if (d.value !== 2 * cham.meetings) throw new Error(`Chameneos: ${d.value} meetings counted, not ${2 * cham.meetings}`);
            return now() - t0;
          },
        };
      },
      nact: () => nact.chameneos(cham.creatures, cham.meetings),
      check: (v) => v === 2 * cham.meetings,
      erlang: ['chameneos', cham.creatures, cham.meetings],
    },
    {
      name: 'Big', params: `${bigP.actors} actors, ${bigP.pings} pings each`,
      joerl: async (system, place, inbox) => {
        const nodes = await spawnAll(system, 'bigNode', bigP.actors, place);
        const [sink] = await spawnAll(system, 'sink', 1, place);
        return {
          pids: [...nodes, sink!],
          run: async () => {
            await setUp(system, inbox, [[sink!, { expect: bigP.actors, report: inbox.pid }], ...nodes.map((n, i): [Pid<any>, object] => [n, { peers: nodes, n: bigP.pings, sink, seed: i + 1 }])]);
            const t0 = now();
            for (const n of nodes) system.send(n, 'go');
            await doneOf(inbox, 'Big');
            return now() - t0;
          },
        };
      },
      nact: () => nact.big(bigP.actors, bigP.pings),
      check: (v) => v === bigP.actors,
      erlang: ['big', bigP.actors, bigP.pings],
    },
    {
      name: 'Fork-join throughput', params: `${fjt.actors} actors x ${fjt.messages} messages`,
      joerl: async (system, place, inbox) => {
        const workers = await spawnAll(system, 'fjWorker', fjt.actors, place, undefined, 1);
        const [sink] = await spawnAll(system, 'sink', 1, place);
        const [source] = await spawnAll(system, 'fjSource', 1, place);
        return {
          pids: [...workers, sink!, source!],
          run: async () => {
            await setUp(system, inbox, [[sink!, { expect: fjt.actors, report: inbox.pid }], ...workers.map((w): [Pid<any>, object] => [w, { n: fjt.messages, sink }])]);
            const t0 = now();
            system.send(source!, { workers, n: fjt.messages });
            await doneOf(inbox, 'Fork-join throughput');
            return now() - t0;
          },
        };
      },
      nact: () => nact.fjThroughput(fjt.actors, fjt.messages),
      check: (v) => v === fjt.actors,
      erlang: ['fjthroughput', fjt.actors, fjt.messages],
    },
    {
      name: 'Fork-join create', params: `${fjc} actors`,
      joerl: async (system, place, inbox) => {
        const [creator] = await spawnAll(system, 'fjCreator', 1, place);
        const placement = place(1) === place(0) ? 'local' : 'round-robin';
        return {
          pids: [creator!],
          run: async () => {
            const t0 = now();
            system.send(creator!, { n: fjc, report: inbox.pid, placement });
            const d = await doneOf(inbox, 'Fork-join create');
            if (d.value !== fjc) throw new Error(`Fork-join create: ${d.value} of ${fjc}`);
            return now() - t0;
          },
        };
      },
      nact: () => nact.fjCreate(fjc),
      check: (v) => v === fjc,
      erlang: ['fjcreate', fjc],
    },
    {
      name: 'Fibonacci', params: `N=${fibN}`,
      joerl: async (system, place, inbox) => {
        const placement = place(1) === place(0) ? 'local' : 'round-robin';
        return {
          pids: [],
          run: async () => {
            const t0 = now();
            await system.spawn(MICRO, { n: fibN, parent: inbox.pid, placement }, { export: 'fib', shard: place(0) });
            const d = await doneOf(inbox, 'Fibonacci');
            if (d.value !== FIB[fibN]) throw new Error(`fib(${fibN}) = ${d.value}?`);
            return now() - t0;
          },
        };
      },
      nact: () => nact.fibonacci(fibN),
      check: (v) => v === FIB[fibN],
      erlang: ['fib', fibN],
    },
  ];
}

