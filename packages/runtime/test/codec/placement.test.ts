// The same send gives the same result wherever the receiver lives: in-shard and cross-shard receivers see equal values and refusals.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import { ACCEPTED, REFUSED } from '../fixtures/values.ts';

const PAYLOAD = new URL('../fixtures/payload.actor.ts', import.meta.url);
const test = suite('placement');

async function trio(system: Awaited<Parameters<Parameters<typeof withSystem>[1]>[0]>, report: Pid) {
  const local = (await system.spawn(PAYLOAD, { report, where: 'local' }, { shard: 1 })) as Pid<any>;
  const remote = (await system.spawn(PAYLOAD, { report, where: 'remote' }, { shard: 2 })) as Pid<any>;
  const sender = (await system.spawn(PAYLOAD, { report }, { shard: 1 })) as Pid<any>;
  return { local, remote, sender };
}

test('every value kind of the table arrives alike in-shard and cross-shard, as structuredClone would deliver it (checkLocalSends)', () =>
  withSystem({ threads: 2, checkLocalSends: true }, async (system) => {
    const inbox = system.inbox();
    const { local, remote, sender } = await trio(system, inbox.pid);
    const names = Object.keys(ACCEPTED);
    system.send(sender, { op: 'values', local, remote, names });
    for (const name of names) {
      const want = await expect<{ fp: string }>(inbox, (m) => m?.event === 'expected' && m.tag === name, `the expected form of ${name}`);
      const here = await expect<{ fp: string }>(inbox, (m) => m?.event === 'got' && m.tag === name && m.where === 'local', `${name} in-shard`);
      const there = await expect<{ fp: string }>(inbox, (m) => m?.event === 'got' && m.tag === name && m.where === 'remote', `${name} cross-shard`);
      assert.is(there.fp, want.fp, `${name} cross-shard`);
      assert.is(here.fp, want.fp, `${name} in-shard`);
    }
  }));

test('in-shard sends refuse what cross-shard sends refuse, with the same error and path (checkLocalSends)', () =>
  withSystem({ threads: 2, checkLocalSends: true }, async (system) => {
    const inbox = system.inbox();
    const { local, remote, sender } = await trio(system, inbox.pid);
    system.send(sender, { op: 'refusals', local, remote });
    for (const [name, [, bare]] of Object.entries(REFUSED)) {
      // The fixture sends { tag, value }: paths start at message.value.
      const path = new RegExp(bare.source.replaceAll('message', 'message\\.value'));
      const r = await expect<{ local: string; remote: string }>(inbox, (m) => m?.event === 'refusal' && m.name === name, name);
      assert.match(r.remote, /^ERR_UNENCODABLE: /, `${name} cross-shard`);
      assert.match(r.remote, path, `${name} cross-shard`);
      assert.is(r.local, r.remote, `${name}: in-shard like cross-shard`);
    }
  }));

test('a sender that changes a message after sending it changes it for nobody (checkLocalSends)', () =>
  withSystem({ threads: 2, checkLocalSends: true }, async (system) => {
    const inbox = system.inbox();
    const { local, remote, sender } = await trio(system, inbox.pid);
    system.send(sender, { op: 'mutate-after-send', local, remote });
    const here = await expect<{ fp: string }>(inbox, (m) => m?.event === 'got' && m.where === 'local', 'the in-shard copy');
    const there = await expect<{ fp: string }>(inbox, (m) => m?.event === 'got' && m.where === 'remote', 'the cross-shard copy');
    assert.is(here.fp, 'Object{"n":n:1,"list":Array[n:1]}');
    assert.is(there.fp, here.fp);
  }));

test('checkLocalSends is on by default outside NODE_ENV=production, off in production, and can be set', async () => {
  const { resolveOptions } = await import('../../src/system/options.ts');
  const before = process.env.NODE_ENV;
  try {
    delete process.env.NODE_ENV;
    assert.is(resolveOptions({ threads: 1 }).checkLocalSends, true);
    process.env.NODE_ENV = 'production';
    assert.is(resolveOptions({ threads: 1 }).checkLocalSends, false);
    assert.is(resolveOptions({ threads: 1, checkLocalSends: true }).checkLocalSends, true);
  } finally {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  }
});

test.run();
