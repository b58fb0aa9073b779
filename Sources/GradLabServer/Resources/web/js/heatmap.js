// A layer × step heat map on a canvas: log10 of a per-layer magnitude, viridis, input layer at the
// bottom. Columns arrive one at a time; steps are binned to the canvas width in a one-row-per-layer
// buffer that is only repainted where new columns landed, so 5000 steps × 200 layers stay cheap.

import { num, fmt, el } from './api.js';
import { VIRIDIS_LUT, NONFINITE, ZERO, NONFINITE_CSS, legendSVG } from './colors.js';

const M = { left: 46, right: 16, top: 6, bottom: 30 };

export class Heatmap {
  /**
   * container: element that receives the canvas, legend and tooltip (gets data-steps).
   * opts: { label: legend text, xLabel, yLabel, rowName(i) → tooltip text, height }
   */
  constructor(container, opts = {}) {
    this.box = container;
    this.opts = opts;
    this.canvas = el('canvas', { class: 'heat-canvas' });
    this.legend = el('div', { class: 'heat-legend' });
    this.tip = el('div', { class: 'tip', hidden: true });
    container.classList.add('heatmap');
    container.append(this.canvas, this.legend, this.tip);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    new ResizeObserver(() => { this.full = true; this.draw(); }).observe(container);
    this.reset(0);
  }

  /** Empties the map for `rows` layers; xMax: the last step expected (the axis grows to it). */
  reset(rows, xMax = 0) {
    this.rows = rows;
    this.xMax = xMax;
    this.xs = [];
    this.cols = [];
    this.min = Infinity;
    this.max = -Infinity;
    this.fixed = null;
    this.nonFinite = 0;
    this.zeros = 0;
    this.full = true;
    this.painted = 0;
    this.dirty = true;
    this.box.dataset.steps = '0';
  }

  /** Adds one column: step x and one raw value per layer (numbers or "NaN"/"Infinity" strings). */
  push(x, values) {
    const col = new Float32Array(this.rows);
    for (let r = 0; r < this.rows; r++) {
      const v = num(values[r]);
      if (v === null || Number.isNaN(v) || !Number.isFinite(v)) {
        col[r] = NaN;
        if (v !== null) this.nonFinite++;
      } else if (v <= 0) {
        col[r] = -Infinity;
        this.zeros++;
      } else {
        const lv = Math.log10(v);
        col[r] = lv;
        if (lv < this.min) this.min = lv;
        if (lv > this.max) this.max = lv;
      }
    }
    this.xs.push(x);
    this.cols.push(col);
    this.dirty = true;
  }

  /** Replaces everything with static columns (e.g. the through-time picture or repair before/after). */
  setAll(xs, columns, xMax) {
    this.reset(columns.length ? columns[0].length : 0, xMax ?? (xs.length ? xs[xs.length - 1] : 0));
    xs.forEach((x, i) => this.push(x, columns[i]));
  }

  /** Changes the legend's text and redraws at once (even while empty), so the legend never shows a stale quantity. */
  setLabel(label) {
    if (label !== this.opts.label) { this.opts.label = label; this.full = true; this.dirty = true; }
    this.draw();
  }

  /** Pins the colour range to [lo, hi] decades (so maps drawn side by side compare), or null to follow the data. */
  setRange(range) { this.fixed = range; this.full = true; this.dirty = true; }

  /** The colour range in whole decades covering the data. */
  range() {
    if (this.fixed) return this.fixed;
    if (!(this.max >= this.min)) return [-1, 0];
    const lo = Math.floor(this.min), hi = Math.max(Math.ceil(this.max), lo + 1);
    return [lo, hi];
  }

  get steps() { return this.cols.length; }

  /** Expected column count: the columns so far extended at their stride up to xMax. */
  expected() {
    const n = this.cols.length;
    if (n === 0) return 1;
    const x0 = this.xs[0], xl = this.xs[n - 1];
    const stride = n > 1 ? Math.max((xl - x0) / (n - 1), 1e-9) : 1;
    return Math.max(n, Math.round((Math.max(this.xMax, xl) - x0) / stride) + 1);
  }

