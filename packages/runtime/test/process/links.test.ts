// Links: abnormal exits propagate with the same reason, trapping turns them into messages, normal exits do not kill.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, isExitMessage } from '@joerl/runtime';
import { PLACEMENTS, assertNoneQueued, expect, expectReport, probe, type Report } from '../helpers.ts';

const test = suite('links');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

for (const { label, a, b } of PLACEMENTS) {
  test(`a non-trapping linked actor dies with the panic's reason (${label})`, async () => {
    const victim = await probe(system, inbox, a, { tag: 'victim' });
    const crasher = await probe(system, inbox, b, { tag: 'crasher' });
    const ref = inbox.monitor(victim);
    system.send(victim, { op: 'link', pid: crasher });
    await expectReport(inbox, 'linked', 'victim');
    system.send(crasher, { op: 'panic', message: 'kaboom' });
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the victim');
    assert.equal(down.reason.kind, 'panic');
    assert.is(down.reason.message, 'kaboom');
    // The victim ran its terminate hook with the propagated reason.
    const term = await expectReport(inbox, 'terminated', 'victim');
    assert.equal((term.reason as { message: string }).message, 'kaboom');
  });

  test(`a trapping linked actor gets the exit as a message and lives (${label})`, async () => {
    const trapper = await probe(system, inbox, a, { tag: 'trapper', trap: true });
    const crasher = await probe(system, inbox, b, { tag: 'crasher2' });
    system.send(trapper, { op: 'link', pid: crasher });
    await expectReport(inbox, 'linked', 'trapper');
    system.send(crasher, { op: 'panic', message: 'trapped-boom' });
    const got = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === 'trapper', 'EXIT message at the trapper');
    const msg = got.msg as any;
    assert.ok(isExitMessage(msg));
    assert.ok(msg.from.equals(crasher));
    const reason = msg.reason as { kind: string; message: string };
    assert.equal({ kind: reason.kind, message: reason.message }, { kind: 'panic', message: 'trapped-boom' });
    system.send(trapper, { op: 'ping' });
    await expectReport(inbox, 'pong', 'trapper');
  });

  test(`a normal exit does not kill a non-trapping link (${label})`, async () => {
    const stayer = await probe(system, inbox, a, { tag: 'stayer' });
    const leaver = await probe(system, inbox, b, { tag: 'leaver' });
    const ref = inbox.monitor(leaver);
    system.send(stayer, { op: 'link', pid: leaver });
    await expectReport(inbox, 'linked', 'stayer');
    system.send(leaver, { op: 'stop', reason: 'normal' });
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the leaver');
    assert.is(down.reason, 'normal');
    system.send(stayer, { op: 'ping' });
    await expectReport(inbox, 'pong', 'stayer');
    await assertNoneQueued(inbox, (m) => m?.event === 'terminated' && m.tag === 'stayer', 'the stayer terminated');
  });

  test(`after unlink no exit signal arrives (${label})`, async () => {
    const x = await probe(system, inbox, a, { tag: 'unlinker' });
    const y = await probe(system, inbox, b, { tag: 'unlinked' });
    system.send(x, { op: 'link', pid: y });
    await expectReport(inbox, 'linked', 'unlinker');
    system.send(x, { op: 'unlink', pid: y });
    await expectReport(inbox, 'unlinked', 'unlinker');
    const ref = inbox.monitor(y);
    system.send(y, { op: 'panic', message: 'alone' });
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of y');
    system.send(x, { op: 'ping' });
    await expectReport(inbox, 'pong', 'unlinker');
  });

  test(`linking to a dead pid delivers noproc (${label})`, async () => {
    const gone = await probe(system, inbox, b, { tag: 'gone' });
    const ref = inbox.monitor(gone);
    system.send(gone, { op: 'stop', reason: 'normal' });
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of gone');
    const t = await probe(system, inbox, a, { tag: 'late-linker', trap: true });
    system.send(t, { op: 'link', pid: gone });
    const got = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === 'late-linker', 'noproc EXIT');
    assert.equal((got.msg as any).reason, { kind: 'custom', value: 'noproc' });
  });
}

test('a terminate run by an exit signal keeps its sends and exit signals to one peer in the order it made them (same shard)', async () => {
  const peer = await probe(system, inbox, 1, { tag: 'peer', trap: true });
  const farewell = await system.spawn(new URL('../fixtures/farewell.actor.ts', import.meta.url), { peer, report: inbox.pid }, { shard: 1 });
  const doomed = await probe(system, inbox, 1, { tag: 'doomed' });
  system.send(farewell as never, { op: 'link', pid: doomed });
  await expectReport(inbox, 'linked', 'farewell');
  // Its exit signal runs farewell's terminate on the same thread, inside the signal's own dispatch.
  system.send(doomed, { op: 'panic', message: 'bye' });
  const got: string[] = [];
  while (got.length < 3) {
    const m = await expect<any>(inbox, (x) => x?.event === 'got' && x.tag === 'peer', `the peer's message ${got.length + 1}`);
    got.push(isExitMessage(m.msg) ? `EXIT ${m.msg.reason.value}` : m.msg.seq);
  }
  assert.equal(got, ['before', 'EXIT farewell', 'after']);
});

test('an exit chain through many linked actors runs without recursion', async () => {
  // 200 actors linked in a chain on one shard: killing the head takes them all down.
  const pids = [];
  for (let i = 0; i < 200; i++) pids.push(await system.spawn(new URL('../fixtures/probe.actor.ts', import.meta.url), { report: inbox.pid, tag: `chain${i}` }, { shard: 1 }));
  for (let i = 0; i < 200; i++) await expectReport(inbox, 'started', `chain${i}`);
  for (let i = 1; i < 200; i++) {
    system.send(pids[i]!, { op: 'link', pid: pids[i - 1]! });
    await expectReport(inbox, 'linked', `chain${i}`);
  }
  const ref = inbox.monitor(pids[199]!);
  system.send(pids[0]!, { op: 'panic', message: 'chain' });
  const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the chain tail');
  assert.is(down.reason.message, 'chain');
});

test.run();
