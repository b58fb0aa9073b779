// The quiz: questions drawn from a deck (multiple choice, true/false, typed), each answer checked
// and explained by the server and recorded like a review; then predict-then-run questions whose
// network runs live here.

import { getJSON, postJSON, query, el, status } from './api.js';
import { MiniRun } from './runview.js';

const $ = (id) => document.getElementById(id);
let deck = null, seed = 0, questions = [], index = 0, score = 0, missed = [];
let predictSeed = 0, minis = [];
const N = 10;  // questions per quiz (the answer names it too: the server rebuilds the quiz from seed and n)

async function init() {
  const params = new URLSearchParams(location.search);
  seed = Number(params.get('seed')) || Math.floor(Math.random() * 1e6);
  predictSeed = seed;
  try {
    const decks = (await getJSON('/api/study/decks')).decks || [];
    for (const d of decks) $('deck').append(new Option(d.title, d.id));
    deck = decks.some((d) => d.id === params.get('deck')) ? params.get('deck') : decks[0] && decks[0].id;
    $('deck').value = deck || '';
  } catch (e) { status($('status'), e.message, 'error'); return; }
  $('deck').addEventListener('change', () => { deck = $('deck').value; newQuiz(); });
  $('newquiz').addEventListener('click', () => { seed = Math.floor(Math.random() * 1e6); newQuiz(); });
  $('topredict').addEventListener('click', () => predict(true));
  $('pnext').addEventListener('click', () => { predictSeed++; predict(true); });
  newQuiz();
}

async function newQuiz() {
  history.replaceState(null, '', location.pathname + query({ deck, seed }));
  index = 0; score = 0; missed = [];
  try {
    questions = (await getJSON('/api/quiz' + query({ deck, n: N, seed }))).questions || [];
    status($('status'), '');
  } catch (e) { status($('status'), e.message, 'error'); questions = []; }
  ask();
}

const FORMAT = { choice: 'multipleChoice', multipleChoice: 'multipleChoice', 'true-false': 'trueFalse', trueFalse: 'trueFalse', typed: 'typed' };

// The answers are buttons below, so what the prompt says about typing them is dropped: numbered
// option lines (multiple choice) and a trailing "(t/f)" or "(true/false)" (true/false).
function promptText(prompt, format) {
  if (format === 'multipleChoice') return prompt.split('\n').filter((l) => !/^\s*\d+\)\s/.test(l)).join('\n');
  if (format === 'trueFalse') return prompt.replace(/\s*\((?:t\s*\/\s*f|true\s*\/\s*false)\)\s*$/i, '');
  return prompt;
}

function ask() {
  $('feedback').replaceChildren();
  if (index >= questions.length) return finish();
  const q = questions[index], format = FORMAT[q.format] || 'typed';
  $('qhead').textContent = `Question ${index + 1} of ${questions.length} · ${score} right so far`;
  $('prompt').textContent = promptText(q.prompt, format);
  $('prompt').classList.remove('score');
  const box = el('div', { class: 'options' });
  if (format === 'multipleChoice') {
    q.options.forEach((o, i) => box.append(el('button', { type: 'button', 'data-answer': String(i + 1), text: `${i + 1}. ${o}`, onclick: (e) => answer(String(i + 1), e.target) })));
  } else if (format === 'trueFalse') {
    box.append(el('button', { type: 'button', 'data-answer': 't', text: 'True', onclick: (e) => answer('t', e.target) }),
      el('button', { type: 'button', 'data-answer': 'f', text: 'False', onclick: (e) => answer('f', e.target) }));
  } else {
    const input = el('input', { type: 'text', name: 'answer', 'aria-label': 'your answer', autocomplete: 'off' });
    const form = el('form', { class: 'typed' }, input, el('button', { type: 'submit', class: 'primary', text: 'Answer' }));
    form.addEventListener('submit', (e) => { e.preventDefault(); if (input.value.trim()) answer(input.value, form.querySelector('button')); });
    box.append(form);
    setTimeout(() => input.focus(), 0);
  }
  $('answers').replaceChildren(box);
}

