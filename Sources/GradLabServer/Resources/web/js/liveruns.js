// "Live runs on this server": every run that is not over (queued, running, paused), from any tab
// or page, with Watch (show it in the lab's main view), Pause/Resume and Stop. A paused run holds
// a worker until it is resumed or stopped, so it must stay findable after a reload.

import { getJSON, postJSON, el } from './api.js';

const LIVE = new Set(['queued', 'running', 'paused']);
const EVERY_MS = 3000;

export class LiveRuns {
  /**
   * box: the panel's list element. onWatch(runState): show that run; onState(runState): a control
   * answered (so the page can update a run it shows); watching(): the ids the page shows now;
   * say(message, kind): the page's status line.
   */
  constructor(box, { onWatch, onState, watching, say }) {
    this.box = box;
    this.say = say;
    this.onWatch = onWatch;
    this.onState = onState;
    this.watching = watching;
    this.timer = 0;
    document.addEventListener('visibilitychange', () => this.schedule(0));
    this.schedule(0);
  }

  // Polls only while the page is visible: a hidden tab asks nothing until it is shown again.
  schedule(ms) {
    clearTimeout(this.timer);
    if (document.visibilityState === 'hidden') return;
    this.timer = setTimeout(() => this.refresh(), ms);
  }

  async refresh() {
    clearTimeout(this.timer);
    try {
      const runs = ((await getJSON('/api/runs')).runs || []).filter((r) => LIVE.has(r.state));
      this.render(runs);
    } catch (e) {
      this.box.replaceChildren(el('li', { class: 'status error', text: e.message }));
    }
    this.schedule(EVERY_MS);
  }

  render(runs) {
    const shown = new Set(this.watching());
    if (!runs.length) {
      this.box.replaceChildren(el('li', { class: 'muted', text: 'None: every run on this server is over (finished ones are on the Runs page).' }));
      return;
    }
    this.box.replaceChildren(...runs.map((r) => {
      const onScreen = shown.has(r.id);
      const where = r.state === 'queued' ? ` · ${r.queuePosition > 0 ? 'place ' + r.queuePosition + ' in the queue' : 'next in the queue'}` : '';
      const watchers = r.watchers ? ` · ${r.watchers} watching` : '';
      const paused = r.state === 'paused';
      return el('li', { class: 'liverun' + (onScreen ? ' onscreen' : ''), 'data-run': r.id, 'data-state': r.state },
        el('div', null,
          el('strong', { text: r.id }), r.kind === 'repair' ? ' repair' : '', ' · ',
          el('span', { class: 'state s-' + r.state, text: r.state }),
          ` · step ${r.step ?? 0}${r.steps ? ' / ' + r.steps : ''}${where}${watchers}`),
        el('div', { class: 'liveactions' },
          el('button', { type: 'button', 'data-action': 'watch', disabled: onScreen, text: onScreen ? 'On screen' : 'Watch', onclick: () => this.onWatch(r) }),
          el('button', { type: 'button', 'data-action': paused ? 'resume' : 'pause', disabled: r.state === 'queued', text: paused ? 'Resume' : 'Pause', onclick: () => this.act(r, paused ? 'resume' : 'pause') }),
          el('button', { type: 'button', 'data-action': 'stop', text: 'Stop', onclick: () => this.act(r, 'stop') })));
    }));
  }

  async act(run, action) {
    try {
      this.onState(await postJSON(`/api/runs/${encodeURIComponent(run.id)}/${action}`));
    } catch (e) {
      this.say(`${run.id}: ${e.message}`, 'error');
    }
    this.refresh();
  }
}
