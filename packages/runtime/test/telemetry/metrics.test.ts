// Telemetry: every metric of the spec with its type and labels, exact values for known workloads, sampling, bad input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, InvalidOptionError, type Pid, Supervisor } from '@joerl/runtime';
import { PROBE, expect, expectReport, probe, withSystem } from '../helpers.ts';
import { parse, scrape, value } from './exposition.ts';

const test = suite('telemetry metrics');
const fixture = (f: string) => new URL(`../fixtures/${f}`, import.meta.url);
const COUNTER = fixture('counter.server.ts');
const MACHINES = fixture('machines.statem.ts');
const TREE = fixture('tree.sup.ts');
const WORKER = fixture('worker.child.ts').href;
const FLOOD = fixture('flood.actor.ts');
const COUNTED = fixture('counted.actor.ts');
const BROOD = fixture('brood.actor.ts');

/** The spec's tables, written out by hand (not imported from our catalogue): name, type, labels. */
const SPEC: Array<[string, 'counter' | 'gauge' | 'histogram', string[]]> = [
  ['joerl_actors_spawned_total', 'counter', ['type']],
  ['joerl_actors_stopped_total', 'counter', ['type', 'reason']],
  ['joerl_actors_active', 'gauge', ['type']],
  ['joerl_actors_panicked_total', 'counter', ['type']],
  ['joerl_actor_lifetime_seconds', 'histogram', ['type']],
  ['joerl_short_lived_actors_total', 'counter', ['type']],
  ['joerl_messages_sent_total', 'counter', []],
  ['joerl_messages_sent_failed_total', 'counter', ['reason']],
  ['joerl_messages_processed_total', 'counter', []],
  ['joerl_message_processing_duration_seconds', 'histogram', []],
  ['joerl_message_queue_wait_seconds', 'histogram', []],
  ['joerl_mailbox_depth', 'gauge', ['type']],
  ['joerl_mailbox_utilization_percent', 'gauge', ['type']],
  ['joerl_mailbox_full_total', 'counter', ['type']],
  ['joerl_links_created_total', 'counter', []],
  ['joerl_monitors_created_total', 'counter', []],
  ['joerl_supervisor_restarts_total', 'counter', ['strategy']],
  ['joerl_supervisor_restart_intensity_exceeded_total', 'counter', []],
  ['joerl_supervisor_restart_duration_seconds', 'histogram', []],
  ['joerl_gen_server_call_duration_seconds', 'histogram', ['type']],
  ['joerl_gen_server_casts_total', 'counter', ['type']],
  ['joerl_gen_server_call_timeouts_total', 'counter', ['type']],
  ['joerl_gen_server_calls_in_flight', 'gauge', ['type']],
  ['joerl_gen_statem_transitions_total', 'counter', ['type', 'from', 'to']],
  ['joerl_gen_statem_invalid_transitions_total', 'counter', ['type', 'state', 'event']],
  ['joerl_gen_statem_state_duration_seconds', 'histogram', ['type', 'state']],
  ['joerl_gen_statem_current_state', 'gauge', ['type', 'state']],
  ['joerl_signals_sent_total', 'counter', ['type']],
  ['joerl_signals_received_total', 'counter', ['type']],
  ['joerl_signals_ignored_total', 'counter', ['type']],
  ['joerl_exit_signals_by_reason_total', 'counter', ['reason']],
  ['joerl_remote_messages_sent_total', 'counter', ['target_node']],
  ['joerl_remote_messages_failed_total', 'counter', ['target_node', 'reason']],
  ['joerl_node_connections_active', 'gauge', []],
  ['joerl_node_connection_established_total', 'counter', ['node']],
  ['joerl_node_connection_lost_total', 'counter', ['node']],
  ['joerl_network_latency_seconds', 'histogram', ['node']],
  ['joerl_serialization_errors_total', 'counter', []],
  ['joerl_system_memory_bytes', 'gauge', []],
  ['joerl_mailbox_memory_bytes', 'gauge', ['type']],
  ['joerl_mailbox_memory_total_bytes', 'gauge', []],
];
/** Declared now, emitted once nodes exist. */
const DISTRIBUTED = new Set(SPEC.slice(31, 37).map(([n]) => n));

