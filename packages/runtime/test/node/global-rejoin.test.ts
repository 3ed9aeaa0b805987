// Global names across a partition: the survivors free a node's names; when it comes back, the names its live processes hold are its again.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ActorSystem, MemoryHub, type MemoryTransport, type Pid } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS } from '../helpers.ts';
import { connected, down, memoryNode, nextEvent } from './helpers.ts';

const test = suite('nodes: global names after a partition');

type Bucket = Awaited<ReturnType<MemoryTransport['kv']>>;

/** Wraps `t`'s names bucket: every call but watch waits while the gate is shut; `deleted` resolves at the first delete of `key` that went through. */
function namesOf(t: MemoryTransport, key: string) {
  let open: Promise<void> = Promise.resolve();
  let release = (): void => {};
  let deletesOpen: Promise<void> = Promise.resolve();
  let releaseDeletes = (): void => {};
  let onDelete!: () => void;
  const deleted = new Promise<void>((resolve) => (onDelete = resolve));
  const kv = t.kv.bind(t);
  t.kv = async (bucket: string) => {
    const b = await kv(bucket);
    if (!bucket.endsWith('_names')) return b;
    const gated = <T>(f: () => Promise<T>): Promise<T> => open.then(f);
    const wrapped: Bucket = {
      get: (k) => gated(() => b.get(k)),
      create: (k, v) => gated(() => b.create(k, v)),
      update: (k, v, r) => gated(() => b.update(k, v, r)),
      list: (p) => gated(() => b.list(p)),
      watch: (p, on) => b.watch(p, on),
      delete: (k, r) =>
        gated(async () => {
          await deletesOpen;
          await b.delete(k, r);
          if (k === key) onDelete();
        }),
    };
    return wrapped;
  };
  return {
    deleted,
    shut: () => void (open = new Promise<void>((resolve) => (release = resolve))),
    open: () => release(),
    /** Deletes wait (the rest goes through) until `openDeletes`. */
    shutDeletes: () => void (deletesOpen = new Promise<void>((resolve) => (releaseDeletes = resolve))),
    openDeletes: () => releaseDeletes(),
  };
}

/** Node a and node b on one hub, b's names bucket gated and a's telling when it freed `g`. */
async function pair() {
  const hub = new MemoryHub();
  const ta = hub.connect('joerl:test:a');
  const tb = hub.connect('joerl:test:b');
  const key = `g.${Buffer.from('g').toString('base64url')}`;
  const atA = namesOf(ta, key);
  const atB = namesOf(tb, key);
  const a = await memoryNode(hub, 'a', { transport: ta });
  // b is slow to find a silent peer dead: a finds b dead first, every time. (Were b first, a would be the
  // one removed, enter again, and never free b's names: there would be nothing to take back.)
  const b = await memoryNode(hub, 'b', { transport: tb, downAfterMs: 600_000 });
  await connected(a, 'b');
  return { hub, ta, tb, a, b, atA, atB };
}

/**
 * Cuts a from b until a has found b dead: it removed b's entry (b sees that and enters again) and freed b's
 * name `g`. b's names store waits meanwhile, until the heal: in the hub the store is never cut off, only the
 * nodes from each other, and b's taking its names back must come after a freed them.
 */
async function partition(p: Awaited<ReturnType<typeof pair>>): Promise<void> {
  p.atB.shut();
  p.hub.cut(p.ta, p.tb);
  let timer: NodeJS.Timeout | undefined;
  const never = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("a never freed b's name")), EVENT_TIMEOUT_MS)));
  await Promise.race([p.atA.deleted, never]).finally(() => clearTimeout(timer));
}

