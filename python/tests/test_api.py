"""The low-level API, the cache, and every error path of the Python layer."""
import math

import numpy as np
import pytest

import attn

F32 = np.float32


def arrays(rng, *shapes, dtype=F32):
    return [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]


SOFTMAX = """
func.func @f(%q: tensor<1x8x2x16xf32>, %k: tensor<1x8x2x16xf32>, %v: tensor<1x8x2x16xf32>) -> tensor<1x8x2x16xf32> {
  %o = attn.softmax_attention %q, %k, %v : (tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>, tensor<1x8x2x16xf32>) -> tensor<1x8x2x16xf32>
  return %o : tensor<1x8x2x16xf32>
}
"""


def test_compile_and_call(rng):
    kernel = attn.compile(SOFTMAX)
    assert kernel.functions == ["f"]
    ins, outs = kernel.signature("f")
    assert ins == [("float32", [1, 8, 2, 16])] * 3
    assert outs == [("float32", [1, 8, 2, 16])]
    q, k, v = arrays(rng, *[(1, 8, 2, 16)] * 3)
    o1 = kernel(q, k, v)
    o2 = attn.softmax_attention(q, k, v)
    np.testing.assert_allclose(o1, o2, rtol=1e-5, atol=1e-6)


def test_compile_reference_pipeline(rng):
    kernel = attn.compile(SOFTMAX, attn.pipeline_for(reference=True))
    q, k, v = arrays(rng, *[(1, 8, 2, 16)] * 3)
    np.testing.assert_allclose(kernel(q, k, v), attn.softmax_attention(q, k, v),
                               rtol=1e-5, atol=1e-6)


def test_transform_and_pipelines():
    ir, diagnostics = attn.transform(SOFTMAX, "attn-select-form")
    assert "form = #attn.form<" in ir and diagnostics == ""
    assert "attn-to-cpu" in attn.pipeline_for()


def test_cache(rng):
    attn.clear_cache()
    q, k, v = arrays(rng, *[(1, 16, 2, 8)] * 3)
    attn.linear_attention(q, k, v)
    attn.linear_attention(q + 1, k, v)  # same shapes and options: a hit
    info = attn.cache_info()
    assert info["misses"] == 1 and info["hits"] == 1 and info["size"] == 1
    attn.linear_attention(q, k, v, form="recurrent")  # other options: a miss
    attn.linear_attention(q[:, :8].copy(), k[:, :8].copy(), v[:, :8].copy())
    assert attn.cache_info()["misses"] == 3


def test_compile_errors():
    with pytest.raises(attn.CompileError, match=r"<input>:1:1: error"):
        attn.compile("this is not mlir")
    bad = SOFTMAX.replace("%q, %k, %v :", "%q, %k, %v {scale = -1.0 : f64} :")
    with pytest.raises(attn.CompileError,
                       match="'scale' must be positive and finite, got -1"):
        attn.compile(bad)
    with pytest.raises(attn.CompileError, match="invalid pipeline"):
        attn.compile(SOFTMAX, "no-such-pass")
    with pytest.raises(TypeError, match="'text' must be MLIR text"):
        attn.compile(42)
    with pytest.raises(attn.CompileError, match="compiled functions take static"):
        attn.compile("func.func @d(%x: tensor<?xf32>) -> tensor<?xf32> {\n"
                     "  return %x : tensor<?xf32>\n}")


def test_call_errors(rng):
    kernel = attn.compile(SOFTMAX)
    q, k, v = arrays(rng, *[(1, 8, 2, 16)] * 3)
    with pytest.raises(TypeError, match="takes 3 arrays, got 2"):
        kernel(q, k)
    with pytest.raises(ValueError, match=r"'argument #1' must be float32 \(1, 8, 2, 16\)"):
        kernel(q, k[:, :4].copy(), v)
    with pytest.raises(ValueError, match="must be float32"):
        kernel(q, k.astype(np.float16), v)
    with pytest.raises(KeyError, match="no function @g"):
        kernel.call("g", q, k, v)


