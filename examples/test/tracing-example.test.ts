// The tracing example exports its trace over OTLP/HTTP when an endpoint is configured (a fake collector here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

type Body = { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string; traceId: string; parentSpanId?: string }> }> }> };

/** Runs the example against a fake OTLP/HTTP collector on 127.0.0.1 answering `status`: its exit code, its output, and what the collector got. */
async function runAgainst(status: number): Promise<{ code: number | null; out: string; bodies: Body[] }> {
  const bodies: Body[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(JSON.parse(body));
      res.writeHead(status, { 'Content-Type': 'application/json' });
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
    return { code, out, bodies };
  } finally {
    server.close();
  }
}

test('the example sends every span to the OTLP/HTTP endpoint, as one trace from the request down', async () => {
  const { code, out, bodies } = await runAgainst(200);
  assert.is(code, 0, out);
  assert.match(out, /\d+ spans exported to http:\/\/127\.0\.0\.1/);
  const spans = bodies.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  const names = new Set(spans.map((s) => s.name));
  for (const n of ['request', 'message.send', 'message.receive', 'actor.handle_message', 'relay.work', 'actor.spawn']) assert.ok(names.has(n), `exported ${n}`);
  const request = spans.find((s) => s.name === 'request')!;
  assert.ok(spans.filter((s) => s.traceId === request.traceId).length >= 10, 'the hops share the request\'s trace');
  const service = bodies[0]!.resourceSpans[0]!.resource.attributes.find((a) => a.key === 'service.name');
  assert.is(service?.value.stringValue, 'joerl-tracing-example');
});

test('an endpoint that refuses the spans is reported as a failed export (exit 1), not as exported', async () => {
  const { code, out } = await runAgainst(500);
  assert.is(code, 1, out);
  assert.match(out, /export to http:\/\/127\.0\.0\.1:\d+ failed/);
  assert.not.match(out, /spans exported to/);
});

test.run();
