// Delivery: user and runtime sends, mailboxes (or a waiting receive), and dead letters for what cannot be delivered.

import type { SpanContext } from '@opentelemetry/api';
import { formatTraceparent, rootKey, rootKeyGen } from '@joerl/telemetry/internal';
import { Pid, isPid } from '../actor/pid.js';
import { STAMP_IN } from '../actor/mailbox.js';
import { NO_STAMP, isStamped, msOf } from '../actor/ticks.js';
import { isCallMessage, isFrom } from '../actor/messages.js';
import { type Proc, S_DEAD, S_IDLE } from '../actor/proc.js';
import { movesPending } from '../codec/move.js';
import { forLocal, forWire } from '../codec/prepare.js';
import { InvalidArgumentError, MailboxFullError, NoProcError, UnknownNameError } from '../errors.js';
import { describe } from '../validate.js';
import { DROPPED, THREAD_STRIDE_I32 } from '../ring/control-block.js';
import { type DeadLetter, type DeadLetterReason, OP_CALL, OP_CALL_AT, OP_CLOCK, OP_DEAD_LETTER, OP_MONITOR, OP_REMOTE, OP_SEND, OP_SEND_AT, OP_SEND_TP, OP_SEND_TR, OP_TRACE_KEY, isCallOp, isSendOp } from './protocol.js';
import type { Receive } from './receive.js';
import { R_SEND, R_SEND_TP, REMOTE } from './remote-ops.js';
import { NO_ROUTE, type Router } from './router.js';
import type { ShardState } from './shard-state.js';

export class Delivery {
  private readonly s: ShardState;
  private readonly router: Router;
  private readonly rcv: Receive;
  /** The last OP_CLOCK value sent to each thread. */
  private readonly dstClock: number[];
  /** For each thread, the batch (Transport.batchNumber) our root key last went ahead in, and of which key (see keyAhead). */
  private readonly keyBatch: number[];
  private keyGen = 0;
  /** The control block and this thread's QUEUED slot (see ShardState.queuedIndex). */
  private readonly ctl: Int32Array;
  private readonly queued: number;
  private readonly dropped: number;
  /** checkLocalSends: in-shard sends are checked and copied as if they crossed threads. */
  private readonly checked: boolean;

  constructor(state: ShardState, router: Router, receive: Receive) {
    this.s = state;
    this.router = router;
    this.rcv = receive;
    this.dstClock = new Array<number>(state.threads).fill(NO_STAMP);
    this.keyBatch = new Array<number>(state.threads).fill(-1);
    this.ctl = state.ctl.i32;
    this.queued = state.queuedIndex;
    this.dropped = state.thread * THREAD_STRIDE_I32 + DROPPED;
    this.checked = state.config.checkLocalSends;
  }

  /**
   * A value for a receiver on this thread, as one on another thread would
   * get it (checked and copied) with checkLocalSends; otherwise the sender's
   * own object, unless it carries a moved buffer. Throws `ERR_UNENCODABLE`.
   */
  prepareLocal(value: unknown): unknown {
    return this.checked || movesPending() ? forLocal(value, this.checked) : value;
  }

  /** The thread's tick clock moved on (actor/ticks.ts): each thread gets its clock again with the next send there. */
  ticksMoved(): void { this.dstClock.fill(NO_STAMP); }

  /** A value for a ring to another thread (`remote`: on its way to another node): checked (`ERR_UNENCODABLE`), copied when it must be (see forWire). */
  prepareRemote(value: unknown, remote = false): unknown {
    return forWire(value, this.checked, remote);
  }

