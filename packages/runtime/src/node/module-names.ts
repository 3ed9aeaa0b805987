// Module names that mean the same thing on every machine: a path under the node's root, resolved under each node's own root.

import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '../errors.js';

/** The root as a `file:` directory URL (with its trailing slash). */
export function rootHref(root: string | URL): string {
  const href = root instanceof URL ? root.href : /^file:/.test(root) ? root : pathToFileURL(root).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/**
 * The portable name of a module this node would load from `href`: its path
 * relative to this node's root. `file://` URLs differ between machines (the
 * project lives in another folder); the path under the root does not.
 */
export function portableName(root: string, href: string): string {
  if (!href.startsWith(root)) {
    throw new InvalidArgumentError(
      `cannot spawn ${href} on another node: it is not under this node's root ${root} (set node.root to the project folder, or keep actor modules under it)`,
    );
  }
  return href.slice(root.length);
}

/**
 * The module another node named `name`, under this node's root. The check
 * is on the resolved URL, not only on the name: the URL parser also reads
 * `%2e%2e` and a backslash as `..` and `/`, so a name with no literal `..`
 * segment can still resolve outside the root.
 */
export function resolveName(root: string, name: string): string {
  const bad = (): InvalidArgumentError => new InvalidArgumentError(`not a module name under a node's root: ${JSON.stringify(name)} (a path relative to the root, with no "..", scheme or leading "/")`);
  if (typeof name !== 'string' || name.length === 0 || name.split('/').some((part) => part === '..') || /^[a-z]+:/i.test(name) || name.startsWith('/')) throw bad();
  let href: string;
  try {
    href = new URL(name, root).href;
  } catch {
    throw bad();
  }
  if (!href.startsWith(root) || href.length === root.length) throw bad();
  return href;
}