test('a workload touching every family: every spec metric is there with its # TYPE and label names', () =>
  withSystem({ threads: 2 }, async (system) => {
    const server = await system.serveMetrics({ port: 0 });
    const inbox = system.inbox();
    // Lifecycle, links, monitors, signals, panics.
    const a = await probe(system, inbox, 1, { tag: 'a', trap: true });
    const b = await probe(system, inbox, 2, { tag: 'b' });
    system.send(a, { op: 'link', pid: b });
    await expectReport(inbox, 'linked', 'a');
    system.send(a, { op: 'monitor', pid: b });
    await expectReport(inbox, 'monitoring', 'a');
    system.send(b, { op: 'panic', message: 'for the metrics' });
    await expectReport(inbox, 'got', 'a');
    const k = await probe(system, inbox, 2, { tag: 'k' });
    system.exit(k, 'kill');
    // Bounded mailbox with a backlog, and an overflow across shards.
    const full = await probe(system, inbox, 2, { tag: 'full' }, { mailboxCapacity: 4 });
    system.send(full, { op: 'select', want: 'never' });
    await expectReport(inbox, 'selecting', 'full');
    const dead = new Promise((r) => system.once('deadLetter', r));
    system.send(a, { op: 'burst', to: full, count: 5 });
    await dead;
    // Failed sends.
    assert.throws(() => system.send('nobody', {}));
    assert.throws(() => system.send(a, { f: () => 1 } as never));
    // Supervisor restarts, and one giving up.
    await system.spawn(TREE, { strategy: 'one_for_all', children: [{ id: 'w', module: WORKER, args: { id: 'w', report: inbox.pid } }] });
    const w = await expect<any>(inbox, (m) => m?.event === 'child-started' && m.id === 'w', 'worker');
    system.send(w.pid, { op: 'crash' });
    await expect(inbox, (m) => m?.event === 'child-started' && m.id === 'w', 'restart');
    const fragile = await system.spawn(TREE, { intensity: { maxRestarts: 0, withinMs: 60_000 }, children: [{ id: 'f', module: WORKER, args: { id: 'f', report: inbox.pid } }] });
    const f = await expect<any>(inbox, (m) => m?.event === 'child-started' && m.id === 'f', 'fragile worker');
    const fref = inbox.monitor(fragile);
    system.send(f.pid, { op: 'crash' });
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === fref, 'the fragile supervisor gave up');
    // GenServer: calls, casts, a late answer, a call still in flight.
    const c = await system.spawn(COUNTER, { report: inbox.pid }, { shard: 2 });
    await system.call(c, { kind: 'add', n: 1 });
    system.cast(c, { kind: 'bump' });
    await system.call(c, { kind: 'slow', ms: 40, value: 1 }, { timeoutMs: 1 }).catch(() => {});
    await system.call(c, { kind: 'slow', ms: 60, value: 2 }); // answered after the late one
    void system.call(c, { kind: 'defer', key: 'pending' }, { timeoutMs: 60_000 }).catch(() => {});
    // GenStatem: transitions, an invalid event.
    const t = await system.spawn(MACHINES, undefined, { shard: 1, export: 'Turnstile' });
    await system.call(t as Pid<any>, 'coin');
    await system.call(t as Pid<any>, 'kick').catch(() => {});
    await system.call(t as Pid<any>, 'push');
    await system.call(c, { kind: 'get' }); // the deferred call has been taken by now

    const x = await scrape(server.url);
    assert.is(x.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    for (const [name, type, labels] of SPEC) {
      assert.is(x.types.get(name), type, `# TYPE ${name} ${type}`);
      const family = x.samples.filter((s) => s.name === name || (type === 'histogram' && [`${name}_bucket`, `${name}_sum`, `${name}_count`].includes(s.name)));
      if (!DISTRIBUTED.has(name)) assert.ok(family.length > 0, `${name} has samples`);
      for (const s of family) {
        const want = s.name.endsWith('_bucket') ? [...labels, 'le'] : labels;
        assert.equal(Object.keys(s.labels).sort(), [...want].sort(), `label names of ${s.name}`);
      }
    }
    // A few values the workload fixes.
    assert.ok(value(x, 'joerl_actors_panicked_total', { type: 'Probe' }) >= 1);
    assert.ok(value(x, 'joerl_actors_stopped_total', { type: 'Probe', reason: 'killed' }) >= 1);
    assert.ok(value(x, 'joerl_messages_sent_failed_total', { reason: 'mailbox_full' }) >= 1);
    assert.ok(value(x, 'joerl_messages_sent_failed_total', { reason: 'actor_not_found' }) >= 1);
    assert.is(value(x, 'joerl_mailbox_depth', { type: 'Probe' }), 4);
    assert.is(value(x, 'joerl_mailbox_utilization_percent', { type: 'Probe' }), 100);
    assert.is(value(x, 'joerl_mailbox_full_total', { type: 'Probe' }), 1);
    assert.is(value(x, 'joerl_supervisor_intensity_exceeded_total'), 0, 'not a spec name');
    assert.is(value(x, 'joerl_supervisor_restart_intensity_exceeded_total'), 1);
    assert.is(value(x, 'joerl_gen_server_call_timeouts_total', { type: 'Counter' }), 1);
    assert.is(value(x, 'joerl_gen_server_calls_in_flight', { type: 'Counter' }), 1);
    assert.is(value(x, 'joerl_gen_statem_invalid_transitions_total', { type: 'Turnstile', state: 'unlocked', event: 'kick' }), 1);
    assert.is(value(x, 'joerl_gen_statem_current_state', { type: 'Turnstile', state: 'locked' }), 1);
    assert.is(value(x, 'joerl_gen_statem_current_state', { type: 'Turnstile', state: 'unlocked' }), 0);
    assert.ok(value(x, 'joerl_serialization_errors_total') >= 1);
    assert.ok(value(x, 'joerl_system_memory_bytes') > 10_000_000);
    assert.is(value(x, 'joerl_mailbox_memory_total_bytes'), value(x, 'joerl_mailbox_memory_bytes', { type: 'Probe' }));
  }));

