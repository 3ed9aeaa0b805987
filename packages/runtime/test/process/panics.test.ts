// Panics in init, handle and terminate end only that actor, with `panic`, and notify links and monitors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, InitFailedError, isExitMessage } from '@joerl/runtime';
import { PLACEMENTS, PROBE, expect, expectReport, probe, type Report } from '../helpers.ts';

const test = suite('panics');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

for (const { label, a, b } of PLACEMENTS) {
  test(`a panic in init fails the spawn and notifies the spawnLink parent and the monitor (${label})`, async () => {
    const parent = await probe(system, inbox, a, { tag: `p-init-${a}${b}`, trap: true });
    system.send(parent, { op: 'spawn', url: PROBE.href, args: { report: inbox.pid, tag: `c-init-${a}${b}`, failInit: 'init exploded' }, mode: 'link', opts: { shard: b } });
    const failed = await expectReport(inbox, 'spawn-failed', `p-init-${a}${b}`);
    assert.is(failed.code, 'ERR_INIT_FAILED');
    assert.match(String(failed.message), 'init exploded');
    const got = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === `p-init-${a}${b}` && isExitMessage(m.msg), 'EXIT at the parent');
    assert.is((got.msg as any).reason.message, 'init exploded');

    const mon = await probe(system, inbox, a, { tag: `m-init-${a}${b}` });
    system.send(mon, { op: 'spawn', url: PROBE.href, args: { report: inbox.pid, tag: `c2-init-${a}${b}`, failInit: 'again' }, mode: 'monitor', opts: { shard: b } });
    await expectReport(inbox, 'spawn-failed', `m-init-${a}${b}`);
    const down = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === `m-init-${a}${b}` && m.msg?.type === 'DOWN', 'DOWN at the monitor');
    assert.is((down.msg as any).reason.message, 'again');
  });

  test(`a panic in handle notifies links and monitors, and runs terminate with the panic (${label})`, async () => {
    const watcher = await probe(system, inbox, a, { tag: `w-h-${a}${b}`, trap: true });
    const victim = await probe(system, inbox, b, { tag: `v-h-${a}${b}` });
    system.send(watcher, { op: 'link', pid: victim });
    await expectReport(inbox, 'linked', `w-h-${a}${b}`);
    const ref = inbox.monitor(victim);
    system.send(victim, { op: 'panic-async', message: 'async handler threw' });
    const term = await expectReport(inbox, 'terminated', `v-h-${a}${b}`);
    assert.is((term.reason as any).kind, 'panic');
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
    assert.is(down.reason.message, 'async handler threw');
    const exit = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === `w-h-${a}${b}`, 'EXIT at the watcher');
    assert.is((exit.msg as any).reason.message, 'async handler threw');
  });

  test(`a panic in terminate becomes the exit reason and still notifies (${label})`, async () => {
    const watcher = await probe(system, inbox, a, { tag: `w-t-${a}${b}`, trap: true });
    const victim = await probe(system, inbox, b, { tag: `v-t-${a}${b}`, failTerminate: 'terminate threw' });
    system.send(watcher, { op: 'link', pid: victim });
    await expectReport(inbox, 'linked', `w-t-${a}${b}`);
    const ref = inbox.monitor(victim);
    system.send(victim, { op: 'stop', reason: 'normal' });
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
    assert.is(down.reason.kind, 'panic');
    assert.is(down.reason.message, 'terminate threw');
    const exit = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === `w-t-${a}${b}`, 'EXIT at the watcher');
    assert.is((exit.msg as any).reason.message, 'terminate threw');
  });
}

test('the shard survives panics: a fresh actor on it still runs', async () => {
  const p = await probe(system, inbox, 1, { tag: 'after-panics' });
  system.send(p, { op: 'ping' });
  await expectReport(inbox, 'pong', 'after-panics');
});

test('system.spawn rejects with InitFailedError carrying the panic reason', async () => {
  try {
    await system.spawn(PROBE, { report: inbox.pid, failInit: 'direct' }, { shard: 2 });
    assert.unreachable('spawn should reject');
  } catch (err) {
    assert.instance(err, InitFailedError);
    assert.is((err as InitFailedError).code, 'ERR_INIT_FAILED');
    assert.is(((err as InitFailedError).reason as any).message, 'direct');
  }
});

test('an init that sends and then stops (a leaf of a spawn tree) starts: the spawn resolves, its message arrives, and it exits with its reason right after', async () => {
  // The Savina Fibonacci leaves do this: a start failed by the stop made their parents give up.
  const joined = system.spawn(PROBE, { report: inbox.pid, tag: 'leaf', stopInInit: 'normal' }, { shard: 2 });
  const pid = await joined;
  const started = await expectReport(inbox, 'started', 'leaf');
  assert.ok((started.pid as any).equals(pid));
  const end = await system.join(pid);
  assert.ok(end === 'normal' || (typeof end === 'object' && (end as any).value === 'noproc'), JSON.stringify(end));
});

test.run();
