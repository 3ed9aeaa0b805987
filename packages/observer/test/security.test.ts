// The observer's door: actions are POST only, need the page's token, refuse a foreign Origin; every request needs our Host.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, type Pid } from '@joerl/runtime';
import { type Observer, serveObserver } from '@joerl/observer';
import type { ProbeCmd } from '../../runtime/test/fixtures/probe.actor.ts';
import type { ShapeArgs } from '../../runtime/test/fixtures/shapes.server.ts';
import { PROBE, action, readEvents, request } from './helpers.ts';

interface Ctx {
  system: ActorSystem;
  observer: Observer;
  inbox: Inbox;
  base: string;
  /** The page's own Host. */
  host: string;
  victim: Pid<ProbeCmd>;
}
const test = suite<Ctx>('observer security');

test.before(async (ctx) => {
  ctx.system = await ActorSystem.start({ threads: 1 });
  ctx.inbox = ctx.system.inbox();
  ctx.victim = (await ctx.system.spawn(PROBE, { report: ctx.inbox.pid, tag: 'victim' }, { shard: 1 })) as Pid<ProbeCmd>;
  ctx.observer = await serveObserver(ctx.system, { port: 0, allowedHosts: ['observer.example:8443', 'tunnel.example', 'obs.example.com:443', 'plain.example:80'] });
  ctx.base = ctx.observer.url;
  ctx.host = new URL(ctx.base).host;
});

test.after(async (ctx) => {
  ctx.inbox.close();
  await ctx.system.shutdown();
});

/** Refused with `status` and `code`, and the victim is still alive afterwards. */
async function refused(ctx: Ctx, r: Promise<{ status: number; json: any }>, status: number, code: string, what: string): Promise<void> {
  const a = await r;
  assert.is(a.status, status, what);
  assert.is(a.json?.error?.code, code, what);
  assert.is((await ctx.system.processInfo(ctx.victim)).pid.toString(), String(ctx.victim), `${what}: the victim lives`);
}

test('a path under /observer/ that is no endpoint gets a JSON 404, after the Host check', async (ctx) => {
  // Regression: the metrics server answered it, in plain text listing every route, before any check.
  const nope = await request(`${ctx.base}/api/nope`);
  assert.is(nope.status, 404);
  assert.is(nope.json?.error?.code, 'ERR_NOT_FOUND');
  assert.not.match(nope.json?.error?.message, /metrics/);
  const foreign = await request(`${ctx.base}/api/nope`, { headers: { host: 'evil.example' } });
  assert.is(foreign.status, 403);
  // A method no route takes at all, on an endpoint that exists: its 405, not a 404.
  const trace = await request(`${ctx.base}/api/kill`, { method: 'PROPFIND' });
  assert.is(trace.status, 405);
  assert.is(trace.json?.error?.code, 'ERR_METHOD_NOT_ALLOWED');
  assert.is(trace.headers.allow, 'POST');
});

test('actions are POST only: GET, HEAD, PUT and DELETE get a JSON 405 with Allow: POST', async (ctx) => {
  for (const path of ['/api/kill', '/api/exit']) {
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) {
      const r = await request(`${ctx.base}${path}?pid=${encodeURIComponent(String(ctx.victim))}`, { method, headers: { 'x-joerl-observer-token': ctx.observer.token } });
      assert.is(r.status, 405, `${method} ${path}`);
      assert.is(r.headers.allow, 'POST');
      if (method !== 'HEAD') assert.is(r.json?.error?.code, 'ERR_METHOD_NOT_ALLOWED', `${method} ${path}: a JSON error, as every other`);
    }
  }
  const post = await request(`${ctx.base}/api/snapshot`, { method: 'POST' });
  assert.is(post.status, 405);
  assert.is(post.headers.allow, 'GET, HEAD');
  assert.match(post.json?.error?.message, /POST is not allowed on \/observer\/api\/snapshot: use GET or HEAD/);
  const foreign = await request(`${ctx.base}/api/kill`, { headers: { host: 'evil.example' } });
  assert.is(foreign.status, 403, 'the Host check comes before the method');
  assert.ok(await ctx.system.processInfo(ctx.victim));
});

