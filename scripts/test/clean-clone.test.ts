// A clean clone builds: the files git would hand out (no dist/, no .tsbuildinfo) pass `tsc -b` at the root.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, git, run } from './helpers.ts';

const test = suite('clean clone');

/** Tracked files plus new ones not ignored: what a clone has once the work is committed. */
function checkoutFiles(): string[] {
  return git(['ls-files', '--cached', '--others', '--exclude-standard', '-z'])
    .split('\0')
    .filter((f) => f.length > 0 && existsSync(join(ROOT, f)));
}

/** The workspaces, by package name, as `npm ci` links them into node_modules/@joerl. */
function workspaces(): Array<{ name: string; dir: string }> {
  const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return rootPkg.workspaces.map((dir) => ({ name: (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string }).name, dir }));
}

test('no build output is tracked', () => {
  const built = checkoutFiles().filter((f) => /(^|\/)dist\/|\.tsbuildinfo$/.test(f));
  assert.equal(built, [], 'dist/ and .tsbuildinfo are build output');
});

test("the checkout alone builds: `tsc -b` at the root succeeds and emits every package's declarations", () => {
  const dir = mkdtempSync(join(tmpdir(), 'joerl-clone-'));
  try {
    for (const f of checkoutFiles()) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      copyFileSync(join(ROOT, f), join(dir, f));
    }
    // Installed dependencies are shared with this tree (no network); the workspaces
    // link to the copy, as npm would link them, so nothing resolves to this tree's dist/.
    mkdirSync(join(dir, 'node_modules', '@joerl'), { recursive: true });
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (entry !== '@joerl') symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
    }
    for (const ws of workspaces()) symlinkSync(join(dir, ws.dir), join(dir, 'node_modules', ws.name));

    const r = run(process.execPath, ['scripts/build.mjs', '--quiet', '--check'], dir);
    assert.is(r.status, 0, `build failed:\n${r.output}`);
    for (const pkg of ['telemetry', 'runtime', 'health']) {
      for (const out of ['index.js', 'index.d.ts', 'index.d.ts.map']) {
        assert.ok(existsSync(join(dir, 'packages', pkg, 'dist', out)), `packages/${pkg}/dist/${out}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
