"""Gradients of linear and scalar-gated attention: attn.vjp and autograd on
CPU tensors against the float64 backpropagation of reference.py, itself
checked against torch autograd through a float64 torch recurrence."""
import numpy as np
import pytest
import torch

import attn
import attn.nn  # noqa: F401 - the layers of the training tests
import reference as ref

F32_TOL, BF16_TOL = 1e-4, 2e-2


def _inputs(rng, B=2, T=37, Hq=2, Hkv=2, Dk=16, Dv=16, dtype=np.float32,
            gate=None):
    x = {"q": rng.standard_normal((B, T, Hq, Dk)),
         "k": rng.standard_normal((B, T, Hkv, Dk)),
         "v": rng.standard_normal((B, T, Hkv, Dv)),
         "d_o": rng.standard_normal((B, T, Hq, Dv))}
    x = {n: a.astype(dtype) for n, a in x.items()}
    if gate == "weak":
        x["g"] = -rng.uniform(0.0, 0.2, (B, T, Hq)).astype(np.float32)
    elif gate == "strong":
        x["g"] = -rng.uniform(0.5, 6.0, (B, T, Hq)).astype(np.float32)
    states = {"initial_state": rng.standard_normal((B, Hq, Dk, Dv)),
              "d_final_state": rng.standard_normal((B, Hq, Dk, Dv))}
    return x, {n: a.astype(np.float32) for n, a in states.items()}


def _f32(a):
    return np.asarray(a, dtype=np.float32)


def _torch_recurrence_grads(x, s, feature_map, causal):
    """torch autograd through a float64 recurrence (independent of
    reference.linear_family_grad)."""
    t = {n: torch.tensor(np.asarray(a, np.float64), requires_grad=True)
         for n, a in {**x, "initial_state": s["initial_state"]}.items()
         if n != "d_o"}
    q, k, v = t["q"], t["k"], t["v"]
    G = q.shape[2] // k.shape[2]
    k, v = k.repeat_interleave(G, 2), v.repeat_interleave(G, 2)
    phi = {"identity": lambda z: z, "relu": torch.relu,
           "elu+1": lambda z: torch.nn.functional.elu(z) + 1}[feature_map]
    pq, pk = phi(q), phi(k)
    scale = q.shape[3] ** -0.5
    S = t["initial_state"]
    if not causal:
        S = S + torch.einsum("bthi,bthj->bhij", pk, v)
        o = scale * torch.einsum("bthi,bhij->bthj", pq, S)
    else:
        outs = []
        for i in range(q.shape[1]):
            if "g" in t:
                S = torch.exp(t["g"][:, i])[..., None, None] * S
            S = S + torch.einsum("bhi,bhj->bhij", pk[:, i], v[:, i])
            outs.append(scale * torch.einsum("bhi,bhij->bhj", pq[:, i], S))
        o = torch.stack(outs, 1)
    loss = (o * torch.tensor(np.asarray(x["d_o"], np.float64))).sum() + \
        (S * torch.tensor(np.asarray(s["d_final_state"], np.float64))).sum()
    loss.backward()
    return {n: a.grad.numpy() for n, a in t.items()}


@pytest.mark.parametrize("gate,feature_map,causal,hkv", [
    (None, "identity", True, 2), (None, "elu+1", True, 1),
    (None, "relu", False, 2), ("strong", "identity", True, 1)])
def test_reference_matches_torch_autograd(rng, gate, feature_map, causal,
                                          hkv):
    x, s = _inputs(rng, T=9, Hq=2, Hkv=hkv, Dk=4, Dv=3, dtype=np.float64,
                   gate=gate)
    want = _torch_recurrence_grads(x, s, feature_map, causal)
    got = ref.linear_family_grad(x["q"], x["k"], x["v"], x["d_o"],
                                 g=x.get("g"), feature_map=feature_map,
                                 causal=causal, **s)
    for name, g in zip(("q", "k", "v", "g", "initial_state"), got):
        if g is not None:
            assert ref.rel_err(g, want[name]) < 1e-12, name


