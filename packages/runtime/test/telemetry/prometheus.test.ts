// Real Prometheus parts: promtool lints our exposition; a Prometheus server scrapes the endpoint and answers PromQL.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Pid } from '@joerl/runtime';
import { expect, probe, withSystem } from '../helpers.ts';
import { scrape } from './exposition.ts';

const test = suite('prometheus');
const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);

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

test('promtool check metrics passes on the live exposition', () =>
  withSystem({ threads: 2 }, async (system) => {
    const server = await system.serveMetrics({ port: 0 });
    const inbox = system.inbox();
    const p = await probe(system, inbox, 2, { tag: 'linted' });
    const ref = inbox.monitor(p);
    system.send(p, { op: 'panic', message: 'for promtool' });
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'down');
    const c = await system.spawn(COUNTER, undefined, { shard: 1 });
    await system.call(c, { kind: 'add', n: 1 });
    const { text } = await scrape(server.url);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.is(r.error, undefined, 'promtool is installed (Debian package prometheus; .ci/run installs it)');
    assert.is(`${r.stdout}${r.stderr}`.trim(), '', 'no lint findings');
    assert.is(r.status, 0);
  }));

test('a real Prometheus server scrapes the endpoint and answers a PromQL query from the spec', () =>
  withSystem({ threads: 2 }, async (system) => {
    const server = await system.serveMetrics({ port: 0 });
    const inbox = system.inbox();
    for (let i = 0; i < 3; i++) await probe(system, inbox, (i % 2) + 1, { tag: `live${i}` });
    const c = (await system.spawn(COUNTER, undefined, { shard: 2 })) as Pid<any>;
    for (let i = 0; i < 5; i++) await system.call(c, { kind: 'add', n: 1 });

    const dir = mkdtempSync(join(tmpdir(), 'joerl-prom-'));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: joerl\n    static_configs:\n      - targets: ['127.0.0.1:${server.port}']\n`,
    );
    const prom = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prom.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => prom.once('exit', r));
    try {
      // "Active actors by type", from the spec's examples (as valid PromQL).
      const query = 'sum by (type) (joerl_actors_active)';
      const url = `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(query)}`;
      let result: Array<{ metric: { type?: string }; value: [number, string] }> = [];
      // Await the event that matters, Prometheus having scraped us, by asking
      // it; the loop ends as soon as it has (or the test fails after a minute).
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const dead = await Promise.race([exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 250))]);
        assert.is(dead, 'alive', `prometheus exited: ${log.slice(-500)}`);
        try {
          const body = (await (await fetch(url)).json()) as { status: string; data: { result: typeof result } };
          if (body.status === 'success' && body.data.result.length > 0) {
            result = body.data.result;
            break;
          }
        } catch {
          // not listening yet
        }
      }
      const byType = new Map(result.map((r) => [r.metric.type, Number(r.value[1])]));
      assert.is(byType.get('Probe'), 3);
      assert.is(byType.get('Counter'), 1);
      const targets = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string }> } };
      assert.is(targets.data.activeTargets[0]?.health, 'up');
    } finally {
      prom.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }));

test.run();
