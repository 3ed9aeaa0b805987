// A call whose request no longer encodes when its batch is packed (changed after the call) fails at once: it is not left waiting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem } from '@joerl/runtime';
import { expectReport, probe } from '../helpers.ts';

test('a call to another shard whose request is spoiled after the call fails with ERR_UNENCODABLE, and its request is a dead letter', async () => {
  // Unchecked sends, as in production: the request is packed as it is when its batch goes.
  const system = await ActorSystem.start({ threads: 2, checkLocalSends: false });
  try {
    const inbox = system.inbox();
    const dead: any[] = [];
    system.on('deadLetter', (dl) => dead.push(dl));
    const server = await probe(system, inbox, 2, { tag: 'spoiled-server' });
    const caller = await probe(system, inbox, 1, { tag: 'spoiled-caller' });
    system.send(caller, { op: 'call-then-spoil', to: server });
    // Before the fix: no reply and no DOWN ever came (the call's monitor went in the dropped op), and with timeoutMs Infinity it never settled.
    const failed = await expectReport(inbox, 'call-failed', 'spoiled-caller');
    assert.is(failed.code, 'ERR_UNENCODABLE');
    assert.is(dead.length, 1);
    assert.is(dead[0].reason, 'unencodable');
    assert.is(String(dead[0].to), String(server));
    // The caller lives on, and calls again.
    system.send(caller, { op: 'ping' });
    await expectReport(inbox, 'pong', 'spoiled-caller');
  } finally {
    await system.shutdown();
  }
});

test.run();