test('values are exact: N cross-shard sends, panics by type, restarts by strategy, transitions by from/to', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const sink = (await system.spawn(FLOOD, undefined, { shard: 2, export: 'sink' })) as Pid<any>;
    const before = parse(await system.metrics.metrics());
    const n = 5000;
    system.send(sink, { expect: n, report: inbox.pid });
    for (let seq = 0; seq < n; seq++) system.send(sink, { seq });
    await expect(inbox, (m) => m?.kind === 'flood-done', 'the sink');
    const after = parse(await system.metrics.metrics());
    // n ticks + the 'expect' message + the sink's report.
    assert.is(value(after, 'joerl_messages_sent_total') - value(before, 'joerl_messages_sent_total'), n + 2);
    assert.is(value(after, 'joerl_messages_processed_total') - value(before, 'joerl_messages_processed_total'), n + 1);
    assert.is(value(after, 'joerl_message_queue_wait_seconds_count') - value(before, 'joerl_message_queue_wait_seconds_count'), n + 1);

    for (let i = 0; i < 3; i++) {
      const p = await probe(system, inbox, (i % 2) + 1, { tag: `boom${i}` });
      const ref = inbox.monitor(p);
      system.send(p, { op: 'panic', message: 'count me' });
      await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'down');
    }
    await system.spawn(TREE, { strategy: 'rest_for_one', children: ['r1', 'r2', 'r3'].map((id) => ({ id, module: WORKER, args: { id, report: inbox.pid }, shard: 1 })) });
    const r1 = await expect<any>(inbox, (m) => m?.event === 'child-started' && m.id === 'r1', 'r1');
    for (const id of ['r2', 'r3']) await expect(inbox, (m) => m?.event === 'child-started' && m.id === id, id);
    system.send(r1.pid, { op: 'crash' });
    for (const id of ['r1', 'r2', 'r3']) await expect(inbox, (m) => m?.event === 'child-started' && m.id === id, `${id} again`);
    const t = (await system.spawn(MACHINES, undefined, { shard: 2, export: 'TableOnly' })) as Pid<any>;
    for (let i = 0; i < 4; i++) {
      await system.call(t, 'coin');
      await system.call(t, 'push');
    }
    await system.call(t, 'coin');
    const x = parse(await system.metrics.metrics());
    assert.is(value(x, 'joerl_actors_panicked_total', { type: 'Probe' }), 3);
    assert.is(value(x, 'joerl_actors_stopped_total', { type: 'Probe', reason: 'panic' }), 3);
    assert.is(value(x, 'joerl_supervisor_restarts_total', { strategy: 'rest_for_one' }), 3);
    assert.is(value(x, 'joerl_gen_statem_transitions_total', { type: 'TableOnly', from: 'locked', to: 'unlocked' }), 5);
    assert.is(value(x, 'joerl_gen_statem_transitions_total', { type: 'TableOnly', from: 'unlocked', to: 'locked' }), 4);
    assert.is(value(x, 'joerl_gen_statem_state_duration_seconds_count', { type: 'TableOnly', state: 'locked' }), 5);
    assert.is(value(x, 'joerl_gen_statem_current_state', { type: 'TableOnly', state: 'unlocked' }), 1);
  }));

