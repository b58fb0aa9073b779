// Small SVG charts: curves over steps and per-layer bars/lines, linear or log10 y. Non-finite values
// are never dropped silently: they become red marks on the top edge with a "NaN/Inf" label.

import { num, fmt, esc } from './api.js';
import { PALETTE, NONFINITE_CSS } from './colors.js';
import { niceTicks } from './heatmap.js';

const M = { left: 48, right: 10, top: 18, bottom: 30 };

// The y scale: log10 decades or nice linear ticks over the finite (positive, for log) values.
function yScale(values, { log, range, ref }) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    const t = log ? Math.log10(v) : v;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (ref !== undefined && ref !== null) {
    const t = log ? Math.log10(ref) : ref;
    lo = Math.min(lo, t); hi = Math.max(hi, t);
  }
  if (range) [lo, hi] = log ? range.map(Math.log10) : range;
  if (!(hi >= lo)) [lo, hi] = log ? [-1, 1] : [0, 1];
  if (log) { lo = Math.floor(lo); hi = Math.max(Math.ceil(hi), lo + 1); }
  else if (hi === lo) { lo -= 0.5; hi += 0.5; }
  const ticks = log ? decadeTicks(lo, hi) : niceTicks(lo, hi, 4);
  return { lo, hi, ticks, t: (v) => (log ? Math.log10(v) : v), label: (t) => (log ? `1e${t}` : fmt(t)) };
}

function decadeTicks(lo, hi) {
  const step = Math.max(1, Math.ceil((hi - lo) / 5)), out = [];
  for (let d = lo; d <= hi; d += step) out.push(d);
  return out;
}

function frame(w, h, ys, xTicks, xOf, { xLabel, yLabel }) {
  const ph = h - M.top - M.bottom, yOf = (t) => M.top + ph - ((t - ys.lo) / (ys.hi - ys.lo)) * ph;
  let s = '';
  for (const t of ys.ticks) {
    const y = yOf(t);
    s += `<line class="grid" x1="${M.left}" x2="${w - M.right}" y1="${y}" y2="${y}"/>` +
      `<text x="${M.left - 4}" y="${y + 4}" text-anchor="end">${ys.label(t)}</text>`;
  }
  for (const [x, label] of xTicks) s += `<text x="${xOf(x)}" y="${h - M.bottom + 13}" text-anchor="middle">${label}</text>`;
  s += `<rect class="frame" x="${M.left}" y="${M.top}" width="${w - M.left - M.right}" height="${ph}"/>`;
  if (xLabel) s += `<text x="${(M.left + w - M.right) / 2}" y="${h - 3}" text-anchor="middle">${esc(xLabel)}</text>`;
  if (yLabel) s += `<text x="${M.left}" y="12">${esc(yLabel)}</text>`;
  return { s, yOf };
}

// The key as HTML under the chart, so it wraps on narrow screens instead of overlapping.
function legend(series) {
  const items = series.filter((sr) => sr.name).map((sr) => {
    const mark = sr.kind === 'bar' ? `<i class="sw" style="background:${sr.colour}"></i>`
      : `<i class="ln${sr.dash ? ' dash' : ''}" style="border-color:${sr.colour}"></i>`;
    return `<span>${mark}${esc(sr.name)}</span>`;
  });
  return items.length ? `<div class="clegend">${items.join('')}</div>` : '';
}

const svgOpen = (w, h) => `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" class="chart">`;

// Keeps at most ~2 points per pixel column: the first, min and max of each bin, so spikes survive.
function thin(points, w) {
  if (points.length <= 2 * w) return points;
  const x0 = points[0][0], x1 = points[points.length - 1][0], out = [];
  let bin = -1, lo = null, hi = null;
  const flush = () => { if (lo) { out.push(lo[0] <= hi[0] ? lo : hi); if (lo !== hi) out.push(lo[0] <= hi[0] ? hi : lo); } };
  for (const p of points) {
    const b = Math.floor(((p[0] - x0) / Math.max(x1 - x0, 1e-9)) * w);
    if (!Number.isFinite(p[1])) { flush(); lo = hi = null; out.push(p); bin = b; continue; }
    if (b !== bin) { flush(); bin = b; lo = hi = p; continue; }
    if (p[1] < lo[1]) lo = p;
    if (p[1] > hi[1]) hi = p;
  }
  flush();
  return out;
}

/**
 * Curves over steps into `box`. series: [{name, points: [[x, y]…], colour?, dash?, markers?}].
 * opts: {log, xLabel, yLabel, range: [lo, hi], height, xMax}.
 */
