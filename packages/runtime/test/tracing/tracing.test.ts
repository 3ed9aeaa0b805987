// Tracing with the real OpenTelemetry SDK on the main thread: one trace across shards, attributes, errors, sampling, off, links, calls, shard death.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ActorSystem, InvalidOptionError, type Pid, type ShardDeath } from '@joerl/runtime';
import { PROBE, expect, expectReport, probe, withSystem } from '../helpers.ts';
import { byName, parentOf, sdk, spansWhere } from './helpers.ts';

const test = suite('tracing');
const RELAY = new URL('../fixtures/relay.actor.ts', import.meta.url);
const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);

test('one trace across three actors on three shards, with parent/child structure intact', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 3, tracing: { processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(RELAY, undefined, { shard: 1 })) as Pid<any>;
      const b = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
      const c = (await system.spawn(RELAY, undefined, { shard: 3 })) as Pid<any>;
      otel.exporter.reset();
      await trace.getTracer('test').startActiveSpan('request', async (root) => {
        system.send(a, { route: [b, c], report: inbox.pid, note: 'hello' });
        await expect(inbox, (m) => m?.done === 'hello', 'the relay to finish');
        root.end();
      });
      const handles = await spansWhere(system, otel.exporter, byName('actor.handle_message'), 3);
      await spansWhere(system, otel.exporter, byName('relay.work'), 3);
      const all = otel.exporter.getFinishedSpans();
      const root = all.find(byName('request'))!;
      const traceId = root.spanContext().traceId;
      const inTrace = all.filter((s) => s.spanContext().traceId === traceId);
      const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
      assert.is(handles.length, 3);
      // Walk up from each hop's work span: relay.work -> handle -> receive -> send -> (previous handle ...) -> request.
      const chain = (s: ReadableSpan): string[] => {
        const names: string[] = [];
        for (let cur: ReadableSpan | undefined = s; cur !== undefined; cur = byId.get(parentOf(cur) ?? '')) names.push(cur.name);
        return names;
      };
      const works = inTrace.filter(byName('relay.work')).map(chain).sort((x, y) => x.length - y.length);
      assert.equal(works[0], ['relay.work', 'actor.handle_message', 'message.receive', 'message.send', 'request']);
      assert.equal(works[2], [
        'relay.work', 'actor.handle_message', 'message.receive', 'message.send',
        'actor.handle_message', 'message.receive', 'message.send',
        'actor.handle_message', 'message.receive', 'message.send', 'request',
      ]);
      const shardsSeen = new Set(inTrace.filter(byName('relay.work')).map((s) => s.attributes['relay.shard']));
      assert.equal([...shardsSeen].sort(), [1, 2, 3]);
      // Kinds and the spec's attributes.
      const send = inTrace.find((s) => s.name === 'message.send' && s.attributes['actor.to_pid'] === String(b))!;
      assert.is(send.kind, SpanKind.PRODUCER);
      assert.equal(
        [send.attributes['messaging.system'], send.attributes['messaging.operation'], send.attributes['actor.from_pid'], send.attributes['otel.kind']],
        ['joerl', 'send', String(a), 'producer'],
      );
      const receive = inTrace.find((s) => s.name === 'message.receive' && s.attributes['actor.to_pid'] === String(b))!;
      assert.is(receive.kind, SpanKind.CONSUMER);
      assert.equal([receive.attributes['messaging.operation'], receive.attributes['actor.type'], receive.attributes['otel.kind']], ['receive', 'Relay', 'consumer']);
      const handle = inTrace.find((s) => s.name === 'actor.handle_message' && s.attributes['actor.pid'] === String(c))!;
      assert.equal([handle.attributes['actor.type'], handle.attributes['actor.event']], ['Relay', 'handle_message']);
      for (const s of inTrace) {
        assert.ok(s.endTime[0] * 1e9 + s.endTime[1] >= s.startTime[0] * 1e9 + s.startTime[1], `${s.name} ends after it starts`);
      }
    });
  } finally {
    await otel.done();
  }
});

