// The endpoint's routes: GET and HEAD by default, other methods per route (405 with Allow otherwise), unroute, bad options; fallbacks under a prefix; server errors as warnings; absolute-form targets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { TelemetryServer, checkEndpoint } from '@joerl/telemetry';

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

test('a fallback answers what no route under its prefix takes: unknown paths (404) and refused methods (405, with what is allowed)', () =>
  withServer(async (server) => {
    server.route('/app/act', (_req, res) => void res.end('acted'), { methods: ['POST'] });
    server.fallback('/app/', (_req, res, miss) => {
      res.writeHead(miss.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(miss));
    });
    server.fallback('/app/deep/', (_req, res) => void res.writeHead(418).end());
    assert.is(await (await fetch(`${server.url}/app/act`, { method: 'POST' })).text(), 'acted', 'routes still come first');
    const get = await fetch(`${server.url}/app/act`);
    assert.is(get.status, 405);
    assert.equal(await get.json(), { status: 405, path: '/app/act', allow: ['POST'] });
    const unknown = await fetch(`${server.url}/app/nothing?x=1`);
    assert.is(unknown.status, 404);
    assert.equal(await unknown.json(), { status: 404, path: '/app/nothing', allow: [] });
    assert.is((await fetch(`${server.url}/app/deep/x`)).status, 418, 'the longest prefix wins');
    const outside = await fetch(`${server.url}/elsewhere`);
    assert.is(outside.status, 404);
    assert.match(await outside.text(), /^not found: \/elsewhere/, 'outside the prefixes: the server\'s own answer');
    assert.is(server.unfallback('/app/'), true);
    assert.is(server.unfallback('/app/'), false);
    assert.is((await fetch(`${server.url}/app/nothing`)).headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.throws(() => server.fallback('/app', () => {}), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_OPTION');
  }));

test('bad method lists are refused with ERR_INVALID_OPTION', () =>
  withServer(async (server) => {
    for (const methods of [[], ['get'], [''], 'GET']) {
      assert.throws(() => server.route('/x', () => {}, { methods: methods as never }), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_OPTION');
    }
  }));

test('endpoint options that are not an object (a bare port) are refused with ERR_INVALID_OPTION, not read as none (port 9090)', () => {
  for (const bad of [9091, null, '9091']) {
    assert.throws(() => checkEndpoint(bad as never), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_OPTION' && /takes options like \{ port: 9091/.test(e.message), String(bad));
  }
  assert.equal(checkEndpoint(undefined), { port: 9090, host: '127.0.0.1', allowedHosts: [] });
});

/** Sends `head` (a request line and headers) on a raw socket; resolves with the status line of the answer. */
function rawStatus(server: TelemetryServer, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write(head));
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      got += chunk;
      const eol = got.indexOf('\r\n');
      if (eol < 0) return;
      socket.destroy();
      resolve(got.slice(0, eol));
    });
    socket.on('error', reject);
  });
}

test('an absolute-form request target (RFC 7230 5.3.2) is served by its path', () =>
  withServer(async (server) => {
    const host = `127.0.0.1:${server.port}`;
    assert.is(await rawStatus(server, `GET http://${host}/metrics HTTP/1.1\r\nHost: ${host}\r\n\r\n`), 'HTTP/1.1 200 OK');
    assert.is(await rawStatus(server, `GET http://${host}/metrics?x=1 HTTP/1.1\r\nHost: ${host}\r\n\r\n`), 'HTTP/1.1 200 OK');
    assert.is(await rawStatus(server, `GET //metrics HTTP/1.1\r\nHost: ${host}\r\n\r\n`), 'HTTP/1.1 404 Not Found', 'an origin-form path is not a URL');
  }));

test('bound to 127.0.0.1, only a loopback Host (or one of allowedHosts) is answered: no DNS rebinding; a route that checks Host itself is left to it', async () => {
  // Regression: any Host was answered, so a page whose name resolved to 127.0.0.1 could read /metrics and /health.
  const server = await TelemetryServer.listen(new Registry(), { port: 0, allowedHosts: ['Metrics.Internal', 'proxy:8080'] });
  server.route('/own', (_req, res) => void res.end('mine'), { checksHost: true });
  try {
    const get = (path: string, host: string) => rawStatus(server, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const p = server.port;
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, 'LOCALHOST:1234', `[::1]:${p}`, '127.0.0.2', 'metrics.internal', 'metrics.internal:99', 'proxy:8080']) {
      assert.is(await get('/metrics', host), 'HTTP/1.1 200 OK', host);
    }
    for (const host of [`attacker.example:${p}`, 'attacker.example', 'proxy:8081', 'proxy', `127.0.0.1.attacker.example:${p}`, `localhost.attacker.example`]) {
      assert.is(await get('/metrics', host), 'HTTP/1.1 403 Forbidden', host);
      assert.is(await get('/nowhere', host), 'HTTP/1.1 403 Forbidden', `${host}: before the 404 that lists the routes`);
    }
    assert.is(await get('/own', 'attacker.example'), 'HTTP/1.1 200 OK', 'the route checks for itself');
    assert.is(await rawStatus(server, 'GET /metrics HTTP/1.0\r\n\r\n'), 'HTTP/1.1 200 OK', 'no Host: no browser');
  } finally {
    await server.close();
  }
  assert.throws(() => checkEndpoint({ allowedHosts: 'x' as never }), (e: { code?: string }) => e.code === 'ERR_INVALID_OPTION');
  assert.throws(() => checkEndpoint({ allowedHosts: ['a b'] }), (e: { code?: string }) => e.code === 'ERR_INVALID_OPTION');
});

test('an error once listening (a failed accept) is a process warning, not an uncaught exception', () =>
  withServer(async (server) => {
    const warning = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve));
    const err = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
    // What node does when accept fails: the server emits 'error'.
    (server as unknown as { server: import('node:http').Server }).server.emit('error', err);
    const w = await warning;
    assert.is(w.code, 'JOERL_HTTP_SERVER_ERROR');
    assert.match(w.message, /accept EMFILE/);
    assert.is((await fetch(`${server.url}/metrics`)).status, 200, 'it still serves');
  }));

test.run();
