"""The notes' integrate_numpy: the loop vectorised by numpy (one array of
N points; 10**8 points need 800 MB per array).

Usage: python3 numpy_version.py [N]   (default 10**7)
Needs numpy: python3 -m pip install numpy
"""
import sys
import time

from serial import report

try:
    import numpy as np
except ImportError:
    print("numpy is not installed; install it with: python3 -m pip install numpy")
    sys.exit(0)


def integrate_numpy(a, b, N):
    dx = (b - a) / N
    i = np.arange(N)
    return np.sum((a + i * dx) ** 2) * dx


if __name__ == "__main__":
    N = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**7
    start = time.perf_counter()
    result = float(integrate_numpy(0.0, 10.0, N))
    report("numpy", N, 1, result, time.perf_counter() - start)
