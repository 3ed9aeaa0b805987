// @joerl/runtime: Erlang/OTP-style actors over worker_threads.

export { ActorSystem } from './system/actor-system.js';
export type { CrashReport, MessagesLost, NodeDownInfo, ShardDeath, ShardView, SharedMemoryUsage, ShutdownOptions, SupervisorReport, SystemEventMap, SystemView } from './system/actor-system.js';
export { move } from './codec/move.js';
export type { SystemOptions, TracingOptions } from './system/options.js';
export type { ErrorInfo, Report } from './shard/report-sink.js';
export { consoleLogger } from './system/logger.js';
export type { LogLevel, Logger } from './system/logger.js';
export type { NodeOptions } from './node/node-options.js';
export type { DownReason } from './node/connections.js';
export { MemoryHub, MemoryTransport } from './node/memory-transport.js';
export type { KvBucket, KvEntry, NodeTransport, Stoppable, TransportEvent, TransportMessage } from './node/node-transport.js';
export { NOCONNECTION, isNoConnection } from './shard/remote-ops.js';
export { Inbox } from './system/inbox.js';

export { defineActor, isBehaviour } from './actor/behaviour.js';
export { GenServer, defineGenServer } from './behaviours/gen-server.js';
export type { CallResult, GenServerSpec, NoReplyResult, ReplyResult, ServerContext, StopResult } from './behaviours/gen-server.js';
export { GenStatem, defineGenStatem } from './behaviours/gen-statem.js';
export type { GenStatemSpec, StatemAction, StatemActionEntry, StatemContext, StatemEvent, StatemInfo, Transition } from './behaviours/gen-statem.js';
export { MAX_INTENSITY_REASON, Supervisor, defineSupervisor } from './behaviours/supervisor.js';
export type { ChildCounts, ChildInfo, SupervisorSpec } from './behaviours/supervisor.js';
export type { AutoShutdown, ChildSpec, Intensity, RestartType, Strategy } from './behaviours/child-spec.js';
export type { OffloadOptions } from './system/offload-pool.js';
export type { ActorSpec, ArgsOf, Behaviour, MaybePromise, MsgOf } from './actor/behaviour.js';
export type {
  ActorContext,
  CallOf,
  CallOptions,
  CastOf,
  ModuleRef,
  OffloadJobOptions,
  OffloadMessage,
  ReplyOf,
  ServerProtocol,
  Monitored,
  NodeInfo,
  Placement,
  ProcessOps,
  ReceiveOptions,
  SpawnOptions,
  TimerRef,
} from './actor/context.js';
export { Pid, isPid } from './actor/pid.js';
export { NOOP_PROBE } from './actor/probe.js';
export type { BehaviourProbe } from './actor/probe.js';
export { NOPROC, formatReason, isNoProc, isNormalReason, reasonKind } from './actor/exit-reason.js';
export type { CustomReason, ExitReason, ExitReasonInput, ExitReasonKind, PanicReason } from './actor/exit-reason.js';
export { isCallMessage, isCastMessage, isDownMessage, isExitMessage, isNodeDownMessage } from './actor/messages.js';
export type { CallMessage, CastMessage, DownMessage, ExitMessage, From, MonitorRef, NodeDownMessage, SystemMessage } from './actor/messages.js';
export type { DeadLetter, DeadLetterReason, ShardStats } from './shard/protocol.js';
export type { AnswerOptions, ProcessDetail, ProcessQuery, ProcessRow, ProcessSortKey, ProcessStatus, ShardFigures, SupervisedChild, SupervisorNode } from './actor/introspection.js';
export type { ProcessInfo, ProcessInfoOptions, ShardSnapshot } from './system/introspection.js';

export {
  CallFailedError,
  CallTimeoutError,
  ChildExistsError,
  ChildNotFoundError,
  ChildRunningError,
  ChildRestartingError,
  ExportNotFoundError,
  InitFailedError,
  InvalidArgumentError,
  InvalidOptionError,
  InvalidTransitionError,
  JoerlError,
  MailboxFullError,
  ModuleFailedError,
  ModuleNotFoundError,
  NameTakenError,
  NoProcError,
  NodeConnectError,
  NodeDownError,
  NodeNameTakenError,
  NotABehaviourError,
  NotANodeError,
  NotMovableError,
  NotInActorError,
  OffloadFailedError,
  RegistryFullError,
  ServerRunningError,
  ShardDownError,
  SpawnTimeoutError,
  SystemStoppedError,
  UnencodableError,
  UnknownNameError,
  UnknownNodeError,
} from './errors.js';
export type { ErrorCode } from './errors.js';