test('an action without the token, or with a wrong one, is refused (403 ERR_BAD_TOKEN)', async (ctx) => {
  const body = { pid: String(ctx.victim) };
  await refused(ctx, action(ctx.base, '/api/kill', body, ''), 403, 'ERR_BAD_TOKEN', 'no token');
  await refused(ctx, action(ctx.base, '/api/kill', body, `${ctx.observer.token.slice(1)}x`), 403, 'ERR_BAD_TOKEN', 'a wrong token of the same length');
  await refused(ctx, action(ctx.base, '/api/kill', body, 'short'), 403, 'ERR_BAD_TOKEN', 'a short token');
  await refused(ctx, action(ctx.base, '/api/exit', { ...body, reason: 'shutdown' }, ''), 403, 'ERR_BAD_TOKEN', 'send-exit without a token');
  // The token rides in a header, never in the URL or the body.
  const inQuery = await request(`${ctx.base}/api/kill?token=${ctx.observer.token}`, { method: 'POST', headers: { 'content-type': 'application/json', host: ctx.host }, body: JSON.stringify({ ...body, token: ctx.observer.token }) });
  assert.is(inQuery.status, 403);
});

test('an action with a foreign Origin is refused even with the token (403 ERR_FORBIDDEN_ORIGIN)', async (ctx) => {
  const body = { pid: String(ctx.victim) };
  const port = Number(new URL(ctx.base).port);
  // Another local page (a dev server on another port) is another origin too, though its Host would be accepted.
  for (const origin of ['http://evil.example', `http://${ctx.host}.evil.example`, 'null', `https://evil.example:${port}`, 'garbage', `http://localhost:${port + 1}`, 'http://127.0.0.1:3000', `ftp://${ctx.host}`]) {
    await refused(ctx, action(ctx.base, '/api/kill', body, ctx.observer.token, { origin }), 403, 'ERR_FORBIDDEN_ORIGIN', `Origin ${origin}`);
  }
  await refused(ctx, action(ctx.base, '/api/kill', body, ctx.observer.token, { origin: '', 'sec-fetch-site': 'cross-site' }), 403, 'ERR_FORBIDDEN_ORIGIN', 'Sec-Fetch-Site: cross-site');
});

