// A real nats-server for tests: 127.0.0.1, a free port, JetStream in a temp folder, an app and a system account; stopped by the test.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServer {
  url: string;
  port: number;
  /** The app account's user (nodes connect as it). */
  auth: { user: string; pass: string };
  /** A system-account user (for the servers' disconnect events). */
  system: { user: string; pass: string };
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port and store (its clients reconnect). */
  restart(): Promise<void>;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Starts nats-server and resolves once it says it is ready. */
export async function startNats(): Promise<NatsServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'joerl-nats-'));
  const conf = join(dir, 'nats.conf');
  writeFileSync(
    conf,
    `listen: 127.0.0.1:${port}
jetstream { store_dir: "${join(dir, 'js')}" }
accounts {
  APP { users: [{ user: app, password: app }], jetstream: enabled }
  SYS { users: [{ user: sys, password: sys }] }
}
system_account: SYS
# A frozen client is dropped by the server after about 2 s (the default is minutes).
ping_interval: "1s"
ping_max: 2
`,
  );
  let child = await run(conf);
  const exit = (c: ChildProcess): Promise<void> =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) resolve();
      else c.once('exit', () => resolve());
    });
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    auth: { user: 'app', pass: 'app' },
    system: { user: 'sys', pass: 'sys' },
    stop: async () => {
      child.kill('SIGTERM');
      await exit(child);
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      child.kill('SIGTERM');
      await exit(child);
      child = await run(conf);
    },
  };
}

/** Runs nats-server with `conf` until it says it is ready. */
async function run(conf: string): Promise<ChildProcess> {
  const child: ChildProcess = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('Server is ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => reject(new Error(`cannot run nats-server (apt-get install nats-server): ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${out}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}
