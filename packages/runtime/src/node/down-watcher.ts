// A main-thread process that monitors for its owner: each DOWN it gets goes to a callback.

import { type DownMessage, isDownMessage } from '../actor/messages.js';
import type { Proc } from '../actor/proc.js';
import type { ThreadRuntime } from '../shard/thread-runtime.js';

/**
 * A main-thread process (monitor with `rt.monitor(it, pid)`) whose DOWNs are
 * handed to `onDown`, one at a time, in order. Its loop ends when the process
 * closes (at shutdown, or `rt.exitProc`). Global names and node watchers
 * each keep one to learn of the exits of the processes they hold.
 */
export function downWatcher(rt: ThreadRuntime, onDown: (m: DownMessage) => void): Proc {
  const self = rt.createInbox();
  const loop = async (): Promise<void> => {
    for (;;) {
      const m = await rt.receive(self, isDownMessage, undefined);
      if (isDownMessage(m)) onDown(m);
    }
  };
  loop().catch(() => {});
  return self;
}
