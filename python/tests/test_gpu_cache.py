"""The high-level functions' GPU path as far as it goes without a GPU: the
persistent kernel cache (keys, damaged entries, concurrent writers, a
machine without the compiler), attn.precompile, and the errors of calls
that cannot run. The launches themselves are checked on the GPU machine
(test/GPU/check_api.py)."""
import json
import multiprocessing
import os

import ml_dtypes
import numpy as np
import pytest

import attn
from attn import _gpu, _kernel

BF16 = np.dtype(ml_dtypes.bfloat16)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTN_CACHE_DIR", str(tmp_path))
    attn.clear_cache()
    yield tmp_path
    attn.clear_cache()


def qkv(rng, B=2, T=100, H=2, D=64, dtype=BF16):
    return [rng.uniform(-1, 1, (B, T, H, D)).astype(dtype) for _ in range(3)]


def test_version_is_the_compilers():
    assert attn.__version__ == attn._attn.version()


def test_precompile_writes_one_entry_per_call_and_target(cache, rng):
    q, k, v = qkv(rng)
    e90 = attn.precompile(attn.linear_attention, q, k, v, target="sm_90")
    e80 = attn.precompile("linear_attention", q, k, v, target="sm_80")
    assert e90 != e80
    for folder, chip in ((e90, "sm_90a"), (e80, "sm_80")):
        assert os.path.dirname(folder) == str(cache / "gpu")
        assert sorted(os.listdir(folder)) == ["main.json", "main.ptx"]
        manifest = json.load(open(os.path.join(folder, "main.json")))
        assert manifest["format"] == "attn-gpu-kernel/1"
        assert manifest["op"] == "linear_attention"
        assert f".target {chip}" in open(os.path.join(folder, "main.ptx")).read()
    assert attn.cache_info()["gpu_compiles"] == 2
    # The same call again is a hit: no compile.
    assert attn.precompile(attn.linear_attention, q, k, v, target="sm_90") == e90
    assert attn.cache_info()["gpu_compiles"] == 2
    # Another shape, option or dtype is another entry.
    others = {attn.precompile(attn.linear_attention, *qkv(rng, T=101),
                              target="sm_90"),
              attn.precompile(attn.linear_attention, q, k, v, scale=0.5,
                              target="sm_90"),
              attn.precompile(attn.linear_attention,
                              *qkv(rng, dtype=np.float16), target="sm_90")}
    assert len(others) == 3 and e90 not in others


def test_every_op_precompiles(cache, rng):
    q, k, v = qkv(rng)
    beta = rng.uniform(0, 1, q.shape[:3]).astype(np.float32)
    g = -rng.uniform(0, 0.1, q.shape[:3]).astype(np.float32)
    gv = -rng.uniform(0, 0.1, q.shape).astype(np.float32)
    s0 = rng.uniform(-1, 1, (2, 2, 64, 64)).astype(np.float32)
    calls = [
        (attn.softmax_attention, (q, k, v), {}),
        (attn.softmax_attention, (q, k, v), {"window": 16}),
        (attn.linear_attention, (q, k, v),
         {"initial_state": s0, "output_final_state": True}),
        (attn.gated_linear_attention, (q, k, v, g), {}),
        (attn.gated_linear_attention, (q, k, v, gv), {}),
        (attn.delta_rule, (q, k, v, beta), {}),
        (attn.delta_rule, (q, k, v, beta), {"g": g, "chunk_size": 32}),
    ]
    folders = {attn.precompile(op, *args, target="sm_90", **kw)
               for op, args, kw in calls}
    assert len(folders) == len(calls)


def test_chunk_size_is_recorded_on_the_op(rng):
    q, k, v = qkv(rng)
    plan = attn._ops._plan_linear_attention(q, k, v, chunk_size=32,
                                            target="sm_90")
    assert plan.gpu_target == "sm_90" and plan.pipeline is None
    assert "chunk_size = 32" in plan.text
    assert "form = #attn.form<chunkwise>" in plan.text


