#!/usr/bin/env python3
"""Times each launch of multi-kernel manifests alone, on the GPU machine:
for every launch a copy of the manifest with only that launch (outputs
unchecked: a later kernel then reads scratch nobody wrote), timed by
attn-cuda-run --repeat 50 (median of CUDA events). Splits e.g. the split
form's time into its state pass and output kernel.

    python3 bench/gpu/launch_times.py ATTN_CUDA_RUN WORKDIR MANIFEST.json...
"""
import json
import os
import shutil
import subprocess
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    runner, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    for path in sys.argv[3:]:
        m = json.load(open(path))
        shutil.copy(os.path.join(os.path.dirname(path), m["ptx"]), work)
        name = os.path.basename(path)[:-len(".json")]
        for i, launch in enumerate(m["launches"]):
            one = os.path.join(work, f"{name}_launch{i}.json")
            with open(one, "w") as f:
                json.dump(dict(m, launches=[launch]), f)
            r = subprocess.run([runner, one, "--repeat", "50", "--warmup", "5",
                                "--allow-nan"], capture_output=True, text=True,
                               timeout=120)
            lines = [l for l in (r.stdout + r.stderr).splitlines()
                     if l.startswith("time:") or "rror" in l]
            print(f"{name:36s} {launch['entry'][len(name):]:16s} "
                  f"{' '.join(lines) or 'rc=%d' % r.returncode}", flush=True)


if __name__ == "__main__":
    main()
