// The tracing example exports its trace over OTLP/HTTP when an endpoint is configured (a fake collector here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

test('the example sends every span to the OTLP/HTTP endpoint, as one trace from the request down', async () => {
  const bodies: Array<{ resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string; traceId: string; parentSpanId?: string }> }> }> }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(JSON.parse(body));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../dist/tracing/main.js', import.meta.url))], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.is(code, 0, out);
    assert.match(out, /\d+ spans exported to http:\/\/127\.0\.0\.1/);
    const spans = bodies.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
    const names = new Set(spans.map((s) => s.name));
    for (const n of ['request', 'message.send', 'message.receive', 'actor.handle_message', 'relay.work', 'actor.spawn']) assert.ok(names.has(n), `exported ${n}`);
    const request = spans.find((s) => s.name === 'request')!;
    assert.ok(spans.filter((s) => s.traceId === request.traceId).length >= 10, 'the hops share the request\'s trace');
    const service = bodies[0]!.resourceSpans[0]!.resource.attributes.find((a) => a.key === 'service.name');
    assert.is(service?.value.stringValue, 'joerl-tracing-example');
  } finally {
    server.close();
  }
});

test('an endpoint that refuses the spans is reported as a failed export (exit 1), not as exported', async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../dist/tracing/main.js', import.meta.url))], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.is(code, 1, out);
    assert.match(out, /export to http:\/\/127\.0\.0\.1:\d+ failed/);
    assert.not.match(out, /spans exported to/);
  } finally {
    server.close();
  }
});

test.run();
