// Every error class: its code, name, default message, and the round trip through the wire form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as api from '@joerl/runtime';
import { types } from 'node:util';
import { forWire } from '../src/codec/prepare.ts';
import { fromWireError, toWireError } from '../src/errors.ts';

const table: Array<[api.JoerlError, string, string, RegExp]> = [
  [new api.InvalidOptionError('options.x must be y'), 'InvalidOptionError', 'ERR_INVALID_OPTION', /options\.x must be y/],
  [new api.InvalidArgumentError('bad'), 'InvalidArgumentError', 'ERR_INVALID_ARGUMENT', /bad/],
  [new api.NoProcError('<0.1.2>', { m: 1 }), 'NoProcError', 'ERR_NO_PROC', /no process <0\.1\.2>/],
  [new api.UnknownNameError('svc', 1), 'UnknownNameError', 'ERR_UNKNOWN_NAME', /"svc"/],
  [new api.NameTakenError('svc', '<0.1.2>'), 'NameTakenError', 'ERR_NAME_TAKEN', /already registered to <0\.1\.2>/],
  [new api.MailboxFullError('<0.1.2>', 2, 'x'), 'MailboxFullError', 'ERR_MAILBOX_FULL', /capacity 2/],
  [new api.UnencodableError('message.f', 'a function'), 'UnencodableError', 'ERR_UNENCODABLE', /a function at message\.f/],
  [new api.NotMovableError('a SharedArrayBuffer', 'send it as it is'), 'NotMovableError', 'ERR_NOT_MOVABLE', /cannot move a SharedArrayBuffer: send it as it is/],
  [new api.ModuleNotFoundError('file:///x.js'), 'ModuleNotFoundError', 'ERR_MODULE_NOT_FOUND', /cannot load actor module file:\/\/\/x\.js/],
  [new api.ModuleFailedError('file:///x.js', new SyntaxError('Unexpected token')), 'ModuleFailedError', 'ERR_MODULE_FAILED', /module file:\/\/\/x\.js failed while it loaded: SyntaxError: Unexpected token/],
  [new api.ExportNotFoundError('file:///x.js', 'Foo', ['default']), 'ExportNotFoundError', 'ERR_EXPORT_NOT_FOUND', /no export "Foo" \(exports: default\)/],
  [new api.NotABehaviourError('file:///x.js', 'default'), 'NotABehaviourError', 'ERR_NOT_A_BEHAVIOUR', /defineActor/],
  [new api.InitFailedError('<0.1.2>', 'normal', 'init threw: x'), 'InitFailedError', 'ERR_INIT_FAILED', /failed to start: init threw: x/],
  [new api.ShardDownError(2), 'ShardDownError', 'ERR_SHARD_DOWN', /shard 2 went down/],
  [new api.SystemStoppedError(), 'SystemStoppedError', 'ERR_SYSTEM_STOPPED', /has been shut down/],
  [new api.NotInActorError('receive'), 'NotInActorError', 'ERR_NOT_IN_ACTOR', /receive can only be called/],
  [new api.CallTimeoutError('<0.1.2>', 50), 'CallTimeoutError', 'ERR_CALL_TIMEOUT', /within 50 ms/],
  [new api.CallFailedError('<0.1.2>', 'killed', 'the server exited (killed)'), 'CallFailedError', 'ERR_CALL_FAILED', /server exited/],
  [new api.RegistryFullError(10), 'RegistryFullError', 'ERR_REGISTRY_FULL', /full \(10 names\)/],
  [new api.SpawnTimeoutError('<0.1.2>', 50, 'its init had not returned'), 'SpawnTimeoutError', 'ERR_SPAWN_TIMEOUT', /did not start within 50 ms \(its init had not returned\), so it was killed/],
  [new api.ServerRunningError('http://127.0.0.1:1', 'port 2'), 'ServerRunningError', 'ERR_SERVER_RUNNING', /already runs at http:\/\/127\.0\.0\.1:1, not port 2/],
  [new api.NodeDownError(7, 'it went down'), 'NodeDownError', 'ERR_NODE_DOWN', /node 7 is not connected: it went down/],
  [new api.UnknownNodeError('bee', ['a']), 'UnknownNodeError', 'ERR_UNKNOWN_NODE', /no node "bee" is connected \(connected: a\)/],
  [new api.NodeNameTakenError('a', 'demo'), 'NodeNameTakenError', 'ERR_NODE_NAME_TAKEN', /"a" is already in cluster "demo"/],
  [new api.NodeConnectError('no server'), 'NodeConnectError', 'ERR_NODE_CONNECT', /cannot start the node: no server/],
  [new api.NotANodeError('registerGlobal'), 'NotANodeError', 'ERR_NOT_A_NODE', /registerGlobal needs a node/],
  [new api.InvalidTransitionError('locked', 'push'), 'InvalidTransitionError', 'ERR_INVALID_TRANSITION', /event "push" is not allowed in state "locked"/],
  [new api.ChildExistsError('w1', new api.Pid(0, 1, 7)), 'ChildExistsError', 'ERR_CHILD_EXISTS', /child "w1", running as <0\.1\.7>/],
  [new api.ChildExistsError('w1'), 'ChildExistsError', 'ERR_CHILD_EXISTS', /child "w1" \(not running\); restartChild it/],
  [new api.ChildNotFoundError('w2'), 'ChildNotFoundError', 'ERR_CHILD_NOT_FOUND', /no child "w2"/],
  [new api.ChildRunningError('w3'), 'ChildRunningError', 'ERR_CHILD_RUNNING', /"w3" is running; terminateChild it first/],
  [new api.ChildRestartingError('w4'), 'ChildRestartingError', 'ERR_CHILD_RESTARTING', /"w4" is being restarted/],
];

