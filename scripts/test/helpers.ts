// Helpers for the repository-level tests: where the repo is, and running its tools.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (with a trailing slash). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs git in the repository and returns its stdout. */
export function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** Runs a command to completion; `output` is stdout and stderr together, for failure messages. */
export function run(command: string, args: string[], cwd: string = ROOT): { status: number | null; stdout: string; output: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, output: `${r.stdout}${r.stderr}` };
}

/** The TypeScript compilers the suite checks with: the oldest we support, and the one the repo builds with. */
export const COMPILERS = [
  { label: 'minimum', pkg: 'typescript-min' },
  { label: 'latest', pkg: 'typescript' },
] as const;

/** The path of an installed package's bin script (not node_modules/.bin: typescript and typescript-min both have `tsc`). */
export function binOf(pkg: string, name: string): string {
  // Read from the root node_modules: not every package exports its package.json.
  const manifest = join(ROOT, 'node_modules', pkg, 'package.json');
  const bins = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin;
  const rel = bins[name];
  if (rel === undefined) throw new Error(`${pkg} has no bin named ${name}`);
  return join(dirname(manifest), rel);
}

/** Runs `tsc` of an installed TypeScript package. */
export function tsc(pkg: string, args: string[], cwd: string = ROOT): { status: number | null; stdout: string; output: string } {
  return run(process.execPath, [binOf(pkg, 'tsc'), ...args], cwd);
}
