// Erlang/OTP as a baseline: bench/erlang/savina.erl compiled once per process and run with `erl +S N`, when erl is installed.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sample, type Sample } from '../harness.js';

const SOURCE = fileURLToPath(new URL('../../erlang/savina.erl', import.meta.url));
/** Why Erlang rows are skipped when erl is missing (it is optional: never a test dependency). */
export const NO_ERLANG = 'erl not on the PATH (Debian: apt-get install erlang-base)';

/** Figures from one `erl` run, or why there are none. */
export type ErlangResult = { sample: Sample; notes: string } | { skipped: string };

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      if (dir !== '') {
        accessSync(join(dir, cmd), constants.X_OK);
        return true;
      }
    } catch {
      // not in this directory
    }
  }
  return false;
}

function exec(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

let compiled: Promise<{ dir: string; release: string }> | null = null;

/** Compiles savina.erl into a temporary directory (once per process; removed at exit). */
function compile(): Promise<{ dir: string; release: string }> {
  compiled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'joerl-bench-erl-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await exec('erlc', ['-o', dir, SOURCE], 120_000);
    const release = (await exec('erl', ['-noshell', '-eval', 'io:format("~s ~s", [erlang:system_info(otp_release), erlang:system_info(emu_flavor)]), halt().'], 60_000)).trim();
    return { dir, release };
  })();
  return compiled;
}

/**
 * Runs `bench` with `params` on a VM with `schedulers` schedulers: one
 * warm-up run, then `runs` timed inside the VM (ms each). Skipped (not
 * failed) when erl or erlc is not installed; a run that fails is an error.
 */
export async function erlang(bench: string, params: number[], schedulers: number, runs: number): Promise<{ times: Sample; lines: string[]; release: string } | { skipped: string }> {
  if (!onPath('erl') || !onPath('erlc')) return { skipped: NO_ERLANG };
  const { dir, release } = await compile();
  const out = await exec('erl', [`+S`, `${schedulers}:${schedulers}`, '-noshell', '-pa', dir, '-run', 'savina', 'main', bench, ...params.map(String), String(runs)], 600_000);
  const lines = out.split('\n');
  const result = lines.find((l) => l.startsWith('RESULT '));
  if (result === undefined) throw new Error(`erl ${bench}: no result in its output:\n${out}`);
  return { times: sample(result.slice(7).trim().split(/\s+/).map(Number)), lines, release };
}

/** A Savina micro benchmark on Erlang/OTP (ms per run). */
export async function erlangMicro(bench: string, params: number[], schedulers: number, runs: number): Promise<ErlangResult> {
  const r = await erlang(bench, params, schedulers, runs);
  if ('skipped' in r) return r;
  return { sample: r.times, notes: `Erlang/OTP ${r.release}, +S ${schedulers}, timed inside the VM` };
}

/** One-way throughput (msg/s) from a process on scheduler 1 to one on scheduler 2 (`erl +S 2`, each bound with spawn_opt). */
export async function erlangOneWay(n: number, runs: number): Promise<ErlangResult> {
  const r = await erlang('oneway', [n, 1, 2], 2, runs);
  if ('skipped' in r) return r;
  const where = r.lines.find((l) => l.startsWith('SCHEDULERS '))?.slice(11) ?? '?';
  const rates = r.times.runs.map((ms) => n / (ms / 1000));
  return { sample: sample(rates), notes: `Erlang/OTP ${r.release}, +S 2; source and sink ran on schedulers ${where.replace(' ', ' and ')}, ${n} small maps` };
}
