// A node found dead while cut off, and replaced under its name, that gets its connection back: it stays out.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type KvBucket, type KvEntry, MemoryHub, type MemoryTransport, type NodeInfo, type NodeTransport, type Stoppable, type TransportEvent, type TransportMessage } from '@joerl/runtime';
import { pack, unpack } from 'msgpackr';
import { F_HELLO } from '../../src/node/wire.ts';
import { EVENT_TIMEOUT_MS, PROBE, expectReport } from '../helpers.ts';
import { connected, memoryNode, nextEvent } from './helpers.ts';

const test = suite('nodes: replaced');

/**
 * A node's connection to the servers that can be unplugged: nothing goes out or comes in, the store
 * does not answer, and the node hears 'disconnect'. Plugged in again, it hears 'reconnect', then its
 * watches catch up with what changed meanwhile, as a NATS KV watch does (`all`: every change in order;
 * `latest`: the last value of each key only, as a bucket of history 1 keeps).
 */
class Unpluggable implements NodeTransport {
  readonly #t: MemoryTransport;
  readonly #listeners: Array<(e: TransportEvent) => void> = [];
  readonly #held: Array<() => void> = [];
  readonly #heldKeys = new Map<string, () => void>();
  #off = false;

  constructor(t: MemoryTransport) {
    this.#t = t;
    t.onEvent((e) => this.#emit(e));
  }

  get maxPayload(): number {
    return this.#t.maxPayload;
  }

  unplug(): void {
    this.#off = true;
    this.#emit({ type: 'disconnect' });
  }

  /** `reconnect: false`: the node hears nothing of it (only its watches tell it what happened). */
  plugIn(replay: 'all' | 'latest', reconnect: boolean): void {
    this.#off = false;
    if (reconnect) this.#emit({ type: 'reconnect' });
    const missed = replay === 'all' ? this.#held.splice(0) : [...this.#heldKeys.values()];
    this.#held.length = 0;
    this.#heldKeys.clear();
    // After what the reconnect made the node publish (the hub delivers on a later turn, in order).
    setImmediate(() => {
      for (const f of missed) f();
    });
  }

  publish(subject: string, data: Uint8Array, headers?: ReadonlyMap<string, string>): void {
    if (!this.#off) this.#t.publish(subject, data, headers);
  }

  subscribe(subject: string, onMessage: (m: TransportMessage) => void): Stoppable {
    return this.#t.subscribe(subject, (m) => {
      if (!this.#off) onMessage(m);
    });
  }

  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return this.#off ? Promise.reject(new Error('unplugged')) : this.#t.request(subject, data, timeoutMs);
  }

  async kv(bucket: string): Promise<KvBucket> {
    const b = await this.#t.kv(bucket);
    const gate = <T>(f: () => Promise<T>): Promise<T> => (this.#off ? Promise.reject(new Error('unplugged')) : f());
    return {
      get: (k) => gate(() => b.get(k)),
      create: (k, v) => gate(() => b.create(k, v)),
      update: (k, v, r) => gate(() => b.update(k, v, r)),
      delete: (k, r) => gate(() => b.delete(k, r)),
      list: (p) => gate(() => b.list(p)),
      watch: (p, onEntry) =>
        gate(() =>
          b.watch(p, (e: KvEntry) => {
            if (!this.#off) return onEntry(e);
            this.#held.push(() => onEntry(e));
            this.#heldKeys.set(e.key, () => onEntry(e));
          }),
        ),
    };
  }

  onEvent(listener: (e: TransportEvent) => void): void {
    this.#listeners.push(listener);
  }

  #emit(e: TransportEvent): void {
    for (const l of this.#listeners) l(e);
  }

  flush(): Promise<void> {
    return this.#t.flush();
  }

  close(): Promise<void> {
    return this.#t.close();
  }
}

/** Resolves with the next process warning of `code`; fails the test if none comes in time. */
function nextWarning(code: string): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('warning', on);
      reject(new Error(`no warning ${code} within ${EVENT_TIMEOUT_MS} ms`));
    }, EVENT_TIMEOUT_MS);
    const on = (w: Error & { code?: string }): void => {
      if (w.code !== code) return;
      clearTimeout(timer);
      process.off('warning', on);
      resolve(w);
    };
    process.on('warning', on);
  });
}

