// Baseline worker: raw MessagePort.postMessage between two threads, one object per message (no joerl).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

const { role, port } = workerData as { role: 'sender' | 'receiver' | 'pinger' | 'ponger'; port: MessagePort };
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
  main.on('message', (m: { n: number }) => {
    for (let i = 0; i < m.n; i++) port.postMessage({ kind: 'tick', seq: i, payload: 'abcdefgh' });
  });
} else if (role === 'ponger') {
  port.on('message', (m: { kind: string; seq: number }) => port.postMessage({ kind: 'pong', seq: m.seq }));
} else {
  main.on('message', (m: { rounds: number; warmup: number }) => {
    let left = m.rounds;
    let warmup = m.warmup;
    let sentAt = 0;
    const rtts: number[] = [];
    const ping = () => {
      sentAt = performance.now();
      port.postMessage({ kind: 'ping', seq: left });
    };
    port.on('message', () => {
      const rtt = performance.now() - sentAt;
      if (warmup > 0) warmup--;
      else {
        rtts.push(rtt);
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
