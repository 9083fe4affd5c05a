#!/usr/bin/env python3
"""Checks compiled GPU kernels against the float64 reference.

For every attn-gpu-kernel/1 manifest in the given folders: draws fresh random
inputs by role, runs the kernel through attn.cuda (outputs poisoned with NaN
first, so unwritten elements show), computes python/tests/reference.py on the
CPU in float64 from the same (rounded) inputs, and prints one row per kernel
with ||out - ref|| / ||ref|| for o and final_state. PASS below 1e-2 for
every input dtype (the kernels multiply bf16 operands on the tensor cores;
--tol overrides); exit status 1 on any FAIL or NaN.

    python3 test/GPU/check_kernels.py build-gpu-kernels/check
    python3 test/GPU/check_kernels.py DIR --dry-run      # no GPU: manifests + references only
    python3 test/GPU/check_kernels.py --sanitize-one DIR/gla.json   # compute-sanitizer

Each kernel also runs a second time, with scratch from the runtime instead of
torch, and the two results are compared bit for bit ("nondet" in the notes if
they differ). Needs numpy, and torch with CUDA except for --dry-run. attn.cuda
and the reference are loaded by file path: the MLIR extension is not needed.
"""
import argparse
import glob
import importlib.util
import math
import os
import shutil
import subprocess
import sys
import time
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# The attn GPU kernels multiply bf16 operands on the tensor cores (f32
# accumulation) whatever the input type, so every input type is held to the
# bf16 tolerance (README, GPU section).
TOLERANCE = {"bf16": 1e-2, "f16": 1e-2, "f32": 1e-2}
# Reference work (multiply-adds, roughly) above which only the first batch
# entries are checked, to keep the float64 CPU reference to seconds.
MAX_REF_WORK = 4e9


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def attn_cuda():
    return load_module("attn_cuda", os.path.join(ROOT, "python", "attn",
                                                 "cuda.py"))


def reference():
    return load_module("attn_reference", os.path.join(ROOT, "python", "tests",
                                                      "reference.py"))


# --- inputs -----------------------------------------------------------------

