// A real browser (Debian's headless Chromium, driven by playwright-core) opens the page against a running system:
// the table fills, sorts, a process opens, Kill goes through the confirmation, and the tree shows the restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ActorSystem, type Inbox, type Pid, Supervisor } from '@joerl/runtime';
import { serveObserver } from '@joerl/observer';
import type { ProbeCmd } from '../../runtime/test/fixtures/probe.actor.ts';
import type { TreeArgs } from '../../runtime/test/fixtures/tree.sup.ts';
import type { Page } from 'playwright-core';
import { PROBE, TREE } from './helpers.ts';

/** Screenshots go here (gitignored). */
const OUTPUT = fileURLToPath(new URL('./output/', import.meta.url));
const CANDIDATES = [process.env.JOERL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const chromiumPath = CANDIDATES.find((p): p is string => p !== undefined && p !== '' && existsSync(p));

/**
 * Waits until the table's row pids (top to bottom) pass `check`. It asks from
 * here, with $$eval, because the page's CSP forbids the eval that
 * waitForFunction's in-page polling needs.
 */
async function untilRows(page: Page, check: (pids: string[]) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const pids = await page.$$eval('tbody tr[data-pid]', (rows) => rows.map((r) => (r as unknown as { dataset: { pid: string } }).dataset.pid));
    if (check(pids)) return;
    assert.ok(Date.now() < deadline, `the table never showed ${what}: ${pids.join(' ')}`);
    await page.waitForTimeout(25);
  }
}

async function report(inbox: Inbox, event: string, tag: string): Promise<any> {
  const m = await inbox.receive((x: any) => x?.event === event && x.tag === tag, { timeoutMs: 20_000 });
  assert.ok(m !== undefined, `never received ${event} from ${tag}`);
  return m;
}

test('the page only loads files the server serves, and each of its modules is imported from app.js', () => {
  const assets = new URL('../assets/', import.meta.url);
  const html = readFileSync(new URL('index.html', assets), 'utf8');
  assert.match(html, /<script type="module" src="__OBSERVER_BASE__\/assets\/app\.js"><\/script>/);
  assert.not.match(html, /<script>|\sstyle="|\son\w+="/, 'no inline script, style or handler (the CSP forbids them)');
  const app = readFileSync(new URL('app.js', assets), 'utf8');
  for (const f of ['charts.js', 'detail.js', 'format.js', 'table.js', 'tree.js']) assert.ok(app.includes(`from './${f}'`), f);
});

