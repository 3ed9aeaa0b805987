// An operation under an AbortSignal: settles with the operation, or rejects with the signal's reason when it aborts first.

/**
 * Follows `started`, unless `signal` aborts first: then `undo` runs (it
 * cancels what was started) and the promise rejects with `signal.reason`;
 * what `started` settles with later is ignored. One `{ once: true }`
 * listener, removed when `started` settles.
 */
export function abortable<T>(started: Promise<T>, signal: AbortSignal, undo: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const abort = (): void => {
      if (done) return;
      done = true;
      undo();
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    started.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        if (done) return;
        done = true;
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        if (done) return;
        done = true;
        reject(err);
      },
    );
    // Aborted while the operation started (by code it ran synchronously): the event has been and gone.
    if (signal.aborted) abort();
  });
}
