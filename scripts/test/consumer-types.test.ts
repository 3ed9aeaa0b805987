// The published declarations, as a consumer sees them, on the oldest supported TypeScript and the latest.
//
// scripts/test/fixtures/consumer imports each package through node_modules and
// the packages' "exports" (so dist/*.d.ts, and compat/ for old compilers), with
// skipLibCheck off, with it on (where a broken declaration silently turns into
// `any`, and only the @ts-expect-error lines notice), and with bundler resolution.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILERS, ROOT, tsc } from './helpers.ts';

const test = suite('consumer types');
const CONSUMER = join(ROOT, 'scripts', 'test', 'fixtures', 'consumer');
const CONFIGS = ['tsconfig.json', 'tsconfig.skip-lib-check.json', 'tsconfig.bundler.json'];
const MIN_TS = '5.0';

test(`the minimum compiler is TypeScript ${MIN_TS}, and the latest is the one the repo builds with`, () => {
  const min = tsc('typescript-min', ['--version']).stdout;
  assert.match(min, new RegExp(`Version ${MIN_TS.replace('.', '\\.')}\\.\\d+`));
  const installed = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }).version;
  assert.match(tsc('typescript', ['--version']).stdout, new RegExp(`Version ${installed.replaceAll('.', '\\.')}`));
});

for (const { label, pkg } of COMPILERS) {
  for (const config of CONFIGS) {
    test(`a consumer compiles against the declarations (${label} TypeScript, ${config})`, () => {
      const r = tsc(pkg, ['-p', join(CONSUMER, config)]);
      assert.is(r.status, 0, r.output);
    });
  }
}

test.run();
