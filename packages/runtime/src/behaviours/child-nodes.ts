// Where a supervisor places a child in a cluster: a list of nodes tried in order ('local' is the supervisor's own).

import type { ActorContext, SpawnOptions } from '../actor/context.js';
import type { Pid } from '../actor/pid.js';
import { InvalidArgumentError } from '../errors.js';
import { preview } from '../validate.js';

/** The node candidates of a child spec's `node` (undefined: the supervisor's own node). */
export function childNodes(node: unknown, id: string): string[] | undefined {
  if (node === undefined) return undefined;
  const list = Array.isArray(node) ? node : [node];
  if (list.length === 0 || list.some((n) => typeof n !== 'string' || n.length === 0)) {
    throw new InvalidArgumentError(`child "${id}": node must be a node name, 'local', or a list of them, got ${preview(node)}`);
  }
  return list as string[];
}

/** Errors that mean "that node is not there": the next candidate is tried. */
const UNREACHABLE = new Set(['ERR_UNKNOWN_NODE', 'ERR_NODE_DOWN']);

/**
 * spawnLink on the first node of `nodes` that is connected (or here, with no
 * list). A child whose node went down is restarted on the first candidate
 * that is up then: another node, or this one (`'local'`).
 */
export async function spawnLinkOnNodes(ctx: ActorContext<any>, href: string, args: unknown, opts: SpawnOptions, nodes: string[] | undefined): Promise<Pid> {
  if (nodes === undefined) return (await ctx.spawnLink(href, args, opts)) as Pid;
  let last: unknown;
  for (const node of nodes) {
    try {
      return (await ctx.spawnLink(href, args, { ...opts, node })) as Pid;
    } catch (err) {
      if (!UNREACHABLE.has((err as { code?: string }).code ?? '')) throw err;
      last = err;
    }
  }
  throw last;
}
