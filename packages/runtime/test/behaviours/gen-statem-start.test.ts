// GenStatem: what runs after the start (the initial enter hook, as OTP's), init's postpone, and postponing under a transition table.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GenStatem, type Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';

const STARTS = new URL('../fixtures/starts.statem.ts', import.meta.url);
const test = suite('gen_statem-start');

test('the initial enter hook runs once the spawn has returned: it may call its spawner, and a throw there crashes the running machine', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const owner = (await system.spawn(STARTS, { report: inbox.pid }, { export: 'Owner' })) as Pid<any>;
    system.cast(owner, 'go');
    assert.is((await expect<any>(inbox, (m) => m?.event === 'spawned', 'the spawn to return')).spawned, 'ok');
    assert.is((await expect<any>(inbox, (m) => m?.event === 'announced', 'the enter hook')).answer, 'welcome');
    // A throwing hook: the spawn resolves (the start went well), then the machine exits with the panic.
    system.cast(owner, 'throws');
    assert.is((await expect<any>(inbox, (m) => m?.event === 'spawned', 'the second spawn to return')).spawned, 'ok');
    const down = await expect<any>(inbox, (m) => m?.event === 'down', 'the machine to crash');
    assert.is(down.reason.kind, 'panic');
    assert.match(down.reason.message, /enter failed/);
  }));

test("postpone() among init's actions is ignored, as OTP's", () =>
  withSystem({ threads: 1 }, async (system) => {
    const m = (await system.spawn(STARTS, undefined, { export: 'InitPostpones' })) as Pid<any>;
    assert.is(await system.call(m, 'state?'), 'idle');
  }));

test('with a transition table, an event the handler postpones in its state is judged by the table when it is retried, not refused', () =>
  withSystem({ threads: 1 }, async (system) => {
    const m = (await system.spawn(STARTS, undefined, { export: 'TablePostpone' })) as Pid<any>;
    const unlocked = system.call(m, 'unlock');
    system.cast(m, 'done');
    assert.is(await unlocked, 'unlocked');
    assert.equal(await GenStatem.info(system, m), { state: 'unlocked', invalidTransitions: 0 });
  }));

test.run();
