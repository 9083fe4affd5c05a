"""A float64 numpy reference of every op, written from docs/ops.md
independently of the compiler (and of lib/Reference): plain loops over t.

Grouped-query attention (GQA): q has Hq heads and k, v have Hkv heads with
Hq a multiple of Hkv (G = Hq // Hkv); query head h reads key/value head
h // G, which is what np.repeat(k, G, axis=2) gives. Everything else (beta,
gates, states, o) is per query head."""
import numpy as np


def _f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


def _repeat_kv(q, k, v):
    """k, v [B, T, Hkv, D] repeated to q's Hq heads (query head h reads
    key/value head h // G)."""
    Hq, Hkv = q.shape[2], k.shape[2]
    if v.shape[2] != Hkv:
        raise ValueError(f"k has {Hkv} heads but v has {v.shape[2]}")
    if Hkv == 0 or Hq % Hkv != 0:
        raise ValueError(f"k has {Hkv} heads but q has {Hq}: Hq must be a "
                         f"multiple of Hkv")
    G = Hq // Hkv
    return np.repeat(k, G, axis=2), np.repeat(v, G, axis=2)


def softmax_attention(q, k, v, causal=True, scale=None, window=0):
    """window > 0 (causal only): query t, at t' = t + Tk - Tq, sees keys
    t' - window < s <= t'. 0 (or None) is no window. A query that sees no
    key (causal, Tq > Tk) gives 0."""
    q, k, v = _f64(q), _f64(k), _f64(v)
    window = 0 if window is None else window
    if window < 0:
        raise ValueError(f"window must be >= 0, got {window}")
    if window and not causal:
        raise ValueError("window needs causal=True")
    k, v = _repeat_kv(q, k, v)
    B, Tq, H, Dk = q.shape
    Tk = k.shape[1]
    if Tq == 0 or Tk == 0:  # an empty (packed) sequence: nothing to see
        return np.zeros((B, Tq, H, v.shape[3]))
    scale = 1 / np.sqrt(Dk) if scale is None else scale
    p = _softmax_weights(q, k, causal, scale, window)
    return np.einsum("bhts,bshd->bthd", p, v)


def _softmax_weights(q, k, causal, scale, window):
    """P [B, H, Tq, Tk] of softmax attention (k repeated to q's heads)."""
    Tq, Tk = q.shape[1], k.shape[1]
    s = np.einsum("bthd,bshd->bhts", q, k) * scale
    visible = np.ones((Tq, Tk), dtype=bool)
    if causal:
        t = np.arange(Tq)[:, None] + (Tk - Tq)
        keys = np.arange(Tk)[None, :]
        visible = keys <= t
        if window:
            visible &= keys > t - window
    s = np.where(visible, s, -np.inf)
    # Rows with no visible key give 0 (as in FlashAttention), not NaN.
    mx = s.max(-1, keepdims=True)
    p = np.exp(s - np.where(np.isfinite(mx), mx, 0))
    den = p.sum(-1, keepdims=True)
    return p / np.where(den > 0, den, 1)


def _phi(x, feature_map, projection=None):
    if feature_map in ("favor", "favor+"):
        # FAVOR+ (Performer): exp(W x - |x|^2 / 2) / sqrt(m), W [m, Dk].
        w = np.asarray(projection, dtype=np.float64)
        wx = np.einsum("rd,bthd->bthr", w, x)
        sq = 0.5 * (x * x).sum(-1, keepdims=True)
        return np.exp(wx - sq) / np.sqrt(w.shape[0])
    if feature_map == "identity":
        return x
    if feature_map in ("elu+1", "elu_plus_one"):
        return np.where(x > 0, x + 1, np.exp(x))
    if feature_map == "relu":
        return np.maximum(x, 0)
    raise ValueError(feature_map)


def _recurrence(q, k, v, s0, step, scale):
    """o_t = scale q_t^T S_t with S_t = step(t, S_{t-1})."""
    B, T, H, Dk = q.shape
    Dv = v.shape[3]
    S = np.zeros((B, H, Dk, Dv)) if s0 is None else s0.copy()
    o = np.zeros((B, T, H, Dv))
    for t in range(T):
        S = step(t, S)
        o[:, t] = scale * np.einsum("bhi,bhij->bhj", q[:, t], S)
    return o, S


