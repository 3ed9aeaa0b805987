// Node benchmarks: remote one-way throughput and call round trips between two node processes, beside raw NATS
// (same client, payloads and processes); time to detect a SIGKILLed and a SIGSTOPped node.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr';
import { connect } from '@nats-io/transport-node';
import { ActorSystem, type NodeDownInfo, type Pid } from '@joerl/runtime';
import type { SinkDone, SinkMsg } from '../actors/sink.actor.js';
import type { SourceMsg } from '../actors/source.actor.js';
import { compare, percentile, sample, settle, type Row } from '../harness.js';
import { type BenchNats, startBenchNats } from './nats-server.js';

const PEER = fileURLToPath(new URL('./peer.js', import.meta.url));
const actor = (f: string) => new URL(`../actors/${f}`, import.meta.url);
/**
 * Failure detection of the benchmark's nodes: a heartbeat every 250 ms, down after 2 s of silence.
 * Shorter bounds are possible, but on a loaded 2-core box a node flooded with messages can be starved
 * of CPU for over a second, and a false "down" would end the run.
 */
const TICK_MS = 250;
const DOWN_AFTER_MS = 2000;

export interface NodesBenchConfig {
  runs: number;
  messages: number;
  calls: number;
  progress: (what: string) => void;
}

interface Peer {
  proc: ChildProcess;
  stop(): Promise<void>;
}

