// Runs in the offload pool's threads: one piscina task carrying several shards' jobs, each job's result or error kept apart.

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Module namespaces by href (only loads that worked: a failed load is tried again by the next job, as piscina does). */
const modules = new Map<string, Record<string, unknown>>();
/** Past this many modules the table starts over (as piscina's own handler cache does, at 1000). */
const MAX_MODULES = 256;

/**
 * A chunk's jobs as `[href, exportName, input, ...]`; its answer is
 * `[ok, value, ms, ...]` in the same order: `ok` false with the thrown
 * value, or with a tagged record when the value could not cross back (a job's own
 * failure never fails its neighbours), and the job's run time in ms (the
 * server sizes chunks by it). The jobs run one after another, as they would
 * on this thread one task at a time.
 */
export default async function runChunk(jobs: unknown[]): Promise<unknown[]> {
  const n = jobs.length / 3;
  const out = new Array<unknown>(n * 3);
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    let ok = true;
    let value: unknown;
    let fn: ((input: unknown) => unknown) | undefined;
    try {
      fn = await handler(jobs[3 * i] as string, jobs[3 * i + 1] as string);
      value = await fn(jobs[3 * i + 2]);
    } catch (err) {
      ok = false;
      // Not the job's own failure (it was not found): tagged for the main thread, as plain data (an Error's own
      // fields do not cross). A module that was found and threw while it loaded failed as the job: its error, as
      // piscina gives it for a job run alone.
      const missing = fn === undefined && (err instanceof MissingExport ? 'export' : isMissing(err, jobs[3 * i] as string) ? 'module' : null);
      value = missing ? { $joerlOffload: missing, message: messageOf(err) } : err;
    }
    // One value that cannot be cloned would fail the whole task (and end this thread): checked per job.
    if (!crossable(value, 0)) {
      try {
        structuredClone(value);
      } catch (err) {
        ok = false;
        value = { $joerlOffload: 'clone', message: String(err) }; // tagged: a job may throw a string of its own
      }
    }
    const now = performance.now();
    out[3 * i] = ok;
    out[3 * i + 1] = value;
    out[3 * i + 2] = now - t;
    t = now;
  }
  return out;
}

/** The module loaded, but has no such function (any other failure to find the job is its module's). */
class MissingExport extends Error {}

/** The job's function, as piscina finds it: the named export (the module's own `default` for `default`). */
async function handler(href: string, name: string): Promise<(input: unknown) => unknown> {
  let ns = modules.get(href);
  if (ns === undefined) {
    ns = (await import(href)) as Record<string, unknown>;
    if (modules.size >= MAX_MODULES) modules.clear();
    modules.set(href, ns);
  }
  let fn = ns[name];
  // A CommonJS module's exports arrive as `default` (piscina require()s it and finds `exports[name]` there).
  if (typeof fn !== 'function' && typeof ns.default === 'object' && ns.default !== null) fn = (ns.default as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new MissingExport(`No handler function "${name}" exported from ${href}`);
  return fn as (input: unknown) => unknown;
}

/** Is `err` the failure to find or read the module at `href` itself (not one it imports, not a throw while it ran)? */
function isMissing(err: unknown, href: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND') return false;
  // Node names the module it could not find in quotes ("Cannot find module '/x/jobs.mjs' imported from ..."); one the job imports is
  // another, the job's own failure (as translate reads piscina's message for a job run alone).
  const message = messageOf(err);
  let path = href;
  try {
    path = fileURLToPath(href);
  } catch {}
  return message.includes(`'${path}'`) || message.includes(`'${href}'`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A quick look that proves most results cloneable without cloning them:
 * primitives, typed arrays and buffers, and plain objects and arrays of
 * those, a few levels deep. Anything else (an error, whose `cause` may be
 * anything; a class instance, a Map, a deep or large value) gets the exact
 * test, a clone.
 */
function crossable(v: unknown, depth: number): boolean {
  if (typeof v !== 'object') return typeof v !== 'function' && typeof v !== 'symbol';
  if (v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return true;
  if (depth >= 4) return false;
  if (Array.isArray(v)) {
    if (v.length > 64) return false;
    for (let i = 0; i < v.length; i++) if (!crossable(v[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  let keys = 0;
  for (const k in v) {
    if (++keys > 64 || !crossable((v as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}
