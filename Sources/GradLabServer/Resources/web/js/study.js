// Flashcards over the review store: front, flip, rate 1–4 (each button shows the interval it
// schedules), undo, and for cards that carry one, the experiment that proves the answer, run live.

import { getJSON, postJSON, query, el, status } from './api.js';
import { MiniRun } from './runview.js';

const $ = (id) => document.getElementById(id);
let deck = null, current = null, flipped = false, busy = false, minis = [];

async function init() {
  const params = new URLSearchParams(location.search);
  try {
    const decks = (await getJSON('/api/study/decks')).decks || [];
    for (const d of decks) $('deck').append(new Option(`${d.title} (${d.cards} cards)`, d.id));
    deck = decks.some((d) => d.id === params.get('deck')) ? params.get('deck') : decks[0] && decks[0].id;
    if (!deck) { status($('status'), 'No deck is loaded.', 'error'); return; }
    $('deck').value = deck;
  } catch (e) { status($('status'), e.message, 'error'); return; }
  $('deck').addEventListener('change', () => { deck = $('deck').value; history.replaceState(null, '', location.pathname + query({ deck })); next(); });
  $('flip').addEventListener('click', flip);
  for (let r = 1; r <= 4; r++) $('rate-' + r).addEventListener('click', () => rate(r));
  $('undo').addEventListener('click', undo);
  $('experiment').addEventListener('click', runExperiment);
  document.addEventListener('keydown', onKey);
  next();
}

// Space (or Enter) flips the card; once it is flipped, space rates Good: the Good button has the
// focus then, and with nothing focused the key does the same (a button the user tabbed to presses as usual).
function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
  if ((e.key === ' ' || e.key === 'Enter') && current) {
    if (!flipped) { e.preventDefault(); flip(); } else if (e.target.tagName !== 'BUTTON') { e.preventDefault(); rate(3); }
  } else if (/^[1-4]$/.test(e.key) && flipped) rate(Number(e.key));
  else if (e.key === 'u') undo();
  else if (e.key === 'e' && flipped && current && current.experiment) runExperiment();
}

async function call(fn) {
  if (busy) return;
  busy = true;
  try { show(await fn()); } catch (e) { status($('status'), e.message, 'error'); } finally { busy = false; }
}

const next = () => call(() => getJSON('/api/study/next' + query({ deck })));
const undo = () => call(async () => {
  const res = await postJSON('/api/study/undo', { deck });
  status($('status'), 'The last rating is undone.');  // "Saved: …" no longer holds
  return res;
});
function rate(r) {
  if (!current || !flipped) return;
  call(async () => {
    const res = await postJSON('/api/study/rate', { deck, card: current.id, rating: r });
    status($('status'), `Saved: ${['again', 'hard', 'good', 'easy'][r - 1]}.`);
    return res.next || res;  // the contract wraps the next card in `next`; the server answers it directly
  });
}

// Shows the /next answer: the next card's front (or that none is due), the progress and the intervals.
function show(res) {
  for (const m of minis) m.close();
  minis = [];
  current = res.card;
  flipped = false;
  $('progress').textContent = res.progress || '';
  $('exp').hidden = true;
  $('back').hidden = true;
  $('explain').hidden = true;
  for (let r = 1; r <= 4; r++) {
    $('rate-' + r).hidden = true;
    const interval = (res.intervals && res.intervals[String(r)]) || '';
    $('rate-' + r).querySelector('small').textContent = r === 3 ? [interval, 'space'].filter(Boolean).join(' · ') : interval;
  }
  $('experiment').hidden = true;
  if (!current) {
    $('section').textContent = '';
    $('front').textContent = 'Nothing is due in this deck now. Come back later, or take the quiz.';
    delete $('front').dataset.card;
    $('flip').hidden = true;
    return;
  }
  $('section').textContent = (current.section || []).join(' › ');
  $('front').textContent = current.front;
  $('front').dataset.card = current.id;
  $('back').textContent = current.back;
  $('flip').hidden = false;
  $('flip').focus();
}

function flip() {
  if (!current || flipped) return;
  flipped = true;
  $('back').hidden = false;
  if (current.explain) { $('explain').textContent = current.explain; $('explain').hidden = false; }
  $('flip').hidden = true;
  for (let r = 1; r <= 4; r++) $('rate-' + r).hidden = false;
  $('experiment').hidden = !current.experiment;
  $('rate-3').focus();
}

async function runExperiment() {
  if (!current || !current.experiment || minis.length) return;
  const card = current;
  $('exp').hidden = false;
  $('claim').replaceChildren(el('div', null, 'experiment: ', el('code', { text: card.experiment })),
    card.claim ? el('div', null, 'claim: ', el('code', { text: card.claim })) : '');
  $('expruns').replaceChildren();
  $('checks').replaceChildren(el('p', { class: 'muted', text: 'Running…' }));
  try {
    const res = await postJSON('/api/study/experiment', { deck, card: card.id });
    let left = (res.runs || []).length;
    const done = () => { if (--left === 0 && current === card) showChecks(card); };
    const names = runNames(card.experiment), runs = res.runs || [];
    minis = runs.map((r, i) => new MiniRun($('expruns'), r, r.name || (names.length === runs.length ? names[i] : r.id), done));
    if (!left) showChecks(card);
  } catch (e) { $('checks').replaceChildren(el('p', { class: 'status error', text: e.message })); }
}

// The runs' names as the experiment line gives them ("slow = depth=5 …; fast = …"; the demo's bad and good).
function runNames(experiment) {
  if (/^\s*demo\b/.test(experiment)) return ['bad', 'good'];
  return experiment.split(';').map((part) => (part.match(/^\s*([\w.-]+)\s*=\s*[\w.-]+=/) || [])[1]).filter(Boolean);
}

async function showChecks(card) {
  try {
    const r = await getJSON('/api/study/experiment/result' + query({ deck, card: card.id }));
    $('checks').replaceChildren(
      el('p', { class: r.holds ? 'verdict-right' : 'verdict-wrong', text: r.holds ? 'The claim holds.' : 'The claim does not hold.' }),
      // The list marks each line ✓/✗ itself, so a mark the line already carries is dropped.
      el('ul', { class: 'checks' }, ...(r.checks || []).map((c) => el('li', { class: c.holds ? 'holds' : 'fails', text: c.line.replace(/^\s*[✓✗]\s*/, '') }))),
      r.summary ? el('p', { class: 'small', style: 'white-space: pre-wrap', text: r.summary }) : '');
  } catch (e) { $('checks').replaceChildren(el('p', { class: 'status error', text: e.message })); }
}

init();
