// A shard's built-in spans: sampling of new traces (a geometric countdown between kept ones, none at 0, all at 1), and one clock read per handled message.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_HANDLE, BUILTIN_RECEIVE, type SpanSink, WordSpanContext } from '@joerl/telemetry/internal';
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

test('at 0 no send starts a trace; at 1 every send does', () => {
  assert.is(sample(0, 10_000).kept, 0);
  assert.is(sample(1, 10_000).kept, 10_000);
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
  const carried = new WordSpanContext({ t0: 1, t1: 2, t2: 3, t3: 4 }, 5, 6, true);
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

test.run();
