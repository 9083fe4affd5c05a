"""FAVOR+ (Performer) linear attention: feature_map='favor+' with the
random projection W [m, Dk] as `projection=`, phi(x) = exp(W x - |x|^2 / 2)
/ sqrt(m), against the numpy float64 reference, in every form, with m
smaller and larger than Dk, grouped heads, states [B, H, m, Dv], packed
sequences and bf16."""
import numpy as np
import pytest

import attn
import reference as ref

F32 = np.float32
TOL = 1e-4
CAUSAL_FORMS = [("recurrent", None), ("quadratic", None), ("chunkwise", 16),
                ("auto", None)]


def uniform(rng, *shape):
    return rng.uniform(-1, 1, shape).astype(F32)


def qkv(rng, B, T, Hq, Hkv, Dk, Dv):
    return (uniform(rng, B, T, Hq, Dk), uniform(rng, B, T, Hkv, Dk),
            uniform(rng, B, T, Hkv, Dv))


def projection(rng, m, Dk):
    return rng.standard_normal((m, Dk)).astype(F32)


@pytest.mark.parametrize("form,chunk_size", CAUSAL_FORMS)
@pytest.mark.parametrize("Hq,Hkv", [(2, 2), (8, 1)])
@pytest.mark.parametrize("m", [8, 48])
@pytest.mark.parametrize("normalize", [True, False])
def test_causal(rng, form, chunk_size, Hq, Hkv, m, normalize):
    q, k, v = qkv(rng, 2, 45, Hq, Hkv, 16, 8)
    w = projection(rng, m, 16)
    s0 = uniform(rng, 2, Hq, m, 8)
    o, s = attn.linear_attention(q, k, v, feature_map="favor+", projection=w,
                                 normalize=normalize, initial_state=s0,
                                 output_final_state=True, form=form,
                                 chunk_size=chunk_size)
    ro, rs = ref.linear_attention(q, k, v, feature_map="favor", projection=w,
                                  normalize=normalize, initial_state=s0)
    assert o.shape == (2, 45, Hq, 8) and s.shape == (2, Hq, m, 8)
    assert ref.rel_err(o, ro) < TOL
    assert ref.rel_err(s, rs) < TOL


@pytest.mark.parametrize("form", ["auto", "quadratic", "reassociated"])
def test_noncausal(rng, form):
    q, k, v = qkv(rng, 1, 60, 4, 2, 16, 8)
    w = projection(rng, 32, 16)
    o = attn.linear_attention(q, k, v, causal=False, feature_map="favor",
                              projection=w, normalize=True, form=form)
    ro, _ = ref.linear_attention(q, k, v, causal=False, feature_map="favor",
                                 projection=w, normalize=True)
    assert ref.rel_err(o, ro) < TOL


def test_packed(rng):
    cu = [0, 9, 10, 40, 61]
    q, k, v = qkv(rng, 1, 61, 8, 1, 16, 8)
    w = projection(rng, 24, 16)
    s0 = uniform(rng, 4, 8, 24, 8)
    o, s = attn.linear_attention(q, k, v, feature_map="favor+", projection=w,
                                 normalize=True, initial_state=s0,
                                 output_final_state=True, cu_seqlens=cu,
                                 chunk_size=16)
    ro, rs = ref.packed(ref.linear_attention, cu, [q, k, v], initial_state=s0,
                        feature_map="favor", projection=w, normalize=True)
    assert s.shape == (4, 8, 24, 8)
    assert ref.rel_err(o, ro) < TOL and ref.rel_err(s, rs) < TOL


def test_bf16(rng):
    bf16 = pytest.importorskip("ml_dtypes").bfloat16
    q, k, v = (x.astype(bf16) for x in qkv(rng, 1, 50, 2, 2, 16, 8))
    w = projection(rng, 32, 16)
    for wt in (w, w.astype(bf16)):
        o = attn.linear_attention(q, k, v, feature_map="favor+",
                                  projection=wt, normalize=True)
        ro, _ = ref.linear_attention(q, k, v, feature_map="favor",
                                     projection=wt, normalize=True)
        assert o.dtype == bf16 and ref.rel_err(o.astype(F32), ro) < 1e-2


def test_approximates_softmax():
    """What FAVOR+ is for: with q, k scaled by Dk^-1/4, many random features
    and normalization, it approximates non-causal softmax attention."""
    rng = np.random.default_rng(0)
    T, Dk = 64, 16
    q, k, v = (rng.uniform(-1, 1, (1, T, 2, d)) for d in (Dk, Dk, 8))
    w = rng.standard_normal((4096, Dk)).astype(F32)
    s = Dk ** -0.25
    o = attn.linear_attention((q * s).astype(F32), (k * s).astype(F32),
                              v.astype(F32), causal=False,
                              feature_map="favor+", projection=w,
                              normalize=True)
    exact = ref.softmax_attention(q, k, v, causal=False)
    assert ref.rel_err(o, exact) < 0.15


@pytest.mark.parametrize("bad,exc,msg", [
    (lambda q, k, v, w: attn.linear_attention(q, k, v, feature_map="favor+"),
     ValueError, r"feature_map='favor\+' needs projection=W \[m, Dk\]"),
    (lambda q, k, v, w: attn.linear_attention(q, k, v, projection=w),
     ValueError, r"'projection' is used only by feature_map='favor\+'"),
    (lambda q, k, v, w: attn.linear_attention(q, k, v, feature_map="favor+",
                                              projection=w[0]),
     ValueError, r"'projection' must have rank 2 \[m, Dk\]"),
    (lambda q, k, v, w: attn.linear_attention(q, k, v, feature_map="favor+",
                                              projection=w[:, :8].copy()),
     attn.CompileError,
     r"key head dim \(Dk\) mismatch: 'projection' has 8 but 'q' has 16"),
    (lambda q, k, v, w: attn.linear_attention(q, k, v, feature_map="favor+",
                                              projection=w.astype(np.float16)),
     TypeError, "'projection' has element type f16; expected f32"),
    (lambda q, k, v, w: attn.linear_attention(
        q, k, v, feature_map="favor+", projection=w,
        initial_state=np.zeros((1, 2, 16, 8), F32)),
     attn.CompileError,
     r"'initial_state' must have shape \[B, H, Dk, Dv\] = \[1, 2, 32, 8\]"),
])
def test_bad_arguments(rng, bad, exc, msg):
    q, k, v = qkv(rng, 1, 8, 2, 2, 16, 8)
    with pytest.raises(exc, match=msg):
        bad(q, k, v, projection(rng, 32, 16))
