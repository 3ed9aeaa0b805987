// The structure check: the real tree passes; a tree with a type-only cycle, a backward layer import or a long file fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../check-structure.mjs', import.meta.url));
const check = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'joerl-structure-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('the packages have no import cycle, no backward layer import and no file over 450 lines', () => {
  const r = check();
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /structure ok/);
});

test('a type-only import cycle is found', () => {
  const dir = tree({
    'runtime/src/actor/a.ts': "import type { B } from './b.js';\nexport type A = B | 1;\n",
    'runtime/src/actor/b.ts': "// a comment: import type { A } from './nothing.js';\nexport type B = import('./a.js').A[];\n",
  });
  try {
    const r = check(dir);
    assert.is(r.status, 1);
    assert.match(r.stderr, /import cycle: runtime\/src\/actor\/(a|b)\.ts -> runtime\/src\/actor\/(a|b)\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a behaviour importing shard/, and a 451-line source or test file, are refused', () => {
  const dir = tree({
    'runtime/src/shard/x.ts': 'export const x = 1;\n',
    'runtime/src/behaviours/y.ts': "import { x } from '../shard/x.js';\nexport const y = x;\n",
    'telemetry/src/long.ts': 'export const z = 0;\n'.repeat(451),
    'runtime/test/long.test.ts': 'export const t = 0;\n'.repeat(451),
    'runtime/test/fixtures/ok.actor.mjs': 'export const f = 0;\n'.repeat(450),
  });
  try {
    const r = check(dir);
    assert.is(r.status, 1);
    assert.match(r.stderr, /layer violation: runtime\/src\/behaviours\/y\.ts imports runtime\/src\/shard\/x\.ts/);
    assert.match(r.stderr, /too long: telemetry\/src\/long\.ts has 451 lines/);
    // Tests are capped too; 450 lines is still fine.
    assert.match(r.stderr, /too long: runtime\/test\/long\.test\.ts has 451 lines/);
    assert.not.match(r.stderr, /ok\.actor\.mjs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the runtime or telemetry importing the observer (a package above them) is refused', () => {
  const dir = tree({
    'observer/src/index.ts': 'export const o = 1;\n',
    'runtime/src/system/z.ts': "import { o } from '../../../observer/src/index.js';\nexport const z = o;\n",
    'telemetry/src/t.ts': "import type { o } from '../../observer/src/index.js';\nexport type T = typeof o;\n",
  });
  try {
    const r = check(dir);
    assert.is(r.status, 1);
    assert.match(r.stderr, /layer violation: runtime\/src\/system\/z\.ts imports observer\/src\/index\.ts/);
    assert.match(r.stderr, /layer violation: telemetry\/src\/t\.ts imports observer\/src\/index\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
