// One process's probe: what its behaviour records (GenStatem states, supervisor restarts) into its type's series and the provider.

import type { MetricsWriter, TelemetryProvider } from '@joerl/telemetry/internal';
import type { BehaviourProbe } from '../actor/probe.js';
import type { Proc } from '../actor/proc.js';

/** What a probe reads from its observer (the provider is installed after start, so it is read when used). */
export interface ProviderSource {
  readonly provider: TelemetryProvider | null;
}

/** The `ctx.probe` of one process when its thread observes. */
export class ProcProbe implements BehaviourProbe {
  readonly #m: MetricsWriter;
  readonly #o: ProviderSource;
  readonly #p: Proc;

  constructor(m: MetricsWriter, o: ProviderSource, p: Proc) {
    this.#m = m;
    this.#o = o;
    this.#p = p;
  }

  statemEntered(state: string): void {
    const p = this.#p;
    if (p.tm === null) return;
    this.#m.statemEnter(p.tm, state, 1);
    p.statemState = state;
  }

  statemTransition(from: string, to: string, msInFrom: number): void {
    const p = this.#p;
    if (p.tm !== null) {
      this.#m.statemTransition(p.tm, from, to, msInFrom);
      p.statemState = to;
    }
    this.#o.provider?.onStateTransition?.(p.typeName, p.pid.toString(), from, to);
  }

  statemInvalid(state: string, event: string): void {
    if (this.#p.tm !== null) this.#m.statemInvalid(this.#p.tm, state, event);
  }

  supervisorRestart(childId: string, strategy: string, ms: number): void {
    this.#m.supervisorRestart(strategy, ms);
    this.#o.provider?.onSupervisorRestart?.(childId, strategy);
  }

  childStartFailed(): void {}

  intensityExceeded(): void {
    this.#m.intensityExceeded();
  }
}
