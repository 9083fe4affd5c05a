"""Timing shared by the CPU benchmarks (run.py, decode.py)."""
import statistics
import time


def median_ms(fn, repeats, warmup=1):
    """Median wall time of fn() in ms over `repeats` calls after `warmup`."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)
