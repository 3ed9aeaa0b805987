// Helpers for the repository-level tests: where the repo is, and running its tools.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

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

/** Runs `tsc` of an installed TypeScript package (by path: two packages both provide a `tsc` bin). */
export function tsc(pkg: string, args: string[], cwd: string = ROOT): { status: number | null; stdout: string; output: string } {
  const bin = join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'tsc');
  return run(process.execPath, [bin, ...args], cwd);
}
