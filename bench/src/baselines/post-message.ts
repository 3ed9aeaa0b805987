// Baselines over raw postMessage: one-way throughput and ping-pong latency between two worker threads.
import { MessageChannel, Worker } from 'node:worker_threads';
import { once } from 'node:events';

const WORKER = new URL('./pm-worker.js', import.meta.url);

function pair(a: string, b: string): { wa: Worker; wb: Worker; close: () => Promise<void> } {
  const { port1, port2 } = new MessageChannel();
  const wa = new Worker(WORKER, { workerData: { role: a, port: port1 }, transferList: [port1] });
  const wb = new Worker(WORKER, { workerData: { role: b, port: port2 }, transferList: [port2] });
  return { wa, wb, close: async () => void (await Promise.all([wa.terminate(), wb.terminate()])) };
}

/** Messages per second, one `postMessage` per object (`plain`: per integer 1), thread to thread. */
export async function postMessageThroughput(n: number, plain = false): Promise<number> {
  const { wa, wb, close } = pair('sender', 'receiver');
  try {
    await Promise.all([once(wa, 'online'), once(wb, 'online')]);
    // Warm-up run, then the measured one.
    for (const measured of [false, true]) {
      wb.postMessage({ expect: measured ? n : Math.min(n, 20_000) });
      await once(wb, 'message'); // ready: counting from zero
      const t0 = performance.now();
      wa.postMessage({ n: measured ? n : Math.min(n, 20_000), plain });
      await once(wb, 'message');
      if (measured) return n / ((performance.now() - t0) / 1000);
    }
    return NaN;
  } finally {
    await close();
  }
}

/** A timed run: messages per second, and the process's CPU time over the same interval (all threads, microseconds). */
export interface RateAndCpu {
  rate: number;
  cpuMicros: number;
}

/** CPU time of the whole process (every thread) so far, in microseconds. */
export function processCpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Messages per second carrying a Float64Array of `bytes`, thread to thread: copied by postMessage, or transferred;
 * with the CPU the process spent from the first send to the receiver's report.
 */
export async function postMessagePayloads(n: number, bytes: number, transfer: boolean): Promise<RateAndCpu> {
  const { wa, wb, close } = pair('payload-sender', 'payload-receiver');
  try {
    await Promise.all([once(wa, 'online'), once(wb, 'online')]);
    const warm = Math.max(1, Math.floor(n / 4));
    // A warm-up run, then the measured one; the receiver counts a running total.
    wb.postMessage({ until: warm });
    wa.postMessage({ n: warm, bytes, transfer });
    await once(wb, 'message');
    wb.postMessage({ until: warm + n });
    const c0 = processCpuMicros();
    const t0 = performance.now();
    wa.postMessage({ n, bytes, transfer });
    await once(wb, 'message');
    const rate = n / ((performance.now() - t0) / 1000);
    return { rate, cpuMicros: processCpuMicros() - c0 };
  } finally {
    await close();
  }
}

/** Round-trip times (ms) of a ping-pong over a MessagePort. */
export async function postMessagePingPong(rounds: number, warmup: number): Promise<number[]> {
  const { wa, close } = pair('pinger', 'ponger');
  try {
    wa.postMessage({ rounds, warmup });
    const [r] = (await once(wa, 'message')) as [{ rtts: Float64Array }];
    return Array.from(r.rtts);
  } finally {
    await close();
  }
}

/** Messages per second through the simplest possible in-thread actor loop: an array queue and a function call. */
export function baselineLoop(n: number, chunk: number): number {
  const queue: Array<{ kind: string; seq: number; payload: string }> = [];
  let state = { count: 0 };
  const handle = (msg: { seq: number }, s: { count: number }) => {
    s.count += msg.seq >= 0 ? 1 : 0;
    return s;
  };
  const run = (count: number) => {
    let seq = 0;
    for (let left = count; left > 0; left -= chunk) {
      const k = Math.min(chunk, left);
      for (let i = 0; i < k; i++) queue.push({ kind: 'tick', seq: seq++, payload: 'abcdefgh' });
      while (queue.length > 0) state = handle(queue.shift()!, state);
    }
  };
  run(Math.min(n, 100_000)); // warm-up
  state.count = 0;
  const t0 = performance.now();
  run(n);
  const ms = performance.now() - t0;
  if (state.count !== n) throw new Error('baseline lost messages');
  return n / (ms / 1000);
}
