// The lab page: the config form (mirrored in the URL), presets, run controls, and the live view of
// one run (or two for a comparison preset) or of a repair job.

import { getJSON, postJSON, watchRun, frameScheduler, status, ApiError } from './api.js';
import { ConfigForm } from './controls.js';
import { RunModel } from './live.js';
import { LabView } from './labview.js';
import { RepairPanel } from './repair.js';

const $ = (id) => document.getElementById(id);
const ACTIVE = new Set(['queued', 'running', 'paused']);
let lab, form, view, repair;
let runs = [];          // [{id, model, socket}] of the runs on screen
let compare = null;     // the preset whose `compare` config runs beside the form's
let checkTimer = 0;

const redraw = frameScheduler(() => { view.draw(); repair.draw(); updateButtons(); });
const say = (msg, kind) => status($('status'), msg, kind);

async function init() {
  view = new LabView(document);
  repair = new RepairPanel($('repair'), applyConfig);
  try {
    lab = await getJSON('/api/lab');
  } catch (e) {
    say(e.message, 'error');
    return;
  }
  form = new ConfigForm($('config'), lab, onControlChange);
  const presetSelect = $('preset');
  for (const p of lab.presets || []) presetSelect.append(new Option(p.name, p.name));
  presetSelect.addEventListener('change', () => choosePreset(presetSelect.value));
  const params = new URLSearchParams(location.search);
  form.setFromQuery(params);
  compare = (lab.presets || []).find((p) => p.compare && p.name === params.get('compare')) || null;
  if (compare) presetSelect.value = compare.name;
  $('view').value = params.get('view') === 'delta' ? 'delta' : 'grad';
  view.setView($('view').value);
  $('view').addEventListener('change', () => { view.setView($('view').value); writeURL(); });
  $('start').addEventListener('click', () => start(false));
  $('pause').addEventListener('click', pauseResume);
  $('step').addEventListener('click', step);
  $('stop').addEventListener('click', stop);
  $('repair-btn').addEventListener('click', startRepair);
  $('drop-compare').addEventListener('click', () => { compare = null; $('preset').value = ''; showCompare(); writeURL(); });
  // Charts are drawn at the width they have: after a resize, redraw every one of them.
  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { view.seen = {}; redraw(); }, 100); });
  showCompare();
  writeURL();  // also drops autostart from the address bar
  updateButtons();
  if (params.get('autostart') === '1') start(false);
}

/** The URL holds the whole page state: non-default config keys, the heat map view, the comparison. */
function writeURL() {
  const q = new URLSearchParams(form.queryPairs());
  if ($('view').value === 'delta') q.set('view', 'delta');
  if (compare) q.set('compare', compare.name);
  const s = q.toString();
  history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
}

function onControlChange() {
  if (!compare) $('preset').value = '';  // the select names a preset only while its config is shown
  writeURL();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 250);
}

// Asks the server whether the config is valid, so a bad value is named before Start.
async function check() {
  let config;
  try { config = form.config(); } catch (e) { form.showError(e.key, e.message); return; }
  try {
    await postJSON('/api/check', { config });
    form.clearErrors();
  } catch (e) { showError(e); }
}

function showError(e) {
  const key = e instanceof ApiError ? e.key : e && e.key;
  if (!(key && form.showError(key, e.message))) say(e.message, 'error');
}

function choosePreset(name) {
  const p = (lab.presets || []).find((x) => x.name === name);
  if (!p) return;
  form.set(p.config || {});
  compare = p.compare ? p : null;
  showCompare();
  writeURL();
  say(`Preset "${p.name}" loaded${p.compare ? ': Start runs both configs side by side' : ''}.`);
}

function showCompare() {
  $('comparenote').hidden = !compare;
  if (compare) {
    // Only what the second run changes: the rest is the form's config.
    const base = compare.config || {}, c = compare.compare;
    const diff = Object.entries(c).filter(([k, v]) => base[k] !== v);
    for (const k of Object.keys(base)) if (!(k in c)) diff.push([k, '(default)']);
    $('comparewhat').textContent = diff.map(([k, v]) => `${k}=${v ?? '(default)'}`).join(' ') || 'the same config';
  }
}

function applyConfig(config) {
  form.set(config);
  compare = null;
  $('preset').value = '';
  showCompare();
  writeURL();
  say('The winner\'s config is in the controls: press Start to run it.');
}

const activeRuns = () => runs.filter((r) => r.model.active);

function watch(id, model) {
  const socket = watchRun(id, {
    onReset: () => model.reset(),
    onEvents: (events) => { model.apply(events); redraw(); },
    onError: (msg) => say(msg, 'error'),
  });
  return { id, model, socket };
}

function show(newRuns, isRepair) {
  for (const r of runs) r.socket.close();
  runs = newRuns;
  view.attach(runs.map((r) => r.model));
  if (isRepair) repair.attach(runs[0].model); else repair.hide();
  redraw();
}

async function start(paused) {
  let config;
  form.clearErrors();
  try { config = form.config(); } catch (e) { form.showError(e.key, e.message); return; }
  const configs = compare ? [config, compare.compare] : [config];
  const started = [];
  for (const [i, c] of configs.entries()) {
    try {
      const st = await postJSON('/api/runs', { config: c, paused: paused || undefined });
      const model = new RunModel();
      model.state = st;
      started.push(watch(st.id, model));
    } catch (e) {
      if (i === 0) showError(e); else say(`The comparison run was refused: ${e.message}`, 'error');
    }
  }
  if (!started.length) return;
  show(started, false);
  say(paused ? 'Created paused: the step-0 look is below; Step advances one step.' : '');
}

async function startRepair() {
  let config;
  form.clearErrors();
  try { config = form.config(); } catch (e) { form.showError(e.key, e.message); return; }
  try {
    const st = await postJSON('/api/repair', { config });
    const model = new RunModel();
    model.state = st;
    show([watch(st.id, model)], true);
    say('Repair started: the config runs first, then each remedy.');
  } catch (e) { showError(e); }
}

// Posts a control action to every run on screen that is still active; the answer is its RunState.
async function control(action, which = activeRuns()) {
  for (const r of which) {
    try {
      const st = await postJSON(`/api/runs/${encodeURIComponent(r.id)}/${action}`);
      r.model.state = { ...(r.model.state || {}), ...st };
      r.model.version++;
    } catch (e) { say(e.message, 'error'); }
  }
  redraw();
}

function pauseResume() {
  const paused = activeRuns().some((r) => r.model.stateName === 'paused');
  control(paused ? 'resume' : 'pause');
}

function step() {
  if (!activeRuns().length) { start(true); return; }
  control('step', activeRuns().filter((r) => r.model.stateName === 'paused'));
}

function stop() { control('stop'); }

function updateButtons() {
  const act = activeRuns(), m = runs[0] && runs[0].model;
  const name = m ? m.stateName : 'idle';
  const paused = act.some((r) => r.model.stateName === 'paused');
  $('start').disabled = act.length > 0;
  $('repair-btn').disabled = act.length > 0;
  $('pause').disabled = !act.some((r) => ACTIVE.has(r.model.stateName) && r.model.stateName !== 'queued');
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  $('step').disabled = act.length > 0 && !paused;
  $('stop').disabled = act.length === 0;
  const st = $('state');
  const q = m && m.state && m.state.queuePosition;
  st.textContent = name === 'queued' ? `queued · ${q > 0 ? 'position ' + q : 'next'}` : name;
  st.dataset.state = name;
  st.dataset.run = runs[0] ? runs[0].id : '';
  st.className = 'state s-' + name;
}

init();
