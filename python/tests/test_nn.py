"""attn.nn: each layer against the same layer written in plain torch over
the float64 recurrent references (reference.py), on fresh random weights
and inputs; T not a multiple of any chunk, initial and final states; bad
input gets a clear error."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import attn.nn
import reference as ref

B, T, HIDDEN, H = 2, 45, 32, 2


def _x(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(B, T, HIDDEN, generator=g) * 2 - 1


def _heads(y, h):
    return y.reshape(y.shape[0], y.shape[1], h, -1)


def _np(t):
    return t.detach().double().numpy()


def _reference(layer, x, initial_state=None):
    """(o [B, T, hidden], final state) of `layer` from reference.py."""
    q = _heads(layer.q_proj(x), H)
    k = _heads(layer.k_proj(x), H)
    v = _heads(layer.v_proj(x), H)
    s0 = None if initial_state is None else _np(initial_state)
    if isinstance(layer, attn.nn.SoftmaxAttention):
        o, s = ref.softmax_attention(_np(q), _np(k), _np(v)), None
    elif isinstance(layer, attn.nn.LinearAttention):
        o, s = ref.linear_attention(_np(q), _np(k), _np(v),
                                    feature_map=layer.feature_map,
                                    initial_state=s0)
    elif isinstance(layer, attn.nn.SimpleGLA):
        g = F.logsigmoid(layer.g_proj(x)) / layer.gate_logit_normalizer
        o, s = ref.gated_linear_attention(_np(q), _np(k), _np(v), _np(g),
                                          initial_state=s0)
    elif isinstance(layer, attn.nn.GatedLinearAttention):
        g = _heads(F.logsigmoid(layer.gk_proj(x)) / layer.gate_logit_normalizer, H)
        o, s = ref.gated_linear_attention(_np(q), _np(k), _np(v), _np(g),
                                          initial_state=s0)
    else:
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        beta = torch.sigmoid(layer.b_proj(x))
        g = None
        if isinstance(layer, attn.nn.GatedDeltaNet):
            g = _np(-layer.A_log.exp() * F.softplus(layer.a_proj(x) + layer.dt_bias))
        o, s = ref.delta_rule(_np(q), _np(k), _np(v), _np(beta), g=g,
                              initial_state=s0)
    o = torch.from_numpy(o).float().reshape(B, T, -1)
    return layer.o_proj(o), s


LAYERS = [
    ("softmax", lambda: attn.nn.SoftmaxAttention(HIDDEN, H)),
    ("linear", lambda: attn.nn.LinearAttention(HIDDEN, H)),
    ("linear_relu", lambda: attn.nn.LinearAttention(HIDDEN, H, feature_map="relu")),
    ("simple_gla", lambda: attn.nn.SimpleGLA(HIDDEN, H)),
    ("gla", lambda: attn.nn.GatedLinearAttention(HIDDEN, H)),
    ("deltanet", lambda: attn.nn.DeltaNet(HIDDEN, H)),
    ("gated_deltanet", lambda: attn.nn.GatedDeltaNet(HIDDEN, H)),
]


@pytest.mark.parametrize("name,make", LAYERS, ids=[n for n, _ in LAYERS])
def test_layer_matches_reference(name, make):
    torch.manual_seed(1)
    layer = make()
    x = _x()
    with torch.no_grad():
        y = layer(x)
        want, _ = _reference(layer, x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert ref.rel_err(_np(y), _np(want)) < 1e-4


@pytest.mark.parametrize("name,make", LAYERS[1:], ids=[n for n, _ in LAYERS[1:]])
def test_layer_state(name, make):
    torch.manual_seed(2)
    layer = make()
    x = _x(3)
    dk, dv = layer.head_dim, layer.value_dim
    s0 = torch.rand(B, H, dk, dv, generator=torch.Generator().manual_seed(4)) * 0.2
    with torch.no_grad():
        y, s = layer(x, initial_state=s0, output_final_state=True)
        want, want_s = _reference(layer, x, initial_state=s0)
    assert s.shape == (B, H, dk, dv)
    assert ref.rel_err(_np(y), _np(want)) < 1e-4
    assert ref.rel_err(_np(s), want_s) < 1e-4


def test_bad_input():
    layer = attn.nn.LinearAttention(HIDDEN, H)
    with pytest.raises(ValueError, match=r"hidden states \[B, T, 32\], got \(2, 45, 16\)"):
        layer(torch.zeros(B, T, 16))
    with pytest.raises(ValueError, match="not a multiple of 'num_heads'"):
        attn.nn.DeltaNet(30, 4)
    with pytest.raises(ValueError, match="'num_heads' must be a positive integer"):
        attn.nn.SimpleGLA(32, 0)


def test_delta_layers_train():
    # The delta-rule layers have a backward: every parameter gets a gradient.
    for cls in (attn.nn.DeltaNet, attn.nn.GatedDeltaNet):
        layer = cls(HIDDEN, H)
        layer(_x()).square().mean().backward()
        for name, p in layer.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_backward_raises():
    # Calls without a backward pass yet (vector gates, normalize): backward
    # says so instead of leaving the projections silently without gradients.
    layer = attn.nn.GatedLinearAttention(HIDDEN, H)
    y = layer(_x())
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="vector gate"):
        y.sum().backward()
    q = torch.rand(1, 9, 1, 16, requires_grad=True)
    o, s = attn.linear_attention(q, q.detach(), q.detach(), output_final_state=True,
                                 feature_map="elu+1", normalize=True)
    assert o.requires_grad and s.requires_grad
    with pytest.raises(RuntimeError, match="normalize=True are not supported yet"):
        s.sum().backward()
    with torch.no_grad():
        assert not layer(_x()).requires_grad
