// Supervisor: OTP restart semantics, strict: which children restart, in what order, with which pids, and when the supervisor gives up.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ActorSystem,
  ChildExistsError,
  ChildNotFoundError,
  ChildRunningError,
  type ChildSpec,
  type Inbox,
  type Pid,
  type RestartType,
  Supervisor,
} from '@joerl/runtime';
import type { TreeArgs } from '../fixtures/tree.sup.ts';
import { expect, withSystem, type Report } from '../helpers.ts';

const WORKER = new URL('../fixtures/worker.child.ts', import.meta.url).href;
const TREE = new URL('../fixtures/tree.sup.ts', import.meta.url);
const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('supervisor');

const worker = (inbox: Inbox, id: string, extra: Partial<ChildSpec> = {}, args: object = {}): ChildSpec => ({
  id,
  module: WORKER,
  args: { id, report: inbox.pid, ...args },
  ...extra,
});

async function startTree(system: ActorSystem, args: TreeArgs, shard: number | 'round-robin' = 1): Promise<Pid<any>> {
  return (await system.spawn(TREE, args, { shard })) as Pid<any>;
}

// Order assertions keep children on one shard: reports from different shards reach
// main through different rings, with no order between them.
const oneShard = { shard: 1 } as const;

const started = (inbox: Inbox, id: string) =>
  expect<Report & { id: string; pid: Pid; start: number }>(inbox, (m) => m?.event === 'child-started' && m.id === id, `start of ${id}`);
const stopped = (inbox: Inbox, id: string) =>
  expect<Report & { id: string; reason: unknown }>(inbox, (m) => m?.event === 'child-stopped' && m.id === id, `stop of ${id}`);
const nextStopped = (inbox: Inbox) => expect<Report & { id: string }>(inbox, (m) => m?.event === 'child-stopped', 'a stop');
const nextStarted = (inbox: Inbox) => expect<Report & { id: string; pid: Pid }>(inbox, (m) => m?.event === 'child-started', 'a start');

test('a child that panics right after its first start is restarted', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    await system.spawn(COUNTER, undefined, { shard: 1, name: 'starts' });
    const sup = await startTree(system, { children: [worker(inbox, 'w', {}, { crashFirstVia: 'starts' })] });
    const first = await started(inbox, 'w');
    assert.is(first.start, 1);
    const second = await started(inbox, 'w');
    assert.is(second.start, 2);
    assert.not.ok(second.pid.equals(first.pid));
    const kids = await Supervisor.whichChildren(system, sup);
    assert.ok(kids[0]!.pid?.equals(second.pid));
  }));

test('a normal exit restarts a permanent child but not a transient one; temporary children are never restarted', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const kinds: RestartType[] = ['permanent', 'transient', 'temporary'];
    const sup = await startTree(system, { children: kinds.map((k) => worker(inbox, k, { restart: k, ...oneShard })) });
    const pids = new Map<string, Pid>();
    for (const k of kinds) pids.set(k, (await started(inbox, k)).pid);
    for (const k of kinds) system.send(pids.get(k)! as Pid<any>, { op: 'exit', reason: 'normal' });
    for (const k of kinds) await stopped(inbox, k);
    const again = await started(inbox, 'permanent');
    assert.not.ok(again.pid.equals(pids.get('permanent')!));
    // whichChildren is answered after the three EXITs were handled (one mailbox, in order).
    const kids = await Supervisor.whichChildren(system, sup);
    assert.equal(kids.map((c) => [c.id, c.pid !== undefined]), [['permanent', true], ['transient', false]]);
    // A transient child that crashes is restarted.
    const t2 = await Supervisor.restartChild(system, sup, 'transient');
    await started(inbox, 'transient');
    system.send(t2 as Pid<any>, { op: 'crash' });
    const t3 = await started(inbox, 'transient');
    assert.not.ok(t3.pid.equals(t2));
  }));

