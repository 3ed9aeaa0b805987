// Big payloads end to end: large binary parts copied, moved and shared across shards, in order, through faults.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type DeadLetter, type DownMessage, NotMovableError, type Pid, isDownMessage, move } from '@joerl/runtime';
import { expect, expectReport, probe, withSystem } from '../helpers.ts';
import { KINDS, detached, makeBinary, summary } from '../fixtures/payload.actor.ts';

const PAYLOAD = new URL('../fixtures/payload.actor.ts', import.meta.url);
const MiB = 1 << 20;
const test = suite('payloads');

test('every typed-array kind, DataView and ArrayBuffer, at 1 MiB, copied and moved: main -> shard, shard -> shard, shard -> main', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const a = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
    let seq = 0;
    for (const kind of KINDS) {
      for (const moved of [false, true]) {
        // From main: a move detaches main's buffer at once.
        const data = makeBinary(kind, MiB, seq);
        const want = summary(data);
        system.send(b, { op: 'check', seq, data: moved ? move(data) : data });
        assert.is(detached(data), moved, `${kind}: detached after a move from main, not after a copy`);
        const got = await expect<{ summary: string }>(inbox, (m) => m?.event === 'checked' && m.seq === seq, `${kind} from main`);
        assert.is(got.summary, want, `${kind} ${moved ? 'moved' : 'copied'} main -> shard`);
        seq++;
        // Shard 1 -> shard 2, and shard 2 -> main.
        for (const [from, to] of [[a, b], [b, inbox.pid]] as const) {
          system.send(from, { op: 'send', to, kind, bytes: MiB, seed: seq, seq, move: moved });
          const sent = await expect<{ summary: string; detached: boolean }>(inbox, (m) => m?.event === 'sent' && m.seq === seq, `${kind} sent`);
          assert.is(sent.detached, moved, `${kind}: the sender's buffer is detached after a move, not after a copy`);
          if (to === inbox.pid) {
            const msg = await expect<{ data: unknown }>(inbox, (m) => m?.op === 'check' && m.seq === seq, `${kind} at main`);
            assert.is(summary(msg.data), sent.summary, `${kind} ${moved ? 'moved' : 'copied'} shard -> main`);
          } else {
            const got2 = await expect<{ summary: string }>(inbox, (m) => m?.event === 'checked' && m.seq === seq, `${kind} at shard 2`);
            assert.is(got2.summary, sent.summary, `${kind} ${moved ? 'moved' : 'copied'} shard -> shard`);
          }
          seq++;
        }
      }
    }
  }));

test('in production (checkLocalSends off), a part of 64 KiB or more is copied at the send: the sender writing over it in the same turn does not reach the other shard', () =>
  withSystem({ threads: 2, checkLocalSends: false }, async (system) => {
    const inbox = system.inbox();
    const a = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
    for (const [seq, bytes] of [[1, 64 * 1024], [2, MiB], [3, 8 * MiB]] as const) {
      system.send(a, { op: 'send-then-write', to: b, bytes, seed: seq, seq });
      const sent = await expect<{ summary: string }>(inbox, (m) => m?.event === 'sent' && m.seq === seq, 'the send');
      const got = await expect<{ summary: string }>(inbox, (m) => m?.event === 'checked' && m.seq === seq, 'the check');
      assert.is(got.summary, sent.summary, `${bytes} bytes: as they were at the send`);
    }
  }));

for (const checkLocalSends of [true, false]) {
  test(`in-shard, a move detaches the sender's buffer too (checkLocalSends ${checkLocalSends})`, () =>
    withSystem({ threads: 1, checkLocalSends }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
      const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
      for (const [seq, bytes] of [[1, 64], [2, MiB]] as const) {
        system.send(a, { op: 'send', to: b, kind: 'Float64Array', bytes, seed: seq, seq, move: true });
        const sent = await expect<{ summary: string; detached: boolean }>(inbox, (m) => m?.event === 'sent' && m.seq === seq, 'the send');
        assert.ok(sent.detached, `${bytes} bytes: detached after the move`);
        const got = await expect<{ summary: string }>(inbox, (m) => m?.event === 'checked' && m.seq === seq, 'the check');
        assert.is(got.summary, sent.summary);
      }
    }));
}

