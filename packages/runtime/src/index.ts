// @joerl/runtime: Erlang/OTP-style actors over worker_threads.

export { ActorSystem } from './system/actor-system.js';
export type { ShardDeath, SystemEventMap } from './system/actor-system.js';
export type { SystemOptions } from './system/options.js';
export { Inbox } from './system/inbox.js';

export { defineActor, isBehaviour } from './actor/behaviour.js';
export type { ActorSpec, ArgsOf, Behaviour, MaybePromise, MsgOf } from './actor/behaviour.js';
export type {
  ActorContext,
  ModuleRef,
  Monitored,
  Placement,
  ProcessOps,
  ReceiveOptions,
  SpawnOptions,
  TimerRef,
} from './actor/context.js';
export { Pid, isPid } from './actor/pid.js';
export { formatReason, isNormalReason, reasonKind } from './actor/exit-reason.js';
export type { CustomReason, ExitReason, ExitReasonInput, ExitReasonKind, PanicReason } from './actor/exit-reason.js';
export { isDownMessage, isExitMessage } from './actor/messages.js';
export type { DownMessage, ExitMessage, MonitorRef, SystemMessage } from './actor/messages.js';
export type { DeadLetter, DeadLetterReason, ShardStats } from './shard/protocol.js';

export {
  CallFailedError,
  CallTimeoutError,
  ExportNotFoundError,
  InitFailedError,
  InvalidArgumentError,
  InvalidOptionError,
  JoerlError,
  MailboxFullError,
  ModuleNotFoundError,
  NameTakenError,
  NoProcError,
  NotABehaviourError,
  NotInActorError,
  RegistryFullError,
  ShardDownError,
  SystemStoppedError,
  UnencodableError,
  UnknownNameError,
} from './errors.js';
export type { ErrorCode } from './errors.js';
