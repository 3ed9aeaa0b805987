// `npm start`: hash workers on every core, fed by a dispatcher, under supervision;
// faults injected on a timer; /metrics, /health, /ready, /live and the /observer page on 127.0.0.1:9090.
//
//   npm start -- --port 9091 --duration 60 --rounds 20000 --fault-every 10 --no-faults
import { parseArgs } from 'node:util';
import { ActorSystem, type Pid, Supervisor, formatReason } from '@joerl/runtime';
import { serveHealth } from '@joerl/health';
import { serveObserver } from '@joerl/observer';
import type App from './app.sup.js';
import type { Stats } from './dispatcher.server.js';

const usage = 'usage: npm start -- [--port N] [--host ADDR] [--duration SECONDS] [--rounds N] [--fault-every SECONDS] [--no-faults]';

function flags() {
  let v;
  try {
    ({ values: v } = parseArgs({
      options: {
        port: { type: 'string', default: '9090' },
        host: { type: 'string', default: '127.0.0.1' },
        duration: { type: 'string' },
        rounds: { type: 'string', default: '20000' },
        'fault-every': { type: 'string', default: '10' },
        'no-faults': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (v.help) {
    console.log(usage);
    process.exit(0);
  }
  const number = (name: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  return {
    port: Math.trunc(number('port', v.port, 0, 65535)),
    host: v.host!,
    durationMs: v.duration === undefined ? Infinity : number('duration', v.duration, 0.001, 1e7) * 1000,
    rounds: Math.trunc(number('rounds', v.rounds, 1, 1e8)),
    faultEveryMs: number('fault-every', v['fault-every'], 0.1, 1e6) * 1000,
    faults: !v['no-faults'],
  };
}

function fail(message: string): never {
  console.error(`demo: ${message}\n${usage}`);
  process.exit(2);
}

const opts = flags();

// A handler that runs past 2 s is a stuck shard: the watchdog restarts it (and Ctrl-C waits at most 3 s for one).
// Crash and supervisor reports, one line each (the default logger prints their stacks too).
const report = (_obj: object, msg?: string): void => console.log(`        report: ${msg}`);
const system = await ActorSystem.start({
  handlerTimeoutMs: 2000,
  shutdownTimeoutMs: 3000,
  logger: { error: report, warn: report, info: report, debug: report },
});
// A short window so the status recovers between faults; a stall shows before the watchdog acts.
const { health, server } = await serveHealth(system, {
  port: opts.port,
  host: opts.host,
  health: { windowMs: 5000, maxStallMs: 500, maxPanicRate: 0.005, maxRestartRate: 0.005 },
});
// The live page (off unless asked for: it shows process state and can kill processes), on the same server.
const observer = await serveObserver(system);
let shardRestarts = 0;
system.on('shardRestart', () => shardRestarts++);

const workers = system.shards * 2;
const args = { workers, rounds: opts.rounds, shards: system.shards };
let stopping = false;
/** The running root supervisor (a new pid after each restart). */
let appPid: Pid<unknown> | null = null;

/** The main thread is the top of the tree: if the root supervisor dies (its shard was killed), start it again. */
async function startApp(): Promise<Pid<unknown>> {
  for (;;) {
    try {
      const pid = await system.spawn<typeof App>(new URL('./app.sup.js', import.meta.url), args, { shard: 1, name: 'app' });
      appPid = pid;
      void system.join(pid).then((reason) => {
        if (stopping) return;
        log(`root supervisor ${pid} exited (${formatReason(reason)}); starting it again`);
        void startApp();
      });
      return pid;
    } catch (err) {
      // Stopping: the first start's failure is the caller's to see; a restart's (nobody awaits it) ends quietly.
      if (stopping) {
        if (appPid === null) throw err;
        return appPid;
      }
      await new Promise((r) => setTimeout(r, 100)); // its shard is still restarting
    }
  }
}
const app = await startApp();
const base = server.url;
console.log(`joerl demo: ${system.shards} shards, ${workers} hash workers (${opts.rounds} SHA-256 rounds per job), supervisor ${app}`);
console.log(`  ${base}/metrics  ${base}/health  ${base}/ready  ${base}/live`);
console.log(`  observer: ${observer.url}  (live processes, supervision tree, shards)`);
console.log(`  faults: ${opts.faults ? `one every ${opts.faultEveryMs / 1000} s (panic, stuck handler, dead shard)` : 'off'}; Ctrl-C stops${opts.durationMs < Infinity ? `; stops after ${opts.durationMs / 1000} s` : ''}\n`);

// --- faults -----------------------------------------------------------------
const faults = ['panic', 'stuck handler', 'dead shard'] as const;
let nextFault = 0;

/** The workers of one shard other than shard 1 (where the dispatcher and the supervisors live), if there is one. */
async function victims(): Promise<{ shard: number; pids: Pid<any>[] } | undefined> {
  const children = await Supervisor.whichChildren(system, 'workers');
  const pids = children.flatMap((c) => (c.pid === undefined ? [] : [c.pid as Pid<any>]));
  const shards = [...new Set(pids.map((p) => p.shard))].filter((s) => s !== 1 || system.shards === 1);
  if (shards.length === 0) return undefined;
  const shard = shards[Math.floor(Math.random() * shards.length)]!;
  return { shard, pids: pids.filter((p) => p.shard === shard) };
}

async function injectFault(): Promise<void> {
  const kind = faults[nextFault++ % faults.length]!;
  const v = await victims().catch(() => undefined);
  if (v === undefined || stopping) return; // stopping began while we looked
  if (kind === 'panic') {
    for (const pid of v.pids) system.send(pid, { kind: 'panic' });
    log(`fault: the ${v.pids.length} workers on shard ${v.shard} panic (${v.pids.join(' ')})`);
  } else if (kind === 'stuck handler') {
    system.send(v.pids[0]!, { kind: 'get-stuck' });
    log(`fault: worker ${v.pids[0]} enters an endless loop; shard ${v.shard} stalls until the watchdog restarts it`);
  } else {
    log(`fault: shard ${v.shard} killed`);
    system.killShard(v.shard);
  }
}

// --- live summary ----------------------------------------------------------
const started = performance.now();
// The dispatcher's tallies restart from zero with it; what earlier incarnations counted is carried here.
const carried: Stats = { issued: 0, done: 0, perShard: {}, busyMs: 0 };
let current: Stats = { issued: 0, done: 0, perShard: {}, busyMs: 0 };
let lastDone = 0;
let lastAt = started;

function log(line: string): void {
  console.log(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s  ${line}`);
}

function total(): Stats {
  const perShard = { ...carried.perShard };
  for (const [s, n] of Object.entries(current.perShard)) perShard[Number(s)] = (perShard[Number(s)] ?? 0) + n;
  return { issued: carried.issued + current.issued, done: carried.done + current.done, perShard, busyMs: carried.busyMs + current.busyMs };
}

async function summary(): Promise<void> {
  try {
    const next = (await system.call<Pid<any>>('dispatcher', { kind: 'stats' }, { timeoutMs: 1000 })) as Stats;
    if (next.issued < current.issued) Object.assign(carried, total()); // a new dispatcher
    current = next;
  } catch {
    // the dispatcher is being restarted: show the last tallies
  }
  if (!system.running) return; // a tick that was under way when the system stopped
  const t = total();
  const now = performance.now();
  const rate = ((t.done - lastDone) * 1000) / (now - lastAt);
  lastDone = t.done;
  lastAt = now;
  const perShard = Object.entries(t.perShard).map(([s, n]) => `s${s} ${n}`).join(', ');
  const issues = health.getIssues().map((i) => i.title);
  log(
    `jobs ${t.done} (${perShard || '-'}) ${rate.toFixed(0)}/s | ` +
      `restarts ${system.metricTotal('joerl_supervisor_restarts_total')}, panics ${system.metricTotal('joerl_actors_panicked_total')}, shard restarts ${shardRestarts} | ` +
      `${health.getStatus()}${issues.length > 0 ? `: ${issues.join('; ')}` : ''}`,
  );
}

const ticker = setInterval(() => void summary(), 1000);
const injector = opts.faults ? setInterval(() => void injectFault(), opts.faultEveryMs) : null;

// --- stopping --------------------------------------------------------------
async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  if (injector !== null) clearInterval(injector);
  if (deadline !== null) clearTimeout(deadline);
  await summary();
  health.beginShutdown(); // /ready answers 503 from here on
  const t = total();
  log(`stopping (${why}): ${t.done} jobs done of ${t.issued} issued; ${(t.busyMs / 1000).toFixed(1)} s of hashing in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Stop the tree the OTP way first: the root stops its children in reverse start order, so the
  // workers finish before the dispatcher they report to is gone. Then the shards.
  if (appPid !== null) {
    system.exit(appPid, 'shutdown');
    await system.join(appPid);
  }
  await system.shutdown();
  health.stop();
  log('stopped');
}

// `on`, not `once`: under npm start a Ctrl-C reaches the demo twice (the terminal's process group, and npm
// forwarding it), and a second signal with no listener would kill it in the middle of its orderly stop.
// A second Ctrl-C of your own (a third or fourth signal) ends a stop that hangs, at once.
let signals = 0;
const onSignal = (why: string) => (): void => {
  if (++signals > 2) {
    log('stopping now, without waiting (another signal came)');
    process.exit(130);
  }
  void stop(why);
};
process.on('SIGINT', onSignal('Ctrl-C'));
process.on('SIGTERM', onSignal('SIGTERM'));
const deadline = opts.durationMs < Infinity ? setTimeout(() => void stop(`--duration ${opts.durationMs / 1000}`), opts.durationMs) : null;