test('in production, an in-shard message that moves a buffer and holds what cannot cross (a function) is refused as with checkLocalSends; one without a move still goes as it is', () =>
  withSystem({ threads: 1, checkLocalSends: false }, async (system) => {
    // Regression: it was handed over as it was, the buffer neither detached nor unmarked, and the next send
    // that carried the buffer detached it under the first receiver.
    const inbox = system.inbox();
    const u = new Uint8Array(4096);
    u[0] = 7;
    assert.throws(() => system.send(inbox.pid, { a: move(u), f: () => 1 }), (e: { code?: string }) => e.code === 'ERR_UNENCODABLE');
    assert.is(u.byteLength, 4096, 'not detached');
    // With another buffer marked and unsent, a message with a function but no move goes as it is.
    const other = move(new Uint8Array(8));
    const f = (): number => 2;
    system.send(inbox.pid, { f });
    assert.is(((await inbox.receive()) as { f: unknown }).f, f);
    // u kept its mark, as after any refused send: the next send that carries it moves it.
    system.send(inbox.pid, { a: u });
    const r = (await inbox.receive()) as { a: Uint8Array };
    assert.is(u.byteLength, 0, 'moved by the next send');
    assert.is(r.a[0], 7);
    assert.is(other.byteLength, 8);
  }));

// Regression: a buffer the runtime made for an in-shard receiver (a large copy under
// checkLocalSends, or the buffer a move detached into) stayed marked as the runtime's own, so
// when the receiver passed it on to another thread it was transferred, not copied: detached
// under the receiver's feet.
for (const [moved, checkLocalSends] of [[false, true], [true, false], [true, true]] as const) {
  test(`a buffer received in-shard (${moved ? 'moved' : 'copied'}, checkLocalSends ${checkLocalSends}) and passed on to another shard is copied: the receiver keeps it`, () =>
    withSystem({ threads: 2, checkLocalSends }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
      const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
      const c = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
      for (const [seq, bytes] of [[1, 64 * 1024], [2, MiB]] as const) {
        system.send(a, { op: 'send-forward', via: b, to: c, kind: 'Float64Array', bytes, seed: seq, seq, move: moved });
        const want = summary(makeBinary('Float64Array', bytes, seq));
        const got = await expect<{ summary: string }>(inbox, (m) => m?.event === 'checked' && m.seq === seq, 'the check on shard 2');
        assert.is(got.summary, want);
        // Shard 2 has the data, so the forwarder's batch was encoded: now look at what the forwarder kept.
        system.send(b, { op: 'look', seq });
        const fwd = await expect<{ summary: string; detached: boolean }>(inbox, (m) => m?.event === 'looked' && m.seq === seq, 'the forwarder\'s look');
        assert.not.ok(fwd.detached, `${bytes} B: the forwarder's buffer is still its own after sending it on`);
        assert.is(fwd.summary, want);
      }
    }));
}

for (const moved of [false, true]) {
  test(`small and mid-size binary parts in one batch (inline, the batch cut into frames)${moved ? ', moved: the sender\'s buffers detached' : ''}: every kind intact, in order with plain messages, shard -> shard`, () =>
    withSystem({ threads: 2 }, async (system) => {
      const inbox = system.inbox();
      const a = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
      const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
      // 0 B to 1 KiB (a move of those goes inline) and, copied, 4 KiB and 40 KiB: over a ring chunk in all.
      const sizes: number[] = [];
      for (let i = 0; i < 300; i++) sizes.push(moved ? [0, 8, 64, 1000, 1024][i % 5]! : [8, 64, 4096, 40_000, 24][i % 5]!);
      // Twice: the first batch goes as one frame (written in chunks), the second is cut by its size.
      for (const base of [0, 1000]) {
        system.send(a, { op: 'burst', to: b, sizes, seq: base, move: moved });
        const sent = await expect<{ detachedCount: number }>(inbox, (m) => m?.event === 'burst-sent' && m.seq === base, 'the burst');
        assert.is(sent.detachedCount, moved ? sizes.length : 0, 'every moved buffer (and no copied one) is detached on the sender at the send');
        for (let i = 0; i < sizes.length; i++) {
          const kind = KINDS[i % KINDS.length]!;
          const got = await expect<{ seq: number; summary: string }>(inbox, (m) => m?.event === 'checked', `message ${base + 2 * i}`);
          assert.is(got.seq, base + 2 * i, 'binary messages arrive in the order sent');
          assert.is(got.summary, summary(makeBinary(kind, sizes[i]!, base + 2 * i)), `${kind} of ${sizes[i]} B intact`);
          const plain = await expect<{ seq: number; summary: string }>(inbox, (m) => m?.event === 'checked', `message ${base + 2 * i + 1}`);
          assert.is(plain.seq, base + 2 * i + 1, 'plain messages keep their place between them');
        }
      }
    }));
}

