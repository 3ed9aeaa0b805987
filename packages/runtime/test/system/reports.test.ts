// Crash and supervisor reports reach the main thread (telemetry on or off) as events and log entries, through a pluggable logger.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type ChildSpec, type CrashReport, type Logger, type Pid, type SupervisorReport, type SystemOptions } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS, PROBE, expect, expectReport, probe, withSystem } from '../helpers.ts';

const WORKER = new URL('../fixtures/worker.child.ts', import.meta.url).href;
const TREE = new URL('../fixtures/tree.sup.ts', import.meta.url);
const test = suite('reports');

/** Telemetry, provider and tracing all off: reports must not depend on them. */
const QUIET: SystemOptions = { threads: 2, telemetry: { enabled: false }, logLevel: 'silent' };

function next<T>(system: ActorSystem, event: 'crashReport' | 'supervisorReport', pred: (r: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} came`)), EVENT_TIMEOUT_MS);
    const on = (r: T): void => {
      if (!pred(r)) return;
      clearTimeout(timer);
      system.off(event, on as never);
      resolve(r);
    };
    system.on(event, on as never);
  });
}

/** A pino-shaped logger that records what it is given (its methods use `this`, as pino's do). */
class Recorder implements Logger {
  entries: Array<{ level: string; obj: any; msg: string | undefined }> = [];
  error(obj: object, msg?: string): void {
    this.entries.push({ level: 'error', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }
  info(obj: object, msg?: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: 'debug', obj, msg });
  }
}

for (const shard of [1, 2]) {
  test(`a panic in a handler reaches main as a crash report: error name, message, stack, pid, type, shard, message kind (shard ${shard}, telemetry off)`, () =>
    withSystem(QUIET, async (system) => {
      const inbox = system.inbox();
      const p = await probe(system, inbox, shard, { tag: `c${shard}` });
      const crash = next<CrashReport>(system, 'crashReport');
      system.send(p, { op: 'panic', message: 'handler blew up' });
      const r = await crash;
      assert.is(r.kind, 'crash');
      assert.ok(r.pid.equals(p));
      assert.is(r.type, 'Probe');
      assert.is(r.shard, shard);
      assert.is(r.during, 'handle');
      assert.is(r.messageKind, 'panic', "the message's op field, not its content");
      assert.is(r.error.name, 'Error');
      assert.is(r.error.message, 'handler blew up');
      assert.match(r.error.stack ?? '', /probe\.actor\.ts/);
    }));
}

test('async handlers, init and terminate panics are reported too, each with where it happened', () =>
  withSystem(QUIET, async (system) => {
    const inbox = system.inbox();
    const p = await probe(system, inbox, 2, { tag: 'async' });
    let crash = next<CrashReport>(system, 'crashReport');
    system.send(p, { op: 'panic-async', message: 'later' });
    let r = await crash;
    assert.equal([r.during, r.messageKind, r.error.message], ['handle', 'panic-async', 'later']);

    crash = next<CrashReport>(system, 'crashReport');
    await system.spawn(PROBE, { report: inbox.pid, failInit: 'no start' }, { shard: 1 }).catch(() => {});
    r = await crash;
    assert.equal([r.during, r.messageKind, r.error.message, r.shard], ['init', undefined, 'no start', 1]);

    const t = await probe(system, inbox, 2, { tag: 'term', failTerminate: 'no end' });
    crash = next<CrashReport>(system, 'crashReport');
    system.send(t, { op: 'stop', reason: 'normal' });
    r = await crash;
    assert.equal([r.during, r.error.message], ['terminate', 'no end']);
  }));

test('supervisor reports (telemetry off): child restarted with its new pid and the reason, intensity exceeded; shard restarted', () =>
  withSystem(QUIET, async (system) => {
    const inbox = system.inbox();
    const child: ChildSpec = { id: 'w', module: WORKER, args: { id: 'w', report: inbox.pid }, shard: 2 };
    const sup = await system.spawn(TREE, { intensity: { maxRestarts: 1, withinMs: 60_000 }, children: [child] }, { shard: 1 });
    const first = await expect<any>(inbox, (m) => m?.event === 'child-started', 'start');
    let rep = next<SupervisorReport>(system, 'supervisorReport');
    system.send(first.pid as Pid<any>, { op: 'crash' });
    const restarted = await rep;
    const second = await expect<any>(inbox, (m) => m?.event === 'child-started', 'restart');
    assert.is(restarted.event, 'child_restarted');
    if (restarted.event !== 'child_restarted') return;
    assert.ok(restarted.supervisor.equals(sup));
    assert.is(restarted.type, 'TreeSup');
    assert.is(restarted.childId, 'w');
    assert.is(restarted.strategy, 'one_for_one');
    assert.ok(restarted.child?.equals(second.pid));
    assert.is((restarted.reason as { message?: string }).message, 'worker w crashed');

    rep = next<SupervisorReport>(system, 'supervisorReport', (r) => r.event === 'intensity_exceeded');
    system.send(second.pid as Pid<any>, { op: 'crash' });
    const gaveUp = await rep;
    assert.equal(gaveUp.event === 'intensity_exceeded' && [gaveUp.maxRestarts, gaveUp.withinMs], [1, 60_000]);

    rep = next<SupervisorReport>(system, 'supervisorReport', (r) => r.event === 'shard_restarted');
    system.killShard(2);
    const shardRep = await rep;
    assert.equal(shardRep.event === 'shard_restarted' && [shardRep.shard, shardRep.cause], [2, 'error']);
  }));

test('reports go through the logger given, filtered by logLevel', async () => {
  for (const [level, want] of [['warn', ['error', 'warn']], ['error', ['error']], ['silent', []]] as const) {
    const logger = new Recorder();
    await withSystem({ threads: 1, logger, logLevel: level }, async (system) => {
      const inbox = system.inbox();
      const child: ChildSpec = { id: 'w', module: WORKER, args: { id: 'w', report: inbox.pid }, shard: 1 };
      await system.spawn(TREE, { children: [child] }, { shard: 1 });
      const first = await expect<any>(inbox, (m) => m?.event === 'child-started', 'start');
      const restarted = next<SupervisorReport>(system, 'supervisorReport');
      system.send(first.pid as Pid<any>, { op: 'crash' });
      await restarted;
      await expectReport(inbox, 'child-started');
    });
    const levels = [...new Set(logger.entries.map((e) => e.level))].sort();
    assert.equal(levels, [...want].sort(), `logLevel ${level}`);
    if (level === 'warn') {
      const crash = logger.entries.find((e) => e.obj.kind === 'crash')!;
      assert.is(crash.level, 'error');
      assert.match(crash.msg!, /Worker.*panicked handling a 'crash' message: Error: worker w crashed/);
      assert.match(crash.obj.error.stack, /worker\.child\.ts/);
      assert.is(logger.entries.find((e) => e.obj.event === 'child_restarted')?.level, 'warn');
    }
  }
});

test('logger and logLevel are validated', async () => {
  for (const bad of [{ logger: 'console' }, { logger: { error() {}, warn() {} } }, { logLevel: 'loud' }, { logLevel: 3 }] as unknown as SystemOptions[]) {
    try {
      await ActorSystem.start({ threads: 1, ...bad });
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION', JSON.stringify(bad));
    }
  }
});

test.run();
