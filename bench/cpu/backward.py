"""CPU forward + backward: attn's autograd (the gradient ops, expanded into
forward ops by attn-expand-grad) against torch autograd through a plain
torch chunkwise implementation of the same op (C = 64, einsum products, the
state carried between chunks by a cumulative sum or, with a gate, a loop),
in the same process, f32.

    python3 bench/cpu/backward.py [--repeats 5] [--out bench/cpu/backward-results.md]

Each row: the median of `repeats` calls of forward + backward (loss =
sum(o * dO)), after a 0.3 s pause and one warm-up call (attn's first call compiles both the
forward and the gradient kernels), and the gradients' largest relative
error between the two (a check that both compute the same thing).
"""
import argparse
import datetime
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attn  # noqa: E402
from timing import median_ms  # noqa: E402

SHAPES = [(4, 1024, 4, 64), (1, 4096, 4, 64), (2, 2048, 4, 128)]


def torch_linear(q, k, v, g=None, C=64):
    """Chunkwise (scalar-gated) linear attention in plain torch, causal,
    scale 1/sqrt(Dk); T a multiple of C."""
    B, T, H, D = q.shape
    N = T // C
    scale = D ** -0.5
    qc, kc, vc = (x.reshape(B, N, C, H, x.shape[-1]) for x in (q, k, v))
    mask = torch.ones(C, C, dtype=torch.bool).tril()
    if g is None:
        kv = torch.einsum("bnchd,bnche->bnhde", kc, vc).cumsum(1)
        kv = torch.cat([torch.zeros_like(kv[:, :1]), kv[:, :-1]], 1)
        inter = torch.einsum("bnchd,bnhde->bnche", qc, kv)
        a = torch.einsum("bnchd,bnshd->bnhcs", qc, kc).masked_fill(~mask, 0)
        intra = torch.einsum("bnhcs,bnshe->bnche", a, vc)
        return ((inter + intra) * scale).reshape(B, T, H, v.shape[-1])
    G = g.reshape(B, N, C, H).cumsum(2)              # in-chunk log decays
    decay = (G[:, :, :, None, :] - G[:, :, None, :, :]).permute(0, 1, 4, 2, 3)
    decay = torch.exp(decay.masked_fill(~mask, float("-inf")))
    a = torch.einsum("bnchd,bnshd->bnhcs", qc, kc) * decay
    intra = torch.einsum("bnhcs,bnshe->bnche", a, vc)
    last = G[:, :, -1]                                # [B, N, H]
    kd = kc * torch.exp(last[:, :, None] - G)[..., None]
    S = q.new_zeros(B, H, D, v.shape[-1])
    outs = []
    for n in range(N):
        outs.append(torch.einsum("bchd,bhde->bche",
                                 qc[:, n] * torch.exp(G[:, n])[..., None], S))
        S = S * torch.exp(last[:, n])[..., None, None] + \
            torch.einsum("bchd,bche->bhde", kd[:, n], vc[:, n])
    inter = torch.stack(outs, 1)
    return ((inter + intra) * scale).reshape(B, T, H, v.shape[-1])


def torch_delta(q, k, v, beta, g=None, C=64):
    """Chunkwise (gated) delta rule in plain torch through the WY/UT form
    (a unit-lower-triangular solve per chunk, then the state carried by a
    loop over chunks); scale 1/sqrt(Dk), T a multiple of C."""
    B, T, H, D = q.shape
    N, Dv = T // C, v.shape[-1]
    # [B, N, H, C, D] chunks.
    qc, kc, vc = (x.reshape(B, N, C, H, x.shape[-1]).transpose(2, 3)
                  for x in (q, k, v))
    bc = beta.reshape(B, N, C, H).transpose(2, 3)[..., None]
    G = (torch.zeros_like(bc[..., 0]) if g is None
         else g.reshape(B, N, C, H).transpose(2, 3).cumsum(-1))
    strict = torch.ones(C, C, dtype=torch.bool).tril(-1)
    decay = torch.exp((G[..., :, None] - G[..., None, :])
                      .masked_fill(~torch.ones(C, C, dtype=torch.bool).tril(),
                                   float("-inf")))
    L = (bc * kc @ kc.transpose(-1, -2) * decay).masked_fill(~strict, 0)
    A = L + torch.eye(C)
    solve = lambda rhs: torch.linalg.solve_triangular(
        A, rhs, upper=False, unitriangular=True)
    U0, W = solve(bc * vc), solve(bc * torch.exp(G)[..., None] * kc)
    P = (qc @ kc.transpose(-1, -2)) * decay
    qg, last = qc * torch.exp(G)[..., None], G[..., -1]
    kd = kc * torch.exp(last[..., None] - G)[..., None]
    S = q.new_zeros(B, H, D, Dv)
    outs = []
    for n in range(N):
        u = U0[:, n] - W[:, n] @ S
        outs.append(qg[:, n] @ S + P[:, n] @ u)
        S = S * torch.exp(last[:, n])[..., None, None] + \
            kd[:, n].transpose(-1, -2) @ u
    o = torch.stack(outs, 1).transpose(2, 3) * D ** -0.5
    return o.reshape(B, T, H, Dv)


