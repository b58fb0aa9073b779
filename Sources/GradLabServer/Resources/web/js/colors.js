// Colour scales shared by every chart: viridis for magnitudes (the same ramp as the HTML reports,
// readable with the common colour-vision deficiencies) and Okabe–Ito for categorical lines.

const VIRIDIS = [
  [68, 1, 84], [72, 40, 120], [62, 73, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37],
];

/** Viridis at t in [0, 1] as [r, g, b]. */
export function viridis(t) {
  const x = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2), f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round);
}

export const css = ([r, g, b]) => `rgb(${r},${g},${b})`;

// Non-finite cells are red (absent from viridis, so never mistaken for a value); exact zeros grey.
export const NONFINITE = [220, 0, 0];
export const ZERO = [190, 190, 190];
export const NONFINITE_CSS = '#dc0000';

// Okabe–Ito without its pale yellow, then Paul Tol's muted colours (the reports' RunStyle order).
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000',
  '#882255', '#999933', '#332288'];

/** A 256-entry lookup table of viridis, packed as RGBA bytes, for fast canvas fills. */
export const VIRIDIS_LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = viridis(i / 255);
    lut.set([r, g, b, 255], i * 4);
  }
  return lut;
})();

let legendCount = 0;

/**
 * An SVG colour bar for a log10 scale over [lo, hi] decades, labelled at whole decades.
 * notes: extra legend lines such as "red: NaN/Inf".
 */
export function legendSVG(lo, hi, { label = '', notes = [], width = 240 } = {}) {
  const h = 12, top = label ? 14 : 2, stops = [], gid = ++legendCount;
  for (let i = 0; i <= 10; i++) stops.push(`<stop offset="${i * 10}%" stop-color="${css(viridis(i / 10))}"/>`);
  const span = Math.max(hi - lo, 1e-9), room = Math.max(2, Math.floor((width - 28) / 38));
  const step = Math.max(1, Math.ceil((hi - lo) / room));
  let ticks = '';
  for (let d = Math.ceil(lo); d <= hi + 1e-9; d += step) {
    const x = 14 + ((d - lo) / span) * (width - 28);
    ticks += `<line x1="${x}" x2="${x}" y1="${top + h}" y2="${top + h + 3}" stroke="#444"/>` +
      `<text x="${x}" y="${top + h + 13}" text-anchor="middle">1e${d}</text>`;
  }
  const noteText = notes.map((n, i) =>
    `<text x="${width + 8}" y="${top + 10 + i * 12}" fill="${n.colour || '#444'}">${n.text}</text>`).join('');
  const fullWidth = width + (notes.length ? 150 : 4), height = Math.max(top + h + 16, top + 4 + notes.length * 12);
  return `<svg class="legend" viewBox="0 0 ${fullWidth} ${height}" width="${fullWidth}" height="${height}" role="img" aria-label="colour scale">` +
    `<defs><linearGradient id="vg${gid}">${stops.join('')}</linearGradient></defs>` +
    (label ? `<text x="14" y="10">${label}</text>` : '') +
    `<rect x="14" y="${top}" width="${width - 28}" height="${h}" fill="url(#vg${gid})" stroke="#888" stroke-width="0.5"/>` +
    ticks + noteText + '</svg>';
}
