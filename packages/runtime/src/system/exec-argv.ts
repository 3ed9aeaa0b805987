// The flags worker threads start with: the parent's, minus those that only make sense for the main script (a worker fails on them).

import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Flags about the main script's own input, with whether they take a value.
 * A worker inherits them and fails (`--input-type` with a file entry throws
 * ERR_INPUT_TYPE_NOT_ALLOWED), or runs the main script's code again.
 */
const ENTRY_ONLY = new Map<string, boolean>([
  ['--input-type', true],
  ['--eval', true],
  ['-e', true],
  ['--print', true],
  ['-p', true],
  ['-pe', true],
  ['-ep', true],
  ['--check', false],
  ['-c', false],
  ['--interactive', false],
  ['-i', false],
]);

/** Node's message for an explicit list with flags a worker cannot take: "... flags: --a, --b". */
const INVALID = /flags:\s*(.*)$/;

/**
 * The parent's `execArgv` without entry-only flags, or undefined when it has
 * none (the worker then inherits everything, as by default: an explicit list
 * may not hold V8 or per-process flags such as --expose-gc).
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] | undefined {
  const out: string[] = [];
  let dropped = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const takesValue = ENTRY_ONLY.get(eq > 0 ? a.slice(0, eq) : a);
    if (takesValue === undefined) {
      out.push(a);
      continue;
    }
    dropped = true;
    if (takesValue && eq < 0) i++; // its value is the next argument
  }
  return dropped ? out : undefined;
}

/** The list that worked, once a worker has started (the offload pool's workers use it too). */
let settled: string[] | undefined | null = null;

/**
 * Starts a worker with the cleaned flags. V8 and per-process flags (which an
 * explicit list may not carry) apply to the whole process anyway: when Node
 * names them as invalid, they are left out and the worker started again.
 */
export function startWorker(entry: URL, opts: WorkerOptions): Worker {
  const execArgv = settled === null ? workerExecArgv() : settled;
  if (execArgv === undefined) return new Worker(entry, opts);
  try {
    const w = new Worker(entry, { ...opts, execArgv });
    settled = execArgv;
    return w;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    const bad = new Set((INVALID.exec((err as Error).message)?.[1] ?? '').split(/,\s*/));
    const kept = execArgv.filter((a) => !bad.has(a));
    // Node names each flag as given; should it not, keep only what is surely per-thread (nothing).
    const retry = kept.length < execArgv.length ? kept : [];
    const w = new Worker(entry, { ...opts, execArgv: retry });
    settled = retry;
    return w;
  }
}

/** The flags for other workers this system starts (the offload pool): what the shards started with. */
export function settledExecArgv(): string[] | undefined {
  return settled === null ? workerExecArgv() : settled;
}
