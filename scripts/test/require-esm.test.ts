// require() of the ESM-only packages works where Node loads ES modules from require (20.19+, 22.12+), as the README says.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from './helpers.ts';

const test = suite('require(esm)');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const loadsEsm = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23;

const SCRIPT = `
const { ActorSystem } = require('@joerl/runtime');
const { StatsdExporter } = require('@joerl/telemetry');
const { createHealthHandler } = require('@joerl/health');
if (typeof StatsdExporter !== 'function' || typeof createHealthHandler !== 'function') throw new Error('missing exports');
ActorSystem.start({ threads: 1 }).then(async (system) => {
  console.log('shards', system.shards);
  await system.shutdown();
});
`;

test(`Node ${process.versions.node}: require() ${loadsEsm ? 'loads the packages, and a system starts' : 'refuses the packages with ERR_REQUIRE_ESM'}`, () => {
  const r = run(process.execPath, ['-e', SCRIPT]);
  if (loadsEsm) {
    assert.is(r.status, 0, r.output);
    assert.match(r.stdout, /^shards 1$/m);
  } else {
    assert.is.not(r.status, 0);
    assert.match(r.output, /ERR_REQUIRE_ESM/);
  }
});

test.run();