  draw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = Math.max(this.box.clientWidth, 120), h = this.opts.height || Math.min(Math.max(this.rows * 7, 170), 320);
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
      c.style.width = w + 'px'; c.style.height = h + 'px';
      this.full = true;
    }
    const pw = w - M.left - M.right, ph = h - M.top - M.bottom;
    const W = Math.max(1, Math.min(Math.round(pw * dpr), 2400)), E = this.expected();
    const [lo, hi] = this.range();
    const key = `${W}|${E}|${lo}|${hi}|${this.rows}`;
    if (key !== this.key) { this.key = key; this.full = true; }
    if (!this.dirty && !this.full) return;
    this.paint(W, E, lo, hi);
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.fillStyle = '#f3f3f3';
    g.fillRect(M.left, M.top, pw, ph);
    if (this.rows > 0) {
      g.imageSmoothingEnabled = false;
      g.drawImage(this.buf, 0, 0, W, this.rows, M.left, M.top, pw, ph);
    }
    this.axes(g, pw, ph, E);
    this.box.dataset.steps = String(this.cols.length);
    this.legend.innerHTML = legendSVG(lo, hi, {
      label: this.opts.label || 'log10 value',
      width: Math.min(240, Math.max(120, w - 170)),
      notes: [
        this.nonFinite ? { text: `red: ${this.nonFinite} NaN/Inf`, colour: NONFINITE_CSS } : null,
        this.zeros ? { text: `grey: ${this.zeros} exactly 0`, colour: '#666' } : null,
      ].filter(Boolean),
    });
    this.dirty = false;
  }

  // Repaints the binned buffer (one pixel row per layer): all of it, or from the first new column.
  paint(W, E, lo, hi) {
    if (!this.buf || this.buf.width !== W || this.buf.height !== Math.max(this.rows, 1)) {
      this.buf = document.createElement('canvas');
      this.buf.width = W;
      this.buf.height = Math.max(this.rows, 1);
      this.full = true;
    }
    const n = this.cols.length, rows = this.rows;
    if (rows === 0) return;
    const from = this.full ? 0 : Math.max(0, Math.floor((this.painted * W) / E) - 1);
    const to = Math.min(W, Math.ceil((n * W) / E));
    if (this.full) this.buf.getContext('2d').clearRect(0, 0, W, rows);
    this.full = false;
    this.painted = n;
    if (to <= from) return;
    const img = new ImageData(to - from, rows), d = img.data, span = hi - lo;
    for (let p = from; p < to; p++) {
      const a = Math.floor((p * E) / W), b = Math.min(n, Math.max(a + 1, Math.floor(((p + 1) * E) / W)));
      for (let r = 0; r < rows; r++) {
        let sum = 0, cnt = 0, bad = false, any = false;
        for (let j = a; j < b; j++) {
          const v = this.cols[j][r];
          if (Number.isNaN(v)) { bad = true; break; }
          any = true;
          if (v !== -Infinity) { sum += v; cnt++; }
        }
        const o = ((rows - 1 - r) * (to - from) + (p - from)) * 4;
        if (!any && !bad) { d[o + 3] = 0; continue; }
        if (bad) { d.set(NONFINITE, o); d[o + 3] = 255; continue; }
        if (cnt === 0) { d.set(ZERO, o); d[o + 3] = 255; continue; }
        const t = Math.min(Math.max((sum / cnt - lo) / span, 0), 1), li = Math.round(t * 255) * 4;
        d[o] = VIRIDIS_LUT[li]; d[o + 1] = VIRIDIS_LUT[li + 1]; d[o + 2] = VIRIDIS_LUT[li + 2]; d[o + 3] = 255;
      }
    }
    this.buf.getContext('2d').putImageData(img, from, 0);
  }

  axes(g, pw, ph, E) {
    g.fillStyle = '#333';
    g.strokeStyle = '#888';
    g.font = '11px system-ui, sans-serif';
    g.strokeRect(M.left + 0.5, M.top + 0.5, pw - 1, ph - 1);
    // Rows: layer numbers 1 = input side, at most ~12 labels.
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    const every = Math.max(1, Math.ceil(this.rows / Math.max(1, Math.floor(ph / 14))));
    for (let r = 0; r < this.rows; r += every) {
      const y = M.top + ph - ((r + 0.5) * ph) / this.rows;
      g.fillText(String(r + 1), M.left - 4, y);
    }
    // The top layer is always labelled, unless the last regular label sits too close to it.
    const lastLabelled = Math.floor((this.rows - 1) / every) * every;
    if (lastLabelled !== this.rows - 1 && ((this.rows - 1 - lastLabelled) * ph) / this.rows >= 12) {
      g.fillText(String(this.rows), M.left - 4, M.top + (0.5 * ph) / this.rows);
    }
    g.save();
    g.translate(10, M.top + ph / 2);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'center';
    g.fillText(this.opts.yLabel || 'layer (input ↓)', 0, 0);
    g.restore();
    // Steps: ticks at round numbers over the expected span.
    const n = this.cols.length;
    if (n === 0) return;
    const x0 = this.xs[0], stride = n > 1 ? (this.xs[n - 1] - x0) / (n - 1) : 1, x1 = x0 + stride * (E - 1);
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(pw / 70)), 1)) {
      const x = M.left + ((t - x0) / Math.max(x1 - x0 + stride, 1e-9)) * pw + pw / E / 2;
      if (x < M.left - 1 || x > M.left + pw + 1) continue;
      g.fillText(fmt(t), x, M.top + ph + 3);
    }
    g.fillText(this.opts.xLabel || 'step', M.left + pw / 2, M.top + ph + 16);
  }

  hover(e) {
    const n = this.cols.length;
    if (!n || !this.rows) return;
    const r = this.canvas.getBoundingClientRect();
    const pw = r.width - M.left - M.right, ph = r.height - M.top - M.bottom;
    const fx = (e.clientX - r.left - M.left) / pw, fy = (e.clientY - r.top - M.top) / ph;
    const j = Math.floor(fx * this.expected()), row = this.rows - 1 - Math.floor(fy * this.rows);
    if (fx < 0 || fy < 0 || fy >= 1 || j >= n || row < 0) { this.tip.hidden = true; return; }
    const v = this.cols[j][row];
    const text = Number.isNaN(v) ? 'NaN/Inf' : v === -Infinity ? '0' : fmt(10 ** v);
    const name = this.opts.rowName ? this.opts.rowName(row) : `layer ${row + 1}`;
    this.tip.textContent = `${this.opts.xLabel || 'step'} ${this.xs[j]} · ${name}: ${text}`;
    this.tip.hidden = false;
    this.tip.style.left = Math.min(e.clientX - this.box.getBoundingClientRect().left + 12, this.box.clientWidth - 180) + 'px';
    this.tip.style.top = (e.clientY - this.box.getBoundingClientRect().top + 12) + 'px';
  }
}

/** About `count` round tick values covering [a, b], spaced at least `minStep` (1 for steps). */
export function niceTicks(a, b, count, minStep = 0) {
  if (!(b > a)) return [a];
  const raw = (b - a) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(minStep, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw);
  const out = [];
  for (let t = Math.ceil(a / step) * step; t <= b + 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}
