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

/** The module another node named `name`, under this node's root. */
export function resolveName(root: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.split('/').some((part) => part === '..') || /^[a-z]+:/i.test(name) || name.startsWith('/')) {
    throw new InvalidArgumentError(`not a module name under a node's root: ${JSON.stringify(name)}`);
  }
  return new URL(name, root).href;
}
