// The other process of the nodes benchmarks: a raw NATS subscriber and responder, and node "b" with a sink and an echo server.
//   node dist/nodes/peer.js <url> <user> <pass> <name> <tickMs> <downAfterMs>
import { connect } from '@nats-io/transport-node';
import { ActorSystem } from '@joerl/runtime';

const [url, user, pass, name, tickMs, downAfterMs] = process.argv.slice(2) as [string, string, string, string, string, string];

// Raw NATS: count messages on bench.raw.data until the expected number arrived; echo requests.
const nc = await connect({ servers: url, user, pass });
let expected = Infinity;
let count = 0;
nc.subscribe('bench.raw.data', {
  callback: () => {
    if (++count === expected) {
      nc.publish('bench.raw.done');
      count = 0;
      expected = Infinity;
    }
  },
});
nc.subscribe('bench.raw.expect', {
  callback: (_err, m) => {
    expected = Number(new TextDecoder().decode(m.data));
    count = 0;
    m.respond();
  },
});
nc.subscribe('bench.raw.echo', { callback: (_err, m) => void m.respond(m.data) });

// The same process as a node: one shard, like the benchmark's own node.
const system = await ActorSystem.start({ threads: 1, node: { name, cluster: 'bench', servers: url, user, pass, tickMs: Number(tickMs), downAfterMs: Number(downAfterMs) } });
const sink = await system.spawn(new URL('../actors/sink.actor.js', import.meta.url), undefined, { shard: 1 });
const echo = await system.spawn(new URL('../actors/call.actor.js', import.meta.url), undefined, { shard: 1, export: 'echo' });
// A connection lost mid-benchmark is worth knowing about (on a loaded machine, a node starved of CPU for
// longer than downAfterMs looks dead).
system.on('nodeDown', (d) => process.stderr.write(`[peer ${name}] lost ${d.name}: ${d.reason}\n`));
await system.registerGlobal(`sink-${name}`, sink);
await system.registerGlobal(`echo-${name}`, echo);
await nc.flush();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.stdin.on('end', () => void Promise.all([system.shutdown(), nc.close()]).then(() => process.exit(0)));
process.stdin.resume();
