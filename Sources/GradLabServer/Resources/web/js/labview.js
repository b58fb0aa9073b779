// Draws a RunModel into the lab page: heat maps, curves, per-layer charts, verdicts, banner, end.
// draw() is called at most once per animation frame and skips parts whose data did not change.

import { el, fmt, pct } from './api.js';
import { Heatmap } from './heatmap.js';
import { lineChart, layerChart } from './charts.js';
import { PALETTE } from './colors.js';

const SEVERE = new Set(['non-finite', 'loss-blow-up', 'vanishing', 'exploding']);
const WARN = new Set(['dead-relu', 'saturation', 'update-ratio', 'poor-init', 'unchanged']);

/** One verdict as an element (class verdict, data-kind, data-layers), styled by how serious its kind is. */
export function verdictElement(v) {
  const tone = SEVERE.has(v.kind) ? 'severe' : WARN.has(v.kind) ? 'warn' : 'info';
  const node = el('div', {
    class: `verdict ${tone}${v.predicted ? ' predicted' : ''}`,
    'data-kind': v.kind, 'data-layers': (v.layers || []).join(','),
  },
  el('div', { class: 'vhead' },
    el('span', { class: 'vkind', text: (tone === 'severe' ? '⚠ ' : '') + v.kind }),
    el('span', { class: 'vwhen', text: v.predicted ? 'predicted at step 0' : `step ${v.firstStep}` })),
  el('div', { class: 'vline', text: v.line || v.evidence || '' }));
  if (v.explanation || (v.remedies && v.remedies.length)) {
    const d = el('details', null, el('summary', { text: 'why, and what helps' }));
    if (v.explanation) d.append(el('p', { text: v.explanation }));
    if (v.remedies && v.remedies.length) d.append(el('ul', null, ...v.remedies.map((r) => el('li', { text: r }))));
    node.append(d);
  }
  return node;
}

export class LabView {
  constructor(root) {
    this.$ = (id) => root.querySelector('#' + id);
    this.view = 'grad';
    const rowName = (i) => `layer ${i + 1}` + (this.model && this.model.layers[i] ? ` (${this.model.layers[i]})` : '');
    this.heat = new Heatmap(this.$('heat'), { label: 'log₁₀ ‖∇W_l‖', rowName });
    this.heat2 = new Heatmap(this.$('heat2'), { label: 'log₁₀ ‖∇W_l‖', rowName: (i) => `layer ${i + 1}` });
    this.time = new Heatmap(this.$('time'), { label: 'log₁₀ ‖∂L/∂h_t‖', xLabel: 't', yLabel: 'layer', height: 170 });
    this.models = [];
    this.seen = {};
  }

  /** Shows `models` (one run, or two side by side for a comparison); the first gets every chart. */
  attach(models) {
    this.models = models;
    this.model = models[0];
    this.seen = {};
    this.heat.reset(0);
    this.heat2.reset(0);
    this.$('heat2box').hidden = models.length < 2;
    this.$('charts').hidden = false;
    this.$('end').replaceChildren();
    this.draw();
  }

  setView(view) {
    this.view = view === 'delta' ? 'delta' : 'grad';
    const label = this.view === 'delta' ? 'log₁₀ ‖δ_l‖' : 'log₁₀ ‖∇W_l‖';
    this.heat.reset(0);
    this.heat2.reset(0);
    this.heat.setLabel(label);
    this.heat2.setLabel(label);
    this.draw();
  }

  // Feeds a heat map the columns it has not seen yet (all of them after a reset or view switch).
  feed(hm, m) {
    const rows = m.layers.length || (m.g[0] ? m.g[0].length : 0);
    if (hm.rows !== rows || hm.steps > m.xs.length) hm.reset(rows, m.totalSteps);
    hm.xMax = m.end ? 0 : m.totalSteps;  // once over, the steps it took fill the width (a run that failed early too)
    const src = this.view === 'delta' ? m.d : m.g;
    for (let i = hm.steps; i < m.xs.length; i++) hm.push(m.xs[i], src[i]);
    hm.draw();
  }

  draw() {
    const m = this.model;
    if (!m) return;
    this.feed(this.heat, m);
    if (this.models[1]) {
      this.feed(this.heat2, this.models[1]);
      this.$('heat1title').textContent = runName(m, 0);
      this.$('heat2title').textContent = runName(this.models[1], 1);
    } else this.$('heat1title').textContent = '';
    const version = this.models.map((x) => x.version).join('/');
    if (version === this.seen.version) return;
    this.seen.version = version;
    this.summary(m);
    this.curves();
    this.perLayer(m);
    this.verdicts(m);
    this.banner(m);
    this.ending(m);
  }