export function lineChart(box, series, opts = {}) {
  const w = Math.max(box.clientWidth, 200), h = opts.height || 170;
  series = series.map((s, i) => ({ colour: PALETTE[i % PALETTE.length], ...s, points: s.points.map(([x, y]) => [x, num(y)]) }));
  const all = series.flatMap((s) => s.points.map((p) => p[1]));
  const xsAll = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = yScale(all, opts);
  const x0 = xsAll.length ? Math.min(...xsAll) : 0;
  const x1 = Math.max(opts.xMax || 0, xsAll.length ? Math.max(...xsAll) : 1, x0 + 1);
  const pw = w - M.left - M.right, xOf = (x) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const { s: axes, yOf } = frame(w, h, ys, niceTicks(x0, x1, Math.max(2, Math.floor(pw / 70)), 1).map((t) => [t, fmt(t)]), xOf, opts);
  let body = '', bad = 0;
  const clampY = (t) => Math.min(Math.max(t, ys.lo), ys.hi);
  for (const sr of series) {
    let d = '', pen = false, marks = '';
    for (const [x, y] of thin(sr.points, pw)) {
      if (y === null) { pen = false; continue; }
      if (!Number.isFinite(y) || (opts.log && y <= 0 && !Number.isFinite(Math.log10(y)))) {
        if (!Number.isFinite(y)) { bad++; marks += `<circle cx="${xOf(x)}" cy="${M.top + 2}" r="3" fill="${NONFINITE_CSS}"/>`; }
        pen = false;
        continue;
      }
      const px = xOf(x).toFixed(1), py = yOf(clampY(ys.t(y))).toFixed(1);
      d += (pen ? 'L' : 'M') + px + ',' + py;
      pen = true;
      if (sr.markers) marks += `<circle cx="${px}" cy="${py}" r="3" fill="${sr.colour}" stroke="#fff"/>`;
    }
    const dash = sr.dash ? ` stroke-dasharray="${sr.dash}"` : '';
    if (d && !sr.markersOnly) body += `<path d="${d}" fill="none" stroke="${sr.colour}" stroke-width="1.6"${dash}/>`;
    body += marks;
  }
  if (bad) body += `<text x="${M.left + 4}" y="${M.top + 14}" fill="${NONFINITE_CSS}">NaN/Inf ×${bad}</text>`;
  box.innerHTML = svgOpen(w, h) + axes + body + '</svg>' + legend(series);
}

/**
 * Per-layer values, layer 1 (input side) on the left. series: [{name, values: […], kind: 'bar'|'line', colour?, dash?}].
 * opts: {log, ref (bars grow from it; 1 on log scales), yLabel, range, height}.
 */
export function layerChart(box, series, opts = {}) {
  const w = Math.max(box.clientWidth, 200), h = opts.height || 170;
  series = series.map((s, i) => ({ colour: PALETTE[i % PALETTE.length], kind: 'line', ...s, values: s.values.map(num) }));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const ys = yScale(series.flatMap((s) => s.values), opts);
  const pw = w - M.left - M.right, cell = pw / n, xOf = (i) => M.left + (i + 0.5) * cell;
  const every = Math.max(1, Math.ceil(n / Math.floor(pw / 28)));
  const xTicks = [];
  for (let i = 0; i < n; i += every) xTicks.push([i, String(i + 1)]);
  const { s: axes, yOf } = frame(w, h, ys, xTicks, xOf, { xLabel: opts.xLabel || 'layer (input →)', yLabel: opts.yLabel });
  // Bars grow from `ref` (1 on a log scale: a gain of 1 keeps the signal); null: no reference line.
  const ref = opts.ref === undefined ? (opts.log ? 1 : 0) : opts.ref;
  const refT = ref === null ? null : ys.t(ref);
  const base = yOf(refT === null ? ys.lo : Math.min(Math.max(refT, ys.lo), ys.hi));
  const bars = series.filter((s) => s.kind === 'bar'), bw = Math.max(1, (cell * 0.8) / Math.max(bars.length, 1));
  let body = '', bad = 0;
  series.forEach((sr) => {
    const bi = bars.indexOf(sr);
    let d = '', pen = false;
    sr.values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      if (!Number.isFinite(v)) {
        bad++;
        body += `<rect x="${xOf(i) - 2}" y="${M.top}" width="4" height="6" fill="${NONFINITE_CSS}"/>`;
        pen = false;
        return;
      }
      if (opts.log && v <= 0) { pen = false; return; }
      const y = yOf(Math.min(Math.max(ys.t(v), ys.lo), ys.hi));
      if (bi >= 0) {
        const x = xOf(i) - (cell * 0.4) + bi * bw;
        body += `<rect x="${x.toFixed(1)}" y="${Math.min(y, base).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(Math.abs(base - y), 0.8).toFixed(1)}" fill="${sr.colour}"><title>layer ${i + 1}: ${fmt(v)}</title></rect>`;
      } else {
        d += (pen ? 'L' : 'M') + xOf(i).toFixed(1) + ',' + y.toFixed(1);
        pen = true;
      }
    });
    const dash = sr.dash ? ` stroke-dasharray="${sr.dash}"` : '';
    if (d) body += `<path d="${d}" fill="none" stroke="${sr.colour}" stroke-width="1.8"${dash}/>`;
    if (d && n <= 60) sr.values.forEach((v, i) => {
      if (Number.isFinite(v) && !(opts.log && v <= 0)) body += `<circle cx="${xOf(i)}" cy="${yOf(Math.min(Math.max(ys.t(v), ys.lo), ys.hi))}" r="2.2" fill="${sr.colour}"><title>layer ${i + 1}: ${fmt(v)}</title></circle>`;
    });
  });
  if (refT !== null && refT >= ys.lo && refT <= ys.hi) body += `<line class="ref" x1="${M.left}" x2="${w - M.right}" y1="${base}" y2="${base}"/>`;
  if (bad) body += `<text x="${M.left + 4}" y="${M.top + 16}" fill="${NONFINITE_CSS}">NaN/Inf ×${bad}</text>`;
  box.innerHTML = svgOpen(w, h) + axes + body + '</svg>' + legend(series);
}
