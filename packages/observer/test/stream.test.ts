// The live feed's streams on their own: slots held from the first snapshot on, pages that go early, close with pages still reading.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Streams } from '../src/stream.ts';
import type { SnapshotQuery, Snapshots } from '../src/snapshot.ts';

/** A response that records what is written, and fails as Node's would on a write after `end`. */
class FakeResponse extends EventEmitter {
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  writableFinished = false;
  writableNeedDrain = false;
  status = 0;
  readonly writes: string[] = [];
  writeHead(status: number): this {
    if (this.headersSent) throw new Error('headers sent twice');
    this.headersSent = true;
    this.status = status;
    return this;
  }
  write(chunk: string): boolean {
    if (this.writableEnded) throw new Error('write after end');
    this.writes.push(chunk);
    return true;
  }
  end(chunk?: string): this {
    if (chunk !== undefined) this.write(chunk);
    this.writableEnded = this.writableFinished = true;
    return this;
  }
  /** The page goes away. */
  hangUp(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

/** Snapshots whose every take waits until the test settles it; `takes` counts them by query. */
class FakeSnapshots {
  readonly pending: Array<{ q: SnapshotQuery; settle: (v: unknown) => void; fail: (e: unknown) => void }> = [];
  readonly takes = new Map<SnapshotQuery, number>();
  #waiter: (() => void) | null = null;
  take(q: SnapshotQuery): Promise<unknown> {
    this.takes.set(q, (this.takes.get(q) ?? 0) + 1);
    return new Promise((settle, fail) => {
      this.pending.push({ q, settle, fail });
      this.#waiter?.();
    });
  }
  /** Resolves once a take is pending. */
  async next(): Promise<{ q: SnapshotQuery; settle: (v: unknown) => void; fail: (e: unknown) => void }> {
    while (this.pending.length === 0) await new Promise<void>((r) => (this.#waiter = r));
    return this.pending.shift()!;
  }
}

const query = (): SnapshotQuery => ({}) as SnapshotQuery;
const asRes = (r: FakeResponse) => r as unknown as ServerResponse;
const streamsOf = (snaps: FakeSnapshots, max = 8) => new Streams(snaps as unknown as Snapshots, 1, max);
/** Lets every continuation that is ready run (no timer involved). */
const settled = () => new Promise<void>((r) => setImmediate(r));

/**
 * Two pages: one reading (its first snapshot written, its first tick's
 * snapshot under way: `inFlight`) and one still opening (its first snapshot
 * under way: `openingFirst`; `q` is its serve).
 */
async function readingAndOpening() {
  const snaps = new FakeSnapshots();
  const streams = streamsOf(snaps);
  const reading = new FakeResponse();
  const p = streams.serve(asRes(reading), query());
  (await snaps.next()).settle({ n: 1 });
  await p;
  const inFlight = await snaps.next();
  const opening = new FakeResponse();
  const q = streams.serve(asRes(opening), query());
  const openingFirst = await snaps.next();
  return { streams, reading, inFlight, opening, q, openingFirst };
}

test('a page that goes while its first snapshot is taken gives its slot back, gets nothing written, and leaves no timer', async () => {
  const snaps = new FakeSnapshots();
  const streams = streamsOf(snaps);
  const gone = new FakeResponse();
  const q1 = query();
  const serving = streams.serve(asRes(gone), q1);
  assert.is(streams.size, 1, 'the slot is held while the first snapshot is taken');
  const first = await snaps.next();
  gone.hangUp();
  first.settle({ n: 1 });
  await serving;
  assert.is(streams.size, 0);
  assert.equal(gone.writes, []);
  assert.not.ok(gone.headersSent);
  // A second page ticks on the same interval: by its second snapshot, a timer of the first would have fired.
  const live = new FakeResponse();
  const q2 = query();
  const p2 = streams.serve(asRes(live), q2);
  (await snaps.next()).settle({ n: 2 });
  await p2;
  const tick = await snaps.next();
  assert.is(tick.q, q2);
  assert.is(snaps.takes.get(q1), 1, 'the page that went was never snapshotted again');
  streams.close();
  tick.settle({ n: 3 });
});

test('pages opened together cannot pass maxClients while their first snapshots are taken', async () => {
  const snaps = new FakeSnapshots();
  const streams = streamsOf(snaps, 2);
  const a = streams.serve(asRes(new FakeResponse()), query());
  const b = streams.serve(asRes(new FakeResponse()), query());
  try {
    await streams.serve(asRes(new FakeResponse()), query());
    assert.unreachable('a third page was let in');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_TOO_MANY_PAGES');
  }
  (await snaps.next()).settle({});
  (await snaps.next()).settle({});
  await Promise.all([a, b]);
  assert.is(streams.size, 2);
  streams.close();
  assert.is(streams.size, 0);
});

test('a first snapshot that fails gives the slot back and the error to the caller', async () => {
  const snaps = new FakeSnapshots();
  const streams = streamsOf(snaps);
  const serving = streams.serve(asRes(new FakeResponse()), query());
  (await snaps.next()).fail(Object.assign(new Error('stopped'), { code: 'ERR_SYSTEM_STOPPED' }));
  try {
    await serving;
    assert.unreachable('the failure was swallowed');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_SYSTEM_STOPPED');
  }
  assert.is(streams.size, 0);
});

test('close ends every stream: a snapshot under way is not written after the end, and a page still opening gets an answer', async () => {
  const { streams, reading, inFlight, opening, q, openingFirst } = await readingAndOpening();
  streams.close(); // a slow page's 'close' comes later: until then nothing may write
  assert.ok(reading.writableEnded);
  assert.is(streams.size, 0);
  const written = reading.writes.length;
  inFlight.settle({ n: 2 });
  await settled();
  assert.is(reading.writes.length, written, 'nothing written after the end');
  openingFirst.settle({ n: 1 });
  try {
    await q;
    assert.unreachable('a page opening during close got no answer');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_OBSERVER_CLOSED');
  }
  assert.not.ok(opening.headersSent, 'its answer is the caller\'s JSON error, not an event stream');
});

test('the system stops: a page reading gets its stopped event, a page still opening gets 503 ERR_SYSTEM_STOPPED, and nothing is written after', async () => {
  // Regression: a page whose first snapshot was under way got nothing and then a hang-up when the endpoint closed.
  const { streams, reading, inFlight, opening, q, openingFirst } = await readingAndOpening();
  await streams.goodbye('the actor system stopped');
  assert.is(streams.size, 0);
  assert.ok(reading.writableEnded);
  assert.match(reading.writes.at(-1)!, /^event: stopped\ndata: .*"ERR_SYSTEM_STOPPED"/);
  assert.is(opening.status, 503);
  assert.ok(opening.writableEnded);
  assert.is(JSON.parse(opening.writes.join('')).error.code, 'ERR_SYSTEM_STOPPED');
  const written = [reading.writes.length, opening.writes.length];
  inFlight.settle({ n: 2 });
  openingFirst.fail(Object.assign(new Error('stopped'), { code: 'ERR_SYSTEM_STOPPED' }));
  await q; // answered: the failure of its first snapshot is not thrown to the caller again
  await settled();
  assert.equal([reading.writes.length, opening.writes.length], written, 'nothing written after the answers');
});

test.run();
