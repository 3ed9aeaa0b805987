// Loads a telemetry provider module on the current thread (every thread imports its own copy), its hooks guarded.

import type { ProviderExport, TelemetryProvider } from '@joerl/telemetry';
import { InvalidOptionError } from '../errors.js';
import { loadError } from './loader.js';

/** Every hook a provider may have. */
const HOOKS = ['onActorSpawned', 'onActorStopped', 'onActorPanicked', 'onMessageSent', 'onMessageReceived', 'onSupervisorRestart', 'onStateTransition', 'onDeadLetter'] as const;

export async function loadProvider(href: string, thread: number): Promise<TelemetryProvider> {
  let mod: { default?: ProviderExport };
  try {
    mod = (await import(href)) as { default?: ProviderExport };
  } catch (err) {
    throw loadError(href, err);
  }
  const exp = mod.default;
  let provider: TelemetryProvider;
  if (typeof exp === 'function') provider = exp({ thread });
  else if (typeof exp === 'object' && exp !== null) provider = exp;
  else throw new InvalidOptionError(`telemetry provider ${href} must export default a provider object or a function (info) => provider`);
  if (typeof provider !== 'object' || provider === null) throw new InvalidOptionError(`telemetry provider ${href}: its function must return a provider object, got ${provider === null ? 'null' : typeof provider}`);
  return guarded(provider, href, thread);
}

/**
 * The provider's hooks, each called inside a try: hooks run right where the
 * event happens (in a turn, in a process's exit, in a send), and a throw
 * there would end a turn, an exit half done, or the shard's loop (every
 * actor on the thread with it). As Erlang's `telemetry` does with a
 * handler that fails, a hook that throws is detached on this thread, with
 * one warning (`JOERL_PROVIDER_HOOK_FAILED`); the other hooks go on.
 */
function guarded(p: TelemetryProvider, href: string, thread: number): TelemetryProvider {
  const out: TelemetryProvider = {};
  for (const name of HOOKS) {
    const hook = p[name] as ((...args: unknown[]) => void) | undefined;
    if (typeof hook !== 'function') continue;
    // Detached by becoming a no-op, not by deleting it: a turn reads once whether a hook is there, then calls it per message.
    let detached = false;
    (out as Record<string, unknown>)[name] = (...args: unknown[]): void => {
      if (detached) return;
      try {
        hook.apply(p, args);
      } catch (err) {
        detached = true;
        const why = err instanceof Error ? err.message : String(err);
        process.emitWarning(`telemetry provider ${href}: ${name} threw on thread ${thread} (${why}); it is no longer called on that thread`, { code: 'JOERL_PROVIDER_HOOK_FAILED' });
      }
    };
  }
  return out;
}
