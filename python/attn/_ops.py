"""The high-level API: one function per op, mirroring flash-linear-attention.

Each call validates its arrays, writes the MLIR of one attn op for those
shapes and options, compiles it (cached) and runs it: on the CPU for numpy
arrays and CPU tensors, as a GPU kernel (_gpu.py) for torch CUDA tensors.
"""
import math

import numpy as np

from . import _gpu, _tune
from ._arrays import (as_array, as_operand, element_type, is_cuda, is_torch,
                      like_input)
from ._errors import CompileError
from ._kernel import compile, pipeline_for, transform

FORMS = ("auto", "recurrent", "quadratic", "chunkwise", "reassociated", "tune")
FEATURE_MAPS = {"identity": "identity", "elu+1": "elu_plus_one",
                "elu_plus_one": "elu_plus_one", "relu": "relu",
                "favor+": "favor", "favor": "favor"}
CPU_TARGETS = ("cpu", "x86-avx512", "x86-avx2")
TARGETS = CPU_TARGETS + _gpu.GPU_TARGETS


def _tensor(shape, et):
    return "tensor<" + "x".join(str(d) for d in shape) + "x" + et + ">"


class _Call:
    """Collects the operands and attributes of one op call."""

    def __init__(self, op):
        self.op = op
        self.args = []       # (name, numpy array, mlir type)
        self.attrs = []      # "key = value"
        self.template = None  # the caller's q, to return torch if it was

    def array(self, name, x, rank, layout, dtypes=None):
        a = as_operand(x, name)
        if a.ndim != rank:
            raise ValueError(
                f"'{name}' must have rank {rank} {layout}, got shape "
                f"{tuple(a.shape)}")
        if any(d == 0 for d in a.shape):
            raise ValueError(
                f"'{name}' has an empty dimension: shape {tuple(a.shape)}")
        et = element_type(a, name)
        if dtypes is not None and et not in dtypes:
            raise TypeError(
                f"'{name}' has element type {et}; expected "
                f"{' or '.join(sorted(dtypes))}")
        self.args.append((name, a, _tensor(a.shape, et)))
        return a, et

    def text(self, operands, results):
        sig = ", ".join(f"%{n}: {t}" for n, _, t in self.args)
        types = ", ".join(t for _, _, t in self.args)
        rts = ", ".join(results)
        rt = rts if len(results) == 1 else f"({rts})"
        names = ", ".join(f"%r{i}" for i in range(len(results)))
        attrs = " {" + ", ".join(self.attrs) + "}" if self.attrs else ""
        return (f"func.func @main({sig}) -> {rt} {{\n"
                f"  {names} = attn.{self.op} {operands}{attrs} : ({types}) -> "
                f"{rt}\n  return {names} : {rts}\n}}\n")


def _gpu_target(call, target, form):
    """The GPU target of the call (its tensors are on a CUDA device, or a GPU
    target was asked for), or None for the CPU."""
    on_device = [(n, a) for n, a, _ in call.args
                 if is_torch(a) and a.device.type != "cpu"]
    if not on_device and target not in _gpu.GPU_TARGETS:
        return None
    on_host = [n for n, a, _ in call.args
               if not (is_torch(a) and a.device.type != "cpu")]
    if on_device and on_host:
        raise ValueError(
            f"'{on_device[0][0]}' is on {on_device[0][1].device} but "
            f"{', '.join(repr(n) for n in on_host)} is not: put every tensor "
            "on the same device")
    if target in _gpu.GPU_TARGETS:
        gpu = target
    elif target == "cpu":
        device = on_device[0][1].device
        if device.type != "cuda":
            raise ValueError(
                f"'{on_device[0][0]}' is on {device}: tensors on a device "
                "other than CUDA need target='sm_80' or 'sm_90' (precompile)")
        gpu = _gpu.device_target(device)
    else:
        raise ValueError(
            f"target {target!r} is a CPU, but the tensors are on "
            f"{on_device[0][1].device}")
    if form not in ("auto", "chunkwise"):
        raise ValueError(
            f"on the GPU every op runs in its chunkwise (tiled) form; form "
            f"{form!r} is a CPU choice")
    return gpu


