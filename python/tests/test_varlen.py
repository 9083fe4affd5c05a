"""Packed sequences (variable length, `cu_seqlens=` as in fla and
FlashAttention) for every op, against the numpy float64 reference run on
each sequence separately (reference.packed), plus the boundary cases: length-1
and empty sequences, chunks that straddle sequence boundaries, windows
longer than T, Hq = Hkv and Hq = 8 Hkv, and the argument checks."""
import numpy as np
import pytest

import attn
import reference as ref

F32 = np.float32
TOL = 1e-4
HEADS = [(2, 2), (8, 1)]
LINEAR_FORMS = [("recurrent", None), ("quadratic", None), ("chunkwise", 16),
                ("auto", None)]
SOFTMAX_FORMS = [("auto", None), ("quadratic", None), ("chunkwise", 16)]
# A length-1 sequence, a chunk of 16 spanning [0, 10), [10, 11) and [11, 30),
# and a long last one.
CU = [0, 10, 11, 30, 77]


def hid(heads):
    return f"Hq{heads[0]}-Hkv{heads[1]}"


def uniform(rng, *shape):
    return rng.uniform(-1, 1, shape).astype(F32)


def inputs(rng, T, Hq, Hkv, Dk=16, Dv=8, unit_k=False):
    q = uniform(rng, 1, T, Hq, Dk)
    k = rng.uniform(-1, 1, (1, T, Hkv, Dk))
    if unit_k:
        k /= np.linalg.norm(k, axis=-1, keepdims=True)
    return q, k.astype(F32), uniform(rng, 1, T, Hkv, Dv)


def random_cu(rng, T, N):
    """N sequences, sorted offsets from 0 to T, one of them of length 1."""
    cuts = np.sort(rng.choice(np.arange(1, T - 1), N - 2, replace=False))
    lengths = list(np.diff(np.concatenate([[0], cuts, [T - 1]])))
    lengths.insert(int(rng.integers(N)), 1)
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)


def check(out, expected):
    """out: o or (o, final_state); expected: the reference's o or (o, S)
    (only o is compared when the op returned o alone)."""
    if isinstance(expected, tuple) and not isinstance(out, tuple):
        expected = expected[0]
    if isinstance(expected, tuple):
        assert len(out) == len(expected)
        for o, e in zip(out, expected):
            assert o.shape == e.shape
            assert ref.rel_err(o, e) < TOL
    else:
        assert out.shape == expected.shape
        assert ref.rel_err(out, expected) < TOL


#===----------------------------------------------------------------------===#
# Every op against the per-sequence reference
#===----------------------------------------------------------------------===#


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("form,chunk_size", SOFTMAX_FORMS)
@pytest.mark.parametrize("causal,window", [(True, None), (False, None),
                                           (True, 6), (True, 1000)])
def test_softmax(rng, heads, form, chunk_size, causal, window):
    q, k, v = inputs(rng, CU[-1], *heads)
    o = attn.softmax_attention(q, k, v, causal=causal, window=window,
                               cu_seqlens=np.array(CU, np.int32), form=form,
                               chunk_size=chunk_size)
    check(o, ref.packed(ref.softmax_attention, CU, [q, k, v], causal=causal,
                        window=window))


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("form,chunk_size", LINEAR_FORMS)
@pytest.mark.parametrize("feature_map,normalize",
                         [("identity", False), ("elu+1", True)])
def test_linear(rng, heads, form, chunk_size, feature_map, normalize):
    q, k, v = inputs(rng, CU[-1], *heads)
    s0 = uniform(rng, len(CU) - 1, heads[0], 16, 8)
    out = attn.linear_attention(
        q, k, v, feature_map=feature_map, normalize=normalize,
        initial_state=s0, output_final_state=True, cu_seqlens=CU, form=form,
        chunk_size=chunk_size)
    check(out, ref.packed(ref.linear_attention, CU, [q, k, v],
                          initial_state=s0, feature_map=feature_map,
                          normalize=normalize))


