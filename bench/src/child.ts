// A bench child process: runs one unit (told over IPC by the coordinator, cli.ts) and sends back its rows.
import { UNITS } from './units.js';

interface Order {
  unit: string;
  runs: number;
  quick: boolean;
  threads: number;
}

/** What a child sends its coordinator. */
export type ChildMessage =
  | { kind: 'progress'; what: string }
  | { kind: 'result'; rows: unknown[]; scaling: unknown[] }
  | { kind: 'error'; message: string };

const send = (m: ChildMessage): Promise<void> => new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));

// The coordinator is gone (killed, or a test runner timed out): nobody wants these figures.
process.once('disconnect', () => process.exit(1));

process.once('message', async (order: Order) => {
  const unit = UNITS.find((u) => u.id === order.unit);
  try {
    if (unit === undefined) throw new Error(`no unit ${order.unit}`);
    const r = await unit.run({ runs: order.runs, quick: order.quick, threads: order.threads, progress: (what) => void send({ kind: 'progress', what }) });
    await send({ kind: 'result', rows: r.rows, scaling: r.scaling });
  } catch (err) {
    await send({ kind: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
  // Whatever a benchmark left behind (a pool, a timer) must not keep this process: its figures are in.
  process.exit(0);
});
