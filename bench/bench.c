// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench.c: helpers of the benchmark programs (bench.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libbusmaster.h"
#include "bench.h"

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", bench_name, what, strerror(err));
	exit(1);
}

void dief(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int parse_list(const char *s, uint64_t *v, int max, int sizes)
{
	char *copy = strdup(s), *tok, *save = NULL, *end;
	int n = 0;

	if (!copy)
		die("memory", ENOMEM);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			dief("%s: more than %d entries", s, max);
		if (sizes) {
			if (bm_parse_size(tok, &v[n]))
				die(tok, errno);
		} else {
			errno = 0;
			v[n] = strtoull(tok, &end, 0);
			if (errno || end == tok || *end)
				die(tok, EINVAL);
		}
		n++;
	}
	free(copy);
	if (!n)
		die(s, EINVAL);
	return n;
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(const double *v, int n, double *lo, double *hi)
{
	double s[BENCH_MAX_REPEAT];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	*lo = s[0];
	*hi = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

struct counts counts(int id)
{
	struct bm_card_counters c = { 0 };
	struct bm_card_stats st = { 0 };
	char node[32];

	snprintf(node, sizeof(node), "busmaster%d", id);
	/* A card or driver that does not count reads 0: no utilization. */
	bm_card_counters(node, &c);
	bm_card_stats(node, &st);
	return (struct counts){ .busy_ns = (double)c.busy_ns, .bytes = (double)c.bytes,
				.transfers = (double)(st.transfers_to_card +
						      st.transfers_from_card) };
}
