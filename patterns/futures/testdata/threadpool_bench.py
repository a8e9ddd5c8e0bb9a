"""Measure CPython's ThreadPoolExecutor on empty tasks, for comparison with
BenchmarkSubmitResult and BenchmarkSubmitThenResults in bench_test.go.

Run: python3 patterns/futures/testdata/threadpool_bench.py
It prints the median of 5 runs, in microseconds per task, for submit then
result one at a time, and for a batch of 1000 submits then 1000 results.
"""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

BATCH = 1000
ROUNDS = 20


def empty():
    return 0


def one_at_a_time(pool):
    begin = time.perf_counter()
    for _ in range(BATCH * ROUNDS):
        pool.submit(empty).result()
    return (time.perf_counter() - begin) / (BATCH * ROUNDS)


def batch(pool):
    begin = time.perf_counter()
    for _ in range(ROUNDS):
        futures = [pool.submit(empty) for _ in range(BATCH)]
        for f in futures:
            f.result()
    return (time.perf_counter() - begin) / (BATCH * ROUNDS)


def main():
    for workers in (1, 2, 4):
        with ThreadPoolExecutor(max_workers=workers) as pool:
            serial = statistics.median(one_at_a_time(pool) for _ in range(5))
            batched = statistics.median(batch(pool) for _ in range(5))
        print(f"workers={workers}: submit+result {serial * 1e6:.1f} us/task;"
              f" batch of {BATCH}: {batched * 1e6:.1f} us/task"
              f" ({1 / batched:,.0f} tasks/s)")


if __name__ == "__main__":
    main()
