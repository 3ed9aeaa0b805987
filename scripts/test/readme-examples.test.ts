// The ```ts examples of README.md and every package README compile, on the oldest supported TypeScript and the latest.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILERS, ROOT, tsc } from './helpers.ts';
import { extractBlocks, mapErrors, writeProject } from './readme-blocks.ts';

const test = suite('readme examples');

const READMES = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'packages'))
    .map((p) => join(ROOT, 'packages', p, 'README.md'))
    .filter((p) => existsSync(p)),
];

/** A scratch folder inside the repository (the packages resolve through its node_modules); ignored by git. */
function scratch(): string {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  return mkdtempSync(join(ROOT, '.tmp', 'readme-'));
}

test('the examples are found, and hardly any is skipped', () => {
  const main = extractBlocks(join(ROOT, 'README.md'), ROOT);
  assert.ok(main.length >= 12, `README.md has ${main.length} ts blocks`);
  const skipped = READMES.flatMap((md) => extractBlocks(md, ROOT)).filter((b) => b.skipped);
  assert.ok(skipped.length <= 2, `skipped: ${skipped.map((b) => `${b.source}:${b.line}`).join(', ')}`);
  for (const pkg of ['runtime', 'telemetry', 'health', 'observer']) {
    const md = join(ROOT, 'packages', pkg, 'README.md');
    assert.ok(READMES.includes(md) && extractBlocks(md, ROOT).length > 0, `packages/${pkg}/README.md, with an example`);
  }
});

for (const { label, pkg } of COMPILERS) {
  test(`every example compiles (${label} TypeScript)`, () => {
    const dir = scratch();
    try {
      const blocks = writeProject(READMES, ROOT, dir);
      const r = tsc(pkg, ['-p', 'tsconfig.json'], dir);
      assert.is(r.status, 0, mapErrors(r.output, blocks));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a wrong example fails, and the error points into the markdown', () => {
  const dir = scratch();
  try {
    const md = join(dir, 'WRONG.md');
    writeFileSync(md, ['# A wrong example', '', '```ts', "import { ActorSystem } from '@joerl/runtime';", 'await ActorSystem.start({ threads: "two" });', '```', ''].join('\n'));
    const project = join(dir, 'project');
    const blocks = writeProject([md], ROOT, project);
    const r = tsc('typescript', ['-p', 'tsconfig.json'], project);
    assert.is.not(r.status, 0);
    assert.match(mapErrors(r.output, blocks), /^\.tmp\/readme-\w+\/WRONG\.md:5:\d+: error TS2322/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
