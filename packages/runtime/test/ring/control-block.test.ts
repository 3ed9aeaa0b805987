// The control block's layout: no cache line holds words of two groups, wherever a 16-byte-aligned buffer starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as cb from '../../src/ring/control-block.ts';

const THREADS = 5;
/** SharedArrayBuffer memory is 16-byte aligned: the four places its first byte can sit within a 64-byte line. */
const OFFSETS = [0, 16, 32, 48];

const FIRST = [cb.DOORBELL, cb.PARKED, cb.BUSY];
const SECOND = [cb.LOOP_TICK, cb.ACTORS, cb.INCARNATION, cb.LAG_US, cb.GAVE_UP, cb.LOADING, cb.STOPPING, cb.QUEUED, cb.UNSENT, cb.DROPPED, cb.SLICING, cb.FRAME_LEFT];
const WIDE = [cb.SERIAL, cb.REF, cb.FIRST_SERIAL];

/** Every word of the block as [byte offset, owner]: the owner is a thread's group (or its serials), which no other owner may share a line with. */
function words(): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const i64Base = THREADS * cb.THREAD_STRIDE_I32 * 4;
  for (let t = 0; t < THREADS; t++) {
    for (const w of FIRST) out.push([(t * cb.THREAD_STRIDE_I32 + w) * 4, `thread ${t} first group`]);
    for (const w of SECOND) out.push([(t * cb.THREAD_STRIDE_I32 + w) * 4, `thread ${t} second group`]);
    for (const w of WIDE) out.push([i64Base + (t * cb.THREAD_STRIDE_I64 + w) * 8, `thread ${t} serials`]);
  }
  return out;
}

test('every word lies inside its own group, and the block holds them all', () => {
  for (const w of FIRST) assert.ok(w >= cb.FIRST_GROUP && w < cb.FIRST_GROUP + cb.GROUP_I32, `first-group word ${w}`);
  for (const w of SECOND) assert.ok(w >= cb.SECOND_GROUP && w < cb.SECOND_GROUP + cb.GROUP_I32, `second-group word ${w}`);
  assert.ok(cb.SECOND_GROUP + cb.GROUP_I32 <= cb.THREAD_STRIDE_I32);
  for (const w of WIDE) assert.ok(w < cb.THREAD_STRIDE_I64);
  const { i32, i64 } = cb.controlViews(new SharedArrayBuffer(cb.controlBytes(THREADS)), THREADS);
  assert.is(i32.length, THREADS * cb.THREAD_STRIDE_I32);
  assert.is(i64.length, THREADS * cb.THREAD_STRIDE_I64);
  assert.is(new Set(words().map(([at]) => at)).size, words().length, 'no two words overlap');
});

test('no 64-byte cache line holds words of two owners, at any 16-byte offset of the buffer', () => {
  for (const offset of OFFSETS) {
    const lineOwner = new Map<number, string>();
    for (const [at, owner] of words()) {
      const line = Math.floor((offset + at) / 64);
      const seen = lineOwner.get(line);
      assert.ok(seen === undefined || seen === owner, `offset ${offset}: ${owner} shares line ${line} with ${seen}`);
      lineOwner.set(line, owner);
    }
  }
});

test.run();
