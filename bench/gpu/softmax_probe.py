#!/usr/bin/env python3
"""Localizes a wrong softmax kernel: runs it on inputs built so that one
product's layout cannot matter, and prints the relative error of each probe.

    python3 bench/gpu/softmax_probe.py DIR/sm_d64_tail.json [...]

Probes (causal or not, as the manifest says):
  random    q, k, v uniform in [-1, 1]
  k=0       every score 0: O is the mean of V over the visible keys, so
            S = Q K^T's operand layout cannot matter, only P V's
  v=f(d)    v[t, d] = f(d) for every key: O = f(d) whatever P is (rows of P
            sum to 1), so only P V's mapping along N (head dim) matters
  v=g(t)    v[t, d] = g(t), the same in every column: only P V's mapping
            along K (keys) and P itself matter
It also prints the error of each 8-column and each 16-row group for the
random probe, and, with --peak, runs the "peak" probe: query t is a large
multiple of key p(t) (so P is nearly one-hot at p(t)) and v[s, d] = 1 where
d = s mod Dv: the output's largest column says which key the kernel weighed,
printed as (query, p(t), kernel's column, reference's column) where they
differ.
"""
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "GPU"))
from check_kernels import attn_cuda, reference, rel_err, round_to  # noqa: E402


def main():
    import torch
    cuda, ref = attn_cuda(), reference()
    dev = torch.device("cuda")
    for path in [a for a in sys.argv[1:] if not a.startswith("--")]:
        kernel = cuda.load(path)
        spec = {b.name: b for b in kernel.buffers}
        attrs = kernel.attributes
        B, Tq, Hq, D = spec["q"].shape
        Tk, Hkv, Dv = spec["k"].shape[1], spec["k"].shape[2], spec["v"].shape[3]
        rng = np.random.default_rng(1)

        def run(q, k, v):
            q, k, v = (round_to(x, "bf16") for x in (q, k, v))
            args = [torch.from_numpy(x).to(torch.bfloat16).to(dev) for x in (q, k, v)]
            o = torch.full(spec["o"].shape, float("nan"), dtype=torch.bfloat16, device=dev)
            kernel.prepare(dev)
            kernel(*args, out=(o,))
            torch.cuda.synchronize()
            exp = ref.softmax_attention(q.astype(np.float64), k.astype(np.float64),
                                        v.astype(np.float64),
                                        causal=attrs.get("causal", True),
                                        scale=attrs.get("scale"),
                                        window=attrs.get("window", 0) or 0)
            return o.double().cpu().numpy(), exp

        u = lambda *s: rng.uniform(-1, 1, s)
        q, k, v = u(B, Tq, Hq, D), u(B, Tk, Hkv, D), u(B, Tk, Hkv, Dv)
        f = np.broadcast_to(u(1, 1, 1, Dv), v.shape).copy()
        g = np.broadcast_to(u(B, Tk, Hkv, 1), v.shape).copy()
        probes = {"random": (q, k, v), "k=0": (q, 0 * k, v),
                  "v=f(d)": (q, k, f), "v=g(t)": (q, k, g)}
        print(f"== {kernel.name} (q {spec['q'].shape}, k {spec['k'].shape})")
        for name, (a, b, c) in probes.items():
            out, exp = run(a, b, c)
            print(f"  {name:8s} rel. err. {rel_err(out, exp):.3e}")
            if name == "random":
                cols = [(rel_err(out[..., j:j + 8], exp[..., j:j + 8]), j)
                        for j in range(0, Dv, 8)]
                warp = (np.arange(Tq) % 64) // 16
                rows = [(rel_err(out[:, warp == w], exp[:, warp == w]), w)
                        for w in range(4) if Tq > 16 * w]
                print("    by column group:", " ".join(f"{j}:{e:.2f}" for e, j in cols))
                print("    by warp (row % 64 // 16):",
                      " ".join(f"{w}:{e:.2f}" for e, w in rows))
        if "--peak" in sys.argv:
            kn = k / np.linalg.norm(k, axis=-1, keepdims=True)
            Tvis = np.arange(Tq) + Tk - Tq if attrs.get("causal", True) else \
                np.full(Tq, Tk - 1)
            pk = np.array([rng.integers(0, t + 1) for t in np.maximum(Tvis, 0)])
            group = Hq // Hkv
            qp = np.stack([kn[:, pk, h // group] for h in range(Hq)], axis=2) * 200.0
            onehot = (np.arange(Tk)[:, None] % Dv == np.arange(Dv)[None, :])
            vp = np.broadcast_to(onehot[None, :, None, :], v.shape).astype(np.float64)
            out, exp = run(qp, kn, vp)
            print(f"  peak     rel. err. {rel_err(out, exp):.3e}")
            got, want = out[0, :, 0].argmax(-1), exp[0, :, 0].argmax(-1)
            bad = [(t, int(pk[t]), int(got[t]), int(want[t]))
                   for t in range(Tq) if got[t] != want[t]]
            print(f"    {len(bad)} of {Tq} queries peak elsewhere; first:", bad[:24])
        kernel.close()


if __name__ == "__main__":
    main()
