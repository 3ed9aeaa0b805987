// Provider hooks: called for every event, on the thread where it happens.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import type { Pid } from '@joerl/runtime';
import { expect, expectReport, probe, withSystem } from '../helpers.ts';

const test = suite('telemetry provider');
const PROVIDER = new URL('../fixtures/provider.mjs', import.meta.url);

interface Hook {
  hook: string;
  thread: number;
  args: string[];
}

test('every hook fires, on the thread of the event', async () => {
  const channel = new BroadcastChannel('joerl-provider-test');
  const seen: Hook[] = [];
  const waiters: Array<[(h: Hook) => boolean, (h: Hook) => void]> = [];
  channel.onmessage = (ev: MessageEvent) => {
    const h = ev.data as Hook;
    seen.push(h);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const [pred, resolve] = waiters[i]!;
      if (pred(h)) {
        waiters.splice(i, 1);
        resolve(h);
      }
    }
  };
  const next = (pred: (h: Hook) => boolean) =>
    new Promise<Hook>((resolve) => {
      const hit = seen.find(pred);
      if (hit) resolve(hit);
      else waiters.push([pred, resolve]);
    });
  try {
    await withSystem({ threads: 2, telemetry: { provider: fileURLToPath(PROVIDER) } }, async (system) => {
      const inbox = system.inbox();
      const p = await probe(system, inbox, 2, { tag: 'observed' });
      const spawned = await next((h) => h.hook === 'onActorSpawned' && h.args[1] === String(p));
      assert.equal([spawned.thread, spawned.args[0]], [2, 'Probe']);
      system.send(p, { op: 'ping' });
      await expectReport(inbox, 'pong', 'observed');
      assert.is((await next((h) => h.hook === 'onMessageSent' && h.args[1] === String(p))).thread, 0, 'sent from main');
      assert.is((await next((h) => h.hook === 'onMessageReceived' && h.args[0] === String(p))).thread, 2);
      const ref = inbox.monitor(p);
      system.send(p, { op: 'panic', message: 'observed panic' });
      await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'down');
      const panicked = await next((h) => h.hook === 'onActorPanicked');
      assert.equal(panicked.args, ['Probe', String(p), 'observed panic']);
      assert.equal((await next((h) => h.hook === 'onActorStopped' && h.args[1] === String(p))).args[2], 'panic');
      const t = (await system.spawn(new URL('../fixtures/machines.statem.ts', import.meta.url), undefined, { shard: 1, export: 'TableOnly' })) as Pid<any>;
      await system.call(t, 'coin');
      assert.equal((await next((h) => h.hook === 'onStateTransition')).args.slice(2), ['locked', 'unlocked']);
      await system.spawn(new URL('../fixtures/tree.sup.ts', import.meta.url), {
        children: [{ id: 'pw', module: new URL('../fixtures/worker.child.ts', import.meta.url).href, args: { id: 'pw', report: inbox.pid } }],
      });
      const w = await expect<any>(inbox, (m) => m?.event === 'child-started' && m.id === 'pw', 'worker');
      system.send(w.pid, { op: 'crash' });
      assert.equal((await next((h) => h.hook === 'onSupervisorRestart')).args, ['pw', 'one_for_one']);
      assert.throws(() => system.send('missing-name', {}));
      assert.equal((await next((h) => h.hook === 'onDeadLetter')).args, ['missing-name', 'actor_not_found']);
    });
  } finally {
    channel.close();
  }
});

test('a hook that throws is dropped with a warning: no shard dies, the actor works on, the other hooks still run', async () => {
  const channel = new BroadcastChannel('joerl-throwing-provider-test');
  const stopped: string[] = [];
  let onStopped: () => void = () => {};
  channel.onmessage = (ev: MessageEvent) => {
    stopped.push((ev.data as { pid: string }).pid);
    onStopped();
  };
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => void (w.code === 'JOERL_PROVIDER_HOOK_FAILED' && warnings.push(w.message));
  process.on('warning', onWarning);
  try {
    await withSystem({ threads: 2, telemetry: { provider: fileURLToPath(new URL('../fixtures/throwing-provider.mjs', import.meta.url)) } }, async (system) => {
      const downs: unknown[] = [];
      system.on('shardDown', (d) => downs.push(d));
      const inbox = system.inbox();
      for (const shard of [1, 2]) {
        const p = await probe(system, inbox, shard, { tag: `t${shard}` });
        for (let i = 0; i < 3; i++) {
          system.send(p, { op: 'ping' });
          await expectReport(inbox, 'pong', `t${shard}`);
        }
        const ref = inbox.monitor(p);
        system.send(p, { op: 'panic', message: 'thrown on purpose' });
        await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, `DOWN on shard ${shard}`);
        const q = await probe(system, inbox, shard, { tag: `s${shard}` });
        const seen = new Promise<void>((resolve) => {
          onStopped = () => stopped.includes(String(q)) && resolve();
        });
        system.send(q, { op: 'stop', reason: 'normal' });
        await seen;
      }
      assert.equal(downs, [], 'no shard went down');
      assert.throws(() => system.send('nobody-here', {}), (e: { code?: string }) => e.code === 'ERR_NO_PROC' || e.code === 'ERR_UNKNOWN_NAME');
    });
    // Warnings from the workers come through the main thread's stderr, not its process events: main's own are counted here.
    assert.ok(warnings.some((w) => w.includes('onMessageSent')), `main warned of its throwing onMessageSent: ${warnings.join(' | ')}`);
  } finally {
    process.off('warning', onWarning);
    channel.close();
  }
});

test('a provider module that is not there is ERR_MODULE_NOT_FOUND; one whose top-level code throws is ERR_MODULE_FAILED, with what it threw', async () => {
  const { ActorSystem } = await import('@joerl/runtime');
  const start = (file: string) =>
    ActorSystem.start({ threads: 1, telemetry: { provider: fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)) } }).then(
      async (system) => {
        await system.shutdown();
        return undefined;
      },
      (e: { code?: string; message: string; cause?: unknown }) => e,
    );
  const missing = await start('no-such-provider.mjs');
  assert.is(missing?.code, 'ERR_MODULE_NOT_FOUND', String(missing?.message));
  const failed = await start('top-throwing-provider.mjs');
  assert.is(failed?.code, 'ERR_MODULE_FAILED', String(failed?.message));
  assert.match(failed!.message, /RangeError: provider config missing/);
});

test('a detached hook stays callable (a no-op): a turn reads once whether a hook is there, then calls it for each message', async () => {
  const { loadProvider } = await import('../../src/shard/provider.ts');
  const prov = await loadProvider(new URL('../fixtures/late-throwing-provider.mjs', import.meta.url).href, 1);
  const onWarning = () => {};
  process.on('warning', onWarning);
  try {
    prov.onMessageReceived!('<0.1.1>'); // its one good call
    prov.onMessageReceived!('<0.1.1>'); // throws inside: detached, with a warning
    assert.type(prov.onMessageReceived, 'function', 'still there for a turn that looked it up before');
    prov.onMessageReceived!('<0.1.1>');
  } finally {
    process.off('warning', onWarning);
  }
});

test.run();