@pytest.mark.parametrize("form", ["auto", "quadratic", "reassociated"])
def test_linear_noncausal(rng, form):
    q, k, v = inputs(rng, CU[-1], 8, 1)
    o = attn.linear_attention(q, k, v, causal=False, feature_map="relu",
                              cu_seqlens=CU, form=form)
    check(o, ref.packed(ref.linear_attention, CU, [q, k, v], causal=False,
                        feature_map="relu"))


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("form,chunk_size", LINEAR_FORMS)
@pytest.mark.parametrize("vector", [False, True])
def test_gated(rng, heads, form, chunk_size, vector):
    q, k, v = inputs(rng, CU[-1], *heads)
    shape = (1, CU[-1], heads[0]) + ((16,) if vector else ())
    g = (-rng.uniform(0, 0.5, shape)).astype(F32)
    out = attn.gated_linear_attention(q, k, v, g, output_final_state=True,
                                      cu_seqlens=CU, form=form,
                                      chunk_size=chunk_size)
    check(out, ref.packed(ref.gated_linear_attention, CU, [q, k, v, g]))


@pytest.mark.parametrize("heads", HEADS, ids=hid)
@pytest.mark.parametrize("form,chunk_size", LINEAR_FORMS)
@pytest.mark.parametrize("gated", [False, True])
def test_delta(rng, heads, form, chunk_size, gated):
    q, k, v = inputs(rng, CU[-1], *heads, unit_k=True)
    beta = rng.uniform(0, 1, (1, CU[-1], heads[0])).astype(F32)
    g = (-rng.uniform(0, 0.5, beta.shape)).astype(F32) if gated else None
    s0 = uniform(rng, len(CU) - 1, heads[0], 16, 8)
    out = attn.delta_rule(q, k, v, beta, g=g, initial_state=s0,
                          output_final_state=True, cu_seqlens=CU, form=form,
                          chunk_size=chunk_size)

    def op(q, k, v, beta, *g, initial_state=None):
        return ref.delta_rule(q, k, v, beta, g=g[0] if g else None,
                              initial_state=initial_state)

    per_step = [q, k, v, beta] + ([g] if gated else [])
    check(out, ref.packed(op, CU, per_step, initial_state=s0))


def test_bf16(rng):
    bf16 = pytest.importorskip("ml_dtypes").bfloat16
    q, k, v = inputs(rng, CU[-1], 4, 2)
    q, k, v = (x.astype(bf16) for x in (q, k, v))
    o = attn.softmax_attention(q, k, v, cu_seqlens=CU)
    assert o.dtype == bf16
    expected = ref.packed(ref.softmax_attention, CU, [q, k, v])
    assert ref.rel_err(o.astype(F32), expected) < 1e-2
    g = (-rng.uniform(0, 0.2, (1, CU[-1], 4))).astype(bf16)
    o = attn.gated_linear_attention(q, k, v, g, cu_seqlens=CU, chunk_size=16)
    expected, _ = ref.packed(ref.gated_linear_attention, CU, [q, k, v, g])
    assert ref.rel_err(o.astype(F32), expected) < 1e-2


#===----------------------------------------------------------------------===#
# Boundary cases
#===----------------------------------------------------------------------===#


@pytest.mark.parametrize("seed", range(3))
def test_random_packings(seed):
    """Fresh random packings with a length-1 sequence, chunks of 8 and 16."""
    rng = np.random.default_rng(seed)
    T, N = 97, 6
    cu = random_cu(rng, T, N)
    assert cu[0] == 0 and cu[-1] == T and 1 in np.diff(cu)
    q, k, v = inputs(rng, T, 8, 1, unit_k=True)
    beta = rng.uniform(0, 1, (1, T, 8)).astype(F32)
    for chunk in (8, 16):
        out = attn.delta_rule(q, k, v, beta, output_final_state=True,
                              cu_seqlens=cu, chunk_size=chunk)
        check(out, ref.packed(ref.delta_rule, cu, [q, k, v, beta]))
    o = attn.softmax_attention(q, k, v, cu_seqlens=cu, chunk_size=16)
    check(o, ref.packed(ref.softmax_attention, cu, [q, k, v]))


