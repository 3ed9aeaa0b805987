// Spawns another node asked for with a monitor at birth: the monitor's proxy ref lives exactly as long as a DOWN can still come.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pid } from '../../src/actor/pid.ts';
import type { Connections } from '../../src/node/connections.ts';
import type { Peer } from '../../src/node/peer.ts';
import { ProxyRefs } from '../../src/node/proxy-refs.ts';
import { RemoteSpawns } from '../../src/node/remote-spawns.ts';
import type { RemoteBirth } from '../../src/shard/spawn.ts';
import type { ThreadRuntime } from '../../src/shard/thread-runtime.ts';
import { W_SPAWN_REPLY, type WireSpawn } from '../../src/node/wire.ts';

/** A RemoteSpawns whose spawner does `spawn` and whose connection records what it pushed. */
function serving(spawn: (birth: RemoteBirth) => Promise<unknown>) {
  let next = 100;
  const refs = new ProxyRefs(() => next++);
  const pushed: unknown[][] = [];
  const rt = { spawner: { spawn: (_h: string, _a: unknown, _o: unknown, _p: null, _m: string, birth: RemoteBirth) => spawn(birth) } } as unknown as ThreadRuntime;
  const conns = { push: (...args: unknown[]) => void pushed.push(args) } as unknown as Connections;
  const spawns = new RemoteSpawns(rt, conns, refs, 'file:///srv/root/');
  const peer = { id: 7 } as Peer;
  const parent = new Pid(7, 1, 5);
  const spec: WireSpawn = { module: 'actors/w.mjs', export: 'default', args: null, parent, mode: 'monitor', ref: 4096 * 3 + 1 };
  /** The spawn-reply frames pushed so far: [pid, error]. */
  const replies = () => pushed.filter((f) => f[1] === W_SPAWN_REPLY).map((f) => [f[3], f[4]]);
  return { refs, replies, serve: () => spawns.serve(peer, 1, spec) };
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

test.run();
