// A shard's built-in spans: sampling of new traces (a geometric countdown between kept ones, none at 0, all at 1), one clock read per handled message, send spans at their stamps.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_HANDLE, BUILTIN_RECEIVE, BUILTIN_SEND, type SpanEndWire, type SpanSink, WordSpanContext } from '@joerl/telemetry/internal';
import { context, propagation, trace } from '@opentelemetry/api';
import { BEHAVIOUR } from '../../src/actor/brand.ts';
import { Pid } from '../../src/actor/pid.ts';
import { ThreadTracing } from '../../src/shard/tracing.ts';

const test = suite('shard tracing');

/** A sink that counts send spans (nothing else is recorded by onSend). */
function counting(): SpanSink & { sends: number } {
  const sink = {
    sends: 0,
    started() {},
    ended() {},
    endedWire() {},
    endedBuiltin() {
      sink.sends++;
    },
  };
  return sink;
}

/** How many of `n` sends from outside any span start a trace at `rate`, and where. */
function sample(rate: number, n: number): { kept: number; at: number[] } {
  const sink = counting();
  const tracing = new ThreadTracing({ sampleRate: rate, propagation: 'parent' }, sink, false);
  const from = new Pid(0, 1, 1);
  const to = new Pid(0, 2, 1);
  const at: number[] = [];
  for (let i = 0; i < n; i++) if (tracing.onSend(from, to) !== undefined) at.push(i);
  assert.is(sink.sends, at.length, 'a send span for each traced send');
  return { kept: at.length, at };
}

test('at 1%, about one send in a hundred starts a trace, the gaps between them spread as independent draws would', () => {
  const n = 200_000;
  const { kept, at } = sample(0.01, n);
  // Binomial(200k, 0.01): mean 2000, sd 44.5; the band is about 7 sd wide on each side.
  assert.ok(kept > 1700 && kept < 2300, `about 2000 of ${n}: ${kept}`);
  // Geometric gaps (mean 100): independent draws leave about 1 - 0.99^50 = 39.5% of gaps under 50 and 0.99^200 = 13.4% over 200.
  const gaps = at.slice(1).map((x, i) => x - at[i]!);
  const short = gaps.filter((g) => g <= 50).length / gaps.length;
  const long = gaps.filter((g) => g > 200).length / gaps.length;
  assert.ok(short > 0.33 && short < 0.46, `gaps of at most 50: ${short}`);
  assert.ok(long > 0.09 && long < 0.18, `gaps over 200: ${long}`);
});

test("a call refused a trace sends its request untraced: the request is not sampled on its own (no request without its call's span)", () => {
  const tracing = new ThreadTracing({ sampleRate: 0.5, propagation: 'parent' }, counting(), false);
  const from = new Pid(0, 1, 1);
  const to = new Pid(0, 2, 1);
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const span = tracing.onCall(to);
    // As Calls.call: the request goes out right after, under the call's span when it has one.
    const tc = span === undefined ? tracing.onSend(from, to) : context.with(trace.setSpan(context.active(), span), () => tracing.onSend(from, to));
    if (span === undefined) {
      refused++;
      assert.is(tc, undefined, `call ${i} was refused a trace, its request was traced`);
    } else span.end();
  }
  assert.ok(refused > 800 && refused < 1200, `about half the calls refused at 0.5: ${refused}`);
});

test('at 0 no send starts a trace; at 1 every send does', () => {
  assert.is(sample(0, 10_000).kept, 0);
  assert.is(sample(1, 10_000).kept, 10_000);
});

test('a gap longer than one countdown goes on in chunks and is refused in full: the root after it is kept', () => {
  const sink = counting();
  const tracing = new ThreadTracing({ sampleRate: 0.5, propagation: 'parent' }, sink, false);
  // A gap of 5 held as a countdown of 2 and 3 more (as a gap past 2^30 - 1 is held, in chunks of that).
  Object.assign(tracing as unknown as { skip: number; skipMore: number }, { skip: 2, skipMore: 3 });
  const from = new Pid(0, 1, 1);
  const to = new Pid(0, 2, 1);
  const kept = Array.from({ length: 6 }, () => tracing.onSend(from, to) !== undefined);
  assert.equal(kept, [false, false, false, false, false, true]);
  assert.is(sink.sends, 1);
});

