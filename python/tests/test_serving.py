"""Serving features: grouped-query attention (GQA) for every op, decode steps
(softmax against a long KV cache, the linear family's one-step state update
chained over many steps) and sliding-window softmax attention, each against
the numpy float64 reference in reference.py."""
import numpy as np
import pytest

import attn
import reference as ref

F32 = np.float32
TOL = 1e-4

# (Hq, Hkv): plain multi-head, groups of 2, multi-query (G = Hq = 8) and
# groups of 8 with two key/value heads.
HEADS = [(2, 2), (4, 2), (8, 1), (16, 2)]
LINEAR_FORMS = ["recurrent", "quadratic", "chunkwise"]
# (form, chunk_size) for softmax: the masked quadratic form and the tiled
# online-softmax form with two block sizes.
SOFTMAX_FORMS = [("auto", None), ("quadratic", None), ("chunkwise", 16),
                 ("chunkwise", 32)]


def hid(heads):
    return f"Hq{heads[0]}-Hkv{heads[1]}"


def uniform(rng, *shape):
    return rng.uniform(-1, 1, shape).astype(F32)


def gqa_inputs(rng, B, T, Hq, Hkv, Dk, Dv, normalize_k=False, Tk=None):
    """q [B, T, Hq, Dk]; k, v [B, Tk, Hkv, D] (Tk = T unless given)."""
    Tk = T if Tk is None else Tk
    q = uniform(rng, B, T, Hq, Dk)
    k = rng.uniform(-1, 1, (B, Tk, Hkv, Dk))
    if normalize_k:
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
    v = uniform(rng, B, Tk, Hkv, Dv)
    return q, k.astype(F32), v


def beta_of(rng, *shape):
    return rng.uniform(0, 1, shape).astype(F32)


def gate_of(rng, *shape, strength=0.5):
    return (-rng.uniform(0, strength, shape)).astype(F32)


def state_of(rng, B, H, Dk, Dv):
    return uniform(rng, B, H, Dk, Dv)


#===----------------------------------------------------------------------===#
# Grouped-query attention
#===----------------------------------------------------------------------===#


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("form,chunk_size", SOFTMAX_FORMS)
def test_gqa_softmax(rng, heads, causal, form, chunk_size):
    Hq, Hkv = heads
    q, k, v = gqa_inputs(rng, 2, 37, Hq, Hkv, 16, 8)
    o = attn.softmax_attention(q, k, v, causal=causal, form=form,
                               chunk_size=chunk_size)
    assert o.shape == (2, 37, Hq, 8) and o.dtype == F32
    assert ref.rel_err(o, ref.softmax_attention(q, k, v, causal)) < TOL


@pytest.mark.parametrize("heads", HEADS, ids=hid)
def test_gqa_softmax_tq_lt_tk(rng, heads):
    Hq, Hkv = heads
    q, _, _ = gqa_inputs(rng, 1, 5, Hq, Hkv, 32, 16)
    _, k, v = gqa_inputs(rng, 1, 70, Hq, Hkv, 32, 16)
    o = attn.softmax_attention(q, k, v, scale=0.3)
    assert o.shape == (1, 5, Hq, 16)
    assert ref.rel_err(o, ref.softmax_attention(q, k, v, True, 0.3)) < TOL


def test_gqa_reference_is_repeat(rng):
    # The reference's own GQA: grouped k/v equal k/v repeated per group.
    q, k, v = gqa_inputs(rng, 1, 9, 8, 2, 8, 8)
    kr, vr = np.repeat(k, 4, axis=2), np.repeat(v, 4, axis=2)
    assert ref.rel_err(ref.softmax_attention(q, k, v),
                       ref.softmax_attention(q, kr, vr)) < 1e-12
    o = attn.softmax_attention(q, k, v)
    assert ref.rel_err(o, ref.softmax_attention(q, kr, vr)) < TOL


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("form", LINEAR_FORMS)
@pytest.mark.parametrize("feature_map,normalize",
                         [("identity", False), ("elu+1", True)])