@pytest.mark.parametrize("bad,exc,msg", [
    (lambda q, k, v: attn.linear_attention(q[0], k, v), ValueError,
     r"'q' must have rank 4 \[B, T, H, Dk\], got shape \(8, 2, 16\)"),
    (lambda q, k, v: attn.linear_attention(q, k.astype(np.float16), v),
     TypeError, "'k' has element type f16; expected f32"),
    (lambda q, k, v: attn.linear_attention(q.astype(np.int32), k, v),
     TypeError, "'q' has dtype int32; expected float32, float16 or bfloat16"),
    (lambda q, k, v: attn.linear_attention(q, k[:, :, :1].copy(), v),
     attn.CompileError, r"head count \(H\) mismatch: 'v' has 2 but 'k' has 1"),
    (lambda q, k, v: attn.linear_attention(q[:, ::2], k, v), ValueError,
     r"'q' is not C-contiguous"),
    (lambda q, k, v: attn.linear_attention(q.tolist(), k, v), TypeError,
     "'q' must be a numpy array or a torch tensor, got list"),
    (lambda q, k, v: attn.linear_attention(q, k, v, scale=math.nan), ValueError,
     "'scale' must be positive and finite, got nan"),
    (lambda q, k, v: attn.linear_attention(q, k, v, scale="big"), TypeError,
     "'scale' must be a number"),
    (lambda q, k, v: attn.linear_attention(q, k, v, feature_map="tanh"),
     ValueError, "'feature_map' must be one of identity, elu\\+1"),
    (lambda q, k, v: attn.linear_attention(q, k, v, form="blocked"),
     ValueError, "'form' must be one of auto, recurrent"),
    (lambda q, k, v: attn.linear_attention(q, k, v, form="reassociated"),
     attn.CompileError, "form 'reassociated' .* does not apply"),
    (lambda q, k, v: attn.softmax_attention(q, k, v, form="recurrent"),
     attn.CompileError, "form 'recurrent' .* does not apply"),
    (lambda q, k, v: attn.linear_attention(q, k, v, chunk_size=0), ValueError,
     "'chunk_size' must be a positive int, got 0"),
    (lambda q, k, v: attn.linear_attention(q, k, v, form="recurrent",
                                           chunk_size=16), ValueError,
     "'chunk_size' applies to the chunkwise form"),
    (lambda q, k, v: attn.linear_attention(q, k, v, target="cuda"), ValueError,
     "'target' must be one of cpu"),
    (lambda q, k, v: attn.linear_attention(
        q, k, v, initial_state=np.zeros((1, 2, 16, 8), F32)),
     attn.CompileError, r"'initial_state' must have shape \[B, H, Dk, Dv\]"),
    (lambda q, k, v: attn.linear_attention(
        q, k, v, initial_state=np.zeros((1, 2, 16, 16), np.float16)),
     TypeError, "'initial_state' has element type f16; expected f32"),
    (lambda q, k, v: attn.gated_linear_attention(q, k, v, np.zeros((1, 8), F32)),
     ValueError, r"'g' must have shape \[B, T, H\] or \[B, T, H, Dk\]"),
    (lambda q, k, v: attn.delta_rule(q, k, v, np.zeros((1, 8, 2, 1), F32)),
     ValueError, r"'beta' must have shape \[B, T, H\]"),
    (lambda q, k, v: attn.linear_attention(q[:0], k[:0], v[:0]), ValueError,
     "'q' has an empty dimension"),
    (lambda q, k, v: attn.explain("flash", q, k, v), ValueError,
     "'op' must be one of softmax_attention"),
])
def test_bad_arguments(rng, bad, exc, msg):
    q, k, v = arrays(rng, *[(1, 8, 2, 16)] * 3)
    with pytest.raises(exc, match=msg):
        bad(q, k, v)


def test_compile_error_is_value_error():
    assert issubclass(attn.CompileError, ValueError)


def test_save_and_load(rng, tmp_path):
    kernel = attn.compile(SOFTMAX)
    path = tmp_path / "softmax.so"
    kernel.save(path)
    loaded = attn.Kernel.load(path)
    assert loaded.functions == ["f"]
    assert loaded.signature("f") == kernel.signature("f")
    q, k, v = arrays(rng, *[(1, 8, 2, 16)] * 3)
    np.testing.assert_array_equal(loaded(q, k, v), kernel(q, k, v))
    with pytest.raises(OSError, match="cannot read .*missing.so.sig"):
        attn.Kernel.load(tmp_path / "missing.so")
    (tmp_path / "bad.so").write_text("not a library")
    (tmp_path / "bad.so.sig").write_text("f\t0\t0:1x8x2x16\n")
    with pytest.raises(OSError, match="cannot load"):
        attn.Kernel.load(tmp_path / "bad.so")


def test_disk_cache(rng, tmp_path, monkeypatch):
    monkeypatch.setenv("ATTN_CACHE_DIR", str(tmp_path))
    attn.clear_cache()
    q, k, v = arrays(rng, *[(1, 24, 2, 8)] * 3)
    first = attn.linear_attention(q, k, v)
    assert attn.cache_info()["misses"] == 1
    assert len(list(tmp_path.glob("*.so"))) == 1
    attn.clear_cache()  # memory only: the next process would start so
    second = attn.linear_attention(q, k, v)
    info = attn.cache_info()
    assert info["disk_hits"] == 1 and info["misses"] == 0
    np.testing.assert_array_equal(first, second)
    attn.clear_cache(disk=True)
    assert not list(tmp_path.glob("*.so"))
    monkeypatch.setenv("ATTN_CACHE_DIR", "")  # disabled
    attn.linear_attention(q, k, v)
    assert attn.cache_info()["dir"] is None and not list(tmp_path.glob("*"))


def test_disk_cache_keys_name_the_compiler_build(rng, tmp_path, monkeypatch):
    # A rebuilt compiler (same version) does not load the previous build's
    # kernels: the key holds a fingerprint of the compiler library.
    from attn import _kernel
    assert len(_kernel._compiler_id()) == 64
    monkeypatch.setenv("ATTN_CACHE_DIR", str(tmp_path))
    attn.clear_cache()
    q, k, v = arrays(rng, *[(1, 24, 2, 8)] * 3)
    attn.linear_attention(q, k, v)
    attn.clear_cache()
    monkeypatch.setattr(_kernel, "_compiler_id", lambda: "another build")
    attn.linear_attention(q, k, v)
    info = attn.cache_info()
    assert info["disk_hits"] == 0 and info["misses"] == 1
    assert len(list(tmp_path.glob("*.so"))) == 2


def test_malformed_signature_file(tmp_path):
    (tmp_path / "k.so").write_text("")
    (tmp_path / "k.so.sig").write_text("f\t3\t0:1x8\n")  # 3 inputs, 1 arg
    with pytest.raises(OSError, match="malformed signature file"):
        attn.Kernel.load(tmp_path / "k.so")
