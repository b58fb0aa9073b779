// The runs page: the run store filtered (filters live in the URL), two runs compared side by side
// with their loss curves overlaid, and each run's report one click away.

import { getJSON, query, fmt, pct, num, el, status } from './api.js';
import { lineChart } from './charts.js';

const $ = (id) => document.getElementById(id);
const FIELDS = ['status', 'name', 'experiment', 'tag', 'filter'];
let runs = [];
const ticked = new Set();

function init() {
  const form = $('filters'), params = new URLSearchParams(location.search);
  for (const f of FIELDS) if (params.has(f)) form.elements[f].value = f === 'filter' ? params.getAll(f).join(' ') : params.get(f);
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  form.elements.status.addEventListener('change', load);
  $('compare').addEventListener('click', compare);
  load();
}

function filters() {
  const form = $('filters'), p = {};
  for (const f of FIELDS) p[f] = form.elements[f].value.trim();
  p.filter = p.filter ? p.filter.split(/\s+/).filter(Boolean) : null;
  return p;
}

async function load() {
  const p = filters();
  history.replaceState(null, '', location.pathname + query(p));
  status($('status'), 'Loading…');
  try {
    runs = (await getJSON('/api/store/runs' + query({ ...p, limit: 100 }))).runs || [];
    status($('status'), '');
  } catch (e) {
    runs = [];
    status($('status'), e.message, 'error');
  }
  for (const id of [...ticked]) if (!runs.some((r) => r.id === id)) ticked.delete(id);
  render();
}

// ISO 8601 times shown in the browser's time zone, to the minute.
function when(s) {
  const t = s ? new Date(s) : null;
  if (!t || Number.isNaN(t.getTime())) return s || '–';
  const p = (n) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}`;
}

// A number cell; non-finite finals (a run that diverged) are red and say so.
function numCell(v, f = fmt) {
  const x = num(v), bad = x !== null && !Number.isFinite(x);
  return el('td', { class: 'num' + (bad ? ' nonfinite' : ''), text: f(v) });
}

function render() {
  $('count').textContent = `${runs.length} run${runs.length === 1 ? '' : 's'}${runs.length === 100 ? ' (the newest 100)' : ''}`;
  const body = $('runs').tBodies[0];
  body.replaceChildren(...runs.map((r) => {
    const box = el('input', { type: 'checkbox', 'aria-label': `tick run ${r.id}`, checked: ticked.has(r.id) });
    box.addEventListener('change', () => { if (box.checked) ticked.add(r.id); else ticked.delete(r.id); updateCompare(); });
    const f = r.final || {};
    const secs = numCell(f.wallSeconds);
    secs.classList.add('opt');  // columns marked opt are left out at phone width (see lab.css)
    return el('tr', { title: r.message || '' },
      el('td', null, box), el('td', { class: 'num', text: String(r.id) }), el('td', { class: 'name', text: r.name || '–' }),
      el('td', { class: 'opt', text: r.experiment || '' }),
      el('td', { class: 's-' + r.status }, r.status, r.message ? el('div', { class: 'small muted', text: r.message }) : null),
      el('td', { class: 'opt', text: (r.tags || []).join(', ') }), el('td', { class: 'opt', text: when(r.startedAt) }),
      el('td', { class: 'num opt', text: r.steps ?? '–' }), numCell(f.loss), numCell(f.accuracy, pct), secs,
      el('td', null, el('a', { href: `/runs/${r.id}/report`, target: '_blank', rel: 'noopener', text: 'report ↗' })));
  }));
  if (!runs.length) body.append(el('tr', null, el('td', { colspan: 12, class: 'muted', text: 'No run matches.' })));
  updateCompare();
}

function updateCompare() {
  const b = $('compare');
  b.disabled = ticked.size !== 2;
  b.textContent = ticked.size === 2 ? `Compare ${[...ticked].join(' and ')}` : `Tick two runs to compare (${ticked.size} ticked)`;
}

async function compare() {
  const ids = [...ticked];
  try {
    const [cmp, ...details] = await Promise.all([
      getJSON('/api/store/compare' + query({ ids: ids.join(',') })),
      ...ids.map((id) => getJSON(`/api/store/runs/${id}`)),
    ]);
    showComparison(ids, cmp, details);
  } catch (e) { status($('status'), e.message, 'error'); }
}

function showComparison(ids, cmp, details) {
  $('comparison').hidden = false;
  const rs = cmp.runs || [];
  const name = (i) => (rs[i] ? `#${rs[i].id} ${rs[i].name || ''}`.trim() : '#' + ids[i]);
  $('cmp-title').textContent = `${name(0)} vs ${name(1)}`;
  const head = el('tr', null, el('th', { text: 'key' }), el('th', { text: name(0) }), el('th', { text: name(1) }));
  const diff = (cmp.differing || []).map((d) => el('tr', null, el('td', null, el('code', { text: d.key })),
    ...d.values.map((v) => el('td', { text: v === null || v === undefined ? '(default)' : String(v) }))));
  $('cmp-keys').replaceChildren(head, ...(diff.length ? diff : [el('tr', null, el('td', { colspan: 3, class: 'muted', text: 'Same settings.' }))]));
  const rows = [['status', (r) => r.status], ['steps', (r) => r.steps], ['final loss', (r) => fmt(r.final && r.final.loss)],
    ['accuracy', (r) => pct(r.final && r.final.accuracy)], ['seconds', (r) => fmt(r.final && r.final.wallSeconds)]];
  $('cmp-final').replaceChildren(head.cloneNode(true), ...rows.map(([k, f]) => el('tr', null, el('td', { text: k }),
    ...rs.map((r) => el('td', { class: 'num', text: String(f(r) ?? '–') })))));
  lineChart($('cmp-loss'), details.map((d, i) => ({ name: name(i), points: (d.metrics || []).map((m) => [m.step, m.loss]) })),
    { log: true, yLabel: 'loss (log)', xLabel: 'step', height: 220 });
  $('comparison').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

init();