def test_gqa_linear(rng, heads, form, feature_map, normalize):
    Hq, Hkv = heads
    B, T, Dk, Dv = 2, 37, 16, 8
    q, k, v = gqa_inputs(rng, B, T, Hq, Hkv, Dk, Dv)
    s0 = state_of(rng, B, Hq, Dk, Dv)
    o, s = attn.linear_attention(q, k, v, feature_map=feature_map,
                                 normalize=normalize, initial_state=s0,
                                 output_final_state=True, form=form)
    assert o.shape == (B, T, Hq, Dv) and s.shape == (B, Hq, Dk, Dv)
    ro, rs = ref.linear_attention(q, k, v, True, None, feature_map, normalize,
                                  s0)
    assert ref.rel_err(o, ro) < TOL and ref.rel_err(s, rs) < TOL


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("form", ["auto", "quadratic", "reassociated"])
def test_gqa_linear_noncausal(rng, heads, form):
    Hq, Hkv = heads
    q, k, v = gqa_inputs(rng, 2, 33, Hq, Hkv, 16, 8)
    o = attn.linear_attention(q, k, v, causal=False, feature_map="elu+1",
                              normalize=True, form=form)
    ro, _ = ref.linear_attention(q, k, v, False, None, "elu+1", True)
    assert ref.rel_err(o, ro) < TOL


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("form", LINEAR_FORMS)
@pytest.mark.parametrize("vector", [False, True])
def test_gqa_gated(rng, heads, form, vector):
    Hq, Hkv = heads
    B, T, Dk, Dv = 2, 37, 16, 8
    q, k, v = gqa_inputs(rng, B, T, Hq, Hkv, Dk, Dv)
    # Gates are per query head.
    g = gate_of(rng, *((B, T, Hq, Dk) if vector else (B, T, Hq)))
    s0 = state_of(rng, B, Hq, Dk, Dv)
    o, s = attn.gated_linear_attention(q, k, v, g, initial_state=s0,
                                       output_final_state=True, form=form)
    assert o.shape == (B, T, Hq, Dv) and s.shape == (B, Hq, Dk, Dv)
    ro, rs = ref.gated_linear_attention(q, k, v, g, None, s0)
    assert ref.rel_err(o, ro) < TOL and ref.rel_err(s, rs) < TOL


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("form", LINEAR_FORMS)
@pytest.mark.parametrize("gated", [False, True])
def test_gqa_delta(rng, heads, form, gated):
    Hq, Hkv = heads
    B, T, Dk, Dv = 2, 37, 16, 8
    q, k, v = gqa_inputs(rng, B, T, Hq, Hkv, Dk, Dv, normalize_k=True)
    # beta and g are per query head: two query heads sharing a key/value
    # head still write different states.
    beta = beta_of(rng, B, T, Hq)
    g = gate_of(rng, B, T, Hq) if gated else None
    s0 = state_of(rng, B, Hq, Dk, Dv)
    o, s = attn.delta_rule(q, k, v, beta, g=g, initial_state=s0,
                           output_final_state=True, form=form, scale=0.5)
    assert o.shape == (B, T, Hq, Dv) and s.shape == (B, Hq, Dk, Dv)
    ro, rs = ref.delta_rule(q, k, v, beta, g, 0.5, s0)
    assert ref.rel_err(o, ro) < TOL and ref.rel_err(s, rs) < TOL


@pytest.mark.parametrize("chunk_size", [16, 32, 64])
def test_gqa_chunk_sizes(rng, chunk_size):
    q, k, v = gqa_inputs(rng, 1, 100, 8, 2, 16, 16, normalize_k=True)
    beta = beta_of(rng, 1, 100, 8)
    g = gate_of(rng, 1, 100, 8)
    o = attn.delta_rule(q, k, v, beta, g=g, chunk_size=chunk_size)
    ro, _ = ref.delta_rule(q, k, v, beta, g)
    assert ref.rel_err(o, ro) < TOL
    o = attn.gated_linear_attention(q, k, v, g, chunk_size=chunk_size)
    ro, _ = ref.gated_linear_attention(q, k, v, g)
    assert ref.rel_err(o, ro) < TOL


