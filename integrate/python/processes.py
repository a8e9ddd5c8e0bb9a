"""multiprocessing.Pool: the interval split into chunks (4 per process),
each integrated by the pure loop in a worker process, results summed.
Each process has its own interpreter and GIL, so they run in parallel.
The time includes starting and stopping the pool, as the Go table's
processes rows include starting and stopping the workers.

Usage: python3 processes.py [N] [PROCESSES]   (defaults 10**7 and 2)
"""
import multiprocessing
import sys
import time

from serial import f, integrate, report


def chunk(args):
    x0, x1, n = args
    return integrate(f, x0, x1, n)  # f by reference: a lambda would not pickle


def pool_integrate(a, b, N, processes, chunks_per_process=4):
    chunks = processes * chunks_per_process
    width = (b - a) / chunks
    jobs = [(a + i * width, a + (i + 1) * width, N // chunks + (1 if i < N % chunks else 0))
            for i in range(chunks)]
    with multiprocessing.Pool(processes) as pool:
        return sum(pool.map(chunk, jobs))


if __name__ == "__main__":
    N = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**7
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    start = time.perf_counter()
    result = pool_integrate(0.0, 10.0, N, processes)
    report("multiprocessing.Pool", N, processes, result, time.perf_counter() - start)
