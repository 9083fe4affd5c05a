#!/usr/bin/env python3
"""CPU benchmark: attn against numpy + BLAS (and PyTorch CPU where it is
installed), all in one process, medians over repeats.

    python3 bench/cpu/run.py                 # the full table (minutes)
    python3 bench/cpu/run.py --quick         # one small shape per op

Writes bench/cpu/results.md (and results.png when matplotlib is present).
Needs the attn package importable (tools/setup.sh does that).
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import time

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_impls as npi  # noqa: E402
from timing import median_ms  # noqa: E402

import attn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def sgemm_gflops(n=1024, repeats=10):
    """numpy's best 1024^3 sgemm rate: the ceiling (best, not median: it
    is the machine's capacity, and neighbours on a shared host only lower
    it)."""
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.copy()
    a @ b
    best = min(timed_ms(lambda: a @ b) for _ in range(repeats))
    return 2 * n ** 3 / (best * 1e6)


def settled(fn):
    """fn, called after a pause: the peers share the process and its cores,
    and OpenMP threads keep spinning after a parallel region (libomp, attn's
    runtime, for 200 ms; libgomp, torch's, briefly); they must not steal
    time from the next peer's measurement."""
    time.sleep(0.3)
    return fn()


def timed_ms(fn):
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1e3


def matmul_flops(op, B, T, H, D, C):
    """Flops of the matrix products of the chunked algorithm with chunks
    (softmax: query and key blocks) of C, as attn and the numpy peers
    compute them: per chunk of the linear family Q K^T and P V (C x C x D
    each) and Q S and K^T V (C x D x D); the delta rule adds K K^T, A (beta
    V), A (beta K) (C x C x D) and W S (C x D x D); causal softmax computes
    the blocks on and below the diagonal, each Q K^T and P V."""
    N = -(-T // C)
    if op == "softmax":
        blocks = N * (N + 1) // 2
        return B * H * blocks * 2 * (2 * C * C * D)
    square, state = {"linear": (2, 2), "gated": (2, 2), "delta": (5, 3)}[op]
    return B * H * N * 2 * (square * C * C * D + state * C * D * D)


def attn_chunk_size(op, q, k, v, extra):
    """The chunk (block) size the cost model picks for this call."""
    fn, args = {
        "softmax": (attn.softmax_attention, ()),
        "linear": (attn.linear_attention, ()),
        "gated": (attn.gated_linear_attention, (extra.get("g"),)),
        "delta": (attn.delta_rule, (extra.get("beta"),)),
    }[op]
    m = re.search(r"chosen: C=(\d+)", attn.explain(fn, q, k, v, *args))
    return int(m.group(1)) if m else None


def make_inputs(rng, op, B, T, H, D):
    q, k, v = (rng.uniform(-1, 1, (B, T, H, D)).astype(np.float32)
               for _ in range(3))
    extra = {}
    if op == "delta":
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
        extra["beta"] = rng.uniform(0, 1, (B, T, H)).astype(np.float32)
    if op == "gated":
        extra["g"] = -rng.uniform(0, 0.1, (B, T, H)).astype(np.float32)
    return q, k, v, extra


def attn_call(op, q, k, v, extra):
    if op == "softmax":
        return lambda: attn.softmax_attention(q, k, v)
    if op == "linear":
        return lambda: attn.linear_attention(q, k, v)
    if op == "gated":
        return lambda: attn.gated_linear_attention(q, k, v, extra["g"])
    return lambda: attn.delta_rule(q, k, v, extra["beta"])


def numpy_call(op, q, k, v, extra):
    if op == "softmax":
        return lambda: npi.softmax_blocked(q, k, v)
    if op == "linear":
        return lambda: npi.linear_chunkwise(q, k, v)
    if op == "gated":
        return lambda: npi.gated_scalar_chunkwise(q, k, v, extra["g"])
    return lambda: npi.delta_chunkwise(q, k, v, extra["beta"])


def torch_call(op, q, k, v, extra):
    try:
        import torch
    except ImportError:
        return None
    tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))
    if op == "softmax":
        f = torch.nn.functional.scaled_dot_product_attention
        qh, kh, vh = (x.transpose(1, 2) for x in (tq, tk, tv))
        return lambda: f(qh, kh, vh, is_causal=True)
    if op == "linear":
        def lin(C=64):
            B, T, H, D = tq.shape
            qc = tq.reshape(B, T // C, C, H, D)
            kc = tk.reshape(B, T // C, C, H, D)
            vc = tv.reshape(B, T // C, C, H, D)
            kv = torch.einsum("bnchd,bnche->bnhde", kc, vc).cumsum(1)
            kv = torch.cat([torch.zeros_like(kv[:, :1]), kv[:, :-1]], 1)
            inter = torch.einsum("bnchd,bnhde->bnche", qc, kv)
            a = torch.einsum("bnchd,bnshd->bnhcs", qc, kc).tril()
            intra = torch.einsum("bnhcs,bnshe->bnche", a, vc)
            return (inter + intra).reshape(B, T, H, D) / D ** 0.5
        return lin
    return None


def first_call_ms(op, q, k, v, extra):
    """The first call with an empty kernel cache: compile plus one run (the
    table reports it minus the steady-state median, i.e. the compile)."""
    attn.clear_cache()
    t0 = time.perf_counter()
    attn_call(op, q, k, v, extra)()
    return (time.perf_counter() - t0) * 1e3


# The targets at B=1 T=4096 H=8 D=64 f32: attn's speedup over the
# numpy peer, per op.
TARGETS = {"linear": 2.2, "gated": 3.0, "delta": 5.0, "softmax": 4.0}
TARGET_SHAPE = (1, 4096, 8, 64)
TARGET_SGEMM_FRACTION = 0.6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ops", default="linear,gated,delta,softmax")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--T", default="1024,4096,16384",
                    help="sequence lengths (comma-separated)")
    ap.add_argument("--D", default="64,128", help="head dims")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    args = ap.parse_args()
    ops = args.ops.split(",")
    shapes = ([(1, 1024, 8, 64)] if args.quick else
              [(1, int(T), 8, int(D)) for D in args.D.split(",")
               for T in args.T.split(",")])
    rng = np.random.default_rng(0)
    ceiling = settled(sgemm_gflops)
    print(f"sgemm ceiling: {ceiling:.0f} GFLOP/s", flush=True)
    rows = []
    for op in ops:
        for B, T, H, D in shapes:
            if op == "softmax" and T >= 4096 and not args.quick:
                reps = 1  # numpy's blocked softmax takes seconds here
            else:
                reps = args.repeats
            q, k, v, extra = make_inputs(rng, op, B, T, H, D)
            first = first_call_ms(op, q, k, v, extra)
            a_ms = settled(lambda: median_ms(attn_call(op, q, k, v, extra),
                                             max(reps, 3)
                                             if op != "softmax" else reps))
            cms = max(first - a_ms, 0.0)
            n_ms = settled(lambda: median_ms(numpy_call(op, q, k, v, extra),
                                             reps))
            tc = torch_call(op, q, k, v, extra)
            t_ms = settled(lambda: median_ms(tc, reps)) if tc else None
            C = attn_chunk_size(op, q, k, v, extra)
            gf = matmul_flops(op, B, T, H, D, C) / (a_ms * 1e6) if C else None
            # The same work as the numpy peer's (its chunk or block of C =
            # 64 for the linear family, 128 for softmax) per attn's time.
            peer_c = 128 if op == "softmax" else 64
            wf = matmul_flops(op, B, T, H, D, peer_c) / (a_ms * 1e6)
            rows.append(dict(op=op, B=B, T=T, H=H, D=D, attn=a_ms, numpy=n_ms,
                             torch=t_ms, C=C, gflops=gf, work_gflops=wf,
                             compile=cms))
            print(f"{op:8s} T={T:6d} D={D:4d}: attn {a_ms:9.2f} ms (C={C}) "
                  f"numpy {n_ms:9.2f} ms  speedup {n_ms / a_ms:6.2f}x  "
                  + (f"torch {t_ms:9.2f} ms  " if t_ms else "")
                  + (f"{gf:6.1f} GFLOP/s  " if gf else "")
                  + f"compile {cms:6.0f} ms", flush=True)
    # Measured again at the end: the higher one is the ceiling.
    ceiling = max(ceiling, settled(sgemm_gflops))
    write_table(args.out, rows, ceiling, " ".join(sys.argv[1:]))
    plot(os.path.splitext(args.out)[0] + ".png", rows)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f
                       if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                              cwd=HERE, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def torch_version():
    try:
        import torch
        return f"torch {torch.__version__} (CPU)"
    except ImportError:
        return "torch (not installed: n/a)"


def write_table(path, rows, ceiling, argv):
    lines = [
        "# attn CPU benchmark",
        "",
        f"Machine: {machine()}. numpy {np.__version__}, {torch_version()}; "
        f"sgemm ceiling measured in the run (numpy's best 1024^3 matmul, at "
        f"the start and the end): {ceiling:.0f} GFLOP/s. Each peer's "
        "measurement starts after a 0.3 s pause, so that no OpenMP runtime's "
        "threads still spin from the previous one.",
        f"Command: `python3 bench/cpu/run.py {argv}` at commit {commit()}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; medians; "
        "f32; attn in the cost model's form and chunk size (C).",
        "Peers in the same process: numpy + its BLAS (chunkwise with C = 64 "
        "and blocked exact softmax, bench/cpu/numpy_impls.py) and torch CPU "
        "(`scaled_dot_product_attention`; an einsum chunkwise linear "
        "attention); n/a where there is no equivalent.",
        "GFLOP/s: the flops of the matrix products attn executes at its C "
        "(bench/cpu/run.py matmul_flops) over its time, and % of sgemm "
        "against the ceiling above; work GFLOP/s: the numpy peer's products "
        "(C = 64; softmax blocks of 128) over attn's time, which credits a "
        "smaller chunk's saved work. compile ms: the first call with an "
        "empty kernel cache minus the steady-state time.",
        "",
        "| op | T | D | attn ms | C | numpy ms | torch ms | attn vs numpy | "
        "attn vs torch | GFLOP/s | % of sgemm | work GFLOP/s | compile ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ts = f"{r['torch']:.2f}" if r["torch"] else "n/a"
        tr = f"{r['torch'] / r['attn']:.2f}x" if r["torch"] else "n/a"
        gf = f"{r['gflops']:.1f}" if r["gflops"] else "n/a"
        pct = f"{100 * r['gflops'] / ceiling:.0f}%" if r["gflops"] else "n/a"
        lines.append(f"| {r['op']} | {r['T']} | {r['D']} | {r['attn']:.2f} | "
                     f"{r['C']} | {r['numpy']:.2f} | {ts} | "
                     f"{r['numpy'] / r['attn']:.2f}x | {tr} | {gf} | {pct} | "
                     f"{r['work_gflops']:.1f} | {r['compile']:.0f} |")
    at_target = [r for r in rows
                 if (r["B"], r["T"], r["H"], r["D"]) == TARGET_SHAPE]
    if at_target:
        lines += ["", "Against the CPU issue's targets (B=1 T=4096 H=8 D=64, "
                  "speedup over numpy in this run; "
                  f">= {100 * TARGET_SGEMM_FRACTION:.0f}% of sgemm):", ""]
        for r in at_target:
            speed = r["numpy"] / r["attn"]
            frac = r["gflops"] / ceiling if r["gflops"] else 0
            work = r["work_gflops"] / ceiling
            verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
            lines.append(
                f"- {r['op']}: {speed:.2f}x numpy (target "
                f"{TARGETS[r['op']]}x: {verdict(speed >= TARGETS[r['op']])}); "
                f"executed products at {100 * frac:.0f}% of sgemm "
                f"({verdict(frac >= TARGET_SGEMM_FRACTION)}), the peer's "
                f"work at {100 * work:.0f}% "
                f"({verdict(work >= TARGET_SGEMM_FRACTION)})")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


def plot(path, rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = [f"{r['op']}\nT={r['T']} D={r['D']}" for r in rows]
    ax.bar(range(len(rows)), [r["numpy"] / r["attn"] for r in rows])
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(range(len(rows)), labels, fontsize=6, rotation=90)
    ax.set_ylabel("speedup of attn over numpy (x)")
    ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
