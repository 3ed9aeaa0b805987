// The endpoint's routes: GET and HEAD by default, other methods per route (405 with Allow otherwise), unroute, bad options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { TelemetryServer } from '@joerl/telemetry';

async function withServer(body: (server: TelemetryServer) => Promise<void>): Promise<void> {
  const server = await TelemetryServer.listen(new Registry(), { port: 0 });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

test('a route answers GET and HEAD by default; any other method gets 405 with Allow', () =>
  withServer(async (server) => {
    server.route('/hello', (_req, res) => void res.end('hi'));
    assert.is(await (await fetch(`${server.url}/hello`)).text(), 'hi');
    assert.is((await fetch(`${server.url}/hello`, { method: 'HEAD' })).status, 200);
    const post = await fetch(`${server.url}/hello`, { method: 'POST', body: 'x' });
    assert.is(post.status, 405);
    assert.is(post.headers.get('allow'), 'GET, HEAD');
  }));

test('a route may take other methods; unroute removes it', () =>
  withServer(async (server) => {
    server.route('/act', (req, res) => void res.end(req.method), { methods: ['POST'] });
    assert.is(await (await fetch(`${server.url}/act`, { method: 'POST' })).text(), 'POST');
    const get = await fetch(`${server.url}/act`);
    assert.is(get.status, 405);
    assert.is(get.headers.get('allow'), 'POST');
    assert.is(server.unroute('/act'), true);
    assert.is(server.unroute('/act'), false);
    assert.is((await fetch(`${server.url}/act`, { method: 'POST' })).status, 404);
    assert.is((await fetch(`${server.url}/metrics`)).status, 200, 'the others stay');
  }));

test('bad method lists are refused with ERR_INVALID_OPTION', () =>
  withServer(async (server) => {
    for (const methods of [[], ['get'], [''], 'GET']) {
      assert.throws(() => server.route('/x', () => {}, { methods: methods as never }), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_OPTION');
    }
  }));

test.run();
