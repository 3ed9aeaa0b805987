// StatsD options are validated at the door: every bad one is a TelemetryOptionError with code ERR_INVALID_OPTION naming the option.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { StatsdExporter, TelemetryOptionError } from '@joerl/telemetry';

const BAD: Array<[unknown, RegExp]> = [
  ['localhost:8125', /statsd options must be an object/],
  [{ host: '' }, /options\.host must be a host name or address, got ""/],
  [{ port: 0 }, /options\.port must be an integer from 1 to 65535, got 0/],
  [{ port: 70_000 }, /options\.port .* got 70000/],
  [{ port: '8125' }, /options\.port .* got "8125"/],
  [{ prefix: 'my app.' }, /options\.prefix must be a string without spaces/],
  [{ prefix: 'a|b' }, /options\.prefix/],
  [{ sampleRate: 0 }, /options\.sampleRate must be a number in \(0, 1\], got 0/],
  [{ sampleRate: 1.5 }, /options\.sampleRate/],
  [{ sampleRate: Number.NaN }, /options\.sampleRate .* got NaN/],
  [{ intervalMs: -1 }, /options\.intervalMs must be an integer from 0 \(no timer\)/],
  [{ intervalMs: 2.5 }, /options\.intervalMs/],
  [{ globalTags: ['env:prod'] }, /options\.globalTags must be an object .* got an array/],
  [{ globalTags: { env: 1 } }, /options\.globalTags\.env must be a string/],
  [{ globalTags: { 'my env': 'x' } }, /the tag name "my env"/],
  [{ globalTags: { env: 'a,b' } }, /options\.globalTags\.env/],
  [{ onError: 'log' }, /options\.onError must be a function/],
];

test('bad options: TelemetryOptionError, code ERR_INVALID_OPTION, the option named', () => {
  for (const [options, message] of BAD) {
    try {
      StatsdExporter.start(new Registry(), options as never);
      assert.unreachable(JSON.stringify(options));
    } catch (err) {
      assert.instance(err, TelemetryOptionError, String(options));
      assert.is((err as TelemetryOptionError).code, 'ERR_INVALID_OPTION');
      assert.match((err as Error).message, message);
    }
  }
});

test('without a registry: a TypeError that says what to pass', () => {
  assert.throws(() => StatsdExporter.start({} as never), (err: Error) => err instanceof TypeError && /system\.metrics/.test(err.message));
});

test('defaults: the agent on 127.0.0.1:8125', async () => {
  const exp = StatsdExporter.start(new Registry(), { intervalMs: 0 });
  assert.is(exp.target, '127.0.0.1:8125');
  await exp.close();
});

test.run();
