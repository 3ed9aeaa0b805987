// Supervisor: significant children and autoShutdown (OTP's auto_shutdown), and the specs they refuse.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ActorSystem, type ChildSpec, type Inbox, type Pid, Supervisor } from '@joerl/runtime';
import type { TreeArgs } from '../fixtures/tree.sup.ts';
import { expect, withSystem, type Report } from '../helpers.ts';

const WORKER = new URL('../fixtures/worker.child.ts', import.meta.url).href;
const TREE = new URL('../fixtures/tree.sup.ts', import.meta.url);
const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('supervisor-auto-shutdown');

// (One shard: the reports come through one ring, in the order they were sent.)
const worker = (inbox: Inbox, id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({ id, module: WORKER, args: { id, report: inbox.pid }, shard: 1, ...extra });
const started = (inbox: Inbox, id: string) => expect<Report & { pid: Pid }>(inbox, (m) => m?.event === 'child-started' && m.id === id, `start of ${id}`);
const stopped = (inbox: Inbox, id: string) => expect<Report & { reason: unknown }>(inbox, (m) => m?.event === 'child-stopped' && m.id === id, `stop of ${id}`);
/** The DOWN of the supervisor monitored with `ref` (startTree's). */
const supervisorDown = (inbox: Inbox, ref: number) => expect<{ reason: unknown }>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the supervisor to stop');

async function startTree(system: ActorSystem, inbox: Inbox, args: TreeArgs): Promise<{ sup: Pid<any>; ref: number }> {
  const sup = (await system.spawn(TREE, args, { shard: 1 })) as Pid<any>;
  return { sup, ref: inbox.monitor(sup) };
}

test('any_significant: a significant child that exits normally (transient: not restarted) stops the supervisor, its other children first', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const { ref } = await startTree(system, inbox, { autoShutdown: 'any_significant', children: [worker(inbox, 'other'), worker(inbox, 'job', { restart: 'transient', significant: true })] });
    await started(inbox, 'other');
    const job = await started(inbox, 'job');
    system.send(job.pid as Pid<any>, { op: 'exit', reason: 'normal' });
    assert.is((await stopped(inbox, 'job')).reason, 'normal');
    assert.is((await stopped(inbox, 'other')).reason, 'shutdown');
    assert.is((await supervisorDown(inbox, ref)).reason, 'shutdown');
  }));

test('all_significant: the supervisor stops once the last significant child has exited, not before; a crashing transient one is restarted instead', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const children = [worker(inbox, 'a', { restart: 'transient', significant: true }), worker(inbox, 'b', { restart: 'temporary', significant: true }), worker(inbox, 'c')];
    const { sup, ref } = await startTree(system, inbox, { autoShutdown: 'all_significant', children });
    const a = await started(inbox, 'a');
    const b = await started(inbox, 'b');
    await started(inbox, 'c');
    system.send(a.pid as Pid<any>, { op: 'crash' });
    assert.is(((await stopped(inbox, 'a')).reason as { kind?: string }).kind, 'panic');
    const a2 = await started(inbox, 'a');
    system.send(a2.pid as Pid<any>, { op: 'exit', reason: 'shutdown' });
    assert.is((await stopped(inbox, 'a')).reason, 'shutdown');
    // Answered after the EXIT was handled (one mailbox, in order): b is still running, so is the supervisor.
    assert.equal((await Supervisor.whichChildren(system, sup)).map((k) => [k.id, k.pid !== undefined]), [['a', false], ['b', true], ['c', true]]);
    system.send(b.pid as Pid<any>, { op: 'exit', reason: 'done' });
    assert.is((await stopped(inbox, 'c')).reason, 'shutdown');
    assert.is((await supervisorDown(inbox, ref)).reason, 'shutdown');
  }));

test('all_significant: a significant child whose restart is being tried again still counts (OTP: restarting); the last other one exiting does not stop the supervisor', () =>
  withSystem({ threads: 1 }, async (system) => {
    // Regression: its pid is null between tries, so the supervisor took it for gone and stopped everything.
    const inbox = system.inbox();
    await system.spawn(COUNTER, undefined, { shard: 1, name: 'starts' });
    const failed = new Promise<void>((resolve) => system.on('supervisorReport', (r) => r.event === 'child_start_failed' && resolve()));
    const children = [
      // Crashes after its first start; every restart fails 50 ms in, and is tried again.
      { ...worker(inbox, 'x', { restart: 'transient', significant: true }), args: { id: 'x', report: inbox.pid, laterVia: 'starts', later: 'fail', failAfterMs: 50 } },
      worker(inbox, 'y', { restart: 'temporary', significant: true }),
      worker(inbox, 'z'),
    ];
    const { sup, ref } = await startTree(system, inbox, { autoShutdown: 'all_significant', intensity: { maxRestarts: 1, withinMs: 10 }, children });
    await started(inbox, 'x');
    const y = await started(inbox, 'y');
    await started(inbox, 'z');
    await failed;
    system.send(y.pid as Pid<any>, { op: 'exit', reason: 'normal' });
    assert.is((await stopped(inbox, 'y')).reason, 'normal');
    // y's EXIT is in the supervisor's mailbox before this call (queued in y's last turn, on the same shard).
    assert.equal((await Supervisor.whichChildren(system, sup)).map((k) => [k.id, k.pid !== undefined]), [['x', false], ['z', true]]);
    system.exit(sup, 'shutdown');
    await supervisorDown(inbox, ref);
  }));

test('a significant child must be transient or temporary, under a supervisor whose autoShutdown is not never (ERR_INVALID_ARGUMENT)', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const { sup: never } = await startTree(system, inbox, { children: [] });
    const refused = (p: Promise<unknown>) => p.then(() => 'started', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
    assert.match(await refused(Supervisor.startChild(system, never, worker(inbox, 'x', { restart: 'transient', significant: true }))), /^ERR_INVALID_ARGUMENT: .*autoShutdown is 'never'/);
    const { sup: any } = await startTree(system, inbox, { autoShutdown: 'any_significant', children: [] });
    assert.match(await refused(Supervisor.startChild(system, any, worker(inbox, 'y', { significant: true }))), /^ERR_INVALID_ARGUMENT: .*not 'permanent'/);
    assert.match(await refused(system.spawn(TREE, { autoShutdown: 'sometimes' as never, children: [] })), /^ERR_INIT_FAILED: .*autoShutdown must be/);
    assert.equal(await Supervisor.countChildren(system, any), { specs: 0, active: 0, supervisors: 0, workers: 0 });
  }));

test.run();