def test_a_damaged_entry_is_rebuilt_with_a_warning(cache, rng):
    q, k, v = qkv(rng)
    folder = attn.precompile(attn.linear_attention, q, k, v, target="sm_90")
    with open(os.path.join(folder, "main.json"), "w") as f:
        f.write('{"format": "attn-gpu-ker')  # a writer that died
    with pytest.warns(RuntimeWarning, match="damaged .*cannot read main.json"):
        again = attn.precompile(attn.linear_attention, q, k, v, target="sm_90")
    assert again == folder
    json.load(open(os.path.join(folder, "main.json")))
    os.remove(os.path.join(folder, "main.ptx"))
    with pytest.warns(RuntimeWarning, match="PTX file 'main.ptx' is missing"):
        attn.precompile(attn.linear_attention, q, k, v, target="sm_90")
    assert os.path.isfile(os.path.join(folder, "main.ptx"))
    assert [n for n in os.listdir(cache / "gpu") if n.startswith(".")] == []


def _precompile_in_child(args):
    cache_dir, seed = args
    os.environ["ATTN_CACHE_DIR"] = cache_dir
    import attn as child_attn
    q, k, v = qkv(np.random.default_rng(0))
    return child_attn.precompile(child_attn.delta_rule, q, k, v,
                                 np.full(q.shape[:3], 0.5, np.float32),
                                 target="sm_90")


def test_concurrent_writers_leave_one_whole_entry(cache):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        folders = pool.map(_precompile_in_child, [(str(cache), i) for i in range(4)])
    assert len(set(folders)) == 1
    assert os.listdir(cache / "gpu") == [os.path.basename(folders[0])]
    assert _gpu._entry_problem(folders[0]) is None


def test_without_the_compiler_the_cache_alone_serves(cache, rng, monkeypatch):
    q, k, v = qkv(rng)
    folder = attn.precompile(attn.linear_attention, q, k, v, target="sm_90")
    monkeypatch.setattr(_kernel, "_attn", None)
    monkeypatch.setattr(_kernel, "_ATTN_IMPORT_ERROR",
                        ImportError("no libMLIR"), raising=False)
    attn.clear_cache()
    assert attn.precompile(attn.linear_attention, q, k, v,
                           target="sm_90") == folder
    assert attn.cache_info()["gpu_compiles"] == 0
    with pytest.raises(attn.CompileError,
                       match="no compiled kernel for this call .* run "
                             "attn.precompile with the same arguments"):
        attn.precompile(attn.linear_attention, *qkv(rng, T=7), target="sm_90")
    with open(os.path.join(folder, "main.json"), "w") as f:
        f.write("[]")
    with pytest.raises(attn.CompileError, match="damaged .* not installed"):
        attn.precompile(attn.linear_attention, q, k, v, target="sm_90")
    with pytest.raises(ImportError, match="compiler .* not available here"):
        attn.linear_attention(q, k, v)  # the CPU path needs the compiler


def test_no_disk_cache_still_compiles(monkeypatch, rng):
    monkeypatch.setenv("ATTN_CACHE_DIR", "")
    q, k, v = qkv(rng)
    folder = attn.precompile(attn.linear_attention, q, k, v, target="sm_90")
    assert os.path.isfile(os.path.join(folder, "main.json"))


def test_clear_cache_on_disk_removes_gpu_entries(cache, rng):
    attn.precompile(attn.linear_attention, *qkv(rng), target="sm_90")
    attn.clear_cache(disk=True)
    assert not (cache / "gpu").exists()


@pytest.mark.parametrize("call, error, message", [
    (lambda q, k, v: attn.linear_attention(q, k, v, target="sm_90"),
     ValueError, "target 'sm_90' runs on torch CUDA tensors, but 'q', 'k', "
                 "'v' are not; .* attn.precompile"),
    (lambda q, k, v: attn.linear_attention(q, k, v, form="recurrent",
                                           target="sm_90"),
     ValueError, "on the GPU every op runs in its chunkwise"),
    (lambda q, k, v: attn.precompile(attn.linear_attention, q, k, v,
                                     normalize=True, target="sm_90"),
     attn.CompileError, "`normalize` is not supported by the GPU kernels"),
    (lambda q, k, v: attn.precompile(attn.linear_attention, q[:, :, :, :40],
                                     k[:, :, :, :40], v, target="sm_90"),
     ValueError, "not C-contiguous"),
    (lambda q, k, v: attn.precompile("no_such_op", q, k, v), ValueError,
     "'op' must be one of softmax_attention"),
    (lambda q, k, v: attn.linear_attention(q, k, v, target="sm_100"),
     ValueError, "'target' must be one of cpu, x86-avx512, x86-avx2, sm_80, "
                 "sm_90"),
])
def test_gpu_call_errors(rng, call, error, message):
    q, k, v = qkv(rng)
    with pytest.raises(error, match=message):
        call(q, k, v)
