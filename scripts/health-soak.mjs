// Runs the demo without faults and reports the share of its once-a-second health lines that read Healthy.
//
//   npm run health-soak -- --duration 60            the demo alone
//   npm run health-soak -- --duration 60 --busy     beside a CPU-bound process (--spinners N for more)
//   node scripts/health-soak.mjs --expect 95         exit 1 below 95% Healthy
//
// Nothing is wrong in a demo without faults, so every line should say Healthy;
// a warning that flaps on a healthy system teaches operators to ignore it.
// It prints every line that was not Healthy, then one summary line:
//
//   health-soak: 60 lines, healthy 60 (100.0%), degraded 0, unhealthy 0; issues: none; jobs 2931; load 1.52 -> 2.10; spinners 0
//
// Not part of `npm test` (it takes a minute); scripts/test/health-soak.test.ts runs it for a few seconds.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const DEMO = fileURLToPath(new URL('../examples/dist/demo/main.js', import.meta.url));
const usage = 'usage: npm run health-soak -- [--duration SECONDS] [--busy] [--spinners N] [--expect PERCENT] [--quiet]';

function fail(message) {
  console.error(`health-soak: ${message}\n${usage}`);
  process.exit(2);
}

function flags() {
  let v;
  try {
    ({ values: v } = parseArgs({
      options: {
        duration: { type: 'string', default: '60' },
        busy: { type: 'boolean', default: false },
        spinners: { type: 'string' },
        expect: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    fail(e.message);
  }
  if (v.help) {
    console.log(usage);
    process.exit(0);
  }
  const number = (name, raw, min, max) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  const spinners = v.spinners === undefined ? (v.busy ? 1 : 0) : Math.trunc(number('spinners', v.spinners, 0, 64));
  return {
    durationS: number('duration', v.duration, 1, 86_400),
    spinners,
    expect: v.expect === undefined ? undefined : number('expect', v.expect, 0, 100),
    quiet: v.quiet,
  };
}

const opts = flags();

/**
 * A CPU-bound neighbour: a child process spinning in slices of 50 ms. It
 * stops on its own after `untilMs`, or as soon as it is orphaned, so a soak
 * that dies cannot leave a core spinning on a shared machine.
 */
function spinner(untilMs) {
  const code = `const end = Date.now() + ${Math.ceil(untilMs)}; const parent = process.ppid;
    while (Date.now() < end && process.ppid === parent) { const t = Date.now() + 50; while (Date.now() < t); }`;
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

// --- run -------------------------------------------------------------------
// The demo prints, once a second: "  12.1s  jobs 523 (s1 291, s2 232) 28/s | restarts ... | Degraded: Shard 2 lags"
const LINE = /^\s*(\d+(?:\.\d+)?)s {2}jobs (\d+) .*\| (Healthy|Degraded|Unhealthy)(?:: (.*))?$/;

const load0 = loadavg()[0];
const spinning = Array.from({ length: opts.spinners }, () => spinner(opts.durationS * 1000 + 30_000));
const demo = spawn(process.execPath, [DEMO, '--no-faults', '--port', '0', '--duration', String(opts.durationS)], { stdio: ['ignore', 'pipe', 'inherit'] });
const stopAll = () => {
  for (const s of spinning) s.kill();
  demo.kill('SIGTERM');
};
process.once('SIGINT', stopAll);
process.once('SIGTERM', stopAll);

const counts = { Healthy: 0, Degraded: 0, Unhealthy: 0 };
const issues = new Map();
let jobs = 0;
let pending = '';
demo.stdout.setEncoding('utf8');
demo.stdout.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    const m = LINE.exec(line);
    if (m === null) continue;
    jobs = Number(m[2]);
    counts[m[3]]++;
    if (m[3] === 'Healthy') continue;
    for (const i of (m[4] ?? '').split('; ').filter(Boolean)) issues.set(i, (issues.get(i) ?? 0) + 1);
    if (!opts.quiet) console.log(line);
  }
});
const code = await new Promise((resolve) => demo.once('exit', (c, signal) => resolve(c ?? signal)));
for (const s of spinning) s.kill();

const total = counts.Healthy + counts.Degraded + counts.Unhealthy;
const pct = total === 0 ? 0 : (100 * counts.Healthy) / total;
const issueList = [...issues].map(([i, n]) => `${i} x${n}`).join(', ') || 'none';
console.log(
  `health-soak: ${total} lines, healthy ${counts.Healthy} (${pct.toFixed(1)}%), degraded ${counts.Degraded}, unhealthy ${counts.Unhealthy}; ` +
    `issues: ${issueList}; jobs ${jobs}; load ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}; spinners ${opts.spinners}`,
);
if (code !== 0) {
  console.error(`health-soak: the demo exited with ${code}`);
  process.exit(1);
}
if (total === 0) {
  console.error('health-soak: the demo printed no health line');
  process.exit(1);
}
if (opts.expect !== undefined && pct < opts.expect) process.exit(1);
