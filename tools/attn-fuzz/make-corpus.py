#!/usr/bin/env python3
"""Writes the attn-fuzz seed corpus: one file per test case of the lit tests.

Every .mlir file under the given directories is cut at `// -----` separators
(attn-opt -split-input-file) and at `//--- name` headers (split-file). Comment
lines (RUN, CHECK, expected-error, ...) are dropped: libFuzzer's mutations work
best on short inputs. A piece longer than --max-bytes that holds several
top-level functions is cut once more, one function per seed. Identical pieces
are written once. Every seed with an attn op also gets a variant with an
`// attn-fuzz: ...` line, the pass options attn-fuzz reads (cycling through
forms, targets, chunk sizes and explain).

    tools/attn-fuzz/make-corpus.py --out DIR test docs/examples
"""
import argparse
import hashlib
import os
import re
import sys


def pieces(text):
    """The test cases of one lit file."""
    current = []
    for line in text.splitlines():
        if re.match(r"^\s*//\s*-----\s*$", line) or line.startswith("//--- "):
            yield "\n".join(current)
            current = []
            continue
        if line.lstrip().startswith("//"):
            continue
        current.append(line)
    yield "\n".join(current)


def functions(text):
    """Top-level func.func definitions of a module written without `module`."""
    out, current = [], []
    for line in text.splitlines():
        if line.startswith("func.func") and current:
            out.append("\n".join(current))
            current = []
        current.append(line)
    out.append("\n".join(current))
    return out


# Pass options for the seed variants (see Knobs in attn-fuzz.cpp).
KNOBS = [
    "form=chunkwise chunk-size=16 explain",
    "form=recurrent target=x86-avx2 no-parallelize",
    "form=quadratic target=sm_80 parallelize",
    "form=reassociated target=sm_90",
    "chunk-size=7 explain parallelize",
    "form=chunkwise chunk-size=1000000 target=sm_90",
    "target=tpu",
    "form=blocked chunk-size=-3",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="corpus directory to write")
    ap.add_argument("--max-bytes", type=int, default=4096)
    ap.add_argument("roots", nargs="+", help="directories (or files) to read")
    args = ap.parse_args()

    files = []  # (path, name relative to the root's parent)
    for root in args.roots:
        base = os.path.dirname(os.path.abspath(root))
        if os.path.isfile(root):
            files.append((root, os.path.relpath(root, base)))
            continue
        for d, _, names in os.walk(root):
            files += [(os.path.join(d, n), os.path.relpath(os.path.join(d, n), base))
                      for n in names if n.endswith(".mlir")]
    os.makedirs(args.out, exist_ok=True)
    for old in os.listdir(args.out):
        if old.endswith(".mlir"):
            os.remove(os.path.join(args.out, old))

    seen, written = set(), 0
    for path, rel in sorted(files):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        stem = re.sub(r"[^A-Za-z0-9]+", "-", os.path.splitext(rel)[0])
        stem = stem.strip("-")[-60:]
        seeds = []
        for piece in pieces(text):
            piece = re.sub(r"\n{3,}", "\n\n", piece).strip()
            if not piece:
                continue
            if len(piece) > args.max_bytes and piece.count("\nfunc.func") >= 1:
                seeds += [p.strip() for p in functions(piece) if p.strip()]
            else:
                seeds.append(piece)
        for i, seed in enumerate(seeds):
            variants = [("", seed)]
            if "attn." in seed:
                knobs = KNOBS[(len(seen) + i) % len(KNOBS)]
                variants.append(("-knobs", f"// attn-fuzz: {knobs}\n{seed}"))
            for suffix, text in variants:
                data = (text + "\n").encode()
                digest = hashlib.sha1(data).hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                name = f"{stem}-{i}{suffix}.mlir"
                with open(os.path.join(args.out, name), "wb") as f:
                    f.write(data)
                written += 1
    print(f"make-corpus: {written} seeds from {len(files)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
