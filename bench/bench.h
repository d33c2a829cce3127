/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness shared by the bench programs: monotonic time, a subject and
 * its baseline run interleaved in rounds, medians, and the one output line
 * per figure:
 *
 *   BENCH name=<name> value=<number> unit=<unit> [baseline=<name> ratio=<r>]
 *   BENCH name=<name> skipped reason=<text to the end of the line>
 *
 * Sizes scale with LIBVM_BENCH_SCALE (a factor, default 1: sized for a real
 * KVM host) and the number of rounds is LIBVM_BENCH_ROUNDS (default 15).
 */
#ifndef LIBVM_BENCH_H
#define LIBVM_BENCH_H

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Each program defines BENCH_PROG ("bench/core", ...) before this file. */
#ifndef BENCH_PROG
#define BENCH_PROG "bench"
#endif

#define BENCH_DEFAULT_ROUNDS 15
#define BENCH_MAX_ROUNDS 1001

/* A bench program that cannot measure says why and ends with status 1. */
static inline void bench_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static inline void bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs(BENCH_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define bench_die_errno(what) bench_die("%s: %s", (what), strerror(errno))
#define bench_die_libvm(what, r)                                             \
	bench_die("%s: %s: %s", (what), libvm_strerror(r), libvm_last_error())

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline double bench_env_double(const char *name, double def)
{
	const char *s = getenv(name);
	char *end;
	double v;

	if (!s || !*s)
		return def;
	v = strtod(s, &end);
	if (*end || !(v > 0)) {
		fprintf(stderr, "bench: %s=%s: want a positive number\n",
			name, s);
		exit(2);
	}
	return v;
}

static inline double bench_scale(void)
{
	return bench_env_double("LIBVM_BENCH_SCALE", 1.0);
}

/* n scaled by LIBVM_BENCH_SCALE, never below min. */
static inline unsigned long bench_scaled(unsigned long n, unsigned long min)
{
	double v = (double)n * bench_scale();

	return v < (double)min ? min : (unsigned long)v;
}

static inline int bench_rounds(void)
{
	double v = bench_env_double("LIBVM_BENCH_ROUNDS",
				    BENCH_DEFAULT_ROUNDS);

	return v > BENCH_MAX_ROUNDS ? BENCH_MAX_ROUNDS : (int)v;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n); sorts v. */
static inline double bench_median(double *v, int n)
{
	if (n <= 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One round of a measurement: does its batch and returns the figure for
 * it (say, ns per exit).  On failure it prints why and exits non-zero.
 */
typedef double (*bench_round_fn)(void *ctx);

/*
 * Run subject and baseline in rounds, alternating which goes first so
 * neither always inherits the other's warm (or cold) state, and return the
 * medians of their per-round figures.
 */
static inline void bench_interleave(double *subject_med, double *base_med,
				    int rounds, bench_round_fn subject,
				    void *sctx, bench_round_fn base,
				    void *bctx)
{
	double s[BENCH_MAX_ROUNDS], b[BENCH_MAX_ROUNDS];
	int i;

	if (rounds < 1)
		rounds = 1;
	if (rounds > BENCH_MAX_ROUNDS)
		rounds = BENCH_MAX_ROUNDS;
	for (i = 0; i < rounds; i++) {
		if (i % 2 == 0) {
			s[i] = subject(sctx);
			b[i] = base(bctx);
		} else {
			b[i] = base(bctx);
			s[i] = subject(sctx);
		}
	}
	*subject_med = bench_median(s, rounds);
	*base_med = bench_median(b, rounds);
}

/* A line that says what a benchmark does; not a figure. */
#define bench_header(...)                                                     \
	do {                                                                  \
		printf("# " __VA_ARGS__);                                     \
		putchar('\n');                                                \
		fflush(stdout);                                               \
	} while (0)

/* A figure without a baseline. */
static inline void bench_report(const char *name, double value,
				const char *unit)
{
	printf("BENCH name=%s value=%.6g unit=%s\n", name, value, unit);
	fflush(stdout);
}

/* A figure measured against a baseline figure of the same run. */
static inline void bench_report_vs(const char *name, double value,
				   const char *unit, const char *baseline,
				   double base_value)
{
	printf("BENCH name=%s value=%.6g unit=%s baseline=%s ratio=%.4f\n",
	       name, value, unit, baseline, value / base_value);
	fflush(stdout);
}

static inline void bench_skip(const char *name, const char *reason)
{
	printf("BENCH name=%s skipped reason=%s\n", name, reason);
	fflush(stdout);
}

/* Print a skip line for each of names (NULL-terminated) and exit 0. */
static inline void bench_skip_all(const char *const *names,
				  const char *reason)
{
	for (; *names; names++)
		bench_skip(*names, reason);
	exit(0);
}

#ifdef LIBVM_LIBVM_H
/*
 * Create a VM, or skip every figure of this program when KVM is absent
 * (LIBVM_ENOKVM).  Any other failure ends the program with status 1.
 */
static inline libvm_vm *bench_vm_create_or_skip(const char *const *names)
{
	libvm_vm *vm = NULL;
	int r = libvm_vm_create(&vm, NULL);

	if (r == LIBVM_ENOKVM) {
		char reason[512];

		snprintf(reason, sizeof(reason), "no usable KVM (%s)",
			 libvm_last_error());
		bench_skip_all(names, reason);
	}
	if (r < 0) {
		fprintf(stderr, "bench: libvm_vm_create: %s: %s\n",
			libvm_strerror(r), libvm_last_error());
		exit(1);
	}
	return vm;
}
#endif

#endif
