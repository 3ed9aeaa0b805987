// What behaviours record and report about themselves (state machines, supervisors), through `ctx.probe`.

import type { ExitReason } from './exit-reason.js';
import type { Pid } from './pid.js';

/**
 * The narrow interface a behaviour sees. The runtime hands each process one
 * through `ctx.probe`: supervisor events always become supervisor reports on
 * the main thread (an event and the system's logger); metrics, provider hooks
 * and spans are recorded only when telemetry, a provider or tracing is on.
 * Behaviours never ask which.
 */
export interface BehaviourProbe {
  /** A state machine entered its first state. */
  statemEntered(state: string): void;
  /** A state machine moved from `from` to `to` after `msInFrom` ms in `from`. */
  statemTransition(from: string, to: string, msInFrom: number): void;
  /** An event had no handler in `state`. */
  statemInvalid(state: string, event: string): void;
  /**
   * A supervisor restarted child `childId` as `child` (the restart took `ms`)
   * after a child exited with `reason`.
   */
  supervisorRestart(childId: string, strategy: string, ms: number, child?: Pid, reason?: ExitReason): void;
  /** A supervisor could not start child `childId` again (it counts as one more restart). */
  childStartFailed(childId: string, error: unknown): void;
  /** A supervisor's restart intensity (`maxRestarts` within `withinMs`) ran out after a child exited with `reason`. */
  intensityExceeded(maxRestarts?: number, withinMs?: number, reason?: ExitReason): void;
}

/** Records and reports nothing (for behaviours run outside a system, e.g. in unit tests). */
export const NOOP_PROBE: BehaviourProbe = Object.freeze({
  statemEntered() {},
  statemTransition() {},
  statemInvalid() {},
  supervisorRestart() {},
  childStartFailed() {},
  intensityExceeded() {},
});
