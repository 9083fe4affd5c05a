"""form="tune": the first call times every legal candidate and keeps the
fastest, in memory and in cache_dir()/tune.json; later calls reuse it."""
import json
import os

import numpy as np
import pytest

import attn
from attn import _tune


def _qkv(rng, B=1, T=130, H=2, D=32):
    return [rng.uniform(-1, 1, (B, T, H, D)).astype(np.float32) for _ in range(3)]


def test_tune_matches_auto_and_is_measured_once(rng, monkeypatch):
    attn.clear_cache(disk=True)
    q, k, v = _qkv(rng)
    g = np.log(rng.uniform(0.8, 0.99, (1, 130, 2))).astype(np.float32)
    timed = []
    real = _tune.median_ms
    monkeypatch.setattr(_tune, "median_ms", lambda fn: timed.append(1) or real(fn))
    o = attn.gated_linear_attention(q, k, v, g, form="tune")
    first = len(timed)
    # auto, recurrent, quadratic, chunkwise at 4 chunk sizes (reassociated
    # does not apply to a gated op).
    assert first == 7
    ref = attn.gated_linear_attention(q, k, v, g)
    assert np.allclose(o, ref, rtol=1e-4, atol=1e-4)
    attn.gated_linear_attention(q, k, v, g, form="tune")
    assert len(timed) == first  # reused from memory

    # A new process reads the choice from tune.json.
    path = os.path.join(attn.cache_dir(), "tune.json")
    record = next(iter(json.load(open(path)).values()))
    assert set(record) == {"form", "chunk_size", "times"}
    assert record["times"][_tune.label(record["form"], record["chunk_size"])] \
        == min(record["times"].values())
    attn.clear_cache()
    attn.gated_linear_attention(q, k, v, g, form="tune")
    assert len(timed) == first

    text = attn.explain(attn.gated_linear_attention, q, k, v, g, form="tune")
    assert "form='tune', measured on this machine:" in text
    assert "(chosen)" in text


def test_tune_other_shape_is_tuned_again(rng, monkeypatch):
    attn.clear_cache(disk=True)
    timed = []
    real = _tune.median_ms
    monkeypatch.setattr(_tune, "median_ms", lambda fn: timed.append(1) or real(fn))
    attn.linear_attention(*_qkv(rng, T=40), form="tune")
    n = len(timed)
    attn.linear_attention(*_qkv(rng, T=41), form="tune")
    assert len(timed) == 2 * n
    text = attn.explain(attn.linear_attention, *_qkv(rng, T=42), form="tune")
    assert "not tuned yet" in text


def test_tune_errors(rng):
    q, k, v = _qkv(rng)
    with pytest.raises(ValueError, match="form='tune' chooses the chunk size"):
        attn.linear_attention(q, k, v, form="tune", chunk_size=32)
    with pytest.raises(ValueError, match="'tune' is a CPU choice"):
        attn.precompile(attn.linear_attention, q, k, v, form="tune",
                        target="sm_90")
