"""The notes' threading_integrate: the interval split among threads, each
running the pure loop on its part, results collected through a Queue.
Under the GIL only one thread runs Python code at a time, so this is no
faster than serial.py, usually a little slower.

Usage: python3 threads.py [N] [THREADS]   (defaults 10**7 and 8)
"""
import queue
import sys
import threading
import time

from serial import f, integrate, report


def threading_integrate(f, a, b, N, thread_count):
    results = queue.Queue()
    width = (b - a) / thread_count
    threads = []
    for i in range(thread_count):
        x0 = a + i * width
        n = N // thread_count + (1 if i < N % thread_count else 0)
        t = threading.Thread(target=lambda x0=x0, n=n: results.put(integrate(f, x0, x0 + width, n)))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return sum(results.get() for _ in range(thread_count))


if __name__ == "__main__":
    N = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**7
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    start = time.perf_counter()
    result = threading_integrate(f, 0.0, 10.0, N, threads)
    report("threads", N, threads, result, time.perf_counter() - start)