  /**
   * User-facing send: throws what can be known here, dead-letters the rest. `from` is for telemetry only.
   * `prepared`: the runtime built `msg` around a value it already made ready for a receiver on this
   * thread (a call envelope: only its request is the sender's), so an in-shard delivery copies nothing.
   */
  send(to: Pid<unknown> | string, msg: unknown, from?: Pid, prepared?: boolean): void {
    const s = this.s;
    const pid = isPid(to) ? to : this.resolveName(to, msg);
    s.turnSends++;
    const obs = s.observer;
    // (The send's stamp is in STAMP_IN.at from here on, for enqueue or clockTo: see ShardObserver.sent.)
    obs.sent(from, pid);
    const tc = obs.traceSend(from, pid);
    const t = this.router.route(pid);
    if (t === s.thread) {
      const p = s.procs.get(pid.serial);
      if (p === undefined || p.status === S_DEAD) {
        this.refused('actor_not_found', null, pid);
        throw new NoProcError(pid.toString(), msg);
      }
      let m = msg;
      if (prepared !== true && (this.checked || movesPending())) {
        try {
          m = forLocal(msg, this.checked);
        } catch (err) {
          this.refused('unencodable', null, pid);
          throw err;
        }
      }
      // Sent while the thread runs a signal (a terminate an exit signal started): behind the signals queued
      // meanwhile, among them this sender's own (an exit it sent before this message), as one sender's signals
      // and messages keep their order. (A full mailbox is then a dead letter when it is delivered, not a throw.)
      if (this.router.draining) {
        this.router.local(OP_SEND, pid.serial, m);
        return;
      }
      // (The thread's send context is reused send after send: the mailbox keeps a copy.)
      if (!this.enqueue(p, m, tc === undefined ? undefined : tc.kept())) {
        this.refused('mailbox_full', p, pid);
        throw new MailboxFullError(pid.toString(), p.mailbox.capacity, m);
      }
      return;
    }
    if (t === NO_ROUTE) {
      this.refused('actor_not_found', null, pid);
      throw new NoProcError(pid.toString(), msg);
    }
    let m: unknown;
    try {
      m = forWire(msg, this.checked, t === REMOTE);
    } catch (err) {
      this.refused('unencodable', null, pid);
      throw err;
    }
    if (t === REMOTE) {
      // Another node: its connection carries the trace context, not the clock (clocks differ between machines).
      // From a shard it goes through the main thread's ring: unsent until that frame is published.
      if (s.thread !== 0) s.transport.counted(0);
      if (tc === undefined) s.remote(R_SEND, pid, m, null, null, null);
      else s.remote(R_SEND_TP, pid, m, formatTraceparent(tc), null, null);
      return;
    }
    const tr = s.transport;
    const stamped = this.clockTo(t);
    // (A new trace's first send, stamped: its number, the ids derived from it, see OP_SEND_TR; behind the root key.)
    const first = tc !== undefined && tc.root !== 0 && stamped;
    if (first) this.keyAhead(t);
    // Counted as unsent until its frame is published (a shard that dies first reports it). Right before
    // its op: an op queued in between (the key) could fill the batch, which would go out counting it.
    tr.counted(t);
    // The context as its ids' words (always sampled: an unsampled send carries none), not hex or a traceparent to format and parse.
    if (tc === undefined) tr.emit2(t, stamped ? OP_SEND_AT : OP_SEND, pid.serial, m);
    else if (first) tr.emit3(t, OP_SEND_TR, pid.serial, m, tc.root);
    else tr.emit9(t, OP_SEND_TP, pid.serial, m, stamped, tc.t0, tc.t1, tc.t2, tc.t3, tc.s0, tc.s1);
    // Copied for the wire (a big or moved part): a batch of big parts goes out before the turn ends.
    if (m !== msg) tr.tookParts(t);
  }

  /**
   * {@link send} of a prepared message to `p`, a live process of this thread
   * the caller holds already (an in-shard call's server): the same steps,
   * without resolving, routing and looking the process up again.
   */
  sendTo(p: Proc, msg: unknown, from: Pid): void {
    const s = this.s;
    s.turnSends++;
    const obs = s.observer;
    obs.sent(from, p.pid);
    const tc = obs.traceSend(from, p.pid);
    if (!this.enqueue(p, msg, tc === undefined ? undefined : tc.kept())) {
      this.refused('mailbox_full', p, p.pid);
      throw new MailboxFullError(p.pid.toString(), p.mailbox.capacity, msg);
    }
  }

