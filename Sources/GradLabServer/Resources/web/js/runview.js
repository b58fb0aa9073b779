// A small live run: title, state and its layer × step heat map, for the study and quiz pages.

import { el, watchRun, frameScheduler, fmt, pct } from './api.js';
import { RunModel } from './live.js';
import { Heatmap } from './heatmap.js';

export class MiniRun {
  /** box: where to draw; run: a RunState from the server; title: what to call it; onEnd(model) once. */
  constructor(box, run, title, onEnd) {
    this.model = new RunModel();
    this.model.state = run;
    this.onEnd = onEnd;
    this.head = el('div', { class: 'small' }, el('strong', { text: title || run.id }), ' · ', this.stateText = el('span', { text: run.state }));
    const mapBox = el('div', { class: 'heatbox', 'data-testid': 'mini-heatmap' });
    this.foot = el('div', { class: 'small muted' });
    box.append(el('div', { class: 'minirun' }, this.head, mapBox, this.foot));
    const rowName = (i) => `layer ${i + 1}` + (this.model.layers[i] ? ` (${this.model.layers[i]})` : '');
    this.heat = new Heatmap(mapBox, { label: 'log₁₀ ‖∇W_l‖', rowName, height: 150 });
    const redraw = frameScheduler(() => this.draw());
    this.socket = watchRun(run.id, {
      onReset: () => { this.model.reset(); this.heat.reset(0); },
      onEvents: (events) => { this.model.apply(events); redraw(); },
      onError: (msg) => { this.foot.textContent = msg; },
    });
  }

  draw() {
    const m = this.model, rows = m.layers.length || (m.g[0] ? m.g[0].length : 0);
    if (this.heat.rows !== rows) this.heat.reset(rows, m.totalSteps);
    this.heat.xMax = m.totalSteps;
    for (let i = this.heat.steps; i < m.xs.length; i++) this.heat.push(m.xs[i], m.g[i]);
    this.heat.draw();
    this.stateText.textContent = `${m.stateName} · ${m.progress}`;
    const last = m.train[m.train.length - 1];
    if (last) this.foot.textContent = `loss ${fmt(last.loss)}${m.accuracy !== null ? ' · accuracy ' + pct(m.accuracy) : ''}`;
    if (m.verdicts.length) this.foot.textContent += ' · ' + m.verdicts.map((v) => v.kind).join(', ');
    if (m.end && !this.ended) {
      this.ended = true;
      if (m.end.report) this.foot.append(' · ', el('a', { href: m.end.report, target: '_blank', rel: 'noopener', text: 'report ↗' }));
      if (this.onEnd) this.onEnd(m);
    }
  }

  close() { this.socket.close(); }
}
