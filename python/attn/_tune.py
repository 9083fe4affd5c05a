"""form="tune": autotuning of the form and chunk size of one call.

The first call of a shape (its op MLIR text: shapes, dtypes, options) on a
target compiles every legal candidate (the forms, and the chunkwise form at
each chunk size), times each on the call's own arrays and keeps the
fastest. The choice and the times are kept in memory and in
cache_dir()/tune.json (atomic rename, so concurrent processes share it);
later calls and processes compile only the winner.
"""
import hashlib
import json
import os
import tempfile
import threading
import time

from ._version import VERSION

CANDIDATES = ([("auto", None), ("recurrent", None), ("quadratic", None),
               ("reassociated", None)] +
              [("chunkwise", c) for c in (16, 32, 64, 128)])
_REPEATS = 5

_lock = threading.Lock()
_memory = {}  # key -> {"form", "chunk_size", "times": {label: ms}}


def _key(text, target):
    return hashlib.sha256(f"{VERSION}\0{target}\0{text}".encode()).hexdigest()


def label(form, chunk_size):
    return f"chunkwise C={chunk_size}" if chunk_size else form


def _store_path():
    from ._kernel import cache_dir
    d = cache_dir()
    return os.path.join(d, "tune.json") if d else None


def _read_store(path):
    try:
        with open(path) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_store(path, key, record):
    """Adds `record` to the store: read, update, write to a temporary file
    and rename over the old one."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = _read_store(path)
    data[key] = record
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tune-")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def lookup(text, target):
    """The stored record of a call, or None (not tuned yet)."""
    key = _key(text, target)
    with _lock:
        if key in _memory:
            return _memory[key]
    path = _store_path()
    record = _read_store(path).get(key) if path else None
    if record:
        with _lock:
            _memory[key] = record
    return record


def tune(text, target, measure):
    """The record of the call `text` on `target`, measuring the candidates
    with measure(form, chunk_size) -> ms (None where the compiler rejects
    the form) when it is not known yet."""
    record = lookup(text, target)
    if record:
        return record
    times = {}
    best = None
    for form, chunk in CANDIDATES:
        ms = measure(form, chunk)
        if ms is None:
            continue
        times[label(form, chunk)] = ms
        if best is None or ms < best[2]:
            best = (form, chunk, ms)
    record = {"form": best[0], "chunk_size": best[1], "times": times}
    key = _key(text, target)
    with _lock:
        _memory[key] = record
    path = _store_path()
    if path:
        try:
            _write_store(path, key, record)
        except OSError:
            pass  # a read-only cache: the choice lives in this process only
    return record


def median_ms(fn):
    fn()  # warm up (first touch of the outputs, thread pool)
    times = []
    for _ in range(_REPEATS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)[len(times) // 2]


def clear(disk):
    with _lock:
        _memory.clear()
    path = _store_path()
    if disk and path and os.path.exists(path):
        os.remove(path)
