// Turns the ```ts blocks of markdown files into a TypeScript project, so the examples in the docs are compiled like code.
//
// Conventions for writers:
// - Every ```ts (or ```typescript) block is a module of its own.
// - A block whose first line is `// name.ts` is written as name.ts, so another
//   block of the same file can import it (`import type Counter from './counter.actor.js'`).
// - `system` (a running ActorSystem) and `pid` (some process) may be used without declaring them.
// - `// @noverify` as the first line, or `<!-- @noverify: why -->` (unseen when rendered) on the line
//   before the fence, skips a block that cannot compile here on purpose. Keep it rare.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One code block, and where it came from. */
export interface Block {
  /** The markdown file, relative to the repository root. */
  source: string;
  /** Line of the block's first code line in the markdown file (1-based). */
  line: number;
  /** File name in the generated project. */
  file: string;
  /** Its folder in the generated project (one per markdown file). */
  folder: string;
  code: string;
  skipped: boolean;
}

const NAMED = /^\/\/ ([\w.-]+\.ts)\b/;

/** The ts blocks of one markdown file. */
export function extractBlocks(markdownPath: string, root: string): Block[] {
  const source = relative(root, markdownPath);
  const lines = readFileSync(markdownPath, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`${source}:${i + 1}: a ts block that never ends`);
    const code = lines.slice(start, end).join('\n');
    const first = lines[start] ?? '';
    const skipped = first.trim().startsWith('// @noverify') || /^<!--\s*@noverify\b.*-->\s*$/.test(lines[i - 1] ?? '');
    blocks.push({ source, line: start + 1, file: NAMED.exec(first)?.[1] ?? `block-line-${start + 1}.ts`, folder: '', code, skipped });
    i = end;
  }
  const seen = new Set<string>();
  for (const b of blocks) {
    if (seen.has(b.file)) throw new Error(`${source}:${b.line}: a second block named ${b.file}`);
    seen.add(b.file);
  }
  return blocks;
}

const TSCONFIG = {
  compilerOptions: {
    target: 'es2022',
    lib: ['es2023'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    strict: true,
    noEmit: true,
    // The declarations themselves are checked by consumer-types.test.ts.
    skipLibCheck: true,
  },
};

const PRELUDE = `// What a block may use without declaring it.
import type { ActorSystem, Pid } from '@joerl/runtime';
declare global {
  /** A running system. */
  const system: ActorSystem;
  /** Some process. */
  const pid: Pid;
}
export {};
`;

/**
 * Writes the blocks of each markdown file into `dir` (one folder per file),
 * with a tsconfig and the prelude. `dir` must be inside the repository, so
 * that the packages resolve through its node_modules. Returns the blocks.
 */
export function writeProject(markdownPaths: string[], root: string, dir: string): Block[] {
  const all: Block[] = [];
  // Listed one by one: an include glob would quietly skip what it does not match.
  const files = ['_prelude.ts'];
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '_prelude.ts'), PRELUDE);
  markdownPaths.forEach((md, i) => {
    const folder = `md-${i + 1}`;
    mkdirSync(join(dir, folder), { recursive: true });
    for (const b of extractBlocks(md, root)) {
      b.folder = folder;
      all.push(b);
      if (b.skipped) continue;
      // export {} keeps a block without imports a module, so its names stay its own.
      writeFileSync(join(dir, folder, b.file), `${b.code}\nexport {};\n`);
      files.push(`${folder}/${b.file}`);
    }
  });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files }, null, 2));
  return all;
}

/** Rewrites tsc's `folder/file.ts(12,5): error ...` lines (tsc run in the project) to `README.md:57:5: error ...`. */
export function mapErrors(output: string, blocks: Block[]): string {
  return output.replace(/^(\S+)\/([\w.-]+\.ts)\((\d+),(\d+)\)/gm, (whole, folder: string, file: string, line: string, col: string) => {
    const b = blocks.find((x) => x.file === file && x.folder === folder);
    return b ? `${b.source}:${b.line + Number(line) - 1}:${col}` : whole;
  });
}
