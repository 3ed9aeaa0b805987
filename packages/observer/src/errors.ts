// The observer's own error: a second mount on one server that asks for something else than the first.

/**
 * An observer already runs on this server with other options (one server,
 * one observer). `code` is `ERR_OBSERVER_RUNNING`, like the runtime's
 * `ERR_SERVER_RUNNING` for a second metrics endpoint.
 */
export class ObserverRunningError extends Error {
  readonly code = 'ERR_OBSERVER_RUNNING';
  constructor(url: string, differences: readonly string[]) {
    super(
      `the observer at ${url} already runs with ${differences.join(', ')}; ` +
        'close it (observer.close()) first to mount one with other options, or leave those options out to get the running one',
    );
    this.name = 'ObserverRunningError';
  }
}