def _call(op, q, k, v, B, T, Hq, Dk):
    if op == "softmax_attention":
        return attn.softmax_attention(q, k, v)
    if op == "linear_attention":
        return attn.linear_attention(q, k, v)
    if op == "gated_linear_attention":
        return attn.gated_linear_attention(q, k, v, gate_of(
            np.random.default_rng(0), B, T, Hq))
    return attn.delta_rule(q, k, v, beta_of(np.random.default_rng(0), B, T, Hq))


OPS = ["softmax_attention", "linear_attention", "gated_linear_attention",
       "delta_rule"]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("Hq,Hkv", [(3, 2), (2, 4), (4, 3)])
def test_gqa_invalid_ratio(rng, op, Hq, Hkv):
    # Hq must be a multiple of Hkv (attn.CompileError is a ValueError).
    q, k, v = gqa_inputs(rng, 1, 8, Hq, Hkv, 16, 16)
    with pytest.raises(ValueError):
        _call(op, q, k, v, 1, 8, Hq, 16)


@pytest.mark.parametrize("op", OPS)
def test_gqa_k_v_head_mismatch(rng, op):
    # k and v must have the same number of heads.
    q, k, _ = gqa_inputs(rng, 1, 8, 4, 2, 16, 16)
    v = uniform(rng, 1, 8, 1, 16)
    with pytest.raises(ValueError):
        _call(op, q, k, v, 1, 8, 4, 16)


@pytest.mark.parametrize("op", OPS[1:])
def test_gqa_per_query_head_operands(rng, op):
    # States, beta and gates have Hq heads, not Hkv.
    B, T, Hq, Hkv, D = 1, 8, 4, 2, 16
    q, k, v = gqa_inputs(rng, B, T, Hq, Hkv, D, D)
    kv_state = state_of(rng, B, Hkv, D, D)
    with pytest.raises(ValueError):
        if op == "linear_attention":
            attn.linear_attention(q, k, v, initial_state=kv_state)
        elif op == "gated_linear_attention":
            attn.gated_linear_attention(q, k, v, gate_of(rng, B, T, Hkv))
        else:
            attn.delta_rule(q, k, v, beta_of(rng, B, T, Hkv))


#===----------------------------------------------------------------------===#
# Decode
#===----------------------------------------------------------------------===#


@pytest.mark.parametrize("heads", [(4, 4), (8, 2), (8, 1)], ids=hid)
@pytest.mark.parametrize("window", [None, 64])
def test_decode_softmax_long_cache(rng, heads, window):
    # One new query (Tq = 1) against a KV cache of 512 positions; it sits at
    # the last position, so causal attention sees the whole cache (or the
    # last `window` positions).
    Hq, Hkv = heads
    q, _, _ = gqa_inputs(rng, 2, 1, Hq, Hkv, 64, 64)
    _, k, v = gqa_inputs(rng, 2, 512, Hq, Hkv, 64, 64)
    o = attn.softmax_attention(q, k, v, window=window)
    assert o.shape == (2, 1, Hq, 64)
    assert ref.rel_err(o, ref.softmax_attention(q, k, v, window=window)) < TOL
    if window is None:
        # Causal or not makes no difference for the last position.
        assert ref.rel_err(o, ref.softmax_attention(q, k, v, False)) < TOL


@pytest.mark.parametrize("form,chunk_size", SOFTMAX_FORMS)
def test_decode_softmax_forms(rng, form, chunk_size):
    q, _, _ = gqa_inputs(rng, 1, 1, 8, 2, 32, 32)
    _, k, v = gqa_inputs(rng, 1, 512, 8, 2, 32, 32)
    o = attn.softmax_attention(q, k, v, form=form, chunk_size=chunk_size)
    assert ref.rel_err(o, ref.softmax_attention(q, k, v)) < TOL


STEPS = 16


def _one_step_chain(step, T, s0):
    """Runs `step(t, state) -> (o_t, state)` for t < T from s0; returns the
    outputs concatenated on the time axis and the last state."""
    outs, s = [], s0
    for t in range(T):
        o, s = step(t, s)
        assert o.shape[1] == 1
        outs.append(o)
    return np.concatenate(outs, axis=1), s


