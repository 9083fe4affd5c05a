#!/usr/bin/env python3
"""A numpy model of GlaSplitKernels.cpp's arithmetic, for one head: the state
pass and the output kernel's sub-block scores with their bf16 roundings,
references m_I = b_I0 - min(s/2, 40) and the elementwise diagonal for
spreads over 80, against a float64 recurrence. It checks the scheme, not the
kernels (test/GPU/check_kernels.py does that on a GPU).

    python3 test/GPU/gla_split_model.py
"""
import numpy as np
def bf16(x):
    x = np.asarray(x, np.float32).copy()
    u = x.view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32)
def ref(q, k, v, g, s0):
    T, D = q.shape; S = s0.astype(np.float64).copy(); o = np.zeros((T, v.shape[1]))
    for t in range(T):
        S = np.exp(g[t])[:, None] * S + np.outer(k[t], v[t]); o[t] = q[t] @ S
    return o, S
def kernel(q, k, v, g, s0, C=64, SP=80.0):
    T, D = q.shape; N = (T + C - 1) // C; Tp = N * C
    pad = lambda x: np.concatenate([x, np.zeros((Tp - T,) + x.shape[1:], x.dtype)])
    q, k, v, g = map(pad, (bf16(q), bf16(k), bf16(v), g.astype(np.float32)))
    S = s0.astype(np.float32); states = []
    for n in range(N):
        sl = slice(n * C, n * C + C); b = np.cumsum(g[sl], 0, dtype=np.float32)
        states.append(bf16(S))
        kd = bf16(k[sl] * np.exp(b[-1] - b)); S = np.exp(b[-1])[:, None] * S + kd.T @ v[sl]
    o = np.zeros((Tp, v.shape[1]), np.float32); nexact = 0
    for n in range(N):
        sl = slice(n * C, n * C + C); b = np.cumsum(g[sl], 0, dtype=np.float32)
        qn, kn, vn = q[sl], k[sl], v[sl]
        A = np.zeros((C, C), np.float32)
        for I in range(C // 16):
            ri = slice(16 * I, 16 * I + 16); first, last = b[16 * I], b[16 * I + 15]
            m = first - np.minimum((first - last) * 0.5, SP / 2)
            qd = bf16(qn[ri] * np.exp(b[ri] - m))
            for J in range(I + 1):
                rj = slice(16 * J, 16 * J + 16)
                with np.errstate(over='ignore', invalid='ignore'):
                    kp = bf16(kn[rj] * np.exp(m - b[rj]))
                    A[ri, rj] = qd @ kp.T
            if (first - last).max() > SP:
                nexact += 1
                x = np.minimum(b[ri][:, None, :] - b[ri][None, :, :], 0)
                A[ri, ri] = np.einsum('id,jd,ijd->ij', qn[ri], kn[ri], np.exp(x))
        A = np.where(np.tril(np.ones((C, C), bool)), A, 0)
        qg = bf16(qn * np.exp(b))
        o[sl] = qg @ states[n] + bf16(A) @ vn
    return o[:T], S, nexact
rng = np.random.default_rng(0)
for name, T, D, kind in [("weak", 130, 128, "weak"), ("strong", 200, 128, "strong"), ("extreme", 100, 64, "extreme"), ("t1", 1, 64, "weak")]:
    q = rng.standard_normal((T, D)).astype(np.float32) * D ** -0.5
    k = rng.standard_normal((T, D)).astype(np.float32); v = rng.standard_normal((T, D)).astype(np.float32)
    x = rng.standard_normal((T, D)).astype(np.float32)
    weak = -np.logaddexp(0, -x) / 16
    if kind == "strong": g = np.log(0.01) * (1 + 0.1 * np.abs(x))
    elif kind == "extreme": g = np.where(np.arange(D) % 2 == 1, np.log(1e-5) * (1 + 0.1 * np.abs(x)), weak)
    else: g = weak
    g = g.astype(np.float32); s0 = 0.1 * rng.standard_normal((D, D)).astype(np.float32)
    ro, rS = ref(bf16(q), bf16(k), bf16(v), g, s0)
    o, S, ne = kernel(q, k, v, g, s0)
    print(name, "o err %.2e" % (np.linalg.norm(o - ro) / np.linalg.norm(ro)), "S err %.2e" % (np.linalg.norm(S - rS) / np.linalg.norm(rS)), "exact blocks", ne, "finite", np.isfinite(o).all())
