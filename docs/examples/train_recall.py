"""Trains a small language model with one of attn's token mixers
(attn.nn.SimpleGLA, DeltaNet or GatedDeltaNet: --mixer) on multi-query
associative recall (MQAR), the standard
recall test for linear attention, on the CPU, and plots the loss. Each block
is a short causal convolution, the token mixer and an MLP.

Each sequence lists `pairs` key-value pairs (k1 v1 k2 v2 ...) and then asks
for the keys again in a random order; the model must answer each key with
its value. The data is made here, fresh for every step. Nothing but the
predictions of the values is scored, so chance is log(num_values).

    python3 docs/examples/train_recall.py [--mixer GatedDeltaNet] [--steps 600] [--plot loss.png]

Prints the loss and the recall accuracy every 25 steps; with matplotlib
installed, writes the loss curve to --plot. On CUDA tensors (--device cuda)
the same script needs the GPU backward, which attn does not have yet.
"""
import argparse
import math
import time

import torch
from torch import nn

import attn.nn


def mqar_batch(batch, pairs, num_keys, num_values, generator):
    """tokens [batch, 4 * pairs], targets (-100 where nothing is asked).
    Keys are tokens 0..num_keys-1, values num_keys..num_keys+num_values-1."""
    keys = torch.stack([torch.randperm(num_keys, generator=generator)[:pairs]
                        for _ in range(batch)])
    values = torch.randint(num_values, (batch, pairs), generator=generator)
    context = torch.stack([keys, values + num_keys], -1).reshape(batch, -1)
    order = torch.stack([torch.randperm(pairs, generator=generator)
                         for _ in range(batch)])
    asked = torch.gather(keys, 1, order)
    answers = torch.gather(values, 1, order) + num_keys
    # The query part alternates key, answer: the model predicts each answer
    # at its key's position.
    queries = torch.stack([asked, answers], -1).reshape(batch, -1)
    tokens = torch.cat([context, queries], 1)
    targets = torch.full_like(tokens, -100)
    targets[:, 2 * pairs::2] = answers
    return tokens, targets


class ShortConv(nn.Module):
    """A causal depthwise convolution over time (width 4), as fla's layers
    put before their projections: it lets a value token see the key just
    before it, which recall needs."""

    def __init__(self, dim, width=4):
        super().__init__()
        self.conv = nn.Conv1d(dim, dim, width, groups=dim, padding=width - 1)

    def forward(self, x):
        return self.conv(x.transpose(1, 2))[..., :x.shape[1]].transpose(1, 2)


class Block(nn.Module):
    def __init__(self, dim, heads, mixer):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.conv = ShortConv(dim)
        self.mixer = getattr(attn.nn, mixer)(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(),
                                 nn.Linear(4 * dim, dim))

    def forward(self, x):
        x = x + self.mixer(self.conv(self.norm1(x)))
        return x + self.mlp(self.norm2(x))


class RecallModel(nn.Module):
    def __init__(self, vocab, dim, heads, layers, mixer):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, mixer)
                                    for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mixer", default="SimpleGLA",
                   choices=["SimpleGLA", "DeltaNet", "GatedDeltaNet"])
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--pairs", type=int, default=8)
    p.add_argument("--keys", type=int, default=32)
    p.add_argument("--values", type=int, default=32)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--plot", default=None, help="write the loss curve (PNG)")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = RecallModel(args.keys + args.values, args.dim, args.heads,
                        args.layers, args.mixer).to(args.device)
    params = sum(x.numel() for x in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.steps)
    print(f"MQAR: {args.pairs} pairs, {args.keys} keys, {args.values} values, "
          f"T = {4 * args.pairs}; model {params / 1e6:.2f} M parameters, "
          f"{args.layers} x {args.mixer}({args.dim}, {args.heads} heads); "
          f"chance loss {math.log(args.values):.2f}")
    losses, start = [], time.time()
    for step in range(1, args.steps + 1):
        tokens, targets = mqar_batch(args.batch, args.pairs, args.keys,
                                     args.values, gen)
        tokens, targets = tokens.to(args.device), targets.to(args.device)
        logits = model(tokens)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1),
                                           targets.flatten(), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % 25 == 0 or step == 1:
            asked = targets != -100
            acc = (logits.argmax(-1)[asked] == targets[asked]).float().mean()
            print(f"step {step:4d}  loss {loss.item():.3f}  recall "
                  f"{acc.item():.2f}  ({time.time() - start:.0f} s)")
    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no plot")
            return
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(range(1, len(losses) + 1), losses, lw=1)
        ax.axhline(math.log(args.values), color="gray", ls="--", lw=1,
                   label="chance")
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy of the answers")
        ax.set_title(f"MQAR ({args.pairs} pairs), {args.layers} x attn.nn.{args.mixer}, CPU")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