def _options(call, scale, form, chunk_size, target):
    if scale is not None:
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise TypeError(f"'scale' must be a number, got {type(scale).__name__}")
        if not math.isfinite(scale) or scale <= 0:
            raise ValueError(f"'scale' must be positive and finite, got {scale}")
        call.attrs.append(f"scale = {float(scale)!r} : f64")
    if form not in FORMS:
        raise ValueError(f"'form' must be one of {', '.join(FORMS)}; got {form!r}")
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) \
                or chunk_size <= 0:
            raise ValueError(
                f"'chunk_size' must be a positive int, got {chunk_size!r}")
        if form not in ("auto", "chunkwise"):
            raise ValueError(
                f"'chunk_size' applies to the chunkwise form, not {form!r}"
                + (" (form='tune' chooses the chunk size itself)"
                   if form == "tune" else ""))
        form = "chunkwise"
    if target not in TARGETS:
        raise ValueError(
            f"'target' must be one of {', '.join(TARGETS)}; got {target!r}")
    gpu = _gpu_target(call, target, form)
    if gpu is None:
        if form == "tune":  # chosen on the first run (_Plan.run)
            return _TunedPipeline(target)
        return pipeline_for(target, form, chunk_size)
    if chunk_size is not None:  # the GPU pipeline keeps an op's own choice
        call.attrs += ["form = #attn.form<chunkwise>", f"chunk_size = {chunk_size}"]
    return gpu


def _state(call, initial_state, q, v):
    if initial_state is None:
        return ""
    call.array("initial_state", initial_state, 4, "[B, H, Dk, Dv]", {"f32"})
    return " initial_state(%initial_state)"


def _cu_seqlens(call, cu_seqlens, q, k):
    """Packed sequences (as flash-linear-attention and FlashAttention take
    them): int offsets [N + 1] into the T axis of q (and k) with B = 1.
    Returns (operand text, N); the offsets are passed as int32."""
    if cu_seqlens is None:
        return "", None
    if isinstance(cu_seqlens, (list, tuple)):
        cu_seqlens = np.asarray(cu_seqlens, dtype=np.int64)
    on_device = None  # the offsets are checked on the host, passed as given
    if is_torch(cu_seqlens) and cu_seqlens.device.type != "cpu":
        on_device = cu_seqlens
        cu_seqlens = cu_seqlens.detach().cpu()
    a = as_array(cu_seqlens, "cu_seqlens")
    if a.dtype.kind not in "iu":
        raise TypeError(
            f"'cu_seqlens' must hold integer offsets, got dtype {a.dtype}")
    if a.ndim != 1 or a.shape[0] < 2:
        raise ValueError(
            f"'cu_seqlens' must have shape [N + 1] with N >= 1 sequences, got "
            f"shape {tuple(a.shape)}")
    if q.shape[0] != 1:
        raise ValueError(
            f"'cu_seqlens' (packed sequences) needs batch size B = 1, got "
            f"B = {q.shape[0]}")
    T = q.shape[1]
    if k.shape[1] != T:
        raise ValueError(
            f"'cu_seqlens' packs queries and keys alike: q has T = {T} but k "
            f"has T = {k.shape[1]}")
    if a[0] != 0 or a[-1] != T:
        raise ValueError(
            f"'cu_seqlens' must start at 0 and end at T = {T}, got "
            f"{int(a[0])} ... {int(a[-1])}")
    steps = np.diff(a.astype(np.int64))
    if (steps < 0).any():
        i = int(np.argmax(steps < 0)) + 1
        raise ValueError(
            f"'cu_seqlens' must be non-decreasing, got {int(a[i - 1])} then "
            f"{int(a[i])} at index {i}")
    a = np.ascontiguousarray(a, dtype=np.int32)
    operand = a
    if on_device is not None:
        import torch
        operand = on_device.to(torch.int32).contiguous()
    call.args.append(("cu_seqlens", operand, _tensor(a.shape, "i32")))
    return " cu_seqlens(%cu_seqlens)", a.shape[0] - 1


def _state_shape(q, v, n_seqs, key_dim=None):
    """[B, H, Dk, Dv], or [N, H, Dk, Dv] for N packed sequences."""
    return (q.shape[0] if n_seqs is None else n_seqs, q.shape[2],
            q.shape[3] if key_dim is None else key_dim, v.shape[3])


