// The machine's floor for a cross-thread round trip: two workers bouncing a counter in a SharedArrayBuffer, spinning.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';

/*
 * No codec, no ring, no scheduler: one atomic store and one spin each way.
 * What is left is the cost of moving a cache line from one core to the
 * other and back, which sets how close any cross-shard round trip can get.
 * It moves with the machine (a VM's vCPUs, their host) as much as the
 * round trips it stands beside.
 */
const BOUNCER = `
const { workerData, parentPort } = require('node:worker_threads');
const { sab, role, rounds } = workerData;
const i32 = new Int32Array(sab);
if (role === 'pong') {
  // Answers ping k (slot 0 = k) with pong k (slot 16 = k): its own cache line.
  for (let k = 1; k <= rounds; k++) {
    while (Atomics.load(i32, 0) !== k);
    Atomics.store(i32, 16, k);
  }
} else {
  const rtts = new Float64Array(rounds);
  for (let k = 1; k <= rounds; k++) {
    const t = performance.now();
    Atomics.store(i32, 0, k);
    while (Atomics.load(i32, 16) !== k);
    rtts[k - 1] = performance.now() - t;
  }
  parentPort.postMessage(rtts);
}
`;

/** Round trips between two spinning threads over shared memory, in ms each (the first `warmup` left out). */
export async function sabPingPong(rounds: number, warmup: number): Promise<number[]> {
  const sab = new SharedArrayBuffer(128);
  const total = rounds + warmup;
  const pong = new Worker(BOUNCER, { eval: true, workerData: { sab, role: 'pong', rounds: total } });
  const ping = new Worker(BOUNCER, { eval: true, workerData: { sab, role: 'ping', rounds: total } });
  try {
    const [rtts] = (await once(ping, 'message')) as [Float64Array];
    return Array.from(rtts.subarray(warmup));
  } finally {
    await Promise.all([ping.terminate(), pong.terminate()]);
  }
}