def run_case(op, shape, repeats, rng):
    B, T, H, D = shape
    x = {n: torch.tensor(rng.uniform(-1, 1, (B, T, H, D)).astype(np.float32))
         for n in ("q", "k", "v", "do")}
    delta = op.endswith("delta")
    if delta:  # unit keys and beta in (0, 1), as delta-rule layers have
        x["k"] = x["k"] / x["k"].norm(dim=-1, keepdim=True)
        x["beta"] = torch.tensor(rng.uniform(0.1, 0.9, (B, T, H))
                                 .astype(np.float32))
    if op.startswith("gated"):
        x["g"] = torch.tensor(-rng.uniform(0, 0.1, (B, T, H)).astype(np.float32))
    names = ["q", "k", "v"] + (["beta"] if delta else []) + \
        (["g"] if "g" in x else [])

    def step(fn):
        leaves = [x[n].clone().requires_grad_() for n in names]
        o = fn(*leaves)
        (o * x["do"]).sum().backward()
        return [t.grad for t in leaves]

    if delta:
        fa = lambda q, k, v, beta, g=None: attn.delta_rule(q, k, v, beta, g=g)
        ft = torch_delta
    else:
        fa = (lambda q, k, v, g=None: attn.gated_linear_attention(q, k, v, g)) \
            if op == "gated" else attn.linear_attention
        ft = torch_linear
    ga, gt = step(fa), step(ft)
    err = max(float((a - b).norm() / b.norm()) for a, b in zip(ga, gt))
    # A pause before each measurement, so that no OpenMP runtime's threads
    # still spin from the previous one (attn's and torch's share 2 cores).
    time.sleep(0.3)
    ms_a = median_ms(lambda: step(fa), repeats)
    time.sleep(0.3)
    ms_t = median_ms(lambda: step(ft), repeats)
    return ms_a, ms_t, err


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default=None)
    p.add_argument("--ops", default="linear,gated,delta,gated_delta")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for op in args.ops.split(","):
        for shape in SHAPES:
            ms_a, ms_t, err = run_case(op, shape, args.repeats, rng)
            rows.append((op, shape, ms_a, ms_t, err))
            print(f"{op:7s} {shape}: attn {ms_a:.1f} ms, torch {ms_t:.1f} ms "
                  f"({ms_t / ms_a:.2f}x), grad rel. diff {err:.1e}", flush=True)
    if args.out:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        when = datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC")
        lines = [
            "# attn CPU forward + backward",
            "",
            f"Machine: {os.cpu_count()} cores; torch {torch.__version__} (CPU), "
            f"{torch.get_num_threads()} threads. Command: `python3 bench/cpu/backward.py "
            f"--repeats {args.repeats} --out bench/cpu/backward-results.md` at "
            f"commit {commit}, {when}; medians of forward + backward "
            "(loss = sum(o * dO)), f32, H heads as listed, causal. Peer in "
            "the same process: torch autograd through a plain torch chunkwise "
            "implementation (C = 64; bench/cpu/backward.py torch_linear, and "
            "torch_delta through the WY form with a triangular solve). "
            "speed = torch / attn.",
            "",
            "| op | (B, T, H, D) | attn ms | torch ms | speed | grad rel. diff |",
            "|---|---|---|---|---|---|",
        ]
        for op, shape, ms_a, ms_t, err in rows:
            lines.append(f"| {op} | {shape} | {ms_a:.1f} | {ms_t:.1f} | "
                         f"{ms_t / ms_a:.2f}x | {err:.1e} |")
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
