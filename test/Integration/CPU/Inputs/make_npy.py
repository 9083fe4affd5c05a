#!/usr/bin/env python3
"""Writes a float32 (or int32) .npy file for attn-run --input, with the standard library
only (no numpy needed by the tests).

    make_npy.py OUT.npy SHAPE SPEC

SHAPE is comma-separated (1,64,2,16). SPEC is one of
    uniform:LO:HI:SEED        seeded uniform values in [LO, HI)
    unit:SEED                 uniform in [-1, 1), each last-dim row L2-normalized
                              (the delta rule's keys)
    const:X                   every element X (inf, -inf allowed)
    spiky:X:EVERY:LO:HI:SEED  uniform in [LO, HI), except every EVERY-th time
                              step (dimension 1) is X (a strong decay among
                              weak ones)
    int32:A,B,...             these int32 values (packed-sequence offsets,
                              cu_seqlens); SHAPE must hold as many
"""
import math
import random
import struct
import sys


def main():
    out, shape_text, spec = sys.argv[1:4]
    shape = [int(d) for d in shape_text.split(",")]
    n = math.prod(shape)
    inner = math.prod(shape[2:]) if len(shape) > 2 else 1
    kind, *args = spec.split(":")
    descr, fmt = "<f4", "f"
    if kind == "int32":
        values = [int(x) for x in args[0].split(",")]
        if len(values) != n:
            sys.exit(f"make_npy.py: {len(values)} values for shape {shape}")
        descr, fmt = "<i4", "i"
    elif kind == "const":
        values = [float(args[0])] * n
    elif kind in ("uniform", "spiky", "unit"):
        if kind == "uniform":
            lo, hi, seed = float(args[0]), float(args[1]), int(args[2])
        elif kind == "unit":
            lo, hi, seed = -1.0, 1.0, int(args[0])
        else:
            lo, hi, seed = float(args[2]), float(args[3]), int(args[4])
        rng = random.Random(seed)
        values = [rng.uniform(lo, hi) for _ in range(n)]
        if kind == "spiky":
            x, every = float(args[0]), int(args[1])
            for i in range(n):
                if (i // inner) % shape[1] % every == 0:
                    values[i] = x
        if kind == "unit":
            d = shape[-1]
            for r in range(0, n, d):
                norm = math.sqrt(sum(v * v for v in values[r:r + d])) + 1e-6
                values[r:r + d] = [v / norm for v in values[r:r + d]]
    else:
        sys.exit(f"make_npy.py: unknown spec '{spec}'")

    dims = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        descr, dims)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack(f"<{n}{fmt}", *values))


if __name__ == "__main__":
    main()
