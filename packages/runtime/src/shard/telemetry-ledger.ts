// Telemetry a thread counts in plain fields and writes to its metric region once per flush, not per message.

import type { MetricsWriter, TypeMetrics } from '@joerl/telemetry/internal';

/** Messages into and out of the mailboxes of one type (bounded or not) since the last flush. */
export interface DepthCell {
  n: number;
  readonly tm: TypeMetrics;
  readonly bounded: boolean;
  /** Its processes are plain actors (not OTP behaviours): their one-message turns take the short way (turn-lone.ts). */
  readonly plain: boolean;
}

/**
 * Sends counted by observed turns, and mailbox-depth changes counted per
 * type: a message into a mailbox adds one to its process's cell, a turn
 * takes what it handled off it. `flush()` writes the lot to the region. The
 * observer calls it before every flush that publishes something (so a peer
 * that sees a message from this thread also sees the counts behind it) and
 * at the end of every slice (so an idle thread has written everything).
 */
export class TelemetryLedger {
  /** Sends counted since the last flush (messages_sent, every message sampled). */
  sent = 0;
  private readonly m: MetricsWriter;
  private readonly cells: DepthCell[] = [];
  /** Per type: the cells of unbounded and bounded mailboxes, of OTP behaviours' processes and then of plain actors'. */
  private readonly byType = new Map<TypeMetrics, (DepthCell | null)[]>();

  constructor(m: MetricsWriter) {
    this.m = m;
  }

  /**
   * The cell a process of type `tm` counts its mailbox in (one per type,
   * boundedness and kind: a type name may serve a plain actor and an OTP
   * behaviour at once; their cells add up in the same gauge).
   */
  cell(tm: TypeMetrics, bounded: boolean, plain: boolean): DepthCell {
    let cells = this.byType.get(tm);
    if (cells === undefined) this.byType.set(tm, (cells = [null, null, null, null]));
    const i = (bounded ? 1 : 0) + (plain ? 2 : 0);
    let c = cells[i]!;
    if (c === null) {
      c = cells[i] = { n: 0, tm, bounded, plain };
      this.cells.push(c);
    }
    return c;
  }

  /** Writes what was counted since the last flush. */
  flush(): void {
    if (this.sent > 0) {
      this.m.sentMany(this.sent);
      this.sent = 0;
    }
    const cells = this.cells;
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i]!;
      if (c.n !== 0) {
        this.m.mailboxDelta(c.tm, c.bounded, c.n);
        c.n = 0;
      }
    }
  }
}
