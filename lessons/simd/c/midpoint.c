/*
 * midpoint.c: the C reference for lessons/simd. It computes the same
 * integral as the lesson (the midpoint rule for x*x on [0, 10]) with the
 * plain loop, and lets the C compiler vectorise it. With -ffast-math the
 * compiler may reorder the additions (it keeps several running sums in
 * vector lanes, as the lesson's kernels do) and fuse multiply-adds; without
 * it, it must add in order, one number at a time.
 *
 * Build and run it (from the module root; no test needs it):
 *
 *     gcc -O3 -march=native -ffast-math -o /tmp/midpoint lessons/simd/c/midpoint.c
 *     /tmp/midpoint 100000000 5
 *
 *     gcc -O3 -mavx2 -mfma -ffast-math -o /tmp/midpoint-avx2 lessons/simd/c/midpoint.c
 *     /tmp/midpoint-avx2 100000000 5
 *
 * It prints each run's result and ns per point, then the median.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* midpoint returns the midpoint rule for x*x on [a, b] with n strips.
 * The index t counts in a double, as the Go kernels' does: with AVX2 only
 * there is no vector instruction that converts a 64-bit integer to a
 * double, and gcc leaves a loop over (i + 0.5) * dx scalar. noinline
 * keeps the compiler from computing the integral at compile time. */
__attribute__((noinline)) double midpoint(double a, double b, long n) {
	double dx = (b - a) / n, sum = 0, t = 0.5;
	for (long i = 0; i < n; i++) {
		double x = a + t * dx;
		sum += x * x;
		t += 1;
	}
	return sum * dx;
}

static int compare(const void *p, const void *q) {
	double x = *(const double *)p, y = *(const double *)q;
	return (x > y) - (x < y);
}

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 100000000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	if (n < 1 || runs < 1 || runs > 100) {
		fprintf(stderr, "usage: midpoint [points >= 1] [runs 1..100]\n");
		return 2;
	}
	double ns[100];
	for (int r = 0; r < runs; r++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		double v = midpoint(0, 10, n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns[r] = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n;
		printf("%.17g  %.4f ns/point\n", v, ns[r]);
	}
	qsort(ns, runs, sizeof ns[0], compare);
	printf("median of %d runs: %.4f ns/point\n", runs, ns[runs / 2]);
	return 0;
}