def _check_chain(chain_o, chain_s, full_o, full_s, ro, rs):
    # Step by step equals one call over all steps, and both equal the
    # reference.
    assert ref.rel_err(chain_o, full_o) < TOL
    assert ref.rel_err(chain_s, full_s) < TOL
    assert ref.rel_err(chain_o, ro) < TOL and ref.rel_err(chain_s, rs) < TOL
    assert ref.rel_err(full_o, ro) < TOL and ref.rel_err(full_s, rs) < TOL


@pytest.mark.parametrize("heads", [(2, 2), (8, 1)], ids=hid)
def test_decode_linear_chain(rng, heads):
    Hq, Hkv = heads
    B, Dk, Dv = 2, 32, 16
    q, k, v = gqa_inputs(rng, B, STEPS, Hq, Hkv, Dk, Dv)
    s0 = state_of(rng, B, Hq, Dk, Dv)

    def step(t, s):
        sl = slice(t, t + 1)
        return attn.linear_attention(
            q[:, sl].copy(), k[:, sl].copy(), v[:, sl].copy(),
            initial_state=s, output_final_state=True)

    chain_o, chain_s = _one_step_chain(step, STEPS, s0)
    full_o, full_s = attn.linear_attention(q, k, v, initial_state=s0,
                                           output_final_state=True)
    ro, rs = ref.linear_attention(q, k, v, initial_state=s0)
    assert chain_o.shape == (B, STEPS, Hq, Dv)
    assert chain_s.shape == (B, Hq, Dk, Dv) and chain_s.dtype == F32
    _check_chain(chain_o, chain_s, full_o, full_s, ro, rs)


@pytest.mark.parametrize("heads", [(2, 2), (8, 1)], ids=hid)
def test_decode_gated_chain(rng, heads):
    Hq, Hkv = heads
    B, Dk, Dv = 2, 32, 16
    q, k, v = gqa_inputs(rng, B, STEPS, Hq, Hkv, Dk, Dv)
    g = gate_of(rng, B, STEPS, Hq)  # scalar gate
    s0 = state_of(rng, B, Hq, Dk, Dv)

    def step(t, s):
        sl = slice(t, t + 1)
        return attn.gated_linear_attention(
            q[:, sl].copy(), k[:, sl].copy(), v[:, sl].copy(),
            g[:, sl].copy(), initial_state=s, output_final_state=True)

    chain_o, chain_s = _one_step_chain(step, STEPS, s0)
    full_o, full_s = attn.gated_linear_attention(q, k, v, g, initial_state=s0,
                                                 output_final_state=True)
    ro, rs = ref.gated_linear_attention(q, k, v, g, initial_state=s0)
    _check_chain(chain_o, chain_s, full_o, full_s, ro, rs)


@pytest.mark.parametrize("heads", [(2, 2), (8, 1)], ids=hid)
def test_decode_delta_chain(rng, heads):
    Hq, Hkv = heads
    B, Dk, Dv = 2, 32, 16
    q, k, v = gqa_inputs(rng, B, STEPS, Hq, Hkv, Dk, Dv, normalize_k=True)
    beta = beta_of(rng, B, STEPS, Hq)
    g = gate_of(rng, B, STEPS, Hq)
    s0 = state_of(rng, B, Hq, Dk, Dv)

    def step(t, s):
        sl = slice(t, t + 1)
        return attn.delta_rule(
            q[:, sl].copy(), k[:, sl].copy(), v[:, sl].copy(),
            beta[:, sl].copy(), g=g[:, sl].copy(), initial_state=s,
            output_final_state=True)

    chain_o, chain_s = _one_step_chain(step, STEPS, s0)
    full_o, full_s = attn.delta_rule(q, k, v, beta, g=g, initial_state=s0,
                                     output_final_state=True)
    ro, rs = ref.delta_rule(q, k, v, beta, g, initial_state=s0)
    _check_chain(chain_o, chain_s, full_o, full_s, ro, rs)


