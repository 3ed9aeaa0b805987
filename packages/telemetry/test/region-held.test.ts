// A region's HELD word: a reader waits while its writer holds, and then sees what the writer wrote before releasing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { resolveTelemetry } from '@joerl/telemetry';
import { Aggregator } from '@joerl/telemetry/aggregator';
import { ShardMetrics, createRegion, heldWord, waitUnheld } from '@joerl/telemetry/internal';

const internal = pathToFileURL(createRequire(import.meta.url).resolve('@joerl/telemetry/internal')).href;

// The writer, on a thread of its own: holds, says so, waits for the reader to be waiting, then counts 7 sends and releases.
const WRITER = `
const { workerData: { url, region, sync, config } } = require('node:worker_threads');
import(url).then(({ ShardMetrics }) => {
  const m = new ShardMetrics(region, config, () => {});
  const s = new Int32Array(sync);
  m.hold();
  Atomics.store(s, 0, 1);
  Atomics.notify(s, 0);
  Atomics.wait(s, 1, 0);
  m.sentMany(7);
  m.release();
});
`;

test('a scrape waits for a held region and then sees what was written before its release', async () => {
  const agg = new Aggregator();
  const region = createRegion(4096);
  agg.attach(1, region);
  // The reader's own writer on the region announces the series the worker's writer will use: the same slots, in the same order.
  const config = resolveTelemetry({});
  new ShardMetrics(region, config, (slot, metric, labels) => agg.announce(1, slot, metric, labels));
  const sync = new SharedArrayBuffer(8);
  const s = new Int32Array(sync);
  const worker = new Worker(WRITER, { eval: true, workerData: { url: internal, region, sync, config } });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  await Atomics.waitAsync(s, 0, 0).value;
  assert.is(Atomics.load(heldWord(region), 0), 1, 'the writer holds');
  // The writer counts only once we are about to wait: a reader that did not wait would read 0.
  Atomics.store(s, 1, 1);
  Atomics.notify(s, 1);
  assert.is(agg.total('joerl_messages_sent_total'), 7);
  assert.is(Atomics.load(heldWord(region), 0), 0, 'released');
  await exited;
});

test('a hold nobody releases (a thread killed in one) ends the wait after its bound', () => {
  const region = createRegion(64);
  const held = heldWord(region);
  Atomics.store(held, 0, 1);
  assert.is(waitUnheld(held, 1), false);
  Atomics.store(held, 0, 0);
  assert.is(waitUnheld(held, 1), true);
});

test.run();