def _check_vjp(op, x, s, tol, use_states=True, **kwargs):
    args = [x["q"], x["k"], x["v"]] + ([x["g"]] if "g" in x else [])
    states = s if use_states else {}
    got = attn.vjp(op, *args, d_o=x["d_o"],
                   d_final_state=states.get("d_final_state"),
                   initial_state=states.get("initial_state"), **kwargs)
    ref_kwargs = {n: kwargs[n] for n in ("feature_map", "causal", "scale")
                  if n in kwargs}
    want = ref.linear_family_grad(
        _f32(x["q"]), _f32(x["k"]), _f32(x["v"]), _f32(x["d_o"]),
        g=x.get("g"), initial_state=states.get("initial_state"),
        d_final_state=states.get("d_final_state"), **ref_kwargs)
    names = ["q", "k", "v"] + (["g"] if "g" in x else []) + \
        (["initial_state"] if use_states else [])
    assert sorted(got) == sorted(names)
    for name, w in zip(("q", "k", "v", "g", "initial_state"), want):
        if w is not None:
            err = ref.rel_err(_f32(got[name]), w)
            assert err < tol, f"{name}: rel. err. {err:.2e}"


@pytest.mark.parametrize("T", [1, 37, 100])
@pytest.mark.parametrize("use_states", [False, True])
def test_linear_attention_vjp(rng, T, use_states):
    x, s = _inputs(rng, T=T)
    _check_vjp(attn.linear_attention, x, s, F32_TOL, use_states)


@pytest.mark.parametrize("feature_map,causal", [
    ("elu+1", True), ("relu", True), ("identity", False), ("elu+1", False)])
def test_linear_attention_vjp_options(rng, feature_map, causal):
    x, s = _inputs(rng, T=50, Hq=4, Hkv=2)
    _check_vjp(attn.linear_attention, x, s, F32_TOL, feature_map=feature_map,
               causal=causal, scale=0.3)


@pytest.mark.parametrize("gate", ["weak", "strong"])
@pytest.mark.parametrize("T", [1, 65, 130])
def test_gated_vjp(rng, gate, T):
    x, s = _inputs(rng, T=T, Hq=4, Hkv=1, gate=gate)
    _check_vjp(attn.gated_linear_attention, x, s, F32_TOL)


@pytest.mark.parametrize("D", [64, 128])
def test_head_dims(rng, D):
    x, s = _inputs(rng, B=1, T=70, Dk=D, Dv=D, gate="weak")
    _check_vjp(attn.gated_linear_attention, x, s, F32_TOL)


@pytest.mark.parametrize("form,chunk_size", [
    ("recurrent", None), ("chunkwise", 16), ("quadratic", None)])
def test_every_form_gives_the_same_gradient(rng, form, chunk_size):
    x, s = _inputs(rng, T=45, gate="strong")
    _check_vjp(attn.gated_linear_attention, x, s, F32_TOL, form=form,
               chunk_size=chunk_size)
    x, s = _inputs(rng, T=45)
    _check_vjp(attn.linear_attention, x, s, F32_TOL, form=form,
               chunk_size=chunk_size)


def test_bf16(rng):
    import ml_dtypes
    x, s = _inputs(rng, B=1, T=100, Dk=64, Dv=64, gate="weak")
    for n in ("q", "k", "v", "d_o"):
        x[n] = x[n].astype(ml_dtypes.bfloat16)
    _check_vjp(attn.gated_linear_attention, x, s, BF16_TOL)


def _leaves(x, s, names):
    return {n: torch.tensor(np.asarray({**x, **s}[n]), requires_grad=True)
            for n in names}


