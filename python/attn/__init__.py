"""attn: softmax, linear, gated and delta-rule attention compiled by MLIR.

High-level functions take arrays in the [B, T, H, D] layout (numpy arrays,
ml_dtypes.bfloat16 arrays, torch CPU tensors, or torch CUDA tensors, which
run as GPU kernels for the device) and return the output, or
(output, final_state) when output_final_state=True:

    import numpy as np, attn
    q = k = v = np.random.rand(1, 128, 4, 64).astype(np.float32)
    o = attn.linear_attention(q, k, v)

Kernels are compiled on first use and cached by (op, shapes, dtypes,
options, target). `attn.compile` gives the low-level entry point for MLIR
written by hand, and `attn.explain` shows the cost model's view.
"""
from ._errors import CompileError
from ._kernel import (Kernel, compile, compile_gpu, pipeline_for, transform,
                      cache_info, clear_cache, cache_dir)
from ._ops import (
    softmax_attention,
    linear_attention,
    gated_linear_attention,
    delta_rule,
    explain,
    precompile,
    FORMS,
    FEATURE_MAPS,
    TARGETS,
)
from ._grad import vjp
from ._version import VERSION as __version__

__all__ = [
    "CompileError",
    "Kernel",
    "compile",
    "compile_gpu",
    "pipeline_for",
    "transform",
    "cache_info",
    "clear_cache",
    "cache_dir",
    "softmax_attention",
    "linear_attention",
    "gated_linear_attention",
    "delta_rule",
    "explain",
    "precompile",
    "vjp",
    "FORMS",
    "FEATURE_MAPS",
    "TARGETS",
]
