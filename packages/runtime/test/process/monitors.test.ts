// Monitors: exactly one DOWN with the exit reason; the watcher survives; demonitor stops it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, NOPROC, Pid, isDownMessage, isNoProc } from '@joerl/runtime';
import { PLACEMENTS, assertNoneQueued, expect, expectReport, probe, type Report } from '../helpers.ts';

const test = suite('monitors');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

test('refs are past 2^31 from the first one a thread mints, and name their thread (ref % 4096)', async () => {
  // A ref past 2^31 is stored as a double: a field that held small ones first changes
  // representation, and every optimized function that had seen a process is thrown away.
  const target = await probe(system, inbox, 1, { tag: 'ref-target' });
  const fromMain = inbox.monitor(target);
  assert.ok(fromMain >= 2 ** 32, `main's first ref ${fromMain}`);
  assert.is(fromMain % 4096, 0);
  const watcher = await probe(system, inbox, 2, { tag: 'ref-watcher' });
  system.send(watcher, { op: 'monitor', pid: target });
  const { ref } = await expectReport(inbox, 'monitoring', 'ref-watcher');
  assert.ok((ref as number) >= 2 ** 32, `shard 2's ref ${ref}`);
  assert.is((ref as number) % 4096, 2);
  assert.ok(Number.isSafeInteger(ref));
});

const gotDown = (tag: string) => (m: any) => m?.event === 'got' && m.tag === tag && isDownMessage(m.msg);

for (const { label, a, b } of PLACEMENTS) {
  test(`DOWN arrives exactly once and the watcher survives (${label})`, async () => {
    const watcher = await probe(system, inbox, a, { tag: `w-${a}${b}` });
    const target = await probe(system, inbox, b, { tag: `t-${a}${b}` });
    system.send(watcher, { op: 'monitor', pid: target });
    const { ref } = await expectReport(inbox, 'monitoring', `w-${a}${b}`);
    system.send(target, { op: 'panic', message: 'watched' });
    const got = await expect<Report>(inbox, gotDown(`w-${a}${b}`), 'DOWN at the watcher');
    const down = got.msg as any;
    assert.is(down.ref, ref);
    assert.ok(down.pid.equals(target));
    assert.is(down.reason.message, 'watched');
    // A round trip through the watcher: any second DOWN would be reported before this pong.
    system.send(watcher, { op: 'ping' });
    await expectReport(inbox, 'pong', `w-${a}${b}`);
    await assertNoneQueued(inbox, gotDown(`w-${a}${b}`), 'a second DOWN');
  });

  test(`monitoring a dead pid delivers one DOWN with noproc (${label})`, async () => {
    const watcher = await probe(system, inbox, a, { tag: `wn-${a}${b}` });
    const target = await probe(system, inbox, b, { tag: `tn-${a}${b}` });
    const mref = inbox.monitor(target);
    system.send(target, { op: 'stop', reason: 'normal' });
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === mref, 'target gone');
    system.send(watcher, { op: 'monitor', pid: target });
    const got = await expect<Report>(inbox, gotDown(`wn-${a}${b}`), 'noproc DOWN');
    assert.equal((got.msg as any).reason, { kind: 'custom', value: 'noproc' });
  });

  test(`a demonitored process sends no DOWN (${label})`, async () => {
    const target = await probe(system, inbox, b, { tag: `td-${a}${b}` });
    const ref = inbox.monitor(target);
    assert.ok(inbox.demonitor(ref));
    assert.not.ok(inbox.demonitor(ref), 'second demonitor is a no-op');
    const ref2 = inbox.monitor(target);
    system.send(target, { op: 'stop', reason: 'shutdown' });
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref2, 'DOWN on the second monitor');
    assert.is(down.reason, 'shutdown');
    await assertNoneQueued(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the demonitored ref');
  });
}

