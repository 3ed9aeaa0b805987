// Runs one bench unit in a fresh Node process, so no figure depends on what ran before it (JIT state, heap, threads).
import { fork } from 'node:child_process';
import type { ChildMessage } from './child.js';
import type { UnitConfig, UnitResult } from './units.js';

const CHILD = new URL('./child.js', import.meta.url);
/** A unit that has not finished after this long is stuck (a lost message): killed and reported, and the run goes on. */
const UNIT_TIMEOUT_MS = 30 * 60_000;

/** A unit's result and the process that produced it. */
export interface Isolated extends UnitResult {
  pid: number;
  seconds: number;
}

/** Forks `node --expose-gc child.js`, has it run `unit`, and resolves with its rows (rejects if it fails or dies). */
export function runIsolated(unit: string, cfg: UnitConfig): Promise<Isolated> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // stdout of the child goes to our stderr: with --json, our stdout carries only the JSON.
    const child = fork(CHILD, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
    child.stdout!.pipe(process.stderr, { end: false });
    child.stderr!.pipe(process.stderr, { end: false });
    let result: ChildMessage | undefined;
    child.on('message', (m: ChildMessage) => {
      if (m.kind === 'progress') cfg.progress(m.what);
      else result = m;
    });
    const timer = setTimeout(() => {
      result = { kind: 'error', message: `no result after ${UNIT_TIMEOUT_MS / 60_000} minutes (killed)` };
      child.kill('SIGKILL');
    }, UNIT_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (result?.kind === 'result') {
        resolve({ rows: result.rows as UnitResult['rows'], scaling: result.scaling as UnitResult['scaling'], pid: child.pid!, seconds: (performance.now() - started) / 1000 });
      } else if (result?.kind === 'error') reject(new Error(`${unit} failed: ${result.message}`));
      else reject(new Error(`${unit}: its process exited (${signal ?? `code ${code}`}) without a result`));
    });
    child.send({ unit, runs: cfg.runs, quick: cfg.quick, threads: cfg.threads });
  });
}
