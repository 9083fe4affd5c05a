"""Compiles the GPU kernels the device scripts run, on this machine (the GPU
machine has no MLIR): build-gpu-kernels/check (every op and variant at small
shapes, for test/GPU/check_kernels.py) and build-gpu-kernels/bench (every op
at H=16 bf16, (B, T, D) in (8, 2048, 128), (4, 8192, 128), (1, 32768, 128),
(4, 8192, 64), for bench/gpu/run.py).

    python3 bench/gpu/gen_kernels.py [--build build] [--target sm_90] [--gla-split]
        [--softmax-ab]

The check set has the softmax kernels of ptx-softmax.mlir twice: as they
are, and compiled with --wgmma (named wg_*). With --softmax-ab the bench
folder also gets the softmax kernels compiled with --wgmma (named
wgmma_softmax_*), so that one run times the sm_90 warpgroup-MMA kernel
against the default mma.sync one beside SDPA.

With --linear-ab both folders also get the split form compiled with
--split-cp-async (named cpasync_*): the linear and scalar-gated check
kernels, and the linear and simple_gla bench kernels, so that one run checks
the cp.async kernels and times them beside the default ones and fla.

--ab FLAG (repeatable) adds to the bench folder the bench kernels of the ops
FLAG changes, compiled with --FLAG and named FLAG_* (dashes dropped), so one
run times an opt-in variant beside the default and the peer:
--ab wgmma (softmax), --ab split-delta (delta and gated delta, at chunk 64),
--ab split-vector-gate (GLA).
"""
import argparse
import os
import re
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


# The check sources with linear or scalar-gated attention (--linear-ab).
LINEAR_SOURCES = ("test/Integration/GPU/ptx-every-op.mlir", "test/Integration/GPU/ptx-linear-split.mlir",
                  "docs/examples/gpu-ops.mlir")


def cpasync_variant(text):
    """The functions of `text` whose op may take the split form (linear and
    scalar-gated attention; the gla* ones have vector gates), renamed
    cpasync_*."""
    funcs = ["func.func " + f.split("\n}\n")[0] + "\n}\n"
             for f in text.split("func.func ")[1:]]
    keep = [f for f in funcs if re.search(r"attn\.(gated_)?linear_attention", f)
            and not f.startswith("func.func @gla")]
    return "".join(f.replace("func.func @", "func.func @cpasync_", 1) for f in keep)


def compile_to(tool, src, folder, target, flags=()):
    os.makedirs(folder, exist_ok=True)
    subprocess.run([tool, src, f"--target={target}", *flags, "-o", folder],
                   check=True, stdout=subprocess.DEVNULL)


# --ab: the bench functions each opt-in flag changes, and its extra flags.
AB_VARIANTS = {
    "wgmma": (("softmax_",), []),
    "split-delta": (("delta_", "gated_delta_"), ["--chunk-size=64"]),
    "split-vector-gate": (("gla_",), []),
}


def ab_variant(text, flag):
    """The functions of `text` that `flag` changes, renamed FLAG_*."""
    prefixes, _ = AB_VARIANTS[flag]
    tag = flag.replace("-", "")
    funcs = ["func.func " + f.split("\n}\n")[0] + "\n}\n"
             for f in text.split("func.func ")[1:]]
    keep = [f for f in funcs if f[len("func.func @"):].startswith(prefixes)]
    return "".join(f.replace("func.func @", f"func.func @{tag}_", 1) for f in keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--target", default="sm_90")
    ap.add_argument("--out", default=os.path.join(ROOT, "build-gpu-kernels"))
    ap.add_argument("--softmax-ab", action="store_true",
                    help="also the softmax bench kernels with --wgmma")
    ap.add_argument("--gla-split", action="store_true",
                    help="GLA in the split form everywhere (--split-vector-gate); "
                         "ptx-gla-split.mlir always takes it")
    ap.add_argument("--linear-ab", action="store_true",
                    help="also the split form's kernels with --split-cp-async")
    ap.add_argument("--ab", action="append", default=[], choices=sorted(AB_VARIANTS),
                    help="also the bench kernels compiled with --FLAG (named FLAG_*)")
    a = ap.parse_args()
    tool = os.path.join(a.build, "bin", "attn-gpu-compile")
    if not os.path.exists(tool):
        sys.exit(f"{tool} not found: build attn first (cmake --build {a.build})")
    for src in ("test/Integration/GPU/ptx-every-op.mlir", "test/Integration/GPU/ptx-softmax.mlir",
                "test/Integration/GPU/ptx-gla-split.mlir", "test/Integration/GPU/ptx-linear-split.mlir",
                "docs/examples/gpu-ops.mlir"):
        split = a.gla_split or src.endswith("ptx-gla-split.mlir")
        compile_to(tool, os.path.join(ROOT, src), os.path.join(a.out, "check"), a.target,
                   ["--split-vector-gate"] if split else [])
    # The softmax kernels on warpgroup MMA, renamed wg_*.
    wg_src = os.path.join(a.out, "check-wgmma.mlir")
    with open(wg_src, "w") as f:
        f.write(open(os.path.join(ROOT, "test/Integration/GPU/ptx-softmax.mlir")).read()
                .replace("func.func @", "func.func @wg_"))
    compile_to(tool, wg_src, os.path.join(a.out, "check"), a.target, ["--wgmma"])
    # The delta rule's split form, at the chunk it needs (its RUN line's flags).
    compile_to(tool, os.path.join(ROOT, "test/Integration/GPU/ptx-delta-split.mlir"),
               os.path.join(a.out, "check"), a.target,
               ["--split-delta", "--chunk-size=64"])
    bench_src = os.path.join(a.out, "bench.mlir")
    with open(bench_src, "w") as f:
        f.write(bench_module())
    compile_to(tool, bench_src, os.path.join(a.out, "bench"), a.target,
               ["--split-vector-gate"] if a.gla_split else [])
    if a.softmax_ab:
        ab_src = os.path.join(a.out, "bench-wgmma.mlir")
        funcs = ["func.func " + f for f in bench_module().split("func.func ")[1:]
                 if "attn.softmax_attention" in f]
        with open(ab_src, "w") as f:
            f.write("".join(fn.replace("@softmax_", "@wgmma_softmax_")
                            for fn in funcs))
        compile_to(tool, ab_src, os.path.join(a.out, "bench"), a.target,
                   ["--wgmma"])
    if a.linear_ab:
        check = "".join(open(os.path.join(ROOT, src)).read() for src in LINEAR_SOURCES)
        ab = {"check": check, "bench": bench_module()}
        for sub, text in ab.items():
            ab_src = os.path.join(a.out, f"{sub}-cpasync.mlir")
            with open(ab_src, "w") as f:
                f.write(cpasync_variant(text))
            compile_to(tool, ab_src, os.path.join(a.out, sub), a.target,
                       ["--split-cp-async"])
    for flag in a.ab:
        ab_src = os.path.join(a.out, f"bench-{flag}.mlir")
        with open(ab_src, "w") as f:
            f.write(ab_variant(bench_module(), flag))
        compile_to(tool, ab_src, os.path.join(a.out, "bench"), a.target,
                   [f"--{flag}", *AB_VARIANTS[flag][1]])
    for sub in ("check", "bench"):
        n = len([x for x in os.listdir(os.path.join(a.out, sub)) if x.endswith(".json")])
        print(f"{os.path.join(a.out, sub)}: {n} kernels")


if __name__ == "__main__":
    main()
