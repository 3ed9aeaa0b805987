// Shard worker entry: builds this thread's runtime from workerData and serves the control channel.

import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import { type ShardInit, type ToShard, type FromShard, type RingNotice, ringChannelName, unknownMessage } from './protocol.js';
import { ThreadRuntime } from './thread-runtime.js';
import { loadProvider } from './provider.js';

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
// Rings other shards make to this one.
const rings = new BroadcastChannel(ringChannelName(init.systemId, init.thread));
rings.onmessage = (e) => {
  const n = (e as { data: RingNotice }).data;
  rt.state.transport.attachRing(n.from, n.ring);
  rt.state.scheduler.kick();
};
rings.unref();
if (init.provider !== null) rt.provider = await loadProvider(init.provider, init.thread);

// A restarted shard first tells every consumer to drop any half-received
// message its predecessor left behind.
if (init.incarnation > 0) rt.state.transport.announceRestart();
rt.state.scheduler.start();

const reply = (msg: FromShard): void => port.postMessage(msg);

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

port.on('message', (msg: ToShard) => {
  switch (msg.type) {
    case 'shard-down':
      rt.onShardDown(msg.shard, msg.incarnation);
      rt.state.scheduler.kick();
      break;
    case 'shutdown':
      rt.shutdown(msg.timeoutMs).then(
        (pending) => {
          reply({ type: 'shutdown-done', pending });
          // Nothing ref'd is left: the thread ends on its own.
          rings.close();
          port.close();
        },
        (err: unknown) => {
          throw err;
        },
      );
      break;
    case 'ring':
      rt.state.transport.attachRing(msg.from, msg.ring);
      rt.state.scheduler.kick();
      break;
    case 'channel':
      rt.state.transport.attachChannel(msg.from, msg.to, msg.port, msg.gen);
      rt.state.scheduler.kick();
      break;
    case 'stats':
      reply({
        type: 'stats',
        id: msg.id,
        stats: {
          shard: rt.thread,
          actors: rt.state.procs.size,
          runQueue: rt.state.scheduler.queued,
          spawned: rt.state.counters.spawned,
          exited: rt.state.counters.exited,
          delivered: rt.state.counters.delivered,
        },
      });
      break;
    default:
      unknownMessage('control', msg);
  }
});

reply({ type: 'ready' });
