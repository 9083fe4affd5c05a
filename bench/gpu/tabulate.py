"""Tables and a plot from the progress lines bench/gpu/run.py prints
("NAME: attn X ms, PEER Y ms, o vs peer E"), for runs that stopped before
run.py wrote its own results.md (the GPU machine's time ran out).

    python3 bench/gpu/tabulate.py LOG [LOG ...] --png out.png > table.md

A later LOG's row for a kernel replaces an earlier one's."""
import argparse
import re
import sys

LINE = re.compile(r"^(\S+): attn ([\d.]+) ms, (.+?) ([\d.]+) ms, o vs peer (\S+)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--png")
    a = ap.parse_args()
    rows = {}
    for i, log in enumerate(a.logs):
        for line in open(log):
            m = LINE.match(line.strip())
            if m:
                name, ours, peer, peer_ms, err = m.groups()
                rows[name] = (float(ours), peer, float(peer_ms), err, i + 1)
    print("| kernel | attn ms | peer | peer ms | attn speed vs peer | o vs peer | run |")
    print("|---|---|---|---|---|---|---|")
    for name in sorted(rows):
        ours, peer, peer_ms, err, run = rows[name]
        print(f"| {name} | {ours:.3f} | {peer} | {peer_ms:.3f} | "
              f"{peer_ms / ours:.2f}x | {err} | {run} |")
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        names = sorted(rows)
        ratio = [rows[n][2] / rows[n][0] for n in names]
        fig, ax = plt.subplots(figsize=(10, 4.5))
        ax.bar(range(len(names)), ratio)
        ax.axhline(1.0, color="gray", linewidth=0.8)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("peer ms / attn ms (higher is better)")
        ax.set_title("attn vs fla / torch SDPA (NVIDIA H200, bf16, H=16)")
        fig.tight_layout()
        fig.savefig(a.png, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