def test_all_length_one(rng):
    """T = N: every sequence is one step (batched decode of the linear
    family from per-sequence states)."""
    N = 7
    cu = np.arange(N + 1, dtype=np.int32)
    q, k, v = inputs(rng, N, 4, 4)
    s0 = uniform(rng, N, 4, 16, 8)
    out = attn.linear_attention(q, k, v, initial_state=s0,
                                output_final_state=True, cu_seqlens=cu)
    check(out, ref.packed(ref.linear_attention, cu, [q, k, v],
                          initial_state=s0))
    # A one-step softmax sequence attends to itself only: o_t = v_t.
    o = attn.softmax_attention(q, k, v, cu_seqlens=cu)
    check(o, np.repeat(v.astype(np.float64), 1, axis=2))


def test_single_sequence_is_unpacked(rng):
    """cu_seqlens = [0, T] is the op without packing."""
    q, k, v = inputs(rng, 40, 2, 2)
    g = (-rng.uniform(0, 0.5, (1, 40, 2))).astype(F32)
    packed = attn.gated_linear_attention(q, k, v, g, cu_seqlens=[0, 40],
                                         output_final_state=True)
    plain = attn.gated_linear_attention(q, k, v, g, output_final_state=True)
    for a, b in zip(packed, plain):
        assert ref.rel_err(a, b) < 1e-6


def test_equal_lengths_match_batch(rng):
    """N sequences of one length packed give the batched op's answer."""
    N, L = 4, 19
    q, k, v = inputs(rng, N * L, 2, 2)
    cu = np.arange(0, N * L + 1, L, dtype=np.int32)
    o, s = attn.linear_attention(q, k, v, feature_map="elu+1",
                                 normalize=True, output_final_state=True,
                                 cu_seqlens=cu, chunk_size=8)
    batch = [x.reshape(N, L, *x.shape[2:]) for x in (q, k, v)]
    ob, sb = attn.linear_attention(*batch, feature_map="elu+1",
                                   normalize=True, output_final_state=True,
                                   chunk_size=8)
    assert ref.rel_err(o.reshape(ob.shape), ob) < 1e-6
    assert ref.rel_err(s, sb) < 1e-6


def test_packing_matters(rng):
    """Packed and unpacked differ: no state crosses a boundary."""
    q, k, v = inputs(rng, 50, 2, 2)
    packed = attn.linear_attention(q, k, v, cu_seqlens=[0, 20, 50])
    plain = attn.linear_attention(q, k, v)
    assert ref.rel_err(packed[:, :20], plain[:, :20]) < 1e-6
    assert ref.rel_err(packed[:, 20:], plain[:, 20:]) > 1e-2


def test_empty_sequence(rng):
    """An empty sequence produces no output; its final state is its initial
    state."""
    cu = np.array([0, 12, 12, 30], np.int32)
    q, k, v = inputs(rng, 30, 2, 2)
    s0 = uniform(rng, 3, 2, 16, 8)
    o, s = attn.linear_attention(q, k, v, initial_state=s0,
                                 output_final_state=True, cu_seqlens=cu,
                                 chunk_size=8)
    check((o, s), ref.packed(ref.linear_attention, cu, [q, k, v],
                             initial_state=s0))
    assert np.array_equal(s[1], s0[1])
    o = attn.softmax_attention(q, k, v, cu_seqlens=cu, chunk_size=8)
    check(o, ref.packed(ref.softmax_attention, cu, [q, k, v]))


def test_malformed_offsets_never_crash(rng):
    """The compiled code clamps offsets into [0, T]: bad ones passed through
    the low-level API give some answer, never a crash or an out-of-bounds
    access (the high-level API rejects them first)."""
    q, k, v = inputs(rng, 30, 2, 2)
    plan = attn._ops._plan_softmax_attention(q, k, v,
                                             cu_seqlens=[0, 10, 20, 30])
    kernel = attn.compile(plan.text, plan.pipeline)
    for bad in ([0, 500, -3, 30], [-7, 40, 2, 1], [30, 0, 0, 0]):
        o = kernel(q, k, v, np.array(bad, np.int32))
        assert o.shape == (1, 30, 2, 8) and np.isfinite(o).all()


