// The repair panel: each candidate as it runs and what it achieved, the winner, the gradient heat
// maps before and after on one colour scale, and "apply the winner" (sets the form's controls).

import { el, fmt } from './api.js';
import { Heatmap } from './heatmap.js';
import { verdictElement } from './labview.js';

export class RepairPanel {
  /** box: the panel element; onApply(config) when the user takes the winner. */
  constructor(box, onApply) {
    this.box = box;
    this.onApply = onApply;
    this.model = null;
  }

  attach(model) {
    this.model = model;
    this.seen = null;
    this.shownRepair = null;
    this.box.hidden = false;
    this.box.replaceChildren(
      el('h2', { text: 'Repair' }),
      el('p', { class: 'muted', text: 'First the run as configured, then each remedy from the same seed; the first that removes the problem and lowers the loss wins.' }),
      this.list = el('ol', { class: 'candidates' }),
      this.result = el('div', { class: 'repair-result' }));
    this.draw();
  }

  hide() { this.box.hidden = true; this.model = null; }

  draw() {
    const m = this.model;
    if (!m) return;
    const key = `${m.version}`;
    if (key === this.seen) return;
    this.seen = key;
    this.list.replaceChildren(...m.candidates.map((c, i) => this.candidate(c, i === m.candidates.length - 1 && !m.repair, m)));
    if (!m.candidates.length) {
      this.list.append(el('li', { class: 'muted', text: m.end ? 'No candidate was tried.' : `Running the config as it is (step ${m.currentStep})…` }));
    }
    if (m.repair && this.shownRepair !== m.repair) this.showRepair(m.repair);
    if (m.end && !m.repair && m.end.message) this.result.replaceChildren(el('p', { class: 'status error', text: m.end.message }));
  }

  candidate(c, current, m) {
    const a = c.attempt;
    // Green for the winner, red only for an attempt that broke or was refused.
    const winner = m.repair && m.repair.winner === c.name;
    const tone = winner ? ' good' : a && (a.error || a.blockedBy) ? ' bad' : '';
    const li = el('li', { class: 'candidate' + tone },
      el('strong', { text: c.name + (winner ? ' ✓ winner' : '') }), c.rationale ? el('span', { class: 'muted', text: ' — ' + c.rationale }) : null);
    if (!a) {
      // A stage without an attempt of its own (the first look at the settings) is done once the next starts.
      const text = current && !m.end ? (m.candidateSteps ? `running… (${m.candidateSteps} steps so far)` : 'running…') : 'done';
      li.className = 'candidate';
      li.append(el('div', { class: 'muted', text }));
      return li;
    }
    const facts = [
      `problem removed: ${a.problemRemoved ? '✓' : '✗'}`,
      `loss lowered: ${a.improved ? '✓' : '✗'} (${fmt(a.metric)} vs ${fmt(a.unrepairedMetric)} unrepaired)`,
      `${a.steps} steps`,
      a.seconds !== null && a.seconds !== undefined ? `${fmt(a.seconds, 2)} s` : null,
    ].filter(Boolean).join(' · ');
    li.append(el('div', { text: facts }));
    if (a.blockedBy) li.append(el('div', { class: 'status error', text: 'refused: ' + a.blockedBy }));
    if (a.error) li.append(el('div', { class: 'status error', text: a.error }));
    if (a.verdicts && a.verdicts.length) li.append(el('div', { class: 'muted small', text: 'verdicts: ' + a.verdicts.join('; ') }));
    return li;
  }

  showRepair(r) {
    this.shownRepair = r;
    const parts = [];
    if (r.problem) parts.push(el('div', null, el('span', { class: 'muted', text: 'The problem: ' })), verdictElement(r.problem));
    parts.push(el('p', { class: 'winner' }, r.winner
      ? el('span', null, 'Winner: ', el('strong', { text: r.winner }))
      : el('span', { text: r.problem ? 'No candidate removed the problem without a new one.' : 'No problem found: nothing to repair.' })));
    if (r.repairedConfig) {
      parts.push(el('button', { type: 'button', class: 'primary', 'data-testid': 'apply-winner', text: 'Apply the winner', onclick: () => this.onApply(r.repairedConfig) }));
    }
    const before = r.before || [], after = r.after || [];
    if (before.length || after.length) {
      const side = el('div', { class: 'side-by-side' });
      const maps = [['before', before], ['after: ' + (r.winner || 'unchanged'), after]].map(([title, steps]) => {
        const box = el('div', { class: 'heatbox' });
        side.append(el('div', null, el('h3', { text: title }), box));
        const hm = new Heatmap(box, { label: 'log₁₀ ‖∇W_l‖' });
        hm.setAll(steps.map((s) => s.step), steps.map((s) => (s.layers || []).map((l) => l.g)));
        return hm;
      });
      // One colour scale for both, so the difference is the picture.
      const lo = Math.min(...maps.map((h) => h.range()[0])), hi = Math.max(...maps.map((h) => h.range()[1]));
      for (const h of maps) { h.setRange([lo, hi]); }
      parts.push(side);
      requestAnimationFrame(() => maps.forEach((h) => h.draw()));
    }
    this.result.replaceChildren(...parts);
  }
}
