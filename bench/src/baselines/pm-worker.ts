// Baseline worker: raw MessagePort.postMessage between two threads, one object per message (no joerl).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

const { role, port } = workerData as { role: 'sender' | 'receiver' | 'pinger' | 'ponger' | 'payload-sender' | 'payload-receiver'; port: MessagePort };
const main = parentPort!;

if (role === 'receiver') {
  let count = 0;
  let target = Infinity;
  main.on('message', (m: { expect: number }) => {
    target = m.expect;
    count = 0;
    // The sender starts only after this: its messages come on another port, in no set order with ours.
    main.postMessage({ ready: true });
  });
  port.on('message', () => {
    if (++count === target) main.postMessage({ done: count });
  });
} else if (role === 'sender') {
  main.on('message', (m: { n: number; plain?: boolean }) => {
    // `plain`: the integer 1, as Savina's Counting sends (joerl and Erlang alike); else the core one-way row's object.
    if (m.plain === true) for (let i = 0; i < m.n; i++) port.postMessage(1);
    else for (let i = 0; i < m.n; i++) port.postMessage({ kind: 'tick', seq: i, payload: 'abcdefgh' });
  });
} else if (role === 'payload-receiver') {
  // Counts every message it ever got, and reports once the count reaches `until` (a running total:
  // no reset that could race with messages already on their way).
  let count = 0;
  let until = Infinity;
  const check = () => {
    if (count < until) return;
    until = Infinity;
    main.postMessage({ done: count });
  };
  main.on('message', (m: { until: number }) => {
    until = m.until;
    check();
  });
  port.on('message', () => {
    count++;
    check();
  });
} else if (role === 'payload-sender') {
  // Binary payloads: one Float64Array posted again and again (a copy each time), or a new one transferred each time.
  main.on('message', (m: { n: number; bytes: number; transfer: boolean }) => {
    const shared = new Float64Array(m.bytes / 8).fill(1.5);
    for (let i = 0; i < m.n; i++) {
      if (m.transfer) {
        const data = new Float64Array(m.bytes / 8);
        port.postMessage({ kind: 'tick', seq: i, payload: data }, [data.buffer]);
      } else port.postMessage({ kind: 'tick', seq: i, payload: shared });
    }
  });
} else if (role === 'ponger') {
  port.on('message', (m: { kind: string; seq: number }) => port.postMessage({ kind: 'pong', seq: m.seq }));
} else {
  main.on('message', (m: { rounds: number; warmup: number }) => {
    let left = m.rounds;
    let warmup = m.warmup;
    let sentAt = 0;
    // As the joerl pinger keeps them (ping.actor.ts): one array a run, made at its size.
    const rtts = new Float64Array(m.rounds);
    let at = 0;
    const ping = () => {
      sentAt = performance.now();
      port.postMessage({ kind: 'ping', seq: left });
    };
    port.on('message', () => {
      const rtt = performance.now() - sentAt;
      if (warmup > 0) warmup--;
      else {
        rtts[at++] = rtt;
        left--;
      }
      if (left === 0) {
        port.removeAllListeners('message');
        main.postMessage({ rtts });
        return;
      }
      ping();
    });
    ping();
  });
}
