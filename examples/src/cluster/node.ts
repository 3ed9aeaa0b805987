// One more node of the cluster example, in its own process: joins and waits (the first node places work on it).
//   node examples/dist/cluster/node.js <name> <nats url>
import { fileURLToPath } from 'node:url';
import { ActorSystem } from '@joerl/runtime';

const [name, servers] = process.argv.slice(2) as [string, string];
const system = await ActorSystem.start({
  threads: 1,
  // The project folder modules are named under: another machine keeps its copy elsewhere, and sets its own.
  node: { name, servers, cluster: 'example', root: fileURLToPath(new URL('..', import.meta.url)), tickMs: 250, downAfterMs: 1500 },
});
console.log(`[${name}] joined as node ${system.node!.id}; connected to ${system.nodes().map((n) => n.name).join(', ') || 'nobody yet'}`);
process.on('SIGTERM', () => void system.shutdown().then(() => process.exit(0)));
process.stdin.on('end', () => void system.shutdown().then(() => process.exit(0)));
process.stdin.resume();
