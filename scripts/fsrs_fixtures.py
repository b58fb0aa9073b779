"""Oracle fixtures for GradLab's FSRS-6 scheduler, from the reference implementation (PyPI `fsrs`).

Writes two compact JSON files into Tests/GradLabStudyTests/Fixtures/ (or the directory given as
the first argument), atomically:

fsrs-histories.json  random review histories replayed through `fsrs.Scheduler` with fuzz off.
    "configs":   the scheduler settings (parameters, desired_retention, learning_steps and
                 relearning_steps in seconds, maximum_interval in days); index 0 is the default.
    "histories": [config index, start (seconds since epoch), reviews], each review
                 [rating, gap (seconds since the previous review or the start),
                  state, step or null, stability, difficulty, due (seconds since epoch),
                  retrievability at review time, before the rating].
fsrs-fuzz.json       py-fsrs's interval fuzz with its uniform draw replaced by a given u.
    "draws":  [interval days, maximum_interval, u, fuzzed days].
    "ranges": [interval days, maximum_interval, fewest days, most days] over a dense grid of u.

Everything is seeded: the same `fsrs` version writes the same bytes. Regenerate with
    python3 scripts/fsrs_fixtures.py
"""
import json
import os
import random
import sys
import tempfile
from datetime import datetime, timedelta, timezone

from importlib.metadata import version

import fsrs.scheduler as fsrs_scheduler
from fsrs import Card, Rating, Scheduler

SEED = 20261207
DEFAULT_HISTORIES = 1000
HISTORIES_PER_CUSTOM_CONFIG = 50
MAX_REVIEWS = 30
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DAY = 86400


def custom_parameters(rng):
    """The defaults scaled by up to ±30% (within py-fsrs's bounds) and a steeper forgetting curve."""
    params = []
    for i, w in enumerate(fsrs_scheduler.DEFAULT_PARAMETERS):
        lo, hi = fsrs_scheduler.LOWER_BOUNDS_PARAMETERS[i], fsrs_scheduler.UPPER_BOUNDS_PARAMETERS[i]
        params.append(min(max(w * rng.uniform(0.7, 1.3), lo), hi))
    params[20] = 0.5
    return params


def configs(rng):
    default = list(fsrs_scheduler.DEFAULT_PARAMETERS)
    base = dict(parameters=default, desired_retention=0.9, learning_steps=[60, 600],
                relearning_steps=[600], maximum_interval=36500)
    return [
        base,
        {**base, "desired_retention": 0.8},
        {**base, "desired_retention": 0.97},
        # four learning steps (Hard repeats a later step), two relearning steps (Hard averages),
        # and a step of a day, so learning cards also meet the long-term stability update
        {**base, "learning_steps": [30, 300, 3600, DAY], "relearning_steps": [300, 1800]},
        {**base, "learning_steps": [], "relearning_steps": []},
        # one learning step (Hard is 1.5 times it); relearning steps whose mean is a half second
        {**base, "learning_steps": [600], "relearning_steps": [45, 100]},
        {**base, "maximum_interval": 30},
        {**base, "parameters": custom_parameters(rng), "desired_retention": 0.85, "maximum_interval": 365},
    ]


def scheduler(config):
    return Scheduler(parameters=config["parameters"], desired_retention=config["desired_retention"],
                     learning_steps=[timedelta(seconds=s) for s in config["learning_steps"]],
                     relearning_steps=[timedelta(seconds=s) for s in config["relearning_steps"]],
                     maximum_interval=config["maximum_interval"], enable_fuzzing=False)


def seconds(moment):
    """Seconds since the epoch, exactly (whole or half seconds here), as an int where whole."""
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    return micros // 1_000_000 if micros % 1_000_000 == 0 else micros / 1_000_000


