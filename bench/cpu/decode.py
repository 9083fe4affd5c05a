#!/usr/bin/env python3
"""Decode-latency benchmark (serving): one generation step per sequence.

  - softmax: Tq = 1 query against a KV cache of Tk keys (default 32768);
  - linear, gated, delta: the linear family's one-step update, T = 1 from
    a state [B, H, D, D] (returning the new state), for linear attention,
    scalar-gated linear attention and the gated delta rule.

at batch sizes 1..64, H heads, head dims D, f32. Per row: the median
latency of the compiled kernel (Kernel.call on preallocated inputs; results
allocated per call) in the cost model's form and, for softmax, in the tiled
(chunkwise) form, of the high-level call (attn.softmax_attention(...),
which adds writing the op's MLIR text and the kernel-cache lookup), and of
a numpy + BLAS peer; plus the memory traffic the step must do (KV cache,
or the state read and written) divided by the kernel time.

    python3 bench/cpu/decode.py                  # the table (minutes)
    python3 bench/cpu/decode.py --quick          # B = 1, 4, Tk = 4096

Writes bench/cpu/decode-results.md. Not part of CI. Needs the attn package
importable (tools/setup.sh does that).
"""
import argparse
import os
import platform
import sys

import numpy as np

# Compile with this build: no kernels from the on-disk cache (they may come
# from an earlier build of the same version). ATTN_CACHE_DIR=DIR overrides.
os.environ.setdefault("ATTN_CACHE_DIR", "")
import attn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import median_ms  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


#===----------------------------------------------------------------------===#
# The steps: attn's high-level call, its kernel, and the numpy peer
#===----------------------------------------------------------------------===#