test('one_for_all stops the siblings in reverse order, restarts all in order, and the old instances are gone', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const ids = ['a', 'b', 'c'];
    await startTree(system, { strategy: 'one_for_all', children: ids.map((id) => worker(inbox, id, oneShard)) });
    const old = [];
    for (const id of ids) old.push((await started(inbox, id)).pid);
    const refs = old.map((p) => inbox.monitor(p));
    // The supervisor, not us, stops a and c: make sure our monitors are in place first
    // (order holds per pair of processes, not across senders).
    for (const p of old) system.send(p as Pid<any>, { op: 'ping' });
    for (const p of old) await expect(inbox, (m) => m?.event === 'child-pong' && m.pid.equals(p), 'pong');
    system.send(old[1]! as Pid<any>, { op: 'crash' });
    // b crashed; its siblings are stopped newest first.
    assert.is((await nextStopped(inbox)).id, 'b');
    assert.equal([(await nextStopped(inbox)).id, (await nextStopped(inbox)).id], ['c', 'a']);
    const fresh = [];
    for (let i = 0; i < 3; i++) fresh.push(await nextStarted(inbox));
    assert.equal(fresh.map((f) => f.id), ids, 'restarted in start order');
    for (const [i, ref] of refs.entries()) {
      const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, `old ${ids[i]} down`);
      assert.is(down.reason === 'shutdown' || down.reason?.kind === 'panic', true);
      assert.not.ok(fresh[i]!.pid.equals(old[i]!));
    }
    assert.is(await inbox.receive((m: any) => m?.event === 'child-started', { timeoutMs: 0 }), undefined, 'exactly three restarts');
  }));

test('rest_for_one restarts exactly the crashed child and the later siblings', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const ids = ['a', 'b', 'c', 'd'];
    const sup = await startTree(system, { strategy: 'rest_for_one', children: ids.map((id) => worker(inbox, id, oneShard)) });
    const old = new Map<string, Pid>();
    for (const id of ids) old.set(id, (await started(inbox, id)).pid);
    system.send(old.get('b')! as Pid<any>, { op: 'crash' });
    assert.is((await nextStopped(inbox)).id, 'b');
    assert.equal([(await nextStopped(inbox)).id, (await nextStopped(inbox)).id], ['d', 'c']);
    const restarted = [(await nextStarted(inbox)).id, (await nextStarted(inbox)).id, (await nextStarted(inbox)).id];
    assert.equal(restarted, ['b', 'c', 'd']);
    const kids = await Supervisor.whichChildren(system, sup);
    assert.ok(kids[0]!.pid?.equals(old.get('a')!), 'a kept its pid');
    for (const k of kids.slice(1)) assert.not.ok(k.pid?.equals(old.get(k.id)!), `${k.id} is a new instance`);
  }));

test('N+1 crashes inside the window stop the supervisor and its children', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const sup = await startTree(system, { intensity: { maxRestarts: 2, withinMs: 60_000 }, children: [worker(inbox, 'x'), worker(inbox, 'y')] });
    const supRef = inbox.monitor(sup);
    const gaveUp = new Promise<any>((resolve) => system.on('supervisorReport', (r: any) => r.event === 'intensity_exceeded' && resolve(r)));
    let x = (await started(inbox, 'x')).pid;
    const y = (await started(inbox, 'y')).pid;
    const yRef = inbox.monitor(y);
    for (let i = 0; i < 2; i++) {
      system.send(x as Pid<any>, { op: 'crash' });
      x = (await started(inbox, 'x')).pid;
    }
    system.send(x as Pid<any>, { op: 'crash' }); // the third restart within the window is one too many
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === supRef, 'supervisor down');
    // OTP's: the supervisor exits with shutdown, and its report says why.
    assert.is(down.reason, 'shutdown');
    const report = await gaveUp;
    assert.equal([report.maxRestarts, report.withinMs], [2, 60_000]);
    const yDown = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === yRef, 'sibling down');
    assert.is(yDown.reason, 'shutdown');
  }));

test('N crashes spread past the window do not stop it', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const withinMs = 150;
    const sup = await startTree(system, { intensity: { maxRestarts: 1, withinMs }, children: [worker(inbox, 'z')] });
    const supRef = inbox.monitor(sup);
    let z = (await started(inbox, 'z')).pid;
    for (let round = 0; round < 3; round++) {
      system.send(z as Pid<any>, { op: 'crash' });
      z = (await started(inbox, 'z')).pid;
      // Let the window pass before the next crash: a timer event, not a sleep-and-hope.
      system.sendAfter(inbox.pid, { windowPassed: round }, withinMs + 50);
      await expect(inbox, (m) => m?.windowPassed === round, 'the window to pass');
    }
    assert.is(await inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === supRef, { timeoutMs: 0 }), undefined);
    assert.is((await Supervisor.countChildren(system, sup)).active, 1);
  }));

test('stopping a supervisor stops its children in reverse start order', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const sup = await startTree(system, { children: ['p', 'q', 'r'].map((id) => worker(inbox, id, oneShard)) });
    for (const id of ['p', 'q', 'r']) await started(inbox, id);
    const ref = inbox.monitor(sup);
    system.exit(sup, 'shutdown');
    assert.equal([(await nextStopped(inbox)).id, (await nextStopped(inbox)).id, (await nextStopped(inbox)).id], ['r', 'q', 'p']);
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'supervisor down');
    assert.is(down.reason, 'shutdown');
  }));

