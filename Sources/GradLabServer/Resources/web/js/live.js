// What one live run has sent so far, built from its WebSocket events (no drawing here).
// Views read it and redraw once per animation frame.

import { num } from './api.js';

const ACTIVE = new Set(['queued', 'running', 'paused']);

// A repair attempt's keys arrive in camelCase or snake_case; views read the camelCase names.
const SNAKE = { problem_removed: 'problemRemoved', unrepaired_metric: 'unrepairedMetric', in_run: 'inRun', blocked_by: 'blockedBy' };
export function attemptFields(a) {
  const out = { ...a };
  for (const [snake, camel] of Object.entries(SNAKE)) if (out[camel] === undefined && snake in out) out[camel] = out[snake];
  return out;
}

export class RunModel {
  constructor() { this.reset(); }

  reset() {
    this.info = null;          // the start event
    this.layers = [];
    this.prediction = null;    // {verdicts, step0, meanField}
    this.xs = [];              // probed steps
    this.g = [];               // per step: ‖∇W_l‖ per layer
    this.d = [];               // per step: ‖δ_l‖ per layer
    this.train = [];           // [{step, loss, accuracy, gradNorm}]
    this.evals = [];
    this.latest = null;        // the latest LiveStep
    this.verdicts = [];
    this.final = false;        // verdicts are the end event's ranked list
    this.nonfinite = null;
    this.state = null;         // the latest RunState
    this.end = null;
    // Repair jobs: the base run's steps above, then candidates.
    this.candidates = [];      // [{name, rationale, attempt|null}]
    this.candidateSteps = 0;
    this.repair = null;
    this.version = 0;          // bumped on every change, so views know when to redraw
  }

  get active() { return !this.end && (!this.state || ACTIVE.has(this.state.state)); }
  get stateName() { return this.end ? this.end.status : this.state ? this.state.state : 'starting'; }
  get totalSteps() { return (this.info && this.info.steps) || (this.state && this.state.steps) || 0; }
  /** "step 120 / 600" while it runs; "600 steps" once finished (probed steps count from 0). */
  get progress() {
    if (this.end && this.end.status === 'finished' && this.totalSteps) return `${this.totalSteps} steps`;
    return `step ${this.currentStep}${this.totalSteps ? ' / ' + this.totalSteps : ''}`;
  }
  get currentStep() { return this.xs.length ? this.xs[this.xs.length - 1] : this.state ? this.state.step || 0 : 0; }

  /** The accuracy to show: the final one, else the latest evaluation, else the latest training step's. */
  get accuracy() {
    const f = this.end && this.end.final ? num(this.end.final.accuracy) : null;
    if (f !== null && f !== undefined) return f;
    for (const list of [this.evals, this.train]) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i].accuracy !== null && list[i].accuracy !== undefined) return num(list[i].accuracy);
    }
    return null;
  }

  apply(events) {
    for (const e of events) this.one(e);
    this.version++;
  }

  one(e) {
    switch (e.type) {
      case 'start':
        this.info = e;
        this.layers = e.layers || [];
        break;
      case 'prediction':
        this.prediction = e;
        for (const v of e.verdicts || []) this.addVerdict(v);
        break;
      case 'step':
        if (this.candidates.length) { this.candidateSteps++; break; }
        this.addStep(e);
        break;
      case 'eval':
        if (!this.candidates.length) this.evals.push(e);
        break;
      case 'verdict':
        if (!this.candidates.length) this.addVerdict(e.verdict);
        break;
      case 'nonfinite':
        if (!this.nonfinite && !this.candidates.length) this.nonfinite = e;
        break;
      case 'state':
        this.state = { ...(this.state || {}), ...e };
        break;
      case 'end':
        this.end = e;
        if (Array.isArray(e.verdicts)) { this.verdicts = e.verdicts.slice(); this.final = true; }
        break;
      case 'candidate':
        this.candidates.push({ name: e.name, rationale: e.rationale, attempt: null });
        this.candidateSteps = 0;
        break;
      case 'attempt': {
        const a = attemptFields(e.attempt || {});
        let c = [...this.candidates].reverse().find((x) => x.name === a.name && !x.attempt);
        if (!c) { c = { name: a.name, rationale: a.rationale }; this.candidates.push(c); }
        c.attempt = a;
        break;
      }
      case 'repair':
        this.repair = e;
        // A repair that streamed no steps of its own run still shows it: the `before` records are that run.
        if (!this.xs.length) for (const st of e.before || []) this.addStep(st);
        break;
      default:
        break; // unknown events are ignored: the server may add kinds
    }
  }

  addStep(e) {
    this.xs.push(e.step);
    this.g.push((e.layers || []).map((l) => l.g));
    this.d.push((e.layers || []).map((l) => l.d));
    this.train.push({ step: e.step, loss: e.loss, accuracy: e.accuracy, gradNorm: e.gradNorm });
    this.latest = e;
  }

  addVerdict(v) {
    if (!v || this.final) return;
    if (this.verdicts.some((x) => x.kind === v.kind && x.line === v.line)) return;
    this.verdicts.push(v);
  }
}
