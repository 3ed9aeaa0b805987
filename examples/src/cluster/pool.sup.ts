// The supervised tree: a worker on every node; a worker lost with its node is restarted where its spec says (here).
import { type Pid, defineSupervisor } from '@joerl/runtime';

export interface PoolArgs {
  dispatcher: Pid;
  rounds: number;
  /** The other nodes, one worker (and one fallback to this node) each. */
  nodes: string[];
  workersPerNode: number;
}

export default defineSupervisor<PoolArgs>({
  name: 'Pool',
  strategy: 'one_for_one',
  intensity: { maxRestarts: 10, withinMs: 10_000 },
  children: ({ dispatcher, rounds, nodes, workersPerNode }) =>
    ['local', ...nodes].flatMap((node) =>
      Array.from({ length: workersPerNode }, (_, i) => ({
        id: `${node}-${i}`,
        module: new URL('./worker.actor.js', import.meta.url),
        args: { dispatcher, rounds },
        // On its node while the node is up; restarted here if it goes down.
        node: node === 'local' ? 'local' : [node, 'local'],
      })),
    ),
});