@pytest.mark.parametrize("op", ["linear_attention", "gated_linear_attention"])
def test_autograd(rng, op):
    # backward() through the op gives every input's gradient: o and the
    # final state both in the loss.
    x, s = _inputs(rng, T=33, Hq=4, Hkv=2,
                   gate="weak" if op == "gated_linear_attention" else None)
    names = ["q", "k", "v"] + (["g"] if "g" in x else []) + ["initial_state"]
    t = _leaves(x, s, names)
    fn = getattr(attn, op)
    args = [t[n] for n in names if n != "initial_state"]
    o, S = fn(*args, initial_state=t["initial_state"], output_final_state=True)
    assert o.requires_grad and S.requires_grad
    loss = (o * torch.tensor(x["d_o"])).sum() + \
        (S * torch.tensor(s["d_final_state"])).sum()
    loss.backward()
    want = ref.linear_family_grad(x["q"], x["k"], x["v"], x["d_o"],
                                  g=x.get("g"), **s)
    for name, w in zip(("q", "k", "v", "g", "initial_state"), want):
        if w is not None:
            assert ref.rel_err(t[name].grad.numpy(), w) < F32_TOL, name


def test_autograd_output_only_and_training_step(rng):
    # Only o in the loss (the final state's gradient is None), and an
    # optimizer step on a layer's projections lowers the loss.
    x, _ = _inputs(rng, T=20)
    q = torch.tensor(x["q"], requires_grad=True)
    o = attn.linear_attention(q, torch.tensor(x["k"]), torch.tensor(x["v"]))
    o.sum().backward()
    want = ref.linear_family_grad(x["q"], x["k"], x["v"], np.ones_like(x["d_o"]))
    assert ref.rel_err(q.grad.numpy(), want[0]) < F32_TOL

    torch.manual_seed(0)
    layer = attn.nn.SimpleGLA(32, 2)
    opt = torch.optim.SGD(layer.parameters(), lr=0.05)
    h = torch.randn(2, 24, 32)
    target = torch.randn(2, 24, 32)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((layer(h) - target) ** 2).mean()
        loss.backward()
        assert all(p.grad is not None for p in layer.parameters())
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_errors(rng):
    x, s = _inputs(rng, T=8)
    q, k, v, do = x["q"], x["k"], x["v"], x["d_o"]
    with pytest.raises(NotImplementedError, match="packed sequences"):
        attn.vjp("linear_attention", q[:1], k[:1], v[:1], d_o=do[:1], cu_seqlens=[0, 3, 8])
    with pytest.raises(NotImplementedError, match="vector gate"):
        attn.vjp(attn.gated_linear_attention, q, k, v, np.zeros(q.shape, np.float32), d_o=do)
    with pytest.raises(NotImplementedError, match="normalize=True"):
        attn.vjp(attn.linear_attention, q, k, v, d_o=do, normalize=True)
    with pytest.raises(NotImplementedError, match="CPU only"):
        attn.vjp(attn.linear_attention, q, k, v, d_o=do, target="sm_90")
    with pytest.raises(ValueError, match=r"'d_o' must have the output's shape \(2, 8, 2, 16\), got \(2, 8, 2, 8\)"):
        attn.vjp(attn.linear_attention, q, k, v, d_o=np.ascontiguousarray(do[..., :8]))
    with pytest.raises(ValueError, match="'d_final_state' must have the final state's shape"):
        attn.vjp(attn.linear_attention, q, k, v, d_o=do, d_final_state=np.ascontiguousarray(s["d_final_state"][:, :1]))
    with pytest.raises(ValueError, match="'op' must be one of"):
        attn.vjp("nope", q, k, v, d_o=do)
    # Calls without a backward still build the graph and raise on backward,
    # saying why.
    tq = torch.tensor(q, requires_grad=True)
    o = attn.linear_attention(tq, torch.tensor(k), torch.tensor(v), normalize=True)
    with pytest.raises(RuntimeError, match="normalize=True are not supported yet"):
        o.sum().backward()


