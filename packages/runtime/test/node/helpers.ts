// Helpers for node tests: systems joined through an in-memory hub (or real NATS), and awaiting node events.
import * as assert from 'uvu/assert';
import { ActorSystem, MemoryHub, type MemoryTransport, type NodeDownInfo, type NodeInfo, type NodeOptions, type SystemOptions } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS } from '../helpers.ts';

/**
 * Fast failure detection for tests: a node is down after 1.5 s of silence. Not shorter: on a loaded
 * 2-core machine a process can be starved of CPU for a second, and a false "down" fails a test.
 */
export const FAST = { tickMs: 150, downAfterMs: 1500 } as const;

/** Starts a node named `name` on `hub` (one shard unless told otherwise). */
export function memoryNode(hub: MemoryHub, name: string, node: Partial<NodeOptions> = {}, opts: SystemOptions = {}): Promise<ActorSystem> {
  return ActorSystem.start({ threads: 1, ...opts, node: { name, cluster: 'test', transport: node.transport ?? hub.connect(`joerl:test:${name}`), ...FAST, ...node } });
}

/** A node and its transport (for the hub's faults). */
export async function memoryNodeT(hub: MemoryHub, name: string, node: Partial<NodeOptions> = {}, opts: SystemOptions = {}): Promise<{ system: ActorSystem; t: MemoryTransport }> {
  // Named as a node's NATS connection is: the hub's disconnect events report it.
  const t = hub.connect(`joerl:test:${name}`);
  return { system: await memoryNode(hub, name, { ...node, transport: t }, opts), t };
}

/** Resolves with the next `event` the system emits that `pred` accepts; fails the test if none comes in time. */
export function nextEvent<T>(system: ActorSystem, event: 'nodeUp' | 'nodeDown', pred: (e: T) => boolean = () => true): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      system.off(event, on as never);
      reject(new Error(`no ${event} within ${EVENT_TIMEOUT_MS} ms`));
    }, EVENT_TIMEOUT_MS);
    const on = (e: T): void => {
      if (!pred(e)) return;
      clearTimeout(timer);
      system.off(event, on as never);
      resolve(e);
    };
    system.on(event, on as never);
  });
}

/** Awaits `system` seeing node `name` up (at once if it already is). */
export async function connected(system: ActorSystem, name: string): Promise<NodeInfo> {
  const now = system.nodes().find((n) => n.name === name);
  if (now !== undefined) return now;
  return nextEvent<NodeInfo>(system, 'nodeUp', (n) => n.name === name);
}

export function down(system: ActorSystem, name: string): Promise<NodeDownInfo> {
  return nextEvent<NodeDownInfo>(system, 'nodeDown', (n) => n.name === name);
}

export function assertNames(nodes: NodeInfo[], names: string[]): void {
  assert.equal(nodes.map((n) => n.name).sort(), [...names].sort());
}

/** Two connected in-memory nodes, a and b, with their transports, for `fn`; both are shut down after it (b may be gone). */
export async function withTwoNodes(
  opts: SystemOptions,
  fn: (n: { hub: MemoryHub; a: ActorSystem; ta: MemoryTransport; b: ActorSystem; tb: MemoryTransport }) => Promise<void>,
): Promise<void> {
  const hub = new MemoryHub();
  const { system: a, t: ta } = await memoryNodeT(hub, 'a', {}, opts);
  const { system: b, t: tb } = await memoryNodeT(hub, 'b', {}, opts);
  try {
    await connected(a, 'b');
    await fn({ hub, a, ta, b, tb });
  } finally {
    await b.shutdown().catch(() => {});
    await a.shutdown();
  }
}
