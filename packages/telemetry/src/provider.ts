// Telemetry providers: hooks called for every event, on the thread where the event happens.

/**
 * Hooks for your own telemetry backend (StatsD, logs, audits). Every hook is
 * optional. A provider lives in a module (functions cannot cross threads):
 * each thread imports it at start-up and calls its hooks synchronously, on
 * that thread, right where the event happens. Keep them fast; hand slow work
 * to something asynchronous.
 *
 * The module's default export is a provider object, or a function
 * `(info: { thread: number }) => provider` (thread 0 is the main thread).
 */
export interface TelemetryProvider {
  onActorSpawned?(type: string, pid: string): void;
  onActorStopped?(type: string, pid: string, reason: string): void;
  onActorPanicked?(type: string, pid: string, error: string): void;
  /** `from` is undefined for sends from main-thread code and timers. */
  onMessageSent?(from: string | undefined, to: string): void;
  onMessageReceived?(pid: string): void;
  onSupervisorRestart?(childType: string, strategy: string): void;
  onStateTransition?(type: string, pid: string, from: string, to: string): void;
  onDeadLetter?(to: string, reason: string): void;
}

/** What a provider module may export as default. */
export type ProviderExport = TelemetryProvider | ((info: { thread: number }) => TelemetryProvider);
