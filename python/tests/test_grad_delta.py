"""Gradients of the delta rule and the gated delta rule: the float64
reference (reference.delta_rule_grad) against torch autograd through a
float64 torch recurrence, then attn.vjp, autograd and torch.compile against
the reference, on every shape class."""
import numpy as np
import pytest
import torch

import attn
import reference as ref

F32_TOL, BF16_TOL = 1e-4, 2e-2


def _inputs(rng, B=2, T=37, Hq=2, Hkv=2, Dk=16, Dv=16, gate=None,
            dtype=np.float32):
    # Keys normalized as delta-rule layers do (|k| = 1, beta in (0, 1)), so
    # that the recurrence is a contraction and long sequences stay bounded.
    k = rng.standard_normal((B, T, Hkv, Dk))
    x = {"q": rng.standard_normal((B, T, Hq, Dk)),
         "k": k / np.linalg.norm(k, axis=-1, keepdims=True),
         "v": rng.standard_normal((B, T, Hkv, Dv)),
         "beta": rng.uniform(0.05, 0.95, (B, T, Hq)),
         "d_o": rng.standard_normal((B, T, Hq, Dv))}
    if gate == "weak":
        x["g"] = -rng.uniform(0.0, 0.2, (B, T, Hq))
    elif gate == "strong":
        x["g"] = -rng.uniform(0.5, 6.0, (B, T, Hq))
    x = {n: a.astype(dtype) for n, a in x.items()}
    s = {"initial_state": rng.standard_normal((B, Hq, Dk, Dv)),
         "d_final_state": rng.standard_normal((B, Hq, Dk, Dv))}
    return x, {n: a.astype(np.float32 if dtype != np.float64 else dtype)
               for n, a in s.items()}


def _torch_grads(x, s):
    """torch autograd through the float64 recurrence of the definition."""
    t = {n: torch.tensor(np.asarray(a, np.float64), requires_grad=True)
         for n, a in {**x, "initial_state": s["initial_state"]}.items()
         if n != "d_o"}
    q, k, v, beta = t["q"], t["k"], t["v"], t["beta"]
    G = q.shape[2] // k.shape[2]
    k, v = k.repeat_interleave(G, 2), v.repeat_interleave(G, 2)
    S, outs = t["initial_state"], []
    for i in range(q.shape[1]):
        if "g" in t:
            S = torch.exp(t["g"][:, i])[..., None, None] * S
        kS = torch.einsum("bhi,bhij->bhj", k[:, i], S)
        S = S + torch.einsum("bhi,bhj->bhij", beta[:, i, :, None] * k[:, i],
                             v[:, i] - kS)
        outs.append(q.shape[3] ** -0.5 *
                    torch.einsum("bhi,bhij->bhj", q[:, i], S))
    o = torch.stack(outs, 1)
    loss = (o * torch.tensor(np.asarray(x["d_o"], np.float64))).sum() + \
        (S * torch.tensor(np.asarray(s["d_final_state"], np.float64))).sum()
    loss.backward()
    return {n: a.grad.numpy() for n, a in t.items()}


NAMES = ("q", "k", "v", "beta", "g", "initial_state")


@pytest.mark.parametrize("gate,hkv", [(None, 2), ("weak", 1), ("strong", 2)])
def test_reference_matches_torch_autograd(rng, gate, hkv):
    x, s = _inputs(rng, T=9, Hkv=hkv, Dk=4, Dv=3, gate=gate, dtype=np.float64)
    want = _torch_grads(x, s)
    got = ref.delta_rule_grad(x["q"], x["k"], x["v"], x["beta"], x["d_o"],
                              g=x.get("g"), **s)
    for name, a in zip(NAMES, got):
        if a is not None:
            assert ref.rel_err(a, want[name]) < 1e-12, name


def _check_vjp(x, s, tol, use_states=True, **kwargs):
    states = s if use_states else {}
    got = attn.vjp(attn.delta_rule, x["q"], x["k"], x["v"], x["beta"],
                   g=x.get("g"), d_o=x["d_o"],
                   d_final_state=states.get("d_final_state"),
                   initial_state=states.get("initial_state"), **kwargs)
    f32 = {n: np.asarray(a, np.float32) for n, a in x.items()}
    want = ref.delta_rule_grad(
        f32["q"], f32["k"], f32["v"], f32["beta"], f32["d_o"], g=f32.get("g"),
        scale=kwargs.get("scale"), initial_state=states.get("initial_state"),
        d_final_state=states.get("d_final_state"))
    names = ["q", "k", "v", "beta"] + (["g"] if "g" in x else []) + \
        (["initial_state"] if use_states else [])
    assert sorted(got) == sorted(names)
    for name, w in zip(NAMES, want):
        if w is not None:
            err = ref.rel_err(np.asarray(got[name], np.float32), w)
            assert err < tol, f"{name}: rel. err. {err:.2e}"