def round_to(x, dtype):
    """float32 values exactly representable in `dtype` (round to nearest
    even), as float32."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if dtype == "bf16":
        u = x.view(np.uint32)
        u = (u + np.uint32(0x7FFF) + ((u >> 16) & np.uint32(1))) \
            & np.uint32(0xFFFF0000)
        return u.view(np.float32)
    if dtype == "f16":
        return x.astype(np.float16).astype(np.float32)
    if dtype == "i32":
        return np.rint(x).astype(np.float32)
    return x


def logsigmoid(x):
    return -np.logaddexp(0.0, -x)


def draw_gate(name, x):
    """Log-decays: weak ones as fla's tests draw them, or (a kernel whose
    name says so) strong ones, g ~ log(0.01) per step, or extreme ones,
    log(1e-5) in every other dimension of a vector gate."""
    weak = (logsigmoid(x) / 16).astype(np.float32)
    if "extreme" in name and x.ndim == 4:
        strong = np.float32(np.log(1e-5)) * (1 + 0.1 * np.abs(x))
        odd = (np.arange(x.shape[-1]) % 2 == 1)
        return np.where(odd, strong, weak).astype(np.float32)
    if "strong" in name:
        return (np.float32(np.log(0.01)) * (1 + 0.1 * np.abs(x))).astype(np.float32)
    return weak


def draw_inputs(op, specs, rng, name=""):
    """{name: float32 array (rounded to the buffer's dtype)} for the input
    buffers `specs`, drawn by role as fla's tests do (draw_gate for g)."""
    out, notes = {}, []
    for b in specs:
        x = rng.standard_normal(b.shape, dtype=np.float32)
        if b.name == "k" and op == "delta_rule":
            x /= np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-6)
        elif b.name == "g":
            x = draw_gate(name, x)
        elif b.name == "beta":
            x = (1 / (1 + np.exp(-x))).astype(np.float32)
        elif b.name == "initial_state":
            x *= 0.1
        elif b.name not in ("q", "k", "v"):
            notes.append(f"input {b.name} ~ randn")
        out[b.name] = round_to(x, b.dtype)
    return out, notes


# --- reference --------------------------------------------------------------

def ref_work(op, shapes):
    q, v = shapes["q"], shapes["v"]
    B, T, H, Dk = q
    if op == "softmax_attention":
        return B * H * T * shapes["k"][1] * (Dk + v[3])
    return B * H * T * Dk * v[3] * 3


def softmax_reference(ref, q, k, v, causal, scale, window, rows):
    """reference.softmax_attention on the query rows `rows` (a list of
    ranges), in blocks of bounded memory. Queries are the last Tq of Tk
    positions, so a block [a, b) with keys [0, b + Tk - Tq) (all keys when
    not causal) is the reference's own alignment."""
    B, Tq, H, _ = q.shape
    Tk = k.shape[1]
    step = max(1, int(2**26 // max(1, B * H * Tk)))
    parts = []
    for lo, hi in rows:
        for a in range(lo, hi, step):
            b = min(hi, a + step)
            kk, vv = (k[:, :b + Tk - Tq], v[:, :b + Tk - Tq]) if causal \
                else (k, v)
            parts.append(ref.softmax_attention(q[:, a:b], kk, vv,
                                               causal=causal, scale=scale,
                                               window=window))
    return np.concatenate(parts, axis=1)


def softmax_rows(shapes):
    """Query rows to check: all of them, or (when the reference would take
    too long) the first and the last rows within the budget."""
    B, Tq, H, Dk = shapes["q"]
    per_row = B * H * shapes["k"][1] * (Dk + shapes["v"][3])
    budget = int(MAX_REF_WORK // max(1, per_row))
    if budget >= Tq:
        return [(0, Tq)]
    half = max(1, budget // 2)
    return [(0, half), (Tq - half, Tq)]


def compute_reference(ref, op, attrs, x, rows=None):
    """{output name: float64 array}; for softmax only the query `rows`."""
    scale = attrs.get("scale")
    s0 = x.get("initial_state")
    if op == "softmax_attention":
        o = softmax_reference(ref, x["q"], x["k"], x["v"],
                              attrs.get("causal", True), scale,
                              attrs.get("window", 0) or 0,
                              rows or [(0, x["q"].shape[1])])
        return {"o": o}
    if op == "linear_attention":
        fm = attrs.get("feature_map", "identity")
        o, s = ref.linear_attention(
            x["q"], x["k"], x["v"], causal=attrs.get("causal", True),
            scale=scale, feature_map="elu+1" if fm == "elu_plus_one" else fm,
            normalize=attrs.get("normalize", False), initial_state=s0)
    elif op == "gated_linear_attention":
        o, s = ref.gated_linear_attention(x["q"], x["k"], x["v"], x["g"],
                                          scale=scale, initial_state=s0)
    elif op == "delta_rule":
        o, s = ref.delta_rule(x["q"], x["k"], x["v"], x["beta"], g=x.get("g"),
                              scale=scale, initial_state=s0)
    else:
        raise ValueError(f"unknown op {op!r}")
    return {"o": o, "final_state": s}


def batch_slice(x, nb):
    """The first nb batch entries of every array (batch is axis 0)."""
    return {k: v[:nb] for k, v in x.items()}


def rel_err(out, ref):
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    den = np.linalg.norm(ref)
    num = np.linalg.norm(out - ref)
    return num / den if den > 0 else num


# --- one kernel -------------------------------------------------------------

class Row:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.op = "?"
        self.shape = ""
        self.dtype = ""
        self.errors = {}
        self.status = "FAIL"
        self.notes = []
        self.ms = None


def describe_shapes(specs):
    d = {b.name: b for b in specs}
    q = d.get("q")
    parts = []
    if q is not None:
        parts.append("q" + "x".join(map(str, q.shape)))
    if "k" in d and q is not None and d["k"].shape != q.shape:
        parts.append("k" + "x".join(map(str, d["k"].shape)))
    if "v" in d and q is not None and d["v"].shape[3] != q.shape[3]:
        parts.append("Dv" + str(d["v"].shape[3]))
    if "g" in d:
        parts.append("g" + ("vec" if len(d["g"].shape) == 4 else "scal"))
    if "initial_state" in d:
        parts.append("s0")
    return " ".join(parts)


def check_one(path, args, cuda, ref, torch):
    row = Row(path)
    try:
        if args.dry_run:
            m = cuda.read_manifest(path)
            specs, attrs, op = m.buffers, m.attributes, m.op
            row.name = m.name
            if args.validate_with_runtime:
                cuda.load(path).close()  # the runtime's full checks
        else:
            kernel = cuda.load(path)
            specs, attrs, op = kernel.buffers, kernel.attributes, kernel.op
            row.name = kernel.name
    except Exception as e:  # a row, not a crash
        row.notes.append(f"{type(e).__name__}: {e}")
        return row
    row.op = op
    row.shape = describe_shapes(specs)
    inputs = [b for b in specs if b.role == "input"]
    outputs = [b for b in specs if b.role == "output"]
    q_spec = next((b for b in inputs if b.name == "q"), inputs[0])
    row.dtype = q_spec.dtype
    tol = args.tol if args.tol else TOLERANCE.get(q_spec.dtype, 1e-2)

    seed = [args.seed, zlib.crc32(row.name.encode())]
    x, notes = draw_inputs(op, inputs, np.random.default_rng(seed), row.name)
    row.notes += notes

    results = {}
    if not args.dry_run:
        try:
            results, nondet, ms = run_kernel(kernel, cuda, torch, inputs,
                                             outputs, x)
            row.ms = ms
            if nondet:
                row.notes.append("nondet: " + ", ".join(nondet) +
                                 " differ between two runs")
        except Exception as e:
            row.notes.append(f"run: {type(e).__name__}: {e}")
            return row
        finally:
            kernel.close()

    shapes = {b.name: b.shape for b in specs}
    B = shapes["q"][0]
    nb, rows = B, None
    if op == "softmax_attention":
        rows = softmax_rows(shapes)
        if not args.full_reference and len(rows) > 1:
            row.notes.append("reference on query rows " + ", ".join(
                f"[{a}, {b})" for a, b in rows) + f" of {shapes['q'][1]}")
        else:
            rows = None
    else:
        work = ref_work(op, shapes)
        if work > MAX_REF_WORK and not args.full_reference:
            nb = max(1, int(B * MAX_REF_WORK / work))
            if nb < B:
                row.notes.append(f"reference on batch [0, {nb}) of {B}")
    t0 = time.time()
    try:
        expected = compute_reference(ref, op, attrs,
                                     {k: v.astype(np.float64)
                                      for k, v in batch_slice(x, nb).items()},
                                     rows)
    except Exception as e:
        row.notes.append(f"reference: {type(e).__name__}: {e}")
        return row
    row.notes.append(f"ref {time.time() - t0:.1f}s")

    if args.dry_run:
        for name, value in expected.items():
            if not np.all(np.isfinite(value)):
                row.notes.append(f"reference {name} not finite")
                return row
        row.status = "dry-run"
        return row

    ok = True
    for b in outputs:
        out = results[b.name][:nb]
        if rows and b.name == "o":
            out = np.concatenate([out[:, a:c] for a, c in rows], axis=1)
        if b.name not in expected:
            row.notes.append(f"output {b.name}: no reference")
            continue
        nans = int(np.isnan(out).sum())
        if nans:
            row.errors[b.name] = float("nan")
            row.notes.append(f"{b.name}: {nans} NaN of {out.size}")
            ok = False
            continue
        err = rel_err(out, expected[b.name])
        row.errors[b.name] = err
        ok &= bool(err < tol)
    row.status = "PASS" if ok else "FAIL"
    if not ok:
        row.notes.append(f"tolerance {tol:g}")
    return row


def run_kernel(kernel, cuda, torch, inputs, outputs, x):
    """Runs the kernel twice (torch scratch, then runtime scratch), outputs
    poisoned with NaN. Returns ({name: float64 array}, [outputs that
    differ], ms of the first call after the JIT)."""
    dtypes = {"bf16": torch.bfloat16, "f16": torch.float16,
              "f32": torch.float32, "i32": torch.int32}
    dev = torch.device("cuda", torch.cuda.current_device())
    args = [torch.from_numpy(x[b.name]).to(dtypes[b.dtype]).to(dev)
            for b in inputs]

    def poisoned():
        outs = []
        for b in outputs:
            t = torch.empty(b.shape, dtype=dtypes[b.dtype], device=dev)
            t.fill_(float("nan") if t.is_floating_point() else -1)
            outs.append(t)
        return tuple(outs)

    kernel.prepare(dev)
    first = poisoned()
    torch.cuda.synchronize()
    t0 = time.time()
    kernel(*args, out=first)
    torch.cuda.synchronize()
    ms = (time.time() - t0) * 1e3
    again = cuda.load(kernel.manifest_path, scratch="runtime")
    try:
        second = poisoned()
        again(*args, out=second)
        torch.cuda.synchronize()
    finally:
        again.close()
    # Bit for bit (NaN != NaN as floats).
    nondet = [b.name for b, a, c in zip(outputs, first, second)
              if not torch.equal(a.view(torch.uint8), c.view(torch.uint8))]
    return ({b.name: t.double().cpu().numpy() for b, t in zip(outputs, first)},
            nondet, ms)


# --- sanitizer --------------------------------------------------------------

def find_runner(explicit):
    if explicit:
        return explicit
    for p in (os.path.join(ROOT, "build-cuda", "attn-cuda-run"),
              os.path.join(ROOT, "build", "bin", "attn-cuda-run")):
        if os.path.isfile(p):
            return p
    return shutil.which("attn-cuda-run")


def sanitize(manifest, args):
    runner = find_runner(args.runner)
    if not runner:
        print("error: attn-cuda-run not found (build lib/Runtime/CUDA or pass "
              "--runner)", file=sys.stderr)
        return 1
    sanitizer = shutil.which("compute-sanitizer") or \
        "/usr/local/cuda/bin/compute-sanitizer"
    if not os.path.exists(sanitizer):
        print("error: compute-sanitizer not found", file=sys.stderr)
        return 1
    status = 0
    for tool in args.sanitize_tools.split(","):
        cmd = [sanitizer, "--tool", tool, "--error-exitcode", "86",
               runner, manifest]
        print("$ " + " ".join(cmd), flush=True)
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=args.sanitize_timeout)
            out, rc = p.stdout, p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace") \
                if isinstance(e.stdout, bytes) else (e.stdout or "")
            rc = "timeout"
        lines = out.splitlines()
        print("\n".join(lines[-40:]))
        verdict = "clean" if rc == 0 else f"FAIL (exit {rc})"
        print(f"compute-sanitizer {tool}: {verdict}", flush=True)
        if rc != 0:
            status = 1
    return status


# --- main -------------------------------------------------------------------

def fmt_err(e):
    if e is None:
        return "-"
    return "NaN" if math.isnan(e) else f"{e:.2e}"


def table(rows, device):
    head = ["kernel", "op", "shapes", "dtype", "o rel.err", "state rel.err",
            "ms", "status", "notes"]
    body = [[r.name, r.op, r.shape, r.dtype, fmt_err(r.errors.get("o")),
             fmt_err(r.errors.get("final_state")),
             "-" if r.ms is None else f"{r.ms:.2f}", r.status,
             "; ".join(r.notes)] for r in rows]
    md = [f"Device: {device}", "",
          "| " + " | ".join(head) + " |",
          "|" + "---|" * len(head)]
    md += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |"
           for row in body]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body)]
    text = []
    for row in [head] + body:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths[:-1])]
        text.append("  ".join(cells + [row[-1]]).rstrip())
    return "\n".join(text), "\n".join(md) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="*",
                   default=[os.path.join("build-gpu-kernels", "check")],
                   help="folders of manifests (default build-gpu-kernels/check)")
    p.add_argument("--dry-run", action="store_true",
                   help="no GPU: read manifests, draw inputs, compute references")
    p.add_argument("--validate-with-runtime", action="store_true",
                   help="with --dry-run: also load each manifest with the "
                        "runtime library's parser")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tol", type=float, default=None,
                   help="tolerance for every kernel (default by dtype)")
    p.add_argument("--only", default=None,
                   help="only manifests whose file name contains this")
    p.add_argument("--full-reference", action="store_true",
                   help="reference on every batch entry however large")
    p.add_argument("--markdown", default=None,
                   help="also write the table as markdown here")
    p.add_argument("--sanitize-one", metavar="MANIFEST", default=None,
                   help="run MANIFEST under compute-sanitizer through "
                        "attn-cuda-run, and nothing else")
    p.add_argument("--sanitize-tools", default="memcheck,initcheck",
                   help="compute-sanitizer tools (comma-separated; also "
                        "racecheck, synccheck)")
    p.add_argument("--sanitize-timeout", type=float, default=300)
    p.add_argument("--runner", default=None, help="path of attn-cuda-run")
    args = p.parse_args(argv)

    if args.sanitize_one:
        return sanitize(args.sanitize_one, args)

    manifests = []
    for folder in args.folders:
        if os.path.isfile(folder):
            manifests.append(folder)
            continue
        found = sorted(glob.glob(os.path.join(folder, "*.json")))
        if not found:
            print(f"error: no manifests (*.json) in {folder}", file=sys.stderr)
            return 2
        manifests += found
    if args.only:
        manifests = [m for m in manifests
                     if args.only in os.path.basename(m)]

    cuda, ref = attn_cuda(), reference()
    torch, device = None, "none (dry run)"
    if not args.dry_run:
        import torch
        if not torch.cuda.is_available():
            print("error: torch sees no CUDA device (use --dry-run without "
                  "a GPU)", file=sys.stderr)
            return 2
        device = torch.cuda.get_device_name()
        print(f"device: {device}; runtime: {cuda.library_path()}", flush=True)

    rows = []
    for path in manifests:
        t0 = time.time()
        row = check_one(path, args, cuda, ref, torch)
        rows.append(row)
        print(f"{row.status:8s} {row.name} ({time.time() - t0:.1f}s) "
              f"{fmt_err(row.errors.get('o'))} "
              f"{fmt_err(row.errors.get('final_state'))} "
              f"{'; '.join(row.notes)}", flush=True)

    text, md = table(rows, device)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
    print()
    print(text)
    failed = [r for r in rows if r.status not in ("PASS", "dry-run")]
    passed = len(rows) - len(failed)
    print(f"\n{passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
