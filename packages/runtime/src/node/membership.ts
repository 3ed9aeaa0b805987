// Membership in a cluster's key-value bucket: a unique node id and a creation number, the live entry per name, its watch.

import { NodeNameTakenError } from '../errors.js';
import { type KvBucket, type KvEntry, type NodeTransport, type Stoppable, isKvConflict } from './node-transport.js';
import type { ClusterNames } from './wire.js';

/** A member as its live entry says. */
export interface Member {
  id: number;
  name: string;
  creation: number;
}

const text = new TextEncoder();
const untext = new TextDecoder();
const encode = (v: unknown): Uint8Array => text.encode(JSON.stringify(v));
const decode = <T>(b: Uint8Array): T => JSON.parse(untext.decode(b)) as T;

/** Keys of the members bucket (plain JSON values, readable with the `nats kv` tool). */
const ID_KEY = 'id';
const creationKey = (name: string): string => `creation.${name}`;
const liveKey = (name: string): string => `live.${name}`;
const LIVE = 'live.';

/** The identity a node claimed before its threads start: pids carry the id. */
export interface Claim extends Member {
  /** The stale entry of a dead node of the same name (taken over at `enter`), or null. */
  stale: { entry: Member; revision: number } | null;
}

export class Membership {
  readonly #t: NodeTransport;
  readonly #kv: KvBucket;
  readonly #names: ClusterNames;
  readonly #pingMs: number;
  readonly me: Member;
  #revision = 0;
  #stale: Claim['stale'];
  #watch: Stoppable | null = null;

  private constructor(t: NodeTransport, kv: KvBucket, names: ClusterNames, pingMs: number, claim: Claim) {
    this.#t = t;
    this.#kv = kv;
    this.#names = names;
    this.#pingMs = pingMs;
    this.me = { id: claim.id, name: claim.name, creation: claim.creation };
    this.#stale = claim.stale;
  }

  /**
   * Claims an id (never used before in the cluster) and the next creation
   * for `name`, and checks that no live node holds the name: a node listed
   * under it that does not answer a ping is dead, and its entry is taken over.
   */
  static async claim(t: NodeTransport, names: ClusterNames, name: string, pingMs: number): Promise<Membership> {
    const kv = await t.kv(names.nodesBucket);
    const id = await bump(kv, ID_KEY);
    const creation = await bump(kv, creationKey(name));
    const stale = await holderIfDead(t, kv, names, name, pingMs);
    return new Membership(t, kv, names, pingMs, { id, name, creation, stale });
  }

  /** The dead node whose entry this one took over (its names must be freed), or null. */
  get replaced(): Member | null {
    return this.#stale?.entry ?? null;
  }