/** An error's own fields that cross the wire: primitives and pids, not the undelivered message. */
const crossing = (err: Error): [string, unknown][] =>
  Object.entries(err).filter(([k, v]) => !['name', 'code', 'message', 'stack', 'reason', 'cause', 'undelivered'].includes(k) && (v === null || typeof v !== 'object' || v instanceof api.Pid));

for (const [err, name, code, message] of table) {
  test(`${name}: code ${code}, its name, a useful message, and it survives the wire`, () => {
    assert.instance(err, api.JoerlError);
    assert.instance(err, Error);
    assert.is(err.name, name);
    assert.is(err.code, code);
    assert.match(err.message, message);
    const back = fromWireError(toWireError(err));
    assert.ok(back instanceof (err.constructor as typeof api.JoerlError), "instanceof holds after the trip (and across package copies)");
    assert.is((back as api.JoerlError).code, code);
    assert.is(back.message, err.message);
    assert.is(back.name, name);
    for (const [k, v] of crossing(err)) assert.equal((back as unknown as Record<string, unknown>)[k], v, `its ${k} crosses too`);
    // Regression: it was made with Object.create, not an Error constructor, and a message holding it was refused.
    assert.ok(types.isNativeError(back), 'a real error: it can be sent on');
    assert.not.throws(() => forWire({ failed: back }, true), 'sent on in a message');
  });
}

test("an error's own fields cross when they always encode (primitives, pids); anything else, and the undelivered message, stays behind", () => {
  const child = new api.ChildExistsError('w1', new api.Pid(0, 2, 9));
  const back = fromWireError(toWireError(child)) as api.ChildExistsError;
  assert.is(back.id, 'w1');
  assert.ok(back.pid instanceof api.Pid && back.pid.equals(new api.Pid(0, 2, 9)), "the running child's pid");
  const mine = Object.assign(new Error('not found'), { status: 404, retry: false, body: { big: 'object' }, fn: () => 1 });
  assert.equal({ ...fromWireError(toWireError(mine)) }, { status: 404, retry: false }, 'a user error keeps its primitive fields');
  assert.is((fromWireError(toWireError(new api.NoProcError('<0.1.2>', { m: 1 }))) as api.NoProcError).undelivered, undefined);
  // A wire error from another node may name any field: __proto__ stays a field, and the reserved ones are not overwritten.
  const forged = fromWireError({ name: 'Error', code: 'ERR_NO_PROC', message: 'm', fields: JSON.parse('{"__proto__": {"polluted": true}, "code": "ERR_OTHER", "x": 1}') });
  assert.instance(forged, api.NoProcError);
  assert.is(forged.message, 'm');
  assert.is((forged as api.JoerlError).code, 'ERR_NO_PROC');
  assert.is((forged as unknown as { x: number }).x, 1);
  assert.is(({} as { polluted?: boolean }).polluted, undefined);
  assert.is((forged as unknown as { polluted?: boolean }).polluted, undefined, 'the prototype did not change');
});

