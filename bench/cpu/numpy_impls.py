"""The numpy + BLAS peers of the CPU benchmark: the same algorithms attn
compiles, written the way a numpy user would (chunkwise for the linear
family, blocked exact softmax), float32, layout [B, T, H, D]."""
import numpy as np


def _heads(x):
    """[B, T, H, D] -> [B*H, T, D] (a copy, C-contiguous)."""
    B, T, H, D = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3).reshape(B * H, T, D))


def _unheads(x, B, H):
    BH, T, D = x.shape
    return x.reshape(B, H, T, D).transpose(0, 2, 1, 3)


def linear_chunkwise(q, k, v, chunk=64, scale=None):
    B, T, H, Dk = q.shape
    scale = 1 / np.sqrt(Dk) if scale is None else scale
    qh, kh, vh = _heads(q), _heads(k), _heads(v)
    o = np.empty_like(vh)
    mask = np.tril(np.ones((chunk, chunk), np.float32))
    for n in range(qh.shape[0]):
        S = np.zeros((Dk, vh.shape[2]), np.float32)
        for c0 in range(0, T, chunk):
            qc, kc, vc = qh[n, c0:c0 + chunk], kh[n, c0:c0 + chunk], vh[n, c0:c0 + chunk]
            m = mask[:len(qc), :len(qc)]
            o[n, c0:c0 + chunk] = scale * (qc @ S + ((qc @ kc.T) * m) @ vc)
            S += kc.T @ vc
    return _unheads(o, B, H)


def gated_scalar_chunkwise(q, k, v, g, chunk=64, scale=None):
    B, T, H, Dk = q.shape
    scale = 1 / np.sqrt(Dk) if scale is None else scale
    qh, kh, vh = _heads(q), _heads(k), _heads(v)
    gh = np.ascontiguousarray(g.transpose(0, 2, 1).reshape(B * H, T))
    o = np.empty_like(vh)
    for n in range(qh.shape[0]):
        S = np.zeros((Dk, vh.shape[2]), np.float32)
        for c0 in range(0, T, chunk):
            qc, kc, vc = qh[n, c0:c0 + chunk], kh[n, c0:c0 + chunk], vh[n, c0:c0 + chunk]
            b = np.cumsum(gh[n, c0:c0 + chunk])
            decay = np.tril(np.exp(np.minimum(b[:, None] - b[None, :], 0)))
            o[n, c0:c0 + chunk] = scale * (
                (qc * np.exp(b)[:, None]) @ S + ((qc @ kc.T) * decay) @ vc)
            S = np.exp(b[-1]) * S + (kc * np.exp(b[-1] - b)[:, None]).T @ vc
    return _unheads(o, B, H)


def delta_chunkwise(q, k, v, beta, chunk=64, scale=None):
    B, T, H, Dk = q.shape
    scale = 1 / np.sqrt(Dk) if scale is None else scale
    qh, kh, vh = _heads(q), _heads(k), _heads(v)
    bh = np.ascontiguousarray(beta.transpose(0, 2, 1).reshape(B * H, T))
    o = np.empty_like(vh)
    for n in range(qh.shape[0]):
        S = np.zeros((Dk, vh.shape[2]), np.float32)
        for c0 in range(0, T, chunk):
            qc, kc, vc = qh[n, c0:c0 + chunk], kh[n, c0:c0 + chunk], vh[n, c0:c0 + chunk]
            bc = bh[n, c0:c0 + chunk]
            C = len(qc)
            L = np.tril(bc[:, None] * (kc @ kc.T), -1)
            A = np.linalg.inv(np.eye(C, dtype=np.float32) + L)  # the UT transform
            W, U = A @ (bc[:, None] * kc), A @ (bc[:, None] * vc)
            u = U - W @ S
            o[n, c0:c0 + chunk] = scale * (qc @ S + np.tril(qc @ kc.T) @ u)
            S = S + kc.T @ u
    return _unheads(o, B, H)


def softmax_blocked(q, k, v, block=128, causal=True, scale=None):
    """Exact causal softmax attention with an online softmax over key
    blocks (the FlashAttention recurrence in numpy)."""
    B, T, H, Dk = q.shape
    scale = 1 / np.sqrt(Dk) if scale is None else scale
    qh, kh, vh = _heads(q), _heads(k), _heads(v)
    o = np.empty_like(vh)
    for n in range(qh.shape[0]):
        for q0 in range(0, T, block):
            qb = qh[n, q0:q0 + block] * scale
            m = np.full(len(qb), -np.inf, np.float32)
            l = np.zeros(len(qb), np.float32)
            acc = np.zeros((len(qb), vh.shape[2]), np.float32)
            kend = min(T, q0 + block) if causal else T
            for k0 in range(0, kend, block):
                s = qb @ kh[n, k0:k0 + block].T
                if causal and k0 + block > q0:
                    t = np.arange(q0, q0 + len(qb))[:, None]
                    s = np.where(np.arange(k0, k0 + s.shape[1])[None, :] <= t, s, -np.inf)
                m_new = np.maximum(m, s.max(1))
                p = np.exp(s - m_new[:, None])
                alpha = np.exp(m - m_new)
                l = l * alpha + p.sum(1)
                acc = acc * alpha[:, None] + p @ vh[n, k0:k0 + block]
                m = m_new
            o[n, q0:q0 + block] = acc / l[:, None]
    return _unheads(o, B, H)