@pytest.mark.parametrize("T", [1, 64, 100, 200])
@pytest.mark.parametrize("use_states", [False, True])
def test_delta_vjp(rng, T, use_states):
    x, s = _inputs(rng, T=T)
    _check_vjp(x, s, F32_TOL, use_states)


@pytest.mark.parametrize("gate", ["weak", "strong"])
@pytest.mark.parametrize("T,hkv", [(1, 2), (65, 1), (130, 2)])
def test_gated_delta_vjp(rng, gate, T, hkv):
    x, s = _inputs(rng, T=T, Hq=4, Hkv=hkv, gate=gate)
    _check_vjp(x, s, F32_TOL, scale=0.3)


@pytest.mark.parametrize("D", [64, 128])
def test_head_dims(rng, D):
    x, s = _inputs(rng, B=1, T=70, Dk=D, Dv=D, gate="weak")
    _check_vjp(x, s, F32_TOL)


def test_bf16(rng):
    import ml_dtypes
    x, s = _inputs(rng, B=1, T=100, Dk=64, Dv=64, gate="weak")
    for n in x:
        x[n] = x[n].astype(ml_dtypes.bfloat16)
    _check_vjp(x, s, BF16_TOL)


def _leaves(x, s, names):
    return {n: torch.tensor(np.asarray({**x, **s}[n]), requires_grad=True)
            for n in names}


@pytest.mark.parametrize("gate", [None, "weak"])
def test_autograd(rng, gate):
    # o and the final state both in the loss; every input gets its gradient.
    x, s = _inputs(rng, T=33, Hq=4, Hkv=2, gate=gate)
    names = ["q", "k", "v", "beta"] + (["g"] if gate else []) + \
        ["initial_state"]
    t = _leaves(x, s, names)
    o, S = attn.delta_rule(t["q"], t["k"], t["v"], t["beta"], g=t.get("g"),
                           initial_state=t["initial_state"],
                           output_final_state=True)
    loss = (o * torch.tensor(x["d_o"])).sum() + \
        (S * torch.tensor(s["d_final_state"])).sum()
    loss.backward()
    want = ref.delta_rule_grad(x["q"], x["k"], x["v"], x["beta"], x["d_o"],
                               g=x.get("g"), **s)
    for name, w in zip(NAMES, want):
        if w is not None:
            assert ref.rel_err(t[name].grad.numpy(), w) < F32_TOL, name


def test_torch_compile_training_step(rng):
    # The forward and its registered backward are one graph each
    # (fullgraph), with the eager gradients.
    x, s = _inputs(rng, B=1, T=40, gate="weak")
    names = ["q", "k", "v", "beta", "g", "initial_state"]

    def step(q, k, v, beta, g, s0):
        o, S = attn.delta_rule(q, k, v, beta, g=g, initial_state=s0,
                               output_final_state=True)
        return (o * o).sum() + S.sum()

    t = _leaves(x, s, names)
    step(*t.values()).backward()
    want = {n: a.grad for n, a in t.items()}
    t = _leaves(x, s, names)
    torch.compile(step, backend="aot_eager", fullgraph=True)(
        *t.values()).backward()
    for n in names:
        assert torch.allclose(t[n].grad, want[n], rtol=1e-5, atol=1e-5), n


def test_opcheck(rng):
    x, s = _inputs(rng, B=1, T=20, gate="weak")
    q, k, v, beta, g, do = (torch.tensor(x[n]) for n in
                            ("q", "k", "v", "beta", "g", "d_o"))
    s0, ds = torch.tensor(s["initial_state"]), torch.tensor(s["d_final_state"])
    checks = ("test_schema", "test_faketensor", "test_aot_dispatch_dynamic")
    torch.library.opcheck(torch.ops.attn.delta_rule_grad,
                          (q, k, v, beta, g, do, s0, ds, None, None, "auto",
                           "cpu"), test_utils=checks)
    torch.library.opcheck(torch.ops.attn.delta_rule_grad,
                          (q, k, v, beta, None, do, None, None, 0.5, None,
                           "auto", "cpu"), test_utils=checks)
    leaves = [a.clone().requires_grad_() for a in (q, k, v, beta, g)]
    torch.library.opcheck(torch.ops.attn.delta_rule,
                          (*leaves, None, None, None, False, None, "auto",
                           "cpu"), test_utils=("test_autograd_registration",))


def test_errors(rng):
    x, _ = _inputs(rng, B=1, T=8)
    q, k, v, beta, do = (x[n] for n in ("q", "k", "v", "beta", "d_o"))
    with pytest.raises(NotImplementedError, match="packed sequences"):
        attn.vjp(attn.delta_rule, q, k, v, beta, d_o=do, cu_seqlens=[0, 3, 8])
    with pytest.raises(ValueError, match="'beta'"):
        attn.vjp(attn.delta_rule, q, k, v, beta[:, :4], d_o=do)
    with pytest.raises(NotImplementedError, match="CPU only"):
        attn.vjp(attn.delta_rule, q, k, v, beta, d_o=do, target="sm_90")
