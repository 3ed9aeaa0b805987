// Demo: one state machine per job, queued -> running -> done | failed, with a state timeout for jobs whose worker died.
import { GenStatem, type Pid, defineGenStatem } from '@joerl/runtime';
import type { Assignment } from './dispatcher.server.js';

type State = 'queued' | 'running' | 'done' | 'failed';
export type JobEvent = 'assign' | 'finish' | 'fail';

export default defineGenStatem<{ id: number; rounds: number; worker: Pid<any>; timeoutMs: number }, State, { id: number; timeoutMs: number }, JobEvent, State>({
  name: 'Job',
  init(args, ctx) {
    // The job hands itself to its worker, and is running from then on.
    const a: Assignment = { id: args.id, rounds: args.rounds, job: ctx.self };
    ctx.send(args.worker, { kind: 'job', a });
    ctx.cast(ctx.self, 'assign');
    return { state: 'queued', data: { id: args.id, timeoutMs: args.timeoutMs } };
  },
  transitions: {
    queued: { assign: 'running' },
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
    }
  },
  enter(_from, state, _data, ctx) {
    if (state === 'done' || state === 'failed') ctx.stop(state === 'done' ? 'normal' : 'job_failed');
  },
});
