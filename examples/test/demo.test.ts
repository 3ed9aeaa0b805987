// The `npm start` demo: it serves its endpoints, survives every fault it injects, and stops cleanly on Ctrl-C.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../dist/demo/main.js', import.meta.url));

function start(...args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  return {
    child,
    exited,
    get out() {
      return out;
    },
    /** Resolves with the first match of `re` in the output after offset `from` (waiting for more output as needed). */
    async waitFor(re: RegExp, from = 0): Promise<RegExpMatchArray> {
      let done = false;
      void exited.then(() => (done = true));
      for (;;) {
        const m = out.slice(from).match(re);
        if (m !== null) return m;
        if (done || child.exitCode !== null) throw new Error(`demo exited before printing ${re}:\n${out}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
      }
    },
  };
}

test('bad flags get a clear message and exit code 2', async () => {
  const d = start('--port', 'eighty');
  assert.is(await d.exited, 2);
  assert.match(d.out, /--port must be a number from 0 to 65535, got "eighty"/);
  assert.match(d.out, /usage: npm start --/);
  const e = start('--bogus');
  assert.is(await e.exited, 2);
  assert.match(e.out, /Unknown option '--bogus'/);
});

test('the demo serves its endpoints, rides out a panic burst, a stuck handler and a dead shard, and stops on Ctrl-C', async () => {
  const d = start('--port', '0', '--fault-every', '1', '--duration', '600');
  try {
    const [, base] = await d.waitFor(/(http:\/\/127\.0\.0\.1:\d+)\/metrics/);
    await d.waitFor(/jobs [1-9]\d* \(s1 \d+/);

    // Every fault kind, then the shard restarts they cause (the stuck one via the watchdog).
    await d.waitFor(/fault: the \d+ workers on shard \d panic/);
    await d.waitFor(/fault: worker <0\.\d+\.\d+> enters an endless loop/);
    await d.waitFor(/fault: shard \d killed/);
    await d.waitFor(/shard restarts [2-9]/);
    const jobsBefore = Number((await d.waitFor(/jobs (\d+)[^\n]*shard restarts [2-9]/))[1]);

    const metrics = await fetch(`${base}/metrics`);
    assert.is(metrics.status, 200);
    const text = await metrics.text();
    assert.match(text, /joerl_supervisor_restarts_total\{strategy="one_for_one"\} [1-9]/);
    assert.match(text, /joerl_actors_panicked_total\{type="HashWorker"\} [1-9]/);
    assert.match(text, /joerl_gen_statem_transitions_total\{type="Job",from="running",to="done"\} [1-9]/);
    const health = await fetch(`${base}/health`);
    assert.is(health.headers.get('content-type'), 'application/health+json');
    const body = (await health.json()) as { status: string; checks: Record<string, unknown> };
    assert.ok(['pass', 'warn', 'fail'].includes(body.status));
    assert.is(health.status, body.status === 'fail' ? 503 : 200);
    assert.ok('shard:heartbeat' in body.checks);
    assert.is((await fetch(`${base}/live`)).status, 200);
    // The observer page is served too, and its snapshot shows the faults: panics, restarts, shards that went down and came back.
    assert.match(d.out, new RegExp(`observer: ${base}/observer`));
    const snap = (await (await fetch(`${base}/observer/api/snapshot`)).json()) as { totals: { restarts: number; panics: number }; tree: unknown[]; events: Array<{ kind: string }> };
    assert.ok(snap.totals.panics > 0 && snap.totals.restarts > 0, JSON.stringify(snap.totals));
    assert.is(snap.tree.length, 1, 'the App tree');
    assert.ok(snap.events.some((e) => e.kind === 'shard-down') && snap.events.some((e) => e.kind === 'shard-restart'));

    // Work goes on after the faults: a later summary counts more jobs.
    for (let mark = d.out.length; ; ) {
      const m = await d.waitFor(/jobs (\d+)/, mark);
      if (Number(m[1]) > jobsBefore) break;
      mark += m.index! + m[0].length;
    }

    // Twice, as under npm start (the terminal's process group, and npm forwarding it): the second must not cut the stop short.
    d.child.kill('SIGINT');
    await d.waitFor(/stopping \(Ctrl-C\)/, 0);
    d.child.kill('SIGINT');
    assert.is(await d.exited, 0, d.out);
    assert.match(d.out, /stopping \(Ctrl-C\): \d+ jobs done of \d+ issued/);
    assert.match(d.out, /\bstopped\n/);
  } finally {
    d.child.kill('SIGKILL');
  }
});

test.run();
