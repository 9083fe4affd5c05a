"""Turning user arrays into buffers the compiled code can read, and back."""
import numpy as np

try:  # numpy has no bfloat16; ml_dtypes provides one.
    import ml_dtypes

    BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes is a dependency
    BFLOAT16 = None

# numpy dtype -> (MLIR element type, C API dtype name); int32 is for
# packed-sequence offsets (cu_seqlens).
_DTYPES = {np.dtype(np.float32): ("f32", "float32"),
           np.dtype(np.float16): ("f16", "float16"),
           np.dtype(np.int32): ("i32", "int32")}
if BFLOAT16 is not None:
    _DTYPES[BFLOAT16] = ("bf16", "bfloat16")


def _torch():
    import sys
    return sys.modules.get("torch")


def is_torch(x):
    torch = _torch()
    return torch is not None and isinstance(x, torch.Tensor)


def as_array(x, name):
    """A C-contiguous numpy view of `x` (numpy array or torch CPU tensor),
    or TypeError/ValueError naming the argument."""
    if is_torch(x):
        torch = _torch()
        if x.device.type != "cpu":
            raise ValueError(
                f"'{name}' is on {x.device}; pass CPU or CUDA tensors")
        if not x.is_contiguous():
            raise ValueError(f"'{name}' is not contiguous; call .contiguous()")
        if x.dtype == torch.bfloat16:
            if BFLOAT16 is None:
                raise TypeError("bfloat16 tensors need the ml_dtypes package")
            return x.detach().view(torch.int16).numpy().view(BFLOAT16)
        return x.detach().numpy()
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"'{name}' must be a numpy array or a torch tensor, got "
            f"{type(x).__name__}")
    if not x.flags.c_contiguous:
        raise ValueError(
            f"'{name}' is not C-contiguous; pass np.ascontiguousarray({name})")
    return x


_TORCH_ELEMENT_TYPES = {"float32": "f32", "float16": "f16",
                        "bfloat16": "bf16", "int32": "i32"}


def is_cuda(x):
    return is_torch(x) and x.device.type == "cuda"


def as_operand(x, name):
    """As as_array, except that a torch CUDA tensor is kept as it is (checked
    for contiguity): the GPU path hands it to the kernel unchanged."""
    if is_cuda(x):
        if not x.is_contiguous():
            raise ValueError(f"'{name}' is not contiguous; call .contiguous()")
        return x
    return as_array(x, name)


def element_type(a, name):
    """The MLIR float element type of array `a` (numpy array or torch
    tensor), or TypeError."""
    if is_torch(a):
        et = _TORCH_ELEMENT_TYPES.get(str(a.dtype).replace("torch.", ""), "")
        if not et.startswith(("f", "bf")):
            raise TypeError(
                f"'{name}' has dtype {a.dtype}; expected float32, float16 or "
                "bfloat16")
        return et
    et = _DTYPES.get(a.dtype, ("",))[0]
    if not et.startswith(("f", "bf")):
        raise TypeError(
            f"'{name}' has dtype {a.dtype}; expected float32, float16 or "
            "bfloat16")
    return et


def buffer(a):
    """(address, dtype name, shape) as the native call takes it."""
    return (a.ctypes.data, _DTYPES[a.dtype][1], list(a.shape))


def dtype_from_name(name):
    for dt, (_, cname) in _DTYPES.items():
        if cname == name:
            return dt
    raise TypeError(f"unsupported element type {name}")


def like_input(result, template):
    """Returns `result` as a torch tensor when the caller passed torch."""
    if not is_torch(template):
        return result
    torch = _torch()
    if result.dtype == BFLOAT16:
        return torch.from_numpy(result.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(result)