test("a send under a user's span, made after work in it, is received no earlier than it was sent", async () => {
  // Regression: the receive span started at the message's queue-wait stamp (the turn's clock), before its send span.
  const otel = sdk();
  try {
    await withSystem({ threads: 2, tracing: { processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(RELAY, undefined, { shard: 1 })) as Pid<any>;
      const b = (await system.spawn(RELAY, undefined, { shard: 1 })) as Pid<any>;
      const c = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
      otel.exporter.reset();
      await trace.getTracer('test').startActiveSpan('request', async (root) => {
        system.send(a, { route: [b, c], report: inbox.pid, note: 'busy', busyMs: 5 });
        await expect(inbox, (m) => m?.done === 'busy', 'the relay to finish');
        root.end();
      });
      await spansWhere(system, otel.exporter, byName('actor.handle_message'), 3);
      const all = otel.exporter.getFinishedSpans();
      const ns = (t: [number, number]) => t[0] * 1e9 + t[1];
      for (const to of [b, c]) {
        const send = all.find((s) => s.name === 'message.send' && s.attributes['actor.to_pid'] === String(to))!;
        const receive = all.find((s) => s.name === 'message.receive' && s.attributes['actor.to_pid'] === String(to))!;
        assert.ok(send !== undefined && receive !== undefined, `spans of the send to ${to}`);
        assert.ok(ns(receive.startTime) >= ns(send.startTime), `received by ${to} ${(ns(send.startTime) - ns(receive.startTime)) / 1e6} ms before it was sent`);
      }
    });
  } finally {
    await otel.done();
  }
});

test('a handler that throws marks its span with an error', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 2, tracing: { processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
      const ref = inbox.monitor(a);
      system.send(a, { route: [], report: inbox.pid, note: 'boom', fail: true });
      await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the relay to die');
      const [handle] = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.handle_message' && s.status.code === SpanStatusCode.ERROR);
      assert.ok(handle, 'an errored handle span');
      assert.match(handle!.status.message ?? '', 'relay failed: boom');
      assert.ok(handle!.events.some((e) => e.name === 'exception' && e.attributes?.['exception.message'] === 'relay failed: boom'));
      const [stopped] = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.lifecycle' && s.attributes['actor.event'] === 'stopped');
      assert.ok(stopped === undefined || stopped.status.code === SpanStatusCode.ERROR);
    });
  } finally {
    await otel.done();
  }
});

test('sampling at 10% keeps roughly a tenth of the traces', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 2, tracing: { sampleRate: 0.1, processors: [otel.processor] } }, async (system) => {
      const sink = (await system.spawn(new URL('../fixtures/flood.actor.ts', import.meta.url), undefined, { shard: 1, export: 'sink' })) as Pid<any>;
      const inbox = system.inbox();
      const n = 2000;
      system.send(sink, { expect: n, report: inbox.pid });
      for (let seq = 0; seq < n; seq++) system.send(sink, { seq });
      await expect(inbox, (m) => m?.kind === 'flood-done', 'the sink');
      await system.flushTraces();
      const sends = await spansWhere(system, otel.exporter, (s) => s.name === 'message.send', 1);
      const handles = otel.exporter.getFinishedSpans().filter(byName('actor.handle_message'));
      const kept = sends.length;
      assert.ok(kept > n * 0.04 && kept < n * 0.2, `about a tenth of ${n}: ${kept}`);
      assert.ok(handles.length <= kept + 1, 'a message is handled in a trace only if its send was sampled');
    });
  } finally {
    await otel.done();
  }
});

test('with tracing off nothing is exported and envelopes carry nothing', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 2 }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(RELAY, undefined, { shard: 1 })) as Pid<any>;
      const b = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
      await trace.getTracer('test').startActiveSpan('request', async (root) => {
        system.send(a, { route: [b], report: inbox.pid, note: 'quiet' });
        await expect(inbox, (m) => m?.done === 'quiet', 'the relay');
        root.end();
      });
      await system.flushTraces();
      assert.equal(otel.exporter.getFinishedSpans().map((s) => s.name), ['request'], 'only the user\'s own main-thread span');
    });
  } finally {
    await otel.done();
  }
});

test('link propagation: the receive starts a new trace that links to the send', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 2, tracing: { propagation: 'link', processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
      system.send(a, { route: [], report: inbox.pid, note: 'linked' });
      await expect(inbox, (m) => m?.done === 'linked', 'the relay');
      const [receive] = await spansWhere(system, otel.exporter, (s) => s.name === 'message.receive' && s.attributes['actor.to_pid'] === String(a));
      const [send] = await spansWhere(system, otel.exporter, (s) => s.name === 'message.send' && s.attributes['actor.to_pid'] === String(a));
      assert.ok(receive && send);
      assert.is(receive!.parentSpanContext, undefined);
      assert.is.not(receive!.spanContext().traceId, send!.spanContext().traceId);
      assert.equal(receive!.links.map((l) => l.context.spanId), [send!.spanContext().spanId]);
    });
  } finally {
    await otel.done();
  }
});

