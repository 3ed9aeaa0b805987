// Spawns another node asked for with a monitor at birth: the monitor's proxy ref lives exactly as long as a DOWN can still come.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pid } from '../../src/actor/pid.ts';
import type { Connections } from '../../src/node/connections.ts';
import type { Peer } from '../../src/node/peer.ts';
import { resolveName } from '../../src/node/module-names.ts';
import { ProxyRefs } from '../../src/node/proxy-refs.ts';
import { RemoteSpawns } from '../../src/node/remote-spawns.ts';
import type { RemoteBirth } from '../../src/shard/spawn.ts';
import type { ThreadRuntime } from '../../src/shard/thread-runtime.ts';
import { W_SPAWN_REPLY, type WireSpawn } from '../../src/node/wire.ts';

/** A RemoteSpawns whose spawner does `spawn` and whose connection records what it pushed. */
function serving(spawn: (birth: RemoteBirth) => Promise<unknown>, module = 'actors/w.mjs') {
  let next = 100;
  const refs = new ProxyRefs(() => next++);
  const pushed: unknown[][] = [];
  const hrefs: string[] = [];
  const rt = { spawner: { spawn: (h: string, _a: unknown, _o: unknown, _p: null, _m: string, birth: RemoteBirth) => (hrefs.push(h), spawn(birth)) } } as unknown as ThreadRuntime;
  const conns = { push: (...args: unknown[]) => void pushed.push(args) } as unknown as Connections;
  const spawns = new RemoteSpawns(rt, conns, refs, 'file:///srv/root/');
  const peer = { id: 7 } as Peer;
  const parent = new Pid(7, 1, 5);
  const spec: WireSpawn = { module, export: 'default', args: null, parent, mode: 'monitor', ref: 4096 * 3 + 1 };
  /** The spawn-reply frames pushed so far: [pid, error]. */
  const replies = () => pushed.filter((f) => f[1] === W_SPAWN_REPLY).map((f) => [f[3], f[4]]);
  return { refs, replies, hrefs, serve: () => spawns.serve(peer, 1, spec) };
}

const settled = () => new Promise((r) => setImmediate(r));

test('a spawnMonitor refused before any process existed forgets its proxy ref (no DOWN will come to translate it)', async () => {
  // Regression: the entry minted for the monitor stayed until the requesting node went down, one per refused spawn.
  const s = serving(() => Promise.reject(Object.assign(new Error('name taken'), { code: 'ERR_NAME_TAKEN' })));
  s.serve();
  await settled();
  assert.is(s.replies().length, 1, 'the refusal was answered');
  assert.is(s.replies()[0]![0], null, 'with no pid');
  assert.is(s.refs.size, 0);
});

test('a spawnMonitor whose process started and failed keeps its proxy ref: that process DOWN translates it and ends it', async () => {
  const s = serving((birth) => {
    birth.replied(new Pid(0, 2, 9), new Error('init failed'));
    return Promise.reject(new Error('init failed'));
  });
  s.serve();
  await settled();
  assert.is(s.replies().length, 1, 'answered once');
  assert.is(s.refs.size, 1);
});

test('a module name that resolves outside the root is refused, however it is spelt, and nothing is loaded', async () => {
  // Regression: only a literal ".." segment was refused; the URL parser reads %2e%2e and a backslash as ".." and "/".
  for (const name of ['%2e%2e/%2e%2e/etc/x.js', '..\\..\\etc\\x.js', 'a/%2E%2E/%2e%2E/%2e./x.js', '.%2e/x.js', '//host/x.js', '']) {
    const s = serving(() => Promise.resolve(new Pid(0, 1, 1)), name);
    s.serve();
    await settled();
    assert.equal(s.hrefs, [], `${JSON.stringify(name)}: nothing spawned`);
    const [pid, err] = s.replies()[0] as [unknown, { code?: string }];
    assert.is(pid, null);
    assert.is(err.code, 'ERR_INVALID_ARGUMENT', JSON.stringify(name));
  }
  assert.is(resolveName('file:///srv/root/', 'actors/w.mjs'), 'file:///srv/root/actors/w.mjs');
  assert.is(resolveName('file:///srv/root/', 'a/./b.mjs'), 'file:///srv/root/a/b.mjs');
  assert.throws(() => resolveName('file:///srv/root/', '..\\x.js'), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT');
});

test.run();
