// @joerl/runtime: Erlang/OTP-style actors over worker_threads.

export { ActorSystem } from './system/actor-system.js';
export type { ShardDeath, ShardView, SharedMemoryUsage, SystemEventMap, SystemView } from './system/actor-system.js';
export { move } from './codec/move.js';
export type { SystemOptions, TracingOptions } from './system/options.js';
export { Inbox } from './system/inbox.js';

export { defineActor, isBehaviour } from './actor/behaviour.js';
export { GenServer, defineGenServer } from './behaviours/gen-server.js';
export type { CallResult, GenServerSpec, NoReplyResult, ReplyResult, ServerContext, StopResult } from './behaviours/gen-server.js';
export { GenStatem, defineGenStatem } from './behaviours/gen-statem.js';
export type { GenStatemSpec, StatemAction, StatemContext, StatemEvent, StatemInfo, Transition } from './behaviours/gen-statem.js';
export { MAX_INTENSITY_REASON, Supervisor, defineSupervisor } from './behaviours/supervisor.js';
export type { ChildCounts, ChildInfo, ChildSpec, Intensity, RestartType, Strategy, SupervisorSpec } from './behaviours/supervisor.js';
export type { OffloadOptions } from './system/offload-pool.js';
export type { ActorSpec, ArgsOf, Behaviour, MaybePromise, MsgOf } from './actor/behaviour.js';
export type {
  ActorContext,
  CallOf,
  CallOptions,
  CastOf,
  ModuleRef,
  OffloadMessage,
  ReplyOf,
  ServerProtocol,
  Monitored,
  Placement,
  ProcessOps,
  ReceiveOptions,
  SpawnOptions,
  TimerRef,
} from './actor/context.js';
export { Pid, isPid } from './actor/pid.js';
export { NOOP_PROBE } from './actor/probe.js';
export type { BehaviourProbe } from './actor/probe.js';
export { formatReason, isNormalReason, reasonKind } from './actor/exit-reason.js';
export type { CustomReason, ExitReason, ExitReasonInput, ExitReasonKind, PanicReason } from './actor/exit-reason.js';
export { isCallMessage, isCastMessage, isDownMessage, isExitMessage } from './actor/messages.js';
export type { CallMessage, CastMessage, DownMessage, ExitMessage, From, MonitorRef, SystemMessage } from './actor/messages.js';
export type { DeadLetter, DeadLetterReason, ShardStats } from './shard/protocol.js';

export {
  CallFailedError,
  CallTimeoutError,
  ChildExistsError,
  ChildNotFoundError,
  ChildRunningError,
  ExportNotFoundError,
  InitFailedError,
  InvalidArgumentError,
  InvalidOptionError,
  InvalidTransitionError,
  JoerlError,
  MailboxFullError,
  ModuleNotFoundError,
  NameTakenError,
  NoProcError,
  NotABehaviourError,
  NotMovableError,
  NotInActorError,
  OffloadFailedError,
  RegistryFullError,
  ShardDownError,
  SystemStoppedError,
  UnencodableError,
  UnknownNameError,
} from './errors.js';
export type { ErrorCode } from './errors.js';
