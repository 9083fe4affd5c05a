#!/usr/bin/env python3
"""GPU benchmark: attn's compiled kernels against their peers, one process.

For every attn-gpu-kernel/1 manifest in a folder: times our kernel (through
attn.cuda) and its peer in the same run with triton.testing.do_bench
(median; inputs rotated over several copies so that they do not sit in L2,
on top of do_bench's own L2 flush), and checks our output against the
peer's (rel. err.), so that a fast wrong kernel cannot hide.

Peers: softmax_attention -> torch.nn.functional.scaled_dot_product_attention
(on [B, H, T, D] views); linear_attention -> fla chunk_linear_attn;
gated_linear_attention -> fla chunk_simple_gla (scalar gate) or chunk_gla
(vector gate); delta_rule -> fla chunk_delta_rule, or chunk_gated_delta_rule
with a gate. A peer that is missing or cannot run the case is reported as
"n/a (reason)"; the run goes on.

    python3 bench/gpu/run.py build-gpu-kernels/bench --out /tmp/bench
    python3 bench/gpu/run.py DIR --dry-run        # no GPU: the plan only

Writes OUT/results.md and OUT/results.png (when matplotlib is there), and
prints the table last.
"""
import argparse
import datetime
import glob
import math
import os
import platform
import re
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


# The device checker's loader (attn.cuda and the reference by file path,
# without the MLIR extension).
sys.path.insert(0, os.path.join(ROOT, "test", "GPU"))
from check_kernels import load_module  # noqa: E402


# --- cases ------------------------------------------------------------------

class Case:
    """What a manifest asks for, in the terms the peers need."""

    def __init__(self, path, name, op, attrs, buffers):
        self.path, self.name, self.op, self.attrs = path, name, op, attrs
        self.buffers = buffers
        self.spec = {b.name: b for b in buffers}
        q, k, v = self.spec["q"], self.spec["k"], self.spec["v"]
        self.B, self.Tq, self.Hq, self.Dk = q.shape
        self.Tk, self.Hkv, self.Dv = k.shape[1], k.shape[2], v.shape[3]
        self.dtype = q.dtype
        self.causal = bool(attrs.get("causal", True))
        self.scale = attrs.get("scale", 1 / math.sqrt(self.Dk))
        self.window = int(attrs.get("window", 0) or 0)
        self.gate = ("vector" if "g" in self.spec and
                     len(self.spec["g"].shape) == 4 else
                     "scalar" if "g" in self.spec else "none")
        self.has_state_in = "initial_state" in self.spec
        self.has_state_out = "final_state" in self.spec

    @property
    def label(self):
        extra = {"gated_linear_attention": f" ({self.gate} gate)",
                 "delta_rule": " (gated)" if self.gate != "none" else ""}
        return self.op + extra.get(self.op, "")

    def flops(self):
        """Nominal flops, the same formula for us and the peer: softmax
        4 B H Tq Tk D (halved when causal); the linear family the matmuls
        of the chunkwise form with C = 64 (delta rule: 2x)."""
        B, H, T, Dk, Dv = self.B, self.Hq, self.Tq, self.Dk, self.Dv
        if self.op == "softmax_attention":
            f = 2.0 * B * H * self.Tq * self.Tk * (Dk + Dv)
            return f / 2 if self.causal else f
        C = 64
        N = math.ceil(T / C)
        f = B * H * N * (2.0 * C * C * (Dk + Dv) + 4.0 * C * Dk * Dv)
        return 2 * f if self.op == "delta_rule" else f


def peer_plan(case):
    """(peer name, reason it cannot run or None)."""
    if case.op == "softmax_attention":
        if case.window:
            return "torch sdpa", "sliding window not supported by SDPA"
        if case.causal and case.Tq != case.Tk:
            return "torch sdpa", "SDPA's causal mask is top-left for Tq != Tk"
        return "torch sdpa", None
    fm = case.attrs.get("feature_map", "identity")
    if case.op == "linear_attention":
        if not case.causal:
            return "fla chunk_linear_attn", "fla's linear attention is causal only"
        if fm not in ("identity", "elu_plus_one", "elu+1", "relu"):
            return "fla chunk_linear_attn", f"feature map {fm}"
        return "fla chunk_linear_attn", None
    if case.op == "gated_linear_attention":
        return ("fla chunk_gla" if case.gate == "vector"
                else "fla chunk_simple_gla"), None
    if case.op == "delta_rule":
        return ("fla chunk_gated_delta_rule" if case.gate != "none"
                else "fla chunk_delta_rule"), None
    return "-", f"unknown op {case.op}"