class _Plan:
    """One op call ready to compile and run: its MLIR text and pipeline,
    the arrays in argument order, and whether to return torch tensors."""

    def __init__(self, call, operands, out_shape, out_et, output_final_state,
                 state_shape, pipeline):
        results = [_tensor(out_shape, out_et)]
        if output_final_state:
            results.append(_tensor(state_shape, "f32"))
        self.text = call.text(operands, results)
        # _options gives a CPU pipeline, or a GPU target name.
        self.gpu_target = pipeline if pipeline in _gpu.GPU_TARGETS else None
        self.pipeline = None if self.gpu_target else pipeline
        self.names = [n for n, _, _ in call.args]
        self.arrays = [a for _, a, _ in call.args]
        self.template = call.template
        self.two_results = output_final_state

    def resolve_pipeline(self):
        """The CPU pipeline; with form='tune', the tuned one (measuring the
        candidates on this call's arrays the first time)."""
        if not isinstance(self.pipeline, _TunedPipeline):
            return self.pipeline
        target = self.pipeline.target

        def measure(form, chunk_size):
            try:
                kernel = compile(self.text, pipeline_for(target, form, chunk_size))
            except CompileError:
                return None
            return _tune.median_ms(
                lambda: kernel.call("main", *self.arrays, names=self.names))

        record = _tune.tune(self.text, target, measure)
        return pipeline_for(target, record["form"], record["chunk_size"])

    def run(self):
        if self.gpu_target:
            return _gpu.run(self)
        kernel = compile(self.text, self.resolve_pipeline())
        out = kernel.call("main", *self.arrays, names=self.names)
        if self.two_results:
            return tuple(like_input(x, self.template) for x in out)
        return like_input(out, self.template)


class _TunedPipeline:
    """The pipeline of a form='tune' call on a CPU target, resolved when the
    call runs (its arrays are needed to time the candidates)."""

    def __init__(self, target):
        self.target = target


def _qkv(call, q, k, v):
    call.template = q
    qa, et = call.array("q", q, 4, "[B, T, H, Dk]", {"f32", "f16", "bf16"})
    ka, _ = call.array("k", k, 4, "[B, T, H, Dk]", {et})
    va, _ = call.array("v", v, 4, "[B, T, H, Dv]", {et})
    return qa, ka, va, et


def _per_step(call, name, x, et, allow_vector=False):
    a = as_operand(x, name)
    layouts = "[B, T, H] or [B, T, H, Dk]" if allow_vector else "[B, T, H]"
    if a.ndim not in ((3, 4) if allow_vector else (3,)):
        raise ValueError(f"'{name}' must have shape {layouts}, got {tuple(a.shape)}")
    call.array(name, a, a.ndim, layouts, {"f32", et})


def _softmax_attrs(call, causal, window):
    """causal and window of a softmax call (or its gradient's), checked."""
    if not causal:
        call.attrs.append("causal = false")
    if window is not None:
        if isinstance(window, bool) or not isinstance(window, int) \
                or window <= 0:
            raise ValueError(
                f"'window' must be a positive int or None, got {window!r}")
        if not causal:
            raise ValueError("'window' (sliding-window attention) needs "
                             "causal=True")
        call.attrs.append(f"window = {window}")


def _plan_softmax_attention(q, k, v, *, causal=True, scale=None, window=None,
                            cu_seqlens=None, form="auto", chunk_size=None,
                            target="cpu"):
    call = _Call("softmax_attention")
    qa, ka, va, et = _qkv(call, q, k, v)
    packed, _ = _cu_seqlens(call, cu_seqlens, qa, ka)
    _softmax_attrs(call, causal, window)
    pipeline = _options(call, scale, form, chunk_size, target)
    out_shape = (qa.shape[0], qa.shape[1], qa.shape[2], va.shape[3])
    return _Plan(call, "%q, %k, %v" + packed, out_shape, et, False, None,
                 pipeline)


def _plan_linear_attention(q, k, v, *, causal=True, scale=None,
                     feature_map="identity", normalize=False, projection=None,
                     initial_state=None, output_final_state=False,
                     cu_seqlens=None, form="auto", chunk_size=None,
                     target="cpu"):
    call = _Call("linear_attention")
    qa, ka, va, et = _qkv(call, q, k, v)
    if feature_map not in FEATURE_MAPS:
        raise ValueError(
            f"'feature_map' must be one of {', '.join(FEATURE_MAPS)}; got "
            f"{feature_map!r}")
    favor = FEATURE_MAPS[feature_map] == "favor"
    if favor != (projection is not None):
        raise ValueError(
            "feature_map='favor+' needs projection=W [m, Dk]" if favor else
            "'projection' is used only by feature_map='favor+'")
    operands = "%q, %k, %v"
    key_dim = None
    if favor:
        w, _ = call.array("projection", projection, 2, "[m, Dk]", {"f32", et})
        operands += " projection(%projection)"
        key_dim = w.shape[0]
    operands += _state(call, initial_state, qa, va)
    packed, n_seqs = _cu_seqlens(call, cu_seqlens, qa, ka)
    operands += packed
    if not causal:
        call.attrs.append("causal = false")
    if FEATURE_MAPS[feature_map] != "identity":
        call.attrs.append(
            f"feature_map = #attn.feature_map<{FEATURE_MAPS[feature_map]}>")
    if normalize:
        call.attrs.append("normalize")
    pipeline = _options(call, scale, form, chunk_size, target)
    return _Plan(call, operands, qa.shape[:3] + (va.shape[3],), et,
                 output_final_state, _state_shape(qa, va, n_seqs, key_dim),
                 pipeline)


