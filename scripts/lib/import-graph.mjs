// The import graph of the packages' sources: every import, export-from and inline import() type, type-only ones
// included; workspace package names resolve to their entry files. Used by scripts/check-structure.mjs.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SPECIFIER = /(?:^|[\s;{}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function listTs(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listTs(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every specifier a TypeScript source names (comments stripped first, so examples in docs do not count). */
export function specifiers(source) {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out = [];
  for (const m of code.matchAll(SPECIFIER)) out.push(m[1] ?? m[2]);
  return out;
}

/**
 * The graph of `packagesDir/<name>/src/**.ts`: file -> files it imports.
 * `aliases` maps a package specifier ('@joerl/telemetry/internal') to a source file.
 */
export function importGraph(packagesDir, aliases = {}) {
  const graph = new Map();
  for (const pkg of readdirSync(packagesDir)) {
    let files;
    try {
      files = listTs(join(packagesDir, pkg, 'src'));
    } catch {
      continue;
    }
    for (const f of files) {
      const deps = new Set();
      for (const spec of specifiers(readFileSync(f, 'utf8'))) {
        if (spec.startsWith('.')) deps.add(resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
        else if (aliases[spec] !== undefined) deps.add(aliases[spec]);
      }
      graph.set(f, [...deps]);
    }
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself): the import cycles. */
export function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

/** Paths relative to `root`, for messages. */
export const rel = (root, f) => relative(root, f);