def import_fla():
    """The fla functions, or the reason they are not there."""
    try:
        from fla.ops.linear_attn import chunk_linear_attn
        from fla.ops.simple_gla import chunk_simple_gla
        from fla.ops.gla import chunk_gla
        from fla.ops.delta_rule import chunk_delta_rule
        from fla.ops.gated_delta_rule import chunk_gated_delta_rule
    except Exception as e:  # ImportError, or a failure inside fla
        return None, f"fla not importable: {type(e).__name__}: {e}"
    return {"chunk_linear_attn": chunk_linear_attn,
            "chunk_simple_gla": chunk_simple_gla,
            "chunk_gla": chunk_gla,
            "chunk_delta_rule": chunk_delta_rule,
            "chunk_gated_delta_rule": chunk_gated_delta_rule}, None


# --- inputs and peers (torch) -------------------------------------------------

def draw_inputs(torch, F, case, device, gen):
    dt = {"bf16": torch.bfloat16, "f16": torch.float16,
          "f32": torch.float32, "i32": torch.int32}
    x = {}
    for b in case.buffers:
        if b.role != "input":
            continue
        r = torch.randn(b.shape, device=device, generator=gen,
                        dtype=torch.float32)
        if b.name == "k" and case.op == "delta_rule":
            r = F.normalize(r, p=2, dim=-1)
        elif b.name == "g":
            r = F.logsigmoid(r) / 16
        elif b.name == "beta":
            r = torch.sigmoid(r)
        elif b.name == "initial_state":
            r = 0.1 * r
        x[b.name] = r.to(dt[b.dtype]).contiguous()
    return x


def phi(torch, F, x, fm):
    if fm in ("elu_plus_one", "elu+1"):
        return F.elu(x) + 1
    if fm == "relu":
        return torch.relu(x)
    return x


def make_peer(torch, F, case, fla, x):
    """A zero-argument callable computing the peer on inputs x, returning
    (o [B,T,H,Dv], final_state or None); and notes."""
    notes = []
    op = case.op
    q, k, v = x["q"], x["k"], x["v"]
    if op == "softmax_attention":
        qt, kt, vt = (t.transpose(1, 2) for t in (q, k, v))
        gqa = case.Hq != case.Hkv

        def run():
            kw = {"enable_gqa": True} if gqa else {}
            o = F.scaled_dot_product_attention(qt, kt, vt,
                                               is_causal=case.causal,
                                               scale=case.scale, **kw)
            return o.transpose(1, 2), None
        return run, notes
    if case.Hq != case.Hkv:
        # fla wants as many key/value heads as query heads; repeated here,
        # outside the timed call.
        G = case.Hq // case.Hkv
        k = k.repeat_interleave(G, dim=2)
        v = v.repeat_interleave(G, dim=2)
        notes.append(f"k/v repeated x{G} for fla")
    s0 = x.get("initial_state")
    want_state = case.has_state_out
    if op == "linear_attention":
        fm = case.attrs.get("feature_map", "identity")
        normalize = bool(case.attrs.get("normalize", False))
        if fm != "identity":
            notes.append(f"fla timed with {fm} applied in torch")

        def run():
            o, s = fla["chunk_linear_attn"](
                phi(torch, F, q, fm), phi(torch, F, k, fm), v,
                scale=case.scale, initial_state=s0,
                output_final_state=want_state, normalize=normalize)
            if isinstance(s, tuple):  # normalize: (kv_state, z_state)
                s = s[0]
            return o, s
        return run, notes
    g = x.get("g")
    if op == "gated_linear_attention":
        fn = fla["chunk_gla"] if case.gate == "vector" else \
            fla["chunk_simple_gla"]

        def run():
            return fn(q=q, k=k, v=v, g=g, scale=case.scale,
                      initial_state=s0, output_final_state=want_state)
        return run, notes
    beta = x["beta"]
    if g is None:
        def run():
            return fla["chunk_delta_rule"](
                q=q, k=k, v=v, beta=beta, scale=case.scale,
                initial_state=s0, output_final_state=want_state)
    else:
        def run():
            return fla["chunk_gated_delta_rule"](
                q=q, k=k, v=v, g=g, beta=beta, scale=case.scale,
                initial_state=s0, output_final_state=want_state)
    return run, notes


