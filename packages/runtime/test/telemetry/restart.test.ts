// A scrape during a shard restart answers; the dead shard's counters are kept (not lost, not counted twice), its gauges dropped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ShardDeath } from '@joerl/runtime';
import { expect, expectReport, probe, withSystem } from '../helpers.ts';
import { scrape, value } from './exposition.ts';

const test = suite('telemetry across a shard restart');

test('counters survive, gauges of the dead shard go, its actors count as killed, and scrapes keep answering', () =>
  withSystem({ threads: 2 }, async (system) => {
    const server = await system.serveMetrics({ port: 0 });
    const inbox = system.inbox();
    for (let i = 0; i < 4; i++) await probe(system, inbox, 2, { tag: `doomed${i}` });
    const survivor = await probe(system, inbox, 1, { tag: 'survivor' });
    for (let i = 0; i < 10; i++) {
      system.send(survivor, { op: 'ping' });
      await expectReport(inbox, 'pong', 'survivor');
    }
    const before = await scrape(server.url);
    assert.is(value(before, 'joerl_actors_spawned_total', { type: 'Probe' }), 5);
    assert.is(value(before, 'joerl_actors_active', { type: 'Probe' }), 5);
    const processed = value(before, 'joerl_messages_processed_total');

    // Scrape over and over while the shard dies and comes back.
    let scraping = true;
    let scrapes = 0;
    const loop = (async () => {
      while (scraping) {
        const x = await scrape(server.url);
        assert.ok(value(x, 'joerl_actors_spawned_total', { type: 'Probe' }) >= 5, 'a counter never goes back');
        scrapes++;
      }
    })();
    const down = new Promise<ShardDeath>((r) => system.once('shardDown', r));
    const restarted = new Promise((r) => system.once('shardRestart', r));
    system.killShard(2);
    await down;
    await restarted;
    const fresh = await probe(system, inbox, 2, { tag: 'fresh' });
    scraping = false;
    await loop;
    assert.ok(scrapes > 0);

    const after = await scrape(server.url);
    assert.is(value(after, 'joerl_actors_spawned_total', { type: 'Probe' }), 6, 'kept, not lost and not doubled');
    assert.is(value(after, 'joerl_actors_active', { type: 'Probe' }), 2, 'the dead shard\'s actors are gone');
    assert.is(value(after, 'joerl_actors_stopped_total', { type: 'Probe', reason: 'killed' }), 4);
    assert.ok(value(after, 'joerl_messages_processed_total') >= processed, 'processed kept');
    system.send(fresh, { op: 'ping' });
    await expect(inbox, (m) => m?.event === 'pong' && m.tag === 'fresh', 'the new incarnation works');
  }));

test.run();