test('a GenServer call carries context both ways: the server works under the call, the call links to the server', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 2, tracing: { processors: [otel.processor] } }, async (system) => {
      const server = (await system.spawn(COUNTER, undefined, { shard: 2 })) as Pid<any>;
      await trace.getTracer('test').startActiveSpan('request', async (root) => {
        assert.is(await system.call(server, { kind: 'add', n: 2 }), 2);
        root.end();
      });
      const [call] = await spansWhere(system, otel.exporter, byName('gen_server.call'));
      const [handle] = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.handle_message' && s.attributes['actor.type'] === 'Counter');
      const all = otel.exporter.getFinishedSpans();
      const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
      let up: ReadableSpan | undefined = handle;
      const names: string[] = [];
      while (up !== undefined) {
        names.push(up.name);
        up = byId.get(parentOf(up) ?? '');
      }
      assert.equal(names, ['actor.handle_message', 'message.receive', 'message.send', 'gen_server.call', 'request']);
      assert.is(call!.kind, SpanKind.CLIENT);
      assert.equal(call!.links.map((l) => l.context.spanId), [handle!.spanContext().spanId], 'the reply brought the server\'s span back');
    });
  } finally {
    await otel.done();
  }
});

test("a call from the main thread with no context manager registered: the server's handling nests under the call all the same", async () => {
  // Regression: the call span was made active with context.with, which does nothing without a context manager:
  // the request was sampled on its own, in a trace of its own.
  const otel = sdk();
  context.disable(); // as the README's snippet, which registers none
  try {
    await withSystem({ threads: 1, tracing: { processors: [otel.processor] } }, async (system) => {
      const server = (await system.spawn(COUNTER, undefined, { shard: 1 })) as Pid<any>;
      otel.exporter.reset();
      assert.is(await system.call(server, { kind: 'add', n: 2 }), 2);
      const [call] = await spansWhere(system, otel.exporter, byName('gen_server.call'));
      const [send] = await spansWhere(system, otel.exporter, (s) => s.name === 'message.send' && s.attributes['actor.to_pid'] === String(server));
      assert.ok(call && send);
      assert.is(send!.spanContext().traceId, call!.spanContext().traceId, 'one trace');
      assert.is(parentOf(send!), call!.spanContext().spanId, 'the request is the call\'s child');
    });
  } finally {
    await otel.done();
  }
});

test('a traced spawn whose init is abandoned (it timed out) ends its lifecycle span, with an error', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 1, tracing: { processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      await probe(system, inbox, 1, { tag: 'warm' }); // loaded first: the timeout is meant for init
      let child = '';
      await trace.getTracer('test').startActiveSpan('boot', async (root) => {
        const err = await system.spawn(PROBE, { report: inbox.pid, blockInit: true }, { shard: 1, timeoutMs: 100 }).then(
          () => assert.unreachable('the spawn must time out'),
          (e: { code?: string }) => e,
        );
        assert.is((err as { code?: string }).code, 'ERR_SPAWN_TIMEOUT');
        child = /<[\d.]+>/.exec(String((err as Error).message))![0];
        root.end();
      });
      const [started] = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.lifecycle' && s.attributes['actor.event'] === 'started' && s.attributes['actor.pid'] === child);
      assert.is(started!.status.code, SpanStatusCode.ERROR);
      assert.match(String(started!.status.message), /init abandoned/);
    });
  } finally {
    await otel.done();
  }
});