def test_training_example_runs():
    # docs/examples/train_recall.py, a few steps: the example stays runnable.
    import os
    import subprocess
    import sys
    script = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                          "examples", "train_recall.py")
    for mixer in ("SimpleGLA", "GatedDeltaNet"):
        out = subprocess.run([sys.executable, script, "--mixer", mixer,
                              "--steps", "10", "--batch", "8"],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert "step    1  loss" in out.stdout and mixer in out.stdout


def test_torch_compile_training_step(rng):
    # Under torch.compile the forward and its registered backward are one
    # graph each (fullgraph), with the eager gradients.
    x, s = _inputs(rng, B=1, T=40, gate="weak")
    names = ["q", "k", "v", "g", "initial_state"]

    def step(q, k, v, g, s0):
        o, S = attn.gated_linear_attention(q, k, v, g, initial_state=s0,
                                           output_final_state=True)
        return (o * o).sum() + S.sum()

    t = _leaves(x, s, names)
    step(*t.values()).backward()
    want = {n: a.grad for n, a in t.items()}
    t = _leaves(x, s, names)
    torch.compile(step, backend="aot_eager", fullgraph=True)(*t.values()).backward()
    for n in names:
        assert torch.allclose(t[n].grad, want[n], rtol=1e-5, atol=1e-5), n


def test_opcheck_autograd(rng):
    # torch.library's checks of the gradient operators and of the forward
    # ops' autograd registration.
    x, s = _inputs(rng, B=1, T=20, gate="weak")
    q, k, v, g, do = (torch.tensor(x[n]) for n in ("q", "k", "v", "g", "d_o"))
    s0, ds = torch.tensor(s["initial_state"]), torch.tensor(s["d_final_state"])
    checks = ("test_schema", "test_faketensor", "test_aot_dispatch_dynamic")
    torch.library.opcheck(torch.ops.attn.linear_attention_grad,
                          (q, k, v, do, s0, ds, True, None, "identity", None,
                           "auto", "cpu"), test_utils=checks)
    torch.library.opcheck(torch.ops.attn.gated_linear_attention_grad,
                          (q, k, v, g, do, None, ds, None, None, "auto", "cpu"),
                          test_utils=checks)
    leaves = [a.clone().requires_grad_() for a in (q, k, v, g)]
    torch.library.opcheck(torch.ops.attn.gated_linear_attention,
                          (*leaves, None, None, None, False, None, "auto", "cpu"),
                          test_utils=("test_autograd_registration",))


@pytest.mark.parametrize("Tq,Tk,hkv,causal,window", [
    (1, 1, 2, True, None), (100, 100, 2, True, None), (70, 70, 1, True, 16),
    (3, 65, 2, True, None), (40, 30, 2, False, None)])
def test_softmax_vjp(rng, Tq, Tk, hkv, causal, window):
    q = rng.standard_normal((2, Tq, 4, 32)).astype(np.float32)
    k = rng.standard_normal((2, Tk, hkv, 32)).astype(np.float32)
    v = rng.standard_normal((2, Tk, hkv, 16)).astype(np.float32)
    do = rng.standard_normal((2, Tq, 4, 16)).astype(np.float32)
    got = attn.vjp(attn.softmax_attention, q, k, v, d_o=do, causal=causal,
                   window=window)
    want = ref.softmax_attention_grad(q, k, v, do, causal=causal,
                                      window=window or 0)
    for name, w in zip("qkv", want):
        if np.linalg.norm(w) == 0:  # T = 1: one key, P = 1, no gradient
            assert np.abs(got[name]).max() < 1e-6
        else:
            assert ref.rel_err(got[name], w) < F32_TOL, name


def test_softmax_reference_and_autograd(rng):
    # The numpy reference against torch autograd through SDPA in float64,
    # then attn's autograd (eager and compiled) against the reference.
    q = rng.standard_normal((1, 33, 2, 16))
    k, v, do = (rng.standard_normal((1, 33, 2, 16)) for _ in range(3))
    t = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    o = torch.nn.functional.scaled_dot_product_attention(
        *(a.transpose(1, 2) for a in t), is_causal=True).transpose(1, 2)
    (o * torch.tensor(do)).sum().backward()
    want = ref.softmax_attention_grad(q, k, v, do)
    for a, w in zip(t, want):
        assert ref.rel_err(a.grad.numpy(), w) < 1e-12

    def step(q, k, v):
        return (attn.softmax_attention(q, k, v) * torch.tensor(do, dtype=torch.float32)).sum()

    for run in (step, torch.compile(step, backend="aot_eager", fullgraph=True)):
        t = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in (q, k, v)]
        run(*t).backward()
        for a, w in zip(t, want):
            assert ref.rel_err(a.grad.numpy(), w) < F32_TOL