test('a traced message handled right after another in the same turn starts when that one ended; otherwise it reads the clock', () => {
  const rows: { code: number; start: number; end: number }[] = [];
  const sink: SpanSink = {
    started() {},
    ended() {},
    endedWire() {},
    endedBuiltin(code, _s0, _s1, _t, _p0, _p1, _r, start, end) {
      rows.push({ code, start, end });
    },
  };
  const tracing = new ThreadTracing({ sampleRate: 1, propagation: 'parent' }, sink, false);
  const carried = new WordSpanContext(1, 2, 3, 4, 5, 6, true);
  const to = new Pid(0, 2, 1);
  tracing.endHandleChained(tracing.beginHandle(carried, NaN, 'T', to, false));
  const first = rows.at(-1)!;
  tracing.endHandleChained(tracing.beginHandle(carried, NaN, 'T', to, true));
  const [receive, handle] = rows.slice(-2);
  assert.equal([first.code, receive!.code, handle!.code], [BUILTIN_HANDLE, BUILTIN_RECEIVE, BUILTIN_HANDLE]);
  assert.is(receive!.end, first.end, 'the receive ends when the previous handle span ended');
  assert.is(handle!.start, first.end, 'the handle span starts there too');
  assert.ok(handle!.end >= handle!.start);
  // Not chained (another message, turn or process came between): a clock of its own, no earlier than the last end.
  tracing.beginHandle(carried, NaN, 'T', to, false);
  assert.ok(rows.at(-1)!.end >= handle!.end);
});

test("a send span is timed by the send's queue-wait stamp when it has one, never before its parent's start", () => {
  const rows: { code: number; start: number; end: number; p0: number; p1: number; s0: number; s1: number }[] = [];
  const sink: SpanSink = {
    started() {},
    ended() {},
    endedWire() {},
    endedBuiltin(code, s0, s1, _t, p0, p1, _r, start, end) {
      rows.push({ code, start, end, p0, p1, s0, s1 });
    },
  };
  // What the observer gives it: the turn's clock, and the stamp of the send being made (set before each send).
  const turn = { inTurn: true, clock: 5, setClock(ms: number) { this.clock = ms; } };
  const sends = { stamp: 5 };
  const tracing = new ThreadTracing({ sampleRate: 1, propagation: 'parent' }, sink, true, turn, sends);
  const from = new Pid(0, 1, 1);
  const to = new Pid(0, 2, 1);
  // A new root from an untraced handler: at its stamp (the turn's clock), no clock of its own.
  const root = tracing.onSend(from, to)!;
  assert.equal([rows.at(-1)!.code, rows.at(-1)!.start, rows.at(-1)!.end], [BUILTIN_SEND, 5, 5]);
  // Unstamped (telemetry off or not sampled): the clock.
  sends.stamp = NaN;
  const t0 = performance.timeOrigin + performance.now();
  tracing.onSend(from, to);
  assert.ok(rows.at(-1)!.start >= t0, 'an unstamped send reads the clock');
  // Its receive starts at that stamp too; the handle span starts now, and the turn's clock moves there.
  const handle = tracing.beginHandle(root, 5, 'T', to, false);
  const handleStart = handle.start;
  assert.is(turn.clock, handleStart, "the turn's clock moved to the handle span's start");
  const inHandler: number[] = [];
  tracing.runHandler(
    handle,
    {
      handle() {
        // Stamped with the moved clock: no clock read, and not before the parent.
        sends.stamp = turn.clock;
        tracing.onSend(to, from);
        inHandler.push(rows.length - 1);
        // A stamp older than the parent's start (a stale one): the clock instead.
        sends.stamp = 5;
        tracing.onSend(to, from);
        inHandler.push(rows.length - 1);
        return null;
      },
    },
    null,
    null,
    null,
  );
  const [stamped, stale] = inHandler.map((i) => rows[i]!);
  assert.is(stamped!.code, BUILTIN_SEND);
  assert.equal([stamped!.p0, stamped!.p1], [handle.s0, handle.s1], 'a child of the handle span');
  assert.is(stamped!.start, handleStart, "at the handle span's start");
  assert.ok(stale!.start >= handleStart, `a stale stamp gives way to the clock: ${stale!.start} >= ${handleStart}`);
  assert.ok(stale!.start > 5);
  // The receive span is written with its handle span, or when that is made (this handler is not a plain actor's: made).
  tracing.endHandleChained(handle);
  const receive = rows.find((r) => r.code === BUILTIN_RECEIVE)!;
  assert.equal([receive.code, receive.start, receive.end], [BUILTIN_RECEIVE, 5, handleStart], 'the receive starts where its send span is and ends where the handle starts');
  assert.equal([rows.at(-1)!.code, rows.at(-1)!.start], [BUILTIN_HANDLE, handleStart]);
});

