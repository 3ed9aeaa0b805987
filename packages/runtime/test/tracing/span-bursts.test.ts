// Spans reach processors in bounded bursts: the SDK's BatchSpanProcessor with its default limits gets every span at 100% sampling.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import type { SinkMsg } from '../fixtures/flood.actor.ts';

const test = suite('span-bursts');
const FLOOD = new URL('../fixtures/flood.actor.ts', import.meta.url);
const TALLY = new URL('../fixtures/tally.actor.ts', import.meta.url);

/** Keeps what it is given and answers at once (an exporter that answers later makes the processor drop what arrives meanwhile, whoever sends it). */
class KeepingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const s of spans) this.spans.push(s);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

test('a BatchSpanProcessor with its default queue (2048 spans) gets every span of 20,000 traced messages across shards', async () => {
  const exporter = new KeepingExporter();
  // The SDK's defaults: batches of 512, at most 2048 queued, the rest dropped. It starts its next export only
  // after a microtask checkpoint, so spans handed over in one synchronous burst of more than ~2,500 are partly dropped.
  const processor = new BatchSpanProcessor(exporter);
  try {
    await withSystem({ threads: 2, tracing: { sampleRate: 1, processors: [processor] } }, async (system) => {
      const sink = (await system.spawn(FLOOD, undefined, { shard: 2, export: 'sink' })) as Pid<SinkMsg>;
      const source = await system.spawn(FLOOD, undefined, { shard: 1, export: 'source' });
      const tally = await system.spawn(TALLY, undefined, { shard: 1 });
      const inbox = system.inbox();
      const n = 20_000;
      system.send(sink, { expect: n, report: inbox.pid });
      // The main thread waits on its inbox, as an application would: shards do not wake it for spans alone,
      // so it takes them in when a ring to it is half full (1 MiB rings: thousands of rows at a time).
      system.send(source, { to: sink, count: n, chunk: 1000 });
      await expect(inbox, (m) => m?.kind === 'flood-done', 'the sink');
      // The sink's spans went out ahead of its report; the source's (some may have waited for room in the
      // ring to main) go out ahead of the answer of a process on its shard asked after that.
      await system.call(tally, { op: 'count' });
      await system.flushTraces();
      // The flood's spans: sends from the source to the sink, receives under them, handles under those.
      const all = exporter.spans;
      const to = String(sink);
      const sends = new Set(all.filter((s) => s.name === 'message.send' && s.attributes['actor.to_pid'] === to && s.attributes['actor.from_pid'] === String(source)).map((s) => s.spanContext().spanId));
      const receives = new Set(all.filter((s) => s.name === 'message.receive' && sends.has(s.parentSpanContext?.spanId ?? '')).map((s) => s.spanContext().spanId));
      const handles = all.filter((s) => s.name === 'actor.handle_message' && s.attributes['actor.pid'] === to && receives.has(s.parentSpanContext?.spanId ?? ''));
      assert.is(sends.size, n, 'a send span for every message');
      assert.is(receives.size, n, 'a receive span under each');
      assert.is(handles.length, n, 'a handle span under each receive');
    });
  } finally {
    await processor.shutdown();
  }
});

test.run();
