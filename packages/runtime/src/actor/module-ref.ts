// Module references: what spawn and offload accept, normalised to a `file://` href before it crosses threads.

import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleRef } from './context.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * Normalises a module reference to a `file://` href before it crosses threads.
 * Relative paths are refused: they would resolve against whichever thread
 * reads them. Use `new URL('./x.js', import.meta.url)` instead.
 */
export function moduleHref(ref: ModuleRef): string {
  if (ref instanceof URL) return ref.href;
  if (typeof ref !== 'string' || ref.length === 0) {
    throw new InvalidArgumentError(`an actor module must be a URL or an absolute path, got ${typeof ref === 'string' ? '""' : typeof ref}`);
  }
  if (/^(file|data|node):/.test(ref)) return ref;
  if (isAbsolute(ref)) return pathToFileURL(ref).href;
  throw new InvalidArgumentError(
    `actor module "${ref}" is relative: pass new URL('${ref}', import.meta.url) or an absolute path`,
  );
}

