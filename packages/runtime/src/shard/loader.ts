// Loads behaviour modules inside a thread, by URL: JavaScript through import(), TypeScript through tsx when installed.

import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBehaviour, type Behaviour } from '../actor/behaviour.js';
import { ExportNotFoundError, ModuleFailedError, ModuleNotFoundError, NotABehaviourError } from '../errors.js';

/** A loaded behaviour and the `type` label it runs under. */
export interface Loaded {
  behaviour: Behaviour;
  typeName: string;
}

const TS = /\.(c|m)?tsx?$/;

/** Per-thread module cache. */
export class Loader {
  /** href -> export name -> the behaviour (or its load): two lookups, no key string built per spawn. */
  private readonly cache = new Map<string, Map<string, Loaded | Promise<Loaded>>>();
  /** The last module asked for: a spawn loop asks for the same one every time. */
  private lastHref = '';
  private lastExport = '';
  private last: Loaded | null = null;
  /** Loads still pending that a spawn gave up on (`href#export`): no longer counted as loading (see `stalled`). */
  private readonly given = new Set<string>();
  /** Told when an import starts (+1) and ends (-1). */
  onLoading: (delta: number) => void = () => {};

  /** The behaviour, synchronously when already loaded. */
  get(href: string, exportName: string): Loaded | Promise<Loaded> {
    if (href === this.lastHref && exportName === this.lastExport && this.last !== null) return this.last;
    let byExport = this.cache.get(href);
    if (byExport === undefined) this.cache.set(href, (byExport = new Map()));
    const hit = byExport.get(exportName);
    if (hit !== undefined) {
      if (!(hit instanceof Promise)) {
        this.lastHref = href;
        this.lastExport = exportName;
        this.last = hit;
      }
      return hit;
    }
    const m = byExport;
    const key = `${href}#${exportName}`;
    this.onLoading(1);
    const done = (): void => {
      if (!this.given.delete(key)) this.onLoading(-1);
    };
    const p = this.load(href, exportName).then(
      (loaded) => {
        done();
        m.set(exportName, loaded);
        return loaded;
      },
      (err: unknown) => {
        done();
        m.delete(exportName); // a module that appears later can still be loaded
        throw err;
      },
    );
    m.set(exportName, p);
    return p;
  }

  /**
   * A spawn timed out while this module was loading (a top-level await that
   * does not settle, say). It stops counting as loading, so the watchdog
   * (which allows an import spawnTimeoutMs, since compiling blocks the loop)
   * is back to handlerTimeoutMs for this thread; later spawns still share the
   * pending import and time out too. (An import that blocks the loop itself
   * never gets here: the watchdog ends it, see ShardPool.checkShards.)
   */
  stalled(href: string, exportName: string): void {
    const key = `${href}#${exportName}`;
    if (this.cache.get(href)?.get(exportName) instanceof Promise && !this.given.has(key)) {
      this.given.add(key);
      this.onLoading(-1);
    }
  }

  private async load(href: string, exportName: string): Promise<Loaded> {
    let mod: Record<string, unknown>;
    try {
      mod = TS.test(new URL(href).pathname) ? await importTypeScript(href) : ((await import(href)) as Record<string, unknown>);
    } catch (err) {
      throw loadError(href, err);
    }
    if (!(exportName in mod)) throw new ExportNotFoundError(href, exportName, Object.keys(mod));
    const behaviour = mod[exportName];
    if (!isBehaviour(behaviour)) throw new NotABehaviourError(href, exportName);
    return { behaviour, typeName: behaviour.name ?? defaultTypeName(href, exportName) };
  }
}

/**
 * The codes of Node's module loader for a module (or one it imports) that is
 * not there or cannot be resolved; anything else an import throws came from
 * the module's own code or text (a URL or path error its code threw too:
 * the loader refuses a bad specifier with ERR_INVALID_MODULE_SPECIFIER).
 */
const NOT_THERE = new Set([
  'ERR_MODULE_NOT_FOUND',
  'MODULE_NOT_FOUND',
  'ERR_UNSUPPORTED_DIR_IMPORT',
  'ERR_UNKNOWN_FILE_EXTENSION',
  'ERR_UNSUPPORTED_ESM_URL_SCHEME',
  'ERR_UNKNOWN_BUILTIN_MODULE',
  'ERR_INVALID_MODULE_SPECIFIER',
  'ERR_PACKAGE_PATH_NOT_EXPORTED',
  'ERR_PACKAGE_IMPORT_NOT_DEFINED',
]);

/** ERR_MODULE_NOT_FOUND when the module or an import of it is not there, ERR_MODULE_FAILED when its code threw or it does not parse (an actor module, a telemetry provider). */
export function loadError(href: string, err: unknown): Error {
  if (err instanceof ModuleNotFoundError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_THERE.has(code) ? new ModuleNotFoundError(href, err) : new ModuleFailedError(href, err);
}

/**
 * Worker threads on Node 20 do not inherit `--import tsx` hooks, so a shard
 * loads TypeScript through tsx's scoped `tsImport` when tsx is installed.
 */
async function importTypeScript(href: string): Promise<Record<string, unknown>> {
  let api: { tsImport: (specifier: string, parent: string) => Promise<unknown> };
  try {
    api = (await import('tsx/esm/api' as string)) as typeof api;
  } catch {
    throw new ModuleNotFoundError(href, new Error('TypeScript actor modules need tsx (npm i -D tsx), or compile them to .js first'));
  }
  return (await api.tsImport(href, import.meta.url)) as Record<string, unknown>;
}

function defaultTypeName(href: string, exportName: string): string {
  if (exportName !== 'default') return exportName;
  let file: string;
  try {
    file = basename(fileURLToPath(href));
  } catch {
    file = href;
  }
  return file.replace(/(\.actor)?\.(c|m)?(j|t)sx?$/, '');
}
