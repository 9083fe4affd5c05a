"""Run attn GPU kernels on PyTorch CUDA tensors.

A kernel that the GPU backend compiled is a manifest (format
"attn-gpu-kernel/1", docs/gpu-runtime.md) beside its PTX. This module loads
it through the CUDA runtime's C ABI (libAttnCudaRuntime.so, lib/Runtime/CUDA)
with ctypes and calls it on torch tensors:

    import attn.cuda
    gla = attn.cuda.load("kernels/gla.json")
    o, final_state = gla(q, k, v, g, initial_state=s0)

Inputs come in manifest order (the MLIR function's argument order), any of
them also by keyword; outputs are allocated with torch.empty on the inputs'
device (or passed in with out=) and returned in manifest order: the output
alone, or a tuple (o, final_state). The launch goes on
torch.cuda.current_stream().

This file is pure Python and imports nothing of attn: on a machine without
the MLIR extension (`attn._attn`) load it by path,

    spec = importlib.util.spec_from_file_location("attn_cuda", ".../python/attn/cuda.py")

torch is imported on first use, not at import time. The runtime library is
$ATTN_CUDA_RUNTIME if set, else looked for in the build folders beside the
source tree (build-cuda/, build/lib/).
"""
import collections
import ctypes
import json
import os
import pathlib
import threading

__all__ = [
    "load",
    "read_manifest",
    "library_path",
    "Kernel",
    "Manifest",
    "BufferSpec",
    "CudaError",
    "ManifestError",
    "MANIFEST_FORMAT",
]

MANIFEST_FORMAT = "attn-gpu-kernel/1"
_LIBRARY_NAME = "libAttnCudaRuntime.so"
_DTYPES = ("bf16", "f16", "f32", "i32")
_ROLES = ("input", "output", "scratch")
_DTYPE_SIZES = {"bf16": 2, "f16": 2, "f32": 4, "i32": 4}

# AttnCudaStatus
_SUCCESS = 0
_INVALID_ARGUMENT = 1
_IO = 2
_INVALID_MANIFEST = 3
_INVALID_PTX = 4
_UNSUPPORTED_DEVICE = 5
_CUDA = 6
_OUT_OF_MEMORY = 7

BufferSpec = collections.namedtuple("BufferSpec", "name role dtype shape")
BufferSpec.__doc__ = """One manifest buffer: name, role ('input', 'output',
'scratch'), dtype ('bf16', 'f16', 'f32', 'i32') and shape (a tuple)."""

Manifest = collections.namedtuple(
    "Manifest", "path name op target ptx attributes buffers launches")
Manifest.__doc__ = """A manifest as read by read_manifest()."""


class CudaError(RuntimeError):
    """A CUDA driver call failed, or the device cannot run the kernel.
    `status` is the runtime's AttnCudaStatus, `cuda_result` the CUresult (0
    if the failure was no CUDA call)."""

    def __init__(self, message, status=_CUDA, cuda_result=0):
        super().__init__(message)
        self.status = status
        self.cuda_result = cuda_result


class ManifestError(ValueError):
    """A manifest or its PTX is malformed or breaks the contract."""


# --- the runtime library ----------------------------------------------------

class _BufferInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p),
                ("role", ctypes.c_int),
                ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("num_elements", ctypes.c_uint64),
                ("size_bytes", ctypes.c_uint64)]


class _LaunchInfo(ctypes.Structure):
    _fields_ = [("entry", ctypes.c_char_p),
                ("grid", ctypes.c_uint * 3),
                ("block", ctypes.c_uint * 3),
                ("shared_bytes", ctypes.c_uint),
                ("num_args", ctypes.c_int),
                ("args", ctypes.POINTER(ctypes.c_int))]


_lib = None
_lib_lock = threading.Lock()


def _candidates():
    here = pathlib.Path(__file__).resolve().parent
    # python/attn/cuda.py in the source tree (root = here.parents[1]), or
    # build/python_packages/attn/cuda.py in a build (build = here.parents[1]).
    up = here.parents[1]
    return [up / "build-cuda" / _LIBRARY_NAME,
            up / "build" / "lib" / _LIBRARY_NAME,
            up / "lib" / _LIBRARY_NAME]


