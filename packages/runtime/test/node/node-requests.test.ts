// monitorNode as OTP's monitor_node: a node being connected to is watched, not reported down at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pid } from '../../src/actor/pid.ts';
import type { Connections } from '../../src/node/connections.ts';
import type { GlobalNames } from '../../src/node/global-names.ts';
import { NodeRequests } from '../../src/node/node-requests.ts';
import type { NodeWatchers } from '../../src/node/node-watchers.ts';
import type { Peer } from '../../src/node/peer.ts';
import type { RemoteSpawns } from '../../src/node/remote-spawns.ts';
import type { ThreadRuntime } from '../../src/shard/thread-runtime.ts';

/** NodeRequests over a connection table holding `peers` (name -> state), recording what it watched and what it told. */
function requests(peers: Record<string, Peer['state']>) {
  const watched: string[] = [];
  const told: unknown[] = [];
  const rt = { delivery: { sendQuiet: (_to: Pid, m: unknown) => void told.push(m) } } as unknown as ThreadRuntime;
  // As Connections.byName: a peer that is not down.
  const conns = { byName: (n: string) => (peers[n] !== undefined && peers[n] !== 'down' ? ({ name: n, state: peers[n] } as Peer) : undefined) } as unknown as Connections;
  const watchers = { add: (n: string) => void watched.push(n) } as unknown as NodeWatchers;
  const r = new NodeRequests(rt, 'a', conns, {} as RemoteSpawns, {} as GlobalNames, watchers, () => []);
  const monitor = (name: string) => r.handle('monitor_node', { name, watcher: new Pid(0, 0, 9) }, () => {});
  return { watched, told, monitor };
}

test('a node that is up or being connected to is watched; one unknown or down gets its nodedown at once', () => {
  // Regression: a node in the middle of (re)connecting got a nodedown at once, with no nodeup before it.
  const r = requests({ b: 'up', c: 'connecting', d: 'down' });
  for (const n of ['b', 'c', 'd', 'e']) r.monitor(n);
  assert.equal(r.watched, ['b', 'c']);
  assert.equal(r.told, [{ type: 'nodedown', node: 'd' }, { type: 'nodedown', node: 'e' }]);
});

test.run();
