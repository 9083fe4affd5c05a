"""attn.compile_gpu: attn functions to PTX and launch manifests through the
C API (no GPU needed; the kernels run in test/GPU/check_kernels.py on a GPU
machine)."""
import json
import os

import numpy as np
import pytest

import attn

GDN = """
func.func @gdn(%q: tensor<1x70x2x64xbf16>, %k: tensor<1x70x2x64xbf16>,
               %v: tensor<1x70x2x64xbf16>, %beta: tensor<1x70x2xbf16>,
               %g: tensor<1x70x2xf32>)
    -> (tensor<1x70x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %o, %s = attn.delta_rule %q, %k, %v, %beta gate(%g)
      : (tensor<1x70x2x64xbf16>, tensor<1x70x2x64xbf16>,
         tensor<1x70x2x64xbf16>, tensor<1x70x2xbf16>, tensor<1x70x2xf32>)
      -> (tensor<1x70x2x64xbf16>, tensor<1x2x64x64xf32>)
  return %o, %s : tensor<1x70x2x64xbf16>, tensor<1x2x64x64xf32>
}
func.func @sdpa(%q: tensor<1x65x4x128xbf16>, %k: tensor<1x65x4x128xbf16>,
                %v: tensor<1x65x4x128xbf16>) -> tensor<1x65x4x128xbf16> {
  %o = attn.softmax_attention %q, %k, %v
      : (tensor<1x65x4x128xbf16>, tensor<1x65x4x128xbf16>,
         tensor<1x65x4x128xbf16>) -> tensor<1x65x4x128xbf16>
  return %o : tensor<1x65x4x128xbf16>
}
"""


@pytest.mark.parametrize("target,chip", [("sm_90", "sm_90a"), ("sm_80", "sm_80")])
def test_compile_gpu_writes_ptx_and_manifests(tmp_path, target, chip):
    paths = attn.compile_gpu(GDN, target, out_dir=str(tmp_path))
    assert sorted(paths) == ["gdn", "sdpa"]
    for name, path in paths.items():
        manifest = json.load(open(path))
        assert manifest["format"] == "attn-gpu-kernel/1"
        assert manifest["name"] == name and manifest["target"] == chip
        ptx = open(os.path.join(tmp_path, manifest["ptx"])).read()
        assert f".target {chip}" in ptx
        # Tensor cores: mma.sync (warpgroup MMA only with --wgmma).
        assert "wgmma" not in ptx
        assert "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32" in ptx
        for launch in manifest["launches"]:
            assert f".entry {launch['entry']}(" in ptx
    gdn = json.load(open(paths["gdn"]))
    roles = [(b["name"], b["role"]) for b in gdn["buffers"]]
    assert roles[:7] == [("q", "input"), ("k", "input"), ("v", "input"),
                         ("beta", "input"), ("g", "input"), ("o", "output"),
                         ("final_state", "output")]
    assert [r for _, r in roles[7:]] == ["scratch", "scratch"]
    assert [l["entry"] for l in gdn["launches"]] == ["gdn_prep_kernel",
                                                     "gdn_kernel"]


def test_compile_gpu_default_folder_is_stable(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTN_CACHE_DIR", str(tmp_path))
    a = attn.compile_gpu(GDN)
    b = attn.compile_gpu(GDN)
    assert a == b and all(os.path.exists(p) for p in a.values())


def test_compile_gpu_errors():
    with pytest.raises(ValueError, match="target must be 'sm_80' or 'sm_90'"):
        attn.compile_gpu(GDN, "sm_70")
    with pytest.raises(TypeError, match="text must be a str"):
        attn.compile_gpu(b"func.func @f()")
    sdpa = GDN[GDN.index("func.func @sdpa"):]
    bad = sdpa.replace("128xbf16", "40xbf16")
    with pytest.raises(attn.CompileError,
                       match="head dims that are multiples of 16"):
        attn.compile_gpu(bad)
    with pytest.raises(attn.CompileError):
        attn.compile_gpu("func.func @broken(")


def test_explain_names_the_gpu_kernels():
    # For a GPU target explain adds the launches: entry, grid, shared memory
    # and the variant (the manifest's "what").
    bf16 = attn._arrays.BFLOAT16
    q = np.zeros((2, 300, 2, 128), dtype=bf16)
    text = attn.explain(attn.softmax_attention, q, q, q, target="sm_90")
    assert "GPU kernels for sm_90a (in launch order):" in text
    assert "main_kernel: grid 3 x 4 x 1 of 128 threads" in text
    assert "softmax, mma.sync: 4 warps of 32 query rows" in text
    beta = np.full((2, 300, 2), 0.5, dtype=np.float32)
    text = attn.explain(attn.delta_rule, q, q, q, beta, target="sm_80")
    assert "main_prep_kernel" in text and "UT transform" in text
    assert "softmax" not in text