test('move() refuses, at the call, what cannot be moved: shared, detached, part of a larger (pooled) buffer, not a buffer', () => {
  const goneView = new Uint8Array(8);
  const gone = goneView.buffer;
  structuredClone(gone, { transfer: [gone] });
  const cases: Array<[unknown, RegExp]> = [
    [new SharedArrayBuffer(8), /cannot move a SharedArrayBuffer: shared memory is already shared/],
    [new Int32Array(new SharedArrayBuffer(8)), /a view over a SharedArrayBuffer/],
    [gone, /a detached ArrayBuffer/],
    [goneView, /a view over a detached buffer/],
    [Buffer.from('pooled'), /a view of 6 bytes at offset \d+ into a buffer of \d+ \(a pooled Buffer or a subarray\?\)/],
    [new Uint8Array(16).subarray(4), /a view of 12 bytes at offset 4 into a buffer of 16/],
    [{ length: 1 }, /move\(\) takes an ArrayBuffer, a typed array or a DataView/],
  ];
  for (const [v, re] of cases) {
    try {
      move(v as ArrayBuffer);
      assert.unreachable(`moved ${String(v)}`);
    } catch (err) {
      assert.instance(err, NotMovableError);
      assert.is((err as NotMovableError).code, 'ERR_NOT_MOVABLE');
      assert.match((err as Error).message, re);
    }
  }
  const own = new Float64Array(4);
  assert.is(move(own), own, 'a movable buffer is marked and handed back as it is');
});

test('shared memory stays shared: two actors on two shards fill halves of one array and read each other\'s, synchronised with Atomics', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const n = 1024;
    const view = new Int32Array(new SharedArrayBuffer(2 * n * 4));
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const a = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
    system.send(a, { op: 'shared-half', view, flags, half: 0 });
    system.send(b, { op: 'shared-half', view, flags, half: 1 });
    const sum = (half: number) => Array.from({ length: n }, (_, i) => (half + 1) * 1000 + i).reduce((x, y) => x + y, 0);
    const ra = await expect<{ otherSum: number }>(inbox, (m) => m?.event === 'half-done' && m.half === 0, 'shard 1 read shard 2\'s half');
    const rb = await expect<{ otherSum: number }>(inbox, (m) => m?.event === 'half-done' && m.half === 1, 'shard 2 read shard 1\'s half');
    assert.is(ra.otherSum, sum(1));
    assert.is(rb.otherSum, sum(0));
    // Main holds the same memory as both.
    assert.is(view[0], 1000);
    assert.is(view[n], 2000);
  }));

test('order: small, big, moved and shared messages from one process arrive in the order sent, all before its DOWN', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const a = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
    const ref = inbox.monitor(a);
    const sab = new SharedArrayBuffer(16);
    system.send(a, { op: 'crash-after', to: inbox.pid, sab });
    for (let seq = 0; seq < 6; seq++) {
      const m = (await inbox.receive(undefined, { timeoutMs: 20_000 })) as { seq?: number; data?: unknown };
      assert.ok(!isDownMessage(m), `message ${seq} came after the DOWN`);
      assert.is(m.seq, seq);
      if (seq === 1) assert.is(summary(m.data), summary(makeBinary('Float64Array', MiB, 1)));
      if (seq === 3) assert.is(summary(m.data), summary(makeBinary('Uint8Array', MiB, 2)));
      if (seq === 4) {
        new Int32Array(sab)[0] = 77;
        assert.is((m.data as Int32Array)[0], 77, 'the shared array is the same memory');
      }
    }
    const down = (await inbox.receive(undefined, { timeoutMs: 20_000 })) as DownMessage;
    assert.ok(isDownMessage(down) && down.ref === ref);
  }));