async function startPeer(nats: BenchNats, name: string): Promise<Peer> {
  const proc = spawn(process.execPath, [PEER, nats.url, nats.auth.user, nats.auth.pass, name, String(TICK_MS), String(DOWN_AFTER_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (l.includes('"ready":true')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`the peer process exited (${code}) before it was ready`)));
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGCONT');
        proc.stdin!.end();
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

function nextDown(system: ActorSystem, name: string): Promise<NodeDownInfo> {
  return new Promise((resolve) => {
    const on = (d: NodeDownInfo): void => {
      if (d.name !== name) return;
      system.off('nodeDown', on);
      resolve(d);
    };
    system.on('nodeDown', on);
  });
}

export async function nodesBenchmarks(cfg: NodesBenchConfig): Promise<Row[]> {
  const nats = await startBenchNats();
  const rows: Row[] = [];
  const node = { cluster: 'bench', servers: nats.url, ...nats.auth, tickMs: TICK_MS, downAfterMs: DOWN_AFTER_MS, systemAccount: nats.system };
  const a = await ActorSystem.start({ threads: 1, node: { name: 'a', ...node } });
  const peer = await startPeer(nats, 'b');
  const nc = await connect({ servers: nats.url, ...nats.auth });
  const packr = new Packr({ useRecords: true, moreTypes: true });
  const inbox = a.inbox<SinkDone>();
  try {
    const sink = (await a.whereisGlobal('sink-b')) as Pid<SinkMsg>;
    const echo = (await a.whereisGlobal('echo-b')) as Pid<any>;
    const source = (await a.spawn(actor('source.actor.js'), undefined, { shard: 1 })) as Pid<SourceMsg>;
    const n = cfg.messages;

    // One-way: a source actor on node a sends n ticks to a sink on node b, which reports back.
    const joerlRun = async (): Promise<number> => {
      a.send(sink, { kind: 'expect', n, report: inbox.pid });
      // The expectation is in place before the flood: a round trip through b proves it.
      await a.call(echo, { n: 0 });
      const t0 = performance.now();
      a.send(source, { kind: 'go', to: sink as Pid<never>, n, chunk: 1000 });
      await inbox.receive();
      return n / ((performance.now() - t0) / 1000);
    };
    // Raw: the same payloads, one publish each, to a subscriber in the same peer process.
    const done = nc.subscribe('bench.raw.done');
    const doneIt = done[Symbol.asyncIterator]();
    const rawRun = async (): Promise<number> => {
      await nc.request('bench.raw.expect', new TextEncoder().encode(String(n)), { timeout: 10_000 });
      const t0 = performance.now();
      for (let i = 0; i < n; i++) nc.publish('bench.raw.data', packr.pack({ kind: 'tick', seq: i, payload: 'abcdefgh' }).slice());
      await doneIt.next();
      return n / ((performance.now() - t0) / 1000);
    };
    cfg.progress('nodes one-way throughput');
    const joerlTp: number[] = [];
    const rawTp: number[] = [];
    await joerlRun();
    await rawRun();
    settle();
    for (let i = 0; i < cfg.runs; i++) {
      joerlTp.push(await joerlRun());
      rawTp.push(await rawRun());
    }
    rows.push(compare({
      group: 'nodes', name: 'remote one-way, 2 node processes', unit: 'msg/s', joerl: sample(joerlTp),
      baseline: { name: 'raw NATS pub/sub', sample: sample(rawTp) }, target: 0.8,
      notes: `${n} messages of a small record per run; each node process runs 1 shard (2-core machine)`,
    }, true));

    // Round trips: a call from node a's main thread to an echo GenServer on node b; raw: request/reply.
    cfg.progress('nodes call round trips');
    const calls = cfg.calls;
    const joerlRtt: number[] = [];
    const rawRtt: number[] = [];
    for (let i = 0; i < 200; i++) {
      await a.call(echo, { n: i });
      await nc.request('bench.raw.echo', packr.pack({ n: i }).slice(), { timeout: 5000 });
    }
    settle();
    for (let i = 0; i < calls; i++) {
      let t0 = performance.now();
      await a.call(echo, { n: i });
      joerlRtt.push((performance.now() - t0) * 1000);
      t0 = performance.now();
      await nc.request('bench.raw.echo', packr.pack({ n: i }).slice(), { timeout: 5000 });
      rawRtt.push((performance.now() - t0) * 1000);
    }
    joerlRtt.sort((x, y) => x - y);
    rawRtt.sort((x, y) => x - y);
    const p50 = (xs: number[]) => sample([percentile(xs, 0.5)]);
    const row = compare({ group: 'nodes', name: 'remote call p50', unit: 'us', joerl: p50(joerlRtt), baseline: { name: 'raw NATS request/reply', sample: p50(rawRtt) } }, false);
    rows.push({ ...row, check: { text: '<= 1.3x raw', pass: row.joerl.median <= 1.3 * row.baseline!.sample.median }, notes: `${calls} sequential calls; p99 ${percentile(joerlRtt, 0.99).toFixed(0)} us vs raw ${percentile(rawRtt, 0.99).toFixed(0)} us` });
  } finally {
    inbox.close();
    await nc.close();
    await peer.stop();
  }

  // Detection: a node process killed (the servers' disconnect event), and one frozen (heartbeats).
  try {
    for (const [signal, label] of [['SIGKILL', 'killed'], ['SIGSTOP', 'frozen']] as const) {
      cfg.progress(`nodes: detect a ${label} node`);
      const times: number[] = [];
      const reasons = new Set<string>();
      for (let i = 0; i < Math.min(cfg.runs, 3); i++) {
        const name = `v${signal}${i}`;
        const victim = await startPeer(nats, name);
        const gone = nextDown(a, name);
        const t0 = performance.now();
        victim.proc.kill(signal);
        reasons.add((await gone).reason);
        times.push(performance.now() - t0);
        victim.proc.kill('SIGKILL');
        await victim.stop();
      }
      rows.push({
        group: 'nodes', name: `detect a ${label} node (${signal})`, unit: 'ms', joerl: sample(times),
        notes: `reason ${[...reasons].join('/')}; tickMs ${TICK_MS}, downAfterMs ${DOWN_AFTER_MS}, servers' disconnect events on`,
      });
    }
  } finally {
    await a.shutdown();
    await nats.stop();
  }
  return rows;
}
