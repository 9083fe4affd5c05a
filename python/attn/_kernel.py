"""Low-level entry point: compile MLIR text, call its functions on arrays."""
import collections
import hashlib
import os
import threading

import numpy as np

from . import _attn
from ._arrays import as_array, buffer, dtype_from_name
from ._errors import CompileError

_CPU_TARGETS = ("x86-avx512", "x86-avx2")


def pipeline_for(target="cpu", form="auto", chunk_size=None, reference=False):
    """The textual pass pipeline the high-level functions compile with."""
    if target == "cpu":
        target = "x86-avx512"
    if target not in _CPU_TARGETS:
        raise ValueError(
            f"target '{target}' is not supported yet: the GPU backend is not "
            f"built; use 'cpu' or one of {', '.join(_CPU_TARGETS)}")
    if reference:
        return "attn-reference-to-llvm{results-to-out-params=true}"
    return ("attn-to-cpu{results-to-out-params=true "
            f"target={target} form={form} chunk-size={chunk_size or 0}}}")


class Kernel:
    """A compiled module; `kernel(*inputs)` calls its only function, and
    `kernel.call(name, *inputs)` any of them. Results are allocated here and
    returned (one array, or a tuple)."""

    def __init__(self, text, pipeline):
        try:
            self._native = _attn.Kernel(text, pipeline)
        except _attn.NativeError as e:
            raise CompileError(str(e)) from None
        self.text = text
        self.pipeline = pipeline

    @property
    def functions(self):
        return list(self._native.functions)

    def signature(self, name):
        """([(dtype, shape)] inputs, [(dtype, shape)] results) of `name`."""
        return self._native.signature(name)

    def call(self, name, *inputs, names=None):
        ins, outs = self.signature(name)
        if len(inputs) != len(ins):
            raise TypeError(
                f"@{name} takes {len(ins)} arrays, got {len(inputs)}")
        arrays = []
        for i, (x, (dtype, shape)) in enumerate(zip(inputs, ins)):
            label = names[i] if names else f"argument #{i}"
            a = as_array(x, label)
            if a.dtype != dtype_from_name(dtype) or list(a.shape) != shape:
                raise ValueError(
                    f"'{label}' must be {dtype} {tuple(shape)}, got "
                    f"{a.dtype} {a.shape}")
            arrays.append(a)
        results = [np.empty(shape, dtype_from_name(dtype))
                   for dtype, shape in outs]
        try:
            self._native.call(name, [buffer(a) for a in arrays + results])
        except _attn.NativeError as e:
            raise CompileError(str(e)) from None
        return results[0] if len(results) == 1 else tuple(results)

    def __call__(self, *inputs):
        functions = self.functions
        if len(functions) != 1:
            raise TypeError(
                f"the kernel has {len(functions)} functions; use "
                ".call(name, ...)")
        return self.call(functions[0], *inputs)


_cache = collections.OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 128
_stats = {"hits": 0, "misses": 0}


def compile(text, pipeline=None, *, target="cpu", form="auto",
            chunk_size=None, cache=True):
    """Compiles MLIR text (a str, or bytes) and returns a Kernel. `pipeline`
    defaults to pipeline_for(target, form, chunk_size). Compiled kernels are
    kept in memory, keyed by (text, pipeline)."""
    if isinstance(text, bytes):
        text = text.decode()
    if not isinstance(text, str):
        raise TypeError(f"'text' must be MLIR text, got {type(text).__name__}")
    if pipeline is None:
        pipeline = pipeline_for(target, form, chunk_size)
    key = hashlib.sha256((pipeline + "\0" + text).encode()).hexdigest()
    with _cache_lock:
        if cache and key in _cache:
            _cache.move_to_end(key)
            _stats["hits"] += 1
            return _cache[key]
        _stats["misses"] += 1
    kernel = Kernel(text, pipeline)
    if cache:
        with _cache_lock:
            _cache[key] = kernel
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return kernel


def cache_info():
    """{'hits', 'misses', 'size'} of the in-memory kernel cache."""
    with _cache_lock:
        return dict(_stats, size=len(_cache))


def clear_cache():
    with _cache_lock:
        _cache.clear()
        _stats.update(hits=0, misses=0)


def transform(text, pipeline):
    """Runs a pass pipeline on MLIR text; returns (IR, diagnostics) and
    raises CompileError when it fails."""
    ir, diagnostics = _attn.transform(text, pipeline)
    if ir is None:
        raise CompileError(diagnostics)
    return ir, diagnostics