test("a plain actor's traced handler that never reads its span has none made; one that does gets the span it ends with", () => {
  // (Globals from an earlier test would keep theirs: this thread's tracing installs its own.)
  context.disable();
  trace.disable();
  propagation.disable();
  const rows: { code: number; s0: number; s1: number; t0: number; p0: number; p1: number }[] = [];
  const wires: SpanEndWire[] = [];
  const sink: SpanSink = {
    started() {},
    ended() {},
    endedWire(w) {
      wires.push(w);
    },
    endedBuiltin(code, s0, s1, t, p0, p1) {
      rows.push({ code, s0, s1, t0: t.t0, p0, p1 });
    },
  };
  const turn = { inTurn: true, clock: 5, setClock(ms: number) { this.clock = ms; } };
  const tracing = new ThreadTracing({ sampleRate: 1, propagation: 'parent' }, sink, true, turn, { stamp: NaN });
  const from = new Pid(0, 1, 1);
  const to = new Pid(0, 2, 1);
  const carried = new WordSpanContext(11, 12, 13, 14, 21, 22, true);
  const actor = (handle: () => unknown) => ({ [BEHAVIOUR]: 'actor', handle });

  // Never looked at: a send under it is its child, it ends as a row, no span object.
  const quiet = tracing.beginHandle(carried, NaN, 'T', to, false);
  tracing.runHandler(quiet, actor(() => tracing.onSend(to, from)), null, null, null);
  const send = rows.at(-1)!;
  assert.equal([send.code, send.t0, send.p0, send.p1], [BUILTIN_SEND, 11, quiet.s0, quiet.s1], "the send is the handle span's child, in the carried trace");
  tracing.endHandleChained(quiet);
  // (The receive span waited for its handle span: this sink takes the two one by one.)
  const receive = rows.at(-2)!;
  assert.equal([receive.code, receive.p0, receive.p1, receive.t0], [BUILTIN_RECEIVE, 21, 22, 11]);
  const handle = rows.at(-1)!;
  assert.equal([handle.code, handle.p0, handle.p1, handle.t0], [BUILTIN_HANDLE, receive.s0, receive.s1, 11], "the handle span is the receive's child");
  assert.is(quiet.made, null, 'no span object was made');

  // Looked at: the active span is a real span with the same ids; what the handler adds to it is shipped.
  const looked = tracing.beginHandle(carried, NaN, 'T', to, true);
  const seen: { traceId: string; spanId: string }[] = [];
  tracing.runHandler(
    looked,
    actor(() => {
      const span = trace.getActiveSpan()!;
      span.setAttribute('k', 'v');
      seen.push(span.spanContext());
      tracing.onSend(to, from);
    }),
    null,
    null,
    null,
  );
  assert.ok(looked.made !== null, 'the span was made when asked for');
  assert.is(trace.getActiveSpan(), undefined, 'and is no longer active once its handler returned');
  assert.equal(rows.at(-1)!.p0, looked.s0, "a send after the span was made is still the handle span's child");
  const lookedIds = [looked.s0, looked.s1];
  tracing.endHandleChained(looked);
  const wire = wires.at(-1)!;
  assert.is(wire[0], seen[0]!.spanId, 'the span the handler saw is the one that ended');
  assert.is(wire[1], '0000000b0000000c0000000d0000000e');
  assert.equal(wire[7], ['k', 'v']);

  // The reused handle: a new message (another send), a new span (new ids), not the one made before.
  const next = tracing.beginHandle(new WordSpanContext(11, 12, 13, 14, 23, 24, true), NaN, 'T', to, true);
  assert.is(next.made, null);
  assert.ok(next.s0 !== lookedIds[0] || next.s1 !== lookedIds[1]);
  tracing.endHandleChained(next);
  context.disable();
  trace.disable();
  propagation.disable();
});

