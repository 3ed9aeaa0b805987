// Shard worker entry: builds this thread's runtime from workerData and exposes its admin object to the main thread.

import * as Comlink from 'comlink';
import { parentPort, workerData } from 'node:worker_threads';
import { portEndpoint } from './admin-channel.js';
import { ShardAdmin } from './admin.js';
import type { FromShard, ShardInit } from './protocol.js';
import { loadProvider } from './provider.js';
import { ThreadRuntime } from './thread-runtime.js';

const init = workerData as ShardInit;
const rt = new ThreadRuntime(init, init.config.spinMicros);
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
Comlink.expose(new ShardAdmin(rt, () => admin.close()), portEndpoint(admin));
parentPort!.postMessage({ type: 'ready' } satisfies FromShard);