  /**
   * This thread's root key goes ahead of the OP_SEND_TR ops of each batch
   * for thread `t` (OP_TRACE_KEY; a batch cut by queuing the key gets it
   * again): the receiver derives their trace ids from it, and a receiver
   * that restarted finds it in the next batch.
   */
  private keyAhead(t: number): void {
    const gen = rootKeyGen();
    if (gen !== this.keyGen) {
      this.keyGen = gen;
      this.keyBatch.fill(-1);
    }
    const tr = this.s.transport;
    let b: number;
    while (this.keyBatch[t] !== (b = tr.batchNumber(t))) {
      this.keyBatch[t] = b;
      const k = rootKey();
      tr.emit4(t, OP_TRACE_KEY, k[0], k[1], k[2], k[3]);
    }
  }

  /**
   * The stamp of the send being made (`STAMP_IN.at`, written by the
   * observer's `sent`) for thread `t`'s frame: an OP_CLOCK goes first when it
   * differs from the last one sent there. True when the send is stamped. The
   * stamp is read here, not passed in: a double passed to a call that is not
   * inlined is boxed.
   */
  private clockTo(t: number): boolean {
    const stamp = STAMP_IN.at;
    if (!isStamped(stamp)) return false;
    if (this.dstClock[t] !== stamp) {
      this.dstClock[t] = stamp;
      this.s.transport.emit1(t, OP_CLOCK, msOf(stamp)); // (as a clock: the receiver makes it a stamp of its own)
    }
    return true;
  }

  /**
   * A call to a process of thread `t` (another thread of this node): its
   * monitor and its envelope `env` as one OP_CALL (see protocol.ts), only the
   * request walked and encoded, the envelope rebuilt by the receiver. A
   * traced call goes as OP_MONITOR and a traced send of `env`. Counted and
   * stamped as send() counts and stamps a message.
   */
  sendCall(t: number, pid: Pid, from: Pid, ref: number, env: { req: unknown; t?: number; d?: number }): void {
    const s = this.s;
    s.turnSends++;
    const obs = s.observer;
    obs.sent(from, pid);
    const tc = obs.traceSend(from, pid);
    let m: unknown;
    try {
      m = forWire(tc === undefined ? env.req : env, this.checked, false);
    } catch (err) {
      this.refused('unencodable', null, pid);
      throw err;
    }
    const tr = s.transport;
    const stamped = this.clockTo(t);
    // Counted right before the op that carries it (see send).
    if (tc === undefined) {
      tr.counted(t);
      tr.emit6(t, stamped ? OP_CALL_AT : OP_CALL, pid.serial, from, ref, m, env.t ?? null, env.d ?? null);
    } else {
      tr.emit3(t, OP_MONITOR, from, pid.serial, ref);
      tr.counted(t);
      tr.emit9(t, OP_SEND_TP, pid.serial, m, stamped, tc.t0, tc.t1, tc.t2, tc.t3, tc.s0, tc.s1);
    }
    if (m !== (tc === undefined ? env.req : env)) tr.tookParts(t);
  }

  /** Runtime-internal send (timers, offload results): never throws; failures become dead letters. */
  sendQuiet(to: Pid<unknown> | string, msg: unknown): void {
    let pid: Pid<unknown> | undefined;
    if (typeof to === 'string') {
      // (A name no table can hold throws in whereis; here, in a timer, it is a dead letter.)
      try {
        pid = this.s.names.whereis(to);
      } catch {
        pid = undefined;
      }
      if (pid === undefined) {
        this.deadLetter(to, msg, 'actor_not_found');
        return;
      }
    } else pid = to;
    const t = this.router.route(pid);
    if (t === NO_ROUTE) {
      this.deadLetter(pid, msg, 'actor_not_found');
      return;
    }
    let m: unknown;
    try {
      m = t === this.s.thread ? this.prepareLocal(msg) : forWire(msg, this.checked, t === REMOTE);
    } catch {
      this.deadLetter(pid, msg, 'unencodable');
      return;
    }
    // Stamped as any send is (a timer's message waits in its mailbox like the rest), not across nodes.
    if (t !== REMOTE) this.s.observer.quietStamp();
    if (t === this.s.thread) {
      // Counted once it is in the mailbox: a dead or full receiver here is a failed send only, as with send.
      if (this.deliverSerial(pid.serial, m, STAMP_IN.at, undefined)) this.s.observer.sentQuiet();
      return;
    }
    // Counted once it can go (a failure above is a failed send only, as send's are).
    this.s.observer.sentQuiet();
    if (t === REMOTE) {
      // Through the main thread's ring on a shard: counted as unsent until that frame is published.
      if (this.s.thread !== 0) this.s.transport.counted(0);
      this.s.remote(R_SEND, pid, m, null, null, null);
    } else {
      const stamped = this.clockTo(t);
      this.s.transport.counted(t);
      this.s.transport.emit2(t, stamped ? OP_SEND_AT : OP_SEND, pid.serial, m);
      if (m !== msg) this.s.transport.tookParts(t);
    }
  }

