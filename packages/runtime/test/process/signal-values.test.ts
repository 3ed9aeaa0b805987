// Values that cross threads without being messages follow the messages' table: spawn arguments, exit and stop reasons, DOWN and EXIT reasons.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ActorSystem, Inbox, Pid } from '@joerl/runtime';
import { expect, probe, withSystem } from '../helpers.ts';
import { ACCEPTED, REFUSED } from '../fixtures/values.ts';

const SIGNALS = new URL('../fixtures/signals.actor.ts', import.meta.url);
const test = suite('signal-values');
const NAMES = Object.keys(ACCEPTED);
const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url);

async function start(system: ActorSystem, inbox: Inbox, tag: string, shard: number): Promise<Pid<any>> {
  const pid = (await system.spawn(SIGNALS, { report: inbox.pid, tag }, { shard })) as Pid<any>;
  await expect(inbox, (m) => m?.event === 'started' && m.tag === tag, `${tag} started`);
  return pid;
}

/** The refusal a probe reported for each REFUSED kind: ERR_UNENCODABLE naming the path under `root`, alike in-shard and cross-shard. */
async function refusals(inbox: Inbox, root: string): Promise<void> {
  for (const [name, [, bare]] of Object.entries(REFUSED)) {
    const path = new RegExp(bare.source.replaceAll('message', root));
    const r = await expect<{ local: string; remote: string }>(inbox, (m) => m?.event === 'refusal' && m.name === name, name);
    assert.match(r.remote, /^ERR_UNENCODABLE: /, `${name} cross-shard`);
    assert.match(r.remote, path, `${name} cross-shard`);
    assert.is(r.local, r.remote, `${name}: in-shard like cross-shard`);
  }
}

for (const checkLocalSends of [true, false]) {
  const mode = `checkLocalSends ${checkLocalSends}`;

  test(`spawn arguments of every kind of the table arrive as structuredClone would deliver them (-0 too), in-shard and cross-shard (${mode})`, () =>
    withSystem({ threads: 2, checkLocalSends }, async (system) => {
      const inbox = system.inbox();
      const sender = await start(system, inbox, 'sender', 1);
      system.send(sender, { op: 'spawn-values', names: NAMES, local: 1, remote: 2 });
      for (const name of NAMES) {
        const want = await expect<{ fp: string }>(inbox, (m) => m?.event === 'expected' && m.name === name, `the expected form of ${name}`);
        const here = await expect<{ fp: string }>(inbox, (m) => m?.event === 'init-got' && m.tag === name && m.shard === 1, `${name} in-shard`);
        const there = await expect<{ fp: string }>(inbox, (m) => m?.event === 'init-got' && m.tag === name && m.shard === 2, `${name} cross-shard`);
        assert.is(there.fp, want.fp, `${name} cross-shard`);
        // Unchecked (production), an in-shard child gets the parent's own object (a Buffer stays a Buffer): a -0 stays -0.
        if (checkLocalSends || name.startsWith('minus zero')) assert.is(here.fp, want.fp, `${name} in-shard`);
      }
    }));

  test(`spawn refuses at the call, in-shard as cross-shard, what a send refuses, naming the path under args (${mode})`, () =>
    withSystem({ threads: 2, checkLocalSends }, async (system) => {
      const inbox = system.inbox();
      const sender = await start(system, inbox, 'sender', 1);
      system.send(sender, { op: 'spawn-refusals', local: 1, remote: 2 });
      await refusals(inbox, 'args\\.value');
    }));

  test(`exit(pid, reason): every kind of the table arrives in the EXIT as structuredClone would deliver it, in-shard and cross-shard (${mode})`, () =>
    withSystem({ threads: 2, checkLocalSends }, async (system) => {
      const inbox = system.inbox();
      const local = await start(system, inbox, 'local', 1);
      const remote = await start(system, inbox, 'remote', 2);
      const sender = await start(system, inbox, 'sender', 1);
      system.send(sender, { op: 'exit-values', names: NAMES, local, remote });
      for (const name of NAMES) {
        const want = await expect<{ fp: string }>(inbox, (m) => m?.event === 'expected' && m.name === name, `the expected reason for ${name}`);
        const there = await expect<{ fp: string }>(inbox, (m) => m?.event === 'EXIT' && m.tag === 'remote', `${name}: the EXIT cross-shard`);
        const here = await expect<{ fp: string }>(inbox, (m) => m?.event === 'EXIT' && m.tag === 'local', `${name}: the EXIT in-shard`);
        assert.is(there.fp, want.fp, `${name} cross-shard`);
        if (checkLocalSends || name.startsWith('minus zero')) assert.is(here.fp, want.fp, `${name} in-shard`);
      }
    }));

  test(`exit(pid, reason) refuses at the call, in-shard as cross-shard, what a send refuses, naming the path under reason (${mode})`, () =>
    withSystem({ threads: 2, checkLocalSends }, async (system) => {
      const inbox = system.inbox();
      const local = await start(system, inbox, 'local', 1);
      const remote = await start(system, inbox, 'remote', 2);
      const sender = await start(system, inbox, 'sender', 1);
      system.send(sender, { op: 'exit-refusals', local, remote });
      await refusals(inbox, 'reason');
    }));
}

