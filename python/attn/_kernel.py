"""Low-level entry point: compile MLIR text, call its functions on arrays."""
import collections
import functools
import hashlib
import json
import os
import platform
import shutil
import tempfile
import threading

import numpy as np

from ._arrays import as_array, buffer, dtype_from_name
from ._errors import CompileError
from ._version import VERSION

try:  # the compiler; absent where only precompiled GPU kernels run
    from . import _attn
except ImportError as _error:  # pragma: no cover - exercised on GPU machines
    _attn = None
    _ATTN_IMPORT_ERROR = _error


def _compiler():
    """The compiler extension, or an ImportError that says what works
    without it."""
    if _attn is None:
        raise ImportError(
            "the attn compiler (the attn._attn extension, built with MLIR) is "
            f"not available here ({_ATTN_IMPORT_ERROR}); only kernels already "
            "in the cache (attn.precompile on a machine with the compiler) "
            "can run") from None
    return _attn

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

    def __init__(self, text, pipeline, _native=None):
        native = _compiler()
        try:
            self._native = _native or native.Kernel(text, pipeline)
        except native.NativeError as e:
            raise CompileError(str(e)) from None
        self.text = text
        self.pipeline = pipeline

    def save(self, path):
        """Writes the compiled code as a shared library at `path` (and its
        signatures at path + '.sig'); Kernel.load(path) reads it back."""
        try:
            self._native.save(os.fspath(path))
        except _attn.NativeError as e:
            raise OSError(str(e)) from None

    @classmethod
    def load(cls, path):
        compiler = _compiler()
        try:
            native = compiler.Kernel.load(os.fspath(path))
        except compiler.NativeError as e:
            raise OSError(str(e)) from None
        return cls(None, None, _native=native)

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
_stats = {"hits": 0, "disk_hits": 0, "misses": 0}


@functools.lru_cache(maxsize=None)
def _compiler_id():
    """A fingerprint of the compiler library (libAttnCAPI.so next to the
    extension): a rebuilt compiler of the same version must not load the
    kernels of the previous build from the disk cache."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "libAttnCAPI.so")
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return ""


def _host_id():
    """What compiled code depends on besides the program: the CPU (code is
    compiled for the host's instruction set), the attn version and the
    compiler build."""
    cpu = platform.machine() + "\0" + _compiler_id()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "flags")):
                    cpu += line
                if line.startswith("flags"):
                    break
    except OSError:
        pass
    return VERSION + "\0" + cpu


def cache_dir():
    """The on-disk kernel cache: $ATTN_CACHE_DIR, else
    $XDG_CACHE_HOME/attn (~/.cache/attn); ATTN_CACHE_DIR='' disables it."""
    d = os.environ.get("ATTN_CACHE_DIR")
    if d is not None:
        return d or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "attn")


def _from_disk(directory, key):
    path = os.path.join(directory, key + ".so")
    if not (os.path.exists(path) and os.path.exists(path + ".sig")):
        return None
    try:
        return Kernel.load(path)
    except OSError:
        return None  # a partial or foreign entry: compile again


def _to_disk(directory, key, kernel):
    """Saves atomically: a reader sees a whole entry or none."""
    try:
        os.makedirs(directory, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=directory, prefix=".tmp-")
        try:
            kernel.save(os.path.join(tmp, "k.so"))
            final = os.path.join(directory, key + ".so")
            os.replace(os.path.join(tmp, "k.so.sig"), final + ".sig")
            os.replace(os.path.join(tmp, "k.so"), final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        pass  # the cache is an optimization; never fail a compile over it


def compile(text, pipeline=None, *, target="cpu", form="auto",
            chunk_size=None, cache=True):
    """Compiles MLIR text (a str, or bytes) and returns a Kernel. `pipeline`
    defaults to pipeline_for(target, form, chunk_size). Kernels are cached
    by (text, pipeline): in memory, and on disk as shared libraries in
    cache_dir(), so another process loads them without compiling."""
    if isinstance(text, bytes):
        text = text.decode()
    if not isinstance(text, str):
        raise TypeError(f"'text' must be MLIR text, got {type(text).__name__}")
    if pipeline is None:
        pipeline = pipeline_for(target, form, chunk_size)
    key = hashlib.sha256(
        (_host_id() + "\0" + pipeline + "\0" + text).encode()).hexdigest()
    with _cache_lock:
        if cache and key in _cache:
            _cache.move_to_end(key)
            _stats["hits"] += 1
            return _cache[key]
    directory = cache_dir() if cache else None
    kernel = _from_disk(directory, key) if directory else None
    with _cache_lock:
        _stats["disk_hits" if kernel else "misses"] += 1
    if kernel is None:
        kernel = Kernel(text, pipeline)
        if directory:
            _to_disk(directory, key, kernel)
    if cache:
        with _cache_lock:
            _cache[key] = kernel
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return kernel


def cache_info():
    """{'hits', 'disk_hits', 'misses', 'size', 'dir'} of the CPU kernel
    cache, and {'gpu_hits', 'gpu_disk_hits', 'gpu_compiles'} of the GPU
    one (kernels loaded in this process, found on disk, compiled)."""
    from . import _gpu
    with _cache_lock:
        return dict(_stats, size=len(_cache), dir=cache_dir(), **_gpu.stats())


def clear_cache(disk=False):
    """Empties the in-memory caches (and the on-disk ones with disk=True),
    form='tune' choices included."""
    from . import _gpu, _tune
    _gpu.clear(disk)
    _tune.clear(disk)
    with _cache_lock:
        _cache.clear()
        _stats.update(hits=0, disk_hits=0, misses=0)
    directory = cache_dir()
    if disk and directory and os.path.isdir(directory):
        for name in os.listdir(directory):
            if name.endswith((".so", ".sig")):
                os.remove(os.path.join(directory, name))


def compile_gpu(text, target="sm_90", out_dir=None):
    """Compiles every function of `text` that holds one attn op on its
    arguments to a tensor-core GPU kernel (PTX) for `target` ("sm_80" or
    "sm_90"); needs no GPU. Writes NAME.ptx and NAME.json (the launch
    manifest) per function into `out_dir` (default: a folder of the kernel
    cache, named by a hash of text and target) and returns {name: manifest
    path}; `attn.cuda.load(path)` runs one on torch CUDA tensors. Raises
    CompileError with the compiler's diagnostics when it fails."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str of MLIR, got {type(text).__name__}")
    if target not in ("sm_80", "sm_90"):
        raise ValueError(f"target must be 'sm_80' or 'sm_90', got {target!r}")
    result, diagnostics = _compiler().compile_gpu(text, target)
    if result is None:
        raise CompileError(diagnostics)
    kernels = json.loads(result)
    if out_dir is None:
        from . import _gpu
        out_dir = os.path.join(cache_dir() or tempfile.gettempdir(), "gpu",
                               _gpu.entry_key(text, target))
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for k in kernels:
        ptx = os.path.join(out_dir, k["name"] + ".ptx")
        manifest = os.path.join(out_dir, k["name"] + ".json")
        with open(ptx, "w") as f:
            f.write(k["ptx"])
        with open(manifest, "w") as f:
            json.dump(k["manifest"], f, indent=2)
            f.write("\n")
        paths[k["name"]] = manifest
    return paths


def transform(text, pipeline):
    """Runs a pass pipeline on MLIR text; returns (IR, diagnostics) and
    raises CompileError when it fails."""
    ir, diagnostics = _compiler().transform(text, pipeline)
    if ir is None:
        raise CompileError(diagnostics)
    return ir, diagnostics
