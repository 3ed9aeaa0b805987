// What a shard thread loads: not the main thread's telemetry (prom-client, the scrape server), even when an actor
// module imports the package's entry, which also holds ActorSystem.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { EVENT_TIMEOUT_MS, withSystem } from '../helpers.ts';

const fixture = (f: string) => new URL(`../fixtures/${f}`, import.meta.url);
/** Node's list of the built-in modules this thread has loaded (undocumented, on every supported Node). */
const builtins = () => (process as unknown as { moduleLoadList: string[] }).moduleLoadList;

test('a shard running an actor module that imports @joerl/runtime loads neither prom-client nor node:http', async () => {
  await withSystem({ threads: 1 }, async (system) => {
    // The oracle works: this (main) thread has loaded both, for the aggregator and the scrape endpoint.
    await system.serveMetrics({ port: 0, host: '127.0.0.1' });
    assert.ok(Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\/]prom-client[\\/]/.test(f)), 'main loaded prom-client');
    assert.ok(builtins().includes('NativeModule http'), 'main loaded node:http');
    const pid = await system.spawn(fixture('loaded-modules.actor.js'), undefined, { shard: 1 });
    const inbox = system.inbox<{ promClient: string[]; http: string[] }>();
    system.send(pid, { replyTo: inbox.pid });
    const got = (await inbox.receive(undefined, { timeoutMs: EVENT_TIMEOUT_MS })) as { promClient: string[]; http: string[] };
    assert.equal(got.promClient, [], 'prom-client in the shard');
    assert.equal(got.http, [], 'node:http in the shard');
  });
});

test.run();