test('values are exact in-shard: sends counted per turn and from terminate, queue waits, mailbox depth of a waiting actor', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const sink = (await system.spawn(FLOOD, undefined, { shard: 1, export: 'sink' })) as Pid<any>;
    const a = (await system.spawn(COUNTED, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const b = (await system.spawn(COUNTED, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const delta = (before: ReturnType<typeof parse>, after: ReturnType<typeof parse>, name: string) => value(after, name) - value(before, name);
    const n = 3000;
    let before = parse(await system.metrics.metrics());
    system.send(sink, { expect: n, report: inbox.pid });
    system.send(a, { burst: n, to: sink });
    await expect(inbox, (m) => m?.kind === 'flood-done', 'the sink');
    let after = parse(await system.metrics.metrics());
    // Two sends from main, n in one handler, the sink's report; every message handled was stamped.
    assert.is(delta(before, after, 'joerl_messages_sent_total'), n + 3);
    assert.is(delta(before, after, 'joerl_messages_processed_total'), n + 2);
    assert.is(delta(before, after, 'joerl_message_queue_wait_seconds_count'), n + 2);
    assert.is(delta(before, after, 'joerl_message_processing_duration_seconds_count'), n + 2);

    // A handler that throws, and one that stops: what terminate sends is counted too.
    before = after;
    system.send(a, { crash: true });
    system.send(b, { stop: true });
    for (const pid of [a, b]) await expect(inbox, (m) => m?.bye?.equals?.(pid) === true, 'goodbye');
    after = parse(await system.metrics.metrics());
    assert.is(delta(before, after, 'joerl_messages_sent_total'), 4);

    // Messages waiting for an actor blocked in a selective receive are in its depth gauge.
    const waiting = await probe(system, inbox, 1, { tag: 'waiting' });
    system.send(waiting, { op: 'select', want: 'never' });
    await expectReport(inbox, 'selecting', 'waiting');
    const k = 7;
    for (let i = 0; i < k; i++) system.send(waiting, { op: 'ping' } as never);
    // A round trip through the same shard, after the k: its answer is published after the depth is written.
    const c = (await system.spawn(COUNTED, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    system.send(c, { ping: inbox.pid });
    await expect(inbox, (m) => m?.pong === true, 'pong');
    after = parse(await system.metrics.metrics());
    assert.is(value(after, 'joerl_mailbox_depth', { type: 'Probe' }), k);
    assert.is(value(after, 'joerl_mailbox_depth', { type: 'FloodSink' }), 0);
    assert.is(value(after, 'joerl_mailbox_depth', { type: 'Counted' }), 0);
  }));

test("timers' messages wait like any other: every message handled has its queue wait, whether a handler, a timer on the shard or one on main sent it", () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const p = await probe(system, inbox, 1, { tag: 'timed' });
    const delta = (before: ReturnType<typeof parse>, after: ReturnType<typeof parse>, name: string) => value(after, name) - value(before, name);
    const before = parse(await system.metrics.metrics());
    const n = 20;
    for (let i = 0; i < n; i++) {
      system.sendAfter(p, { k: 'main', i } as never, 0);
      system.send(p, { op: 'send-after', to: p, msg: { k: 'own', i }, ms: 0 });
    }
    for (let i = 0; i < n; i++) {
      await expect(inbox, (m) => m?.event === 'got' && m.msg?.k === 'main' && m.msg.i === i, `main timer ${i}`);
      await expect(inbox, (m) => m?.event === 'got' && m.msg?.k === 'own' && m.msg.i === i, `own timer ${i}`);
    }
    const after = parse(await system.metrics.metrics());
    // n commands sent from main, n timer messages from main and n from the probe's own timers: all handled, each with its wait.
    assert.is(delta(before, after, 'joerl_messages_processed_total'), 3 * n);
    assert.is(delta(before, after, 'joerl_message_queue_wait_seconds_count'), 3 * n);
  }));

test('a call to a dead process or an unknown name is a failed send wherever the server would live', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const caller = await probe(system, inbox, 1, { tag: 'caller' });
    const failedNow = async () => value(parse(await system.metrics.metrics()), 'joerl_messages_sent_failed_total', { reason: 'actor_not_found' });
    for (const [what, shard] of [['same shard', 1], ['other shard', 2]] as const) {
      const live = await probe(system, inbox, shard, { tag: `live${shard}` });
      const dead = await probe(system, inbox, shard, { tag: `dead${shard}` });
      const ref = inbox.monitor(dead);
      system.exit(dead, 'kill');
      await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, `DOWN on shard ${shard}`);
      const before = await failedNow();
      system.send(caller, { op: 'call', to: dead, req: { kind: 'get' } });
      assert.is((await expectReport(inbox, 'call-failed', 'caller')).code, 'ERR_NO_PROC', what);
      // Counted on the server's shard, whose first series of a kind reaches main as an announcement on its
      // ring: a round trip through that shard to main comes after it.
      system.send(live, { op: 'ping' });
      await expectReport(inbox, 'pong', `live${shard}`);
      assert.is((await failedNow()) - before, 1, `a call to a dead pid on the ${what}`);
    }
    const before = await failedNow();
    system.send(caller, { op: 'call', to: 'no-such-name', req: { kind: 'get' } });
    assert.is((await expectReport(inbox, 'call-failed', 'caller')).code, 'ERR_UNKNOWN_NAME');
    system.send(caller, { op: 'ping' });
    await expectReport(inbox, 'pong', 'caller');
    assert.is((await failedNow()) - before, 1, 'a call to an unknown name');
  }));

