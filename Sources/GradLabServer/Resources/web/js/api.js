// HTTP and WebSocket access to the lab server, plus the number helpers every page needs.
// The cookie set by the token URL rides on every same-origin request, so URLs stay relative.

export class ApiError extends Error {
  constructor(status, message, key) {
    super(message);
    this.status = status;
    this.key = key || null;
  }
}

const FORBIDDEN = 'Not signed in: open the URL that `gradlab serve` printed (it carries the token).';

async function request(method, url, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'The server cannot be reached (is `gradlab serve` still running?).');
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!res.ok) {
    if (res.status === 403) throw new ApiError(403, data && data.error ? data.error : FORBIDDEN);
    const msg = data && data.error ? data.error : `${res.status} ${res.statusText || 'error'}`;
    throw new ApiError(res.status, msg, data && data.key);
  }
  if (data === null && text) throw new ApiError(res.status, `${url}: the answer is not JSON`);
  return data;
}

export const getJSON = (url) => request('GET', url);
export const postJSON = (url, body) => request('POST', url, body === undefined ? {} : body);

/** A query string from an object, leaving out null/undefined/'' values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

/**
 * Watches a run's live stream. Calls onReset() before a (re)connection replays the run from the
 * start, then onEvents(events) per message. Reconnects while the run has not ended; closing the
 * socket never stops the run on the server.
 */
export function watchRun(id, { onEvents, onReset, onError }) {
  let ws = null, closed = false, ended = false, retries = 0;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/runs/${encodeURIComponent(id)}/live`;
  const open = () => {
    ws = new WebSocket(url);
    let first = true;
    ws.onmessage = (msg) => {
      let data;
      try { data = JSON.parse(msg.data); } catch { return; }
      if (first) { first = false; retries = 0; if (onReset) onReset(); }
      // Only `events` is read: other fields (the server's clock `t`) are ignored.
      const events = data && Array.isArray(data.events) ? data.events : [];
      if (!events.length) return;
      if (events.some((e) => e.type === 'end')) ended = true;
      onEvents(events);
    };
    ws.onclose = () => {
      if (closed || ended) return;
      if (retries++ >= 5) { if (onError) onError('The live connection was lost.'); return; }
      setTimeout(() => { if (!closed) open(); }, 500 * retries);
    };
  };
  open();
  return { close() { closed = true; if (ws) ws.close(); } };
}

/** A JSON number, or one of the strings "NaN"/"Infinity"/"-Infinity", as a JS number; null stays null. */
export function num(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity' || v === '+Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  const n = Number(v);
  return Number.isNaN(n) ? NaN : n;
}

/** Short text for a number: 3 significant digits, exponent form for very small/large, names for non-finite. */
export function fmt(v, digits = 3) {
  const x = num(v);
  if (x === null) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '−Inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(digits - 1).replace('e+', 'e');
  return String(Number(x.toPrecision(digits)));
}

export const pct = (v) => {
  const x = num(v);
  return x === null ? '–' : Number.isFinite(x) ? (100 * x).toFixed(1) + '%' : fmt(x);
};

/** Escapes text for innerHTML. */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/** Creates an element: el('div', {class: 'x', 'data-testid': 'y'}, child, 'text', …). */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** Runs fn once on the next animation frame however often it is asked for. */
export function frameScheduler(fn) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; fn(); });
  };
}

/** Shows a message in a status line (kind: 'error' | 'info' | ''). */
export function status(node, message, kind = 'info') {
  if (!node) return;
  node.textContent = message || '';
  node.className = 'status' + (message && kind ? ' ' + kind : '');
}
