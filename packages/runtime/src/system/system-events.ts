// What an ActorSystem emits, and the view of itself that health reads.

import type { NodeInfo } from '../actor/context.js';
import type { NodeDownInfo } from '../node/node-service.js';
import type { DeadLetter } from '../shard/protocol.js';
import type { CrashReport, SupervisorReport } from '../shard/report-sink.js';
import type { MessagesLost } from './losses.js';
import type { ShardDeath } from './shard-host.js';
import type { ShardView } from './shard-pool.js';

/** The system's own view of itself (health reads it). */
export interface SystemView {
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  shards: ShardView[];
}

/** Events an ActorSystem emits (on the main thread). */
export interface SystemEventMap {
  /** A message could not be delivered and no caller could be told synchronously. */
  deadLetter: [DeadLetter];
  /** Messages lost in bulk, counted without their content: left in a shard that died, or found by `shutdown()`. */
  messagesLost: [MessagesLost];
  /** A process panicked (init, a handler or terminate threw): who, where, what it was handling, the error and its stack. */
  crashReport: [CrashReport];
  /** A supervisor restarted a child, failed to, or gave up; or the system restarted a shard. */
  supervisorReport: [SupervisorReport];
  /** A shard died; its actors exited with `killed`, and links and monitors were told. */
  shardDown: [ShardDeath];
  /** A dead shard is running again (a new incarnation, with no actors). */
  shardRestart: [{ shard: number; incarnation: number }];
  /** A connection to another node is up (a new connection each time: nothing of an earlier one survives). */
  nodeUp: [NodeInfo];
  /** A connection to another node was lost: links to its processes exited `noconnection`, monitors got DOWN `noconnection`. */
  nodeDown: [NodeDownInfo];
}

