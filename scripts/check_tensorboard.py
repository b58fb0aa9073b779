#!/usr/bin/env python3
"""Check a TensorBoard log directory with TensorBoard's own reader.

Reads every event file (name containing "tfevents") in LOGDIR twice: once with TensorBoard's
record reader, strictly (a bad length or data CRC, or a truncated record, is an error, where
TensorBoard itself would silently stop reading), then with `EventFileLoader`, the loader
TensorBoard's backend uses (with its compat layers: scalars and histograms come out as the
tensors the dashboards plot). Then it checks the expectations:

  --tag TAG                  TAG must be present (scalar or histogram)
  --scalar TAG=STEP:VALUE    scalar TAG has VALUE at STEP (float32 tolerance; NaN, inf, -inf ok)
  --histogram TAG=STEP[:N]   histogram TAG exists at STEP, holding N values if given
  --hparam NAME=VALUE        the HParams plugin's session start info has NAME = VALUE
                             (numbers compared as numbers, else as text)
  --experiment-hparam NAME   the HParams plugin's experiment lists NAME (with its values)
  --metric TAG               the HParams plugin's experiment lists the metric TAG
  --expect FILE.json         the same in a file:
      {"tags": ["train/loss"],
       "scalars": {"train/loss": {"0": 2.3, "1": 2.1}},
       "histograms": {"weights/layers.0.weight": {"0": 96, "50": null}},
       "min_events": 3}
      (a null count only requires the histogram to exist at that step)

Exit status 0 when everything matches; 1 with one line per mismatch on stderr; 2 for bad usage
or when TensorBoard is not installed (pip install tensorboard). --list prints what was read.
"""
import argparse
import json
import math
import os
import sys


def fail_usage(message):
    print(f"check_tensorboard: {message}", file=sys.stderr)
    sys.exit(2)


try:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.compat.tensorflow_stub import errors as tb_errors
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New
    from tensorboard.util import tensor_util
    from tensorboard.plugins.hparams import metadata as hparams_metadata
    from google.protobuf import json_format
except ImportError as e:
    fail_usage(f"cannot import TensorBoard's reader ({e}); install it with: pip install tensorboard")


def strict_record_count(path):
    """Reads all records with CRC checks; raises ValueError at the first bad or truncated one."""
    reader = PyRecordReader_New(path, 0, None, None)
    count = 0
    while True:
        try:
            reader.GetNext()
        except tb_errors.OutOfRangeError:
            return count
        except tb_errors.DataLossError as e:
            raise ValueError(f"{path}: record {count + 1} is corrupt or truncated ({e.message})")
        count += 1


