// A mailbox that mixes traced and untraced messages (sampling): the observed turn takes untraced ones in runs, and every traced one, queued before the turn or by a send to self mid-turn, still gets its spans under the right parents.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import { parse, value } from '../telemetry/exposition.ts';
import type { EchoDone, EchoMsg } from '../fixtures/echo-self.actor.ts';
import type { RootMsg } from '../fixtures/root-sender.actor.ts';
import { parentOf, sdk, spansWhere } from './helpers.ts';

const test = suite('traced-runs');
const ECHO = new URL('../fixtures/echo-self.actor.ts', import.meta.url);
const ROOTS = new URL('../fixtures/root-sender.actor.ts', import.meta.url);

test('at 30% sampling every traced message in a mailbox of runs gets its receive and handle spans, parented on its send, and counts stay exact', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 1, tracing: { sampleRate: 0.3, processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const n = 600;
      const echo = (await system.spawn(ECHO, { report: inbox.pid, expect: n }, { shard: 1 })) as Pid<EchoMsg>;
      const to = String(echo);
      const processed = async () => value(parse(await system.metrics.metrics()), 'joerl_messages_processed_total');
      const before = await processed();
      otel.exporter.reset();
      // Main's sends are sampled one by one: the mailbox holds untraced runs with traced messages between them.
      // Each handled message sends one to itself, behind the rest, from an untraced turn (a new trace at 30%) or a traced one (a child).
      for (let i = 0; i < n; i++) system.send(echo, { n: i });
      const done = await expect<EchoDone>(inbox, (m) => m?.done === true, 'the echoes');
      assert.is(done.handled, n);
      assert.is(done.echoed, n);
      assert.is((await processed()) - before, 2 * n);
      // Every send to the actor that was traced: one receive under it, one handle under that, and nothing else.
      await system.flushTraces();
      const all = () => otel.exporter.getFinishedSpans();
      const sends = all().filter((s) => s.name === 'message.send' && s.attributes['actor.to_pid'] === to);
      assert.ok(sends.length > 0 && sends.length < 2 * n, `a mix of traced and untraced messages: ${sends.length} of ${2 * n}`);
      const handles = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.handle_message' && s.attributes['actor.pid'] === String(echo), sends.length);
      assert.is(handles.length, sends.length, 'a handle span for each traced message');
      assert.is(done.traced, sends.length, 'a handler ran in a span exactly when its message was traced');
      const receives = new Map(all().filter((s) => s.name === 'message.receive' && s.attributes['actor.to_pid'] === to).map((s) => [s.spanContext().spanId, s]));
      assert.is(receives.size, sends.length);
      const sendIds = new Set(sends.map((s) => s.spanContext().spanId));
      const parents = new Set<string>();
      for (const h of handles) {
        const r = receives.get(parentOf(h) ?? '');
        assert.ok(r !== undefined, 'a handle span under a receive span');
        assert.is(r!.spanContext().traceId, h.spanContext().traceId);
        assert.ok(sendIds.has(parentOf(r!) ?? ''), 'the receive under a send to this actor');
        parents.add(parentOf(r!)!);
      }
      assert.is(parents.size, sends.length, 'each traced send received once');
    });
  } finally {
    await otel.done();
  }
});

for (const threads of [2, 1]) {
  const where =
    threads === 2
      ? "to another shard (its envelope carries its number only, the sender's root key goes ahead in each batch: more sends than one batch holds)"
      : 'in its shard (the mailbox keeps a copy of the reused send context)';
  test(`a new trace's first send ${where} is the parent of its receive, with a span id of its own`, async () => {
    const otel = sdk();
    try {
      await withSystem({ threads, tracing: { sampleRate: 1, processors: [otel.processor] } }, async (system) => {
        const a = (await system.spawn(ROOTS, undefined, { shard: 1 })) as Pid<RootMsg>;
        const b = (await system.spawn(ROOTS, undefined, { shard: threads })) as Pid<RootMsg>;
        // Across shards, past a batch of ops (BATCH_OPS in transport.ts): later batches carry the key again.
        const n = threads === 2 ? 2500 : 50;
        otel.exporter.reset();
        system.send(a, { to: b, n });
        const handles = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.handle_message' && s.attributes['actor.pid'] === String(b), n);
        assert.is(handles.length, n);
        const all = otel.exporter.getFinishedSpans();
        const sends = new Map(all.filter((s) => s.name === 'message.send' && s.attributes['actor.to_pid'] === String(b)).map((s) => [s.spanContext().spanId, s]));
        const receives = new Map(all.filter((s) => s.name === 'message.receive' && s.attributes['actor.to_pid'] === String(b)).map((s) => [s.spanContext().spanId, s]));
        assert.is(sends.size, n, 'n send spans, their ids distinct');
        const traces = new Set<string>();
        for (const h of handles) {
          const r = receives.get(parentOf(h) ?? '')!;
          assert.ok(r !== undefined, 'a handle span under a receive span');
          const send = sends.get(parentOf(r) ?? '');
          assert.ok(send !== undefined, 'the receive under the send that started its trace');
          assert.is(parentOf(send!), undefined, "the send is its trace's root");
          assert.is(send!.spanContext().traceId, r.spanContext().traceId);
          assert.is(h.spanContext().traceId, r.spanContext().traceId);
          assert.not.equal(send!.spanContext().spanId, '0000000000000000');
          traces.add(send!.spanContext().traceId);
        }
        assert.is(traces.size, n, 'one trace per send');
      });
    } finally {
      await otel.done();
    }
  });
}

test('at 100% sampling a send to oneself carries no trace: the handler it reaches runs in no span, and it has no send span', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 1, tracing: { sampleRate: 1, processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const n = 40;
      const echo = (await system.spawn(ECHO, { report: inbox.pid, expect: n }, { shard: 1 })) as Pid<EchoMsg>;
      otel.exporter.reset();
      // Every send from main starts a kept trace; each handler sends one message to itself from inside its span.
      for (let i = 0; i < n; i++) system.send(echo, { n: i });
      const done = await expect<EchoDone>(inbox, (m) => m?.done === true, 'the echoes');
      assert.is(done.echoed, n);
      const handles = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.handle_message' && s.attributes['actor.pid'] === String(echo), n);
      assert.is(handles.length, n, 'a handle span for each of main\'s sends, none for the sends to self');
      assert.is(done.traced, n, 'the echoes ran in no span');
      const sends = otel.exporter.getFinishedSpans().filter((s) => s.name === 'message.send' && s.attributes['actor.to_pid'] === String(echo));
      assert.is(sends.length, n, "only main's sends have send spans");
    });
  } finally {
    await otel.done();
  }
});

test.run();