  /** Delivers to a process of this thread, dead-lettering on failure; false when it did. */
  deliverSerial(serial: number, msg: unknown, stamp: number, trace: SpanContext | undefined): boolean {
    const p = this.s.procs.get(serial);
    // An exiting process (its terminate running) still receives: terminate may wait for messages.
    if (p === undefined || p.status === S_DEAD) {
      this.deadLetter(this.s.pidOf(serial), msg, 'actor_not_found');
      return false;
    }
    STAMP_IN.at = stamp;
    if (this.enqueue(p, msg, trace)) return true;
    this.deadLetter(p.pid, msg, 'mailbox_full', p);
    this.callRefused(p, msg);
    return false;
  }

  /**
   * A message from another thread or node found `p`'s mailbox full (and was
   * dead-lettered): if it was a call, its caller is answered now (set by
   * Calls), as a caller on this thread is, rather than at its timeout.
   */
  callRefused: (p: Proc, msg: unknown) => void = () => {};

  /** A call's request from process `from` (of this thread) failed to pack (see onUnencodableOp): the call fails now (set by Calls). */
  callUnsent: (from: Pid, ref: number) => void = () => {};

  /**
   * Puts a message in a mailbox (or hands it to a waiting receive); schedules
   * the process. Its queue-wait stamp is in `STAMP_IN.at` (NaN: none), set by
   * the caller right before: a double is never an argument on this path, as
   * a call that V8 does not inline (that depends on what else the caller
   * inlined) boxes it, a heap allocation per message. No default parameters
   * here or in deliverSerial either: a parameter that may be undefined is a
   * tagged value.
   */
  enqueue(p: Proc, msg: unknown, trace: SpanContext | undefined): boolean {
    const at = STAMP_IN.at;
    if (p.receivers !== null) {
      if (this.rcv.offer(p, msg)) return true;
      STAMP_IN.at = at; // (a receive's predicate is user code: it may have sent)
    }
    if (isStamped(at) || trace !== undefined) {
      if (!p.mailbox.pushStamped(msg, trace)) return false;
    } else if (!p.mailbox.push(msg)) return false;
    this.ctl[this.queued]!++;
    this.s.observer.mailboxIn(p);
    this.s.counters.delivered++;
    if (p.status === S_IDLE) this.s.schedule(p);
    return true;
  }

  /** EXIT and DOWN messages: never refused by a full mailbox, or they would be lost. */
  enqueueSystem(p: Proc, msg: object): void {
    if (p.receivers !== null && this.rcv.offer(p, msg)) return;
    p.mailbox.pushAlways(msg);
    this.s.observer.mailboxIn(p);
    if (p.status === S_IDLE) this.s.schedule(p);
  }

  /**
   * A message that could not be delivered: counted (unless `counted`: a send
   * that failed on the spot, see Calls.cast), and reported on the main
   * thread. Once this thread's shutdown has begun it is only counted (in
   * DROPPED), and the main thread reports the total with reason `shutdown`.
   */
  deadLetter(to: Pid<unknown> | string, message: unknown, reason: DeadLetterReason, p: Proc | null = null, counted = false): void {
    const s = this.s;
    if (s.shuttingDown) {
      if (!counted) this.ctl[this.dropped]!++;
      return;
    }
    if (!counted) this.failed(reason, p, to);
    const dl: DeadLetter = { to, message, reason, shard: s.thread };
    if (s.thread === 0) {
      s.hooks.deadLetter?.(dl);
      return;
    }
    try {
      dl.message = forWire(message, false);
    } catch {
      dl.message = UNENCODABLE;
    }
    s.transport.counted(0);
    s.transport.emit1(0, OP_DEAD_LETTER, dl);
  }

