// The control plane's channel: a Node MessagePort as a comlink endpoint (comlink speaks the DOM's event API).

import type { Endpoint } from 'comlink';
import type { MessagePort } from 'node:worker_threads';

type Listener = Parameters<Endpoint['addEventListener']>[1];

/** Adapts a worker_threads MessagePort to comlink's Endpoint (`on('message')` in, `{ data }` events out). */
export function portEndpoint(port: MessagePort): Endpoint {
  const wrapped = new Map<Listener, (data: unknown) => void>();
  return {
    postMessage: (msg: unknown, transfer?: unknown[]) => port.postMessage(msg, transfer as never),
    addEventListener: (_type: string, listener: Listener) => {
      const fn = (data: unknown): void => {
        const event = { data } as MessageEvent;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      wrapped.set(listener, fn);
      port.on('message', fn);
    },
    removeEventListener: (_type: string, listener: Listener) => {
      const fn = wrapped.get(listener);
      if (fn === undefined) return;
      port.off('message', fn);
      wrapped.delete(listener);
    },
  };
}
