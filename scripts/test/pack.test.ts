// What `npm pack` would publish for each package: what a user needs, nothing else, and metadata that leads back here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, binOf, run } from './helpers.ts';

const test = suite('pack');
const PACKAGES = ['telemetry', 'runtime', 'health', 'observer'];
const REPO = 'https://github.com/joerl-node/joerl-node';
const LICENSE = readFileSync(join(ROOT, 'LICENSE'), 'utf8');

interface Manifest {
  name: string;
  license: string;
  homepage: string;
  bugs: { url: string };
  repository: { type: string; url: string; directory: string };
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
}

/** The files `npm pack` would put in the tarball (lifecycle scripts off: prepack would rebuild dist/ under the other tests). */
function packed(pkg: string): string[] {
  const r = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], join(ROOT, 'packages', pkg));
  assert.is(r.status, 0, r.output);
  const [report] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>;
  return report!.files.map((f) => f.path).sort();
}

/** Every file an exports map points at, through nested conditions. */
function exportTargets(node: unknown): string[] {
  if (typeof node === 'string') return [node.replace(/^\.\//, '')];
  if (typeof node === 'object' && node !== null) return Object.values(node).flatMap(exportTargets);
  return [];
}

for (const pkg of PACKAGES) {
  const dir = join(ROOT, 'packages', pkg);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

  test(`${manifest.name}: README, LICENSE, package.json, dist js and d.ts; no tsbuildinfo, no tests`, () => {
    const files = packed(pkg);
    for (const f of ['README.md', 'LICENSE', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/index.d.ts.map']) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    assert.equal(files.filter((f) => f.endsWith('.tsbuildinfo')), [], 'no .tsbuildinfo');
    assert.equal(files.filter((f) => /(^|\/)(test|fixtures)\/|\.test\.[cm]?[jt]s$/.test(f)), [], 'no test files');
    // The observer's page is served from assets/ as it is (HTML, CSS, browser modules).
    assert.equal(files.filter((f) => !/^(dist|src|compat|assets)\/|^(README\.md|LICENSE|package\.json)$/.test(f)), [], 'nothing else at the top');
    if (pkg === 'observer') assert.ok(files.includes('assets/index.html') && files.includes('assets/app.js'), 'the page ships');
    for (const target of exportTargets(manifest.exports)) assert.ok(files.includes(target), `exports target ${target} is packed`);
  });

  test(`${manifest.name}: every dist file comes from a packed source (nothing stale), and every declaration map's source ships`, () => {
    const files = new Set(packed(pkg));
    for (const f of files) {
      const m = /^dist\/(.+)\.(js|d\.ts)(\.map)?$/.exec(f);
      if (m === null) continue;
      assert.ok(files.has(`src/${m[1]}.ts`), `${f} has src/${m[1]}.ts`);
      if (f.endsWith('.d.ts.map')) {
        const map = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { sources: string[] };
        for (const s of map.sources) assert.ok(files.has(join('dist', m[1]!, '..', s)), `${f} points at ${s}, which ships`);
      }
    }
  });

  test(`${manifest.name}: MIT LICENSE (the root's), README with install and a link home, repository metadata`, () => {
    assert.is(readFileSync(join(dir, 'LICENSE'), 'utf8'), LICENSE);
    assert.match(LICENSE, /^MIT License\n\nCopyright \(c\) 2026 the joerl for Node authors\n/);
    assert.is(manifest.license, 'MIT');
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    assert.match(readme, new RegExp(`^# ${manifest.name}\\n`));
    assert.match(readme, new RegExp(`npm i (\\S+ )*${manifest.name}`));
    assert.ok(readme.includes(`${REPO}#readme`), 'links to the main README');
    assert.equal(manifest.repository, { type: 'git', url: `git+${REPO}.git`, directory: `packages/${pkg}` });
    assert.is(manifest.homepage, `${REPO}/tree/main/packages/${pkg}#readme`);
    assert.is(manifest.bugs.url, `${REPO}/issues`);
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (dep.startsWith('@joerl/')) assert.is.not(range, '*', `${dep} has a real version`);
    }
  });

  test(`${manifest.name}: publint finds nothing (warnings count)`, () => {
    const r = run(process.execPath, [binOf('publint', 'publint'), 'run', '--strict', dir]);
    assert.is(r.status, 0, r.output);
    assert.match(r.output, /All good!/);
  });
}

test.run();
