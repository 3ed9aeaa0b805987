// What operators get: the alert rules (promtool check + unit tests) and the Grafana dashboard, whose every
// query must parse and run against a real Prometheus scraping the demo, where the panic alert really fires.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOGUE } from '@joerl/telemetry';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(ROOT, 'alerts', 'joerl.rules.yml');
const RULE_TESTS = join(ROOT, 'alerts', 'joerl.rules.test.yml');
const DASHBOARD = join(ROOT, 'dashboards', 'joerl.json');

/** The best-practice alerts of the telemetry spec, one rule each. */
const SPEC_ALERTS = [
  'JoerlHighRestartRate',
  'JoerlMailboxBackpressure',
  'JoerlActorPanics',
  'JoerlMessageSendFailures',
  'JoerlRestartLoop',
  'JoerlAbnormalExitSignals',
  'JoerlRemoteMessageFailures',
  'JoerlNodeConnectionLosses',
  'JoerlHighNetworkLatency',
  'JoerlSerializationErrors',
  'JoerlNodeDisconnected',
];

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ refId: string; expr: string }>;
  panels?: Panel[];
}

function dashboardPanels(): Panel[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Dashboard queries with Grafana's variables replaced by what Prometheus accepts. */
function dashboardQueries(rateWindow: string): Array<{ panel: string; expr: string }> {
  return dashboardPanels().flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: `${p.title} ${t.refId}`, expr: t.expr.replaceAll('$__rate_interval', rateWindow).replaceAll('$instance', '.*') })),
  );
}

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  assert.is(r.error, undefined, 'promtool is installed (Debian package prometheus; .ci/run installs it)');
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('promtool check rules passes, with one rule for every alert of the spec', () => {
  const r = promtool('check', 'rules', RULES);
  assert.is(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS: 11 rules found/);
  const names = [...readFileSync(RULES, 'utf8').matchAll(/^\s*- alert: (\w+)/gm)].map((m) => m[1]);
  assert.equal(names.sort(), [...SPEC_ALERTS].sort());
});

test('promtool test rules: every alert fires on its bad series and stays quiet on the good ones', () => {
  const r = promtool('test', 'rules', RULE_TESTS);
  assert.is(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);
  // Each alert has a case that expects it to fire (for instance "bad" only, so "good" must stay quiet).
  const text = readFileSync(RULE_TESTS, 'utf8');
  for (const name of SPEC_ALERTS) {
    assert.match(text, new RegExp(`alertname: ${name}\\n\\s+exp_alerts:\\n\\s+- exp_labels: \\{[^}]*instance: bad`), `${name} has a firing case`);
  }
});

test('the dashboard is what scripts/dashboard.mjs generates, well formed, and covers every metric of the spec', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'dashboard.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
  const panels = dashboardPanels();
  const ids = panels.map((p) => p.id);
  assert.is(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of panels) {
    assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
    if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
  }
  const exprs = dashboardQueries('5m').map((q) => q.expr).join('\n');
  const hidden = new Set(['joerl_internal_bounded_mailbox_depth', 'joerl_internal_bounded_mailbox_capacity']);
  for (const m of CATALOGUE) {
    if (hidden.has(m.name)) continue;
    assert.ok(exprs.includes(m.name), `a panel shows ${m.name}`);
  }
});

