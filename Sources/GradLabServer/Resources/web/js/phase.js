// The phase page: the (σ_w², σ_b²) plane coloured by trainable depth 6ξ_c (log, viridis), the
// critical line, the user's depth as a contour, and a readout of any point with a link that runs it.

import { getJSON, query, fmt, el, status } from './api.js';
import { VIRIDIS_LUT, legendSVG, css, viridis } from './colors.js';
import { niceTicks } from './heatmap.js';

const $ = (id) => document.getElementById(id);
const M = { left: 52, right: 12, top: 10, bottom: 40 };
let plane = null, pinned = null, hoverTimer = 0;
let depthCap = null;  // the lab's depth limit (GET /api/lab → limits.depth): "run at this point" stays under it

async function init() {
  const params = new URLSearchParams(location.search);
  let activations = ['tanh', 'relu', 'sigmoid'];
  try {
    const lab = await getJSON('/api/lab');
    const key = lab.keys.find((k) => k.name === 'activation');
    if (key && key.choices) activations = key.choices;
    if (lab.limits && Number(lab.limits.depth) > 0) depthCap = Number(lab.limits.depth);
  } catch (e) { status($('status'), e.message, 'error'); }
  for (const a of activations) $('activation').append(new Option(a, a));
  $('activation').value = params.get('activation') || (activations.includes('tanh') ? 'tanh' : activations[0]);
  if (params.has('sigma-b2')) $('sigma-b2').value = params.get('sigma-b2');
  if (params.has('depth')) $('depth').value = params.get('depth');
  $('b2val').textContent = $('sigma-b2').value;
  $('sigma-b2').addEventListener('input', () => { $('b2val').textContent = $('sigma-b2').value; draw(); });
  for (const id of ['activation', 'sigma-b2', 'depth']) $(id).addEventListener('change', load);
  const c = $('canvas');
  c.addEventListener('mousemove', (e) => { if (!pinned) hover(e, false); });
  c.addEventListener('click', (e) => hover(e, true));
  c.addEventListener('mouseleave', () => { $('tip').hidden = true; });
  new ResizeObserver(draw).observe($('plane'));
  load();
}

const depth = () => Math.max(1, parseInt($('depth').value, 10) || 20);

async function load() {
  const p = { activation: $('activation').value, 'sigma-b2': $('sigma-b2').value, depth: depth() };
  history.replaceState(null, '', location.pathname + query(p));
  status($('status'), 'Computing the plane (mean-field theory at every grid point; this can take a while)…');
  try {
    plane = await getJSON('/api/phase' + query(p));
    status($('status'), '');
    const ys = plane.ys || [];
    if (ys.length) $('sigma-b2').max = String(Math.max(...ys));
    if (plane.point) showPoint(plane.point);
    draw();
    if (pinned) fetchPoint(pinned);  // the readout and its link follow the new depth or activation
  } catch (e) { status($('status'), e.message, 'error'); }
}

// Cell edges halfway between grid values, so uneven grids draw honestly.
function edges(vs) {
  if (vs.length === 1) return [vs[0] - 0.5, vs[0] + 0.5];
  const out = [vs[0] - (vs[1] - vs[0]) / 2];
  for (let i = 1; i < vs.length; i++) out.push((vs[i - 1] + vs[i]) / 2);
  out.push(vs[vs.length - 1] + (vs[vs.length - 1] - vs[vs.length - 2]) / 2);
  return out;
}

function geometry() {
  const box = $('plane'), w = Math.max(box.clientWidth, 260), h = Math.round(Math.min(Math.max(w * 0.62, 260), 520));
  const xe = edges(plane.xs), ye = edges(plane.ys);
  const pw = w - M.left - M.right, ph = h - M.top - M.bottom;
  const X = (v) => M.left + ((v - xe[0]) / (xe[xe.length - 1] - xe[0])) * pw;
  const Y = (v) => M.top + ph - ((v - ye[0]) / (ye[ye.length - 1] - ye[0])) * ph;
  return { w, h, pw, ph, xe, ye, X, Y };
}