def library_path():
    """The CUDA runtime library this module loads: $ATTN_CUDA_RUNTIME, else
    the first of build-cuda/, build/lib/ (beside the source tree) that has
    it. Raises OSError naming the places it looked."""
    env = os.environ.get("ATTN_CUDA_RUNTIME")
    if env:
        if not os.path.isfile(env):
            raise OSError(f"ATTN_CUDA_RUNTIME={env}: no such file")
        return env
    tried = _candidates()
    for path in tried:
        if path.is_file():
            return str(path)
    raise OSError(
        f"{_LIBRARY_NAME} not found: set ATTN_CUDA_RUNTIME to its path or "
        f"build it (cmake -S lib/Runtime/CUDA -B build-cuda && cmake --build "
        f"build-cuda); looked in " + ", ".join(str(p) for p in tried))


def _declare(lib):
    c = ctypes
    sig = {
        "attnCudaGetLastError": (c.c_char_p, []),
        "attnCudaGetLastCudaResult": (c.c_int, []),
        "attnCudaResultName": (c.c_char_p, [c.c_int]),
        "attnCudaStatusName": (c.c_char_p, [c.c_int]),
        "attnCudaKernelLoad": (c.c_int, [c.c_char_p, c.POINTER(c.c_void_p)]),
        "attnCudaKernelDestroy": (None, [c.c_void_p]),
        "attnCudaKernelName": (c.c_char_p, [c.c_void_p]),
        "attnCudaKernelOp": (c.c_char_p, [c.c_void_p]),
        "attnCudaKernelTarget": (c.c_char_p, [c.c_void_p]),
        "attnCudaKernelManifestPath": (c.c_char_p, [c.c_void_p]),
        "attnCudaKernelPtxPath": (c.c_char_p, [c.c_void_p]),
        "attnCudaKernelAttributesJson": (c.c_char_p, [c.c_void_p]),
        "attnCudaKernelNumBuffers": (c.c_int, [c.c_void_p]),
        "attnCudaKernelBuffer": (c.c_int, [c.c_void_p, c.c_int,
                                           c.POINTER(_BufferInfo)]),
        "attnCudaKernelNumLaunches": (c.c_int, [c.c_void_p]),
        "attnCudaKernelLaunchInfo": (c.c_int, [c.c_void_p, c.c_int,
                                               c.POINTER(_LaunchInfo)]),
        "attnCudaKernelScratchBytes": (c.c_uint64, [c.c_void_p]),
        "attnCudaKernelPrepare": (c.c_int, [c.c_void_p, c.c_void_p]),
        "attnCudaKernelLaunch": (c.c_int, [c.c_void_p,
                                           c.POINTER(c.c_uint64), c.c_int,
                                           c.c_void_p]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def _library():
    global _lib
    with _lib_lock:
        if _lib is None:
            path = library_path()
            try:
                _lib = _declare(ctypes.CDLL(path))
            except OSError as e:
                raise OSError(f"cannot load the CUDA runtime {path}: {e} "
                              f"(it needs the NVIDIA driver's libcuda.so.1)"
                              ) from None
        return _lib


def _raise(lib, status):
    message = lib.attnCudaGetLastError().decode("utf-8", "replace")
    cu = lib.attnCudaGetLastCudaResult()
    if status == _IO:
        if "cannot open: No such file" in message:
            raise FileNotFoundError(message)
        raise OSError(message)
    if status in (_INVALID_MANIFEST, _INVALID_PTX):
        raise ManifestError(message)
    if status == _INVALID_ARGUMENT:
        raise ValueError(message)
    raise CudaError(message, status, cu)


# --- torch ------------------------------------------------------------------

def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("attn.cuda needs PyTorch (torch) to call kernels"
                          ) from None
    return torch


def _torch_dtype(torch, dtype):
    return {"bf16": torch.bfloat16, "f16": torch.float16,
            "f32": torch.float32, "i32": torch.int32}[dtype]


def _stream_handle(torch, stream, device):
    if stream is None:
        stream = torch.cuda.current_stream(device)
    if isinstance(stream, int):
        return stream
    return int(stream.cuda_stream)


# --- manifests without the runtime ------------------------------------------

def read_manifest(path):
    """Reads a manifest with Python's json module: no runtime library, no
    CUDA (for dry runs). The runtime's own parser (load) checks far more:
    use this only to look at a manifest."""
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        try:
            m = json.load(f)
        except json.JSONDecodeError as e:
            raise ManifestError(f"{path}:{e.lineno}:{e.colno}: {e.msg}") \
                from None
    if not isinstance(m, dict) or m.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{path}: not an {MANIFEST_FORMAT} manifest")
    try:
        buffers = tuple(BufferSpec(b["name"], b["role"], b["dtype"],
                                   tuple(int(n) for n in b["shape"]))
                        for b in m["buffers"])
        for b in buffers:
            if b.role not in _ROLES or b.dtype not in _DTYPES:
                raise ManifestError(f"{path}: buffer {b.name!r}: bad role "
                                    f"or dtype")
        ptx = os.path.join(os.path.dirname(path), m["ptx"])
        return Manifest(path, m["name"], m["op"], m["target"], ptx,
                        dict(m.get("attributes", {})), buffers,
                        tuple(dict(launch) for launch in m["launches"]))
    except (KeyError, TypeError) as e:
        raise ManifestError(f"{path}: malformed manifest ({e!r})") from None


# --- kernels ----------------------------------------------------------------

class Kernel:
    """A loaded kernel. Call it with torch CUDA tensors: inputs in manifest
    order (or by keyword), returns the output or a tuple of outputs.

    scratch='torch' (default) allocates scratch buffers with torch.empty on
    each call (stream-ordered by PyTorch's caching allocator, so launches on
    different streams never share them); scratch='runtime' lets the runtime
    allocate them once per context (faster to set up; not for launches that
    may overlap on several streams)."""

    def __init__(self, manifest_path, scratch="torch"):
        if scratch not in ("torch", "runtime"):
            raise ValueError(f"scratch must be 'torch' or 'runtime', got "
                             f"{scratch!r}")
        self._lib = lib = _library()
        handle = ctypes.c_void_p()
        status = lib.attnCudaKernelLoad(os.fsencode(os.fspath(manifest_path)),
                                        ctypes.byref(handle))
        if status != _SUCCESS:
            _raise(lib, status)
        self._handle = handle
        self._scratch_mode = scratch
        h = handle

        def text(fn):
            return fn(h).decode("utf-8")

        self.name = text(lib.attnCudaKernelName)
        self.op = text(lib.attnCudaKernelOp)
        self.target = text(lib.attnCudaKernelTarget)
        self.manifest_path = text(lib.attnCudaKernelManifestPath)
        self.ptx_path = text(lib.attnCudaKernelPtxPath)
        self.attributes = json.loads(text(lib.attnCudaKernelAttributesJson))
        buffers = []
        info = _BufferInfo()
        for i in range(lib.attnCudaKernelNumBuffers(h)):
            if lib.attnCudaKernelBuffer(h, i, ctypes.byref(info)):
                _raise(lib, _INVALID_ARGUMENT)
            buffers.append(BufferSpec(
                info.name.decode("utf-8"), _ROLES[info.role],
                _DTYPES[info.dtype],
                tuple(info.shape[d] for d in range(info.rank))))
        self.buffers = tuple(buffers)
        launches = []
        linfo = _LaunchInfo()
        for i in range(lib.attnCudaKernelNumLaunches(h)):
            if lib.attnCudaKernelLaunchInfo(h, i, ctypes.byref(linfo)):
                _raise(lib, _INVALID_ARGUMENT)
            launches.append({
                "entry": linfo.entry.decode("utf-8"),
                "grid": tuple(linfo.grid), "block": tuple(linfo.block),
                "shared_bytes": linfo.shared_bytes,
                "args": tuple(linfo.args[a] for a in range(linfo.num_args))})
        self.launches = tuple(launches)
        self.inputs = tuple(b for b in self.buffers if b.role == "input")
        self.outputs = tuple(b for b in self.buffers if b.role == "output")
        self.scratch = tuple(b for b in self.buffers if b.role == "scratch")
        self.scratch_bytes = lib.attnCudaKernelScratchBytes(h)

    # -- lifetime --
    def close(self):
        """Frees the kernel's modules and runtime-allocated scratch now
        (otherwise when the object is collected)."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            self._lib.attnCudaKernelDestroy(handle)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _live(self):
        if not self._handle:
            raise ValueError(f"kernel {self.name!r} is closed")
        return self._handle

    def __repr__(self):
        def spec(b):
            return f"{b.name}: {b.dtype}{list(b.shape)}"
        ins = ", ".join(spec(b) for b in self.inputs)
        outs = ", ".join(spec(b) for b in self.outputs)
        return (f"<attn.cuda.Kernel {self.name} ({self.op}, {self.target}): "
                f"({ins}) -> ({outs})>")

    # -- running --
    def prepare(self, device=None, stream=None):
        """Loads the module (PTX JIT) on `device` (default: the current
        one) and checks that the device can run every launch, so that the
        first call's time is the kernel's alone."""
        torch = _torch()
        device = torch.device("cuda", torch.cuda.current_device()) \
            if device is None else torch.device(device)
        with torch.cuda.device(device):
            handle = _stream_handle(torch, stream, device)
            status = self._lib.attnCudaKernelPrepare(
                self._live(), ctypes.c_void_p(handle))
            if status != _SUCCESS:
                _raise(self._lib, status)

    def _check(self, torch, label, t, spec, device):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{self.name}: argument '{label}' must be a "
                            f"torch.Tensor, got {type(t).__name__}")
        if t.device.type != "cuda":
            raise ValueError(f"{self.name}: argument '{label}' is on "
                             f"{t.device}; the kernel needs CUDA tensors")
        if device is not None and t.device != device:
            raise ValueError(f"{self.name}: argument '{label}' is on "
                             f"{t.device} but the other tensors are on "
                             f"{device}")
        want = _torch_dtype(torch, spec.dtype)
        if t.dtype != want:
            raise TypeError(f"{self.name}: argument '{label}' must have dtype "
                            f"{want} ({spec.dtype}), got {t.dtype}")
        if tuple(t.shape) != spec.shape:
            raise ValueError(f"{self.name}: argument '{label}' must have shape "
                             f"{tuple(spec.shape)}, got {tuple(t.shape)}")
        if not t.is_contiguous():
            raise ValueError(f"{self.name}: argument '{label}' must be "
                             f"contiguous (row-major); call .contiguous()")
        if t.numel() and t.data_ptr() % 16:
            raise ValueError(f"{self.name}: argument '{label}' is not 16-byte "
                             f"aligned (a view at an offset?); call .clone()")

    def _bind_inputs(self, args, kwargs):
        names = [b.name for b in self.inputs]
        if len(args) > len(names):
            raise TypeError(
                f"{self.name} takes {len(names)} inputs ({', '.join(names)}), "
                f"got {len(args)} positional arguments")
        bound = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(
                    f"{self.name} has no input '{key}' (its inputs: "
                    f"{', '.join(names)})")
            if key in bound:
                raise TypeError(f"{self.name}: input '{key}' given twice")
            bound[key] = value
        missing = [n for n in names if n not in bound]
        if missing:
            raise TypeError(
                f"{self.name}: missing input(s) {', '.join(repr(m) for m in missing)}"
                f" (this kernel was compiled with them; its inputs: "
                f"{', '.join(names)})")
        return bound

    def _bind_outputs(self, out):
        names = [b.name for b in self.outputs]
        if out is None:
            return {}
        if isinstance(out, dict):
            unknown = [k for k in out if k not in names]
            if unknown:
                raise TypeError(f"{self.name}: out= names unknown output(s) "
                                f"{unknown} (its outputs: {', '.join(names)})")
            return dict(out)
        if not isinstance(out, (tuple, list)):
            out = (out,)
        if len(out) != len(names):
            raise TypeError(f"{self.name}: out= needs {len(names)} tensors "
                            f"({', '.join(names)}), got {len(out)}")
        return dict(zip(names, out))

    def _setup(self, torch, args, kwargs, out):
        """Checks the tensors, allocates outputs and scratch; returns
        (device, pointer array, outputs in manifest order, scratch tensors).
        """
        inputs = self._bind_inputs(args, kwargs)
        outputs = self._bind_outputs(out)
        device = None
        for spec in self.inputs:
            t = inputs[spec.name]
            self._check(torch, spec.name, t, spec, device)
            if device is None:
                device = t.device
        for name, t in outputs.items():
            spec = next(b for b in self.outputs if b.name == name)
            self._check(torch, f"out[{name}]", t, spec, device)
            if device is None:
                device = t.device
        if device is None:
            raise TypeError(f"{self.name}: no tensor to take the device from")
        results, scratch = [], []
        with torch.cuda.device(device):
            for spec in self.outputs:
                if spec.name not in outputs:
                    outputs[spec.name] = torch.empty(
                        spec.shape, dtype=_torch_dtype(torch, spec.dtype),
                        device=device)
                results.append(outputs[spec.name])
            ptrs = (ctypes.c_uint64 * len(self.buffers))()
            for i, spec in enumerate(self.buffers):
                if spec.role == "input":
                    ptrs[i] = inputs[spec.name].data_ptr()
                elif spec.role == "output":
                    ptrs[i] = outputs[spec.name].data_ptr()
                elif self._scratch_mode == "torch":
                    n = _DTYPE_SIZES[spec.dtype]
                    for d in spec.shape:
                        n *= d
                    t = torch.empty(max(n, 1), dtype=torch.uint8,
                                    device=device)
                    scratch.append(t)
                    ptrs[i] = t.data_ptr()
                else:
                    ptrs[i] = 0
        return device, ptrs, results, scratch

    def _launch(self, torch, device, ptrs, stream, scratch):
        with torch.cuda.device(device):
            handle = _stream_handle(torch, stream, device)
            status = self._lib.attnCudaKernelLaunch(
                self._live(), ptrs, len(self.buffers),
                ctypes.c_void_p(handle))
            if status != _SUCCESS:
                _raise(self._lib, status)
            if scratch and stream is not None and not isinstance(stream, int):
                # Scratch from the current stream's pool, used on another
                # stream: tell the allocator.
                for t in scratch:
                    t.record_stream(stream)

    def __call__(self, *args, out=None, stream=None, **kwargs):
        """Runs the kernel. `out` is an output tensor, a tuple of them in
        manifest order, or a dict by name, to write into instead of new
        tensors (outputs not given are allocated). `stream` is a
        torch.cuda.Stream or a raw handle (default: the current stream)."""
        torch = _torch()
        self._live()
        device, ptrs, results, scratch = self._setup(torch, args, kwargs, out)
        self._launch(torch, device, ptrs, stream, scratch)
        return results[0] if len(results) == 1 else tuple(results)

    def bind(self, *args, out=None, stream=None, **kwargs):
        """Checks the tensors once and returns (launch, outputs): launch()
        runs the kernel on them again and again without the per-call checks
        and allocations (for benchmarks). Scratch is allocated once and
        kept with the closure."""
        torch = _torch()
        self._live()
        device, ptrs, results, scratch = self._setup(torch, args, kwargs, out)

        def launch():
            self._launch(torch, device, ptrs, stream, scratch)

        return launch, (results[0] if len(results) == 1 else tuple(results))


def load(manifest_path, scratch="torch"):
    """Loads a kernel from its manifest (and the PTX beside it); returns a
    callable Kernel. Raises FileNotFoundError/OSError for files that cannot
    be read, ManifestError for a malformed manifest or PTX, OSError if the
    runtime library cannot be found or loaded."""
    return Kernel(manifest_path, scratch=scratch)
