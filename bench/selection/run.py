#!/usr/bin/env python3
"""How good is form = "auto"? For a table of shapes (every op, B, T, H, D,
options), times every legal form and chunk size of attn's CPU code and the
pick of the cost model, and reports the pick's regret: its time over the
best candidate's, minus 1 (0 = the pick is the fastest).

    python3 bench/selection/run.py [--out bench/selection/results.md]
        [--quick] [--repeats 5] [--tune]

Each candidate is compiled once (the kernel cache), run once to warm up,
then timed over `repeats` calls (median). A candidate the compiler rejects
(a form that does not apply) is left out. With --tune the table also has
form = "tune" (attn's autotuning: the first call times the candidates and
keeps the winner), timed on later calls.
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "cpu"))
from timing import median_ms  # noqa: E402

import attn  # noqa: E402

FORMS = ["recurrent", "quadratic", "reassociated"]
CHUNKS = [16, 32, 64, 128]


def shapes(quick):
    """(op, B, T, H, D, options): ops x sizes x options, 40+ rows."""
    rows = []
    for op in ("linear", "simple_gla", "gla", "delta", "gated_delta"):
        for B, T, H, D in ((1, 1, 4, 64), (1, 64, 2, 32), (2, 100, 4, 64),
                           (1, 512, 2, 64), (4, 256, 4, 32), (1, 2048, 1, 64),
                           (2, 1024, 4, 128), (8, 128, 8, 64)):
            rows.append((op, B, T, H, D, {}))
        rows.append((op, 2, 300, 2, 64, {"initial_state": True}))
    for B, T, H, D, opts in ((1, 1, 8, 64, {"tk": 2048}), (2, 100, 4, 64, {}),
                             (1, 512, 2, 128, {}), (1, 1024, 4, 64, {"window": 128}),
                             (2, 256, 8, 64, {"gqa": 2}), (1, 2048, 2, 64, {}),
                             (4, 64, 4, 32, {})):
        rows.append(("softmax", B, T, H, D, opts))
    if quick:
        rows = rows[::4]
    return rows


def inputs(rng, op, B, T, H, D, opts):
    f32 = np.float32
    tk = opts.get("tk", T)
    hkv = H // opts.get("gqa", 1)
    q = rng.uniform(-1, 1, (B, T, H, D)).astype(f32)
    k = rng.uniform(-1, 1, (B, tk, hkv, D)).astype(f32)
    v = rng.uniform(-1, 1, (B, tk, hkv, D)).astype(f32)
    if op == "softmax":
        kw = {"window": opts["window"]} if "window" in opts else {}
        return attn.softmax_attention, (q, k, v), kw
    kw = {}
    if opts.get("initial_state"):
        kw["initial_state"] = rng.uniform(-1, 1, (B, H, D, D)).astype(f32)
    if op == "linear":
        return attn.linear_attention, (q, k, v), kw
    if op in ("simple_gla", "gla"):
        shape = (B, T, H) if op == "simple_gla" else (B, T, H, D)
        g = np.log(rng.uniform(0.9, 0.999, shape)).astype(f32)
        return attn.gated_linear_attention, (q, k, v, g), kw
    k /= np.linalg.norm(k, axis=-1, keepdims=True)
    beta = rng.uniform(0.1, 0.9, (B, T, H)).astype(f32)
    if op == "gated_delta":
        kw["g"] = np.log(rng.uniform(0.9, 0.999, (B, T, H))).astype(f32)
    return attn.delta_rule, (q, k, v, beta), kw


def candidates(T):
    """Every form, and the chunkwise form at the chunk sizes shorter than
    the sequence (T: the key length for softmax, whose chunks are key
    blocks)."""
    cands = [("form", f) for f in FORMS]
    cands += [("chunk_size", c) for c in CHUNKS if c < max(T, 2)]
    return cands


def label(kind, value):
    return value if kind == "form" else f"chunkwise C={value}"


def time_call(fn, args, kw, repeats):
    """Median ms, or None where the compiler rejects the call."""
    try:
        fn(*args, **kw)  # compile + warm up
    except (attn.CompileError, ValueError):
        return None
    return median_ms(lambda: fn(*args, **kw), repeats, warmup=1)


def shape_label(op, B, T, H, D, opts):
    extra = "".join(f" {k}={v}" for k, v in opts.items())
    return f"{op} B{B} T{T} H{H} D{D}{extra}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "selection", "results.md"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="a quarter of the table")
    ap.add_argument("--tune", action="store_true", help="also time form='tune'")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    start = time.time()
    for spec in shapes(a.quick):
        op, B, T, H, D, opts = spec
        fn, args, kw = inputs(rng, *spec)
        times = {}
        for kind, value in candidates(max(T, opts.get("tk", T))):
            t = time_call(fn, args, {**kw, kind: value}, a.repeats)
            if t is not None:
                times[label(kind, value)] = t
        auto = time_call(fn, args, kw, a.repeats)
        tuned = time_call(fn, args, {**kw, "form": "tune"}, a.repeats) if a.tune else None
        best = min(times, key=times.get)
        row = {"shape": shape_label(*spec), "auto": auto, "best": best,
               "best_ms": times[best], "times": times, "tune": tuned}
        rows.append(row)
        print(f"{row['shape']}: auto {auto:.3f} ms, best {best} {times[best]:.3f} ms, "
              f"regret {auto / times[best] - 1:+.1%}"
              + (f", tune {tuned:.3f} ms ({tuned / times[best] - 1:+.1%})" if tuned else ""),
              flush=True)
    write(a, rows, time.time() - start)


def stats(regrets):
    r = sorted(regrets)
    p90 = r[min(len(r) - 1, int(round(0.9 * (len(r) - 1))))]
    return statistics.median(r), p90, r[-1]


def write(a, rows, seconds):
    regrets = [r["auto"] / r["best_ms"] - 1 for r in rows]
    med, p90, worst = stats(regrets)
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    cmd = "python3 bench/selection/run.py " + " ".join(sys.argv[1:])
    lines = [
        "# Form and chunk selection: regret of form = \"auto\" (CPU)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"attn {attn.__version__} at {commit}; "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; {seconds:.0f} s.",
        f"Command: `{cmd.strip()}` (float32, median of {a.repeats} calls after a warm-up).",
        "Regret = time of the pick / time of the fastest legal form or chunk size - 1.",
        "",
        f"**{len(rows)} shapes: median regret {med:+.1%}, 90th percentile {p90:+.1%}, "
        f"worst {worst:+.1%}** (targets: 5%, 15%, 25%).",
    ]
    if all(r["tune"] for r in rows):
        tmed, tp90, tworst = stats([r["tune"] / r["best_ms"] - 1 for r in rows])
        lines.append("")
        lines.append(f"form = \"tune\" (later calls): median {tmed:+.1%}, 90th percentile "
                     f"{tp90:+.1%}, worst {tworst:+.1%} (target: worst 5%; timing noise "
                     "between the tuning call and these counts against it).")
    lines += ["", "| shape | auto ms | best | best ms | regret | tune ms | every candidate (ms) |",
              "|---|---|---|---|---|---|---|"]
    for r, reg in sorted(zip(rows, regrets), key=lambda x: -x[1]):
        cands = ", ".join(f"{k} {v:.3f}" for k, v in sorted(r["times"].items(), key=lambda x: x[1]))
        tune = f"{r['tune']:.3f}" if r["tune"] else "-"
        lines.append(f"| {r['shape']} | {r['auto']:.3f} | {r['best']} | {r['best_ms']:.3f} | "
                     f"{reg:+.1%} | {tune} | {cands} |")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {a.out}: median {med:+.1%}, p90 {p90:+.1%}, worst {worst:+.1%}")


if __name__ == "__main__":
    main()
