#!/usr/bin/env python3
"""The high-level API on torch CUDA tensors, against the float64 reference.

Two halves, one list of calls (CALLS):

    python3 test/GPU/check_api.py --precompile CACHE_DIR   # here: the compiler
    ATTN_CACHE_DIR=CACHE_DIR python3 test/GPU/check_api.py  # the GPU machine

The first fills a kernel cache with attn.precompile for every call (numpy
arrays of the calls' shapes and dtypes, target sm_90 and sm_80); the second
imports the attn package from the source tree, where the compiler extension
is missing, so every kernel comes from the cache. Each call runs on fresh
random CUDA inputs and is compared with python/tests/reference.py in float64
by ||out - ref|| / ||ref|| (bf16 and f16 inputs: 1e-2). It also times the
Python overhead of a warm call against a bare launch of the same kernel.
Exit status 1 on any failure.
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python", "tests"))  # reference.py

TOLERANCE = 1e-2

# (name, op, shapes {arg: (shape, dtype)}, keywords); dtype "x" is the
# call's input dtype.
def _calls():
    calls = []
    for B, T in ((2, 1000), (2, 1500), (1, 1)):
        calls.append((f"linear_B{B}_T{T}", "linear_attention",
                      {"q": ((B, T, 4, 128), "x"), "k": ((B, T, 4, 128), "x"),
                       "v": ((B, T, 4, 128), "x")}, {}))
    calls.append(("linear_state_D64", "linear_attention",
                  {"q": ((2, 300, 4, 64), "x"), "k": ((2, 300, 4, 64), "x"),
                   "v": ((2, 300, 4, 64), "x"),
                   "initial_state": ((2, 4, 64, 64), "f32")},
                  {"output_final_state": True}))
    for B, T in ((2, 1000), (1, 257)):
        qkv = {"q": ((B, T, 4, 128), "x"), "k": ((B, T, 4, 128), "x"),
               "v": ((B, T, 4, 128), "x")}
        calls.append((f"simple_gla_B{B}_T{T}", "gated_linear_attention",
                      dict(qkv, g=((B, T, 4), "f32")), {}))
        calls.append((f"gla_B{B}_T{T}", "gated_linear_attention",
                      dict(qkv, g=((B, T, 4, 128), "f32")), {}))
        calls.append((f"delta_B{B}_T{T}", "delta_rule",
                      dict(qkv, beta=((B, T, 4), "f32")), {}))
        calls.append((f"gated_delta_B{B}_T{T}", "delta_rule",
                      dict(qkv, beta=((B, T, 4), "f32"), g=((B, T, 4), "f32")),
                      {"output_final_state": True}))
        calls.append((f"softmax_B{B}_T{T}", "softmax_attention", qkv, {}))
    # Enough (batch, head) pairs that fuse-outputs=auto fuses the outputs
    # into the state pass (no chunk_states or v_new scratch).
    B, T, H = 4, 200, 16
    wide = {"q": ((B, T, H, 128), "x"), "k": ((B, T, H, 128), "x"),
            "v": ((B, T, H, 128), "x")}
    calls.append(("linear_fused_state", "linear_attention",
                  dict(wide, initial_state=((B, H, 128, 128), "f32")),
                  {"output_final_state": True}))
    calls.append(("simple_gla_fused", "gated_linear_attention",
                  dict(wide, g=((B, T, H), "f32")), {}))
    calls.append(("delta_fused", "delta_rule",
                  dict(wide, beta=((B, T, H), "f32")), {}))
    calls.append(("gated_delta_fused", "delta_rule",
                  dict(wide, beta=((B, T, H), "f32"), g=((B, T, H), "f32")),
                  {"output_final_state": True}))
    calls.append(("softmax_gqa_window", "softmax_attention",
                  {"q": ((2, 700, 8, 64), "x"), "k": ((2, 700, 2, 64), "x"),
                   "v": ((2, 700, 2, 64), "x")}, {"window": 128}))
    calls.append(("softmax_decode", "softmax_attention",
                  {"q": ((2, 1, 4, 128), "x"), "k": ((2, 900, 4, 128), "x"),
                   "v": ((2, 900, 4, 128), "x")}, {}))
    return calls


CALLS = _calls()
POSITIONAL = {"softmax_attention": 3, "linear_attention": 3,
              "gated_linear_attention": 4, "delta_rule": 4}


def _split(op, args):
    """The op's positional arguments and the rest as keywords."""
    names = list(args)
    n = POSITIONAL[op]
    return [args[k] for k in names[:n]], {k: args[k] for k in names[n:]}
DTYPES = ("bf16", "f16")
TARGETS = ("sm_90", "sm_80")


