// A comparison preset ("LSTM vs tanh RNN"): its two configs differ in a few keys (what the
// comparison is about); every other key the user edits applies to both runs.

const same = (a, b) => String(a ?? '') === String(b ?? '');

/** The value a preset config gives `name`: its own, or the key's default. */
const presetValue = (config, key) => (key.name in config ? config[key.name] : key.default ?? null);

/** The keys in which the preset's two configs differ: they stay as the preset has them. */
export function comparedKeys(preset, keys) {
  const a = preset.config || {}, b = preset.compare || {};
  return [...keys.values()].filter((k) => !same(presetValue(a, k), presetValue(b, k))).map((k) => k.name);
}

/**
 * The second run's config: the preset's `compare`, plus every key whose value in the form
 * (`values`, every key as it would run) differs from the preset's first config, except the
 * compared keys. `keys`: name → key description from /api/lab.
 */
export function secondConfig(preset, keys, values) {
  const first = preset.config || {}, out = { ...(preset.compare || {}) };
  const compared = new Set(comparedKeys(preset, keys));
  for (const key of keys.values()) {
    const v = values[key.name];
    if (compared.has(key.name) || same(v, presetValue(first, key))) continue;
    if (v === null || v === undefined || v === '') delete out[key.name]; else out[key.name] = v;
  }
  return out;
}

/**
 * What the note says: the keys in which the two runs differ as they will run ({key, first, second}),
 * and the user's own edits that both runs share ({key, value}).
 */
export function describe(preset, keys, values) {
  const second = secondConfig(preset, keys, values), first = preset.config || {};
  const differ = [], shared = [];
  for (const key of keys.values()) {
    const a = values[key.name], b = presetValue(second, key);
    if (!same(a, b)) differ.push({ key: key.name, first: a, second: b });
    else if (!same(a, presetValue(first, key))) shared.push({ key: key.name, value: a });
  }
  return { differ, shared };
}