/** Resolves once the members bucket's `key` is removed (the store's own watch, as any node's). */
async function entryRemoved(hub: MemoryHub, key: string): Promise<void> {
  const t = hub.connect('test-watcher');
  const kv = await t.kv('joerl_test_nodes');
  let timer: NodeJS.Timeout | undefined;
  let resolved!: () => void;
  const removed = new Promise<void>((resolve, reject) => {
    resolved = resolve;
    timer = setTimeout(() => reject(new Error(`${key} not removed within ${EVENT_TIMEOUT_MS} ms`)), EVENT_TIMEOUT_MS);
  });
  await kv.watch(key, (e) => {
    if (e.key === key && e.value === null) resolved();
  });
  try {
    await removed;
  } finally {
    clearTimeout(timer);
    await t.close();
  }
}

const CASES = [
  { reconnect: true, replay: 'latest' },
  { reconnect: false, replay: 'latest' },
  { reconnect: false, replay: 'all' },
] as const;

for (const { reconnect, replay } of CASES) {
  const how = `${reconnect ? 'a reconnect event' : 'no reconnect event'}, the watch replays ${replay}`;
  test(`a replaced node whose network comes back stays out: one 'a' in the cluster, the old one says it is out (${how})`, async () => {
    const hub = new MemoryHub();
    const ta = new Unpluggable(hub.connect('joerl:test:a'));
    const a = await memoryNode(hub, 'a', { transport: ta });
    const b = await memoryNode(hub, 'b');
    let a2: Awaited<ReturnType<typeof memoryNode>> | undefined;
    try {
      const old = await connected(b, 'a');
      const upsAtB: NodeInfo[] = [];
      b.on('nodeUp', (n) => upsAtB.push(n));
      // Cut off: b finds a dead and removes its entry; then a new 'a' takes the name.
      const removed = entryRemoved(hub, 'live.a');
      ta.unplug();
      await removed;
      const newUp = nextEvent<NodeInfo>(b, 'nodeUp', (n) => n.name === 'a');
      a2 = await memoryNode(hub, 'a');
      const fresh = await newUp;
      assert.is.not(fresh.id, old.id);

      // The old 'a' is back on the network: its hello to b is refused, and it learns it was replaced.
      const out = nextWarning('JOERL_NODE_REPLACED');
      ta.plugIn(replay, reconnect);
      const w = await out;
      assert.match(w.message, /'a'.*out of cluster 'test'/);
      // A round trip from the new 'a' to b, after all that.
      const inB = b.inbox();
      await a2.spawn(PROBE, { report: inB.pid, tag: 'after' }, { shard: 1 });
      await expectReport(inB, 'started', 'after');

      assert.equal(b.nodes().filter((n) => n.name === 'a'), [fresh], "b lists 'a' once: the new one");
      assert.equal(upsAtB.map((n) => n.id), [fresh.id], 'no nodeUp for the old a');
      assert.equal(a.nodes(), [], 'the old a is connected to nobody');
      // Nor does it take cluster-wide names any more: they would resolve everywhere to a node nobody reaches.
      const inA = a.inbox();
      const taken = await a.registerGlobal('from-the-old-a', inA.pid).then(() => 'registered', (e: { code?: string }) => String(e.code));
      assert.is(taken, 'ERR_NODE_NAME_TAKEN');

      // A hello of the old a that reaches b anyway (sent before it knew) is not answered.
      const x = hub.connect('test-x');
      const answers: unknown[] = [];
      x.subscribe(`joerl.test.n.${old.id}`, (m) => answers.push(unpack(m.data)));
      x.publish(`joerl.test.n.${b.node!.id}`, pack([F_HELLO, old.id, 1_000_000, 0, 'a', old.creation]));
      // The hub delivers in order: b handled the hello before its first ping, and an answer to it came before the second.
      await x.request(`joerl.test.p.${b.node!.id}`, new Uint8Array(0), EVENT_TIMEOUT_MS);
      await x.request(`joerl.test.p.${b.node!.id}`, new Uint8Array(0), EVENT_TIMEOUT_MS);
      assert.equal(answers, [], 'b did not answer the old a');
      assert.equal(b.nodes().filter((n) => n.name === 'a'), [fresh]);
      await x.close();
    } finally {
      await a2?.shutdown();
      await b.shutdown();
      await a.shutdown();
    }
  });
}

test.run();