function draw() {
  if (!plane || !plane.xs || !plane.xs.length) return;
  const G = geometry(), c = $('canvas'), dpr = window.devicePixelRatio || 1;
  c.width = G.w * dpr; c.height = G.h * dpr; c.style.width = G.w + 'px'; c.style.height = G.h + 'px';
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  const cap = plane.cap || 1000, lo = 0, hi = Math.ceil(Math.log10(cap)), D = depth();
  const td = plane.trainableDepth;
  plane.ys.forEach((_, j) => plane.xs.forEach((_, i) => {
    const v = td[j] ? td[j][i] : null;
    if (v === null || v === undefined || !(Number(v) > 0)) g.fillStyle = '#c8c8c8';
    else {
      const t = Math.min(Math.max((Math.log10(Math.min(Number(v), cap)) - lo) / (hi - lo), 0), 1), k = Math.round(t * 255) * 4;
      g.fillStyle = `rgb(${VIRIDIS_LUT[k]},${VIRIDIS_LUT[k + 1]},${VIRIDIS_LUT[k + 2]})`;
    }
    const x0 = G.X(G.xe[i]), x1 = G.X(G.xe[i + 1]), y0 = G.Y(G.ye[j + 1]), y1 = G.Y(G.ye[j]);
    g.fillRect(x0, y0, x1 - x0 + 0.6, y1 - y0 + 0.6);
  }));
  const trains = (i, j) => { const v = td[j] ? td[j][i] : null; return v === null || v === undefined || Number(v) >= D; };
  const edgesDrawn = contour(g, G, trains);
  // The critical line: white over black so it reads on every part of viridis.
  const inView = (p) => p.w >= G.xe[0] && p.w <= G.xe[G.xe.length - 1] && p.b >= G.ye[0] && p.b <= G.ye[G.ye.length - 1];
  const pts = (plane.critical || []).filter((p) => Number.isFinite(p.w) && Number.isFinite(p.b));
  for (const [colour, width] of [['#000', 4], ['#fff', 2]]) {
    g.beginPath();
    pts.forEach((p, k) => (k ? g.lineTo(G.X(p.w), G.Y(p.b)) : g.moveTo(G.X(p.w), G.Y(p.b))));
    g.strokeStyle = colour; g.lineWidth = width; g.setLineDash([]);
    g.stroke();
  }
  // The σ_b² of the slider, and the pinned point.
  const b = Number($('sigma-b2').value);
  if (b >= G.ye[0] && b <= G.ye[G.ye.length - 1]) {
    g.strokeStyle = 'rgba(255,255,255,0.8)'; g.lineWidth = 1; g.setLineDash([2, 3]);
    g.beginPath(); g.moveTo(M.left, G.Y(b)); g.lineTo(M.left + G.pw, G.Y(b)); g.stroke(); g.setLineDash([]);
  }
  if (pinned) {
    g.beginPath(); g.arc(G.X(pinned.w), G.Y(pinned.b), 6, 0, 2 * Math.PI);
    g.fillStyle = '#fff'; g.fill(); g.strokeStyle = '#000'; g.lineWidth = 2; g.stroke();
  }
  axes(g, G);
  // The colour bar, then the legend's lines as HTML, so they wrap at any width.
  const critical = pts.some(inView) ? '── critical line (χ₁ = 1)' : 'no critical line in this range (χ₁ = 1 nowhere here)';
  const depthLine = edgesDrawn ? `- - 6ξ_c = your depth ${D}` : `- - 6ξ_c = your depth ${D}: not in this range (${trains(0, 0) ? 'every point here reaches it' : 'no point here reaches it'})`;
  $('legend').replaceChildren();
  $('legend').insertAdjacentHTML('beforeend', legendSVG(lo, hi, { label: 'trainable depth 6ξ_c (log₁₀)', width: Math.min(260, G.w - 20) }));
  $('legend').append(el('ul', { class: 'legend-notes' },
    el('li', { text: critical }), el('li', { text: depthLine }),
    el('li', null, el('i', { class: 'swatch grey' }), 'grey: no prediction (q* diverges, or c* unresolved)')));
}

// The depth contour: cell edges between a cell that trains the user's depth and one that does not.
function contour(g, G, ok) {
  g.beginPath();
  const nx = plane.xs.length, ny = plane.ys.length;
  let drawn = 0;
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    if (i + 1 < nx && ok(i, j) !== ok(i + 1, j)) { drawn++; g.moveTo(G.X(G.xe[i + 1]), G.Y(G.ye[j])); g.lineTo(G.X(G.xe[i + 1]), G.Y(G.ye[j + 1])); }
    if (j + 1 < ny && ok(i, j) !== ok(i, j + 1)) { drawn++; g.moveTo(G.X(G.xe[i]), G.Y(G.ye[j + 1])); g.lineTo(G.X(G.xe[i + 1]), G.Y(G.ye[j + 1])); }
  }
  g.strokeStyle = '#fff'; g.lineWidth = 2; g.setLineDash([5, 4]);
  g.stroke();
  g.setLineDash([]);
  return drawn;
}