test('stop(reason): the DOWN and the EXIT carry the reason exactly to watchers on the same shard, another shard and the main thread (-0, errors, maps...)', () =>
  withSystem({ threads: 2, checkLocalSends: true }, async (system) => {
    const inbox = system.inbox();
    const local = await start(system, inbox, 'local', 1);
    const remote = await start(system, inbox, 'remote', 2);
    for (const name of NAMES) {
      const victim = await start(system, inbox, `victim ${name}`, 1);
      for (const w of [local, remote]) {
        system.send(w, { op: 'watch', pid: victim });
        await expect(inbox, (m) => m?.event === 'watching', 'watching');
      }
      const main = inbox.monitor(victim);
      system.send(victim, { op: 'stop-with', name });
      const want = await expect<{ fp: string }>(inbox, (m) => m?.event === 'expected' && m.name === name, `the expected reason for ${name}`);
      for (const [tag, type] of [['local', 'DOWN'], ['local', 'EXIT'], ['remote', 'DOWN'], ['remote', 'EXIT']] as const) {
        const got = await expect<{ fp: string }>(inbox, (m) => m?.event === type && m.tag === tag, `${name}: the ${type} at ${tag}`);
        assert.is(got.fp, want.fp, `${name}: the ${type} at ${tag}`);
      }
      const down = await expect<{ reason: { value: unknown } }>(inbox, (m) => m?.type === 'DOWN' && m.ref === main, `${name}: the DOWN on the main thread`);
      if (name === 'minus zero alone') assert.ok(Object.is(down.reason.value, -0), 'the main thread gets -0, not 0');
    }
  }));

test('stop(reason) refuses at the call what a send refuses (the process keeps running), naming the path under reason', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const p = await start(system, inbox, 'stopper', 1);
    system.send(p, { op: 'stop-refusals' });
    for (const [name, [, bare]] of Object.entries(REFUSED)) {
      const r = await expect<{ out: string }>(inbox, (m) => m?.event === 'stop-refusal' && m.name === name, name);
      assert.match(r.out, /^ERR_UNENCODABLE: /, name);
      assert.match(r.out, new RegExp(bare.source.replaceAll('message', 'reason')), name);
    }
    system.send(p, { op: 'ping' });
    await expect(inbox, (m) => m?.event === 'pong', 'the stopper still runs');
  }));

test('a reason changed after stop() is changed for nobody: each in-shard watcher gets the reason as given (checkLocalSends)', () =>
  withSystem({ threads: 1, checkLocalSends: true }, async (system) => {
    const inbox = system.inbox();
    const w = await start(system, inbox, 'w', 1);
    const victim = await start(system, inbox, 'victim', 1);
    system.send(w, { op: 'watch', pid: victim });
    await expect(inbox, (m) => m?.event === 'watching', 'watching');
    system.send(victim, { op: 'stop-mutated' });
    for (const type of ['DOWN', 'EXIT']) {
      const got = await expect<{ fp: string }>(inbox, (m) => m?.event === type && m.tag === 'w', type);
      assert.is(got.fp, 'Object{"kind":s:"custom","value":Object{"n":n:1,"list":Array[n:1]}}', type);
    }
  }));

test('sendAfter takes the message at the call (checkLocalSends): a change made after it shows neither in-shard nor cross-shard', () =>
  withSystem({ threads: 2, checkLocalSends: true }, async (system) => {
    const inbox = system.inbox();
    const sender = await start(system, inbox, 'sender', 1);
    const here = await start(system, inbox, 'here', 1);
    const there = await start(system, inbox, 'there', 2);
    for (const to of [here, there]) {
      system.send(sender, { op: 'send-after-mutated', to });
      const got = await expect<{ fp: string }>(inbox, (m) => m?.event === 'later-got', 'the timed message');
      assert.is(got.fp, 'Object{"n":n:1,"list":Array[n:1]}');
    }
  }));

test('offload from a shard: a -0 in the input and in the result arrives as -0 (the ring between shard and main keeps it)', () =>
  withSystem({ threads: 1, offload: { threads: 1 } }, async (system) => {
    const inbox = system.inbox();
    const p = await probe(system, inbox, 1);
    system.send(p, { op: 'offload', url: JOBS.href, export: 'echo', input: { v: -0 } });
    const r = await expect<{ result: { got: { v: number }; negZeroIn: boolean } }>(inbox, (m) => m?.event === 'offloaded', 'the offload result');
    assert.ok(r.result.negZeroIn, 'the job got -0');
    assert.ok(Object.is(r.result.got.v, -0), 'the shard got -0 back');
  }));

test('a panic with a message replaced by an object and a lone surrogate in its name: the crash report and the DOWN still reach main, as well-formed strings', () =>
  withSystem({ threads: 2, logLevel: 'silent' }, async (system) => {
    const inbox = system.inbox();
    const report = new Promise<{ error: { name: string; message: string } }>((r) => system.once('crashReport', r as never));
    const p = await start(system, inbox, 'odd', 2);
    const ref = inbox.monitor(p);
    system.send(p, { op: 'panic-odd' });
    const r = await report;
    assert.is(r.error.name, 'Odd\ufffd');
    assert.is(r.error.message, '[object Object]');
    const down = await expect<{ reason: { kind: string; name: string; message: string } }>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the DOWN');
    assert.equal([down.reason.kind, down.reason.name, down.reason.message], ['panic', 'Odd\ufffd', '[object Object]']);
  }));

test('a panic whose message holds a lone surrogate reads the same on every thread (made well formed where it is made)', () =>
  withSystem({ threads: 2 }, async (system) => {
    const { panicReason } = await import('../../src/actor/exit-reason.ts');
    const r = panicReason(new Error('bad \ud800 end'));
    assert.is(r.message, 'bad \ufffd end');
    assert.ok((r.stack as unknown as { isWellFormed(): boolean }).isWellFormed());
    assert.is(panicReason('x\udc00').message, 'x\ufffd');
    void system;
  }));

test.run();
