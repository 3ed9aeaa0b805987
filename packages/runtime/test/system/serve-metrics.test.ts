// One metrics endpoint per system: asked again, serveMetrics returns it when the options fit and refuses another port or host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, ServerRunningError } from '@joerl/runtime';
import { withSystem } from '../helpers.ts';

test('serveMetrics: the running server for no port, port 0 or its own port; ERR_SERVER_RUNNING for another port or host', () =>
  withSystem({ threads: 1 }, async (system) => {
    // Two calls at once start one server.
    const [a, b] = await Promise.all([system.serveMetrics({ port: 0 }), system.serveMetrics({ port: 0 })]);
    assert.ok(a === b, 'one server');
    assert.ok((await system.serveMetrics()) === a);
    assert.ok((await system.serveMetrics({ port: a.port })) === a);
    assert.ok((await system.serveMetrics({ port: 0, host: '127.0.0.1' })) === a);
    const other = a.port === 65535 ? a.port - 1 : a.port + 1;
    assert.ok((await system.serveMetrics({ port: 0, allowedHosts: [] })) === a, 'the same (no) allowedHosts');
    // Other names the running server would not answer: refused, not ignored.
    for (const opts of [{ port: other }, { port: a.port, host: '0.0.0.0' }, { allowedHosts: ['metrics.internal'] }]) {
      try {
        await system.serveMetrics(opts);
        assert.unreachable(`served ${JSON.stringify(opts)} while running on ${a.port}`);
      } catch (err) {
        assert.instance(err, ServerRunningError);
        assert.is((err as ServerRunningError).code, 'ERR_SERVER_RUNNING');
        assert.match((err as Error).message, new RegExp(`already runs at ${a.url.replace(/[.]/g, '\\.')}`));
      }
    }
    assert.is((await fetch(`${a.url}/metrics`)).status, 200, 'the running one still serves');
  }));

test('a serveMetrics still starting when shutdown begins fails with ERR_SYSTEM_STOPPED and leaves no server listening', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  const serving = system.serveMetrics({ port: 0 }).then(
    (server) => server,
    (err: { code?: string }) => String(err.code),
  );
  await system.shutdown();
  const got = await serving;
  if (typeof got !== 'string') await got.close(); // (the old behaviour: a server nobody stops)
  assert.is(got, 'ERR_SYSTEM_STOPPED');
  assert.is(system.server, null);
});

test('a server its owner closed is forgotten: system.server is null, url and port still answer, and serveMetrics serves anew', () =>
  withSystem({ threads: 1 }, async (system) => {
    const a = await system.serveMetrics({ port: 0 });
    const { url, port } = a;
    await a.close();
    assert.is(system.server, null);
    assert.is(a.url, url, 'url does not throw once closed');
    assert.is(a.port, port);
    const b = await system.serveMetrics({ port: 0 });
    assert.ok(b !== a, 'a new server, not the closed one');
    assert.ok(system.server === b);
    assert.is((await fetch(`${b.url}/metrics`)).status, 200);
    await b.close();
    // Any port now, not ERR_SERVER_RUNNING against the closed one (nor a TypeError).
    const c = await system.serveMetrics({ port: b.port });
    assert.is(c.port, b.port);
    assert.is((await fetch(`${c.url}/metrics`)).status, 200);
  }));

test('after shutdown system.server is null and the closed server still tells its url', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  const a = await system.serveMetrics({ port: 0 });
  const url = a.url;
  await system.shutdown();
  assert.is(system.server, null);
  assert.is(a.url, url);
});

test.run();