test('a span processor that sends while a send span ends (on the main thread) leaves that send its own ids', async () => {
  const otel = sdk();
  let onEnd = (_s: ReadableSpan): void => {};
  const sending: SpanProcessor = { onStart() {}, onEnd: (s) => onEnd(s), forceFlush: async () => {}, shutdown: async () => {} };
  try {
    await withSystem({ threads: 2, tracing: { processors: [otel.processor, sending] } }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(RELAY, undefined, { shard: 1 })) as Pid<any>;
      const b = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
      // The send to a ends its span with the processors, and this one sends to b right then (nested, on the main thread).
      onEnd = (s) => {
        if (s.name !== 'message.send' || s.attributes['actor.to_pid'] !== String(a)) return;
        onEnd = () => {};
        system.send(b, { route: [], report: inbox.pid, note: 'nested' });
      };
      otel.exporter.reset();
      await trace.getTracer('test').startActiveSpan('request', async (root) => {
        system.send(a, { route: [], report: inbox.pid, note: 'outer' });
        await expect(inbox, (m) => m?.done === 'outer', 'the outer message handled');
        await expect(inbox, (m) => m?.done === 'nested', 'the nested message handled');
        root.end();
      });
      const receives = await spansWhere(system, otel.exporter, (s) => s.name === 'message.receive' && (s.attributes['actor.to_pid'] === String(a) || s.attributes['actor.to_pid'] === String(b)), 2);
      const sends = otel.exporter.getFinishedSpans().filter(byName('message.send'));
      for (const to of [a, b]) {
        const send = sends.find((s) => s.attributes['actor.to_pid'] === String(to));
        const got = receives.find((s) => s.attributes['actor.to_pid'] === String(to));
        assert.ok(send !== undefined && got !== undefined, `a send and a receive span for ${to}`);
        assert.is(parentOf(got!), send!.spanContext().spanId, `the receive at ${to} is under the send to ${to}`);
      }
    });
  } finally {
    await otel.done();
  }
});

test('spawn and lifecycle spans join the trace that spawned the actor', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 2, tracing: { processors: [otel.processor] } }, async (system) => {
      await trace.getTracer('test').startActiveSpan('boot', async (root) => {
        const p = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
        system.exit(p, 'shutdown');
        await system.join(p);
        root.end();
      });
      const [spawn] = await spansWhere(system, otel.exporter, byName('actor.spawn'));
      const lifecycle = await spansWhere(system, otel.exporter, byName('actor.lifecycle'), 2);
      const boot = otel.exporter.getFinishedSpans().find(byName('boot'))!;
      assert.is(parentOf(spawn!), boot.spanContext().spanId);
      assert.equal(spawn!.attributes['actor.event'], 'spawn');
      assert.equal(lifecycle.map((s) => s.attributes['actor.event']).sort(), ['started', 'stopped']);
      for (const l of lifecycle) assert.is(parentOf(l), spawn!.spanContext().spanId);
    });
  } finally {
    await otel.done();
  }
});

test('the actor.spawn span is named after the behaviour (Relay), not its file (relay), whoever spawns and wherever', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 2, tracing: { processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const parent = await probe(system, inbox, 1, { tag: 'parent' });
      const children: string[] = [];
      await trace.getTracer('test').startActiveSpan('boot', async (root) => {
        children.push(String(await system.spawn(RELAY, undefined, { shard: 2 }))); // main -> shard
        for (const shard of [1, 2]) {
          // From an actor: within its shard, and to the other one (the reply crosses a ring).
          system.send(parent, { op: 'spawn', url: RELAY.href, args: undefined, mode: 'plain', opts: { shard } });
          children.push(String((await expectReport(inbox, 'spawned', 'parent')).child));
        }
        root.end();
      });
      const mine = (s: ReadableSpan) => children.includes(String(s.attributes['actor.pid']));
      const spawns = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.spawn' && mine(s), 3);
      const started = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.lifecycle' && mine(s), 3);
      assert.is(spawns.length, 3);
      assert.equal(spawns.map((s) => s.attributes['actor.type']), ['Relay', 'Relay', 'Relay'], 'the behaviour\'s name, not the file\'s');
      assert.equal(started.map((s) => s.attributes['actor.type']), ['Relay', 'Relay', 'Relay'], 'the same name as the lifecycle spans');
      for (const l of started) assert.ok(spawns.some((s) => s.spanContext().spanId === parentOf(l)), 'each lifecycle span is under its spawn span');
    });
  } finally {
    await otel.done();
  }
});

