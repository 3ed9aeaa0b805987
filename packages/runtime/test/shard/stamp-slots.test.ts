// A process's stamp array (a slot of its shard thread's stamp table, actor/stamp-tables.ts) is freed when the process exits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';

const SLOTS = new URL('../fixtures/stamp-slots.actor.mjs', import.meta.url);

type SlotsMsg = { count: true; report: Pid } | { array: Pid; report: Pid } | { stop: true };

test("an exiting process's stamp slot goes back to its thread's table, whether its mailbox is empty or holds dead letters", () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const spawn = async () => (await system.spawn(SLOTS, {}, { shard: 1 })) as Pid<SlotsMsg>;
    const slots = async (of: Pid<SlotsMsg>, cue: SlotsMsg): Promise<number> => {
      system.send(of, cue);
      return (await expect<{ slots: number }>(inbox, (m) => typeof m?.slots === 'number', 'a count of slots')).slots;
    };
    const stopped = async (p: Pid<SlotsMsg>) => {
      const ref = inbox.monitor(p);
      system.send(p, { stop: true });
      await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the DOWN');
    };
    const gone = await spawn();
    await stopped(gone);
    const counter = await spawn();
    const base = await slots(counter, { count: true, report: inbox.pid });
    for (const stopAt of ['empty', 'queued'] as const) {
      const a = await spawn();
      assert.is(await slots(a, { array: gone, report: inbox.pid }), base + 1, 'the stamp array took a slot');
      if (stopAt === 'queued') {
        // Stopped with stamped messages still queued behind the stop: they become dead letters first.
        system.send(a, { array: gone, report: inbox.pid });
        await stopped(a);
        await expect(inbox, (m) => typeof m?.slots === 'number', 'the second count');
      } else {
        assert.is(await slots(a, { count: true, report: inbox.pid }), base + 1, 'kept while the process lives');
        await stopped(a);
      }
      assert.is(await slots(counter, { count: true, report: inbox.pid }), base, `freed at the exit (${stopAt})`);
    }
  }));

test.run();