def read_logdir(logdir):
    """Returns (events read, scalars {tag: {step: value}}, histograms {tag: {step: count}}, problems);
    the HParams plugin's records go to HPARAMS."""
    files = sorted(f for f in os.listdir(logdir) if "tfevents" in f)
    if not files:
        fail_usage(f"no event files (names containing 'tfevents') in {logdir}")
    scalars, histograms, problems, plugin_of, total = {}, {}, [], {}, 0
    for name in files:
        path = os.path.join(logdir, name)
        try:
            records = strict_record_count(path)
        except ValueError as e:
            problems.append(str(e))
            continue
        events = list(EventFileLoader(path).Load())
        total += len(events)
        if len(events) < records:
            problems.append(f"{path}: TensorBoard loaded {len(events)} events of {records} records")
        if not events or events[0].file_version != "brain.Event:2":
            problems.append(f"{path}: first event should carry file_version 'brain.Event:2'")
        for event in events:
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                if value.HasField("metadata") and value.metadata.plugin_data.plugin_name:
                    plugin_of[value.tag] = value.metadata.plugin_data.plugin_name
                plugin = plugin_of.get(value.tag)
                if not value.HasField("tensor"):
                    problems.append(f"{path}: tag {value.tag} at step {event.step} was not converted to a tensor")
                    continue
                array = tensor_util.make_ndarray(value.tensor)
                if plugin == "scalars":
                    scalars.setdefault(value.tag, {})[event.step] = float(array)
                elif plugin == "histograms":
                    # Rows of [left edge, right edge, count], as the histogram dashboard plots them.
                    rows = array.reshape(-1, 3)
                    if rows.size and not (rows[:, 0] <= rows[:, 1]).all():
                        problems.append(f"{path}: histogram {value.tag} at step {event.step} has a bucket with left > right")
                    histograms.setdefault(value.tag, {})[event.step] = float(rows[:, 2].sum()) if rows.size else 0.0
                elif plugin == "hparams":
                    content = value.metadata.plugin_data.content
                    if value.tag == hparams_metadata.SESSION_START_INFO_TAG:
                        info = hparams_metadata.parse_session_start_info_plugin_data(content)
                        HPARAMS["session"] = {k: json_format.MessageToDict(v) for k, v in info.hparams.items()}
                    elif value.tag == hparams_metadata.EXPERIMENT_TAG:
                        exp = hparams_metadata.parse_experiment_plugin_data(content)
                        HPARAMS["experiment"] = {h.name: [json_format.MessageToDict(v) for v in h.domain_discrete.values] for h in exp.hparam_infos}
                        HPARAMS["metrics"] = [m.name.tag for m in exp.metric_infos]
                    elif value.tag == hparams_metadata.SESSION_END_INFO_TAG:
                        HPARAMS["status"] = hparams_metadata.parse_session_end_info_plugin_data(content).status
                    else:
                        problems.append(f"{path}: unexpected hparams tag {value.tag}")
                else:
                    problems.append(f"{path}: tag {value.tag} has unexpected plugin {plugin!r}")
    return total, scalars, histograms, problems


HPARAMS = {}


def same(actual, expected, rel_tol):
    if math.isnan(expected):
        return math.isnan(actual)
    if math.isinf(expected):
        return actual == expected
    # TensorBoard stores scalars as float32: allow its rounding.
    return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=1e-30)


def parse_float(text):
    lowered = text.strip().lower()
    if lowered in ("nan", "+nan", "-nan"):
        return math.nan
    if lowered in ("inf", "+inf", "infinity", "+infinity"):
        return math.inf
    if lowered in ("-inf", "-infinity"):
        return -math.inf
    return float(text)


def parse_args():
    p = argparse.ArgumentParser(description="Check a TensorBoard log directory with TensorBoard's reader.")
    p.add_argument("logdir")
    p.add_argument("--expect", help="JSON expectations file")
    p.add_argument("--tag", action="append", default=[], help="TAG that must be present")
    p.add_argument("--scalar", action="append", default=[], help="TAG=STEP:VALUE")
    p.add_argument("--histogram", action="append", default=[], help="TAG=STEP[:COUNT]")
    p.add_argument("--hparam", action="append", default=[], help="NAME=VALUE in the session start info")
    p.add_argument("--experiment-hparam", action="append", default=[], help="NAME listed by the experiment")
    p.add_argument("--metric", action="append", default=[], help="metric TAG listed by the experiment")
    p.add_argument("--rel-tol", type=float, default=1e-6, help="relative tolerance for scalars (default 1e-6)")
    p.add_argument("--list", action="store_true", help="print the tags, steps and values read")
    args = p.parse_args()
    if not os.path.isdir(args.logdir):
        fail_usage(f"{args.logdir} is not a directory; pass the log directory the writer was given")

    tags, scalars, histograms, min_events = list(args.tag), {}, {}, 0
    if args.expect:
        try:
            with open(args.expect) as f:
                spec = json.load(f)
        except (OSError, ValueError) as e:
            fail_usage(f"cannot read expectations {args.expect}: {e}")
        tags += spec.get("tags", [])
        for tag, by_step in spec.get("scalars", {}).items():
            for step, value in by_step.items():
                scalars.setdefault(tag, {})[int(step)] = parse_float(str(value)) if isinstance(value, str) else float(value)
        for tag, by_step in spec.get("histograms", {}).items():
            for step, count in by_step.items():
                histograms.setdefault(tag, {})[int(step)] = None if count is None else float(count)
        min_events = int(spec.get("min_events", 0))
    for item in args.scalar:
        try:
            tag, rest = item.rsplit("=", 1)
            step, value = rest.split(":", 1)
            scalars.setdefault(tag, {})[int(step)] = parse_float(value)
        except ValueError:
            fail_usage(f"--scalar {item!r} should be TAG=STEP:VALUE, e.g. train/loss=0:2.3")
    for item in args.histogram:
        try:
            tag, rest = item.rsplit("=", 1)
            step, _, count = rest.partition(":")
            histograms.setdefault(tag, {})[int(step)] = float(count) if count else None
        except ValueError:
            fail_usage(f"--histogram {item!r} should be TAG=STEP or TAG=STEP:COUNT, e.g. weights/layers.0.weight=0:96")
    return args, tags, scalars, histograms, min_events


