// Registered names: the shared name table, plus the owning thread's note of each name so it is freed at exit.

import type { Pid } from '../actor/pid.js';
import { S_EXITING } from '../actor/proc.js';
import { InvalidArgumentError, NoProcError } from '../errors.js';
import { checkPid } from '../validate.js';
import { OP_NAME_ADDED, OP_NAME_REMOVED } from './protocol.js';
import { NO_ROUTE, REMOTE, type Router } from './router.js';
import type { ShardState } from './shard-state.js';

export class Names {
  private readonly s: ShardState;
  private readonly router: Router;

  constructor(state: ShardState, router: Router) {
    this.s = state;
    this.router = router;
  }

  /** Registers `name` for `pid` (ERR_NAME_TAKEN if held; ERR_NO_PROC for a process known to be gone). */
  register(name: string, pid: Pid<unknown>): void {
    checkPid(pid, 'register');
    const s = this.s;
    const t = this.router.route(pid);
    if (t === NO_ROUTE) throw new NoProcError(pid.toString());
    if (t === REMOTE) throw new InvalidArgumentError(`register needs a pid of this node, got ${pid}: names are per node (use registerGlobal for a cluster-wide name)`);
    if (t === s.thread) {
      const p = s.procs.get(pid.serial);
      if (p === undefined || p.status >= S_EXITING) throw new NoProcError(pid.toString());
      s.names.register(name, pid);
      p.addName(name);
      return;
    }
    // Unnoted until the owning thread has it on the process's list, which it frees at exit (or at once
    // if the process has exited); an exit before that frees it too (NameTable.freeUnnoted).
    s.names.register(name, pid, true);
    s.transport.emit2(t, OP_NAME_ADDED, pid.serial, name);
  }

  unregister(name: string): boolean {
    const s = this.s;
    const pid = s.names.whereis(name);
    if (pid === undefined) return false;
    const removed = s.names.unregister(name, pid);
    if (!removed) return false;
    const t = this.router.route(pid);
    if (t === s.thread) s.procs.get(pid.serial)?.removeName(name);
    else if (t >= 0) s.transport.emit2(t, OP_NAME_REMOVED, pid.serial, name); // its owner's note of it goes too
    return true;
  }

  /** Another thread unregistered `name` of our process `serial`: out of its names, unless registered to it again since. */
  onRemoved(serial: number, name: string): void {
    const p = this.s.procs.get(serial);
    if (p === undefined || this.s.names.whereis(name)?.equals(p.pid) === true) return;
    p.removeName(name);
  }

  /** Another thread registered `name` for our process `serial`. */
  onAdded(serial: number, name: string): void {
    const p = this.s.procs.get(serial);
    if (p !== undefined && p.status < S_EXITING) {
      // (Not when it is no longer the process's name: unregistered, or taken by another since.)
      if (this.s.names.noted(name, p.pid)) p.addName(name);
    } else this.s.names.unregister(name, this.s.pidOf(serial));
  }
}
