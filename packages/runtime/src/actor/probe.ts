// What behaviours record about themselves (state machines, supervisors), through `ctx.probe`; a no-op when nothing listens.

/**
 * The narrow telemetry interface a behaviour sees. The runtime hands each
 * process one through `ctx.probe`: the real one when telemetry, a provider or
 * tracing is on, {@link NOOP_PROBE} otherwise, so behaviours never ask.
 */
export interface BehaviourProbe {
  /** A state machine entered its first state. */
  statemEntered(state: string): void;
  /** A state machine moved from `from` to `to` after `msInFrom` ms in `from`. */
  statemTransition(from: string, to: string, msInFrom: number): void;
  /** An event had no handler in `state`. */
  statemInvalid(state: string, event: string): void;
  /** A supervisor restarted child `childId`; the restart took `ms`. */
  supervisorRestart(childId: string, strategy: string, ms: number): void;
  /** A supervisor's restart intensity ran out. */
  intensityExceeded(): void;
}

/** Records nothing. */
export const NOOP_PROBE: BehaviourProbe = Object.freeze({
  statemEntered() {},
  statemTransition() {},
  statemInvalid() {},
  supervisorRestart() {},
  intensityExceeded() {},
});
