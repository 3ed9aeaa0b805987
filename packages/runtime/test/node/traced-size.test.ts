// A traced message to another node rides with its traceparent in the headers, and NATS counts headers against its max payload.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { trace } from '@opentelemetry/api';
import { MemoryHub, type Pid } from '@joerl/runtime';
import { PROBE, expect, expectReport } from '../helpers.ts';
import { sdk } from '../tracing/helpers.ts';
import { connected, memoryNode } from './helpers.ts';

test('a traced message whose data fits but whose data and headers do not is a payload_too_large dead letter, not noconnection', async () => {
  // Regression: the size check left the headers out; the client refused the publish, taken for a failed connection.
  const otel = sdk();
  const hub = new MemoryHub({ maxPayload: 16 * 1024 });
  const a = await memoryNode(hub, 'a', {}, { tracing: { processors: [otel.processor] } });
  const b = await memoryNode(hub, 'b');
  try {
    await connected(a, 'b');
    const inB = b.inbox();
    const there = (await b.spawn(PROBE, { report: inB.pid, tag: 't' }, { shard: 1 })) as Pid<any>;
    await expectReport(inB, 'started', 't');
    const dead: Array<{ reason: string; message: unknown }> = [];
    a.on('deadLetter', (d) => dead.push(d as never));
    // Sizes from well under the max to over it, a few bytes apart: some frames are within a header's length of it.
    const sizes: number[] = [];
    for (let n = 16 * 1024 - 160; n <= 16 * 1024; n += 4) sizes.push(n);
    trace.getTracer('test').startActiveSpan('sweep', (span) => {
      for (const n of sizes) a.send(there, { n, blob: new Uint8Array(n) });
      a.send(there, { n: 0, last: true });
      span.end();
    });
    const got: number[] = [];
    for (;;) {
      const m = await expect<any>(inB, (x) => x?.event === 'got' && x.tag === 't', 'the messages that fit, then the last');
      if (m.msg.last === true) break;
      got.push(m.msg.n);
    }
    assert.ok(dead.length > 0 && got.length > 0, `some fit (${got.length}) and some did not (${dead.length})`);
    assert.equal([...new Set(dead.map((d) => d.reason))], ['payload_too_large']);
    assert.equal([...got, ...dead.map((d) => (d.message as { n: number }).n)].sort((x, y) => x - y), sizes, 'each one arrived or was reported');
    assert.ok(Math.max(...got) < Math.min(...dead.map((d) => (d.message as { n: number }).n)), 'the ones that fit are the smaller ones');
  } finally {
    await b.shutdown();
    await a.shutdown();
    await otel.done();
  }
});

test.run();
