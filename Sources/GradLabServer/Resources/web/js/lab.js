// The lab page: the config form (mirrored in the URL), presets, run controls, the live view of
// one run (or two for a comparison preset) or of a repair job, and the server's live runs.
// The URL also names the run(s) on screen (`run=r4`), so a reload or a second tab shows them again.

import { getJSON, postJSON, watchRun, frameScheduler, status, el, ApiError } from './api.js';
import { ConfigForm } from './controls.js';
import { RunModel } from './live.js';
import { LabView } from './labview.js';
import { RepairPanel } from './repair.js';
import { LiveRuns } from './liveruns.js';
import { secondConfig, describe } from './compare.js';

const $ = (id) => document.getElementById(id);
const ACTIVE = new Set(['queued', 'running', 'paused']);
let lab, form, view, repair, live;
let runs = [];          // [{id, kind, model, socket, told}] of the runs on screen
let compare = null;     // the preset whose `compare` config runs beside the form's
let checkTimer = 0, checkSeq = 0, starting = false, problemsShown = false;

const redraw = frameScheduler(() => { view.draw(); repair.draw(); updateButtons(); tellEnd(); });
const say = (msg, kind) => { problemsShown = false; status($('status'), msg, kind); };

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
  live = new LiveRuns($('liveruns'), { onWatch: watchExisting, onState: gotState, watching: () => runs.map((r) => r.id), say });
  const ids = params.getAll('run').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const reattached = ids.length ? await reattach(ids) : false;
  writeURL();  // also drops autostart, and a run the server no longer knows
  updateButtons();
  const v = await validate();
  if (v.problems.length) reportProblems(v, 'The address has');
  if (params.get('autostart') === '1' && !reattached) start(false);
}

/** The URL holds the whole page state: non-default config keys, the heat map view, the comparison, the run(s) shown. */
function writeURL() {
  const q = new URLSearchParams(form.queryPairs());
  if ($('view').value === 'delta') q.set('view', 'delta');
  if (compare) q.set('compare', compare.name);
  for (const r of runs) q.append('run', r.id);
  const s = q.toString();
  history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
}

function onControlChange() {
  if (!compare) $('preset').value = '';  // the select names a preset only while its config is shown
  showCompare();
  writeURL();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(async () => {
    const shown = problemsShown, v = await validate();
    if (v.loose.length || shown) reportProblems(v, 'The settings have');
  }, 250);
}

/**
 * Every problem the page can find, each shown beside its control: the form's own (numbers that
 * do not parse, address values a control cannot show), then the server's check, asked again
 * without each key it blames (it names one problem per answer). Returns {problems, loose}:
 * loose are the messages no control could take.
 */
async function validate() {
  const seq = ++checkSeq, problems = form.problems();
  const skip = new Set(problems.filter((p) => p.blocking).map((p) => p.key));
  for (let i = 0; i < 12; i++) {
    const config = form.config(skip);
    try {
      await postJSON('/api/check', { config });
      break;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 400) { problems.push({ key: null, message: e.message, blocking: false }); break; }
      problems.push({ key: e.key, message: e.message, blocking: true });
      if (!e.key || !(e.key in config)) break;  // without that key the server would not get further
      skip.add(e.key);
    }
  }
  const loose = [];
  if (seq === checkSeq) {  // a newer check draws its own answer
    form.clearErrors();
    for (const p of problems) if (!form.showError(p.key, p.message)) loose.push(p.message);
  }
  return { problems, loose };
}

