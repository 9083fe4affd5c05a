"""Compiles the GPU kernels the device scripts run, on this machine (the GPU
machine has no MLIR): build-gpu-kernels/check (every op and variant at small
shapes, for test/GPU/check_kernels.py) and build-gpu-kernels/bench (every op
at H=16 bf16, (B, T, D) in (8, 2048, 128), (4, 8192, 128), (1, 32768, 128),
(4, 8192, 64), for bench/gpu/run.py).

    python3 bench/gpu/gen_kernels.py [--build build] [--target sm_90] [--ab VARIANT]... [--base BUILD]

Besides the default kernels, the check set holds every non-default variant
that is still built: the softmax kernels of ptx-softmax.mlir with --wgmma
(named wg_*), the delta rule and GLA split-form sources with the fused
kernels (--split-delta=false / --split-vector-gate=false, named fused_*), and
the linear split form with synchronous loads (--split-cp-async=false, named
sync_*).

--ab VARIANT (repeatable) adds to the bench folder the bench kernels of the
ops a variant changes, compiled with its flags and named VARIANT_*, so that
one run times it beside the default kernel and the peer: wgmma (softmax),
fused (delta rule, gated delta rule and GLA on their fused kernels), sync
(the linear family's split form without cp.async), bv16 /
bv32 / bv64 (the state pass's value columns), rows64 / rows128 (its rows of
Dk a block), fo / unfused (the linear family's and the delta rules' state
pass computing the outputs too, or not: --fuse-outputs=on / off; the
default is auto). --base BUILD adds the linear family's bench kernels as another
build (an earlier commit's) compiles them, named base_*.
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAPES = [(8, 2048, 128), (4, 8192, 128), (1, 32768, 128), (4, 8192, 64)]
H = 16


def t(*dims, e="bf16"):
    return "tensor<" + "x".join(map(str, dims)) + "x" + e + ">"


def func(name, op, operands, types, results, tail="", attrs=""):
    args = ", ".join(f"%{n}: {ty}" for n, ty in zip(operands, types))
    res = results[0] if len(results) == 1 else "(" + ", ".join(results) + ")"
    lhs = ", ".join(f"%r{i}" for i in range(len(results)))
    qkv = ", ".join("%" + n for n in operands[:3])
    return (f"func.func @{name}({args}) -> {res} {{\n"
            f"  {lhs} = attn.{op} {qkv}{tail} {attrs}: ({', '.join(types)}) -> {res}\n"
            f"  return {lhs} : {', '.join(results)}\n}}\n")


def bench_module():
    out = []
    for B, T, D in SHAPES:
        q, g, gv, beta = t(B, T, H, D), t(B, T, H, e="f32"), t(B, T, H, D, e="f32"), t(B, T, H)
        sfx = f"B{B}_T{T}_D{D}"
        out.append(func(f"linear_{sfx}", "linear_attention", "qkv", [q] * 3, [q]))
        out.append(func(f"simple_gla_{sfx}", "gated_linear_attention", ["q", "k", "v", "g"],
                        [q, q, q, g], [q], ", %g"))
        out.append(func(f"gla_{sfx}", "gated_linear_attention", ["q", "k", "v", "g"],
                        [q, q, q, gv], [q], ", %g"))
        out.append(func(f"delta_{sfx}", "delta_rule", ["q", "k", "v", "beta"],
                        [q, q, q, beta], [q], ", %beta"))
        out.append(func(f"gated_delta_{sfx}", "delta_rule", ["q", "k", "v", "beta", "g"],
                        [q, q, q, beta, g], [q], ", %beta gate(%g)"))
        out.append(func(f"softmax_{sfx}", "softmax_attention", "qkv", [q] * 3, [q]))
    return "".join(out)


# Non-default variants: (the bench functions they change, by name prefix;
# flags). The bench set has them under --ab; the check set always, on every
# function of their sources (CHECK_VARIANTS).
VARIANTS = {
    "wgmma": (("softmax_",), ["--wgmma"]),
    "fused": (("delta_", "gated_delta_", "gla_"),
              ["--split-delta=false", "--split-vector-gate=false"]),
    "sync": (("linear_", "simple_gla_", "gla_"), ["--split-cp-async=false"]),
}
# The state pass's value columns a block (the split forms' tuning knob).
for _bv in (16, 32, 64):
    VARIANTS[f"bv{_bv}"] = (("linear_", "simple_gla_", "delta_", "gated_delta_", "gla_"),
                            [f"--block-v={_bv}"])
# The state pass's rows of Dk a block (linear and scalar-gated attention):
# 64 (two blocks of rows at D = 128) or all of Dk with 64 value columns (one
# block of 128 rows, as fla's chunk_fwd_h holds it).
VARIANTS["rows64"] = (("linear_", "simple_gla_", "gla_"), ["--state-rows=64", "--fuse-outputs=off"])
VARIANTS["rows128"] = (("linear_", "simple_gla_", "gla_"), ["--state-rows=128", "--block-v=64", "--fuse-outputs=off"])
# The state pass computing the outputs too (one kernel, no chunk states; the
# delta rules: after the prep kernel), forced on or off (the default: auto).
VARIANTS["fo"] = (("linear_", "simple_gla_", "delta_", "gated_delta_"), ["--fuse-outputs=on"])
VARIANTS["unfused"] = (("linear_", "simple_gla_", "delta_", "gated_delta_"), ["--fuse-outputs=off"])
BASE_PREFIXES = ("linear_", "simple_gla_", "gla_", "gated_delta_")
CHECK_SOURCES = ("test/Integration/GPU/ptx-every-op.mlir", "test/Integration/GPU/ptx-softmax.mlir",
                 "test/Integration/GPU/ptx-gla-split.mlir", "test/Integration/GPU/ptx-linear-split.mlir",
                 "test/Integration/GPU/ptx-delta-split.mlir", "docs/examples/gpu-ops.mlir")
# A source's flags (its RUN line's): the delta rule's split form needs chunks
# of 64, which these short sequences would not be given.
CHECK_FLAGS = {"test/Integration/GPU/ptx-delta-split.mlir": ["--chunk-size=64"]}
# The check sources of each variant.
CHECK_VARIANTS = {
    "wgmma": ["test/Integration/GPU/ptx-softmax.mlir"],
    "fused": ["test/Integration/GPU/ptx-delta-split.mlir",
              "test/Integration/GPU/ptx-gla-split.mlir"],
    "sync": ["test/Integration/GPU/ptx-linear-split.mlir",
             "test/Integration/GPU/ptx-gla-split.mlir"],
    "rows128": ["test/Integration/GPU/ptx-linear-split.mlir",
                "test/Integration/GPU/ptx-gla-split.mlir"],
    "fo": ["test/Integration/GPU/ptx-linear-split.mlir",
           "test/Integration/GPU/ptx-delta-split.mlir",
           "test/Integration/GPU/ptx-every-op.mlir"],
}


def compile_to(tool, src, folder, target, flags=()):
    os.makedirs(folder, exist_ok=True)
    subprocess.run([tool, src, f"--target={target}", *flags, "-o", folder],
                   check=True, stdout=subprocess.DEVNULL)


def functions(text):
    return ["func.func " + f.split("\n}\n")[0] + "\n}\n"
            for f in text.split("func.func ")[1:]]


def variant_module(text, variant, every=False):
    """The functions of `text` that `variant` changes (all of them when
    `every`), renamed VARIANT_*."""
    prefixes, _ = VARIANTS[variant]
    keep = [f for f in functions(text)
            if every or f[len("func.func @"):].startswith(prefixes)]
    return "".join(f.replace("func.func @", f"func.func @{variant}_", 1) for f in keep)


def compile_variant(tool, a, text, variant, sub, every=False, extra=()):
    src = os.path.join(a.out, f"{sub}-{variant}.mlir")
    with open(src, "w") as f:
        f.write(variant_module(text, variant, every))
    compile_to(tool, src, os.path.join(a.out, sub), a.target,
               [*VARIANTS[variant][1], *extra])


def compile_base(a):
    """The bench kernels of the linear family compiled by another build (an
    earlier commit's), named base_*, to time a change against in one run."""
    tool = os.path.join(a.base, "bin", "attn-gpu-compile")
    if not os.path.exists(tool):
        sys.exit(f"{tool} not found")
    keep = [f for f in functions(bench_module())
            if f[len("func.func @"):].startswith(BASE_PREFIXES)]
    src = os.path.join(a.out, "bench-base.mlir")
    with open(src, "w") as f:
        f.write("".join(f.replace("func.func @", "func.func @base_", 1) for f in keep))
    compile_to(tool, src, os.path.join(a.out, "bench"), a.target)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--target", default="sm_90")
    ap.add_argument("--out", default=os.path.join(ROOT, "build-gpu-kernels"))
    ap.add_argument("--ab", action="append", default=[], choices=sorted(VARIANTS),
                    help="also the bench kernels of this variant (named VARIANT_*)")
    ap.add_argument("--base", metavar="BUILD",
                    help="also the linear family's bench kernels of this other build "
                         "(named base_*)")
    a = ap.parse_args()
    tool = os.path.join(a.build, "bin", "attn-gpu-compile")
    if not os.path.exists(tool):
        sys.exit(f"{tool} not found: build attn first (cmake --build {a.build})")
    for src in CHECK_SOURCES:
        compile_to(tool, os.path.join(ROOT, src), os.path.join(a.out, "check"), a.target,
                   CHECK_FLAGS.get(src, []))
    for variant, sources in CHECK_VARIANTS.items():
        for src in sources:
            text = open(os.path.join(ROOT, src)).read()
            compile_variant(tool, a, text, variant, "check", every=True,
                            extra=CHECK_FLAGS.get(src, []))
    bench_src = os.path.join(a.out, "bench.mlir")
    with open(bench_src, "w") as f:
        f.write(bench_module())
    compile_to(tool, bench_src, os.path.join(a.out, "bench"), a.target)
    for variant in a.ab:
        compile_variant(tool, a, bench_module(), variant, "bench")
    if a.base:
        compile_base(a)
    for sub in ("check", "bench"):
        n = len([x for x in os.listdir(os.path.join(a.out, sub)) if x.endswith(".json")])
        print(f"{os.path.join(a.out, sub)}: {n} kernels")


if __name__ == "__main__":
    main()