test('every dashboard query parses (promtool check rules on them as recording rules)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'joerl-dash-'));
  try {
    const queries = dashboardQueries('5m');
    const rules = queries.map((q, i) => `      - record: joerl_dashboard:query_${i}\n        expr: ${JSON.stringify(q.expr)}\n`).join('');
    writeFileSync(join(dir, 'dashboard.rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules}`);
    const r = promtool('check', 'rules', join(dir, 'dashboard.rules.yml'));
    assert.is(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${queries.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Output of a child process, and a way to await a line in it. */
function watch(child: ChildProcess) {
  let out = '';
  const waiters: Array<() => void> = [];
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const onData = (d: Buffer) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    exited,
    get out() {
      return out;
    },
    async waitFor(re: RegExp): Promise<RegExpMatchArray> {
      for (;;) {
        const m = out.match(re);
        if (m !== null) return m;
        if (child.exitCode !== null) throw new Error(`exited before printing ${re}:\n${out}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
      }
    },
  };
}

test('a real Prometheus scraping the demo loads the rules, runs every dashboard query, and fires the panic alert', async () => {
  const demo = spawn(process.execPath, [join(ROOT, 'examples', 'dist', 'demo', 'main.js'), '--port', '0', '--fault-every', '3', '--duration', '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const d = watch(demo);
  const dir = mkdtempSync(join(tmpdir(), 'joerl-ops-'));
  let prom: ChildProcess | undefined;
  try {
    const [, port] = await d.waitFor(/http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [${JSON.stringify(RULES)}]\n` +
        `scrape_configs:\n  - job_name: joerl\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
    );
    prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const p = watch(prom);
    const api = async (path: string): Promise<any> => {
      for (;;) {
        if (prom!.exitCode !== null) throw new Error(`prometheus exited: ${p.out.slice(-800)}`);
        try {
          return await (await fetch(`http://127.0.0.1:${promPort}${path}`)).json();
        } catch {
          await new Promise((r) => setTimeout(r, 100)); // not listening yet
        }
      }
    };
    /** Asks Prometheus until `ok(body)`: the event awaited is its having scraped or evaluated enough. */
    const until = async (path: string, ok: (body: any) => boolean, what: string): Promise<any> => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const body = await api(path);
        if (ok(body)) return body;
        if (Date.now() > deadline) throw new Error(`Prometheus never reported ${what}: ${JSON.stringify(body).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const query = (expr: string) => `/api/v1/query?query=${encodeURIComponent(expr)}`;

    // Enough scrapes for rate() over 1m to have points, and a job done.
    await until(query('count_over_time(joerl_actors_active[1m])'), (b) => b.data?.result?.some((r: any) => Number(r.value[1]) >= 3), 'three scrapes');
    // Panics come every third fault (panic, stuck handler, dead shard), 3 s apart so each lands on a
    // shard that is up (at 1 s a panic landed on the shard still being killed, again and again);
    // the alert (no "for") fires once scrapes have seen the counter grow.
    const alerts = await until('/api/v1/alerts', (b) => b.data?.alerts?.some((a: any) => a.labels.alertname === 'JoerlActorPanics' && a.state === 'firing'), 'JoerlActorPanics firing');
    const firing = alerts.data.alerts.find((a: any) => a.labels.alertname === 'JoerlActorPanics');
    assert.is(firing.labels.type, 'HashWorker');
    assert.is(firing.labels.severity, 'critical');

    const rules = await api('/api/v1/rules');
    const loaded = rules.data.groups.flatMap((g: any) => g.rules).filter((r: any) => r.type === 'alerting');
    assert.equal(loaded.map((r: any) => r.name).sort(), [...SPEC_ALERTS].sort());
    for (const r of loaded) assert.is(r.health, 'ok', `${r.name} evaluates without error (${r.lastError ?? ''})`);

    const results = new Map<string, number>();
    for (const q of dashboardQueries('1m')) {
      const body = await api(query(q.expr));
      assert.is(body.status, 'success', `${q.panel}: ${q.expr} -> ${body.error ?? ''}`);
      results.set(q.panel, body.data.result.length);
    }
    // The demo's workload shows on the panels that matter.
    for (const panel of ['Active actors by type A', 'Transitions per second (top 10) A', 'Call latency by type A', 'Restarts per second by strategy A', 'Machines in each state A', 'Message throughput B']) {
      assert.ok((results.get(panel) ?? 0) > 0, `${panel} has data`);
    }
  } finally {
    prom?.kill('SIGTERM');
    demo.kill('SIGINT');
    await Promise.all([prom === undefined ? null : new Promise((r) => (prom!.exitCode !== null ? r(null) : prom!.once('exit', r))), d.exited]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
