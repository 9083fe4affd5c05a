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
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_impls as npi  # noqa: E402
from timing import median_ms  # noqa: E402

import attn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def sgemm_gflops(n=1024, repeats=5):
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.copy()
    ms = median_ms(lambda: a @ b, repeats)
    return 2 * n ** 3 / (ms * 1e6)


def chunkwise_matmul_flops(op, B, T, H, D, C=64):
    """Flops of the matmuls of the chunkwise algorithm (what both attn and
    the numpy peer compute), per op; softmax: causal QK^T and PV."""
    N = -(-T // C)
    per_chunk = {"linear": 4, "gated": 4, "delta": 7}
    if op == "softmax":
        return B * H * 2 * T * T * D  # causal: half of 2 * 2 T^2 D
    return B * H * N * per_chunk[op] * 2 * C * C * D


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
    ceiling = sgemm_gflops()
    rows = []
    for op in ops:
        for B, T, H, D in shapes:
            if op == "softmax" and T >= 4096 and not args.quick:
                reps = 1  # numpy's blocked softmax takes seconds here
            else:
                reps = args.repeats
            q, k, v, extra = make_inputs(rng, op, B, T, H, D)
            first = first_call_ms(op, q, k, v, extra)
            a_ms = median_ms(attn_call(op, q, k, v, extra), reps)
            cms = max(first - a_ms, 0.0)
            n_ms = median_ms(numpy_call(op, q, k, v, extra), reps)
            tc = torch_call(op, q, k, v, extra)
            t_ms = median_ms(tc, reps) if tc else None
            gf = chunkwise_matmul_flops(op, B, T, H, D) / (a_ms * 1e6)
            rows.append((op, B, T, H, D, a_ms, n_ms, t_ms, gf, cms))
            print(f"{op:8s} T={T:6d} D={D:4d}: attn {a_ms:9.2f} ms  numpy "
                  f"{n_ms:9.2f} ms  speedup {n_ms / a_ms:6.2f}x  "
                  f"{gf:6.1f} GFLOP/s  compile {cms:6.0f} ms", flush=True)
    write_table(args.out, rows, ceiling)
    plot(os.path.splitext(args.out)[0] + ".png", rows)


def write_table(path, rows, ceiling):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f
                       if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        "# attn CPU benchmark",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores. numpy {np.__version__}; "
        f"measured sgemm ceiling (numpy 1024^3 matmul): {ceiling:.0f} GFLOP/s.",
        f"Command: `python3 bench/cpu/run.py {' '.join(sys.argv[1:])}`; "
        "medians; f32; attn with the cost model's form and chunk size.",
        "",
        "| op | B | T | H | D | attn ms | numpy ms | torch ms | attn vs numpy | "
        "attn GFLOP/s (matmul work) | % of sgemm | compile ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for op, B, T, H, D, a, n, t, gf, c in rows:
        ts = f"{t:.2f}" if t is not None else "n/a"
        lines.append(f"| {op} | {B} | {T} | {H} | {D} | {a:.2f} | {n:.2f} | "
                     f"{ts} | {n / a:.2f}x | {gf:.1f} | "
                     f"{100 * gf / ceiling:.0f}% | {c:.0f} |")
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
    labels = [f"{r[0]}\nT={r[2]} D={r[4]}" for r in rows]
    ax.bar(range(len(rows)), [r[6] / r[5] for r in rows])
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(range(len(rows)), labels, fontsize=6, rotation=90)
    ax.set_ylabel("speedup of attn over numpy (x)")
    ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