test('a child that ignores shutdown is killed after its shutdown timeout; brutal_kill kills at once', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const sup = await startTree(system, {
      children: [
        worker(inbox, 'stubborn', { shutdown: 100 }, { trap: true }),
        worker(inbox, 'brutal', { shutdown: 'brutal_kill' }, { trap: true }),
      ],
    });
    const stubborn = (await started(inbox, 'stubborn')).pid;
    const brutal = (await started(inbox, 'brutal')).pid;
    const r1 = inbox.monitor(stubborn);
    const r2 = inbox.monitor(brutal);
    await Supervisor.terminateChild(system, sup, 'stubborn');
    assert.is((await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === r1, 'stubborn down')).reason, 'killed');
    await Supervisor.terminateChild(system, sup, 'brutal');
    assert.is((await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === r2, 'brutal down')).reason, 'killed');
    // Neither ran its terminate hook: both were killed.
    assert.is(await inbox.receive((m: any) => m?.event === 'child-stopped', { timeoutMs: 0 }), undefined);
  }));

test('nested trees: the inner supervisor restarts its workers; the outer one restarts the inner supervisor', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const inner: ChildSpec = {
      id: 'inner',
      module: TREE.href,
      type: 'supervisor',
      args: { strategy: 'one_for_all', children: [worker(inbox, 'i1'), worker(inbox, 'i2')] } satisfies TreeArgs,
    };
    const root = await startTree(system, { children: [inner, worker(inbox, 'o1')] });
    const i1 = (await started(inbox, 'i1')).pid;
    await started(inbox, 'i2');
    const o1 = (await started(inbox, 'o1')).pid;
    system.send(i1 as Pid<any>, { op: 'crash' });
    await started(inbox, 'i1');
    await started(inbox, 'i2');
    const innerPid = (await Supervisor.whichChildren(system, root))[0]!.pid!;
    system.exit(innerPid, 'kill');
    const n1 = await started(inbox, 'i1');
    await started(inbox, 'i2');
    const kids = await Supervisor.whichChildren(system, root);
    assert.not.ok(kids[0]!.pid!.equals(innerPid), 'a new inner supervisor');
    assert.ok(kids[1]!.pid!.equals(o1), 'the outer sibling was left alone');
    assert.equal((await Supervisor.whichChildren(system, kids[0]!.pid!)).map((c) => c.id), ['i1', 'i2']);
    assert.ok((await Supervisor.whichChildren(system, kids[0]!.pid!))[0]!.pid!.equals(n1.pid));
  }));

test('dynamic children: startChild, whichChildren, countChildren, terminateChild, restartChild, deleteChild', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const sup = await startTree(system, { children: [] });
    const a = await Supervisor.startChild(system, sup, worker(inbox, 'dyn-a'));
    await started(inbox, 'dyn-a');
    const b = await Supervisor.startChild(system, sup, { module: WORKER, args: { id: 'dyn-b', report: inbox.pid }, restart: 'temporary' });
    await started(inbox, 'dyn-b');
    assert.equal(await Supervisor.countChildren(system, sup), { specs: 2, active: 2, supervisors: 0, workers: 2 });
    // OTP's {already_started, Pid}: the error says which process runs the id.
    const exists = await Supervisor.startChild(system, sup, worker(inbox, 'dyn-a')).then(() => assert.unreachable(), (e: unknown) => e);
    assert.instance(exists, ChildExistsError);
    assert.ok((exists as ChildExistsError).pid?.equals(a), "the running child's pid");
    await Supervisor.deleteChild(system, sup, 'dyn-a').then(() => assert.unreachable(), (e) => assert.instance(e, ChildRunningError));
    await Supervisor.terminateChild(system, sup, 'dyn-a');
    assert.is((await stopped(inbox, 'dyn-a')).reason, 'shutdown');
    // OTP's already_present: the spec is there, no process runs it.
    const present = await Supervisor.startChild(system, sup, worker(inbox, 'dyn-a')).then(() => assert.unreachable(), (e: unknown) => e);
    assert.instance(present, ChildExistsError);
    assert.is((present as ChildExistsError).pid, null);
    assert.is((await Supervisor.whichChildren(system, sup)).find((c) => c.id === 'dyn-a')!.pid, undefined);
    const a2 = await Supervisor.restartChild(system, sup, 'dyn-a');
    assert.not.ok(a2.equals(a));
    await Supervisor.terminateChild(system, sup, b); // by pid: a temporary child's spec goes too
    assert.equal((await Supervisor.whichChildren(system, sup)).map((c) => c.id), ['dyn-a']);
    await Supervisor.terminateChild(system, sup, 'dyn-a');
    await Supervisor.deleteChild(system, sup, 'dyn-a');
    assert.equal(await Supervisor.countChildren(system, sup), { specs: 0, active: 0, supervisors: 0, workers: 0 });
    await Supervisor.terminateChild(system, sup, 'nope').then(() => assert.unreachable(), (e) => assert.instance(e, ChildNotFoundError));
  }));