test("a receive span waits in its handle span: one pair when that is never made, else written alone before the handler goes on", () => {
  context.disable();
  trace.disable();
  propagation.disable();
  const got: string[] = [];
  const pairs: { s: number[]; p: number[]; c: number[]; remote: boolean; t0: number; received: number; start: number; end: number }[] = [];
  const rows: { code: number; s0: number; s1: number; p0: number; p1: number; start: number; end: number }[] = [];
  const sink: SpanSink = {
    started() {},
    ended() {},
    endedWire() {
      got.push('wire');
    },
    endedBuiltin(code, s0, s1, _t, p0, p1, _r, start, end) {
      got.push(`row ${code}`);
      rows.push({ code, s0, s1, p0, p1, start, end });
    },
    endedPair(h, end) {
      got.push('pair');
      pairs.push({ s: [h.s0, h.s1], p: [h.p0, h.p1], c: [h.c0, h.c1], remote: h.cRemote, t0: h.t0, received: h.received, start: h.start, end });
    },
  };
  const turn = { inTurn: true, clock: 5, setClock(ms: number) { this.clock = ms; } };
  const tracing = new ThreadTracing({ sampleRate: 1, propagation: 'parent' }, sink, true, turn, { stamp: NaN });
  const to = new Pid(0, 2, 1);
  const carried = new WordSpanContext(11, 12, 13, 14, 21, 22, true);
  const actor = (handle: () => unknown) => ({ [BEHAVIOUR]: 'actor', handle });

  const quiet = tracing.beginHandle(carried, 3, 'T', to, false);
  tracing.runHandler(quiet, actor(() => got.push('handler')), null, null, null);
  assert.equal(got, ['handler'], 'nothing is written before the handle span ends');
  tracing.endHandleChained(quiet);
  assert.equal(got, ['handler', 'pair'], 'both spans as one');
  const p = pairs[0]!;
  assert.equal([p.c, p.remote, p.t0], [[21, 22], true, 11], "the receive's parent is the carried send span, in its trace");
  assert.ok(p.p[1] !== 0 && (p.p[0] !== p.s[0] || p.p[1] !== p.s[1]), 'the receive span has an id of its own, the handle span its child');
  assert.ok(p.received === 3 && p.start >= 3 && p.end >= p.start, `receive from its send (3) to the handle's start, handle to its end: ${p.received} ${p.start} ${p.end}`);

  got.length = 0;
  const looked = tracing.beginHandle(carried, 3, 'T', to, true);
  tracing.runHandler(
    looked,
    actor(() => {
      assert.ok(trace.getActiveSpan() !== undefined);
      got.push('handler');
    }),
    null,
    null,
    null,
  );
  tracing.endHandleChained(looked);
  assert.equal(got, [`row ${BUILTIN_RECEIVE}`, 'handler', `row ${BUILTIN_HANDLE}`], 'a made span: its receive span first, on its own, when it was made');
  const [receive, handle] = rows;
  assert.equal([receive!.p0, receive!.p1, receive!.start, receive!.end], [21, 22, 3, handle!.start]);
  assert.equal([handle!.p0, handle!.p1], [receive!.s0, receive!.s1]);
  context.disable();
  trace.disable();
  propagation.disable();
});

test("a plain actor's sync init runs under its lifecycle span without entering the AsyncLocalStorage (no async hooks for the thread)", async () => {
  context.disable();
  trace.disable();
  propagation.disable();
  const sink: SpanSink = { started() {}, ended() {}, endedWire() {}, endedBuiltin() {} };
  const tracing = new ThreadTracing({ sampleRate: 1, propagation: 'parent' }, sink, true);
  // (What AsyncLocalStorage.run sets the first time: Node turns on its promise hooks then.)
  const als = (tracing as unknown as { cm: { als: { enabled?: boolean } } }).cm.als;
  const parent = new WordSpanContext(7, 8, 9, 10, 1, 2, false);
  const to = new Pid(0, 2, 1);
  const sync = { [BEHAVIOUR]: 'actor', init: () => trace.getActiveSpan() };
  const span = tracing.lifecycle('started', parent, 'T', to);
  assert.is(tracing.runInit(span, sync, null, null), span, 'init sees its lifecycle span');
  assert.is(als.enabled === true, false, 'the AsyncLocalStorage was never entered');
  // An init that returned a promise: the next spawn of its behaviour runs in a context its continuations keep.
  const later = { [BEHAVIOUR]: 'actor', init: () => Promise.resolve().then(() => trace.getActiveSpan()) };
  const first = tracing.lifecycle('started', parent, 'T', to);
  await (tracing.runInit(first, later, null, null) as Promise<unknown>);
  const second = tracing.lifecycle('started', parent, 'T', to);
  assert.is(await (tracing.runInit(second, later, null, null) as Promise<unknown>), second, 'the continuation sees the span');
  context.disable();
  trace.disable();
  propagation.disable();
});

test.run();