def linear_attention(q, k, v, causal=True, scale=None, feature_map="identity",
                     normalize=False, initial_state=None, projection=None):
    q, k, v, s0 = _f64(q), _f64(k), _f64(v), _f64(initial_state)
    k, v = _repeat_kv(q, k, v)
    scale = 1 / np.sqrt(q.shape[3]) if scale is None else scale
    pq = _phi(q, feature_map, projection)
    pk = _phi(k, feature_map, projection)
    if not causal:
        S = (0 if s0 is None else s0) + np.einsum("bthi,bthj->bhij", pk, v)
        o = scale * np.einsum("bthi,bhij->bthj", pq, S)
        if normalize:
            z = pk.sum(1)
            o /= scale * np.einsum("bthi,bhi->bth", pq, z)[..., None]
        return o, S
    o, S = _recurrence(pq, pk, v, s0, lambda t, S: S + np.einsum(
        "bhi,bhj->bhij", pk[:, t], v[:, t]), scale)
    if normalize:
        z = np.cumsum(pk, axis=1)
        o /= scale * np.einsum("bthi,bthi->bth", pq, z)[..., None]
    return o, S


def gated_linear_attention(q, k, v, g, scale=None, initial_state=None):
    q, k, v, g, s0 = _f64(q), _f64(k), _f64(v), _f64(g), _f64(initial_state)
    k, v = _repeat_kv(q, k, v)
    scale = 1 / np.sqrt(q.shape[3]) if scale is None else scale

    def step(t, S):
        decay = np.exp(g[:, t])
        decay = decay[..., None, None] if g.ndim == 3 else decay[..., None]
        return decay * S + np.einsum("bhi,bhj->bhij", k[:, t], v[:, t])

    return _recurrence(q, k, v, s0, step, scale)


def delta_rule(q, k, v, beta, g=None, scale=None, initial_state=None):
    q, k, v, beta = _f64(q), _f64(k), _f64(v), _f64(beta)
    g, s0 = _f64(g), _f64(initial_state)
    k, v = _repeat_kv(q, k, v)
    scale = 1 / np.sqrt(q.shape[3]) if scale is None else scale

    def step(t, S):
        kt, vt, bt = k[:, t], v[:, t], beta[:, t][..., None]
        if g is not None:
            S = np.exp(g[:, t])[..., None, None] * S
        kS = np.einsum("bhi,bhij->bhj", kt, S)
        return S + np.einsum("bhi,bhj->bhij", kt, bt * (vt - kS))

    return _recurrence(q, k, v, s0, step, scale)


def _phi_grad(x, feature_map):
    """phi'(x) (relu's taken as 0 at 0)."""
    if feature_map == "identity":
        return np.ones_like(x)
    if feature_map in ("elu+1", "elu_plus_one"):
        return np.where(x > 0, 1.0, np.exp(x))
    if feature_map == "relu":
        return (x > 0).astype(np.float64)
    raise ValueError(feature_map)