def softmax_case(cache, B, H, D):
    """q [B, 1, H, D] against k, v [B, Tk, H, D] (views of the shared
    cache's first B rows)."""
    k, v = cache["k"][:B], cache["v"][:B]
    q = cache["q"][:B]
    high = lambda: attn.softmax_attention(q, k, v)  # noqa: E731
    plan = attn._ops._plan_softmax_attention(q, k, v)
    tiled = attn._ops._plan_softmax_attention(q, k, v, form="chunkwise")

    def peer():
        # [B, H, D] x [B, Tk, H, D] -> [B, H, Tk], softmax, then back.
        s = np.einsum("bhd,bthd->bht", q[:, 0], k, optimize=True)
        s *= 1 / np.sqrt(D)
        s -= s.max(-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(-1, keepdims=True)
        return np.einsum("bht,bthd->bhd", s, v, optimize=True)

    traffic = k.nbytes + v.nbytes
    return high, plan, tiled, peer, traffic


def linear_case(op, rng, B, H, D):
    """One step T = 1 from a state, returning o and the new state."""
    q, k, v = (rng.uniform(-1, 1, (B, 1, H, D)).astype(np.float32)
               for _ in range(3))
    s0 = rng.uniform(-1, 1, (B, H, D, D)).astype(np.float32)
    g = -rng.uniform(0, 0.1, (B, 1, H)).astype(np.float32)
    if op == "delta":
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
    beta = rng.uniform(0, 1, (B, 1, H)).astype(np.float32)
    kw = dict(initial_state=s0, output_final_state=True)
    if op == "linear":
        high = lambda: attn.linear_attention(q, k, v, **kw)  # noqa: E731
        plan = attn._ops._plan_linear_attention(q, k, v, **kw)
    elif op == "gated":
        high = lambda: attn.gated_linear_attention(q, k, v, g, **kw)  # noqa
        plan = attn._ops._plan_gated_linear_attention(q, k, v, g, **kw)
    else:
        high = lambda: attn.delta_rule(q, k, v, beta, g=g, **kw)  # noqa
        plan = attn._ops._plan_delta_rule(q, k, v, beta, g=g, **kw)
    scale = 1 / np.sqrt(D)

    def peer():
        kt, vt, qt = k[:, 0], v[:, 0], q[:, 0]  # [B, H, D]
        S = s0
        if op != "linear":
            S = S * np.exp(g[:, 0])[..., None, None]
        if op == "delta":
            pred = np.einsum("bhi,bhij->bhj", kt, S)
            vt = beta[:, 0][..., None] * (vt - pred)
        S = S + kt[..., :, None] * vt[..., None, :]
        return scale * np.einsum("bhi,bhij->bhj", qt, S), S

    traffic = 2 * s0.nbytes  # the state, read and written
    return high, plan, None, peer, traffic


def kernel_call(plan):
    kernel = attn.compile(plan.text, plan.pipeline)
    arrays = plan.arrays
    return lambda: kernel.call("main", *arrays)


#===----------------------------------------------------------------------===#
# Driver
#===----------------------------------------------------------------------===#


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f
                        if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def chosen_form(plan):
    """The form (and chunk size) the cost model records for the op."""
    ir, _ = attn._kernel.transform(
        plan.text, "attn-select-form{target=x86-avx512},"
                   "attn-select-chunk{target=x86-avx512}")
    line = next(l for l in ir.splitlines() if "attn." in l and "=" in l)
    form = line.split("#attn.form<", 1)[1].split(">", 1)[0]
    if "chunk_size = " in line:
        form += f" C={line.split('chunk_size = ', 1)[1].split(' ', 1)[0]}"
    return form


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ops", default="softmax,linear,gated,delta")
    ap.add_argument("--batches", default="1,4,16,64")
    ap.add_argument("--H", type=int, default=8)
    ap.add_argument("--D", default="64,128", help="head dims")
    ap.add_argument("--Tk", type=int, default=32768,
                    help="KV-cache length of the softmax rows")
    ap.add_argument("--max-cache-gb", type=float, default=9.0,
                    help="skip softmax rows whose K + V exceed this")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "decode-results.md"))
    args = ap.parse_args()
    if args.quick:
        args.batches, args.Tk, args.D = "1,4", 4096, "64"
    batches = [int(b) for b in args.batches.split(",")]
    dims = [int(d) for d in args.D.split(",")]
    H, Tk = args.H, args.Tk
    rng = np.random.default_rng(0)
    rows, skipped = [], []
    for op in args.ops.split(","):
        for D in dims:
            cache = None
            for B in batches:
                if op == "softmax":
                    gb = 2 * B * Tk * H * D * 4 / 1e9
                    if gb > args.max_cache_gb:
                        skipped.append(f"softmax B={B} D={D} (K + V = "
                                       f"{gb:.1f} GB > --max-cache-gb)")
                        continue
                    if cache is None:
                        # One cache for every batch size: row b of the
                        # largest batch that fits.
                        bmax = max(b for b in batches if 2 * b * Tk * H * D
                                   * 4 / 1e9 <= args.max_cache_gb)
                        shape = (bmax, Tk, H, D)
                        cache = {
                            "k": rng.standard_normal(shape, np.float32),
                            "v": rng.standard_normal(shape, np.float32),
                            "q": rng.standard_normal((bmax, 1, H, D),
                                                     np.float32)}
                    high, plan, tiled, peer, traffic = softmax_case(
                        cache, B, H, D)
                    T = Tk
                else:
                    high, plan, tiled, peer, traffic = linear_case(
                        op, rng, B, H, D)
                    T = 1
                kernel = kernel_call(plan)  # compiles (not timed)
                k_ms = median_ms(kernel, args.repeats)
                t_ms = (median_ms(kernel_call(tiled), args.repeats)
                        if tiled else None)
                h_ms = median_ms(high, args.repeats)
                n_ms = median_ms(peer, args.repeats)
                gbs = traffic / (k_ms * 1e6)
                form = chosen_form(plan)
                rows.append((op, B, T, H, D, form, k_ms, t_ms, h_ms, n_ms,
                             gbs))
                tiled_text = f"  tiled {t_ms:9.3f} ms" if tiled else ""
                print(f"{op:8s} B={B:3d} T={T:6d} D={D:4d} [{form}]: kernel "
                      f"{k_ms:9.3f} ms{tiled_text}  call {h_ms:9.3f} ms  "
                      f"numpy {n_ms:9.3f} ms  {gbs:6.1f} GB/s", flush=True)
            cache = None
    write_table(args.out, rows, skipped, args)


def write_table(path, rows, skipped, args):
    lines = [
        "# attn CPU decode latency",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores; numpy "
        f"{np.__version__}. Command: `python3 bench/cpu/decode.py "
        f"{' '.join(sys.argv[1:])}`; medians of {args.repeats} runs; f32; "
        "attn-to-cpu with the cost model's form.",
        "",
        "softmax: one query (Tq = 1) against a KV cache of T keys; linear, "
        "gated (scalar gate), delta (gated delta rule): one step T = 1 from "
        "a state [B, H, D, D], returning o and the new state. *kernel*: the "
        "compiled function, in the cost model's form, on preallocated "
        "inputs; *tiled*: the same with form = chunkwise (the tiled online "
        "softmax, one-query blocks); *call*: the high-level Python call "
        "(MLIR text + kernel-cache lookup + kernel); *GB/s*: the bytes the "
        "step must touch (K + V, or the state read and written) per kernel "
        "time.",
        "",
        "| op | B | T | H | D | form | kernel ms | tiled ms | call ms | "
        "numpy ms | numpy / kernel | GB/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for op, B, T, H, D, form, k, t, h, n, gbs in rows:
        ts = f"{t:.3f}" if t is not None else "-"
        lines.append(f"| {op} | {B} | {T} | {H} | {D} | {form} | {k:.3f} | "
                     f"{ts} | {h:.3f} | {n:.3f} | {n / k:.2f}x | {gbs:.1f} |")
    if skipped:
        lines += ["", "Not run: " + "; ".join(skipped) + "."]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
