// The run-config form, built from GET /api/lab: one named <select>/<input> per key (the shown
// controls first, every other key under "More settings"), read back as a typed JSON config, and
// mirrored in the page's URL query (keys equal to their default are left out).

import { el } from './api.js';

const SHORT = { 'sigma-w2': 'σ_w²', 'sigma-b2': 'σ_b²', 'seq-len': 'seq-len (T)', 'clip-norm': 'clip-norm', lr: 'learning rate' };

export class ConfigForm {
  /** form: the <form> to fill; lab: the /api/lab answer; onChange(key) after every edit. */
  constructor(form, lab, onChange) {
    this.form = form;
    this.lab = lab;
    this.keys = new Map(lab.keys.map((k) => [k.name, k]));
    this.onChange = onChange;
    this.inputs = new Map();
    this.fallbacks = new Map();  // key → message: a URL value the control could not show (kept until the control changes)
    const shown = lab.controls.filter((n) => this.keys.has(n));
    const grid = el('div', { class: 'fields' });
    for (const name of shown) grid.append(this.field(this.keys.get(name)));
    const rest = lab.keys.filter((k) => !shown.includes(k.name));
    const more = el('details', { class: 'more' }, el('summary', { text: `More settings (${rest.length})` }));
    const moreGrid = el('div', { class: 'fields' });
    for (const k of rest) moreGrid.append(this.field(k));
    more.append(moreGrid);
    form.replaceChildren(grid, ...(rest.length ? [more] : []));
    form.addEventListener('submit', (e) => e.preventDefault());
    this.syncVisibility();
  }

  field(key) {
    let input;
    const name = key.name;
    if (key.type === 'choice') {
      input = el('select', { name, id: 'f-' + name });
      if (key.default === null || key.default === undefined) input.append(el('option', { value: '', text: '(none)' }));
      for (const c of key.choices || []) input.append(el('option', { value: c, text: c }));
    } else if (key.type === 'bool') {
      input = el('input', { type: 'checkbox', name, id: 'f-' + name });
    } else {
      const numeric = key.type === 'int' || key.type === 'number';
      input = el('input', {
        type: 'text', name, id: 'f-' + name, autocomplete: 'off', spellcheck: 'false',
        inputmode: numeric ? (key.type === 'int' ? 'numeric' : 'decimal') : null,
        placeholder: key.default === null || key.default === undefined ? 'off' : String(key.default),
        list: key.choices ? 'dl-' + name : null,
      });
    }
    // A free-text key with named values (branch-scale: a name or a number) suggests the names.
    const datalist = key.type !== 'choice' && key.choices
      ? el('datalist', { id: 'dl-' + name }, ...key.choices.map((c) => el('option', { value: c }))) : null;
    this.inputs.set(name, input);
    this.setValue(name, key.default);
    input.addEventListener('change', () => {
      this.fallbacks.delete(name);
      this.clearError(name);
      this.syncVisibility(name);
      this.onChange(name);
    });
    const label = el('label', { for: 'f-' + name, title: key.help || '', text: SHORT[name] || name });
    const wrap = el('div', { class: 'field' + (key.type === 'bool' ? ' bool' : ''), 'data-key': name }, label, input, datalist,
      el('small', { class: 'err', 'data-err-for': name, role: 'alert' }));
    return wrap;
  }

  setValue(name, v) {
    const input = this.inputs.get(name);
    if (!input) return;
    if (input.type === 'checkbox') input.checked = v === true || v === 'true' || v === '1';
    else input.value = v === null || v === undefined ? '' : String(v);
  }

  /** Sets every key from a config object; keys it lacks go back to their default. */
  set(config) {
    for (const [name, key] of this.keys) this.setValue(name, name in config ? config[name] : key.default);
    this.fallbacks.clear();
    this.clearErrors();
    this.syncVisibility();
  }

  /**
   * Sets the keys a query string names (others untouched; unknown keys ignored). A value a
   * <select> or checkbox cannot show leaves the control on its default, and the bad value is
   * remembered as an error shown beside it (never a blank control that silently falls back).
   */
  setFromQuery(params) {
    this.fallbacks.clear();
    for (const [name, key] of this.keys) {
      if (!params.has(name)) continue;
      const raw = params.get(name), input = this.inputs.get(name);
      const fits = input.tagName === 'SELECT' ? [...input.options].some((o) => o.value === raw)
        : input.type === 'checkbox' ? ['true', 'false', '1', '0'].includes(raw) : true;
      if (fits) { this.setValue(name, raw); continue; }
      this.setValue(name, key.default);
      const shown = key.default === null || key.default === undefined ? '(none)' : String(key.default);
      this.fallbacks.set(name, `${name}: "${raw}" (from the address) is not one of its choices; showing the default, ${shown}`);
    }
    this.syncVisibility();
  }

