// A node in a child process (real SIGKILL and SIGSTOP), started with the node-child fixture.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pid } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS } from '../helpers.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/node-child.ts', import.meta.url));

export interface ChildNode {
  proc: ChildProcess;
  /** Its probe (trapping exits), which reported 'started' to `report`. */
  pid: Pid;
  nodeId: number;
  /** The port of its /metrics endpoint. */
  metricsPort: number;
  /** Resolves with the next JSON line it prints that `pred` accepts. */
  line(pred: (l: any) => boolean): Promise<any>;
  /** SIGKILL (if still running) and wait for the exit. */
  kill(): Promise<void>;
}

export async function startChild(name: string, servers: string, cluster: string, report: Pid, opts: object): Promise<ChildNode> {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, name, servers, cluster, report.toString(), JSON.stringify(opts)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: Array<{ pred: (l: any) => boolean; resolve: (l: any) => void }> = [];
  const seen: any[] = [];
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    let l: unknown;
    try {
      l = JSON.parse(text);
    } catch {
      return;
    }
    seen.push(l);
    for (const w of [...waiting]) if (w.pred(l)) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(l);
    }
  });
  const line = (pred: (l: any) => boolean): Promise<any> =>
    new Promise((resolve, reject) => {
      const hit = seen.find(pred);
      if (hit !== undefined) {
        seen.splice(seen.indexOf(hit), 1);
        resolve(hit);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`node ${name} never printed the line awaited`)), EVENT_TIMEOUT_MS);
      waiting.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      proc.once('exit', (code) => reject(new Error(`node ${name} exited (${code}) before printing the line awaited`)));
    });
  const ready = await line((l) => l.ready === true);
  return {
    proc,
    pid: Pid.parse(ready.pid),
    nodeId: ready.node.id,
    metricsPort: ready.metrics,
    line,
    kill: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
      }),
  };
}
