// Project folders for spawn tests: the same actor module at the same relative path in two different folders.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNTIME = fileURLToPath(new URL('../..', import.meta.url));

/** The module: it reports where it was loaded from (so a test can tell which folder's copy a node ran). */
const WHERE = `import { defineActor } from '@joerl/runtime';
export default defineActor({
  name: 'Where',
  init(args, ctx) {
    if (args.hold) return new Promise(() => {}); // an init that never ends (spawn timeouts, spawns pending at a stop)
    ctx.send(args.report, { event: 'started', tag: args.tag, pid: ctx.self, url: import.meta.url, node: ctx.node });
    return args;
  },
  handle(msg, st, ctx) {
    if (msg && msg.op === 'panic') throw new Error(msg.message);
    if (msg && msg.op === 'ping') ctx.send(st.report, { event: 'pong', tag: st.tag, pid: ctx.self, node: ctx.node });
    return st;
  },
  // With slowStopMs: a terminate that takes that long, then reports (terminate limits).
  terminate(reason, st, ctx) {
    if (!st || !st.slowStopMs) return;
    return new Promise((r) => setTimeout(r, st.slowStopMs)).then(() => ctx.send(st.report, { event: 'stopped', tag: st.tag, reason }));
  },
});
`;

export interface Root {
  dir: string;
  /** A URL under the root. */
  url(rel: string): URL;
  remove(): void;
}

/** A fresh project folder with actors/where.actor.mjs, and @joerl/runtime resolvable from it. */
export function makeRoot(label: string): Root {
  const dir = mkdtempSync(join(tmpdir(), `joerl-root-${label}-`));
  mkdirSync(join(dir, 'node_modules', '@joerl'), { recursive: true });
  symlinkSync(RUNTIME, join(dir, 'node_modules', '@joerl', 'runtime'), 'dir');
  mkdirSync(join(dir, 'actors'));
  writeFileSync(join(dir, 'actors', 'where.actor.mjs'), WHERE);
  const base = pathToFileURL(`${dir}/`);
  return { dir, url: (rel) => new URL(rel, base), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