  summary(m) {
    const acc = m.accuracy, a = this.$('accuracy');
    a.textContent = acc === null || acc === undefined ? '–' : pct(acc);
    if (acc !== null && acc !== undefined) a.dataset.value = String(acc); else delete a.dataset.value;
    const last = m.train[m.train.length - 1];
    this.$('stepinfo').textContent = m.progress;
    this.$('lossinfo').textContent = last ? fmt(last.loss) : '–';
  }

  curves() {
    const loss = [], acc = [];
    this.models.forEach((m, i) => {
      const name = this.models.length > 1 ? runName(m, i) + ' ' : '';
      const c = PALETTE[i * 2 % PALETTE.length], c2 = PALETTE[(i * 2 + 1) % PALETTE.length];
      loss.push({ name: name + 'train', colour: c, points: m.train.map((s) => [s.step, s.loss]) });
      acc.push({ name: name + 'train', colour: c, points: m.train.filter((s) => s.accuracy !== null && s.accuracy !== undefined).map((s) => [s.step, s.accuracy]) });
      if (m.evals.length) {
        loss.push({ name: name + 'test', colour: c2, markers: true, points: m.evals.map((s) => [s.step, s.loss]) });
        const ea = m.evals.filter((s) => s.accuracy !== null && s.accuracy !== undefined);
        if (ea.length) acc.push({ name: name + 'test', colour: c2, markers: true, points: ea.map((s) => [s.step, s.accuracy]) });
      }
    });
    const m = this.model, b = m.info && m.info.baseline;
    if (b && b.loss !== undefined && b.loss !== null) {
      loss.push({ name: 'constant answer', colour: '#888', dash: '4 3', points: [[0, b.loss], [Math.max(m.totalSteps, 1), b.loss]] });
    }
    this.$('c-loss').title = b && b.meaning ? b.meaning : '';
    lineChart(this.$('c-loss'), loss, { log: true, yLabel: 'loss (log)', xLabel: 'step', xMax: m.totalSteps });
    const hasAcc = acc.some((s) => s.points.length);
    this.$('c-acc').closest('.card').hidden = !hasAcc && m.train.length > 0;
    lineChart(this.$('c-acc'), acc, { yLabel: 'accuracy', xLabel: 'step', range: [0, 1], xMax: m.totalSteps });
  }

  perLayer(m) {
    const s = m.latest || (m.prediction && m.prediction.step0);
    const L = s ? s.layers || [] : [];
    const when = m.latest ? `step ${m.latest.step}` : s ? 'step 0 (before training)' : '';
    for (const id of ['w-gain', 'w-ur', 'w-sat']) this.$(id).textContent = when;
    layerChart(this.$('c-gain'), [
      { name: 'gain ‖δ_l‖/‖δ_l+1‖', kind: 'bar', values: L.map((l) => l.gain) },
      { name: 'running product', kind: 'line', values: L.map((l) => l.prod), colour: PALETTE[5] },
    ], { log: true, ref: 1, yLabel: 'gain (log; 1 = kept)' });
    layerChart(this.$('c-ur'), [{ name: 'update / weight', kind: 'bar', values: m.latest ? L.map((l) => l.ur) : [] }],
      { log: true, ref: 1e-3, yLabel: 'update/weight (log; line at 1e-3)' });
    const sat = L.map((l) => l.sat), dead = L.map((l) => l.dead);
    const satCard = this.$('c-sat');
    const any = (xs) => xs.some((v) => v !== null && v !== undefined);
    this.$('satcard').hidden = !(any(sat) || any(dead));
    layerChart(satCard, [
      ...(any(sat) ? [{ name: 'saturated', kind: 'bar', values: sat }] : []),
      ...(any(dead) ? [{ name: 'dead', kind: 'bar', values: dead, colour: PALETTE[5] }] : []),
    ], { range: [0, 1], yLabel: any(sat) || any(dead) ? 'fraction of units' : 'not measured for this activation' });
    this.step0(m);
    this.timePicture(m);
  }

