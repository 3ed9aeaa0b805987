// The message-accounting soak, for longer than CI runs it: 4 shards, shard kills, handled + reported = sent.
//
//   npm run soak                          30 s
//   npm run soak -- --seconds 60          60 s
//   npm run soak -- --seconds 60 --kill-ms 250
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const USAGE = 'usage: npm run soak -- [--seconds N] [--kill-ms N]';
const args = process.argv.slice(2);
const opts = { seconds: 30, killMs: 600 };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const v = Number(args[i + 1]);
  if ((a === '--seconds' || a === '--kill-ms') && Number.isFinite(v) && v > 0) {
    if (a === '--seconds') opts.seconds = v;
    else opts.killMs = v;
    i++;
  } else {
    console.error(`${USAGE}\n(bad argument: ${a})`);
    process.exit(2);
  }
}

const file = fileURLToPath(new URL('../packages/runtime/test/system/soak.test.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', '--enable-source-maps', file], {
  stdio: 'inherit',
  env: { ...process.env, JOERL_SOAK_SECONDS: String(opts.seconds), JOERL_SOAK_KILL_MS: String(opts.killMs) },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