function reportProblems(v, lead) {
  const n = v.problems.length;
  if (!n) { if (problemsShown) say(''); return; }
  const marked = n - v.loose.length;
  say(`${lead} ${n} problem${n > 1 ? 's' : ''}${marked ? `, marked beside ${marked > 1 ? 'the controls' : 'the control'}` : ''}.` +
    v.loose.map((m) => '\n' + m).join(''), 'error');
  problemsShown = true;
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

// The comparison note: what the two runs differ in as they will run, and the user's edits both share.
function showCompare() {
  $('comparenote').hidden = !compare;
  if (!compare) return;
  const { differ, shared } = describe(compare, form.keys, form.values());
  const show = (v) => (v === null || v === undefined || v === '' ? '(default)' : String(v));
  const parts = [el('div', { text: 'Start runs two configs side by side, which differ only in (first run vs second):' }),
    el('ul', null, ...(differ.length ? differ.map((d) => el('li', null, el('code', { text: d.key }), ` ${show(d.first)} vs ${show(d.second)}`))
      : [el('li', { text: 'nothing (the same config twice)' })]))];
  if (shared.length) parts.push(el('div', null, 'Your changes, in both runs:', ...shared.flatMap((s) => [' ', el('code', { text: `${s.key}=${show(s.value)}` })])));
  $('comparewhat').replaceChildren(...parts);
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

/** Opens the live stream of a run the server knows (st: its RunState). */
function watch(st) {
  const model = new RunModel();
  model.state = st;
  const socket = watchRun(st.id, {
    // The replay carries the run's state events; until they come, the state the server gave stands.
    onReset: () => { const s = model.state; model.reset(); model.state = s; },
    onEvents: (events) => { model.apply(events); redraw(); },
    onError: (msg) => say(msg, 'error'),
  });
  return { id: st.id, kind: st.kind || 'train', model, socket, told: false };
}

function show(newRuns) {
  for (const r of runs) r.socket.close();
  runs = newRuns;
  view.attach(runs.map((r) => r.model));
  if (runs[0] && runs[0].kind === 'repair') repair.attach(runs[0].model); else repair.hide();
  writeURL();
  live.refresh();
  redraw();
}

// After a reload or in a second tab: the runs the URL names, if the server still knows them
// (one it does not know, after a restart, is dropped from the URL without a word).
async function reattach(ids) {
  const found = [];
  for (const id of ids) {
    try { found.push(await getJSON(`/api/runs/${encodeURIComponent(id)}`)); } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) say(e.message, 'error');
    }
  }
  if (found.length) show(found.map(watch));
  return found.length > 0;
}

function watchExisting(st) {
  show([watch(st)]);
  say(`Showing ${st.kind === 'repair' ? 'repair job' : 'run'} ${st.id}; the controls keep your settings.`);
}

// A control answered from the live-runs panel: a run on screen takes the new state at once.
function gotState(st) {
  for (const r of runs) if (r.id === st.id) { r.model.state = { ...(r.model.state || {}), ...st }; r.model.version++; }
  redraw();
}

// Once every run on screen is over, the status line says how (a repair's `end` message names the outcome).
function tellEnd() {
  if (!runs.length || runs.some((r) => !r.model.end) || runs.every((r) => r.told)) return;
  for (const r of runs) r.told = true;
  const line = (r) => `${r.kind === 'repair' ? 'Repair' : 'Run'} ${r.id} ${r.model.end.status}` + (r.model.end.message ? `: ${r.model.end.message}` : '.');
  const bad = runs.some((r) => ['failed', 'interrupted'].includes(r.model.end.status));
  say(runs.map(line).join('\n'), bad ? 'error' : 'info');
  live.refresh();
}

async function start(paused) {
  if (starting) return;
  starting = true;
  updateButtons();
  try { await startRuns(paused); } finally { starting = false; updateButtons(); }
}

async function startRuns(paused) {
  const v = await validate();
  if (v.problems.some((p) => p.blocking)) { reportProblems(v, 'Not started:'); return; }
  let config;
  try { config = form.config(); } catch (e) { form.showError(e.key, e.message); return; }  // edited while checking
  const configs = compare ? [config, secondConfig(compare, form.keys, form.values())] : [config];
  const started = [];
  for (const [i, c] of configs.entries()) {
    try {
      started.push(watch(await postJSON('/api/runs', { config: c, paused: paused || undefined })));
    } catch (e) {
      if (i === 0) { showError(e); return; }
      say(`The comparison run was refused: ${e.message}`, 'error');
    }
  }
  form.forgetFallbacks();
  show(started);
  if (paused) say('Created paused: the step-0 look is below; Step advances one step.');
  else if (started.length === configs.length) say('');
}

async function startRepair() {
  if (starting) return;
  starting = true;
  try {
    const v = await validate();
    if (v.problems.some((p) => p.blocking)) { reportProblems(v, 'Not started:'); return; }
    const st = await postJSON('/api/repair', { config: form.config() });
    form.forgetFallbacks();
    show([watch(st)]);
    say('Repair started: the config runs first, then each remedy.');
  } catch (e) { showError(e); } finally { starting = false; updateButtons(); }
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
  live.refresh();
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
  $('start').disabled = act.length > 0 || starting;
  $('repair-btn').disabled = act.length > 0 || starting;
  $('pause').disabled = !act.some((r) => ACTIVE.has(r.model.stateName) && r.model.stateName !== 'queued');
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  $('step').disabled = (act.length > 0 && !paused) || starting;
  $('stop').disabled = act.length === 0;
  const st = $('state');
  const q = m && m.state && m.state.queuePosition;
  st.textContent = name === 'queued' ? `queued · ${q > 0 ? 'position ' + q : 'next'}` : name;
  st.dataset.state = name;
  st.dataset.run = runs[0] ? runs[0].id : '';
  st.className = 'state s-' + name;
}

init();
