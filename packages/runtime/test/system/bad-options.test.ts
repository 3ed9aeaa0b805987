// Bad arguments to the system's API are refused at the call: options that are not an object (a bare 1000 for { timeoutMs: 1000 }), trapExit(1), an unsendable offloadMessage tag, an unknown metric.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, type Pid, Supervisor } from '@joerl/runtime';
import { resolveOptions } from '../../src/system/options.ts';
import { expectReport } from '../helpers.ts';

const MISUSE = new URL('../fixtures/misuse.actor.ts', import.meta.url);
const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url);
const test = suite('bad options');
let system: ActorSystem;
let inbox: Inbox;
let server: Pid;
test.before(async () => {
  system = await ActorSystem.start({ threads: 1, offload: { threads: 1 } });
  inbox = system.inbox();
  server = await system.spawn(COUNTER, { start: 7 });
});
test.after(() => system.shutdown());

/** The code `p` rejected with, or 'accepted'. */
const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'accepted', (e: { code?: string }) => e.code ?? String(e));

test("inbox.receive(match, 1000) and inbox.call(pid, req, 100) reject with ERR_INVALID_OPTION (they waited forever, and 5 s)", async () => {
  const reader = system.inbox();
  const received = outcome(reader.receive(() => false, 1000 as never));
  // Read as no options, the receive would wait for ever: closing the inbox ends it (ERR_NO_PROC) instead.
  reader.close();
  assert.is(await received, 'ERR_INVALID_OPTION');
  await inbox.receive(() => true, 5 as never).then(
    () => assert.unreachable('accepted'),
    (e: Error) => assert.match(e.message, /receive takes an options object like \{ timeoutMs: 1000 \} \(or none\), got number 5/),
  );
  assert.is(await outcome(inbox.call(server, { kind: 'get' }, 100 as never)), 'ERR_INVALID_OPTION');
  assert.is(await outcome(inbox.call(server, { kind: 'get' }, null as never)), 'ERR_INVALID_OPTION');
  assert.is(await inbox.call(server, { kind: 'get' }), 7, 'no options is fine');
});

test("system.call(pid, req, 100) and system.offload(url, input, 'echo') reject with ERR_INVALID_OPTION (they used 5000 ms, the default export)", async () => {
  assert.is(await outcome(system.call(server, { kind: 'get' }, 100 as never)), 'ERR_INVALID_OPTION');
  assert.is(await outcome(system.offload(JOBS, { n: 1 }, 'echo' as never)), 'ERR_INVALID_OPTION');
  assert.is(await system.call(server, { kind: 'get' }, { timeoutMs: 1000 }), 7);
});

test('ctx.receive, ctx.call, ctx.offload and ctx.offloadMessage refuse a bare value for their options (ERR_INVALID_OPTION)', async () => {
  const pid = await system.spawn(MISUSE);
  system.send(pid, { op: 'bad-options', report: inbox.pid, server, jobs: JOBS.href });
  const r = await expectReport(inbox, 'bad-options');
  assert.equal({ ...r, event: undefined }, { event: undefined, receive: 'ERR_INVALID_OPTION', call: 'ERR_INVALID_OPTION', offload: 'ERR_INVALID_OPTION', offloadMessage: 'ERR_INVALID_OPTION' });
});

test('ctx.trapExit(1) and trapExit(\'true\') throw ERR_INVALID_ARGUMENT and leave trapping as it was (they turned it off)', async () => {
  const pid = await system.spawn(MISUSE);
  system.send(pid, { op: 'bad-trap', report: inbox.pid });
  const r = await expectReport(inbox, 'bad-trap');
  assert.equal([r.one, r.text, r.trapping], ['ERR_INVALID_ARGUMENT', 'ERR_INVALID_ARGUMENT', true]);
});

test('ctx.offloadMessage with a tag that cannot be sent (a function, a Symbol) throws ERR_UNENCODABLE at the call: its result was lost', async () => {
  const pid = await system.spawn(MISUSE);
  system.send(pid, { op: 'bad-tag', report: inbox.pid, jobs: JOBS.href });
  const r = await expectReport(inbox, 'bad-tag');
  assert.equal(r.codes, ['ERR_UNENCODABLE', 'ERR_UNENCODABLE']);
  assert.match(r.message as string, /tag\.done/);
});

test('getState, processInfo, supervisionTree and shardFigures refuse null or a number for their options (ERR_INVALID_ARGUMENT, as a bad query), not a TypeError', async () => {
  for (const bad of [null, 500]) {
    assert.is(await outcome(system.getState(server, bad as never)), 'ERR_INVALID_ARGUMENT', `getState ${bad}`);
    assert.is(await outcome(system.processInfo(server, bad as never)), 'ERR_INVALID_ARGUMENT', `processInfo ${bad}`);
    assert.is(await outcome(system.supervisionTree(bad as never)), 'ERR_INVALID_ARGUMENT', `supervisionTree ${bad}`);
    assert.is(await outcome(system.shardFigures(bad as never)), 'ERR_INVALID_ARGUMENT', `shardFigures ${bad}`);
  }
  assert.is((await system.shardFigures()).length, 1);
});

test('metricTotal: a name not in the catalogue and the utilization percentage throw ERR_INVALID_ARGUMENT (they read 0 for ever); the process memory reads as /metrics shows it', () => {
  const invalid = (re: RegExp) => (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT' && re.test(e.message);
  assert.throws(() => system.metricTotal('joerl_actors_spawnd_total'), invalid(/metricTotal: no metric named "joerl_actors_spawnd_total"/));
  assert.throws(() => system.metricTotal('joerl_mailbox_utilization_percent'), invalid(/read its series from system\.metrics/));
  assert.ok(system.metricTotal('joerl_system_memory_bytes') > 0, 'the RSS, not 0');
  assert.ok(system.metricTotal('joerl_actors_spawned_total') >= 1);
});

test('Supervisor.startChild with no spec or a bad module rejects with ERR_INVALID_ARGUMENT: it threw from a promise-returning call, a TypeError for null', async () => {
  for (const spec of [null, 'w1', { id: 'w1', module: 'worker.child.js' }]) {
    let p: Promise<unknown> | undefined;
    try {
      p = Supervisor.startChild(system, server, spec as never);
    } catch (err) {
      assert.unreachable(`threw at the call for ${JSON.stringify(spec)}: ${String(err)}`);
    }
    assert.is(await outcome(p!), 'ERR_INVALID_ARGUMENT', JSON.stringify(spec));
  }
});

test("logLevel 'toString' or 'constructor' is refused (ERR_INVALID_OPTION): a key every object inherits passed the check", () => {
  for (const logLevel of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    assert.throws(() => resolveOptions({ threads: 1, logLevel } as never), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_OPTION' && /options\.logLevel must be one of 'debug', 'info', 'warn', 'error', 'silent'/.test(e.message), logLevel);
  }
  assert.is(resolveOptions({ threads: 1, logLevel: 'info' }).logLevel, 'info');
});

test('serveMetrics(9091) rejects with ERR_INVALID_OPTION: it was the running endpoint (or a new one on 9090)', async () => {
  const running = await system.serveMetrics({ port: 0 });
  for (const bad of [9091, null, 'localhost']) {
    await system.serveMetrics(bad as never).then(
      () => assert.unreachable(`served ${String(bad)}`),
      (e: Error & { code?: string }) => {
        assert.is(e.code, 'ERR_INVALID_OPTION');
        assert.match(e.message, /takes options like \{ port: 9091, host: '127\.0\.0\.1' \}/);
      },
    );
  }
  assert.ok((await system.serveMetrics()) === running);
});

test.run();
