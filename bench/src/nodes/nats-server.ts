// The bench's own nats-server: 127.0.0.1, a free port, JetStream in a temp folder, an app and a system account.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchNats {
  url: string;
  auth: { user: string; pass: string };
  system: { user: string; pass: string };
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts nats-server (Debian package nats-server); rejects if it is not installed. */
export async function startBenchNats(): Promise<BenchNats> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'joerl-bench-nats-'));
  writeFileSync(
    join(dir, 'nats.conf'),
    `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, 'js')}" }\n` +
      'accounts {\n  APP { users: [{ user: app, password: app }], jetstream: enabled }\n  SYS { users: [{ user: sys, password: sys }] }\n}\nsystem_account: SYS\n',
  );
  const child = spawn('nats-server', ['-c', join(dir, 'nats.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const on = (d: Buffer): void => {
      out += d;
      if (out.includes('Server is ready')) resolve();
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('error', (err) => reject(new Error(`nats-server is not installed (apt-get install nats-server): ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${out}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    url: `nats://127.0.0.1:${port}`,
    auth: { user: 'app', pass: 'app' },
    system: { user: 'sys', pass: 'sys' },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
