"""Assembles every PTX file of a folder with ptxas for one architecture and
checks each has the tensor-core instructions (mma.sync with ldmatrix, or on
sm_90a warpgroup MMA): usage `assemble.py PTXAS ARCH DIR`. Prints one line
per kernel; exits non-zero on the first failure."""
import glob
import os
import subprocess
import sys

MMA_SYNC = ("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32",
            "ldmatrix.sync.aligned.m8n8")
WGMMA = "wgmma.mma_async.sync.aligned.m64n"

ptxas, arch, folder = sys.argv[1:4]
files = sorted(glob.glob(os.path.join(folder, "*.ptx")))
if not files:
    sys.exit(f"no .ptx files in {folder}")
for ptx in files:
    text = open(ptx).read()
    if WGMMA in text:
        if arch != "sm_90a":
            sys.exit(f"{ptx}: wgmma in PTX for {arch}")
    else:
        for needle in MMA_SYNC:
            if needle not in text:
                sys.exit(f"{ptx}: no {needle}")
    out = ptx[:-4] + "." + arch + ".cubin"
    r = subprocess.run([ptxas, "-arch=" + arch, ptx, "-o", out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{ptx}: ptxas -arch={arch} failed:\n{r.stderr}")
    print(f"{os.path.basename(ptx)}: ok ({arch})")