/** Waits until `system` sees `want` hold `name` (undefined: nobody; the watch brings it); fails after EVENT_TIMEOUT_MS. */
async function holderBecomes(system: ActorSystem, name: string, want: Pid | undefined): Promise<void> {
  const until = Date.now() + EVENT_TIMEOUT_MS;
  let now: Pid | undefined;
  while (want === undefined ? (now = await system.whereisGlobal(name)) !== undefined : !(now = await system.whereisGlobal(name))?.equals(want)) {
    if (Date.now() > until) assert.unreachable(`${name} is held by ${now} on ${system.node!.name}, not ${want}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The next JOERL_GLOBAL_NAME_LOST process warning, from now on; fails after EVENT_TIMEOUT_MS (when awaited). */
function nameLost(): Promise<Error & { code?: string }> {
  let timer: NodeJS.Timeout | undefined;
  let on = (_w: Error & { code?: string }): void => {};
  const lost = new Promise<Error & { code?: string }>((resolve, reject) => {
    on = (w) => void (w.code === 'JOERL_GLOBAL_NAME_LOST' && resolve(w));
    process.on('warning', on);
    timer = setTimeout(() => reject(new Error('no JOERL_GLOBAL_NAME_LOST warning')), EVENT_TIMEOUT_MS);
  }).finally(() => {
    clearTimeout(timer);
    process.off('warning', on);
  });
  lost.catch(() => {}); // (a failure is the awaiting test's, not an unhandled rejection before it awaits)
  return lost;
}

test("a node down to us holds no global name for us from its nodedown on (OTP's global drops them then), and holds them again once back", async () => {
  // Regression: whereisGlobal gave its pid until the survivors had found it dead and freed the names (a ping later).
  const p = await pair();
  try {
    const held = p.b.inbox();
    await p.b.registerGlobal('g', held.pid);
    await holderBecomes(p.a, 'g', held.pid);
    const gone = down(p.a, 'b');
    p.hub.cut(p.ta, p.tb);
    await gone;
    assert.is(await p.a.whereisGlobal('g'), undefined);
    const back = nextEvent(p.a, 'nodeUp', (n: { name: string }) => n.name === 'b');
    p.hub.heal(p.ta, p.tb);
    await back;
    await holderBecomes(p.a, 'g', held.pid);
  } finally {
    await p.b.shutdown();
    await p.a.shutdown();
  }
});

test('a node the cluster found dead gets the names of its live processes back when it rejoins', async () => {
  // Regression: the survivors freed them, and they never came back; the processes ran on unregistered.
  const p = await pair();
  try {
    const held = p.b.inbox();
    await p.b.registerGlobal('g', held.pid);
    await holderBecomes(p.a, 'g', held.pid);
    await partition(p);
    await holderBecomes(p.a, 'g', undefined);
    const back = nextEvent(p.a, 'nodeUp', (n: { name: string }) => n.name === 'b');
    p.hub.heal(p.ta, p.tb);
    p.atB.open();
    await back;
    await holderBecomes(p.a, 'g', held.pid);
    await holderBecomes(p.b, 'g', held.pid);
  } finally {
    p.atB.open();
    await p.b.shutdown();
    await p.a.shutdown();
  }
});

test('a name another process took while its node was away stays with that process; the one that came back loses it, with a warning', async () => {
  const p = await pair();
  try {
    const held = p.b.inbox();
    await p.b.registerGlobal('g', held.pid);
    await holderBecomes(p.a, 'g', held.pid);
    await partition(p);
    const taker = p.a.inbox();
    const lost = nameLost();
    await p.a.registerGlobal('g', taker.pid);
    p.hub.heal(p.ta, p.tb);
    p.atB.open();
    const w = await lost;
    assert.match(w.message, /global name "g" of .* was taken by .* while this node was cut off/);
    assert.ok((await p.a.whereisGlobal('g'))?.equals(taker.pid));
    await holderBecomes(p.b, 'g', taker.pid);
  } finally {
    p.atB.open();
    await p.b.shutdown();
    await p.a.shutdown();
  }
});

test("a name held on a node that is down to us can be taken here, as whereisGlobal says it is free; the holder's node, back, hears it lost, with a warning", async () => {
  // Regression: whereisGlobal answered undefined but registerGlobal failed with ERR_NAME_TAKEN until the
  // survivors had found the node dead and freed its names (here: never, a's deletes being held).
  const p = await pair();
  try {
    const held = p.b.inbox();
    await p.b.registerGlobal('g', held.pid);
    await holderBecomes(p.a, 'g', held.pid);
    p.atA.shutDeletes();
    const gone = down(p.a, 'b');
    p.hub.cut(p.ta, p.tb);
    await gone;
    assert.is(await p.a.whereisGlobal('g'), undefined);
    const taker = p.a.inbox();
    const lost = nameLost();
    await p.a.registerGlobal('g', taker.pid);
    assert.ok((await p.a.whereisGlobal('g'))?.equals(taker.pid));
    p.atA.openDeletes();
    p.hub.heal(p.ta, p.tb);
    await holderBecomes(p.b, 'g', taker.pid);
    assert.match((await lost).message, /global name "g" of .* was taken by .* while this node was cut off/);
    assert.ok((await p.a.whereisGlobal('g'))?.equals(taker.pid), "a's late free of b's name left a's alone");
  } finally {
    p.atA.openDeletes();
    await p.b.shutdown();
    await p.a.shutdown();
  }
});

test.run();