test('a send that fails on the spot is a failed send, not a sent one: from a handler, a timer, from main to a shard and to its own inbox', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const sender = await probe(system, inbox, 1, { tag: 'sender' });
    const gone = await probe(system, inbox, 1, { tag: 'gone' });
    system.send(gone, { op: 'stop', reason: 'normal' } as never);
    await system.join(gone);
    const before = parse(await system.metrics.metrics());
    // Main sends one (counted); the handler's send to the dead pid throws (failed), its report goes (counted).
    system.send(sender, { op: 'send', to: gone, msg: 'lost' } as never);
    const r = await expectReport(inbox, 'send-failed', 'sender');
    assert.is(r.code, 'ERR_NO_PROC');
    // Main's send to it goes (main cannot know it is dead: sent), and fails on the shard (failed there);
    // one to a name nobody holds throws (failed, not sent).
    system.send(gone, 'lost' as never);
    assert.throws(() => system.send('nobody-here', 'lost' as never), (e: any) => e.code === 'ERR_UNKNOWN_NAME');
    // On the main thread, outside any turn: a send to a closed inbox of its own fails on the spot (not sent);
    // one to an open inbox is sent.
    const shut = system.inbox();
    shut.close();
    assert.throws(() => system.send(shut.pid, 'lost' as never), (e: any) => e.code === 'ERR_NO_PROC');
    const open = system.inbox();
    system.send(open.pid, 'kept' as never);
    assert.is(await open.receive(), 'kept');
    // A runtime send (a timer) to the dead pid on the same shard: failed, not sent.
    const late = new Promise<any>((resolve) => system.on('deadLetter', (d: any) => d.message === 'late' && resolve(d)));
    system.send(sender, { op: 'send-after', to: gone, msg: 'late', ms: 0 } as never);
    await expectReport(inbox, 'timer', 'sender');
    assert.is((await late).reason, 'actor_not_found');
    // A round trip through the shard after them: what both threads counted is written by its end.
    system.send(sender, { op: 'ping' } as never);
    await expectReport(inbox, 'pong', 'sender');
    const after = parse(await system.metrics.metrics());
    const delta = (name: string, labels?: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    assert.is(delta('joerl_messages_sent_total'), 8, 'main: five sends; the handler: three reports (not its send to the dead pid, nor the timer\'s)');
    assert.is(delta('joerl_messages_sent_failed_total', { reason: 'actor_not_found' }), 5);
  }));

