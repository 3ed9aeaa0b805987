// Soak: actors on 4 shards and the main thread send to each other while shards are killed; handled + reported = sent, exactly.
//
//   node scripts/test.mjs soak              the quick run (a few seconds, as in CI)
//   npm run soak -- --seconds 60            a longer run (JOERL_SOAK_SECONDS)
import { BroadcastChannel } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type DeadLetter, type DownMessage, type MessagesLost, type Pid, isDownMessage } from '@joerl/runtime';
import { HANDLED, SENT, type SoakArgs, type SoakMsg } from '../fixtures/soak.actor.ts';

const SOAK = new URL('../fixtures/soak.actor.ts', import.meta.url);
const SECONDS = Number(process.env.JOERL_SOAK_SECONDS ?? 3);
const SHARDS = 4;
const PER_SHARD = 3;
/** A shard is killed this often (ms), one that is up, picked at random. */
const KILL_EVERY_MS = Number(process.env.JOERL_SOAK_KILL_MS ?? 600);
/** How long the counts may take to settle once the load stops. */
const SETTLE_MS = 60_000;

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(`soak: ${SHARDS} shards, shard kills every ${KILL_EVERY_MS} ms for ${SECONDS} s: handled + reported = sent`, async () => {
  const system = await ActorSystem.start({ threads: SHARDS, restartShards: true });
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const channel = `joerl-soak-${process.pid}-${Date.now()}`;
  const bc = new BroadcastChannel(channel);
  bc.onmessage = () => bc.postMessage(counters.buffer);

  let reported = 0;
  const reasons = new Map<string, number>();
  const count = (reason: string, n: number): void => {
    reported += n;
    reasons.set(reason, (reasons.get(reason) ?? 0) + n);
  };
  system.on('deadLetter', (d: DeadLetter) => {
    const k = (d.message as { k?: unknown } | null)?.k;
    if (k === 'hop' || k === 'slow') count(d.reason, 1);
  });
  system.on('messagesLost', (l: MessagesLost) => count(`${l.reason} (counted)`, l.queued + l.unsent));
  let kills = 0;
  let restarts = 0;
  system.on('shardRestart', () => restarts++);

  const names = Array.from({ length: SHARDS * PER_SHARD }, (_, i) => `soak-${i}`);
  const args: SoakArgs = { channel, names, panicPer10k: 5, stopPer10k: 5 };
  const inbox = system.inbox();
  const refs = new Map<number, number>();
  const down = new Set<number>();
  async function start(i: number): Promise<void> {
    try {
      // Some actors have bounded mailboxes: full ones refuse (on the spot, or as mailbox_full dead letters).
      const pid = await system.spawn(SOAK, args, { shard: 1 + (i % SHARDS), name: names[i]!, ...(i % 3 === 0 ? { mailboxCapacity: 64 } : {}) });
      refs.set(inbox.monitor(pid), i);
      down.delete(i);
    } catch {
      // Its shard died meanwhile (or the old name is not freed yet): tried again on the next round.
    }
  }
  await Promise.all(names.map((_, i) => start(i)));

  let mainSent = 0;
  const send = (to: string, msg: SoakMsg): void => {
    try {
      system.send(to as unknown as Pid<SoakMsg>, msg);
    } catch {
      return; // not accepted: not counted
    }
    mainSent++;
  };
  const deadline = performance.now() + SECONDS * 1000;
  let nextKill = performance.now() + KILL_EVERY_MS;
  while (performance.now() < deadline) {
    for (let i = 0; i < 200; i++) {
      const to = names[(Math.random() * names.length) | 0]!;
      if (i % 50 === 0) send(to, { k: 'slow', ms: 1 + ((Math.random() * 5) | 0) });
      else send(to, { k: 'hop', hops: 4, fan: i % 10 === 0 ? 2 : 1 });
    }
    // Restart whoever exited (a panic, a stop, a dead shard).
    for (let m = await inbox.receive(isDownMessage, { timeoutMs: 0 }); m !== undefined; m = await inbox.receive(isDownMessage, { timeoutMs: 0 })) {
      const i = refs.get((m as DownMessage).ref);
      refs.delete((m as DownMessage).ref);
      if (i !== undefined) down.add(i);
    }
    for (const i of down) void start(i);
    if (performance.now() >= nextKill) {
      const up = system.inspect().shards.filter((s) => s.up);
      if (up.length > 0) {
        system.killShard(up[(Math.random() * up.length) | 0]!.shard);
        kills++;
      }
      nextKill += KILL_EVERY_MS;
    }
    await tick(2);
  }

  // The load stops; once every shard is up and nothing is in flight, the counts must meet exactly.
  const settleBy = performance.now() + SETTLE_MS;
  const balance = () => {
    // Handled and reported first, sent last: both only grow, and handled + reported <= sent at every instant.
    const handled = Atomics.load(counters, HANDLED);
    const rep = reported;
    const sent = Atomics.load(counters, SENT) + mainSent;
    return { sent, handled, reported: rep, missing: sent - handled - rep };
  };
  let b = balance();
  while ((b.missing !== 0 || !system.inspect().shards.every((s) => s.up)) && performance.now() < settleBy) {
    await tick(20);
    b = balance();
  }
  const detail = `sent ${b.sent}, handled ${b.handled}, reported ${b.reported} (${[...reasons].map(([r, n]) => `${r}: ${n}`).join(', ')}), ${kills} kills, ${restarts} restarts`;
  console.log(`  soak: ${detail}`);
  assert.ok(kills >= 1, 'at least one shard was killed');
  assert.is(b.missing, 0, `every message handled or reported: ${detail}`);
  inbox.close();
  await system.shutdown();
  bc.close();
  const after = balance();
  assert.is(after.missing, 0, `still balanced after shutdown: sent ${after.sent}, handled ${after.handled}, reported ${after.reported}`);
});

test.run();