#===----------------------------------------------------------------------===#
# Argument checks
#===----------------------------------------------------------------------===#


@pytest.mark.parametrize("bad,exc,msg", [
    (lambda q, k, v: attn.linear_attention(q, k, v, cu_seqlens=[0, 5, 4, 8]),
     ValueError, "'cu_seqlens' must be non-decreasing, got 5 then 4 at index 2"),
    (lambda q, k, v: attn.linear_attention(q, k, v, cu_seqlens=[0, 5]),
     ValueError, r"'cu_seqlens' must start at 0 and end at T = 8, got 0 \.\.\. 5"),
    (lambda q, k, v: attn.linear_attention(q, k, v, cu_seqlens=[1, 8]),
     ValueError, "must start at 0"),
    (lambda q, k, v: attn.softmax_attention(q, k, v, cu_seqlens=[8]),
     ValueError, r"'cu_seqlens' must have shape \[N \+ 1\] with N >= 1"),
    (lambda q, k, v: attn.softmax_attention(
        q, k, v, cu_seqlens=np.array([[0, 8]], np.int32)),
     ValueError, r"'cu_seqlens' must have shape \[N \+ 1\]"),
    (lambda q, k, v: attn.softmax_attention(
        q, k, v, cu_seqlens=np.array([0.0, 8.0], F32)),
     TypeError, "'cu_seqlens' must hold integer offsets, got dtype float32"),
    (lambda q, k, v: attn.linear_attention(
        np.concatenate([q, q]), np.concatenate([k, k]), np.concatenate([v, v]),
        cu_seqlens=[0, 8]),
     ValueError, "needs batch size B = 1, got B = 2"),
    (lambda q, k, v: attn.softmax_attention(q[:, :1].copy(), k, v,
                                            cu_seqlens=[0, 1]),
     ValueError, "packs queries and keys alike: q has T = 1 but k has T = 8"),
    (lambda q, k, v: attn.linear_attention(
        q, k, v, initial_state=np.zeros((1, 2, 16, 16), F32),
        cu_seqlens=[0, 3, 8]),
     attn.CompileError,
     r"'initial_state' must have shape \[N, H, Dk, Dv\] = \[2, 2, 16, 16\]"),
])
def test_bad_arguments(rng, bad, exc, msg):
    q, k, v = inputs(rng, 8, 2, 2, Dv=16)
    with pytest.raises(exc, match=msg):
        bad(q, k, v)


def test_int64_offsets_accepted(rng):
    """Offsets of any integer dtype (fla passes int64 tensors) are taken."""
    q, k, v = inputs(rng, 20, 2, 2)
    cu = np.array([0, 7, 20], np.int64)
    o = attn.softmax_attention(q, k, v, cu_seqlens=cu)
    check(o, ref.packed(ref.softmax_attention, cu, [q, k, v]))


def test_low_level_int32_signature(rng, tmp_path):
    """The C API and Kernel report int32 arguments, and a saved kernel
    (shared library + signature file) keeps them."""
    q, k, v = inputs(rng, 20, 2, 2)
    plan = attn._ops._plan_softmax_attention(q, k, v, cu_seqlens=[0, 7, 20])
    kernel = attn.compile(plan.text, plan.pipeline)
    ins, outs = kernel.signature("main")
    assert ins[3] == ("int32", [3])
    with pytest.raises(ValueError, match=r"'argument #3' must be int32 \(3,\)"):
        kernel(q, k, v, np.array([0, 7, 20], np.int64))
    kernel.save(tmp_path / "packed.so")
    loaded = attn.Kernel.load(tmp_path / "packed.so")
    assert loaded.signature("main") == (ins, outs)
    cu = np.array([0, 7, 20], np.int32)
    assert np.array_equal(loaded(q, k, v, cu), kernel(q, k, v, cu))