test('demonitor removes a DOWN already in the mailbox (erlang:demonitor with flush)', async () => {
  // Regression: onDown drops the monitor as it queues the DOWN, so demonitor found no monitor and returned before its flush.
  const target = await probe(system, inbox, 2, { tag: 'flushed' });
  const refs = [inbox.monitor(target), inbox.monitor(target)];
  system.exit(target, 'kill');
  // Both DOWNs leave the target's exit together (one frame): once one is here, so is the other.
  const first = await expect<any>(inbox, (m) => m?.type === 'DOWN' && refs.includes(m.ref), 'the first DOWN');
  const other = refs.find((r) => r !== first.ref)!;
  inbox.demonitor(other);
  await assertNoneQueued(inbox, (m) => m?.type === 'DOWN' && m.ref === other, 'the DOWN of the demonitored ref');
});

test('a link or monitor to a pid no thread hosts gets noproc, and join settles', async () => {
  // Regression: route() answered NO_ROUTE and the LINK or MONITOR went nowhere (a join never settled).
  const nowhere = Pid.parse('<0.99.1>');
  assert.equal(await system.join(nowhere), { kind: 'custom', value: 'noproc' });
  const linker = await probe(system, inbox, 1, { tag: 'nowhere-linker', trap: true });
  system.send(linker, { op: 'link', pid: nowhere });
  const got = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === 'nowhere-linker' && (m.msg as any)?.type === 'EXIT', 'the noproc EXIT');
  assert.equal((got.msg as any).reason, { kind: 'custom', value: 'noproc' });
  assert.ok((got.msg as any).from.equals(nowhere));
  // The exported test, as isNoConnection for noconnection: true for the reason that crossed threads, false for others.
  assert.ok(isNoProc((got.msg as any).reason) && isNoProc(NOPROC));
  assert.not.ok(isNoProc('noproc') || isNoProc({ kind: 'custom', value: 'noconnection' }) || isNoProc(null));
});

for (const { label, a, b } of PLACEMENTS) {
  test(`a process running its terminate is alive: links, monitors and calls made then end with its reason (${label})`, async () => {
    // Regression: an exiting process answered them with noproc at once, as if it were gone.
    const tag = `held-${a}${b}`;
    const held = await probe(system, inbox, b, { tag, holdTerminate: true });
    system.send(held, { op: 'stop', reason: 'held-end' });
    await expectReport(inbox, 'terminated', tag);
    const joined = system.join(held);
    const linker = await probe(system, inbox, a, { tag: `${tag}-l`, trap: true });
    system.send(linker, { op: 'link', pid: held });
    await expectReport(inbox, 'linked', `${tag}-l`);
    const watcher = await probe(system, inbox, a, { tag: `${tag}-w` });
    system.send(watcher, { op: 'monitor', pid: held });
    const { ref } = await expectReport(inbox, 'monitoring', `${tag}-w`);
    const caller = await probe(system, inbox, a, { tag: `${tag}-c` });
    system.send(caller, { op: 'call', to: held, req: 'anyone there?', timeoutMs: 60_000 });
    // The caller's request is on its way: the monitor and the call go in order with the rest.
    system.send(watcher, { op: 'ping' });
    await expectReport(inbox, 'pong', `${tag}-w`);
    system.send(held, { op: 'end-terminate' });
    const reason = { kind: 'custom', value: 'held-end' };
    assert.equal(await joined, reason);
    const exit = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === `${tag}-l` && (m.msg as any)?.type === 'EXIT', 'EXIT at the linker');
    assert.equal((exit.msg as any).reason, reason);
    const down = await expect<Report>(inbox, gotDown(`${tag}-w`), 'DOWN at the watcher');
    assert.is((down.msg as any).ref, ref);
    assert.equal((down.msg as any).reason, reason);
    const failed = await expectReport(inbox, 'call-failed', `${tag}-c`);
    assert.is(failed.code, 'ERR_CALL_FAILED');
  });
}

test('join resolves with the exit reason', async () => {
  const p = await probe(system, inbox, 2, { tag: 'joined' });
  const reason = system.join(p);
  system.send(p, { op: 'stop', reason: 'my-reason' });
  assert.equal(await reason, { kind: 'custom', value: 'my-reason' });
});

test.run();