function axes(g, G) {
  g.fillStyle = '#333'; g.strokeStyle = '#888'; g.lineWidth = 1; g.font = '11px system-ui, sans-serif';
  g.strokeRect(M.left + 0.5, M.top + 0.5, G.pw, G.ph);
  g.textAlign = 'center'; g.textBaseline = 'top';
  for (const t of niceTicks(G.xe[0], G.xe[G.xe.length - 1], Math.floor(G.pw / 60))) g.fillText(fmt(t), G.X(t), M.top + G.ph + 4);
  g.fillText('σ_w² (weight variance × fan-in)', M.left + G.pw / 2, M.top + G.ph + 20);
  g.textAlign = 'right'; g.textBaseline = 'middle';
  for (const t of niceTicks(G.ye[0], G.ye[G.ye.length - 1], Math.floor(G.ph / 40))) g.fillText(fmt(t), M.left - 4, G.Y(t));
  g.save(); g.translate(12, M.top + G.ph / 2); g.rotate(-Math.PI / 2); g.textAlign = 'center'; g.fillText('σ_b²', 0, 0); g.restore();
}

function hover(e, pin) {
  if (!plane) return;
  const G = geometry(), r = $('canvas').getBoundingClientRect();
  const px = e.clientX - r.left, py = e.clientY - r.top;
  if (px < M.left || px > M.left + G.pw || py < M.top || py > M.top + G.ph) return;
  const w = G.xe[0] + ((px - M.left) / G.pw) * (G.xe[G.xe.length - 1] - G.xe[0]);
  const b = Math.max(0, G.ye[0] + ((M.top + G.ph - py) / G.ph) * (G.ye[G.ye.length - 1] - G.ye[0]));
  const p = { w: Number(w.toPrecision(3)), b: Number(b.toPrecision(3)) };
  if (pin) { pinned = p; draw(); }
  $('pinned').textContent = pinned ? '(pinned; click elsewhere to move it)' : '';
  const tip = $('tip');
  tip.hidden = false;
  tip.textContent = `σ_w² ${p.w}, σ_b² ${p.b}`;
  tip.style.left = Math.min(px + 12, G.w - 140) + 'px';
  tip.style.top = py + 12 + 'px';
  clearTimeout(hoverTimer);
  hoverTimer = setTimeout(() => fetchPoint(p), pin ? 0 : 120);
}

async function fetchPoint(p) {
  const q = { activation: $('activation').value, 'sigma-w2': p.w, 'sigma-b2': p.b, depth: depth() };
  try { showPoint(await getJSON('/api/phase/point' + query(q))); } catch (e) { status($('status'), e.message, 'error'); }
}

function showPoint(pt) {
  const rows = [
    ['σ_w²', fmt(pt.sigmaW2)], ['σ_b²', fmt(pt.sigmaB2)], ['q*', fmt(pt.qStar)], ['χ₁', fmt(pt.chi1)],
    ['ξ_c', pt.xi === null ? 'diverges / none' : fmt(pt.xi)],
    ['trainable depth 6ξ_c', pt.trainableDepth === null ? 'unbounded / none' : fmt(pt.trainableDepth)],
    ['phase', pt.phase || '–'],
  ];
  const dl = el('dl');
  for (const [k, v] of rows) dl.append(el('dt', { text: k }), el('dd', { text: v }));
  const swatch = pt.trainableDepth ? css(viridis(Math.log10(Math.max(1, pt.trainableDepth)) / Math.log10(plane ? plane.cap || 1000 : 1000))) : '#c8c8c8';
  dl.prepend(el('dt', { text: 'colour' }), el('dd', null, el('span', { style: `display:inline-block;width:28px;height:12px;background:${swatch}` })));
  $('readout').replaceChildren(dl, pt.text ? el('p', { text: pt.text }) : '');
  $('readout').classList.remove('muted');
  // The lab runs at most its depth cap: a deeper point runs at the cap, and the page says so.
  const link = $('runlink'), runDepth = depthCap ? Math.min(depth(), depthCap) : depth();
  link.hidden = false;
  link.href = '/' + query({
    activation: $('activation').value, init: 'normal', 'sigma-w2': pt.sigmaW2, 'sigma-b2': pt.sigmaB2, depth: runDepth, autostart: 1,
  });
  $('capnote').hidden = runDepth === depth();
  $('capnote').textContent = `The lab runs at most ${depthCap} layers, so this run uses depth ${runDepth}, not ${depth()} (deeper: gradlab train).`;
}

init();
