// Taking over a dead node's name while the cluster changes its entry: a survivor removes it, another replacement enters first.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryHub, type MemoryTransport } from '@joerl/runtime';
import { Membership } from '../../src/node/membership.ts';
import { ClusterNames } from '../../src/node/wire.ts';

const test = suite('nodes: membership');

const names = new ClusterNames('membership');
const PING_MS = 200;

/** A member that entered and answers pings (alive), or entered and then went silent (`answers: false`, dead). */
async function entered(t: MemoryTransport, name: string, answers: boolean): Promise<Membership> {
  const m = await Membership.claim(t, names, name, PING_MS);
  if (answers) t.subscribe(names.ping(m.me.id), (msg) => msg.respond(new Uint8Array(0)));
  await m.enter();
  return m;
}

async function takenError(p: Promise<unknown>): Promise<{ code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string };
  }
  assert.unreachable('expected ERR_NODE_NAME_TAKEN');
  return {};
}

test('a replacement whose dead predecessor a survivor removed between its claim and its entry enters', async () => {
  const hub = new MemoryHub();
  const dead = await entered(hub.connect(), 'b', false);
  const survivor = await entered(hub.connect(), 'a', true);
  const replacement = await Membership.claim(hub.connect(), names, 'b', PING_MS);
  assert.is(replacement.replaced?.id, dead.me.id);
  // The survivor saw the dead node go down: it removes the entry at the revision it knew.
  await survivor.purge('b', dead.revision);
  await replacement.enter();
  assert.is((await replacement.holder())?.id, replacement.me.id);
});

test('of two replacements of one dead node, the second finds the first alive: ERR_NODE_NAME_TAKEN', async () => {
  const hub = new MemoryHub();
  await entered(hub.connect(), 'b', false);
  const first = await Membership.claim(hub.connect(), names, 'b', PING_MS);
  const second = await Membership.claim(hub.connect(), names, 'b', PING_MS);
  // The first answers pings (subscribed before its entry, as a node does) and enters.
  hub.connect().subscribe(names.ping(first.me.id), (msg) => msg.respond(new Uint8Array(0)));
  await first.enter();
  const err = await takenError(second.enter());
  assert.is(err.code, 'ERR_NODE_NAME_TAKEN');
  assert.is((await second.holder())?.id, first.me.id);
});

test('a replacement that finds another replacement entered and already dead takes the name over from it', async () => {
  const hub = new MemoryHub();
  await entered(hub.connect(), 'b', false);
  const first = await Membership.claim(hub.connect(), names, 'b', PING_MS);
  const second = await Membership.claim(hub.connect(), names, 'b', PING_MS);
  await first.enter(); // and never answers a ping: dead
  await second.enter();
  assert.is((await second.holder())?.id, second.me.id);
});

test.run();
