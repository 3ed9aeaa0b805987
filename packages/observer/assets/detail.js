// One process in detail (links, monitors, mailbox head, state), refreshed while open, with Kill and Send-exit behind a confirmation.

import { bytes, el, num } from './format.js';

export class ProcessDetail {
  /** `api(path, init)` calls the observer; `onSelect(pid)` opens another process. */
  constructor({ api, onSelect, confirm }) {
    this.api = api;
    this.onSelect = onSelect;
    this.confirm = confirm;
    this.pid = null;
    this.busy = false;
    this.actions = true;
    this.title = el('h2', {}, 'Process');
    this.content = el('div', { className: 'detail-body' });
    this.notice = el('p', { className: 'notice', role: 'status' });
    this.killButton = el('button', { type: 'button', className: 'danger', onclick: () => this.act('kill') }, 'Kill');
    this.exitButton = el('button', { type: 'button', className: 'warn', onclick: () => this.act('exit') }, 'Send exit…');
    this.buttons = el('div', { className: 'actions' }, this.killButton, this.exitButton);
    this.node = el('aside', { className: 'drawer card', hidden: true, 'aria-label': 'process detail' },
      el('header', {}, this.title, el('button', { type: 'button', className: 'close', title: 'close', 'aria-label': 'close', onclick: () => this.close() }, '×')),
      this.buttons, this.notice, this.content);
  }

  open(pid) {
    this.pid = pid;
    this.title.textContent = `Process ${pid}`;
    this.notice.textContent = '';
    this.content.replaceChildren(el('p', { className: 'muted' }, 'Loading…'));
    this.node.hidden = false;
    void this.refresh();
  }

  close() {
    this.pid = null;
    this.node.hidden = true;
  }

  setActions(on) {
    this.actions = on;
    this.buttons.hidden = !on;
  }

  async refresh() {
    if (this.pid === null || this.busy) return;
    const pid = this.pid;
    this.busy = true;
    try {
      const res = await this.api(`/api/process?pid=${encodeURIComponent(pid)}`);
      const body = await res.json();
      if (pid !== this.pid) return;
      if (res.ok) this.render(body);
      else this.gone(body.error);
    } catch (err) {
      this.notice.textContent = `Could not load: ${err.message}`;
    } finally {
      this.busy = false;
    }
  }

  gone(error) {
    const exited = error?.code === 'ERR_NO_PROC';
    this.content.replaceChildren(el('p', { className: exited ? 'exited' : 'error' }, exited ? 'This process has exited.' : `${error?.code}: ${error?.message}`));
    this.killButton.disabled = this.exitButton.disabled = exited;
  }

  render(p) {
    this.killButton.disabled = this.exitButton.disabled = false;
    const facts = [
      ['Name', p.name ?? '–'], ['Type', p.type], ['Kind', p.behaviour], ['Shard', p.shard], ['Status', p.status],
      ['Trap exit', p.trapExit ? 'yes' : 'no'], ['Parent', p.parent ? this.link(p.parent) : '–'],
      ['Mailbox', `${num(p.mailbox)} (${bytes(p.memory)})`], ['Msgs/s', num(p.reductions)], ['Handled', num(p.handled)], ['Timers', num(p.timers.length + p.more.timers)],
    ];
    // Each list holds at most 200 (the runtime's cap); the heading gives the whole count.
    const list = (items, more, render) => (items.length === 0 ? el('p', { className: 'muted' }, 'none')
      : el('ul', { className: 'plain' }, [...items.map((i) => el('li', {}, render(i))), ...(more > 0 ? [el('li', { className: 'muted' }, `and ${num(more)} more`)] : [])]));
    const title = (what, items, more) => el('h3', {}, `${what} (${num(items.length + more)})`);
    this.content.replaceChildren(
      el('dl', { className: 'facts' }, facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
      title('Links', p.linkedTo, p.more.linkedTo), list(p.linkedTo, p.more.linkedTo, (pid) => this.link(pid)),
      title('Monitors', p.monitorsHeld, p.more.monitorsHeld), list(p.monitorsHeld, p.more.monitorsHeld, (m) => [this.link(m.pid), el('span', { className: 'muted small' }, ` ref ${m.ref}`)]),
      title('Monitored by', p.monitoredBy, p.more.monitoredBy), list(p.monitoredBy, p.more.monitoredBy, (m) => [this.link(m.pid), el('span', { className: 'muted small' }, ` ref ${m.ref}`)]),
      el('h3', {}, `Mailbox head (${p.queue.length} of ${p.mailbox})`),
      p.queue.length === 0 ? el('p', { className: 'muted' }, 'empty') : el('ol', { className: 'queue' }, p.queue.map((m) => el('li', {}, el('pre', {}, m)))),
      el('h3', {}, 'State'),
      p.state === undefined ? el('p', { className: 'muted' }, 'busy in a handler: no answer in time') : el('pre', { className: 'state' }, p.state),
    );
  }

  link(pid) {
    return el('button', { type: 'button', className: 'pid-link mono', onclick: () => this.onSelect(pid) }, pid);
  }

  /** Kill or send an exit signal, after the user confirms. */
  async act(kind) {
    const pid = this.pid;
    const reason = await this.confirm(kind, pid);
    if (reason === null || pid !== this.pid) return;
    const res = await this.api(`/api/${kind}`, { method: 'POST', body: JSON.stringify(kind === 'kill' ? { pid } : { pid, reason }) });
    const body = await res.json();
    this.notice.className = res.ok ? 'notice ok' : 'notice error';
    this.notice.textContent = res.ok ? `Sent ${body.reason} to ${body.pid}.` : `${body.error.code}: ${body.error.message}`;
    void this.refresh();
  }
}
