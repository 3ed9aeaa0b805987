// Bench actors: an echo GenServer, a caller that runs sequential calls, a restartable child, and an offloading actor.
import { GenServer, defineActor, defineGenServer, type Pid } from '@joerl/runtime';

export const echo = defineGenServer<undefined, number, { n: number }, number, never>({
  name: 'Echo',
  init: () => 0,
  handleCall: (req, _from, count) => GenServer.reply(req.n, count + 1),
});

export interface CallerReport {
  kind: 'caller-report';
  calls: number;
  ms: number;
}

export const caller = defineActor<undefined, undefined, { kind: 'run'; to: Pid<any>; n: number; report: Pid<CallerReport> }>({
  name: 'Caller',
  async handle(msg, s, ctx) {
    const m = msg as { kind: string; to: Pid<any>; n: number; report: Pid<CallerReport> };
    if (m.kind !== 'run') return s;
    const t0 = performance.now();
    for (let i = 0; i < m.n; i++) await ctx.call(m.to, { n: i });
    ctx.send(m.report, { kind: 'caller-report', calls: m.n, ms: performance.now() - t0 });
    return s;
  },
});

/** A supervised child that says when it started and, on command, crashes after saying when. */
export const restartee = defineActor<{ report: Pid }, { report: Pid }, { kind: 'crash' }>({
  name: 'Restartee',
  init(args, ctx) {
    ctx.send(args.report, { kind: 'restartee-up', pid: ctx.self, at: performance.timeOrigin + performance.now() });
    return args;
  },
  handle(msg, s, ctx) {
    if ((msg as { kind?: string }).kind === 'crash') {
      ctx.send(s.report, { kind: 'restartee-crashing', at: performance.timeOrigin + performance.now() });
      throw new Error('benchmark crash');
    }
    return s;
  },
});

export interface OffloadReport {
  kind: 'offload-report';
  jobs: number;
  ms: number;
}

/** Runs `n` offloaded jobs with `inFlight` at a time. */
export const offloader = defineActor<undefined, undefined, { kind: 'run'; job: string; input: unknown; n: number; inFlight: number; report: Pid<OffloadReport> }>({
  name: 'Offloader',
  async handle(msg, s, ctx) {
    const m = msg as { kind: string; job: string; input: unknown; n: number; inFlight: number; report: Pid<OffloadReport> };
    if (m.kind !== 'run') return s;
    const url = new URL(m.job);
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < m.n) {
        next++;
        await ctx.offload(url, m.input);
      }
    };
    await Promise.all(Array.from({ length: m.inFlight }, lane));
    ctx.send(m.report, { kind: 'offload-report', jobs: m.n, ms: performance.now() - t0 });
    return s;
  },
});