def _host_arrays(shapes, dtype, rng):
    import ml_dtypes
    np_dtypes = {"bf16": np.dtype(ml_dtypes.bfloat16), "f16": np.float16,
                 "f32": np.float32}
    out = {}
    for name, (shape, dt) in shapes.items():
        dt = dtype if dt == "x" else dt
        out[name] = rng.uniform(-1, 1, shape).astype(np_dtypes[dt])
    return out


def precompile(cache_dir):
    os.environ["ATTN_CACHE_DIR"] = cache_dir
    import attn
    rng = np.random.default_rng(0)
    n = 0
    for name, op, shapes, kwargs in CALLS:
        for dtype in DTYPES:
            args = _host_arrays(shapes, dtype, rng)
            for target in TARGETS:
                pos, kw = _split(op, args)
                attn.precompile(op, *pos, target=target, **kw, **kwargs)
                n += 1
    print(f"precompiled {n} kernels into {cache_dir}")


def _inputs(torch, shapes, dtype, rng):
    """Fresh random CUDA inputs by role: keys L2-normalized for the delta
    rule, beta in (0, 1), gates log-decays in [-0.1, 0]."""
    torch_dtypes = {"bf16": torch.bfloat16, "f16": torch.float16,
                    "f32": torch.float32}
    out = {}
    for name, (shape, dt) in shapes.items():
        dt = dtype if dt == "x" else dt
        if name == "beta":
            x = rng.uniform(0.05, 1, shape)
        elif name == "g":
            x = -rng.uniform(0, 0.1, shape)
        else:
            x = rng.uniform(-1, 1, shape)
        t = torch.tensor(x, dtype=torch_dtypes[dt], device="cuda")
        if name == "k":
            t = torch.nn.functional.normalize(t.float(), dim=-1).to(t.dtype)
        out[name] = t.contiguous()
    return out


def _f64(t):
    return t.detach().float().cpu().numpy().astype(np.float64)


def _reference(ref, op, args, kwargs):
    a = {n: _f64(t) for n, t in args.items()}
    keep = {k: v for k, v in kwargs.items() if k != "output_final_state"}
    if op == "softmax_attention":
        return ref.softmax_attention(a["q"], a["k"], a["v"], causal=True,
                                     window=keep.get("window", 0))
    if op == "linear_attention":
        return ref.linear_attention(a["q"], a["k"], a["v"],
                                    initial_state=a.get("initial_state"))
    if op == "gated_linear_attention":
        return ref.gated_linear_attention(a["q"], a["k"], a["v"], a["g"],
                                          initial_state=a.get("initial_state"))
    return ref.delta_rule(a["q"], a["k"], a["v"], a["beta"], g=a.get("g"),
                          initial_state=a.get("initial_state"))


