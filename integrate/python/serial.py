"""The Python notes' integrate(f, a, b, N): one loop, left rule.

Usage: python3 serial.py [N]   (default N = 10**7)

Prints N, the result, the absolute error against 1000/3, and the time.
"""
import sys
import time


def f(x):
    return x**2


def integrate(f, a, b, N):
    s = 0
    dx = (b - a) / N
    for i in range(N):
        s += f(a + i * dx)
    return s * dx


def report(name, N, workers, result, seconds):
    print(f"{name:<22} N={N:<11d} workers={workers:<2d} result={result:.15g} "
          f"error={abs(result - 1000 / 3):.2g} time={seconds:.3f}s "
          f"ns/eval={seconds / N * 1e9:.1f}")


if __name__ == "__main__":
    N = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**7
    start = time.perf_counter()
    result = integrate(f, 0.0, 10.0, N)
    report("serial (pure loop)", N, 1, result, time.perf_counter() - start)
