"""attn.cuda and the GPU scripts, as far as they go without a GPU: the module
loads by file path without torch or the MLIR extension, manifests read, the
check and bench scripts' dry runs, and (where the runtime library and torch
are there, e.g. ATTN_CUDA_RUNTIME set and the driver stub on
LD_LIBRARY_PATH) the argument checks that come before any CUDA call."""
import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CUDA_PY = os.path.join(ROOT, "python", "attn", "cuda.py")
INPUTS = os.path.join(ROOT, "test", "GPU", "Inputs")


def load_cuda():
    spec = importlib.util.spec_from_file_location("attn_cuda_test", CUDA_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_python(code, **kw):
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=120, **kw)


def test_loads_by_path_without_torch_or_extension():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('c', {CUDA_PY!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert not any(k.startswith('attn') for k in sys.modules)\n"
        "print(m.MANIFEST_FORMAT)\n")
    p = run_python(code)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "attn-gpu-kernel/1"


def test_import_attn_does_not_import_torch():
    p = run_python("import sys, attn; print('torch' in sys.modules)")
    if p.returncode != 0:
        pytest.skip("the attn package is not importable here: " + p.stderr[-200:])
    assert p.stdout.strip() == "False"


def test_read_manifest():
    cuda = load_cuda()
    m = cuda.read_manifest(os.path.join(INPUTS, "fake_linear.json"))
    assert m.name == "fake_linear"
    assert m.op == "linear_attention"
    assert m.target == "sm_80"
    assert m.ptx.endswith("fake_kernels_sm80.ptx")
    names = [b.name for b in m.buffers]
    assert names == ["q", "k", "v", "initial_state", "o", "final_state"]
    assert m.buffers[3] == cuda.BufferSpec("initial_state", "input", "f32",
                                           (2, 2, 32, 64))
    assert m.attributes["normalize"] is False


def test_read_manifest_errors(tmp_path):
    cuda = load_cuda()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "attn-gpu-kernel/1",}')
    with pytest.raises(cuda.ManifestError, match=r"bad.json:1:"):
        cuda.read_manifest(bad)
    other = tmp_path / "other.json"
    other.write_text('{"format": "something-else"}')
    with pytest.raises(cuda.ManifestError, match="not an attn-gpu-kernel/1"):
        cuda.read_manifest(other)


def test_library_path_env(monkeypatch, tmp_path):
    cuda = load_cuda()
    monkeypatch.setenv("ATTN_CUDA_RUNTIME", str(tmp_path / "nope.so"))
    with pytest.raises(OSError, match="ATTN_CUDA_RUNTIME=.*no such file"):
        cuda.library_path()


def test_check_kernels_dry_run():
    p = subprocess.run([sys.executable,
                        os.path.join(ROOT, "test", "GPU", "check_kernels.py"),
                        INPUTS, "--dry-run"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "2 passed, 0 failed" in p.stdout
    assert "fake_softmax" in p.stdout and "fake_linear" in p.stdout


def test_bench_dry_run(tmp_path):
    p = subprocess.run([sys.executable,
                        os.path.join(ROOT, "bench", "gpu", "run.py"), INPUTS,
                        "--dry-run", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    md = (tmp_path / "results.md").read_text()
    assert "| fake_softmax | softmax_attention |" in md
    assert "torch sdpa" in md and "fla chunk_linear_attn" in md


def runtime_or_skip():
    cuda = load_cuda()
    try:
        cuda._library()
    except OSError as e:
        pytest.skip(f"CUDA runtime library not loadable here: {e}")
    return cuda


def test_runtime_loads_manifests():
    cuda = runtime_or_skip()
    k = cuda.load(os.path.join(INPUTS, "fake_softmax.json"))
    assert k.name == "fake_softmax"
    assert k.op == "softmax_attention" and k.target == "sm_90a"
    assert [b.name for b in k.inputs] == ["q", "k", "v"]
    assert [b.name for b in k.outputs] == ["o"]
    assert k.scratch == (cuda.BufferSpec("ws0", "scratch", "f32", (512,)),)
    assert k.scratch_bytes == 2048
    assert k.attributes == {"scale": 0.125, "causal": True, "window": 0}
    assert k.launches[1]["shared_bytes"] == 65536
    assert k.launches[1]["args"] == (4, 3)
    assert "fake_softmax (softmax_attention, sm_90a)" in repr(k)
    k.close()
    k.close()  # twice is fine
    with pytest.raises(FileNotFoundError, match="cannot open"):
        cuda.load(os.path.join(INPUTS, "missing.json"))


def test_runtime_manifest_errors(tmp_path):
    cuda = runtime_or_skip()
    bad = tmp_path / "bad.json"
    bad.write_text(open(os.path.join(INPUTS, "fake_softmax.json")).read()
                   .replace('"sm_90a"', '"sm_80"')
                   .replace("fake_kernels_sm90a.ptx",
                            os.path.join(INPUTS, "fake_kernels_sm90a.ptx")))
    with pytest.raises(cuda.ManifestError,
                       match="the PTX targets sm_90a but the manifest says"):
        cuda.load(bad)


def test_argument_checks_before_cuda():
    cuda = runtime_or_skip()
    torch = pytest.importorskip("torch")
    k = cuda.load(os.path.join(INPUTS, "fake_linear.json"))
    q = torch.zeros(2, 1, 2, 32, dtype=torch.bfloat16)
    kk = torch.zeros(2, 1, 1, 32, dtype=torch.bfloat16)
    v = torch.zeros(2, 1, 1, 64, dtype=torch.bfloat16)
    s0 = torch.zeros(2, 2, 32, 64)
    with pytest.raises(TypeError, match=r"fake_linear takes 4 inputs \(q, k, v, "
                                        r"initial_state\), got 5"):
        k(q, kk, v, s0, s0)
    with pytest.raises(TypeError, match="missing input.*'initial_state'"):
        k(q, kk, v)
    with pytest.raises(TypeError, match="has no input 'beta'"):
        k(q, kk, v, s0, beta=s0)
    with pytest.raises(TypeError, match="input 'q' given twice"):
        k(q, kk, v, s0, q=q)
    with pytest.raises(TypeError, match="argument 'q' must be a torch.Tensor, "
                                        "got list"):
        k([1], kk, v, s0)
    with pytest.raises(ValueError, match="argument 'q' is on cpu; the kernel "
                                         "needs CUDA tensors"):
        k(q, kk, v, s0)
    with pytest.raises(TypeError, match=r"out= needs 2 tensors \(o, "
                                        r"final_state\), got 1"):
        k(q, kk, v, initial_state=s0, out=(q,))
    k.close()
    with pytest.raises(ValueError, match="is closed"):
        k(q, kk, v, s0)