async function answer(text, button) {
  const q = questions[index];
  for (const b of $('answers').querySelectorAll('button, input')) b.disabled = true;
  try {
    const r = await postJSON('/api/quiz/answer', { deck, card: q.card, seed, n: N, index, answer: text });
    if (r.right) score++; else missed.push(q);
    button.classList.add(r.right ? 'right' : 'wrong');
    const next = el('button', { type: 'button', class: 'primary', text: index + 1 < questions.length ? 'Next question' : 'See the score', onclick: () => { index++; ask(); } });
    $('feedback').replaceChildren(
      el('p', { class: r.right ? 'verdict-right' : 'verdict-wrong', text: r.right ? 'Right.' : 'Not quite.' }),
      el('p', null, 'Answer: ', el('strong', { text: r.answer })),
      r.explain ? el('p', { class: 'small', text: r.explain }) : '', next);
    next.focus();
  } catch (e) {
    status($('status'), e.message, 'error');
    for (const b of $('answers').querySelectorAll('button, input')) b.disabled = false;
  }
}

function finish() {
  $('qhead').textContent = '';
  $('prompt').textContent = questions.length ? `Score: ${score} of ${questions.length}.` : 'This deck has no quiz questions.';
  $('prompt').classList.add('score');  // one line: no room kept for a question
  $('answers').replaceChildren(missed.length
    ? el('div', null, el('p', { text: 'Missed (they count as "again" and come back soon):' }),
      el('ul', null, ...missed.map((q) => el('li', { text: q.prompt.split('\n')[0] }))))
    : el('p', { text: questions.length ? 'Nothing missed.' : '' }));
  predict(false);
}

// A predict-then-run question: the learner's call first, then the theory's and the measured run.
async function predict(scroll) {
  $('predict').hidden = false;
  for (const m of minis) m.close();
  minis = [];
  $('pfeedback').replaceChildren();
  $('prun').replaceChildren();
  $('pnext').hidden = true;
  try {
    const p = await getJSON('/api/predict' + query({ seed: predictSeed }));
    $('pprompt').textContent = p.prompt;
    const buttons = (p.options || []).map((o, i) => el('button', {
      type: 'button', text: `${i + 1}. ${o}`, onclick: (e) => predictAnswer(String(i + 1), e.target),
    }));
    // Order-of-magnitude questions also take a typed exponent.
    if (p.typed) {
      const input = el('input', { type: 'text', name: 'exponent', inputmode: 'numeric', placeholder: 'or type an exponent, e.g. -3', 'aria-label': 'exponent' });
      const form = el('form', { class: 'typed' }, input, el('button', { type: 'submit', text: 'Answer' }));
      form.addEventListener('submit', (e) => { e.preventDefault(); if (input.value.trim()) predictAnswer(input.value.trim(), form.querySelector('button')); });
      buttons.push(form);
    }
    $('panswers').replaceChildren(...buttons);
  } catch (e) { $('pfeedback').replaceChildren(el('p', { class: 'status error', text: e.message })); }
  if (scroll) $('predict').scrollIntoView({ behavior: 'smooth' });
}

async function predictAnswer(text, button) {
  const controls = $('panswers').querySelectorAll('button, input');
  for (const b of controls) b.disabled = true;
  $('pfeedback').replaceChildren(el('p', { class: 'muted', text: 'Measuring…' }));
  try {
    const r = await postJSON('/api/predict/answer', { seed: predictSeed, answer: text });
    button.classList.add(r.right ? 'right' : 'wrong');
    const why = r.explanation || r.result;
    $('pfeedback').replaceChildren(
      el('p', { class: r.right ? 'verdict-right' : 'verdict-wrong', text: r.right ? 'Right.' : 'Not this time.' }),
      el('p', null, 'Measured: ', el('strong', { text: r.answer })),
      why ? el('pre', { class: 'result', text: why }) : '');
    const runs = r.runs || (r.run ? [r.run] : []);
    const grid = el('div', { class: 'minigrid' });
    $('prun').replaceChildren(grid);
    // Two-net questions call their nets A and B, in the order the runs come.
    minis = runs.map((run, i) => new MiniRun(grid, run, runs.length > 1 ? `net ${'ABCD'[i] || i + 1}` : 'the network', null));
    $('pnext').hidden = false;
  } catch (e) {
    $('pfeedback').replaceChildren(el('p', { class: 'status error', text: e.message }));
    for (const b of controls) b.disabled = false;
  }
}

init();