if (chromiumPath === undefined && process.env.CI) {
  test('CI runs the browser test', () => {
    assert.unreachable('no Chromium found (looked for $JOERL_CHROMIUM, /usr/bin/chromium...): .ci/run installs the Debian package chromium');
  });
} else if (chromiumPath === undefined) {
  console.log('SKIPPED the browser test: no Chromium found (set JOERL_CHROMIUM, or `apt-get install -y chromium`); CI installs it and runs it.');
  test.skip('a real browser fills, sorts and opens the table, kills a child and sees the tree restart it', () => {});
} else {
  test('a real browser fills, sorts and opens the table, kills a child and sees the tree restart it', async () => {
    const { chromium } = await import('playwright-core');
    const system = await ActorSystem.start({ threads: 2 });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const problems: string[] = [];
    try {
      const inbox = system.inbox();
      const child = (id: string, shard: number) => ({ id, module: PROBE.href, args: { report: inbox.pid, tag: id }, shard });
      const root = await system.spawn(TREE, { strategy: 'one_for_one', children: [child('a', 1), child('b', 2)] } satisfies TreeArgs, { shard: 1, name: 'shop' });
      await report(inbox, 'started', 'a');
      const b = (await report(inbox, 'started', 'b')).pid as Pid<ProbeCmd>;
      // A process with the longest mailbox: sorting by mailbox puts it first.
      const busy = (await system.spawn(PROBE, { report: inbox.pid, tag: 'busy', name: 'backlog' }, { shard: 2 })) as Pid<ProbeCmd>;
      await report(inbox, 'started', 'busy');
      system.send(busy, { op: 'select', want: 'never' });
      await report(inbox, 'selecting', 'busy');
      for (let i = 0; i < 5; i++) system.send(busy, { op: 'ping' });
      const observer = await serveObserver(system, { port: 0, intervalMs: 250 });

      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      page.setDefaultTimeout(20_000);
      // The detail of a process that has exited is a 404 by design (the drawer then says so): the browser logs it.
      page.on('console', (m) => void (m.type() === 'error' && !m.location().url.includes('/observer/api/process?') && problems.push(`console: ${m.text()} (${m.location().url})`)));
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.goto(observer.url);

      // The table fills from the live feed.
      await page.waitForSelector(`tr[data-pid="${String(b)}"]`);
      await page.waitForSelector('.conn-live');
      assert.is(await page.locator('tr[data-pid]').count(), 4, 'the supervisor, a, b and the backlog');

      // Sort by mailbox: the backlog comes first, and the header says so.
      // The backlog is first by message rate too (the default sort): rows drawn before the click are
      // marked, so the checks below read a table drawn after it (the header changes at once, rows later).
      // Marked and clicked in one task of the page: a table drawn between the two (a live update) was
      // drawn sorted by rate and unmarked, and the checks read its rate column (a CI run saw 0.2, not 5).
      await page.$$eval('tbody tr[data-pid], th button[data-sort="mailbox"]', (els) => {
        for (const e of els) if (e.tagName === 'TR') e.setAttribute('data-before-sort', '');
        for (const e of els) if (e.tagName === 'BUTTON') (e as unknown as { click(): void }).click();
      });
      await page.waitForSelector('tbody tr[data-pid]:not([data-before-sort])');
      await untilRows(page, (pids) => pids[0] === String(busy), 'the backlog first');
      assert.match((await page.textContent('th.sorted'))!, /Mailbox ▼/);
      assert.is(await page.textContent('tbody tr:first-child td.num.sorted'), '5');

      // Filter by name, then by shard; both are applied on the shards, before the top N.
      await page.fill('#filter', 'backlog');
      await untilRows(page, (pids) => pids.join() === String(busy), 'only the backlog');
      assert.is(await page.getAttribute('tbody tr[data-pid]', 'data-pid'), String(busy));
      await page.fill('#filter', '');
      await page.selectOption('#shard', '1');
      await untilRows(page, (pids) => pids.join() === `${String(root)},<0.1.2>`, 'only shard 1');
      await page.selectOption('#shard', '');
      await page.waitForSelector(`tr[data-pid="${String(b)}"]`);

      // Open b: its detail shows its link to its supervisor.
      await page.click(`tr[data-pid="${String(b)}"]`);
      await page.waitForSelector(`.drawer h2:text("Process ${String(b)}")`);
      await page.waitForSelector('.drawer h3:text("Links (1)")');
      assert.ok(await page.isVisible(`.drawer .pid-link:text("${String(root)}")`));
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: `${OUTPUT}observer-detail.png` });

      // Kill it, through the confirmation; its supervisor restarts it and the tree shows the restart.
      await page.click('.drawer button.danger');
      await page.waitForSelector('dialog#confirm[open]');
      await page.click('#confirm-ok');
      await page.waitForSelector(`.drawer .notice:text("Sent kill to ${String(b)}.")`);
      const b2 = (await report(inbox, 'started', 'b')).pid as Pid<ProbeCmd>;
      await page.waitForSelector('li.child.restarted[data-child="b"] .restarts:text("↻ 1")');
      assert.is(await page.textContent('li.child[data-child="b"] .pid-link'), String(b2));
      assert.is.not(String(b2), String(b));
      await page.waitForSelector('.drawer .exited:text("This process has exited.")');
      await page.waitForSelector('.events li.ev-restart:has-text("b restarted (1 so far)")');
      const tree = await system.supervisionTree();
      assert.equal(tree[0]!.children.map((c) => [c.id, c.restarts]), [['a', 0], ['b', 1]]);
      assert.equal((await Supervisor.whichChildren(system, root)).length, 2);

      await page.keyboard.press('Escape');
      await page.waitForSelector('.drawer', { state: 'hidden' });
      await page.screenshot({ path: `${OUTPUT}observer.png`, fullPage: true });
      assert.equal(problems, [], 'no script error and no CSP violation in the page');
      inbox.close();
    } finally {
      await browser.close();
      await system.shutdown();
    }
  });

  test('a cancelled confirmation never acts, after an earlier one was confirmed; Enter in the reason field confirms', async () => {
    const { chromium } = await import('playwright-core');
    const system = await ActorSystem.start({ threads: 1 });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    try {
      const inbox = system.inbox();
      const spawn = async (tag: string) => {
        await system.spawn(PROBE, { report: inbox.pid, tag }, { shard: 1 });
        return (await report(inbox, 'started', tag)).pid as Pid<ProbeCmd>;
      };
      const [a, b] = [await spawn('a'), await spawn('b')];
      const downA = inbox.monitor(a);
      const downB = inbox.monitor(b);
      // A limit the rows menu does not offer: the page asks for it, and the menu shows it (regression: always 100).
      const observer = await serveObserver(system, { port: 0, intervalMs: 250, limit: 7 });
      const page = await browser.newPage();
      page.setDefaultTimeout(20_000);
      const posts: string[] = [];
      const streams: string[] = [];
      page.on('request', (r) => void (r.method() === 'POST' && posts.push(`${new URL(r.url()).pathname} ${r.postData()}`)));
      page.on('request', (r) => void (new URL(r.url()).pathname.endsWith('/events') && streams.push(new URL(r.url()).searchParams.get('limit') ?? '')));
      await page.goto(observer.url);
      await page.waitForSelector(`tr[data-pid="${String(a)}"]`);
      assert.is(await page.$eval('#limit', (el) => (el as unknown as { value: string }).value), '7');
      assert.equal([...new Set(streams)], ['7']);
      const open = async (pid: Pid) => {
        await page.click(`tr[data-pid="${String(pid)}"]`);
        await page.waitForSelector(`.drawer h2:text("Process ${String(pid)}")`);
        await page.waitForSelector('.drawer h3:text("State")');
      };

      // Kill a, confirmed with the dialog's button: the dialog's returnValue is now 'ok'.
      await open(a);
      await page.click('.drawer button.danger');
      await page.waitForSelector('dialog#confirm[open]');
      await page.click('#confirm-ok');
      await page.waitForSelector(`.drawer .notice:text("Sent kill to ${String(a)}.")`);
      const down = await inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === downA, { timeoutMs: 20_000 });
      assert.is((down as any).reason, 'killed');

      // Kill b, then Escape: nothing is sent.
      await open(b);
      await page.click('.drawer button.danger');
      await page.waitForSelector('dialog#confirm[open]');
      await page.keyboard.press('Escape');
      await page.waitForSelector('dialog#confirm', { state: 'hidden' });

      // Send exit to b, its reason typed and confirmed with Enter: that is the one signal b gets.
      await page.click('.drawer button.warn');
      await page.waitForSelector('dialog#confirm[open]');
      await page.fill('#confirm-reason', 'maintenance');
      await page.press('#confirm-reason', 'Enter');
      await page.waitForSelector(`.drawer .notice:text("Sent maintenance to ${String(b)}.")`);
      const downOfB = await inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === downB, { timeoutMs: 20_000 });
      assert.equal((downOfB as any).reason, { kind: 'custom', value: 'maintenance' }, 'b got the exit, not a kill');
      assert.equal(posts, [
        `/observer/api/kill {"pid":"${String(a)}"}`,
        `/observer/api/exit {"pid":"${String(b)}","reason":"maintenance"}`,
      ]);
      inbox.close();
    } finally {
      await browser.close();
      await system.shutdown();
    }
  });
}

test.run();
