#!/usr/bin/env python3
"""Re-scores the cost model against timings already measured: reads the
candidate times of a results.md that bench/selection/run.py wrote, asks the
current compiler (attn.explain: selection only, nothing runs) what it would
pick for each shape, and prints the regret the pick would have had.

    python3 bench/selection/rescore.py [bench/selection/results.md] [--rows]

For iterating on the model (lib/TargetInfo) in seconds instead of a
three-minute benchmark; the table it prints is a prediction from old
timings: run.py measures the real one.
"""
import os
import re
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "selection"))
from run import inputs, stats  # noqa: E402

import attn  # noqa: E402

SHAPE = re.compile(r"^(\w+) B(\d+) T(\d+) H(\d+) D(\d+)((?: \w+=\S+)*)$")


def parse(path):
    rows = []
    for line in open(path):
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) != 7 or not SHAPE.match(cells[0]):
            continue
        op, B, T, H, D, extra = SHAPE.match(cells[0]).groups()
        opts = {}
        for kv in extra.split():
            k, v = kv.split("=")
            opts[k] = True if v == "True" else int(v)
        times = {}
        for cand in cells[6].split(", "):
            name, ms = cand.rsplit(" ", 1)
            times[name] = float(ms)
        rows.append((cells[0], (op, int(B), int(T), int(H), int(D), opts), times))
    return rows


def pick(text):
    """The label run.py gives the candidate explain's text chooses."""
    form = re.search(r"attn-select-form[^\n]*chosen: (\w+)", text)
    chunk = re.search(r"attn-select-chunk[^\n]*chosen: C=(\d+)", text)
    f = form.group(1) if form else "chunkwise"
    if f == "chunkwise":
        return f"chunkwise C={chunk.group(1)}" if chunk else "chunkwise"
    return f


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = args[0] if args else os.path.join(ROOT, "bench", "selection", "results.md")
    rng = np.random.default_rng(0)
    regrets, lines = [], []
    for label, spec, times in parse(path):
        fn, a, kw = inputs(rng, *spec)
        chosen = pick(attn.explain(fn, *a, **kw))
        best = min(times.values())
        t = times.get(chosen)
        if t is None:
            lines.append(f"{label}: pick {chosen} was not timed")
            continue
        regrets.append(t / best - 1)
        lines.append(f"{label}: pick {chosen} {t:.3f} ms, best "
                     f"{min(times, key=times.get)} {best:.3f} ms, regret {t / best - 1:+.1%}")
    med, p90, worst = stats(regrets)
    if "--rows" in sys.argv:
        print("\n".join(lines))
    print(f"{len(regrets)} shapes: median {med:+.1%}, p90 {p90:+.1%}, worst {worst:+.1%}")


if __name__ == "__main__":
    main()