test("data and the live feed are refused to another site's fetch (no-cors sends no Origin), the page itself is not", async (ctx) => {
  // Regression: a no-cors GET from any site passed (no Origin), forcing full process scans and taking the feed's page slots.
  const pid = encodeURIComponent(String(ctx.victim));
  for (const site of ['cross-site', 'same-site']) {
    for (const path of ['/api/snapshot', `/api/process?pid=${pid}`, '/events']) {
      const r = await request(`${ctx.base}${path}`, { headers: { 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors' } });
      assert.is(r.status, 403, `GET ${path} from a ${site} page`);
      assert.is(r.json?.error?.code, 'ERR_FORBIDDEN_ORIGIN');
    }
  }
  // The page's own fetches, and a link to the page from another site (a navigation), go through.
  assert.is((await request(`${ctx.base}/api/snapshot`, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' } })).status, 200);
  assert.is((await request(`${ctx.base}/`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } })).status, 200);
});

test('with actions off, a foreign Host or Origin is refused as such before anything says actions are off', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  try {
    const observer = await serveObserver(system, { port: 0, actions: false });
    const port = new URL(observer.url).port;
    const r = await action(observer.url, '/api/kill', { pid: '<0.1.1>' }, observer.token, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
    assert.is(r.status, 403);
    assert.is(r.json.error.code, 'ERR_FORBIDDEN_HOST');
  } finally {
    await system.shutdown();
  }
});

test('a Host that is not the bound address is refused for actions and for data (DNS rebinding)', async (ctx) => {
  const port = new URL(ctx.base).port;
  const body = { pid: String(ctx.victim) };
  for (const host of [`evil.example:${port}`, `rebind.attacker.example:${port}`, `127.0.0.2:${port}`, `localhost.evil.example:${port}`, `observer.example:${port}`]) {
    await refused(ctx, action(ctx.base, '/api/kill', body, ctx.observer.token, { host, origin: `http://${host}` }), 403, 'ERR_FORBIDDEN_HOST', `kill with Host ${host}`);
    for (const path of ['', '/', '/assets/app.js', '/api/snapshot', `/api/process?pid=${encodeURIComponent(String(ctx.victim))}`, '/events']) {
      const r = await request(`${ctx.base}${path}`, { headers: { host } });
      assert.is(r.status, 403, `GET ${path} with Host ${host}`);
      assert.is(r.json.error.code, 'ERR_FORBIDDEN_HOST');
    }
  }
  const noHost = await request(`${ctx.base}/api/snapshot`, { headers: { host: '' } });
  // node:http refuses an HTTP/1.1 request without Host itself (400) before the observer sees it.
  assert.is(noHost.status, 400, 'no Host at all');
  assert.is(noHost.json, undefined, 'and no data');
});

test('our own names are accepted: the bound address, localhost, and options.allowedHosts', async (ctx) => {
  const port = new URL(ctx.base).port;
  // Loopback names with any port too: an SSH tunnel (ssh -L 8080:127.0.0.1:PORT) changes the port the browser names.
  for (const host of [ctx.host, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, 'localhost:8080', '127.0.0.1:8080', 'observer.example:8443', 'tunnel.example:12345']) {
    const r = await request(`${ctx.base}/api/snapshot`, { headers: { host, origin: `http://${host}` } });
    assert.is(r.status, 200, host);
  }
  const feed = await readEvents(`${ctx.base}/events`, 1, { host: `localhost:${port}` });
  assert.is(feed.events[0]?.event, 'snapshot');
});

test('an allowed host written with its default port matches what browsers send: the name alone', async (ctx) => {
  const status = async (host: string, origin?: string) =>
    (await request(`${ctx.base}/api/snapshot`, { headers: { host, ...(origin === undefined ? {} : { origin }) } })).status;
  assert.is(await status('obs.example.com', 'https://obs.example.com'), 200, 'https, port 443 left out');
  assert.is(await status('plain.example', 'http://plain.example'), 200, 'http, port 80 left out');
  assert.is(await status('obs.example.com:443'), 200);
  // Behind a proxy that passes our own Host on: the Origin's scheme says which default port it means.
  assert.is(await status(ctx.host, 'https://obs.example.com'), 200);
  assert.is(await status(ctx.host, 'http://obs.example.com'), 403, 'port 80 is not the 443 allowed');
  assert.is(await status(ctx.host, 'https://plain.example'), 403, 'port 443 is not the 80 allowed');
  assert.is(await status('obs.example.com:8080'), 403, 'another port');
  assert.is(await status('observer.example'), 403, 'an entry with another port does not match the bare name');
});

test('a data request with a foreign Origin is refused as well', async (ctx) => {
  const r = await request(`${ctx.base}/api/snapshot`, { headers: { origin: 'http://evil.example' } });
  assert.is(r.status, 403);
  assert.is(r.json.error.code, 'ERR_FORBIDDEN_ORIGIN');
  assert.is(r.headers['access-control-allow-origin'], undefined, 'no CORS for anyone');
});

test('bad action bodies: wrong type 415, too large 413, not JSON 400, bad pid 400, unknown pid 404, bad reason 400', async (ctx) => {
  const t = ctx.observer.token;
  const pid = String(ctx.victim);
  await refused(ctx, action(ctx.base, '/api/kill', { pid }, t, { 'content-type': 'text/plain' }), 415, 'ERR_CONTENT_TYPE', 'text/plain');
  await refused(ctx, action(ctx.base, '/api/kill', { pid }, t, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'ERR_CONTENT_TYPE', 'a form');
  await refused(ctx, action(ctx.base, '/api/kill', { pid, pad: 'x'.repeat(5000) }, t), 413, 'ERR_BODY_TOO_LARGE', 'a large body');
  const notJson = await request(`${ctx.base}/api/kill`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-joerl-observer-token': t }, body: '{pid:' });
  assert.is(notJson.status, 400);
  assert.is(notJson.json.error.code, 'ERR_BAD_JSON');
  await refused(ctx, action(ctx.base, '/api/kill', [pid], t), 400, 'ERR_BAD_REQUEST', 'an array');
  await refused(ctx, action(ctx.base, '/api/kill', { pid: 'nope' }, t), 400, 'ERR_INVALID_ARGUMENT', 'a malformed pid');
  await refused(ctx, action(ctx.base, '/api/kill', { pid: 42 }, t), 400, 'ERR_INVALID_ARGUMENT', 'a number');
  await refused(ctx, action(ctx.base, '/api/kill', {}, t), 400, 'ERR_INVALID_ARGUMENT', 'no pid');
  await refused(ctx, action(ctx.base, '/api/kill', { pid: '<0.1.999999>' }, t), 404, 'ERR_NO_PROC', 'an unknown pid');
  await refused(ctx, action(ctx.base, '/api/exit', { pid }, t), 400, 'ERR_INVALID_ARGUMENT', 'no reason');
  await refused(ctx, action(ctx.base, '/api/exit', { pid, reason: 'r'.repeat(201) }, t), 400, 'ERR_INVALID_ARGUMENT', 'a long reason');
  assert.is((await request(`${ctx.base}/api/snapshot`)).status, 200, 'the server stays up');
});

test('with Host, Origin and token right: send-exit reaches a trapping process as a message, kill ends it', async (ctx) => {
  const trapper = (await ctx.system.spawn(PROBE, { report: ctx.inbox.pid, tag: 'trapper', trap: true }, { shard: 1 })) as Pid<ProbeCmd>;
  await ctx.inbox.receive((m: any) => m?.event === 'started' && m.tag === 'trapper', { timeoutMs: 20_000 });
  const sent = await action(ctx.base, '/api/exit', { pid: String(trapper), reason: 'go away' }, ctx.observer.token);
  assert.is(sent.status, 200);
  assert.equal(sent.json, { ok: true, pid: String(trapper), reason: 'go away' });
  const got: any = await ctx.inbox.receive((m: any) => m?.event === 'got' && m.tag === 'trapper', { timeoutMs: 20_000 });
  assert.is(got?.msg?.type, 'EXIT');
  assert.equal(got.msg.reason, { kind: 'custom', value: 'go away' });
  const joined = ctx.system.join(ctx.victim);
  const killed = await action(ctx.base, '/api/kill', { pid: String(ctx.victim) }, ctx.observer.token);
  assert.is(killed.status, 200);
  assert.is(await joined, 'killed');
  const again = await action(ctx.base, '/api/kill', { pid: String(ctx.victim) }, ctx.observer.token);
  assert.is(again.status, 404, 'it is gone now');
});

test('a process whose inspect throws: its detail shows what was thrown, and kill still ends it', async (ctx) => {
  const shapes = new URL('../../runtime/test/fixtures/shapes.server.ts', import.meta.url);
  const pid = await ctx.system.spawn(shapes, { broken: 'inspect' } satisfies ShapeArgs, { shard: 1 });
  const detail = await request(`${ctx.base}/api/process?pid=${encodeURIComponent(String(pid))}`, { headers: { host: ctx.host } });
  assert.is(detail.status, 200);
  assert.is(detail.json.state, '<inspect threw: TypeError: inspect broke>');
  const joined = ctx.system.join(pid);
  const killed = await action(ctx.base, '/api/kill', { pid: String(pid) }, ctx.observer.token);
  assert.is(killed.status, 200, JSON.stringify(killed.json));
  assert.is(await joined, 'killed');
});

test('with actions off, the action endpoints refuse (403 ERR_ACTIONS_OFF) and the page says so', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  try {
    const inbox = system.inbox();
    const pid = await system.spawn(PROBE, { report: inbox.pid, tag: 'safe' }, { shard: 1 });
    const observer = await serveObserver(system, { port: 0, actions: false });
    const r = await action(observer.url, '/api/kill', { pid: String(pid) }, observer.token);
    assert.is(r.status, 403);
    assert.is(r.json.error.code, 'ERR_ACTIONS_OFF');
    assert.is((await request(`${observer.url}/api/snapshot`)).json.actions, false);
    assert.ok(await system.processInfo(pid));
    inbox.close();
  } finally {
    await system.shutdown();
  }
});

test.run();
