// Test helpers: start a system, await reports from probes, and never sleep.
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, type Pid, type SystemOptions, type SpawnOptions } from '@joerl/runtime';
import type { ProbeArgs, ProbeCmd } from './fixtures/probe.actor.ts';

export const PROBE = new URL('./fixtures/probe.actor.ts', import.meta.url);

/** Generous upper bound for an event that must come; a test fails (not flakes) if it never does. */
export const EVENT_TIMEOUT_MS = 20_000;

export interface Report {
  event: string;
  tag: string;
  pid: Pid;
  [k: string]: unknown;
}

/** Runs `body` with a fresh system and always shuts it down. */
export async function withSystem(opts: SystemOptions, body: (system: ActorSystem) => Promise<void>): Promise<void> {
  const system = await ActorSystem.start(opts);
  try {
    await body(system);
  } finally {
    await system.shutdown();
  }
}

/** Awaits the first message matching `pred`; fails the test if none arrives. */
export async function expect<T = Report>(inbox: Inbox, pred: (m: any) => boolean, what: string): Promise<T> {
  const got = await inbox.receive(pred, { timeoutMs: EVENT_TIMEOUT_MS });
  assert.ok(got !== undefined, `never received: ${what}`);
  return got as T;
}

/** Awaits a report `event` (optionally from the probe tagged `tag`). */
export function expectReport(inbox: Inbox, event: string, tag?: string): Promise<Report> {
  return expect<Report>(inbox, (m) => m?.event === event && (tag === undefined || m.tag === tag), `${event}${tag ? ` from ${tag}` : ''}`);
}

/** Spawns a probe on `shard` reporting to `inbox`, and waits for its 'started' report. */
export async function probe(system: ActorSystem, inbox: Inbox, shard: number, args: Partial<ProbeArgs> = {}, opts: SpawnOptions = {}): Promise<Pid<ProbeCmd>> {
  const pid = await system.spawn(PROBE, { report: inbox.pid, ...args }, { shard, ...opts });
  await expectReport(inbox, 'started', args.tag);
  return pid as Pid<ProbeCmd>;
}

/** Asserts that nothing matching `pred` is queued right now (after a round trip proved ordering). */
export function assertNoneQueued(inbox: Inbox, pred: (m: any) => boolean, what: string): Promise<void> {
  return inbox.receive(pred, { timeoutMs: 0 }).then((m) => assert.is(m, undefined, `unexpected: ${what}`));
}

/** Two placements for every scenario: both processes on shard 1, or on shards 1 and 2. */
export const PLACEMENTS: Array<{ label: string; a: number; b: number }> = [
  { label: 'within one shard', a: 1, b: 1 },
  { label: 'across two shards', a: 1, b: 2 },
];