test('lifecycle values are exact in-shard, wave after wave (start-time slots reused): spawned, stopped, active, lifetime count and sum', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const k = 40;
    const type = { type: 'Counted' };
    let before = parse(await system.metrics.metrics());
    for (let wave = 0; wave < 3; wave++) {
      const t0 = performance.now();
      const pids: Pid<any>[] = [];
      // Half with a bounded mailbox: its capacity is counted in while the actor lives, out when it exits.
      for (let i = 0; i < k; i++) pids.push((await system.spawn(COUNTED, { report: inbox.pid }, { shard: 1, ...(i % 2 === 1 ? { mailboxCapacity: 8 } : {}) })) as Pid<any>);
      const live = parse(await system.metrics.metrics());
      assert.is(value(live, 'joerl_actors_active', type), k);
      for (const pid of pids) system.send(pid, { stop: true });
      for (const pid of pids) await expect(inbox, (m) => m?.bye?.equals?.(pid) === true, 'goodbye');
      const elapsed = (performance.now() - t0) / 1000;
      const after = parse(await system.metrics.metrics());
      const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
      assert.is(delta('joerl_actors_spawned_total', type), k);
      assert.is(delta('joerl_actors_stopped_total', { ...type, reason: 'normal' }), k);
      assert.is(value(after, 'joerl_actors_active', type), 0);
      assert.is(delta('joerl_actor_lifetime_seconds_count', type), k);
      // Each lifetime lies within the wave (a slot that handed back an older start would exceed it).
      const sum = delta('joerl_actor_lifetime_seconds_sum', type);
      assert.ok(sum > 0 && sum <= k * (elapsed + 0.001), `wave ${wave}: ${k} lifetimes summing to ${sum} s in a wave of ${elapsed} s`);
      before = after;
    }
    inbox.close();
  }));

test('lifecycle values are exact for a brood spawned in one turn and ended from one turn, half stopped and half crashed: by reason, active, lifetime count', () =>
  withSystem({ threads: 1, logLevel: 'silent' }, async (system) => {
    const inbox = system.inbox();
    const type = { type: 'Counted' };
    const n = 60;
    const before = parse(await system.metrics.metrics());
    const brood = await system.spawn(BROOD, undefined, { shard: 1 });
    system.send(brood, { spawn: n, report: inbox.pid });
    const { brood: pids } = await expect<{ brood: Pid<any>[] }>(inbox, (m) => Array.isArray(m?.brood), 'the brood');
    for (const pid of pids) inbox.monitor(pid);
    system.send(brood, { end: pids });
    for (let i = 0; i < n; i++) await expect(inbox, (m) => m?.type === 'DOWN', 'a DOWN');
    const after = parse(await system.metrics.metrics());
    const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    assert.is(delta('joerl_actors_spawned_total', type), n);
    assert.is(delta('joerl_actors_stopped_total', { ...type, reason: 'normal' }), n / 2);
    assert.is(delta('joerl_actors_stopped_total', { ...type, reason: 'panic' }), n / 2);
    assert.is(delta('joerl_actors_panicked_total', type), n / 2);
    assert.is(value(after, 'joerl_actors_active', type), 0);
    assert.is(delta('joerl_actor_lifetime_seconds_count', type), n);
    inbox.close();
  }));