def linear_family_grad(q, k, v, do, g=None, scale=None, initial_state=None,
                       d_final_state=None, feature_map="identity",
                       causal=True):
    """Gradients of linear attention (g None) or scalar-gated linear
    attention (g [B, T, H]) by backpropagation through the recurrence, in
    float64: the states forward, then dS backwards over t. Returns dq, dk,
    dv (k and v summed over each group of query heads), dg (None without a
    gate) and d_initial_state (None without an initial state)."""
    q, k0, v0, do = _f64(q), _f64(k), _f64(v), _f64(do)
    g, s0, dsT = _f64(g), _f64(initial_state), _f64(d_final_state)
    k, v = _repeat_kv(q, k0, v0)
    B, T, H, Dk = q.shape
    Dv = v.shape[3]
    scale = 1 / np.sqrt(Dk) if scale is None else scale
    pq, pk = _phi(q, feature_map), _phi(k, feature_map)
    decay = np.ones((B, T, H)) if g is None else np.exp(g)
    S0 = np.zeros((B, H, Dk, Dv)) if s0 is None else s0
    if not causal:
        S = S0 + np.einsum("bthi,bthj->bhij", pk, v)
        R = scale * np.einsum("bthi,bthj->bhij", pq, do)
        if dsT is not None:
            R = R + dsT
        dpq = scale * np.einsum("bhij,bthj->bthi", S, do)
        dpk = np.einsum("bhij,bthj->bthi", R, v)
        dv = np.einsum("bhij,bthi->bthj", R, pk)
        ds0, dg = R, None
    else:
        states = [S0]  # states[t + 1] = S_t
        for t in range(T):
            states.append(decay[:, t][..., None, None] * states[-1]
                          + np.einsum("bhi,bhj->bhij", pk[:, t], v[:, t]))
        D = np.zeros((B, H, Dk, Dv)) if dsT is None else dsT.copy()
        dpq, dpk = np.zeros_like(pq), np.zeros_like(pk)
        dv, dg = np.zeros_like(v), np.zeros((B, T, H))
        for t in reversed(range(T)):
            St = states[t + 1]
            dpq[:, t] = scale * np.einsum("bhij,bhj->bhi", St, do[:, t])
            D = D + scale * np.einsum("bhi,bhj->bhij", pq[:, t], do[:, t])
            dpk[:, t] = np.einsum("bhij,bhj->bhi", D, v[:, t])
            dv[:, t] = np.einsum("bhij,bhi->bhj", D, pk[:, t])
            # S_t = a_t S_{t-1} + ..., a_t = exp(g_t): dg_t = a_t <D, S_{t-1}>.
            dg[:, t] = decay[:, t] * np.einsum("bhij,bhij->bh", D,
                                               states[t])
            D = decay[:, t][..., None, None] * D
        ds0 = D
    dq = dpq * _phi_grad(q, feature_map)
    dk = dpk * _phi_grad(k, feature_map)
    G = H // k0.shape[2]
    dk = dk.reshape(B, T, k0.shape[2], G, Dk).sum(3)
    dv = dv.reshape(B, T, k0.shape[2], G, Dv).sum(3)
    return (dq, dk, dv, dg if g is not None else None,
            ds0 if s0 is not None else None)


def delta_rule_grad(q, k, v, beta, do, g=None, scale=None, initial_state=None,
                    d_final_state=None):
    """Gradients of delta_rule by backpropagation through the recurrence, in
    float64. With P_t = exp(g_t) S_{t-1}, e_t = v_t - P_t^T k_t and
    x = D_t^T k_t: dv_t = beta_t x, dbeta_t = x . e_t, dk_t = beta_t (D_t e_t
    - P_t x), dg_t = <D_t - beta_t k_t x^T, P_t> and D_{t-1} = exp(g_t) (D_t
    - beta_t k_t x^T). Returns dq, dk, dv (summed over each group of query
    heads), dbeta, dg (None without a gate) and d_initial_state (None
    without an initial state)."""
    q, k0, v0, beta, do = _f64(q), _f64(k), _f64(v), _f64(beta), _f64(do)
    g, s0, dsT = _f64(g), _f64(initial_state), _f64(d_final_state)
    k, v = _repeat_kv(q, k0, v0)
    B, T, H, Dk = q.shape
    Dv = v.shape[3]
    scale = 1 / np.sqrt(Dk) if scale is None else scale
    decay = np.ones((B, T, H)) if g is None else np.exp(g)
    S = np.zeros((B, H, Dk, Dv)) if s0 is None else s0
    pre, errs, states = [], [], []
    for t in range(T):
        P = decay[:, t][..., None, None] * S
        e = v[:, t] - np.einsum("bhij,bhi->bhj", P, k[:, t])
        S = P + np.einsum("bhi,bhj->bhij", beta[:, t][..., None] * k[:, t], e)
        pre.append(P)
        errs.append(e)
        states.append(S)
    D = np.zeros((B, H, Dk, Dv)) if dsT is None else dsT.copy()
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    dbeta, dg = np.zeros((B, T, H)), np.zeros((B, T, H))
    for t in reversed(range(T)):
        D = D + scale * np.einsum("bhi,bhj->bhij", q[:, t], do[:, t])
        dq[:, t] = scale * np.einsum("bhij,bhj->bhi", states[t], do[:, t])
        bt = beta[:, t][..., None]
        x = np.einsum("bhij,bhi->bhj", D, k[:, t])
        dv[:, t] = bt * x
        dbeta[:, t] = np.einsum("bhj,bhj->bh", x, errs[t])
        dk[:, t] = bt * (np.einsum("bhij,bhj->bhi", D, errs[t])
                         - np.einsum("bhij,bhj->bhi", pre[t], x))
        dP = D - np.einsum("bhi,bhj->bhij", bt * k[:, t], x)
        dg[:, t] = np.einsum("bhij,bhij->bh", dP, pre[t])
        D = decay[:, t][..., None, None] * dP
    G = H // k0.shape[2]
    dk = dk.reshape(B, T, k0.shape[2], G, Dk).sum(3)
    dv = dv.reshape(B, T, k0.shape[2], G, Dv).sum(3)
    return (dq, dk, dv, dbeta, dg if g is not None else None,
            D if s0 is not None else None)


