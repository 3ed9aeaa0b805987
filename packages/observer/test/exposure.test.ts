// serveObserver on a metrics server that listens beyond this machine: refused unless `host` asks for it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ActorSystem } from '@joerl/runtime';
import { serveObserver } from '@joerl/observer';
import { checkExposure } from '../src/options.ts';

function refusal(fn: () => unknown): { code?: string; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err as { code?: string; message: string };
  }
}

test('a server bound beyond this machine needs host asked for; a loopback one does not', () => {
  for (const url of ['http://0.0.0.0:9090', 'http://[::]:9090', 'http://10.1.2.3:9090']) {
    const err = refusal(() => checkExposure(url, {}));
    assert.is(err?.code, 'ERR_INVALID_OPTION', url);
    assert.match(err!.message, /pass host: '/, url);
    assert.is(refusal(() => checkExposure(url, { host: '0.0.0.0' })), undefined, `${url} with host asked for`);
  }
  assert.match(refusal(() => checkExposure('http://[::]:9090', {}))!.message, /pass host: '::'/);
  for (const url of ['http://127.0.0.1:9090', 'http://127.0.0.2:80', 'http://[::1]:9090', 'http://localhost:9090']) {
    assert.is(refusal(() => checkExposure(url, {})), undefined, url);
  }
});

test('serveObserver refuses a running metrics server on 0.0.0.0 it was not told to use, before mounting anything', async () => {
  // (A stand-in system: a test binds nothing beyond 127.0.0.1.)
  let mounted = false;
  const server = {
    url: 'http://0.0.0.0:9090',
    route: () => {
      mounted = true;
    },
  };
  const system = { serveMetrics: async () => server, shards: 1 } as unknown as ActorSystem;
  try {
    await serveObserver(system);
    assert.unreachable('served on 0.0.0.0');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION');
  }
  assert.not.ok(mounted, 'nothing was mounted');
});

test.run();
