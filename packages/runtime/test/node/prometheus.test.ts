// A real Prometheus scrapes two nodes; one is killed (SIGKILL) while it scrapes; every query of the dashboard's Nodes row returns data.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorSystem } from '@joerl/runtime';
import { expectReport } from '../helpers.ts';
import { startChild } from './child.ts';
import { FAST, connected, down } from './helpers.ts';
import { freePort, startNats } from './nats-server.ts';

const test = suite('nodes: prometheus');
const DASHBOARD = fileURLToPath(new URL('../../../../dashboards/joerl.json', import.meta.url));

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ refId: string; expr: string }>;
  panels?: Panel[];
}

/** The queries of the dashboard's Nodes row, with Grafana's variables replaced. */
function nodesRow(): Array<{ panel: string; expr: string }> {
  const panels = (JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] }).panels;
  const row = panels.find((p) => p.type === 'row' && p.title === 'Nodes');
  assert.ok(row?.panels !== undefined && row.panels.length > 0, 'the dashboard has a Nodes row');
  return row!.panels!.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: `${p.title} ${t.refId}`, expr: t.expr.replaceAll('$__rate_interval', '15s').replaceAll('$instance', '.*') })));
}

test('every Nodes-row query has data while one of the two scraped nodes dies', async () => {
  const nats = await startNats();
  const a = await ActorSystem.start({ threads: 1, node: { name: 'a', cluster: 'prom', servers: nats.url, ...nats.auth, ...FAST, systemAccount: nats.system } });
  const dir = mkdtempSync(join(tmpdir(), 'joerl-prom-nodes-'));
  let prom: ChildProcess | undefined;
  let traffic: NodeJS.Timeout | undefined;
  const inA = a.inbox();
  const b = await startChild('b', nats.url, 'prom', inA.pid, { ...FAST, ...nats.auth });
  try {
    const server = await a.serveMetrics({ port: 0 });
    await connected(a, 'b');
    await expectReport(inA, 'started', 'b');
    // Messages both ways all along: b's probe answers every ping to a.
    traffic = setInterval(() => {
      try {
        a.send(b.pid, { op: 'ping' } as never);
      } catch {
        // after b is gone: reported as failed, which the row shows too
      }
      void inA.receive(() => true, { timeoutMs: 0 });
    }, 20);
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: joerl\n    static_configs:\n      - targets: ['127.0.0.1:${server.port}', '127.0.0.1:${b.metricsPort}']\n`,
    );
    prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const api = async (path: string): Promise<any> => {
      for (;;) {
        assert.is(prom!.exitCode, null, 'prometheus is running');
        try {
          return await (await fetch(`http://127.0.0.1:${promPort}${path}`)).json();
        } catch {
          await new Promise((r) => setTimeout(r, 100)); // not listening yet
        }
      }
    };
    const query = (expr: string) => `/api/v1/query?query=${encodeURIComponent(expr)}`;
    /** Asks Prometheus until `ok(body)`: the event awaited is its having scraped enough. */
    const until = async (expr: string, ok: (result: any[]) => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const body = await api(query(expr));
        if (body.status === 'success' && ok(body.data.result)) return;
        assert.ok(Date.now() < deadline, `Prometheus never reported ${what}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    // Both nodes scraped a few times, with traffic between them.
    await until('count_over_time(joerl_remote_messages_sent_total[1m])', (r) => r.length >= 2 && r.every((x) => Number(x.value[1]) >= 3), 'three scrapes of both nodes');
    const gone = down(a, 'b');
    b.proc.kill('SIGKILL');
    await gone;
    await until('up', (r) => r.some((x) => x.value[1] === '0'), 'the killed node\'s target down');
    // Two scrapes of each series born with the loss, so rates over them exist.
    await until('count_over_time(joerl_node_connection_lost_total[1m])', (r) => r.some((x) => Number(x.value[1]) >= 2), 'the lost connection, twice');
    await until('count_over_time(joerl_remote_messages_failed_total[1m])', (r) => r.some((x) => Number(x.value[1]) >= 2), 'failed remote messages, twice');
    for (const q of nodesRow()) {
      const body = await api(query(q.expr));
      assert.is(body.status, 'success', `${q.panel}: ${q.expr} -> ${body.error ?? ''}`);
      assert.ok(body.data.result.length > 0, `${q.panel} has data: ${q.expr}`);
    }
  } finally {
    clearInterval(traffic);
    prom?.kill('SIGTERM');
    if (prom !== undefined && prom.exitCode === null) await new Promise((r) => prom!.once('exit', r));
    await b.kill();
    await a.shutdown();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
