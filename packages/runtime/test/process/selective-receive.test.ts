// Selective receive: the match is taken out of order, the rest keep their order; a timeout resolves undefined.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox } from '@joerl/runtime';
import { PLACEMENTS, expect, expectReport, probe } from '../helpers.ts';

const test = suite('selective receive');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

for (const { label, a, b } of PLACEMENTS) {
  test(`the match is taken out of order and the others stay in order (${label})`, async () => {
    const rx = await probe(system, inbox, a, { tag: `rx-${a}${b}` });
    const tx = await probe(system, inbox, b, { tag: `tx-${a}${b}` });
    system.send(rx, { op: 'select', want: 'b' });
    await expectReport(inbox, 'selecting', `rx-${a}${b}`);
    for (const k of ['a', 'c', 'b', 'd']) system.send(tx, { op: 'send', to: rx, msg: { k } });
    const sel = await expectReport(inbox, 'selected', `rx-${a}${b}`);
    assert.equal(sel.got, { k: 'b' });
    const rest: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await expect<any>(inbox, (x) => x?.event === 'got' && x.tag === `rx-${a}${b}`, 'a remaining message');
      rest.push(m.msg.k);
    }
    assert.equal(rest, ['a', 'c', 'd']);
  });

  test(`a match already queued is found at once, in the middle of the mailbox (${label})`, async () => {
    const rx = await probe(system, inbox, a, { tag: `rq-${a}${b}` });
    const tx = await probe(system, inbox, b, { tag: `tq-${a}${b}` });
    // The first receive waits for 'one'; 'two' arrives before it and is queued. The messages go
    // once rx is in that receive: relayed by tx, they could otherwise overtake main's select-seq
    // (two senders, no order between them) and be handled as plain messages first.
    system.send(rx, { op: 'select-seq', wants: ['one', 'two'] });
    await expectReport(inbox, 'selecting', `rq-${a}${b}`);
    for (const k of ['x', 'two', 'y', 'one']) system.send(tx, { op: 'send', to: rx, msg: { k } });
    const sel = await expectReport(inbox, 'selected-seq', `rq-${a}${b}`);
    assert.equal(sel.got, [{ k: 'one' }, { k: 'two' }]);
    const rest: string[] = [];
    for (let i = 0; i < 2; i++) rest.push((await expect<any>(inbox, (x) => x?.event === 'got' && x.tag === `rq-${a}${b}`, 'leftover')).msg.k);
    assert.equal(rest, ['x', 'y']);
  });
}

test('a receive timeout resolves undefined and the actor keeps going', async () => {
  const rx = await probe(system, inbox, 2, { tag: 'rt' });
  system.send(rx, { op: 'select', want: 'never', timeoutMs: 20 });
  const sel = await expectReport(inbox, 'selected', 'rt');
  assert.is(sel.got, null);
  system.send(rx, { op: 'ping' });
  await expectReport(inbox, 'pong', 'rt');
});

test('a match that throws rejects its receive; the message is kept, and the shard and the sender live on', async () => {
  // rx on shard 1, in a receive whose match reads a field of whatever comes; tx on shard 2 sends it null.
  const rx = await probe(system, inbox, 1, { tag: 'rthrow' });
  const bystander = await probe(system, inbox, 1, { tag: 'rby' });
  const tx = await probe(system, inbox, 2, { tag: 'tthrow' });
  const ref = inbox.monitor(rx);
  system.send(rx, { op: 'select-seq', wants: ['one'] });
  await expectReport(inbox, 'selecting', 'rthrow');
  const dead = new Promise<any>((resolve) => system.on('deadLetter', (d: any) => d.message === null && String(d.to) === String(rx) && resolve(d)));
  system.send(tx, { op: 'send', to: rx, msg: null });
  await expectReport(inbox, 'sent', 'tthrow');
  // The rejected receive crashes rx's handler: a panic with the match's error, not its shard's death.
  const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of rx');
  assert.is(down.reason.kind, 'panic');
  assert.match(down.reason.message, /null/);
  // The message was queued (no receive took it), so rx's exit dead-letters it.
  assert.is((await dead).reason, 'process_exited');
  system.send(bystander, { op: 'ping' });
  assert.is((await expectReport(inbox, 'pong', 'rby')).shard, 1);
});

test('an inbox receives selectively too', async () => {
  const ib = system.inbox();
  ib.send(ib.pid, { k: 1 });
  ib.send(ib.pid, { k: 2 });
  ib.send(ib.pid, { k: 3 });
  assert.equal(await ib.receive((m: any) => m.k === 2), { k: 2 });
  assert.equal(await ib.receive(), { k: 1 });
  assert.equal(await ib.receive(), { k: 3 });
  assert.is(await ib.receive(undefined, { timeoutMs: 0 }), undefined);
  ib.close();
});

test('a match that closes its own inbox: the message it was asked about is a dead letter (process_exited), not left in the dead mailbox', async () => {
  // Regression: it stayed in the closed inbox's mailbox, found by nobody, and counted lost at shutdown as 'shutdown'.
  const ib = system.inbox();
  const dead: any[] = [];
  const onDead = (d: any) => dead.push(d);
  system.on('deadLetter', onDead);
  try {
    const got = ib.receive(() => {
      ib.close();
      return true;
    }).then(() => 'resolved', (e: { code?: string }) => e.code);
    system.send(ib.pid, { hello: 1 });
    assert.is(await got, 'ERR_NO_PROC');
    assert.is(ib.size, 0);
    assert.equal(dead.map((d) => [d.reason, d.message]), [['process_exited', { hello: 1 }]]);
  } finally {
    system.off('deadLetter', onDead);
  }
});

test('a match that sends to its own process loses nothing: the message it was asked about goes to the mailbox, or to the next receive', async () => {
  const ib = system.inbox();
  // Asked about 'a', the match sends 'b' to itself: 'b' is offered first (the send runs inside the match) and takes
  // the receive; 'a', which the match accepted too, must not vanish with the receive it can no longer have.
  const selfSending = (m: unknown): boolean => {
    if (m === 'a') ib.send(ib.pid, 'b');
    return m === 'a' || m === 'b';
  };
  const first = ib.receive(selfSending);
  ib.send(ib.pid, 'a');
  assert.is(await first, 'b');
  assert.is(await ib.receive(undefined, { timeoutMs: 0 }), 'a', "'a' was queued");
  // With a second receive waiting, 'a' goes to it.
  const one = ib.receive(selfSending);
  const two = ib.receive((m) => m === 'a');
  ib.send(ib.pid, 'a');
  assert.equal(await Promise.all([one, two]), ['b', 'a']);
  assert.is(await ib.receive(undefined, { timeoutMs: 0 }), undefined);
  ib.close();
});

test.run();