def softmax_attention_grad(q, k, v, do, causal=True, scale=None, window=0):
    """Gradients of softmax_attention (dq, dk, dv; dk and dv summed over
    each group of query heads), from the weights P written out: dV = P^T dO,
    dS = P (dP - rowsum(P dP)) with dP = dO V^T, dQ = scale dS K,
    dK = scale dS^T Q."""
    q, k0, v0, do = _f64(q), _f64(k), _f64(v), _f64(do)
    k, v = _repeat_kv(q, k0, v0)
    B, Tq, H, Dk = q.shape
    Tk = k.shape[1]
    scale = 1 / np.sqrt(Dk) if scale is None else scale
    p = _softmax_weights(q, k, causal, scale, window)
    dp = np.einsum("bthj,bshj->bhts", do, v)
    ds = p * (dp - (p * dp).sum(-1, keepdims=True)) * scale
    dq = np.einsum("bhts,bshd->bthd", ds, k)
    dk = np.einsum("bhts,bthd->bshd", ds, q)
    dv = np.einsum("bhts,bthj->bshj", p, do)
    G = H // k0.shape[2]
    dk = dk.reshape(B, Tk, k0.shape[2], G, Dk).sum(3)
    dv = dv.reshape(B, Tk, k0.shape[2], G, v.shape[3]).sum(3)
    return dq, dk, dv


def packed(op, cu_seqlens, per_step, initial_state=None, **kwargs):
    """The packed (variable-length) form of `op` by its definition: every
    array in `per_step` (q, k, v, then g/beta as the op takes them
    positionally) is [1, T, ...]; sequence n is positions
    [cu[n], cu[n + 1]), run through `op` on its own with initial_state[n]
    ([N, ...]) when given. Returns o concatenated along T, and for the
    linear family (o, final states stacked to [N, ...])."""
    cu = [int(c) for c in cu_seqlens]
    T = per_step[0].shape[1]
    if cu[0] != 0 or cu[-1] != T or any(b < a for a, b in zip(cu, cu[1:])):
        raise ValueError(f"bad cu_seqlens {cu} for T = {T}")
    outs, states = [], []
    for n in range(len(cu) - 1):
        args = [x[:, cu[n]:cu[n + 1]] for x in per_step]
        if initial_state is not None:
            kwargs["initial_state"] = initial_state[n:n + 1]
        r = op(*args, **kwargs)
        if isinstance(r, tuple):
            outs.append(r[0])
            states.append(r[1])
        else:
            outs.append(r)
    o = np.concatenate(outs, axis=1)
    return (o, np.concatenate(states, axis=0)) if states else o


def rel_err(out, ref):
    out = np.asarray(out, dtype=np.float64)
    return np.linalg.norm(out - ref) / np.linalg.norm(ref)
