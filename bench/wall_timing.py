"""Wall-clock timing shared by the GPU bench scripts (torch_gpu_bench.py, gpu_copy_probe.py)."""
import statistics
import time


def median_ms(fn, iters, sync, warmup=10):
    """Median wall time of `iters` calls of fn() in ms, each followed by sync() (a device
    synchronisation: launches are asynchronous), after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    sync()
    ms = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        sync()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)