def check():
    import torch
    # The package from the source tree: on the GPU machine it has no
    # compiler extension, so every kernel must come from the cache.
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import attn
    import reference as ref
    assert attn._kernel._attn is None or "--allow-compiler" in sys.argv, \
        "the compiler is importable: this would not test the cache alone"
    rng = np.random.default_rng(int(time.time()))
    device = torch.cuda.get_device_name()
    print(f"device: {device}, attn {attn.__version__}, cache "
          f"{os.environ.get('ATTN_CACHE_DIR')}")
    failed = 0
    rows = []
    for name, op, shapes, kwargs in CALLS:
        for dtype in DTYPES:
            args = _inputs(torch, shapes, dtype, rng)
            fn = getattr(attn, op)
            try:
                pos, kw = _split(op, args)
                out = fn(*pos, **kw, **kwargs)
                torch.cuda.synchronize()
            except Exception as e:  # report every call, then fail
                failed += 1
                rows.append(f"| {name} | {dtype} | ERROR | {type(e).__name__}: "
                            f"{str(e).splitlines()[0][:120]} |")
                continue
            want = _reference(ref, op, args, kwargs)
            outs = out if isinstance(out, tuple) else (out,)
            # The linear family's reference returns (o, final state).
            wants = (want if isinstance(want, tuple) else (want,))[:len(outs)]
            errs = []
            for o, w in zip(outs, wants):
                o = _f64(o)
                err = np.linalg.norm(o - w) / max(np.linalg.norm(w), 1e-30)
                errs.append(err if np.isfinite(o).all() else float("nan"))
            ok = all(e < TOLERANCE for e in errs)
            failed += not ok
            rows.append(f"| {name} | {dtype} | {'PASS' if ok else 'FAIL'} | "
                        + ", ".join(f"{e:.2e}" for e in errs) + " |")
    print("| call | dtype | result | rel. err (o, final_state) |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    print(attn.cache_info())
    failed += torch_integration(torch, attn)
    overhead(torch, attn)
    print(f"check_api: {len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


def torch_integration(torch, attn):
    """torch.compile(fullgraph=True) of a small module calling attn (a graph
    break would raise), and a CUDA graph capture and replay; both against
    eager calls on the same inputs. Returns the number of failures."""
    failed = 0
    shapes = dict(CALLS[0][2])  # linear, B2 T1000 H4 D128
    args = _inputs(torch, shapes, "bf16", np.random.default_rng(2))
    dshapes = dict(CALLS[[c[0] for c in CALLS].index("delta_B2_T1000")][2])

    def layer(q, k, v):
        return attn.linear_attention(q, k, v) * 2 + 1

    try:
        compiled = torch.compile(layer, fullgraph=True)
        got, want = compiled(*args.values()), layer(*args.values())
        err = (got.float() - want.float()).norm() / want.float().norm()
        ok = bool(err < 1e-3)
        print(f"torch.compile(fullgraph=True) of linear_attention: rel. diff "
              f"vs eager {float(err):.2e} {'PASS' if ok else 'FAIL'}")
        failed += not ok
    except Exception as e:
        print(f"torch.compile: FAIL {type(e).__name__}: {e}")
        failed += 1
    # Eager calls run their plan directly; under torch.compile they go
    # through torch.ops.attn.*. Both routes must give the same bits.
    from unittest import mock
    for name, op, shapes, kwargs in CALLS:
        if not name.endswith(("B1_T257", "state_D64", "gqa_window")):
            continue
        args = _inputs(torch, shapes, "bf16", np.random.default_rng(5))
        pos, kw = _split(op, args)
        try:
            direct = getattr(attn, op)(*pos, **kw, **kwargs)
            with mock.patch.object(torch.compiler, "is_compiling",
                                   lambda: True):
                routed = getattr(attn, op)(*pos, **kw, **kwargs)
            pairs = zip(*(o if isinstance(o, tuple) else (o,)
                          for o in (direct, routed)))
            ok = all(torch.equal(a, b) for a, b in pairs)
        except Exception as e:
            print(f"torch.ops.attn route of {name}: FAIL "
                  f"{type(e).__name__}: {e}")
            failed += 1
            continue
        print(f"torch.ops.attn route of {name}: same bits as the direct "
              f"call {'PASS' if ok else 'FAIL'}")
        failed += not ok
    try:
        d = _inputs(torch, dshapes, "bf16", np.random.default_rng(3))
        static = {n: t.clone() for n, t in d.items()}
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):  # warm-up outside the capture
            attn.delta_rule(static["q"], static["k"], static["v"],
                            static["beta"])
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            out = attn.delta_rule(static["q"], static["k"], static["v"],
                                  static["beta"])
        fresh = _inputs(torch, dshapes, "bf16", np.random.default_rng(4))
        for n, t in fresh.items():
            static[n].copy_(t)
        graph.replay()
        torch.cuda.synchronize()
        want = attn.delta_rule(fresh["q"], fresh["k"], fresh["v"],
                               fresh["beta"])
        err = (out.float() - want.float()).norm() / want.float().norm()
        ok = bool(err == 0)
        print(f"CUDA graph capture + replay of delta_rule on new inputs: "
              f"rel. diff vs eager {float(err):.2e} {'PASS' if ok else 'FAIL'}")
        failed += not ok
    except Exception as e:
        print(f"CUDA graph: FAIL {type(e).__name__}: {e}")
        failed += 1
    return failed


def overhead(torch, attn):
    """Median wall time of a warm high-level call and of the bare launch
    of its kernel (bind(): no checks, no allocation), small shape so the
    GPU is not the bottleneck; the difference is attn's Python overhead."""
    shapes = dict(CALLS[2][2])  # linear, B1 T1
    args = _inputs(torch, shapes, "bf16", np.random.default_rng(1))
    fn = attn.linear_attention
    fn(*args.values())
    k = attn._gpu.kernel(
        attn._ops._plan_linear_attention(*args.values()).text,
        attn._gpu.device_target(args["q"].device))
    launch, _ = k.bind(*args.values())

    def median_us(f, n=2000):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        torch.cuda.synchronize()
        return sorted(times)[n // 2] * 1e6

    from unittest import mock
    call_us = median_us(lambda: fn(*args.values()))
    with mock.patch.object(torch.compiler, "is_compiling", lambda: True):
        op_us = median_us(lambda: fn(*args.values()))
    launch_us = median_us(launch)
    print(f"per-call host time (B1 T1 H4 D128 bf16, warm cache): "
          f"attn.linear_attention {call_us:.1f} us, bare launch "
          f"{launch_us:.1f} us, overhead {call_us - launch_us:.1f} us; "
          f"through torch.ops.attn (the torch.compile route, eager) "
          f"{op_us:.1f} us")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--precompile", metavar="CACHE_DIR")
    p.add_argument("--allow-compiler", action="store_true",
                   help="run the check even where the compiler is importable")
    opts = p.parse_args()
    if opts.precompile:
        precompile(os.path.abspath(opts.precompile))
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main())