  // Before training: the step-0 per-layer picture and the mean-field prediction over the measurement.
  step0(m) {
    const p = m.prediction, box = this.$('predbox');
    box.hidden = !p;
    if (!p || this.seen.prediction === p) return;
    this.seen.prediction = p;
    const L = (p.step0 && p.step0.layers) || [];
    layerChart(this.$('c-step0'), [
      { name: '‖∇W_l‖', values: L.map((l) => l.g) },
      { name: '‖δ_l‖', values: L.map((l) => l.d), dash: '5 3' },
    ], { log: true, ref: null, yLabel: 'step 0 (log)' });
    const mf = p.meanField, mfBox = this.$('c-meanfield');
    mfBox.closest('.sub').hidden = !mf || !mf.length;
    if (mf && mf.length) {
      const n = Math.max(...mf.map((x) => x.layer)), measured = Array(n).fill(null), predicted = Array(n).fill(null);
      for (const x of mf) { measured[x.layer - 1] = x.measured; predicted[x.layer - 1] = x.predicted; }
      layerChart(mfBox, [
        { name: 'measured', values: measured },
        { name: 'mean-field prediction', values: predicted, dash: '6 3', colour: PALETTE[5] },
      ], { log: true, ref: null, yLabel: '‖δ_l‖ / ‖δ_L‖ at step 0 (log)' });
    }
  }

  // Recurrent nets: layer × time for the first run, and ‖∂L/∂h_t‖ over t for every run on screen.
  timePicture(m) {
    const box = this.$('timebox'), t = m.latest && m.latest.time;
    box.hidden = !(m.info && m.info.recurrent) || !t || !t.length;
    if (box.hidden || this.seen.time === t) return;
    this.seen.time = t;
    const T = Math.max(...t.map((r) => (r.grad || []).length));
    const xs = [], cols = [];
    for (let i = 0; i < T; i++) { xs.push(i + 1); cols.push(t.map((r) => (r.grad || [])[i])); }
    this.time.opts.rowName = (i) => t[i] ? t[i].name : `layer ${i + 1}`;
    this.time.setAll(xs, cols, T);
    this.time.draw();
    this.$('w-time').textContent = `step ${m.latest.step}, the latest`;
    const series = [];
    this.models.forEach((x, i) => {
      const rows = (x.latest && x.latest.time) || [];
      for (const r of rows.slice(-3)) {
        const name = (this.models.length > 1 ? runName(x, i) + ' ' : '') + r.name;
        series.push({ name, points: (r.grad || []).map((g, k) => [k + 1, g]) });
      }
    });
    lineChart(this.$('c-time'), series, { log: true, yLabel: '‖∂L/∂h_t‖ (log)', xLabel: 't', height: 180 });
  }

  // The first run's verdicts; in a comparison, each run's under its name.
  verdicts(m) {
    const key = this.models.map((x) => x.verdicts.length + (x.final ? 'f' : '')).join('/');
    if (key === this.seen.verdicts) return;
    this.seen.verdicts = key;
    const box = this.$('verdicts'), many = this.models.length > 1;
    box.replaceChildren();
    this.models.forEach((x, i) => {
      if (many) box.append(el('h3', { class: 'runhead', text: runName(x, i) }));
      box.append(...x.verdicts.map(verdictElement));
      if (!x.verdicts.length) box.append(el('p', { class: 'muted', text: x.end ? 'No problem found.' : 'No verdict yet.' }));
    });
  }

  banner(m) {
    const b = this.$('banner'), nf = m.nonfinite;
    b.hidden = !nf;
    if (nf) {
      const i = m.layers.indexOf(nf.layer), where = i >= 0 ? `layer ${i + 1} (${nf.layer})` : nf.layer;
      b.textContent = nf.layer
        ? `NaN/Inf at step ${nf.step}: the ${nf.what} of ${where} went non-finite first (counting from the input).`
        : `NaN/Inf at step ${nf.step}: the ${nf.what || 'loss'} went non-finite.`;
    }
  }

  ending(m) {
    const box = this.$('end');
    if (!m.end || this.seen.end === m.end) return;
    this.seen.end = m.end;
    const e = m.end, id = (m.info && m.info.storeID) ?? (m.state && m.state.storeID);
    const f = e.final || {};
    box.replaceChildren(...[
      el('strong', { text: e.status }),
      ` · final loss ${fmt(f.loss)} · accuracy ${pct(f.accuracy)}`,
      e.message ? el('div', { class: e.status === 'finished' ? 'status' : 'status error', text: e.message }) : null,
      el('div', null,
        e.report ? el('a', { href: e.report, target: '_blank', rel: 'noopener', text: 'open the report ↗' }) : null,
        id !== null && id !== undefined ? el('span', { class: 'cli' }, ' · on the command line: ', el('code', { text: `gradlab runs show ${id}` })) : null),
    ].filter(Boolean));
  }
}

/** A short name for a run in a comparison: what differs most often (model, else activation). */
export function runName(m, i) {
  const c = (m.info && m.info.config) || {};
  return c.model && c.model !== 'mlp' ? String(c.model) : c.activation ? `${c.activation}` : `run ${i + 1}`;
}
