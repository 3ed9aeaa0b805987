// Demo: one state machine per job, queued -> running -> done | failed, with a state timeout for jobs whose worker died.
import { GenStatem, defineGenStatem } from '@joerl/runtime';

type State = 'queued' | 'running' | 'done' | 'failed';
export type JobEvent = 'assign' | 'finish' | 'fail';

export default defineGenStatem<{ id: number; timeoutMs: number }, State, { id: number; timeoutMs: number }, JobEvent, State>({
  name: 'Job',
  init: (args) => ({ state: 'queued', data: args }),
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
