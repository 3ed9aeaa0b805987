// Demo: one state machine per job, queued -> running -> done | failed, with a state timeout for jobs whose worker died.
import { GenStatem, NoProcError, type Pid, defineGenStatem } from '@joerl/runtime';
import type { Assignment } from './dispatcher.server.js';

type State = 'queued' | 'running' | 'done' | 'failed' | 'abandoned';
export type JobEvent = 'assign' | 'finish' | 'fail' | 'abandon';

export default defineGenStatem<{ id: number; rounds: number; worker: Pid<any>; timeoutMs: number }, State, { id: number; timeoutMs: number }, JobEvent, State>({
  name: 'Job',
  init(args, ctx) {
    // The job hands itself to its worker, and is running from then on.
    const a: Assignment = { id: args.id, rounds: args.rounds, job: ctx.self };
    try {
      ctx.send(args.worker, { kind: 'job', a });
    } catch (err) {
      // A send on the same thread to a process that has exited throws: the worker stopped
      // (the tree is shutting down, or it crashed) after asking. The job is abandoned.
      if (!(err instanceof NoProcError)) throw err;
      ctx.cast(ctx.self, 'abandon');
      return { state: 'queued', data: { id: args.id, timeoutMs: args.timeoutMs } };
    }
    ctx.cast(ctx.self, 'assign');
    return { state: 'queued', data: { id: args.id, timeoutMs: args.timeoutMs } };
  },
  transitions: {
    queued: { assign: 'running', abandon: 'abandoned' },
    running: { finish: 'done', fail: 'failed' },
  },
  handleEvent(ev, state, data) {
    if (ev.type === 'state_timeout') return GenStatem.next('failed', data);
    if (ev.type !== 'cast' && ev.type !== 'call') return GenStatem.keep(data);
    const reply = ev.type === 'call' ? [GenStatem.reply(ev.from, state)] : [];
    switch (ev.event) {
      case 'assign':
        // A job not finished in time failed (its worker crashed or its shard died).
        return GenStatem.next('running', data, ...reply, GenStatem.stateTimeout(data.timeoutMs));
      case 'finish':
        return GenStatem.next('done', data, ...reply);
      case 'fail':
        return GenStatem.next('failed', data, ...reply);
      case 'abandon':
        return GenStatem.next('abandoned', data, ...reply);
    }
  },
  enter(_from, state, _data, ctx) {
    if (state === 'done') ctx.stop('normal');
    else if (state === 'failed') ctx.stop('job_failed');
    else if (state === 'abandoned') ctx.stop('shutdown'); // never started: not a crash
  },
});