test('sampling thins the high-frequency series, never the failures', () =>
  withSystem({ threads: 1, telemetry: { messageSamplingRate: 10, queueWaitSamplingRate: 0 } }, async (system) => {
    const inbox = system.inbox();
    const sink = (await system.spawn(FLOOD, undefined, { shard: 1, export: 'sink' })) as Pid<any>;
    const n = 10_000;
    system.send(sink, { expect: n, report: inbox.pid });
    for (let seq = 0; seq < n; seq++) system.send(sink, { seq });
    await expect(inbox, (m) => m?.kind === 'flood-done', 'the sink');
    for (let i = 0; i < 50; i++) assert.throws(() => system.send('nobody', {}));
    const x = parse(await system.metrics.metrics());
    const sent = value(x, 'joerl_messages_sent_total');
    assert.ok(sent > n * 0.05 && sent < n * 0.2, `about a tenth of ${n}: ${sent}`);
    assert.ok(value(x, 'joerl_message_processing_duration_seconds_count') < n * 0.2);
    assert.is(value(x, 'joerl_message_queue_wait_seconds_count'), 0);
    assert.is(value(x, 'joerl_messages_sent_failed_total', { reason: 'actor_not_found' }), 50, 'failures are never sampled');
  }));

test('at 10% the series hold a tenth of what was sent, handled and waited, counted in bulk on the short path', () =>
  withSystem({ threads: 1, telemetry: { messageSamplingRate: 10, queueWaitSamplingRate: 10 } }, async (system) => {
    const inbox = system.inbox();
    const n = 20_000;
    const chunk = 500;
    const sink = (await system.spawn(FLOOD, undefined, { shard: 1, export: 'sink' })) as Pid<any>;
    const source = (await system.spawn(FLOOD, undefined, { shard: 1, export: 'source' })) as Pid<any>;
    system.send(sink, { expect: n, report: inbox.pid });
    system.send(source, { to: sink, count: n, chunk });
    const done = await expect(inbox, (m) => m?.kind === 'flood-done' || m?.kind === 'out-of-order', 'the sink');
    assert.is(done.kind, 'flood-done');
    const x = parse(await system.metrics.metrics());
    // The shard handled n floods, n / chunk source turns and the expect; its sends are n, n / chunk - 1 and the report.
    // A thread keeps event k of a series when k % 100 < 10 (k from 1): a tenth, within 10 per thread.
    const handled = n + n / chunk + 1;
    const sent = n + n / chunk + 1 + 2; // and the main thread's two
    const near = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 20, `${what}: ${got}, a tenth of ${want * 10}`);
    near(value(x, 'joerl_messages_processed_total'), handled / 10, 'handled');
    near(value(x, 'joerl_message_processing_duration_seconds_count'), handled / 10, 'timed');
    near(value(x, 'joerl_messages_sent_total'), sent / 10, 'sent');
    near(value(x, 'joerl_message_queue_wait_seconds_count'), handled / 10, 'waits');
  }));

test('with telemetry off nothing is recorded, and the exposition still declares every metric', () =>
  withSystem({ threads: 1, telemetry: { enabled: false } }, async (system) => {
    const inbox = system.inbox();
    const p = await probe(system, inbox, 1, { tag: 'quiet' });
    system.send(p, { op: 'ping' });
    await expectReport(inbox, 'pong', 'quiet');
    const x = parse(await system.metrics.metrics());
    assert.is(x.types.get('joerl_messages_sent_total'), 'counter');
    assert.is(x.samples.filter((s) => s.name.startsWith('joerl_') && s.name !== 'joerl_system_memory_bytes' && s.name !== 'joerl_mailbox_memory_total_bytes').length, 0);
  }));

test('bad telemetry input gets typed errors: sampling rates, ports, hosts', async () => {
  for (const telemetry of [{ messageSamplingRate: 150 }, { queueWaitSamplingRate: -1 }, { signalSamplingRate: Number.NaN }, { enabled: 'yes' }]) {
    try {
      await ActorSystem.start({ threads: 1, telemetry: telemetry as never });
      assert.unreachable();
    } catch (err) {
      assert.instance(err, InvalidOptionError);
      assert.match((err as Error).message, /options\.telemetry\.\w+ must be/);
    }
  }
  await withSystem({ threads: 1 }, async (system) => {
    for (const opts of [{ port: 70_000 }, { port: -1 }, { port: 1.5 }, { host: '' }]) {
      try {
        await system.serveMetrics(opts);
        assert.unreachable();
      } catch (err) {
        assert.instance(err, InvalidOptionError);
        assert.match((err as Error).message, /port must be an integer from 0 to 65535|host must be/);
      }
    }
    void PROBE;
    void Supervisor;
  });
});

test.run();