  /** Main thread: a dead letter another thread reported (only counted once our shutdown has begun). */
  onReport(dl: DeadLetter): void {
    if (this.s.shuttingDown) this.ctl[this.dropped]!++;
    else this.s.hooks.deadLetter?.(dl);
  }

  /** An op that passed the encodability check but still failed to pack: report it, drop only it. */
  onUnencodableOp(dest: number, op: unknown[]): void {
    const kind = op[0];
    if (isSendOp(kind) || isCallOp(kind)) {
      this.deadLetter(new Pid(this.s.node, dest, op[1] as number), UNENCODABLE, 'unencodable');
      // A call's request (OP_CALL, or a traced call's envelope): its caller would wait for a reply
      // that cannot come (the call's monitor went in the same op, or with tracing ahead of it).
      if (isCallOp(kind)) this.callUnsent(op[2] as Pid, op[3] as number);
      else if (isCallMessage(op[2]) && isFrom(op[2].from)) this.callUnsent(op[2].from.pid, op[2].from.ref);
    }
    // A message to another node, on its way to the main thread: the op names its target.
    else if (kind === OP_REMOTE && (op[1] === R_SEND || op[1] === R_SEND_TP)) {
      this.deadLetter(op[2] as Pid, UNENCODABLE, 'unencodable');
      if (isCallMessage(op[3]) && isFrom(op[3].from)) this.callUnsent(op[3].from.pid, op[3].from.ref);
    }
    else if (kind === OP_DEAD_LETTER) {
      // A dead letter whose message would not encode (changed after it was sent): reported without it, counted already.
      this.s.transport.counted(0);
      this.s.transport.emit1(0, OP_DEAD_LETTER, { ...(op[1] as DeadLetter), message: UNENCODABLE });
    }
  }

  /** A pid, or the pid registered under a name (ERR_UNKNOWN_NAME otherwise). */
  resolveTarget(to: Pid<unknown> | string, op: string): Pid<unknown> {
    if (isPid(to)) return to;
    if (typeof to === 'string') {
      const pid = this.s.names.whereis(to);
      if (pid === undefined) {
        this.failed('actor_not_found', null, to);
        throw new UnknownNameError(to);
      }
      return pid;
    }
    throw new InvalidArgumentError(`${op} needs a Pid or a registered name, got ${describe(to)}`);
  }

  /**
   * A send that `sent` counted failed on the spot (it throws): a failed send,
   * not a sent one after all (messages_sent_total counts sends that
   * succeeded). Taken back from the turn's count, and from the observer's
   * when it counted it otherwise; nothing was written for it yet, so no
   * counter is seen going down. (One that fails later, on the receiver's
   * thread, was sent: it is only counted as failed there.)
   */
  private refused(reason: string, p: Proc | null, to: Pid<unknown> | string): void {
    this.s.turnSends--;
    this.s.observer.unsent();
    this.failed(reason, p, to);
  }

  /** A call to `to`, a dead process of this thread, failed on the spot: a failed send, as a send to it is. */
  callNoProc(to: Pid<unknown>): void {
    this.failed('actor_not_found', null, to);
  }

  /** A send that failed on the spot or later: counted, never sampled. */
  private failed(reason: string, p: Proc | null, to: Pid<unknown> | string): void {
    this.s.counters.deadLetters++;
    this.s.observer.sendFailed(reason, p, to);
  }

  /** The slow path of `send`: a name (or a bad argument). */
  private resolveName(to: unknown, msg: unknown): Pid<unknown> {
    if (typeof to === 'string') {
      const found = this.s.names.whereis(to);
      if (found === undefined) {
        this.failed('actor_not_found', null, to);
        throw new UnknownNameError(to, msg);
      }
      return found;
    }
    throw new InvalidArgumentError(`send needs a Pid or a registered name, got ${describe(to)}`);
  }
}

/** What a dead letter says of a message that could not be encoded. */
const UNENCODABLE = '[unencodable message]';
