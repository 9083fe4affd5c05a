"""Token-mixing layers on attn's ops, as torch.nn modules.

Each layer maps hidden states [B, T, hidden_size] to [B, T, hidden_size]:
projections to heads, the attention op of its kind (compiled by attn for
the tensors' device: CPU, or the CUDA GPU they live on), and an output
projection, so that a model swaps its attention in one line:

    import torch, attn.nn
    mixer = attn.nn.GatedDeltaNet(hidden_size=512, num_heads=4)
    y = mixer(torch.randn(2, 1000, 512))            # [2, 1000, 512]
    y, state = mixer(x, output_final_state=True)    # and the recurrent state

The parametrizations follow flash-linear-attention's layers of the same
names (gates in log space from a log-sigmoid or, for the gated delta rule,
Mamba-2's -exp(A) softplus(x + dt_bias); L2-normalized queries and keys for
the delta rules). SoftmaxAttention, LinearAttention and SimpleGLA train on
CPU tensors (their ops have gradients: attn.vjp, autograd); the others are
forward only, and
backward() through them raises, saying why.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from . import _ops

__all__ = ["SoftmaxAttention", "LinearAttention", "SimpleGLA",
           "GatedLinearAttention", "DeltaNet", "GatedDeltaNet"]


def _positive(name, x):
    if not isinstance(x, int) or isinstance(x, bool) or x <= 0:
        raise ValueError(f"'{name}' must be a positive integer, got {x!r}")
    return x


class _Mixer(nn.Module):
    """q, k, v and output projections for num_heads heads of head_dim (keys,
    queries) and value_dim (values)."""

    def __init__(self, hidden_size, num_heads, head_dim=None, value_dim=None,
                 target="cpu"):
        super().__init__()
        self.hidden_size = _positive("hidden_size", hidden_size)
        self.num_heads = _positive("num_heads", num_heads)
        if head_dim is None:
            if hidden_size % num_heads:
                raise ValueError(
                    f"'hidden_size' ({hidden_size}) is not a multiple of "
                    f"'num_heads' ({num_heads}): pass head_dim")
            head_dim = hidden_size // num_heads
        self.head_dim = _positive("head_dim", head_dim)
        self.value_dim = _positive("value_dim", value_dim or head_dim)
        self.target = target
        self.q_proj = nn.Linear(hidden_size, num_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(hidden_size, num_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(hidden_size, num_heads * self.value_dim, bias=False)
        self.o_proj = nn.Linear(num_heads * self.value_dim, hidden_size, bias=False)

    def _heads(self, y, dim):
        return y.reshape(y.shape[0], y.shape[1], self.num_heads, dim).contiguous()

    def _qkv(self, x):
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != self.hidden_size:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"{type(self).__name__} takes hidden states [B, T, "
                f"{self.hidden_size}], got {got}")
        return (self._heads(self.q_proj(x), self.head_dim),
                self._heads(self.k_proj(x), self.head_dim),
                self._heads(self.v_proj(x), self.value_dim))

    def _target(self, x):
        # CUDA tensors compile for their own device; `target` is the CPU's.
        return "cpu" if x.device.type == "cuda" else self.target

    def _finish(self, out, output_final_state):
        o, state = (out if output_final_state else (out, None))
        o = self.o_proj(o.reshape(o.shape[0], o.shape[1], -1))
        return (o, state) if output_final_state else o


class SoftmaxAttention(_Mixer):
    """Causal softmax attention (window: a sliding window of that many keys,
    None for all)."""

    def __init__(self, hidden_size, num_heads, head_dim=None, window=None,
                 target="cpu"):
        super().__init__(hidden_size, num_heads, head_dim, target=target)
        self.window = window

    def forward(self, x):
        q, k, v = self._qkv(x)
        o = _ops.softmax_attention(q, k, v, causal=True, window=self.window,
                                   target=self._target(x))
        return self._finish(o, False)


class LinearAttention(_Mixer):
    """Causal linear attention, phi(q) (sum phi(k) v^T) with feature_map
    "identity", "relu" or "elu+1"."""

    def __init__(self, hidden_size, num_heads, head_dim=None, value_dim=None,
                 feature_map="elu+1", target="cpu"):
        super().__init__(hidden_size, num_heads, head_dim, value_dim, target)
        self.feature_map = feature_map

    def forward(self, x, initial_state=None, output_final_state=False):
        q, k, v = self._qkv(x)
        out = _ops.linear_attention(
            q, k, v, feature_map=self.feature_map, initial_state=initial_state,
            output_final_state=output_final_state, target=self._target(x))
        return self._finish(out, output_final_state)


class _GatedMixer(_Mixer):
    def _gated(self, x, g, initial_state, output_final_state):
        q, k, v = self._qkv(x)
        out = _ops.gated_linear_attention(
            q, k, v, g.float().contiguous(), initial_state=initial_state,
            output_final_state=output_final_state, target=self._target(x))
        return self._finish(out, output_final_state)


class SimpleGLA(_GatedMixer):
    """Scalar-gated linear attention (RetNet / Mamba-2 style): a log-decay
    per token and head, log-sigmoid(g_proj(x)) / gate_logit_normalizer."""

    def __init__(self, hidden_size, num_heads, head_dim=None, value_dim=None,
                 gate_logit_normalizer=16, target="cpu"):
        super().__init__(hidden_size, num_heads, head_dim, value_dim, target)
        self.gate_logit_normalizer = gate_logit_normalizer
        self.g_proj = nn.Linear(hidden_size, num_heads)

    def forward(self, x, initial_state=None, output_final_state=False):
        g = F.logsigmoid(self.g_proj(x)) / self.gate_logit_normalizer
        return self._gated(x, g, initial_state, output_final_state)


class GatedLinearAttention(_GatedMixer):
    """GLA: a log-decay per token, head and key dimension from a low-rank
    projection, log-sigmoid(gk_proj(x)) / gate_logit_normalizer."""

    def __init__(self, hidden_size, num_heads, head_dim=None, value_dim=None,
                 gate_low_rank_dim=16, gate_logit_normalizer=16, target="cpu"):
        super().__init__(hidden_size, num_heads, head_dim, value_dim, target)
        self.gate_logit_normalizer = gate_logit_normalizer
        self.gk_proj = nn.Sequential(
            nn.Linear(hidden_size, gate_low_rank_dim, bias=False),
            nn.Linear(gate_low_rank_dim, num_heads * self.head_dim))

    def forward(self, x, initial_state=None, output_final_state=False):
        g = F.logsigmoid(self.gk_proj(x)) / self.gate_logit_normalizer
        g = self._heads(g, self.head_dim)
        return self._gated(x, g, initial_state, output_final_state)


class DeltaNet(_Mixer):
    """The delta rule, S_t = (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,
    with L2-normalized queries and keys and beta_t = sigmoid(b_proj(x))."""

    def __init__(self, hidden_size, num_heads, head_dim=None, value_dim=None,
                 target="cpu"):
        super().__init__(hidden_size, num_heads, head_dim, value_dim, target)
        self.b_proj = nn.Linear(hidden_size, num_heads, bias=False)

    def _gate(self, x):
        return None

    def forward(self, x, initial_state=None, output_final_state=False):
        q, k, v = self._qkv(x)
        q = F.normalize(q, dim=-1).contiguous()
        k = F.normalize(k, dim=-1).contiguous()
        beta = torch.sigmoid(self.b_proj(x)).float().contiguous()
        g = self._gate(x)
        out = _ops.delta_rule(
            q, k, v, beta, g=g, initial_state=initial_state,
            output_final_state=output_final_state, target=self._target(x))
        return self._finish(out, output_final_state)


class GatedDeltaNet(DeltaNet):
    """The gated delta rule: the delta rule's state also decays by
    exp(g_t), g_t = -exp(A_log) softplus(a_proj(x) + dt_bias) per token and
    head (Mamba-2's parametrization)."""

    def __init__(self, hidden_size, num_heads, head_dim=None, value_dim=None,
                 target="cpu"):
        super().__init__(hidden_size, num_heads, head_dim, value_dim, target)
        self.a_proj = nn.Linear(hidden_size, num_heads, bias=False)
        self.A_log = nn.Parameter(torch.log(torch.empty(num_heads).uniform_(1, 16)))
        # dt in [1e-3, 0.1], log-uniform; dt_bias its inverse softplus.
        dt = torch.exp(torch.empty(num_heads).uniform_(math.log(1e-3), math.log(0.1)))
        self.dt_bias = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))

    def _gate(self, x):
        g = -self.A_log.float().exp() * F.softplus(self.a_proj(x).float() + self.dt_bias)
        return g.contiguous()
