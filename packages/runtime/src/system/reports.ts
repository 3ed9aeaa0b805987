// The main thread's side of reports: crash and supervisor reports become events and log entries, as do shard deaths and bulk losses.

import { formatReason } from '../actor/exit-reason.js';
import type { CrashReport, Report, Shipped, SupervisorReport } from '../shard/report-sink.js';
import { type LogLevel, type Logger, log } from './logger.js';
import type { MessagesLost } from './losses.js';
import type { ShardDeath } from './shard-host.js';

/** How reports leave: the system's `emit`. */
type Emit = (event: 'crashReport' | 'supervisorReport' | 'messagesLost', report: Report | MessagesLost) => void;

export class SystemReports {
  /** The last death of each shard, for the report of its restart. */
  private readonly deaths = new Map<number, ShardDeath>();

  constructor(
    private readonly emit: Emit,
    private readonly logger: Logger,
    private readonly level: LogLevel,
    /** Counts bulk losses in `joerl_messages_sent_failed_total{reason}`. */
    private readonly count: (reason: string, n: number) => void,
  ) {}

  /** A report from any thread (or from the main thread itself). */
  report(r: Shipped): void {
    if (r.kind === 'lost') {
      this.lost({ shard: r.shard, reason: 'shard_down', queued: r.messages, unsent: 0 });
      return;
    }
    if (r.kind === 'crash') {
      this.emit('crashReport', r);
      log(this.logger, this.level, 'error', r, crashLine(r));
      return;
    }
    this.emit('supervisorReport', r);
    const bad = r.event === 'intensity_exceeded' || r.event === 'child_start_failed';
    log(this.logger, this.level, bad ? 'error' : 'warn', r, supervisorLine(r));
  }

  shardDown(d: ShardDeath): void {
    this.deaths.set(d.shard, d);
    const entry: Record<string, unknown> = { shard: d.shard, incarnation: d.incarnation, cause: d.cause, message: d.message, final: d.final };
    if (d.error !== undefined) entry.error = { name: d.error.name, message: d.error.message, stack: d.error.stack };
    log(this.logger, this.level, 'error', entry, `shard ${d.shard} died (${d.cause}): ${d.message}; its actors exited killed${d.final ? '; it will not be restarted' : ''}`);
  }

  shardRestarted(shard: number, incarnation: number): void {
    const d = this.deaths.get(shard);
    this.report({ kind: 'supervisor', event: 'shard_restarted', shard, incarnation, cause: d?.cause ?? 'exit', message: d?.message ?? '', time: Date.now() });
  }

  /** Messages lost in bulk: counted, logged and emitted (nothing when there were none). */
  lost(l: MessagesLost): void {
    const n = l.queued + l.unsent;
    if (n === 0) return;
    this.count(l.reason, n);
    this.emit('messagesLost', l);
    const where = l.shard === 0 ? 'the main thread' : `shard ${l.shard}`;
    const why = l.reason === 'shutdown' ? 'at shutdown' : 'when it died';
    log(this.logger, this.level, 'warn', l, `${n} messages lost in ${where} ${why} (${l.queued} queued, ${l.unsent} unsent)`);
  }
}

function crashLine(r: CrashReport): string {
  const what = r.during === 'handle' ? `handling a '${r.messageKind}' message` : `in ${r.during}`;
  return `crash: ${r.pid} (${r.type}) on shard ${r.shard} panicked ${what}: ${r.error.name}: ${r.error.message}`;
}

function supervisorLine(r: SupervisorReport): string {
  switch (r.event) {
    case 'child_restarted':
      return `supervisor ${r.supervisor} (${r.type}) restarted child "${r.childId}"${r.child ? ` as ${r.child}` : ''} (${r.strategy})${r.reason !== undefined ? ` after it exited: ${formatReason(r.reason)}` : ''}`;
    case 'child_start_failed':
      return `supervisor ${r.supervisor} (${r.type}) could not start child "${r.childId}": ${r.error.name}: ${r.error.message}`;
    case 'intensity_exceeded':
      return `supervisor ${r.supervisor} (${r.type}) reached its restart intensity${r.maxRestarts !== undefined ? ` (${r.maxRestarts} in ${r.withinMs} ms)` : ''} and stops with its children${r.reason !== undefined ? `; last exit: ${formatReason(r.reason)}` : ''}`;
    case 'shard_restarted':
      return `shard ${r.shard} restarted (incarnation ${r.incarnation}) after it died (${r.cause}): ${r.message}`;
  }
}
