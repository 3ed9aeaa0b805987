// The cluster example: three nodes (this process and two more) share a CPU-heavy job through a supervised tree;
// one node is killed midway and the others finish the job.
//
//   node examples/dist/cluster/main.js            starts its own nats-server (Debian package nats-server)
//   NATS_URL=nats://host:4222 node ...main.js     or uses a running one (JetStream on: nats-server -js)
//   BLOCKS=60 ROUNDS=100000 KILL_AT=20            the job's size, and after how many blocks n3 is killed
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorSystem, type Pid, Supervisor } from '@joerl/runtime';
import type { Progress } from './dispatcher.server.js';

const BLOCKS = Number(process.env.BLOCKS ?? 60);
const ROUNDS = Number(process.env.ROUNDS ?? 100_000);
const KILL_AT = Number(process.env.KILL_AT ?? Math.floor(BLOCKS / 3));
const here = (f: string) => new URL(f, import.meta.url);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A nats-server of our own on 127.0.0.1 (JetStream in a temp folder), unless NATS_URL names one. */
async function natsServer(): Promise<{ url: string; stop: () => void }> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, stop: () => {} };
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'joerl-cluster-'));
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const on = (d: Buffer): void => {
      out += d;
      if (out.includes('Server is ready')) resolve();
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.once('error', () => reject(new Error('nats-server is not installed: apt-get install nats-server, or set NATS_URL')));
    // Ended before it was ready (a port taken meanwhile, a bad flag): say so, with what it printed, rather than wait for good.
    proc.once('exit', (code, signal) => reject(new Error(`nats-server exited before it was ready (${code ?? signal}):\n${out}`)));
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: () => {
      proc.kill('SIGTERM');
      proc.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    },
  };
}

const nats = await natsServer();
const others: Record<string, ChildProcess> = {};
for (const name of ['n2', 'n3']) {
  others[name] = spawn(process.execPath, [fileURLToPath(here('./node.js')), name, nats.url], { stdio: ['pipe', 'inherit', 'inherit'] });
}
const system = await ActorSystem.start({
  threads: 1,
  node: { name: 'n1', servers: nats.url, cluster: 'example', root: fileURLToPath(here('..')), tickMs: 250, downAfterMs: 1500 },
});
// Nodes already there when we joined are connected by now; the others say so as they come.
for (const n of system.nodes()) console.log(`[n1] node ${n.name} up (id ${n.id})`);
system.on('nodeUp', (n) => console.log(`[n1] node ${n.name} up (id ${n.id})`));
system.on('nodeDown', (n) => console.log(`[n1] node ${n.name} down: ${n.reason}; links to its processes exited noconnection`));
// The other two join in their own time; wait until both are connected (a node process that ends first is an error).
await new Promise<void>((resolve, reject) => {
  const ended = (name: string) => (code: number | null, signal: string | null): void => reject(new Error(`node ${name} ended before it joined (${code ?? signal})`));
  const watchers = Object.entries(others).map(([name, child]) => [child, ended(name)] as const);
  for (const [child, on] of watchers) child.once('exit', on);
  const check = (): void => {
    if (system.nodes().length < 2) return;
    system.off('nodeUp', check);
    for (const [child, on] of watchers) child.off('exit', on);
    resolve();
  };
  system.on('nodeUp', check);
  check();
}).catch(async (err: Error) => {
  for (const child of Object.values(others)) child.kill('SIGKILL');
  await system.shutdown();
  nats.stop();
  throw err;
});

const inbox = system.inbox<Progress>();
const dispatcher = await system.spawn(here('./dispatcher.server.js'), { blocks: BLOCKS, report: inbox.pid }, { shard: 1 });
const started = performance.now();
const pool = await system.spawn(here('./pool.sup.js'), { dispatcher: dispatcher as Pid, rounds: ROUNDS, nodes: ['n2', 'n3'], workersPerNode: 2 }, { shard: 1 });
console.log(`[n1] ${BLOCKS} blocks of ${ROUNDS} chained SHA-256 rounds, 2 workers on each of n1, n2, n3`);

let killed = false;
for (;;) {
  const p = (await inbox.receive()) as Progress;
  if (p.kind === 'requeued') {
    console.log(`[n1] block ${p.block} went back to the queue (its worker's node is gone)`);
    continue;
  }
  if (p.done % 10 === 0 || p.kind === 'finished') console.log(`[n1] ${p.done}/${p.total} done ${JSON.stringify(p.byNode)}`);
  if (!killed && p.done >= KILL_AT) {
    killed = true;
    console.log('[n1] killing n3 (SIGKILL)');
    others.n3!.kill('SIGKILL');
  }
  if (p.kind === 'finished') {
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`[n1] finished: ${p.done} of ${p.total} blocks in ${secs} s, by node ${JSON.stringify(p.byNode)}`);
    break;
  }
}

// The job may finish before n1 notices n3 is gone (downAfterMs): wait for that, then look where the
// supervisor's children run now: n3's were restarted here (their specs say [n3, 'local']).
if (killed && system.nodes().some((n) => n.name === 'n3')) {
  await new Promise<void>((resolve) => {
    const on = (n: { name: string }): void => {
      if (n.name !== 'n3') return;
      system.off('nodeDown', on);
      resolve();
    };
    system.on('nodeDown', on);
  });
}
const names = new Map([[system.node!.id, 'n1'], ...system.nodes().map((n) => [n.id, n.name] as const)]);
for (const c of await Supervisor.whichChildren(system, pool)) console.log(`[n1] child ${c.id} runs on ${names.get(c.pid?.node ?? -1) ?? '?'}`);

await system.shutdown();
// Every node still running is told to stop (n3 too, when KILL_AT was past the job's end).
await Promise.all(
  Object.values(others)
    .filter((child) => child.exitCode === null && child.signalCode === null)
    .map((child) => {
      child.stdin!.end();
      return new Promise((r) => child.once('exit', r));
    }),
);
nats.stop();