def _plan_gated_linear_attention(q, k, v, g, *, scale=None, initial_state=None,
                           output_final_state=False, cu_seqlens=None,
                           form="auto", chunk_size=None, target="cpu"):
    call = _Call("gated_linear_attention")
    qa, ka, va, et = _qkv(call, q, k, v)
    _per_step(call, "g", g, et, allow_vector=True)
    operands = "%q, %k, %v, %g" + _state(call, initial_state, qa, va)
    packed, n_seqs = _cu_seqlens(call, cu_seqlens, qa, ka)
    operands += packed
    pipeline = _options(call, scale, form, chunk_size, target)
    return _Plan(call, operands, qa.shape[:3] + (va.shape[3],), et,
                 output_final_state, _state_shape(qa, va, n_seqs), pipeline)


def _plan_delta_rule(q, k, v, beta, *, g=None, scale=None, initial_state=None,
               output_final_state=False, cu_seqlens=None, form="auto",
               chunk_size=None, target="cpu"):
    call = _Call("delta_rule")
    qa, ka, va, et = _qkv(call, q, k, v)
    _per_step(call, "beta", beta, et)
    operands = "%q, %k, %v, %beta"
    if g is not None:
        _per_step(call, "g", g, et)
        operands += " gate(%g)"
    operands += _state(call, initial_state, qa, va)
    packed, n_seqs = _cu_seqlens(call, cu_seqlens, qa, ka)
    operands += packed
    pipeline = _options(call, scale, form, chunk_size, target)
    return _Plan(call, operands, qa.shape[:3] + (va.shape[3],), et,
                 output_final_state, _state_shape(qa, va, n_seqs), pipeline)


def _through_torch_op(q):
    """Whether a call on torch tensors goes through its torch.library op
    (torch.ops.attn.*): under torch.compile / torch.export, where the graph
    sees one operator, and on tensor subclasses (fake and functional
    tensors), on the CPU and the GPU alike. A plain eager call runs its plan
    directly: the custom-op dispatch costs more host time than the rest of
    the call, and the result is the same."""
    if not is_torch(q):
        return False
    import torch
    return type(q) is not torch.Tensor or torch.compiler.is_compiling()


_TORCH_OPS = {}


def _torch_op(name):
    """torch.ops.attn.<name>, registered on first use."""
    ops = _TORCH_OPS.get("attn")
    if ops is None:
        import torch
        from . import _torch_ops  # noqa: F401 - registers torch.ops.attn.*
        ops = _TORCH_OPS.setdefault("attn", torch.ops.attn)
    return getattr(ops, name)


def _device_offsets(cu_seqlens, q):
    """cu_seqlens as the custom op takes it: None or a tensor."""
    if cu_seqlens is None or is_torch(cu_seqlens):
        return cu_seqlens
    import torch
    return torch.as_tensor(np.asarray(cu_seqlens), device=q.device)


def _results(two, out):
    return tuple(out) if two else out[0]


