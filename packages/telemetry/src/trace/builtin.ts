// The runtime's built-in spans (send, receive, handle) carry a compact descriptor instead of attribute maps; expanded on the main thread.

import type { Attributes } from '@opentelemetry/api';

/*
 * A descriptor is a short positional array; pids travel as (node, shard,
 * serial) numbers and are printed `<node.shard.serial>` only when an
 * exporter reads the attributes.
 *
 *   [BUILTIN_SEND,    toNode, toShard, toSerial, fromNode, fromShard | -1, fromSerial]
 *   [BUILTIN_RECEIVE, node,   shard,   serial,   type]
 *   [BUILTIN_HANDLE,  node,   shard,   serial,   type]
 */
export const BUILTIN_SEND = 1;
export const BUILTIN_RECEIVE = 2;
export const BUILTIN_HANDLE = 3;

/** A built-in span's descriptor (see above). */
export type BuiltinDescriptor = [number, number, number, number, ...(string | number)[]];

const pid = (node: number, shard: number, serial: number): string => `<${node}.${shard}.${serial}>`;

/** The attributes a descriptor stands for (the same keys the runtime used to set one by one). */
export function builtinAttributes(d: readonly unknown[]): Attributes {
  const code = d[0] as number;
  const self = pid(d[1] as number, d[2] as number, d[3] as number);
  if (code === BUILTIN_HANDLE) {
    return {
      'actor.type': d[4] as string,
      'actor.pid': self,
      'actor.event': 'handle_message',
      'messaging.system': 'joerl',
      'messaging.operation.type': 'process',
      'otel.kind': 'internal',
    };
  }
  const op = code === BUILTIN_SEND ? 'send' : 'receive';
  const a: Attributes = {
    'messaging.system': 'joerl',
    'messaging.operation': op,
    'messaging.operation.type': op,
    'messaging.operation.name': op,
    'messaging.destination.name': self,
    'actor.to_pid': self,
    'otel.kind': code === BUILTIN_SEND ? 'producer' : 'consumer',
  };
  if (code === BUILTIN_SEND) {
    if ((d[5] as number) >= 0) a['actor.from_pid'] = pid(d[4] as number, d[5] as number, d[6] as number);
  } else {
    a['actor.type'] = d[4] as string;
  }
  return a;
}
