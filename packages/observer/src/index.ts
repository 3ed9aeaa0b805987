// @joerl/observer: a live web page of a running actor system, served under /observer on its metrics server.

export { Observer, OBSERVER_PATH, mountObserver, serveObserver } from './observer.js';
export type { ObserverOptions, ResolvedObserverOptions } from './options.js';
export { MAX_LIMIT, resolveObserverOptions } from './options.js';
export { TOKEN_HEADER } from './guard.js';
export { ObserverRunningError } from './errors.js';
export type { ObserverEvent } from './journal.js';
export { STALL_MS } from './journal.js';
export type { ShardRow, Snapshot, SnapshotQuery } from './snapshot.js';