def _forward_only(fn):
    """The op on torch tensors that require grad (with grad mode on): the
    differentiable calls (_grad.DIFFERENTIABLE) get an autograd node whose
    backward runs the gradient op; the others stay in the autograd graph,
    and backward raises, saying why, instead of silently leaving the inputs
    without gradients."""
    import functools

    @functools.wraps(fn)
    def op(*args, **kwargs):
        inputs = [x for x in (*args, *kwargs.values())
                  if is_torch(x) and x.requires_grad]
        if not inputs:
            return fn(*args, **kwargs)
        import torch
        if not torch.is_grad_enabled():
            return fn(*args, **kwargs)
        from . import _grad
        gated = fn.__name__ == "gated_linear_attention"
        delta = fn.__name__ == "delta_rule"
        g = (args[3] if len(args) > 3 else kwargs.get("g")) if gated else \
            kwargs.get("g") if delta else None
        why = _grad.unsupported(fn.__name__, kwargs, g)
        if why is None and is_cuda(args[0]):
            why = "gradients run on the CPU only yet, not on CUDA tensors"
        if why is None and _through_torch_op(args[0]):
            # torch.ops.attn.* carry their own backward (register_autograd).
            return fn(*args, **kwargs)
        if why is None and len(args) == (4 if gated or delta else 3):
            from ._autograd import AttentionFunction
            options = {n: x for n, x in kwargs.items()
                       if n not in ("initial_state", "g")}
            outs = AttentionFunction.apply(
                fn.__name__, lambda: fn(*args, **kwargs), options, *args[:3],
                g, args[3] if delta else None, kwargs.get("initial_state"))
            return tuple(outs) if len(outs) > 1 else outs[0]
        out = fn(*args, **kwargs)
        from ._no_backward import NoBackward
        outs = out if isinstance(out, tuple) else (out,)
        wrapped = NoBackward.apply(why or f"attn.{fn.__name__} has no "
                                   "backward pass for these arguments yet",
                                   len(outs), *outs, *inputs)
        return tuple(wrapped) if isinstance(out, tuple) else wrapped[0]

    return op


@_forward_only
def softmax_attention(q, k, v, *, causal=True, scale=None, window=None,
                      cu_seqlens=None, form="auto", chunk_size=None,
                      target="cpu"):
    """o_t = sum_s softmax_s(scale q_t.k_s + mask) v_s. q: [B, Tq, Hq, Dk],
    k: [B, Tk, Hkv, Dk], v: [B, Tk, Hkv, Dv] (Hq a multiple of Hkv:
    grouped-query attention); with causal, the queries are the last Tq of
    the Tk positions (decode against a KV cache: Tq = 1); `window` W keeps
    each query to its last W keys (sliding-window attention). `cu_seqlens`
    (int offsets [N + 1], B = 1, Tq = Tk) packs N sequences into T: no query
    sees another sequence's keys. Returns o [B, Tq, Hq, Dv]."""
    if _through_torch_op(q):
        return _torch_op("softmax_attention")(
            q, k, v, _device_offsets(cu_seqlens, q), causal, scale, window,
            chunk_size, form, target)[0]
    return _plan_softmax_attention(q, k, v, causal=causal, scale=scale,
                                   window=window, cu_seqlens=cu_seqlens,
                                   form=form, chunk_size=chunk_size,
                                   target=target).run()


@_forward_only
def linear_attention(q, k, v, *, causal=True, scale=None,
                     feature_map="identity", normalize=False, projection=None,
                     initial_state=None, output_final_state=False,
                     cu_seqlens=None, form="auto", chunk_size=None,
                     target="cpu"):
    """S_t = S_{t-1} + phi(k_t) v_t^T, o_t = scale phi(q_t)^T S_t (divided by
    scale phi(q_t).z_t with normalize). feature_map: identity, elu+1, relu,
    or favor+ (Performer: phi(x) = exp(W x - |x|^2 / 2) / sqrt(m) with
    projection=W [m, Dk]; the state is then [B, H, m, Dv]). `cu_seqlens`
    (int offsets [N + 1], B = 1) packs N sequences into T, each starting from
    initial_state[n] ([N, H, Dk, Dv]) and ending in final_state[n].
    Returns o, or (o, final_state float32)."""
    if _through_torch_op(q):
        return _results(output_final_state, _torch_op("linear_attention")(
            q, k, v, projection, initial_state, _device_offsets(cu_seqlens, q),
            causal, scale, feature_map, normalize, output_final_state,
            chunk_size, form, target))
    return _plan_linear_attention(
        q, k, v, causal=causal, scale=scale, feature_map=feature_map,
        normalize=normalize, projection=projection,
        initial_state=initial_state, output_final_state=output_final_state,
        cu_seqlens=cu_seqlens, form=form, chunk_size=chunk_size,
        target=target).run()


@_forward_only
def gated_linear_attention(q, k, v, g, *, scale=None, initial_state=None,
                           output_final_state=False, cu_seqlens=None,
                           form="auto", chunk_size=None, target="cpu"):
    """S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T, o_t = scale q_t^T S_t; g is
    a log-decay, [B, T, H] (scalar gate) or [B, T, H, Dk] (vector gate).
    `cu_seqlens` packs sequences as for linear_attention."""
    if _through_torch_op(q):
        return _results(output_final_state, _torch_op("gated_linear_attention")(
            q, k, v, g, initial_state, _device_offsets(cu_seqlens, q), scale,
            output_final_state, chunk_size, form, target))
    return _plan_gated_linear_attention(
        q, k, v, g, scale=scale, initial_state=initial_state,
        output_final_state=output_final_state, cu_seqlens=cu_seqlens,
        form=form, chunk_size=chunk_size, target=target).run()