def rel_err(torch, out, ref):
    out, ref = out.double(), ref.double()
    den = torch.linalg.vector_norm(ref)
    num = torch.linalg.vector_norm(out - ref)
    return float(num / den) if float(den) > 0 else float(num)


def bench_ms(torch, fn, warmup, rep):
    """Median ms: triton.testing.do_bench if there, else CUDA events with an
    L2 flush before each run."""
    try:
        from triton.testing import do_bench
        return float(do_bench(fn, warmup=warmup, rep=rep,
                              return_mode="median")), "do_bench"
    except ImportError:
        pass
    flush = torch.empty(256 << 20, dtype=torch.int8, device="cuda")
    for _ in range(3):
        fn()
    times = []
    for _ in range(max(10, rep // 5)):
        flush.zero_()
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2], "cuda events"


def kernel_breakdown(torch, fn, iters=20):
    """[(kernel name, mean device ms per call)] of `iters` calls of fn, from
    torch.profiler (CUPTI sees the runtime's launches on torch's stream too),
    longest first: which kernel of a multi-kernel call holds its time."""
    from torch.profiler import profile, ProfilerActivity
    fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(iters):
            fn()
        torch.cuda.synchronize()
    total = {}
    for e in prof.events():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            us = getattr(e, "device_time", None)
            if us is None:
                us = e.cuda_time
            total[e.name] = total.get(e.name, 0.0) + us
    return sorted(((n, us / iters / 1e3) for n, us in total.items()),
                  key=lambda x: -x[1])


class Result:
    def __init__(self, case, peer, reason):
        self.case = case
        self.peer = peer
        self.peer_reason = reason
        self.ours_ms = None
        self.peer_ms = None
        self.err_o = None
        self.err_state = None
        self.notes = []
        self.error = None
        self.kernels = {}  # "attn" / "peer" -> kernel_breakdown rows


def run_case(torch, F, cuda, case, fla, fla_reason, args):
    peer, reason = peer_plan(case)
    res = Result(case, peer, reason)
    if reason is None and peer.startswith("fla") and fla is None:
        res.peer_reason = fla_reason
    device = torch.device("cuda", torch.cuda.current_device())
    kernel = cuda.load(case.path)
    try:
        kernel.prepare(device)
        gen = torch.Generator(device=device)
        gen.manual_seed(args.seed)
        sets = [draw_inputs(torch, F, case, device, gen)]
        set_bytes = sum(t.numel() * t.element_size() for t in sets[0].values())
        try:
            l2 = torch.cuda.get_device_properties(device).L2_cache_size
        except AttributeError:
            l2 = 50 << 20
        n = args.rotate if args.rotate else \
            max(1, min(8, math.ceil(2 * l2 / max(1, set_bytes))))
        sets += [draw_inputs(torch, F, case, device, gen) for _ in range(n - 1)]
        if n > 1:
            res.notes.append(f"{n} input sets rotated")
        names = [b.name for b in kernel.inputs]
        launches, outs = [], []
        for x in sets:
            launch, out = kernel.bind(*[x[nm] for nm in names])
            launches.append(launch)
            outs.append(out if isinstance(out, tuple) else (out,))
        it = [0]

        def ours():
            launches[it[0] % n]()
            it[0] += 1

        launches[0]()
        torch.cuda.synchronize()
        res.ours_ms, how = bench_ms(torch, ours, args.warmup, args.rep)
        if args.kernels:
            res.kernels["attn"] = kernel_breakdown(torch, ours)
        ours_out = dict(zip([b.name for b in kernel.outputs], outs[0]))
        if torch.isnan(ours_out["o"].float()).any():
            res.notes.append("NaN in our o")

        if res.peer_reason is None:
            try:
                peers, notes = [], []
                for x in sets:
                    fn, notes = make_peer(torch, F, case, fla, x)
                    peers.append(fn)
                res.notes += notes
                # Once untimed (autotuning, compilation), and for the check
                # on the first input set, which our launch 0 also used.
                o_ref, s_ref = peers[0]()
                torch.cuda.synchronize()
                res.err_o = rel_err(torch, ours_out["o"], o_ref)
                if s_ref is not None and "final_state" in ours_out:
                    res.err_state = rel_err(torch, ours_out["final_state"],
                                            s_ref)
                jt = [0]

                def peer_fn():
                    peers[jt[0] % n]()
                    jt[0] += 1
                res.peer_ms, _ = bench_ms(torch, peer_fn, args.warmup,
                                          args.rep)
                if args.kernels:
                    res.kernels["peer"] = kernel_breakdown(torch, peer_fn)
            except Exception as e:
                res.peer_reason = f"peer failed: {type(e).__name__}: " \
                                  f"{str(e).splitlines()[0][:160]}"
        if how != "do_bench":
            res.notes.append("timed with CUDA events (no triton)")
    finally:
        kernel.close()
    return res


# --- output -----------------------------------------------------------------

def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def tflops(case, ms):
    return None if not ms else case.flops() / (ms * 1e-3) / 1e12


def table_rows(results):
    head = ["kernel", "op", "B", "T", "H", "Dk", "Dv", "dtype", "attn ms",
            "peer", "peer ms", "speedup", "attn TFLOP/s", "peer TFLOP/s",
            "o vs peer", "state vs peer", "notes"]
    rows = []
    for r in results:
        c = r.case
        speed = (r.peer_ms / r.ours_ms) if r.peer_ms and r.ours_ms else None
        peer_ms = fmt(r.peer_ms, ".3f") if r.peer_reason is None else \
            f"n/a ({r.peer_reason})"
        notes = list(r.notes)
        if r.error:
            notes.insert(0, "ERROR: " + r.error)
        for label, e in (("o", r.err_o), ("state", r.err_state)):
            if e is not None and not e < 2e-2:
                notes.append(f"MISMATCH: {label} differs from the peer by "
                             f"{e:.2e}")
        rows.append([c.name, c.label, str(c.B), str(c.Tq), str(c.Hq),
                     str(c.Dk), str(c.Dv), c.dtype, fmt(r.ours_ms, ".3f"),
                     r.peer, peer_ms, "-" if speed is None else f"{speed:.2f}x",
                     fmt(tflops(c, r.ours_ms), ".1f"),
                     fmt(tflops(c, r.peer_ms), ".1f"),
                     fmt(r.err_o, ".2e"), fmt(r.err_state, ".2e"),
                     "; ".join(notes)])
    return head, rows


def markdown(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |"
            for row in rows]
    return "\n".join(out)


def plain(head, rows):
    widths = [max(len(c) for c in col) for col in zip(head, *rows)]
    lines = []
    for row in [head] + rows:
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths[:-1])]
        lines.append("  ".join(cells + [row[-1]]).rstrip())
    return "\n".join(lines)


