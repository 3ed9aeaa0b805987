// Bounded mailboxes refuse when full (an error in-shard, a dead letter across shards) and accept again once drained.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type DeadLetter, type Inbox, MailboxFullError, NoProcError, type Pid } from '@joerl/runtime';
import { expect, expectReport, probe } from '../helpers.ts';

const test = suite('mailbox');
let system: ActorSystem;
let inbox: Inbox;
const deadLetters: DeadLetter[] = [];
let onDeadLetter: (() => void) | null = null;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
  system.on('deadLetter', (dl) => {
    deadLetters.push(dl);
    onDeadLetter?.();
  });
});
test.after(() => system.shutdown());

function nextDeadLetter(): Promise<DeadLetter> {
  const seen = deadLetters.length;
  return new Promise((resolve) => {
    const check = () => {
      if (deadLetters.length > seen) {
        onDeadLetter = null;
        resolve(deadLetters[seen]!);
      }
    };
    onDeadLetter = check;
    check();
  });
}

test('within one shard: the third send to a full mailbox of 2 throws, and it accepts again once drained', async () => {
  // The target waits in a selective receive, so non-matching messages pile up in its mailbox.
  const target = await probe(system, inbox, 1, { tag: 'full-1' }, { mailboxCapacity: 2 });
  const sender = await probe(system, inbox, 1, { tag: 'sender-1' });
  system.send(target, { op: 'select', want: 'release' });
  await expectReport(inbox, 'selecting', 'full-1');
  system.send(sender, { op: 'burst', to: target, count: 3 });
  const burst = await expectReport(inbox, 'burst', 'sender-1');
  assert.equal(burst.results, ['ok', 'ok', 'ERR_MAILBOX_FULL']);
  // A matching message goes straight to the waiting receive, past the full mailbox.
  system.send(sender, { op: 'send', to: target, msg: { k: 'release' } });
  await expectReport(inbox, 'selected', 'full-1');
  await expect(inbox, (m) => m?.event === 'got' && m.tag === 'full-1' && m.msg.n === 0, 'first queued message');
  await expect(inbox, (m) => m?.event === 'got' && m.tag === 'full-1' && m.msg.n === 1, 'second queued message');
  system.send(sender, { op: 'burst', to: target, count: 2 });
  const again = await expectReport(inbox, 'burst', 'sender-1');
  assert.equal(again.results, ['ok', 'ok']);
});

test('across shards: the overflow becomes a mailbox_full dead letter, and it accepts again once drained', async () => {
  const target = await probe(system, inbox, 2, { tag: 'full-2' }, { mailboxCapacity: 2 });
  const sender = await probe(system, inbox, 1, { tag: 'sender-2' });
  system.send(target, { op: 'select', want: 'release' });
  await expectReport(inbox, 'selecting', 'full-2');
  const dead = nextDeadLetter();
  system.send(sender, { op: 'burst', to: target, count: 3 });
  const dl = await dead;
  assert.is(dl.reason, 'mailbox_full');
  assert.ok((dl.to as any).equals(target));
  assert.equal(dl.message, { n: 2 });
  system.send(sender, { op: 'send', to: target, msg: { k: 'release' } });
  await expectReport(inbox, 'selected', 'full-2');
  await expect(inbox, (m) => m?.event === 'got' && m.tag === 'full-2' && m.msg.n === 1, 'second queued message');
  const before = deadLetters.length;
  system.send(sender, { op: 'burst', to: target, count: 2 });
  await expect(inbox, (m) => m?.event === 'got' && m.tag === 'full-2' && m.msg.n === 1, 'accepted after draining');
  assert.is(deadLetters.length, before);
});

test('a call from another thread into a full mailbox fails at once with ERR_MAILBOX_FULL, not at its timeout', async () => {
  const target = await probe(system, inbox, 2, { tag: 'full-call' }, { mailboxCapacity: 1 });
  const caller = await probe(system, inbox, 1, { tag: 'caller' });
  system.send(target, { op: 'select', want: 'release' });
  await expectReport(inbox, 'selecting', 'full-call');
  system.send(target, { n: 0 } as never);
  // From main and from shard 1 (the probe calls it from a handler); a 20 s timeout only bounds the old behaviour.
  const fromMain = await system.call(target, { kind: 'get' }, { timeoutMs: 20_000 }).then(() => 'answered', (err: { code?: string }) => err.code);
  assert.is(fromMain, 'ERR_MAILBOX_FULL');
  system.send(caller, { op: 'call', to: target, req: { kind: 'get' }, timeoutMs: 20_000 } as never);
  const r = await expectReport(inbox, 'call-failed', 'caller');
  assert.is(r.code, 'ERR_MAILBOX_FULL');
  system.send(target, { k: 'release' } as never);
  await expectReport(inbox, 'selected', 'full-call');
});

test('a forged call envelope meeting a full mailbox on another thread is a dead letter only: the shard lives on', async () => {
  const downs: unknown[] = [];
  const onDown = (d: unknown) => void downs.push(d);
  system.on('shardDown', onDown);
  try {
    const target = await probe(system, inbox, 2, { tag: 'full-forged' }, { mailboxCapacity: 1 });
    const bystander = await probe(system, inbox, 2, { tag: 'forged-bystander' });
    system.send(target, { op: 'select', want: 'release' });
    await expectReport(inbox, 'selecting', 'full-forged');
    system.send(target, { n: 0 } as never);
    const dead = nextDeadLetter();
    system.send(target, { $joerl: 'call', from: { pid: {}, ref: 1 }, req: 1 } as never);
    assert.is((await dead).reason, 'mailbox_full');
    system.send(bystander, { op: 'ping' });
    await expectReport(inbox, 'pong', 'forged-bystander');
    assert.equal(downs, [], 'no shard went down');
    system.send(target, { k: 'release' } as never);
    await expectReport(inbox, 'selected', 'full-forged');
  } finally {
    system.off('shardDown', onDown);
  }
});

test('from the main thread, a send to a dead pid on a shard is a dead letter; to a main inbox it throws', async () => {
  const p = await probe(system, inbox, 2, { tag: 'dead-target' });
  const ref = inbox.monitor(p);
  system.send(p, { op: 'stop', reason: 'normal' });
  await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
  const dead = nextDeadLetter();
  system.send(p as Pid<unknown>, { hello: 'anyone?' });
  const dl = await dead;
  assert.is(dl.reason, 'actor_not_found');
  assert.equal(dl.message, { hello: 'anyone?' });

  const closed = system.inbox();
  closed.close();
  try {
    system.send(closed.pid, { x: 1 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NoProcError);
    assert.equal((err as NoProcError).undelivered, { x: 1 });
  }
});

test('a full main-thread inbox throws MailboxFullError with the message', () => {
  // Inboxes are unbounded; a bounded one is not offered, so check the error shape directly.
  const err = new MailboxFullError('<0.1.2>', 2, { n: 3 });
  assert.is(err.code, 'ERR_MAILBOX_FULL');
  assert.equal(err.undelivered, { n: 3 });
});

test.run();