def gap(rng, card, now):
    """Seconds until the next review: from seconds to months, early, on time, late, near day edges."""
    until_due = (card.due - now).total_seconds()
    kind = rng.random()
    if kind < 0.12:
        g = rng.randint(1, 600)                                   # seconds to minutes: the same sitting
    elif kind < 0.25:
        g = rng.randint(600, DAY - 1)                             # later the same day
    elif kind < 0.45:
        g = until_due                                             # exactly when due
    elif kind < 0.6:
        g = until_due * rng.uniform(0.05, 0.95)                   # before due
    elif kind < 0.75:
        g = until_due * rng.uniform(1.05, 4) + rng.randint(0, 3 * DAY)  # late
    elif kind < 0.88:
        g = rng.randint(1, 30) * DAY + rng.choice([-1, 0, 1, rng.randint(0, DAY - 1)])  # day edges
    else:
        g = rng.randint(30, 240) * DAY + rng.randint(0, DAY - 1)  # months
    return max(1, round(g))


def rating(rng, profile):
    if profile == "uniform":
        return Rating(rng.randint(1, 4))
    if profile == "diligent":
        return Rating(rng.choices([1, 2, 3, 4], weights=[1, 1, 6, 2])[0])
    return Rating(rng.choices([1, 2, 3, 4], weights=[1, 0, 2, 7])[0])  # "easy": reaches the cap


def history(rng, config_index, config):
    sched = scheduler(config)
    start = datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randint(0, 6 * 365 * DAY))
    card = Card(card_id=1, due=start)
    profile = rng.choice(["uniform", "diligent", "easy"])
    now, reviews = start, []
    for i in range(rng.randint(1, MAX_REVIEWS)):
        g = 0 if i == 0 and rng.random() < 0.5 else gap(rng, card, now)
        now = now + timedelta(seconds=g)
        r = rating(rng, profile)
        retrievability = sched.get_card_retrievability(card, now)
        card, _ = sched.review_card(card, r, now)
        reviews.append([int(r), g, int(card.state), card.step, card.stability, card.difficulty,
                        seconds(card.due), retrievability])
    return [config_index, seconds(start), reviews]


def fuzz_fixture(rng):
    """py-fsrs's fuzz as a function of its uniform draw u, by replacing `random` in its module."""
    draws, ranges = [], []
    original = fsrs_scheduler.random
    try:
        for maximum in [36500, 365, 30, 5]:
            intervals = list(range(1, 60)) + [rng.randint(60, 40000) for _ in range(40)]
            for days in intervals:
                sched = Scheduler(maximum_interval=maximum, enable_fuzzing=True)

                def fuzzed(u):
                    fsrs_scheduler.random = lambda: u
                    return sched._get_fuzzed_interval(interval=timedelta(days=days)).days

                for u in [0.0, rng.random(), rng.random(), 0.5, 0.999999]:
                    draws.append([days, maximum, u, fuzzed(u)])
                outcomes = [fuzzed(k / 4000) for k in range(4000)] + [fuzzed(1 - 1e-12)]
                ranges.append([days, maximum, min(outcomes), max(outcomes)])
    finally:
        fsrs_scheduler.random = original
    return {"generator": f"fsrs {version('fsrs')}", "draws": draws, "ranges": ranges}


def write_atomically(path, obj):
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".fsrs-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, separators=(",", ":"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests", "GradLabStudyTests", "Fixtures")
    rng = random.Random(SEED)
    cfgs = configs(rng)
    histories = [history(rng, 0, cfgs[0]) for _ in range(DEFAULT_HISTORIES)]
    for index in range(1, len(cfgs)):
        histories += [history(rng, index, cfgs[index]) for _ in range(HISTORIES_PER_CUSTOM_CONFIG)]
    write_atomically(os.path.join(out, "fsrs-histories.json"),
                     {"generator": f"fsrs {version('fsrs')}", "configs": cfgs, "histories": histories})
    write_atomically(os.path.join(out, "fsrs-fuzz.json"), fuzz_fixture(rng))
    reviews = sum(len(h[2]) for h in histories)
    print(f"{len(histories)} histories, {reviews} reviews, {len(cfgs)} configurations", file=sys.stderr)


if __name__ == "__main__":
    main()
