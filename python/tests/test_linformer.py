"""Linformer-style low-rank attention composes with the attn ops: the
example docs/examples/linformer.mlir projects K and V along T with
linalg.matmul (E, F [P, T]) and runs attn.softmax_attention over the P
projected positions. Compiled as written, it matches numpy's projection
followed by the float64 softmax reference."""
import os

import numpy as np

import attn
import reference as ref

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                       "examples", "linformer.mlir")


def test_linformer_example(rng):
    with open(EXAMPLE) as f:
        kernel = attn.compile(f.read())
    T, H, D, P = 256, 4, 32, 64
    q, k, v = (rng.uniform(-1, 1, (1, T, H, D)).astype(np.float32)
               for _ in range(3))
    e, f = ((rng.uniform(-1, 1, (P, T)) / np.sqrt(T)).astype(np.float32)
            for _ in range(2))
    o = kernel(q, k, v, e, f)
    kp = np.einsum("pt,bthd->bphd", e.astype(np.float64), k)
    vp = np.einsum("pt,bthd->bphd", f.astype(np.float64), v)
    expected = ref.softmax_attention(q, kp, vp, causal=False)
    assert o.shape == (1, T, H, D)
    assert ref.rel_err(o, expected) < 1e-4