test('a thrown value that String() cannot turn into text still makes its error (a null-prototype object)', () => {
  const bare = Object.create(null) as object;
  const failed = new api.ModuleFailedError('file:///x.js', bare);
  assert.match(failed.message, /failed while it loaded: a object \(\[object Object\]\)/);
  assert.is(failed.cause, bare);
  assert.equal(toWireError(bare), { name: 'Error', message: '[object Object]' });
});

test('instanceof tells error classes apart by code, not by prototype', () => {
  const e = new api.NoProcError('<0.1.2>');
  assert.ok(e instanceof api.NoProcError);
  assert.ok(e instanceof api.JoerlError);
  assert.not.ok(e instanceof api.MailboxFullError);
  assert.not.ok(new Error('x') instanceof api.JoerlError);
  assert.not.ok(({ code: 'ERR_NO_PROC' }) instanceof api.NoProcError, 'a look-alike without the brand is not one');
});

test('a standard error crosses with its class (as in a message); any other foreign error as a plain Error or a JoerlError', () => {
  // Regression: a RangeError came back a plain Error named RangeError (instanceof RangeError false).
  const back = fromWireError(toWireError(new TypeError('nope')));
  assert.instance(back, TypeError);
  assert.is(back.message, 'nope');
  assert.is(back.name, 'TypeError');
  assert.match(back.stack ?? '', /nope/);
  assert.instance(fromWireError(toWireError(new RangeError('r'))), RangeError);
  const sys = fromWireError(toWireError(Object.assign(new TypeError('bad arg'), { code: 'ERR_INVALID_ARG_TYPE' })));
  assert.instance(sys, TypeError, "a Node error keeps its class and its code");
  assert.is((sys as { code?: string }).code, 'ERR_INVALID_ARG_TYPE');
  class HttpError extends Error {
    code = 'E_HTTP';
  }
  const mine = fromWireError(toWireError(new HttpError('404')));
  assert.instance(mine, api.JoerlError, 'a user class with a code');
  assert.not.throws(() => forWire({ failed: mine }, true), 'sent on in a message');
  assert.is(mine.name, 'Error');
  assert.is(fromWireError(toWireError('just a string')).message, 'just a string');
  // A name or code that is a key of Object.prototype finds no class.
  for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    const odd = fromWireError({ name: key, message: 'm', code: key });
    assert.instance(odd, api.JoerlError, key);
    assert.is(odd.name, key);
    assert.instance(fromWireError({ name: key, message: 'm' }), Error, key);
  }
});

test("an error's cause crosses with it, a few levels deep (a cause that leads back to itself stops there)", () => {
  const job = new TypeError('x.map is not a function');
  const back = fromWireError(toWireError(new api.OffloadFailedError('file:///job.js', 'its job threw', { cause: job })));
  assert.instance(back, api.OffloadFailedError);
  const cause = back.cause as Error;
  assert.is(cause.name, 'TypeError');
  assert.is(cause.message, 'x.map is not a function');
  const loop = new Error('loop');
  loop.cause = loop;
  let depth = 0;
  for (let e: unknown = fromWireError(toWireError(loop)); e instanceof Error; e = e.cause) depth++;
  assert.is(depth, 5, 'the error and four causes');
});

test.run();
