"""The GPU path of the high-level functions: a kernel per call shape from
the persistent cache, compiled on a miss where the compiler is installed.

An entry is a folder cache_dir()/gpu/<key>/ holding main.json (the launch
manifest) and main.ptx, the key a hash of (attn version, target, MLIR text
of the call). Entries are written to a temporary folder and renamed into
place, so concurrent processes never see half of one; a damaged entry is
rebuilt with a warning. A machine without the compiler (no MLIR: the
attn._attn extension is missing) runs what another machine put in the
cache: attn.precompile(...) there, then copy the folder.
"""
import hashlib
import json
import os
import shutil
import tempfile
import threading
import warnings

from ._errors import CompileError
from ._version import VERSION

GPU_TARGETS = ("sm_80", "sm_90")
_MANIFEST_FORMAT = "attn-gpu-kernel/1"

_loaded = {}  # entry folder -> attn.cuda.Kernel
_by_call = {}  # (target, MLIR text) -> attn.cuda.Kernel: no disk check per call
_lock = threading.Lock()
_stats = {"gpu_hits": 0, "gpu_disk_hits": 0, "gpu_compiles": 0}


def entry_key(text, target):
    return hashlib.sha256((VERSION + target + text).encode()).hexdigest()[:16]


def gpu_root():
    """cache_dir()/gpu, or None when the disk cache is off."""
    from ._kernel import cache_dir
    base = cache_dir()
    return os.path.join(base, "gpu") if base else None


def device_target(device):
    """The attn GPU target for a torch CUDA device: sm_90 (Hopper, PTX for
    sm_90a) or sm_80 (Ampere and Ada run its PTX); ValueError otherwise."""
    import torch
    major, minor = torch.cuda.get_device_capability(device)
    if (major, minor) == (9, 0):
        return "sm_90"
    if major == 8:
        return "sm_80"
    raise ValueError(
        f"{torch.cuda.get_device_name(device)} is sm_{major}{minor}; attn "
        "compiles GPU kernels for sm_80 (Ampere, Ada) and sm_90 (Hopper)")


def _entry_problem(folder):
    """Why the entry at `folder` is unusable, or None if it is whole."""
    manifest = os.path.join(folder, "main.json")
    try:
        with open(manifest) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return f"cannot read main.json: {e}"
    if not isinstance(data, dict) or data.get("format") != _MANIFEST_FORMAT:
        return f"main.json is not an {_MANIFEST_FORMAT} manifest"
    ptx = data.get("ptx")
    if not isinstance(ptx, str) or not os.path.isfile(os.path.join(folder, ptx)):
        return f"its PTX file {ptx!r} is missing"
    return None


def _compile_into(text, target, parent):
    """Compiles the call into a new folder under `parent` and renames it to
    its key; returns the final folder (another process's, if it won)."""
    from ._kernel import compile_gpu
    os.makedirs(parent, exist_ok=True)
    final = os.path.join(parent, entry_key(text, target))
    tmp = tempfile.mkdtemp(dir=parent, prefix=".tmp-")
    try:
        paths = compile_gpu(text, target, out_dir=tmp)
        if set(paths) != {"main"}:
            raise CompileError(
                f"internal error: the call compiled to kernels {sorted(paths)}, "
                "expected 'main'")
        try:
            os.rename(tmp, final)
        except OSError:
            if _entry_problem(final) is not None:
                raise
        with _lock:
            _stats["gpu_compiles"] += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _discard(folder, why):
    warnings.warn(f"attn: GPU cache entry {folder} is damaged ({why}); "
                  "rebuilding it", RuntimeWarning, stacklevel=4)
    trash = folder + ".damaged-" + str(os.getpid())
    try:
        os.rename(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def entry(text, target):
    """The cache folder holding the kernel of `text` for `target`, compiled
    now if it is not there (or is damaged) and the compiler is installed."""
    from ._kernel import _attn
    root = gpu_root()
    if root is None:  # no disk cache: compile into a folder of this process
        root = os.path.join(tempfile.gettempdir(),
                            f"attn-gpu-{os.getuid()}-{os.getpid()}")
    folder = os.path.join(root, entry_key(text, target))
    if os.path.isdir(folder):
        problem = _entry_problem(folder)
        if problem is None:
            with _lock:
                _stats["gpu_disk_hits"] += 1
            return folder
        if _attn is None:
            raise CompileError(
                f"GPU cache entry {folder} is damaged ({problem}) and the "
                "compiler is not installed here to rebuild it")
        _discard(folder, problem)
    if _attn is None:
        raise CompileError(
            f"no compiled kernel for this call in {root} (key "
            f"{entry_key(text, target)}, target {target}), and the attn "
            "compiler is not installed here: run attn.precompile with the same "
            "arguments on a machine with attn built, and copy its cache folder "
            "(ATTN_CACHE_DIR)")
    return _compile_into(text, target, root)


def kernel(text, target):
    """The loaded attn.cuda.Kernel of `text` for `target` (loaded once per
    process; later calls of the same shape skip the disk)."""
    k = _by_call.get((target, text))
    if k is not None:
        with _lock:
            _stats["gpu_hits"] += 1
        return k
    folder = entry(text, target)
    with _lock:
        k = _loaded.get(folder)
        if k is not None:
            _stats["gpu_hits"] += 1
            return k
    from . import cuda
    k = cuda.load(os.path.join(folder, "main.json"))
    with _lock:
        k = _loaded.setdefault(folder, k)
        _by_call[(target, text)] = k
        return k


def describe(text, target):
    """Lines saying which kernels the call of `text` launches on `target`:
    each with its grid, threads, shared memory and the compiler's
    description of its variant (the manifest's launches)."""
    folder = entry(text, target)
    with open(os.path.join(folder, "main.json")) as f:
        manifest = json.load(f)
    lines = [f"GPU kernels for {manifest['target']} (in launch order):"]
    for launch in manifest["launches"]:
        grid = " x ".join(map(str, launch["grid"]))
        threads = launch["block"][0] * launch["block"][1] * launch["block"][2]
        kb = launch.get("shared_bytes", 0) / 1024
        lines.append(f"  {launch['entry']}: grid {grid} of {threads} threads, "
                     f"{kb:.0f} KB shared; {launch.get('what', '')}")
    return lines


def run(plan):
    """Runs a planned call on its CUDA tensors; returns o or (o, state)."""
    from ._arrays import is_cuda
    not_cuda = [n for n, a in zip(plan.names, plan.arrays) if not is_cuda(a)]
    if not_cuda:
        names = ", ".join(repr(n) for n in not_cuda)
        verb = "is" if len(not_cuda) == 1 else "are"
        raise ValueError(
            f"target {plan.gpu_target!r} runs on torch CUDA tensors, but "
            f"{names} {verb} not; to compile for a GPU ahead of time, use "
            "attn.precompile")
    devices = {a.device for a in plan.arrays}
    if len(devices) > 1:
        raise ValueError(
            "the tensors are on different devices: " +
            ", ".join(f"'{n}' on {a.device}"
                      for n, a in zip(plan.names, plan.arrays)))
    result = kernel(plan.text, plan.gpu_target)(*plan.arrays)
    if plan.two_results:
        return tuple(result)
    return result


def stats():
    with _lock:
        return dict(_stats)


def clear(disk):
    with _lock:
        _loaded.clear()
        _by_call.clear()
        _stats.update(gpu_hits=0, gpu_disk_hits=0, gpu_compiles=0)
    root = gpu_root()
    if disk and root and os.path.isdir(root):
        shutil.rmtree(root, ignore_errors=True)