  /** The typed value of one key, or undefined when it equals the default; throws {key, message} on a bad number. */
  typed(name) {
    const key = this.keys.get(name), input = this.inputs.get(name);
    if (input.type === 'checkbox') return input.checked === Boolean(key.default) ? undefined : input.checked;
    const raw = input.value.trim();
    if (raw === '') return undefined;
    let v = raw;
    if (key.type === 'int' || key.type === 'number') {
      v = Number(raw);
      if (!Number.isFinite(v)) throw { key: name, message: `${name}: "${raw}" is not a number` };
      if (key.type === 'int' && !Number.isInteger(v)) throw { key: name, message: `${name}: "${raw}" is not a whole number` };
    }
    const d = key.default;
    if (d !== null && d !== undefined && (v === d || String(v) === String(d))) return undefined;
    return v;
  }

  /** The config to send: every non-default key with its JSON type (keys in `skip` left out). Throws {key, message} on bad input. */
  config(skip = null) {
    const out = {};
    for (const name of this.keys.keys()) {
      if (skip && skip.has(name)) continue;
      const v = this.typed(name);
      if (v !== undefined) out[name] = v;
    }
    return out;
  }

  /** Every key's value as it would run: typed, or the default when left at it (raw text when it does not parse). */
  values() {
    const out = {};
    for (const [name, key] of this.keys) {
      let v;
      try { v = this.typed(name); } catch { v = this.inputs.get(name).value.trim(); }
      out[name] = v === undefined ? key.default ?? null : v;
    }
    return out;
  }

  /**
   * Every problem the form finds by itself: each value that does not parse ({key, message,
   * blocking: true}), and each address value a control could not show (blocking: false, the
   * control runs its default).
   */
  problems() {
    const out = [];
    for (const name of this.keys.keys()) {
      try { this.typed(name); } catch (e) { out.push({ key: name, message: e.message, blocking: true }); }
    }
    for (const [key, message] of this.fallbacks) out.push({ key, message, blocking: false });
    return out;
  }

  /** Forgets the address values the controls could not show (once a run has started without them). */
  forgetFallbacks() {
    for (const name of this.fallbacks.keys()) this.clearError(name);
    this.fallbacks.clear();
  }

  /** The same, but bad fields are left out (for the URL, which keeps what the user typed). */
  queryPairs() {
    const out = [];
    for (const [name, input] of this.inputs) {
      let v;
      try { v = this.typed(name); } catch { v = input.value.trim(); }
      if (v !== undefined) out.push([name, String(v)]);
    }
    return out;
  }

  get(name) {
    const input = this.inputs.get(name);
    return input ? (input.type === 'checkbox' ? input.checked : input.value) : undefined;
  }

  /** seq-len matters only for sequence tasks; a sequence task needs a recurrent model and vice versa. */
  syncVisibility(changed) {
    const seqTasks = this.lab.sequenceTasks || [], rec = this.lab.recurrentModels || [];
    const data = this.get('data'), model = this.get('model');
    const isSeq = seqTasks.includes(data);
    if (changed === 'data' && this.inputs.has('model')) {
      if (isSeq && !rec.includes(model) && rec.length) this.setValue('model', rec.includes('lstm') ? 'lstm' : rec[0]);
      if (!isSeq && rec.includes(model)) this.setValue('model', 'mlp');
    }
    if (changed === 'model' && this.inputs.has('data')) {
      const nowRec = rec.includes(this.get('model'));
      if (nowRec && !isSeq && seqTasks.length) this.setValue('data', seqTasks[0]);
      if (!nowRec && isSeq) this.setValue('data', this.keys.get('data').default || 'digits');
    }
    const seqField = this.form.querySelector('.field[data-key="seq-len"]');
    if (seqField) seqField.classList.toggle('dim', !seqTasks.includes(this.get('data')));
  }

  showError(key, message) {
    const slot = key && this.form.querySelector(`[data-err-for="${CSS.escape(key)}"]`);
    if (!slot) return false;
    // A control can have more than one problem (an address value it could not show, and the server's word).
    if (!slot.textContent.split('\n').includes(message)) slot.textContent = slot.textContent ? slot.textContent + '\n' + message : message;
    slot.closest('.field').classList.add('bad');
    const details = slot.closest('details');
    if (details) details.open = true;
    return true;
  }

  clearError(key) {
    const slot = this.form.querySelector(`[data-err-for="${CSS.escape(key)}"]`);
    if (slot) { slot.textContent = ''; slot.closest('.field').classList.remove('bad'); }
  }

  /** Clears every message except the address values a control could not show (they stay until it changes). */
  clearErrors() {
    for (const name of this.inputs.keys()) this.clearError(name);
    for (const [name, message] of this.fallbacks) this.showError(name, message);
  }
}