test('when a shard dies, its finished spans are kept and its open spans end with an error', async () => {
  const otel = sdk();
  try {
    // (A runaway is a handler over 1 s: long enough that no other handler of this test reaches it on a loaded machine.)
    await withSystem({ threads: 2, handlerTimeoutMs: 1000, tracing: { processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const ok = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
      system.send(ok, { route: [], report: inbox.pid, note: 'before' });
      await expect(inbox, (m) => m?.done === 'before', 'a finished hop');
      const looper = await probe(system, inbox, 2, { tag: 'stuck' });
      const down = new Promise<ShardDeath>((r) => system.once('shardDown', r));
      system.send(looper, { op: 'spin-forever' });
      assert.is((await down).cause, 'runaway');
      const finished = await spansWhere(system, otel.exporter, (s) => s.name === 'relay.work');
      assert.is(finished.length, 1, 'a span that ended before the death is not lost');
      const [open] = await spansWhere(system, otel.exporter, (s) => s.name === 'actor.handle_message' && s.attributes['actor.pid'] === String(looper));
      assert.ok(open, 'the span open at death was delivered');
      assert.is(open!.status.code, SpanStatusCode.ERROR);
      assert.match(open!.status.message ?? '', 'the shard died');
      void expectReport;
    });
  } finally {
    await otel.done();
  }
});

test('bad tracing options get typed errors', async () => {
  for (const tracing of [{ sampleRate: 1.5 }, { sampleRate: -0.1 }, { propagation: 'both' }, { processors: [{}] }, { enabled: 'yes' }]) {
    try {
      await ActorSystem.start({ threads: 1, tracing: tracing as never });
      assert.unreachable(JSON.stringify(tracing));
    } catch (err) {
      assert.instance(err, InvalidOptionError);
      assert.match((err as Error).message, /options\.tracing\.\w+/);
    }
  }
});

test('with sampling at 0, a send inside a context the handler entered itself (synchronously or after an await) joins that trace', async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 1, tracing: { sampleRate: 0, processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const sender = (await system.spawn(new URL('../fixtures/context-sender.actor.ts', import.meta.url), undefined, { shard: 1 })) as Pid<any>;
      const traceId = 'c0ffee'.padEnd(32, '1');
      for (const kind of ['within', 'after-await'] as const) {
        system.send(sender, { kind, to: inbox.pid, traceId, spanId: kind === 'within' ? 'a'.repeat(16) : 'b'.repeat(16) });
        await expect(inbox, (m) => m?.sent === kind, `the ${kind} send`);
      }
      const sends = await spansWhere(system, otel.exporter, (x) => x.name === 'message.send' && x.spanContext().traceId === traceId, 2);
      assert.equal(sends.map((x) => parentOf(x)).sort(), ['a'.repeat(16), 'b'.repeat(16)]);
      // Nothing else was traced: sampling at 0 starts no trace of its own.
      assert.is(otel.exporter.getFinishedSpans().filter((x) => x.spanContext().traceId !== traceId).length, 0);
    });
  } finally {
    await otel.done();
  }
});

test("a plain actor's async handler (or one that returned a promise before) sends after an await under its handle span", async () => {
  const otel = sdk();
  try {
    await withSystem({ threads: 2, tracing: { processors: [otel.processor] } }, async (system) => {
      const inbox = system.inbox();
      const url = new URL('../fixtures/async-hop.actor.ts', import.meta.url);
      const hops = [(await system.spawn(url, undefined, { shard: 1 })) as Pid<any>, (await system.spawn(url, undefined, { shard: 2, export: 'Thenable' })) as Pid<any>];
      // The thenable hop's first traced message teaches the runtime; the second is the one checked.
      for (const note of ['async', 'thenable-first', 'thenable']) {
        system.send(hops[note === 'async' ? 0 : 1]!, { to: inbox.pid, note });
        await expect(inbox, (m) => m?.hopped === note, `the ${note} hop`);
      }
      const handles = await spansWhere(system, otel.exporter, byName('actor.handle_message'), 3);
      const sends = await spansWhere(system, otel.exporter, (x) => x.name === 'message.send' && x.attributes['actor.from_pid'] !== undefined, 3);
      const handleIds = new Set(handles.map((h) => h.spanContext().spanId));
      const underHandle = sends.filter((x) => handleIds.has(parentOf(x) ?? ''));
      const types = underHandle.map((x) => handles.find((h) => h.spanContext().spanId === parentOf(x))!.attributes['actor.type']).sort();
      assert.ok(types.includes('AsyncHop'), 'the async handler sends under its handle span');
      assert.ok(types.includes('ThenableHop'), 'a handler that returned a promise before sends under its handle span');
    });
  } finally {
    await otel.done();
  }
});

test.run();