def plot(results, path, device):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as e:
        return f"no plot: matplotlib not importable ({e})"
    rs = [r for r in results if r.ours_ms]
    if not rs:
        return "no plot: no kernel was timed"
    labels = [f"{r.case.name}\nB{r.case.B} T{r.case.Tq} D{r.case.Dk}"
              for r in rs]
    ours = [tflops(r.case, r.ours_ms) for r in rs]
    peer = [tflops(r.case, r.peer_ms) or 0.0 for r in rs]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rs) + 2), 4.5))
    xs = range(len(rs))
    ax.bar([i - 0.2 for i in xs], ours, width=0.4, label="attn")
    ax.bar([i + 0.2 for i in xs], peer, width=0.4, label="peer (fla / sdpa)")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("nominal TFLOP/s")
    ax.set_title(f"attn vs peers on {device}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"plot: {path}"


def versions(torch):
    parts = [f"python {platform.python_version()}"]
    if torch is not None:
        parts.append(f"torch {torch.__version__}")
    for mod in ("triton", "fla"):
        try:
            m = __import__(mod)
            parts.append(f"{mod} {getattr(m, '__version__', '?')}")
        except Exception:
            parts.append(f"{mod} n/a")
    return ", ".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", nargs="?",
                   default=os.path.join("build-gpu-kernels", "bench"),
                   help="folder of manifests (default build-gpu-kernels/bench)")
    p.add_argument("--out", default=os.path.join("bench", "gpu", "out"),
                   help="where results.md and results.png go")
    p.add_argument("--warmup", type=int, default=25, help="do_bench warmup ms")
    p.add_argument("--rep", type=int, default=100, help="do_bench rep ms")
    p.add_argument("--rotate", type=int, default=0,
                   help="input sets to rotate through (default: enough for "
                        "2x the L2 cache, at most 8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", default=None,
                   help="only manifests whose file name starts with one of these (comma-separated)")
    p.add_argument("--kernels", action="store_true",
                   help="also each kernel's device time per call (torch.profiler), "
                        "for attn and the peer")
    p.add_argument("--dry-run", action="store_true",
                   help="no GPU: read the manifests and print the plan")
    args = p.parse_args(argv)

    paths = sorted(glob.glob(os.path.join(args.folder, "*.json")))
    if args.only:
        paths = [x for x in paths
                 if os.path.basename(x).startswith(tuple(args.only.split(",")))]
    if not paths:
        print(f"error: no manifests (*.json) in {args.folder}", file=sys.stderr)
        return 2
    cuda = load_module("attn_cuda", os.path.join(ROOT, "python", "attn",
                                                 "cuda.py"))
    cases, results, failures = [], [], 0
    for path in paths:
        try:
            m = cuda.read_manifest(path)
            cases.append(Case(path, m.name, m.op, m.attributes, m.buffers))
        except Exception as e:
            print(f"error: {path}: {type(e).__name__}: {e}", file=sys.stderr)
            failures += 1

    torch = F = None
    device = "none (dry run)"
    if args.dry_run:
        fla, fla_reason = None, "dry run"
        for c in cases:
            peer, reason = peer_plan(c)
            r = Result(c, peer, reason or "dry run")
            results.append(r)
    else:
        import torch
        import torch.nn.functional as F
        if not torch.cuda.is_available():
            print("error: torch sees no CUDA device (--dry-run without a GPU)",
                  file=sys.stderr)
            return 2
        device = torch.cuda.get_device_name()
        fla, fla_reason = import_fla()
        print(f"device: {device}; {versions(torch)}; runtime "
              f"{cuda.library_path()}", flush=True)
        if fla is None:
            print(f"note: {fla_reason}", flush=True)
        for c in cases:
            t0 = time.time()
            try:
                r = run_case(torch, F, cuda, c, fla, fla_reason, args)
            except Exception as e:
                r = Result(c, peer_plan(c)[0], "not run: our kernel failed")
                r.error = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
                traceback.print_exc()
                failures += 1
            results.append(r)
            print(f"{c.name}: attn {fmt(r.ours_ms, '.3f')} ms, {r.peer} "
                  f"{fmt(r.peer_ms, '.3f')} ms, o vs peer "
                  f"{fmt(r.err_o, '.2e')} ({time.time() - t0:.1f}s)",
                  flush=True)
            for who, rows in r.kernels.items():
                for kname, ms in rows[:8]:
                    if who == "attn":
                        # The profiler may name a kernel after the module
                        # unloaded before it; the role (states_, prep_) holds.
                        kname = "(ours) " + re.sub(r"^.*_D\d+_", "", kname)
                    print(f"    {who:4s} {ms:8.3f} ms  {kname[:100]}", flush=True)
            torch.cuda.empty_cache()

    head, rows = table_rows(results)
    os.makedirs(args.out, exist_ok=True)
    plot_msg = plot(results, os.path.join(args.out, "results.png"), device) \
        if not args.dry_run else "no plot: dry run"
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("# attn GPU benchmark\n\n")
        f.write(f"Device: {device}. {versions(torch)}. {stamp}.\n")
        f.write(f"Command: `python3 bench/gpu/run.py {args.folder}` "
                f"(do_bench median, warmup {args.warmup} ms, rep {args.rep} "
                f"ms). Speedup = peer ms / attn ms. TFLOP/s are nominal "
                f"(the same formula for both: softmax 4BHT^2D, halved when "
                f"causal; linear family the chunkwise matmuls with C = 64, "
                f"x2 for the delta rule). 'o vs peer' is ||o - o_peer|| / "
                f"||o_peer||.\n\n")
        f.write(markdown(head, rows) + "\n")
    print()
    print(plot_msg)
    print(f"wrote {os.path.join(args.out, 'results.md')}")
    print(f"device: {device}")
    print(plain(head, rows))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