  /**
   * Puts our live entry: atomically created, or taken over from the dead
   * node that held our name. The entry may change between the claim and
   * here: a survivor that saw the dead node go down removes it, or another
   * node enters under the name. It is then read and judged again, as at the
   * claim: free, or held by a node that does not answer, is ours to take;
   * held by one that answers is ERR_NODE_NAME_TAKEN.
   */
  async enter(): Promise<void> {
    const value = encode(this.me);
    const key = liveKey(this.me.name);
    let stale = this.#stale;
    for (let attempt = 1; ; attempt++) {
      try {
        this.#revision = stale !== null ? await this.#kv.update(key, value, stale.revision) : await this.#kv.create(key, value);
        break;
      } catch (err) {
        if (!isKvConflict(err)) throw err;
        // (A name changing hands this often is being fought over: taken, as far as we are concerned.)
        if (attempt === MAX_ENTER_ATTEMPTS) throw new NodeNameTakenError(this.me.name, this.#names.cluster);
      }
      stale = await holderIfDead(this.#t, this.#kv, this.#names, this.me.name, this.#pingMs);
    }
    this.#stale = null;
  }

  /** Puts our entry back after the cluster removed it (we were declared down). False if another node took our name meanwhile. */
  async reenter(): Promise<boolean> {
    try {
      this.#revision = await this.#kv.create(liveKey(this.me.name), encode(this.me));
      return true;
    } catch (err) {
      if (!isKvConflict(err)) throw err;
      // Our own entry, maybe: an earlier try stored it and its answer was lost (the blip a rejoin retries
      // through). Ours (our id): we are back, at its revision; another id's: our name was taken.
      const e = await this.#kv.get(liveKey(this.me.name));
      if (e === null || e.value === null || decode<Member>(e.value).id !== this.me.id) return false;
      this.#revision = e.revision;
      return true;
    }
  }

  /** The revision of our live entry (0 before we entered): an entry of our name at a later one is another node's. */
  get revision(): number {
    return this.#revision;
  }

  /** The member whose live entry holds our name now (null: none). */
  async holder(): Promise<Member | null> {
    const e = await this.#kv.get(liveKey(this.me.name));
    return e === null || e.value === null ? null : decode<Member>(e.value);
  }

  /** True when our entry is still ours. */
  owns(e: KvEntry): boolean {
    return e.value !== null && e.revision === this.#revision;
  }

  /** The members listed now. */
  async list(): Promise<Array<{ member: Member; revision: number }>> {
    return (await this.#kv.list(LIVE)).map((e) => ({ member: decode<Member>(e.value!), revision: e.revision }));
  }

  /** Every change of the live entries: a member (and its entry's revision), or a name whose entry was removed. */
  async watch(onJoin: (m: Member, revision: number) => void, onLeave: (name: string, revision: number) => void): Promise<void> {
    this.#watch = await this.#kv.watch(LIVE, (e) => {
      if (e.value === null) onLeave(e.key.slice(LIVE.length), e.revision);
      else onJoin(decode<Member>(e.value), e.revision);
    });
  }

  /** Removes a dead member's entry, unless it changed since `revision` (it rejoined, or a new node took the name). */
  async purge(name: string, revision: number): Promise<void> {
    try {
      await this.#kv.delete(liveKey(name), revision);
    } catch (err) {
      if (!isKvConflict(err)) throw err;
    }
  }

  /** Leaves: our entry is removed (the others see us go). */
  async leave(): Promise<void> {
    this.#watch?.stop();
    if (this.#revision !== 0) await this.purge(this.me.name, this.#revision);
  }
}

/** Tries `enter` makes before a name that keeps changing hands counts as taken. */
const MAX_ENTER_ATTEMPTS = 4;

/**
 * The live entry of `name` and its revision when the node it lists is dead
 * (it does not answer a ping within `pingMs`); null when there is none.
 * Throws ERR_NODE_NAME_TAKEN when that node answers.
 */
async function holderIfDead(t: NodeTransport, kv: KvBucket, names: ClusterNames, name: string, pingMs: number): Promise<Claim['stale']> {
  const current = await kv.get(liveKey(name));
  if (current === null || current.value === null) return null;
  const entry = decode<Member>(current.value);
  if (await answers(t, names.ping(entry.id), pingMs)) throw new NodeNameTakenError(name, names.cluster);
  return { entry, revision: current.revision };
}

/** Adds one to a counter key with compare-and-set; returns the new value. */
async function bump(kv: KvBucket, key: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const e = await kv.get(key);
    const next = (e?.value ? decode<number>(e.value) : 0) + 1;
    try {
      if (e === null || e.value === null) await kv.create(key, encode(next));
      else await kv.update(key, encode(next), e.revision);
      return next;
    } catch (err) {
      if (!isKvConflict(err) || attempt > 1000) throw err;
    }
  }
}

/** True if something answers on `subject` within `ms` (a node's ping subject). */
async function answers(t: NodeTransport, subject: string, ms: number): Promise<boolean> {
  try {
    await t.request(subject, new Uint8Array(0), ms);
    return true;
  } catch {
    return false;
  }
}