test('order: a stream mixing small, big, moved and shared messages from main arrives in order', () =>
  withSystem({ threads: 1, ringBytes: 64 * 1024, maxPayloadBytesInFlight: MiB }, async (system) => {
    const inbox = system.inbox();
    const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const shared = new Uint8Array(new SharedArrayBuffer(256 * 1024));
    const want: string[] = [];
    for (let seq = 0; seq < 120; seq++) {
      const k = seq % 4;
      const data = k === 0 ? 'small' : k === 3 ? shared : makeBinary('Uint16Array', 256 * 1024, seq);
      want.push(summary(data));
      system.send(b, { op: 'check', seq, data: k === 2 ? move(data as Uint16Array) : data });
    }
    for (let seq = 0; seq < 120; seq++) {
      const got = (await inbox.receive(undefined, { timeoutMs: 20_000 })) as { seq: number; summary: string };
      assert.is(got.seq, seq, 'in order');
      assert.is(got.summary, want[seq]);
    }
  }));

test('a big message to a shard that is killed before reading it is reported as a dead letter', () =>
  withSystem({ threads: 2, handlerTimeoutMs: 60_000 }, async (system) => {
    const inbox = system.inbox();
    const dead: DeadLetter[] = [];
    system.on('deadLetter', (d) => dead.push(d));
    const victim = await probe(system, inbox, 2, { tag: 'victim' });
    system.send(victim, { op: 'hog', ms: 30_000 });
    await expectReport(inbox, 'hogging', 'victim');
    // Shard 2 is inside a long handler: this stays in its ring.
    const big = makeBinary('Float64Array', 8 * MiB, 3);
    system.send(victim as Pid<any>, { seq: 'big', data: big });
    const restarted = new Promise<void>((resolve) => system.once('shardRestart', () => resolve()));
    system.killShard(2);
    await restarted;
    // The restarted shard reads the frame; its target died with the old one.
    const again = await probe(system, inbox, 2, { tag: 'again' });
    const dl = await new Promise<DeadLetter>((resolve) => {
      const found = () => dead.find((d) => (d.message as { seq?: string })?.seq === 'big');
      const f = found();
      if (f !== undefined) return resolve(f);
      system.on('deadLetter', () => {
        const g = found();
        if (g !== undefined) resolve(g);
      });
    });
    assert.is(String(dl.to), String(victim));
    assert.is(dl.reason, 'actor_not_found');
    // Its binary part was posted to the dead incarnation (lost with it, and said so) unless main had
    // not written the frame yet when the shard died: then it went to the new one, intact.
    const data = (dl.message as { data: unknown }).data;
    assert.ok(summary(data) === summary(big) || /^\[8388608 bytes of binary data, lost with the thread that held them\]$/.test(String(data)), `reported as ${String(data)}`);
    assert.ok(again);
  }));

test('side channels are remade when either end restarts: big messages still cross both ways', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    for (let round = 0; round < 2; round++) {
      const b = (await system.spawn(PAYLOAD, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
      const data = makeBinary('Int32Array', 2 * MiB, round);
      system.send(b, { op: 'check', seq: round, data });
      const got = await expect<{ summary: string }>(inbox, (m) => m?.event === 'checked' && m.seq === round, 'main -> shard 2');
      assert.is(got.summary, summary(data));
      system.send(b, { op: 'send', to: inbox.pid, kind: 'Int32Array', bytes: 2 * MiB, seed: 9, seq: 100 + round, move: true });
      const back = await expect<{ data: unknown }>(inbox, (m) => m?.op === 'check' && m.seq === 100 + round, 'shard 2 -> main');
      assert.is(summary(back.data), summary(makeBinary('Int32Array', 2 * MiB, 9)));
      if (round === 0) {
        const restarted = new Promise<void>((resolve) => system.once('shardRestart', () => resolve()));
        system.killShard(2);
        await restarted;
      }
    }
  }));

test.run();
