// CPU placement for the bench: every CPU timed, and a phase run with every thread of the process on one CPU, then set free.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { cpuSpeeds, describeSpeeds, fastest, onOneCpu } from '../src/affinity.ts';

/** The CPUs thread `tid` of this process may run on, as Linux lists them ("1", "0-1"); undefined for a thread that has ended. */
function allowed(tid: number | 'self' = 'self'): string | undefined {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(tid === 'self' ? '/proc/self/status' : `/proc/self/task/${tid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

const all = `0-${cpus().length - 1}`;
// Pinning needs taskset (util-linux) and permission to set an affinity: setting all CPUs (a no-op) tells.
let hasTaskset = true;
try {
  execFileSync('taskset', ['-p', '-c', all, String(process.pid)], { stdio: 'ignore' });
} catch {
  hasTaskset = false;
}

test('cpuSpeeds times the kernel on every CPU and leaves this thread free; fastest picks the quickest', () => {
  const ms = cpuSpeeds();
  if (!hasTaskset) {
    assert.is(ms, null);
    assert.match(describeSpeeds(ms), /not measured/);
    return;
  }
  assert.ok(ms !== null && ms.length === cpus().length && ms.every((x) => x > 0), `one timing per CPU: ${ms}`);
  assert.is(allowed(), all, 'free again');
  assert.is(fastest([9, 7, 8]), 1);
  assert.is(fastest(null), 0);
  assert.match(describeSpeeds([12.34, 8]), /^cpu0 12\.3 ms, cpu1 8\.0 ms$/);
});

test('onOneCpu runs its phase with every thread on one CPU, a child process included, and frees them after, even when it throws', async () => {
  if (!hasTaskset || cpus().length < 2) return;
  const cpu = cpus().length - 1;
  const tids = () => execFileSync('ls', [`/proc/${process.pid}/task`], { encoding: 'utf8' }).trim().split('\n').map(Number);
  const r = await onOneCpu(cpu, async () => {
    // Every thread (libuv's, V8's) and a child started now: all on `cpu`.
    const child = execFileSync('sh', ['-c', 'grep Cpus_allowed_list /proc/self/status'], { encoding: 'utf8' });
    return { main: allowed(), threads: tids().map((t) => allowed(t)), child };
  });
  assert.ok(r.pinned);
  assert.is(r.value.main, String(cpu));
  assert.ok(r.value.threads.every((a) => a === undefined || a === String(cpu)), `every thread on cpu ${cpu}: ${r.value.threads}`);
  assert.match(r.value.child, new RegExp(`Cpus_allowed_list:\\s*${cpu}\\b`));
  assert.is(allowed(), all);
  assert.ok(tids().every((t) => allowed(t) === undefined || allowed(t) === all), 'every thread free again');
  try {
    await onOneCpu(0, async () => {
      throw new Error('phase failed');
    });
    assert.unreachable('the phase threw');
  } catch (err) {
    assert.match((err as Error).message, /phase failed/);
  }
  assert.is(allowed(), all, 'free after a throw too');
});

test.run();
