// exit/2 and kill: 'kill' cannot be trapped; other reasons are trappable; 'normal' is ignored by non-trappers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox } from '@joerl/runtime';
import { PLACEMENTS, expect, expectReport, probe, type Report } from '../helpers.ts';

const test = suite('kill');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

for (const { label, a, b } of PLACEMENTS) {
  test(`kill cannot be trapped, skips terminate, and links see 'killed' (${label})`, async () => {
    const target = await probe(system, inbox, b, { tag: `k-${a}${b}`, trap: true });
    const linked = await probe(system, inbox, a, { tag: `kl-${a}${b}`, trap: true });
    system.send(linked, { op: 'link', pid: target });
    await expectReport(inbox, 'linked', `kl-${a}${b}`);
    const ref = inbox.monitor(target);
    // Order is guaranteed per pair of processes (as in Erlang), not across senders: the
    // monitor is surely in place once the target has answered a ping sent after it.
    system.send(target, { op: 'ping' });
    await expectReport(inbox, 'pong', `k-${a}${b}`);
    const killer = await probe(system, inbox, a, { tag: `killer-${a}${b}` });
    system.send(killer, { op: 'exit', pid: target, reason: 'kill' });
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the killed');
    assert.is(down.reason, 'killed');
    const exit = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === `kl-${a}${b}`, 'EXIT at the linked trapper');
    assert.is((exit.msg as any).reason, 'killed');
    // 'killed' reached the linked trapper as a message; it is alive.
    system.send(linked, { op: 'ping' });
    await expectReport(inbox, 'pong', `kl-${a}${b}`);
  });

  test(`a trapped exit/2 becomes a message; an untrapped one ends the target (${label})`, async () => {
    const trapper = await probe(system, inbox, b, { tag: `tr-${a}${b}`, trap: true });
    const plain = await probe(system, inbox, b, { tag: `pl-${a}${b}` });
    const sender = await probe(system, inbox, a, { tag: `se-${a}${b}` });
    system.send(sender, { op: 'exit', pid: trapper, reason: 'go-away' });
    const got = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === `tr-${a}${b}`, 'EXIT message');
    assert.ok((got.msg as any).from.equals(sender));
    assert.equal((got.msg as any).reason, { kind: 'custom', value: 'go-away' });
    const ref = inbox.monitor(plain);
    system.send(sender, { op: 'exit', pid: plain, reason: 'normal' });
    await expectReport(inbox, 'sent-exit', `se-${a}${b}`);
    system.send(plain, { op: 'ping' });
    await expectReport(inbox, 'pong', `pl-${a}${b}`);
    system.send(sender, { op: 'exit', pid: plain, reason: 'shutdown' });
    const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
    assert.is(down.reason, 'shutdown');
    const term = await expectReport(inbox, 'terminated', `pl-${a}${b}`);
    assert.is(term.reason, 'shutdown');
  });
}

test('system.exit kills from the main thread', async () => {
  const p = await probe(system, inbox, 2, { tag: 'main-killed', trap: true });
  const ref = inbox.monitor(p);
  system.exit(p, 'kill');
  const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
  assert.is(down.reason, 'killed');
});

test.run();
