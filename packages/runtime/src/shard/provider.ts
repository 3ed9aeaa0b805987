// Loads a telemetry provider module on the current thread (every thread imports its own copy).

import type { ProviderExport, TelemetryProvider } from '@joerl/telemetry';
import { InvalidOptionError, ModuleNotFoundError } from '../errors.js';

export async function loadProvider(href: string, thread: number): Promise<TelemetryProvider> {
  let mod: { default?: ProviderExport };
  try {
    mod = (await import(href)) as { default?: ProviderExport };
  } catch (err) {
    throw new ModuleNotFoundError(href, err);
  }
  const exp = mod.default;
  if (typeof exp === 'function') return exp({ thread });
  if (typeof exp === 'object' && exp !== null) return exp;
  throw new InvalidOptionError(`telemetry provider ${href} must export default a provider object or a function (info) => provider`);
}