def main():
    args, tags, want_scalars, want_histograms, min_events = parse_args()
    total, scalars, histograms, problems = read_logdir(args.logdir)
    if args.list:
        for tag in sorted(scalars):
            print(f"scalar {tag}: " + ", ".join(f"{s}:{v!r}" for s, v in sorted(scalars[tag].items())))
        for tag in sorted(histograms):
            print(f"histogram {tag}: " + ", ".join(f"{s}:{int(n)}" for s, n in sorted(histograms[tag].items())))
    if args.list and HPARAMS:
        print(f"hparams: {HPARAMS}")
    for item in args.hparam:
        name, _, want = item.partition("=")
        have = HPARAMS.get("session", {}).get(name)
        try:
            ok = have is not None and float(have) == float(want)
        except (TypeError, ValueError):
            ok = have is not None and str(have).lower() == want.lower()
        if not ok:
            problems.append(f"hparam {name} is {have!r} in the session start info, expected {want}")
    for name in args.experiment_hparam:
        if not HPARAMS.get("experiment", {}).get(name):
            problems.append(f"the hparams experiment does not list {name} with values (has: {HPARAMS.get('experiment')})")
    for tag in args.metric:
        if tag not in HPARAMS.get("metrics", []):
            problems.append(f"the hparams experiment does not list the metric {tag} (has: {HPARAMS.get('metrics')})")
    if total < min_events:
        problems.append(f"read {total} events, expected at least {min_events}")
    for tag in tags:
        if tag not in scalars and tag not in histograms:
            problems.append(f"tag {tag} not found (have: {', '.join(sorted(set(scalars) | set(histograms))) or 'none'})")
    for tag, by_step in want_scalars.items():
        have = scalars.get(tag)
        if have is None:
            problems.append(f"scalar {tag} not found")
            continue
        for step, value in sorted(by_step.items()):
            if step not in have:
                problems.append(f"scalar {tag} has no step {step} (steps: {sorted(have)[:20]})")
            elif not same(have[step], value, args.rel_tol):
                problems.append(f"scalar {tag} at step {step} is {have[step]!r}, expected {value!r}")
    for tag, by_step in want_histograms.items():
        have = histograms.get(tag)
        if have is None:
            problems.append(f"histogram {tag} not found")
            continue
        for step, count in sorted(by_step.items()):
            if step not in have:
                problems.append(f"histogram {tag} has no step {step} (steps: {sorted(have)[:20]})")
            elif count is not None and have[step] != count:
                problems.append(f"histogram {tag} at step {step} holds {int(have[step])} values, expected {int(count)}")
    for line in problems:
        print(f"check_tensorboard: {line}", file=sys.stderr)
    if problems:
        sys.exit(1)
    checks = sum(len(v) for v in want_scalars.values()) + sum(len(v) for v in want_histograms.values()) + len(tags)
    print(f"check_tensorboard: OK: {total} events, {len(scalars)} scalar tags, {len(histograms)} histogram tags, {checks} checks passed")


if __name__ == "__main__":
    main()
