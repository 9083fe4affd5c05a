"""Every op, through several forms and shapes, against the numpy float64
reference in reference.py."""
import numpy as np
import pytest

import attn
import reference as ref

try:
    import ml_dtypes
    BF16 = ml_dtypes.bfloat16
except ImportError:  # pragma: no cover
    BF16 = None

SHAPES = [  # (B, T, H, Dk, Dv)
    (1, 1, 2, 16, 16),
    (2, 7, 2, 16, 8),
    (1, 100, 2, 32, 32),
    (1, 64, 1, 64, 64),
]
LINEAR_FORMS = ["auto", "recurrent", "quadratic", "chunkwise"]
TOL = {np.float32: 1e-4, np.float16: 2e-3, BF16: 1e-2}


def qkv(rng, B, T, H, Dk, Dv, dtype=np.float32, normalize_k=False):
    q = rng.uniform(-1, 1, (B, T, H, Dk))
    k = rng.uniform(-1, 1, (B, T, H, Dk))
    if normalize_k:
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
    v = rng.uniform(-1, 1, (B, T, H, Dv))
    return [x.astype(dtype) for x in (q, k, v)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("form", ["auto", "quadratic", "chunkwise"])
def test_softmax(rng, shape, causal, form):
    q, k, v = qkv(rng, *shape)
    o = attn.softmax_attention(q, k, v, causal=causal, form=form)
    assert o.shape == shape[:3] + (shape[4],) and o.dtype == np.float32
    assert ref.rel_err(o, ref.softmax_attention(q, k, v, causal)) < 1e-4


def test_softmax_decode_tq_lt_tk(rng):
    q, _, _ = qkv(rng, 1, 3, 2, 32, 32)
    _, k, v = qkv(rng, 1, 50, 2, 32, 32)
    o = attn.softmax_attention(q, k, v, scale=0.3)
    assert ref.rel_err(o, ref.softmax_attention(q, k, v, True, 0.3)) < 1e-4


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("form", LINEAR_FORMS)
@pytest.mark.parametrize("feature_map,normalize",
                         [("identity", False), ("elu+1", True), ("relu", False)])
def test_linear(rng, shape, form, feature_map, normalize):
    q, k, v = qkv(rng, *shape)
    B, T, H, Dk, Dv = shape
    s0 = rng.uniform(-1, 1, (B, H, Dk, Dv)).astype(np.float32)
    o, s = attn.linear_attention(q, k, v, feature_map=feature_map,
                                 normalize=normalize, initial_state=s0,
                                 output_final_state=True, form=form)
    ro, rs = ref.linear_attention(q, k, v, True, None, feature_map, normalize,
                                  s0)
    assert ref.rel_err(o, ro) < 1e-4 and ref.rel_err(s, rs) < 1e-4


@pytest.mark.parametrize("form", ["auto", "quadratic", "reassociated"])
def test_linear_noncausal(rng, form):
    q, k, v = qkv(rng, 2, 33, 2, 16, 8)
    o = attn.linear_attention(q, k, v, causal=False, feature_map="elu+1",
                              normalize=True, form=form)
    ro, _ = ref.linear_attention(q, k, v, False, None, "elu+1", True)
    assert ref.rel_err(o, ro) < 1e-4


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("form", LINEAR_FORMS)
@pytest.mark.parametrize("vector", [False, True])
@pytest.mark.parametrize("strength", [0.1, 6.0])
def test_gated(rng, shape, form, vector, strength):
    q, k, v = qkv(rng, *shape)
    B, T, H, Dk, Dv = shape
    g = -rng.uniform(0, strength, (B, T, H, Dk) if vector else (B, T, H))
    g = g.astype(np.float32)
    s0 = rng.uniform(-1, 1, (B, H, Dk, Dv)).astype(np.float32)
    o, s = attn.gated_linear_attention(q, k, v, g, initial_state=s0,
                                       output_final_state=True, form=form)
    ro, rs = ref.gated_linear_attention(q, k, v, g, None, s0)
    assert ref.rel_err(o, ro) < 1e-4 and ref.rel_err(s, rs) < 1e-4


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("form", LINEAR_FORMS)
@pytest.mark.parametrize("gated", [False, True])
def test_delta(rng, shape, form, gated):
    q, k, v = qkv(rng, *shape, normalize_k=True)
    B, T, H, Dk, Dv = shape
    beta = rng.uniform(0, 1, (B, T, H)).astype(np.float32)
    g = (-rng.uniform(0, 1, (B, T, H))).astype(np.float32) if gated else None
    s0 = rng.uniform(-1, 1, (B, H, Dk, Dv)).astype(np.float32)
    o, s = attn.delta_rule(q, k, v, beta, g=g, initial_state=s0,
                           output_final_state=True, form=form, scale=0.5)
    ro, rs = ref.delta_rule(q, k, v, beta, g, 0.5, s0)
    assert ref.rel_err(o, ro) < 1e-4 and ref.rel_err(s, rs) < 1e-4


@pytest.mark.parametrize("chunk_size", [16, 32, 64, 128])
def test_chunk_sizes(rng, chunk_size):
    q, k, v = qkv(rng, 1, 100, 2, 16, 16, normalize_k=True)
    beta = rng.uniform(0, 1, (1, 100, 2)).astype(np.float32)
    o = attn.delta_rule(q, k, v, beta, chunk_size=chunk_size)
    ro, _ = ref.delta_rule(q, k, v, beta)
    assert ref.rel_err(o, ro) < 1e-4


@pytest.mark.parametrize("dtype", [np.float16] + ([BF16] if BF16 else []))
def test_half_precision(rng, dtype):
    q, k, v = qkv(rng, 1, 100, 2, 64, 64, dtype=dtype)
    o = attn.linear_attention(q, k, v)
    assert o.dtype == np.dtype(dtype)
    ro, _ = ref.linear_attention(q, k, v)
    assert ref.rel_err(o, ro) < TOL[dtype]
    g = (-rng.uniform(0, 0.5, (1, 100, 2))).astype(np.float32)
    o = attn.gated_linear_attention(q, k, v, g)
    ro, _ = ref.gated_linear_attention(q, k, v, g)
    assert ref.rel_err(o, ro) < TOL[dtype]
    o = attn.softmax_attention(q, k, v)
    assert ref.rel_err(o, ref.softmax_attention(q, k, v)) < TOL[dtype]


def test_explain(rng):
    q, k, v = qkv(rng, 1, 4096, 8, 64, 64)
    beta = np.ones((1, 4096, 8), np.float32)
    text = attn.explain(attn.delta_rule, q, k, v, beta)
    assert "attn-select-form on x86-avx512" in text
    assert "chosen: chunkwise" in text and "recurrent" in text
    assert "attn-select-chunk" in text
    assert "chosen: recurrent (forced" in attn.explain(
        "delta_rule", q, k, v, beta, form="recurrent")
