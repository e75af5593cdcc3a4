/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal TAP output for the host-side unit tests: each CHECK() is one
 * test point; test_done() prints the plan and gives the exit status.
 */
#ifndef BM_TEST_H
#define BM_TEST_H

#include <stdio.h>

struct test_state {
	int n;
	int failed;
};

static inline void test_point(struct test_state *t, int ok, const char *what,
			      const char *file, int line)
{
	t->n++;
	if (!ok)
		t->failed++;
	printf("%sok %d - %s", ok ? "" : "not ", t->n, what);
	if (!ok)
		printf(" (%s:%d)", file, line);
	printf("\n");
}

#define CHECK(t, cond, ...)						\
	do {								\
		char what_[256];					\
		snprintf(what_, sizeof(what_), __VA_ARGS__);		\
		test_point(t, !!(cond), what_, __FILE__, __LINE__);	\
	} while (0)

static inline int test_done(struct test_state *t)
{
	printf("1..%d\n", t->n);
	if (t->failed)
		printf("# %d of %d failed\n", t->failed, t->n);
	return t->failed ? 1 : 0;
}

#endif /* BM_TEST_H */
