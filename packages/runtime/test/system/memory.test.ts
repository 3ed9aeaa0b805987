// Bounded shared memory: rings are made as pairs of threads first talk, and a thread count the machine cannot hold is refused at once.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, InvalidOptionError, type Pid } from '@joerl/runtime';
import { defaultRingBytes, maxThreads, resolveOptions } from '../../src/system/options.ts';
import { EVENT_TIMEOUT_MS, expect, withSystem } from '../helpers.ts';

const PAYLOAD = new URL('../fixtures/payload.actor.ts', import.meta.url);
const HEAP_LIMITS = new URL('../fixtures/heap-limits.actor.ts', import.meta.url);
const MiB = 1024 * 1024;
const test = suite('memory');

/** Resolves once `cond` holds, checked after each turn of the event loop; fails the test if it never does. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + EVENT_TIMEOUT_MS;
  while (!cond()) {
    if (Date.now() > end) assert.unreachable(`never: ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('a threads value over the machine limit is refused at once, with a typed error naming the limit, before any worker or ring exists', async () => {
  const limit = maxThreads();
  if (limit >= 4095) return; // a machine with 256 GiB or more: the pid limit decides, tested in lifecycle
  let settled: unknown = null;
  const p = ActorSystem.start({ threads: limit + 1 }).then(
    () => assert.unreachable('started'),
    (err: unknown) => (settled = err),
  );
  // Refused inside the start call: no await on a worker came before it.
  await null;
  await null;
  assert.instance(settled, InvalidOptionError);
  assert.is((settled as InvalidOptionError).code, 'ERR_INVALID_OPTION');
  assert.match((settled as Error).message, new RegExp(`options\\.threads is ${limit + 1}, more than this machine can hold: at most ${limit} \\(one shard per 64 MiB`));
  await p;
});

test('ring size is set for the thread count: 1 MiB up to 8 shards, then all pairs within 256 MiB, never under 64 KiB', () => {
  assert.is(defaultRingBytes(2), MiB);
  assert.is(defaultRingBytes(8), MiB);
  assert.is(defaultRingBytes(16), 256 * 1024);
  assert.is(defaultRingBytes(31), 256 * 1024);
  assert.is(defaultRingBytes(32), 128 * 1024);
  assert.is(defaultRingBytes(45), 64 * 1024);
  assert.is(defaultRingBytes(64), 64 * 1024);
  assert.is(defaultRingBytes(128), 64 * 1024);
});

test('rings to and from main exist from the start; one between two shards is made on its first send, and memory() counts it', () =>
  withSystem({ threads: 3, telemetry: { enabled: false } }, async (system) => {
    const at0 = system.memory();
    assert.is(at0.metricsBytes, 0);
    assert.is(at0.rings, 6, 'main to and from each of 3 shards');
    const inbox = system.inbox();
    const a = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
    assert.is(system.memory().rings, 6);
    system.send(a, { op: 'send', to: b, kind: 'Uint8Array', bytes: 64, seed: 1, seq: 1, move: false });
    await expect(inbox, (m) => m?.event === 'checked' && m.seq === 1, 'shard 1 -> shard 2');
    // Shard 1 tells main of its new ring on its worker port, which is not ordered with the rings: the
    // report above can come first (it did, in npm test at load 16). Wait for that notice, not a delay.
    await until(() => system.memory().rings === 7, 'main has recorded the ring 1 -> 2');
    const m = system.memory();
    assert.is(m.rings, 7, 'and 1 -> 2 now');
    assert.is(m.ringBytes, 7 * (MiB + 128));
    assert.is(m.total, m.ringBytes + m.controlBytes + m.nameTableBytes + m.recordBytes);
  }));

test('64 shards on this machine: rings are only the pairs in use, and shared memory stays under 32 MiB (it was 1 GiB of rings alone)', () =>
  withSystem({ threads: 64 }, async (system) => {
    const inbox = system.inbox();
    // Every shard talks to main and back.
    for (let s = 1; s <= 64; s++) {
      const p = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: s })) as Pid<any>;
      system.send(p, { op: 'check', seq: s, data: 'ping' });
      await expect(inbox, (m) => m?.event === 'checked' && m.seq === s, `shard ${s}`);
    }
    const m = system.memory();
    // One ring each way between main and each shard, at 64 KiB (the default for 64 shards).
    assert.ok(m.rings <= 128, `${m.rings} rings`);
    assert.ok(m.ringBytes <= 128 * (64 * 1024 + 128), `${m.ringBytes} bytes of rings`);
    assert.ok(m.total < 32 * MiB, `${(m.total / MiB).toFixed(1)} MiB in all`);
  }));

/** The resource limits a shard's worker runs with, as it reports them. */
async function shardLimits(system: ActorSystem): Promise<Record<string, number>> {
  const inbox = system.inbox<{ limits: Record<string, number> }>();
  system.send(await system.spawn(HEAP_LIMITS, undefined, { shard: 1 }), { report: inbox.pid });
  const r = await expect<{ limits: Record<string, number> }>(inbox, (m) => m?.limits !== undefined, 'limits');
  inbox.close();
  return r.limits;
}

test('a shard gets a 128 MB young generation unless resourceLimits sets one; the other limits are left as given', async () => {
  await withSystem({ threads: 1 }, async (system) => {
    assert.is((await shardLimits(system)).maxYoungGenerationSizeMb, 128);
  });
  await withSystem({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 512 } }, async (system) => {
    const l = await shardLimits(system);
    assert.is(l.maxYoungGenerationSizeMb, 128);
    assert.is(l.maxOldGenerationSizeMb, 512);
  });
  await withSystem({ threads: 1, resourceLimits: { maxYoungGenerationSizeMb: 32 } }, async (system) => {
    assert.is((await shardLimits(system)).maxYoungGenerationSizeMb, 32);
  });
});

test("resourceLimits: each a positive number of MB under a name Node knows (Node dropped '256' or a misspelled key: no heap cap at all)", () => {
  const bad: Array<[object, RegExp]> = [
    [{ maxOldGenerationSizeMb: '256' }, /options\.resourceLimits\.maxOldGenerationSizeMb must be a positive number of MB, got "256"/],
    [{ maxOldGenerationSizeMb: 0 }, /maxOldGenerationSizeMb must be a positive number of MB, got number 0/],
    [{ maxYoungGenerationSizeMb: NaN }, /maxYoungGenerationSizeMb must be a positive number of MB/],
    [{ stackSizeMb: -1 }, /stackSizeMb must be a positive number of MB/],
    [{ codeRangeSizeMb: Infinity }, /codeRangeSizeMb must be a positive number of MB/],
    [{ maxOldGenSizeMb: 256 }, /options\.resourceLimits\.maxOldGenSizeMb is not a worker resource limit; the limits are maxYoungGenerationSizeMb, maxOldGenerationSizeMb, codeRangeSizeMb, stackSizeMb/],
  ];
  for (const [resourceLimits, re] of bad) {
    assert.throws(() => resolveOptions({ threads: 1, resourceLimits } as never), (e: Error) => e instanceof InvalidOptionError && e.code === 'ERR_INVALID_OPTION' && re.test(e.message), JSON.stringify(resourceLimits));
  }
  const ok = resolveOptions({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 256, stackSizeMb: 4, codeRangeSizeMb: 1.5 } });
  assert.equal(ok.resourceLimits, { maxOldGenerationSizeMb: 256, stackSizeMb: 4, codeRangeSizeMb: 1.5, maxYoungGenerationSizeMb: 128 });
});

test.run();