test("a child's terminate may run as long as its spec's shutdown allows, past the system's terminateTimeoutMs (OTP: the supervisor's shutdown is the only limit)", () =>
  // Every terminate here takes 50 ms; the system's own limit is 0.
  withSystem({ threads: 1, terminateTimeoutMs: 0 }, async (system) => {
    const inbox = system.inbox();
    const slow = { terminateMs: 50 };
    const sup = await startTree(system, { children: [worker(inbox, 'ms', { shutdown: 60_000 }, slow), worker(inbox, 'inf', { shutdown: 'infinity' }, slow), worker(inbox, 'dflt', {}, slow)] });
    for (const id of ['ms', 'inf', 'dflt']) {
      const { pid } = await started(inbox, id);
      const ref = inbox.monitor(pid);
      await Supervisor.terminateChild(system, sup, id);
      assert.is((await stopped(inbox, id)).reason, 'shutdown', `${id}: its terminate ran to its end`);
      const down = await expect<{ reason: unknown }>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, `${id} down`);
      assert.is(down.reason, 'shutdown', `${id}: not killed`);
    }
    // A spawn of its own may say so too; a bad limit is refused.
    const own = await system.spawn(WORKER, { id: 'own', report: inbox.pid, ...slow }, { terminateTimeoutMs: 60_000 });
    await started(inbox, 'own');
    const ref = inbox.monitor(own);
    system.exit(own, 'shutdown');
    assert.is((await stopped(inbox, 'own')).reason, 'shutdown');
    assert.is((await expect<{ reason: unknown }>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'own down')).reason, 'shutdown');
    for (const bad of [-1, NaN, '5s', 2 ** 31]) {
      await system.spawn(WORKER, { id: 'bad', report: inbox.pid }, { terminateTimeoutMs: bad as never }).then(
        () => assert.unreachable(),
        (e) => assert.match((e as Error).message, /options\.terminateTimeoutMs must be a number of ms from 0 to 2147483647, or Infinity/),
      );
    }
  }));

test('every Supervisor request waits as long as the supervisor takes, as OTP\'s (no call timeout: one may be waiting out a child\'s shutdown)', async () => {
  const timeouts: Array<number | undefined> = [];
  const endpoint = { call: (_to: unknown, _req: unknown, opts?: { timeoutMs?: number }) => (timeouts.push(opts?.timeoutMs), Promise.resolve(undefined)) };
  await Supervisor.whichChildren(endpoint, 'sup');
  await Supervisor.countChildren(endpoint, 'sup');
  await Supervisor.startChild(endpoint, 'sup', { id: 'a', module: new URL('../fixtures/worker.child.ts', import.meta.url) });
  await Supervisor.terminateChild(endpoint, 'sup', 'a');
  await Supervisor.restartChild(endpoint, 'sup', 'a');
  await Supervisor.deleteChild(endpoint, 'sup', 'a');
  assert.equal(timeouts, [Infinity, Infinity, Infinity, Infinity, Infinity, Infinity]);
});

test('when a whole shard dies, supervisors elsewhere restart the children that lived on it', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const ids = ['s1', 's2', 's3', 's4'];
    const sup = await startTree(system, { intensity: { maxRestarts: 10, withinMs: 60_000 }, children: ids.map((id) => worker(inbox, id)) }, 1);
    const before = new Map<string, { pid: Pid; shard: number }>();
    for (const id of ids) {
      const s = await started(inbox, id);
      before.set(id, { pid: s.pid, shard: s.shard as number });
    }
    const onTwo = ids.filter((id) => before.get(id)!.shard === 2);
    assert.ok(onTwo.length > 0, 'children are spread over the shards');
    system.killShard(2);
    for (const id of onTwo) {
      const again = await started(inbox, id);
      assert.not.ok(again.pid.equals(before.get(id)!.pid));
    }
    const kids = await Supervisor.whichChildren(system, sup);
    for (const k of kids) assert.ok(k.pid !== undefined, `${k.id} is running`);
    for (const id of ids.filter((i) => !onTwo.includes(i))) {
      assert.ok(kids.find((k) => k.id === id)!.pid!.equals(before.get(id)!.pid), `${id} on shard 1 was left alone`);
    }
  }));

test.run();
