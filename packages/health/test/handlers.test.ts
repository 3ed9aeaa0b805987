// The probes outside the built-in endpoint: the Node handler on node:http and on Fastify, the fetch handler; same answers everywhere.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Server, createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import Fastify from 'fastify';
import { ActorSystem } from '@joerl/runtime';
import { HEALTH_JSON, SystemHealth, createHealthFetchHandler, createHealthHandler, mountHealth } from '@joerl/health';

const test = suite('health handlers');
const PATHS = ['/health', '/ready', '/live'];
/** A loaded test machine must not flip a verdict between two requests: no lag or stall thresholds in reach. */
const STEADY = { maxEventLoopLagMs: 600_000, maxStallMs: 600_000 };

let system: ActorSystem;
let health: SystemHealth;
/** The built-in endpoint serving the same health model, to compare with (closed by shutdown). */
let builtIn: string;
test.before(async () => {
  system = await ActorSystem.start({ threads: 1 });
  health = new SystemHealth(system, STEADY);
  const server = await system.serveMetrics({ port: 0 });
  mountHealth(server, health);
  builtIn = server.url;
});
test.after(async () => {
  health.stop();
  await system.shutdown();
});

interface Answer {
  status: number;
  type: string | null;
  cache: string | null;
  body: any;
}

async function get(url: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  const type = res.headers.get('content-type');
  return { status: res.status, type, cache: res.headers.get('cache-control'), body: type === HEALTH_JSON ? JSON.parse(text) : text };
}

/** What must agree between two ways of serving a probe (times and observed values move). */
const gist = (a: Answer) => ({ status: a.status, type: a.type, cache: a.cache, verdict: a.body.status, description: a.body.description, checks: Object.keys(a.body.checks).sort() });

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

test('on a plain node:http server: the same answers as the built-in endpoint; other paths 404, other methods 405', async () => {
  const server = createServer(createHealthHandler(health));
  try {
    const url = await listen(server);
    for (const path of PATHS) {
      const a = await get(`${url}${path}`);
      assert.equal(gist(a), gist(await get(`${builtIn}${path}`)), path);
      assert.equal([a.status, a.type, a.body.status], [200, HEALTH_JSON, 'pass'], path);
    }
    assert.is((await get(`${url}/live?probe=kubelet`)).status, 200, 'a query string is ignored');
    assert.is((await get(`${url}/metrics`)).status, 404);
    const post = await fetch(`${url}/health`, { method: 'POST' });
    assert.equal([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
    const head = await fetch(`${url}/ready`, { method: 'HEAD' });
    assert.equal([head.status, head.headers.get('content-type'), await head.text()], [200, HEALTH_JSON, '']);
  } finally {
    await close(server);
  }
});

test('as middleware: paths it does not serve go to next()', async () => {
  const probes = createHealthHandler(health);
  const server = createServer((req, res) =>
    probes(req, res, () => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('the app');
    }),
  );
  try {
    const url = await listen(server);
    assert.is((await get(`${url}/orders`)).body, 'the app');
    assert.is((await get(`${url}/live`)).body.status, 'pass');
  } finally {
    await close(server);
  }
});

/** Sends `head` (a raw request) to `url`'s port and resolves with the status line of the answer. */
function rawStatus(url: string, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.end(head));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text.split('\r\n')[0]!));
    socket.on('error', reject);
  });
}

test('a request target URL refuses (//x:99999/health) gets a 400, or goes to next(), and the server lives on', async () => {
  const server = createServer(createHealthHandler(health));
  const withNext = createServer((req, res) =>
    createHealthHandler(health)(req, res, () => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('the app says no');
    }),
  );
  const url = await listen(server);
  const url2 = await listen(withNext);
  try {
    const bad = 'GET //x:99999/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
    assert.is(await rawStatus(url, bad), 'HTTP/1.1 400 Bad Request');
    assert.is((await get(`${url}/live`)).body.status, 'pass', 'still serving');
    assert.is(await rawStatus(url2, bad), 'HTTP/1.1 404 Not Found');
    const fetchProbes = createHealthFetchHandler(health);
    assert.is((await fetchProbes(new Request('http://127.0.0.1/ready'))).status, 200);
  } finally {
    await close(server);
    await close(withNext);
  }
});

test('on Fastify: each probe routed to the handler, same answers', async () => {
  const app = Fastify();
  const probes = createHealthHandler(health);
  for (const path of PATHS) {
    app.get(path, (request, reply) => {
      // The handler writes the raw response itself.
      reply.hijack();
      probes(request.raw, reply.raw);
    });
  }
  app.get('/hello', async () => 'hi');
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    for (const path of PATHS) assert.equal(gist(await get(`${url}${path}`)), gist(await get(`${builtIn}${path}`)), path);
    assert.is((await get(`${url}/hello`)).body, 'hi', "the app's own routes still work");
  } finally {
    await app.close();
  }
});

test('a failing probe answers 503 in every form: /ready once shutdown has begun', async () => {
  const other = await ActorSystem.start({ threads: 1 });
  const h = new SystemHealth(other, STEADY);
  const server = createServer(createHealthHandler(h));
  const builtIn = await other.serveMetrics({ port: 0 });
  mountHealth(builtIn, h);
  try {
    const url = await listen(server);
    assert.is((await get(`${url}/ready`)).status, 200);
    h.beginShutdown();
    const ready = await get(`${url}/ready`);
    assert.equal([ready.status, ready.type, ready.body.status], [503, HEALTH_JSON, 'fail']);
    assert.equal(gist(ready), gist(await get(`${builtIn.url}/ready`)));
    const fetched = await createHealthFetchHandler(h)(new Request('http://probe.test/ready'));
    assert.equal([fetched.status, fetched.headers.get('content-type'), ((await fetched.json()) as { status: string }).status], [503, HEALTH_JSON, 'fail']);
    assert.is((await get(`${url}/live`)).status, 200, 'shutting down is no reason to restart the process');
  } finally {
    h.stop();
    await close(server);
    await other.shutdown();
  }
});

test('the fetch handler: Request in, Response out, same answers; 404 and 405 like the Node one', async () => {
  const probes = createHealthFetchHandler(health);
  for (const path of PATHS) {
    const res = await probes(new Request(`http://probe.test${path}`));
    const a: Answer = { status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control'), body: await res.json() };
    assert.equal(gist(a), gist(await get(`${builtIn}${path}`)), path);
  }
  assert.is((await probes(new Request('http://probe.test/nope'))).status, 404);
  const post = await probes(new Request('http://probe.test/live', { method: 'POST' }));
  assert.equal([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
  const head = await probes(new Request('http://probe.test/live', { method: 'HEAD' }));
  assert.equal([head.status, await head.text()], [200, '']);
});

test.run();
