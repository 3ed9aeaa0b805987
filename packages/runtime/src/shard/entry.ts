// Shard worker entry: builds this thread's runtime from workerData and exposes its admin object to the main thread.

import { performance } from 'node:perf_hooks';
import * as Comlink from 'comlink';
import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { portEndpoint } from './admin-channel.js';
import { ShardAdmin } from './admin.js';
import { type FromShard, type RingNotice, type ShardInit, ringChannelName } from './protocol.js';
import { loadProvider } from './provider.js';
import { ThreadRuntime } from './thread-runtime.js';

const init = workerData as ShardInit;
const port = parentPort!;
const rt = new ThreadRuntime(init, init.config.spinMicros, {
  links: {
    // A ring this shard made reaches its consumer straight away on that thread's channel, and the
    // main thread, which records it for restarts (system/link-broker.ts).
    ringOpened: (to, ring) => {
      const ch = new BroadcastChannel(ringChannelName(init.systemId, to));
      ch.postMessage({ from: init.thread, ring } satisfies RingNotice);
      ch.close();
      port.postMessage({ type: 'ring-opened', to, ring } satisfies FromShard);
    },
    channelWanted: (to) => port.postMessage({ type: 'channel-wanted', to } satisfies FromShard),
  },
});
// Rings other shards make to this one (unref'd: it never keeps a finished shard alive).
const rings = new BroadcastChannel(ringChannelName(init.systemId, init.thread));
rings.onmessage = (e) => {
  const n = (e as { data: RingNotice }).data;
  rt.state.transport.input.attachRing(n.from, n.ring);
  rt.state.scheduler.kick();
};
rings.unref();
if (init.provider !== null) rt.provider = await loadProvider(init.provider, init.thread);

// A restarted shard first tells every consumer to drop any half-received
// message its predecessor left behind.
if (init.incarnation > 0) rt.state.transport.announceRestart();
rt.state.scheduler.start();

// The loop tick: the watchdog on the main thread restarts this shard if it
// stops (a handler stuck in a loop, sync or after an await); the lag it
// measures feeds health. Unref'd: it never keeps a finished shard alive.
const TICK_MS = 20;
let lastTick = performance.now();
// The worst lag of the last second, so a spike stays visible to health for a while.
let worst = 0;
let worstAt = 0;
setInterval(() => {
  const now = performance.now();
  const lag = Math.max(0, now - lastTick - TICK_MS);
  if (lag >= worst || now - worstAt > 1000) {
    worst = lag;
    worstAt = now;
  }
  rt.tick(worst);
  lastTick = now;
}, TICK_MS).unref();

// The control plane: main's requests (introspection, stats, shard-down, shutdown) over our own channel.
const admin = init.admin!;
Comlink.expose(
  new ShardAdmin(rt, () => {
    rings.close();
    admin.close();
  }),
  portEndpoint(admin),
);
port.postMessage({ type: 'ready' } satisfies FromShard);
