"""attn on torch CPU tensors: eager calls, the torch.library ops
(torch.ops.attn.*), their fake implementations, and torch.compile.

The GPU side of the same integration (CUDA tensors, CUDA graphs, the
caching allocator) runs on the GPU machine: test/GPU/check_api.py.
"""
import numpy as np
import pytest
import torch

import attn
from attn import _torch_ops  # noqa: F401 - registers torch.ops.attn.*

B, T, H, D = 2, 37, 2, 16


def _t(rng, *shape, dtype=torch.float32):
    return torch.from_numpy(rng.uniform(-1, 1, shape).astype(np.float32)).to(dtype)


def _log_gate(rng, *shape):
    return torch.from_numpy(np.log(rng.uniform(0.6, 0.99, shape)).astype(np.float32))


def _beta(rng):
    return torch.from_numpy(rng.uniform(0.1, 0.9, (B, T, H)).astype(np.float32))


# (op, positional tensors, keyword arguments): every op, with and without
# the state, and with the options whose fake shapes differ.
def _calls(rng):
    q, k, v = (_t(rng, B, T, H, D) for _ in range(3))
    s0 = _t(rng, B, H, D, D)
    w = _t(rng, 8, D)
    return [
        ("softmax_attention", (q, k, v), {}),
        ("softmax_attention", (q, k, v), {"window": 5, "causal": True}),
        ("linear_attention", (q, k, v), {}),
        ("linear_attention", (q, k, v),
         {"initial_state": s0, "output_final_state": True,
          "feature_map": "elu+1", "normalize": True}),
        ("linear_attention", (q, k, v),
         {"feature_map": "favor+", "projection": w,
          "output_final_state": True}),
        ("gated_linear_attention", (q, k, v, _log_gate(rng, B, T, H)),
         {"output_final_state": True}),
        ("gated_linear_attention", (q, k, v, _log_gate(rng, B, T, H, D)),
         {"initial_state": s0}),
        ("delta_rule", (q, k, v, _beta(rng)),
         {"g": _log_gate(rng, B, T, H), "initial_state": s0,
          "output_final_state": True}),
    ]


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _numpy(x):
    return x.numpy() if x.dtype != torch.bfloat16 else x.float().numpy()


def test_cpu_tensors_match_numpy(rng):
    # A torch CPU call gives torch tensors with numpy's bits.
    for name, args, kw in _calls(rng):
        fn = getattr(attn, name)
        got = _as_tuple(fn(*args, **kw))
        kw_np = {a: (b.numpy() if isinstance(b, torch.Tensor) else b)
                 for a, b in kw.items()}
        want = _as_tuple(fn(*(a.numpy() for a in args), **kw_np))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert isinstance(g, torch.Tensor), name
            assert np.array_equal(g.numpy(), w), name


def test_bf16_cpu_tensors(rng):
    q, k, v = (_t(rng, B, T, H, D, dtype=torch.bfloat16) for _ in range(3))
    o = attn.linear_attention(q, k, v)
    assert o.dtype == torch.bfloat16 and o.shape == (B, T, H, D)
    ref = attn.linear_attention(q.float(), k.float(), v.float())
    err = (o.float() - ref).norm() / ref.norm()
    assert err < 1e-2


def _op_args(name, args, kw):
    """The torch.ops.attn.<name> positional arguments of an attn.<name> call
    (the order of python/attn/_torch_ops.py's schemas)."""
    get = kw.get
    if name == "softmax_attention":
        return (*args, get("cu_seqlens"), get("causal", True), get("scale"),
                get("window"), get("chunk_size"), "auto", "cpu")
    if name == "linear_attention":
        return (*args, get("projection"), get("initial_state"),
                get("cu_seqlens"), get("causal", True), get("scale"),
                get("feature_map", "identity"), get("normalize", False),
                get("output_final_state", False), get("chunk_size"), "auto",
                "cpu")
    if name == "gated_linear_attention":
        return (*args, get("initial_state"), get("cu_seqlens"), get("scale"),
                get("output_final_state", False), get("chunk_size"), "auto",
                "cpu")
    q, k, v, beta = args
    return (q, k, v, beta, get("g"), get("initial_state"), get("cu_seqlens"),
            get("scale"), get("output_final_state", False), get("chunk_size"),
            "auto", "cpu")


def test_fake_implementations_match_the_real_ops(rng):
    # The fake (meta) outputs have the real outputs' shapes and dtypes, for
    # every op and option: torch.compile plans its graph with them.
    for name, args, kw in _calls(rng):
        op = getattr(torch.ops.attn, name)
        real = op(*_op_args(name, args, kw))
        meta = op(*(a.to("meta") if isinstance(a, torch.Tensor) else a
                    for a in _op_args(name, args, kw)))
        assert len(real) == len(meta), name
        for r, m in zip(real, meta):
            assert m.device.type == "meta"
            assert (r.shape, r.dtype) == (m.shape, m.dtype), name


def test_opcheck(rng):
    # torch.library's own checks of each op: schema, fake tensor, and
    # AOT dispatch with dynamic shapes.
    for name, args, kw in _calls(rng)[::2]:
        torch.library.opcheck(getattr(torch.ops.attn, name),
                              _op_args(name, args, kw),
                              test_utils=("test_schema", "test_faketensor",
                                          "test_aot_dispatch_dynamic"))


def test_torch_compile_one_operator(rng):
    # Under torch.compile the call is one graph operator (fullgraph: no
    # graph break) and gives the eager result.
    q, k, v = (_t(rng, B, T, H, D) for _ in range(3))
    g = _log_gate(rng, B, T, H)

    def block(q, k, v, g):
        o, s = attn.gated_linear_attention(q, k, v, g, output_final_state=True)
        return o * 2 + 1, s.sum()

    want = block(q, k, v, g)
    compiled = torch.compile(block, backend="aot_eager", fullgraph=True)
    got = compiled(q, k, v, g)
    for a, b in zip(got, want):
        assert torch.equal(a, b)


def test_cpu_errors_are_python_exceptions(rng):
    q = _t(rng, B, T, H, D)
    with pytest.raises(ValueError, match="contiguous"):
        attn.linear_attention(q.transpose(1, 2), q, q)
    with pytest.raises(TypeError, match="int64"):
        attn.linear_attention(q.long(), q, q)
