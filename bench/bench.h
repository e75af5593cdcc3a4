/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench.h: what the benchmark programs share -- the clock, errors, lists
 * on the command line, the median of repeats, and the counters the card
 * and the driver keep.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

/* Repeats of one cell at most (median() keeps them on the stack). */
#define BENCH_MAX_REPEAT	15

/* The program's name, for die(); each program defines it. */
extern const char *bench_name;

/* CLOCK_MONOTONIC, in seconds. */
double now(void);

/* "NAME: WHAT: strerror(ERR)" on stderr, and exit(1). */
void die(const char *what, int err) __attribute__((noreturn));

/* "NAME: " and a formatted message on stderr, and exit(1). */
void dief(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/*
 * The comma-separated list @s into @v, at most @max entries: byte counts
 * (bm_parse_size(): "4k", "1M") when @sizes, else plain numbers. Dies on
 * a token that does not parse. Returns the number of entries.
 */
int parse_list(const char *s, uint64_t *v, int max, int sizes);

/* The median of @n (1 to BENCH_MAX_REPEAT) values, with their range. */
double median(const double *v, int n, double *lo, double *hi);

/* qsort() order of doubles. */
int cmp_double(const void *a, const void *b);

/*
 * What the card and the driver counted so far: the card's own busy time
 * and bytes (statistics/card_busy_ns, card_bytes; 0 where the card does
 * not count) and the driver's card transfers.
 */
struct counts {
	double busy_ns, bytes, transfers;
};

struct counts counts(int id);

#endif /* BENCH_H */