@_forward_only
def delta_rule(q, k, v, beta, *, g=None, scale=None, initial_state=None,
               output_final_state=False, cu_seqlens=None, form="auto",
               chunk_size=None, target="cpu"):
    """S_t = exp(g_t) (I - beta_t k_t k_t^T) S_{t-1} + beta_t k_t v_t^T,
    o_t = scale q_t^T S_t; beta [B, T, H]; g [B, T, H] (gated delta rule)
    or None. `cu_seqlens` packs sequences as for linear_attention."""
    if _through_torch_op(q):
        return _results(output_final_state, _torch_op("delta_rule")(
            q, k, v, beta, g, initial_state, _device_offsets(cu_seqlens, q),
            scale, output_final_state, chunk_size, form, target))
    return _plan_delta_rule(
        q, k, v, beta, g=g, scale=scale, initial_state=initial_state,
        output_final_state=output_final_state, cu_seqlens=cu_seqlens,
        form=form, chunk_size=chunk_size, target=target).run()


_PLANNERS = {
    "softmax_attention": _plan_softmax_attention,
    "linear_attention": _plan_linear_attention,
    "gated_linear_attention": _plan_gated_linear_attention,
    "delta_rule": _plan_delta_rule,
}


def _planner(op):
    name = op if isinstance(op, str) else getattr(op, "__name__", None)
    if name not in _PLANNERS:
        raise ValueError(
            f"'op' must be one of {', '.join(_PLANNERS)} (or the function); "
            f"got {op!r}")
    return _PLANNERS[name]


def precompile(op, *args, **kwargs):
    """Compiles one call ahead of time into the persistent kernel cache
    (cache_dir()), without running it: `attn.precompile(attn.linear_attention,
    q, k, v, target="sm_90")`. The arguments are those of the call (only
    their shapes and dtypes matter: numpy arrays, CPU, CUDA or meta
    tensors). For a GPU target it returns the cache entry's folder (main.json
    and main.ptx), which a machine without the compiler can use once the
    cache folder is copied there (ATTN_CACHE_DIR); for a CPU target, the
    compiled Kernel (also written to the disk cache)."""
    plan = _planner(op)(*args, **kwargs)
    if plan.gpu_target:
        return _gpu.entry(plan.text, plan.gpu_target)
    return compile(plan.text, plan.resolve_pipeline())


def explain(op, *args, **kwargs):
    """The cost model's view of one call, without running it:
    `attn.explain(attn.delta_rule, q, k, v, beta)` (or the op's name) returns
    the candidate forms with their estimated cost and the choice, as text;
    for a GPU target (or CUDA tensors) also the kernels the call launches,
    each with its grid, shared memory and variant (compiling them if the
    cache has none)."""
    plan = _planner(op)(*args, **kwargs)
    target = plan.gpu_target or kwargs.get("target", "cpu")
    target = "x86-avx512" if target == "cpu" else target
    chunk = kwargs.get("chunk_size") or 0
    form = "chunkwise" if chunk else kwargs.get("form", "auto")
    tuned = isinstance(plan.pipeline, _TunedPipeline)
    if tuned:
        form = "auto"  # the cost model's view, then what tuning measured
    _, diagnostics = transform(
        plan.text,
        f"attn-select-form{{target={target} form={form} explain}},"
        f"attn-select-chunk{{target={target} chunk-size={chunk} explain}}")
    lines = [line.split("remark: ", 1)[1]
             for line in diagnostics.splitlines() if "remark: " in line]
    if plan.gpu_target:
        lines += _gpu.describe(plan.text, plan.gpu_target)
    if tuned:
        record = _tune.lookup(plan.text, plan.pipeline.target)
        if record is None:
            lines.append("form='tune': not tuned yet (the first call times "
                         "every candidate)")
        else:
            chosen = _tune.label(record["form"], record["chunk_size"])
            times = sorted(record["times"].items(), key=lambda kv: kv[1])
            lines.append("form='tune', measured on this machine: " + ", ".join(
                f"{name} {ms:.3f} ms" + (" (chosen)" if name == chosen else "")
                for name, ms in times))
    return "\n".join(lines)