#===----------------------------------------------------------------------===#
# Sliding window
#===----------------------------------------------------------------------===#


@pytest.mark.parametrize("form,chunk_size", SOFTMAX_FORMS)
@pytest.mark.parametrize("window", [1, 2, 5, 16, 31, 33])
def test_window(rng, form, chunk_size, window):
    q, k, v = gqa_inputs(rng, 2, 64, 2, 2, 16, 16)
    o = attn.softmax_attention(q, k, v, window=window, form=form,
                               chunk_size=chunk_size)
    assert o.shape == (2, 64, 2, 16)
    assert ref.rel_err(o, ref.softmax_attention(q, k, v, window=window)) < TOL


@pytest.mark.parametrize("form,chunk_size", SOFTMAX_FORMS)
@pytest.mark.parametrize("window", [64, 65, 1000])
def test_window_at_least_t_is_no_window(rng, form, chunk_size, window):
    q, k, v = gqa_inputs(rng, 1, 64, 2, 2, 16, 16)
    o = attn.softmax_attention(q, k, v, window=window, form=form,
                               chunk_size=chunk_size)
    assert ref.rel_err(o, ref.softmax_attention(q, k, v)) < TOL
    o_none = attn.softmax_attention(q, k, v, window=None, form=form,
                                    chunk_size=chunk_size)
    assert ref.rel_err(o, o_none) < TOL


@pytest.mark.parametrize("form,chunk_size", SOFTMAX_FORMS)
def test_window_one_is_own_value(rng, form, chunk_size):
    # Each query sees only its own position: o_t = v_{t'}, t' = t + Tk - Tq.
    q, _, _ = gqa_inputs(rng, 1, 20, 4, 2, 16, 16)
    _, k, v = gqa_inputs(rng, 1, 50, 4, 2, 16, 16)
    o = attn.softmax_attention(q, k, v, window=1, form=form,
                               chunk_size=chunk_size)
    expected = np.repeat(v[:, 30:], 2, axis=2)
    assert ref.rel_err(o, expected) < TOL
    assert ref.rel_err(o, ref.softmax_attention(q, k, v, window=1)) < TOL


@pytest.mark.parametrize("form,chunk_size", SOFTMAX_FORMS)
@pytest.mark.parametrize("heads", [(2, 2), (8, 1)], ids=hid)
@pytest.mark.parametrize("Tq,Tk", [(20, 70), (1, 70), (16, 16), (37, 100)])
def test_window_16(rng, form, chunk_size, heads, Tq, Tk):
    Hq, Hkv = heads
    q, _, _ = gqa_inputs(rng, 1, Tq, Hq, Hkv, 32, 16)
    _, k, v = gqa_inputs(rng, 1, Tk, Hq, Hkv, 32, 16)
    o = attn.softmax_attention(q, k, v, window=16, scale=0.3, form=form,
                               chunk_size=chunk_size)
    assert o.shape == (1, Tq, Hq, 16)
    r = ref.softmax_attention(q, k, v, True, 0.3, window=16)
    assert ref.rel_err(o, r) < TOL
    if Tk > 16:
        # The window matters: it differs from full causal attention.
        assert ref.rel_err(r, ref.softmax_attention(q, k, v, True, 0.3)) > 1e-3


@pytest.mark.parametrize("window", [0, -1, -16, 2.0, 1.5, "4"])
def test_window_must_be_positive_int(rng, window):
    q, k, v = gqa_inputs(rng, 1, 8, 2, 2, 16, 16)
    with pytest.raises(ValueError, match="window"):
        attn.softmax_attention(q, k, v, window=window)


def test_window_needs_causal(rng):
    q, k, v = gqa_inputs(rng, 1, 8, 2, 2, 16, 16)
    with pytest.raises(ValueError, match="window"):
        attn.softmax_attention(q, k, v, causal=False, window=4)
    # No window is fine non-causal.
    o = attn.softmax_attention(q, k, v, causal=False, window=None)
    assert ref.rel_err(o, ref.softmax_attention(q, k, v, False)) < TOL
