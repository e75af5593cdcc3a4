// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: test patterns keyed by a seed and the card offset, and
 * their checks.
 * Each function is documented in libbusmaster.h.
 */
#include <stdint.h>
#include <string.h>

#include "private.h"

/* splitmix64's output function (Steele, Lea, Flood 2014) */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

uint64_t bm_pattern_word(uint64_t seed, uint64_t index)
{
	return mix64(mix64(seed) + (index + 1) * GOLDEN_GAMMA);
}

/* Byte @offset of the pattern of @seed, given its key mix64(@seed) */
static inline uint8_t pattern_byte(uint64_t key, uint64_t offset)
{
	uint64_t w = mix64(key + (offset / 8 + 1) * GOLDEN_GAMMA);

	return (uint8_t)(w >> (8 * (offset % 8)));
}

void bm_pattern_fill(void *buf, size_t len, uint64_t seed, uint64_t offset)
{
	uint64_t key = mix64(seed), w;
	uint8_t *p = buf;
	size_t i = 0, k;

	/* up to the next word boundary, then whole words, then the tail */
	for (; i < len && (offset + i) % 8; i++)
		p[i] = pattern_byte(key, offset + i);
	for (; len - i >= 8; i += 8) {
		w = mix64(key + ((offset + i) / 8 + 1) * GOLDEN_GAMMA);
		for (k = 0; k < 8; k++)
			p[i + k] = (uint8_t)(w >> (8 * k));
	}
	for (; i < len; i++)
		p[i] = pattern_byte(key, offset + i);
}

/* Count the bytes of @a that differ from @b, noting the first */
static uint64_t count_diff(const uint8_t *a, const uint8_t *b, size_t n,
			   uint64_t base, uint64_t *first)
{
	uint64_t bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		if (*first == UINT64_MAX)
			*first = base + i;
		bad++;
	}
	return bad;
}

/*
 * Compare @buf with what @gen writes, a block at a time, so no pattern
 * needs the size of @buf.
 */
static uint64_t check_blocks(const uint8_t *buf, size_t len,
			     void (*gen)(uint8_t *blk, size_t n, uint64_t at,
					 const void *arg),
			     const void *arg, uint64_t *first)
{
	uint8_t blk[4096];
	uint64_t bad = 0, f = UINT64_MAX;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = len - i < sizeof(blk) ? len - i : sizeof(blk);
		gen(blk, n, i, arg);
		if (!memcmp(buf + i, blk, n))
			continue;
		bad += count_diff(buf + i, blk, n, i, &f);
	}
	if (first)
		*first = bad ? f : len;
	return bad;
}

struct seed_arg {
	uint64_t seed;
	uint64_t offset;
};

static void gen_seed(uint8_t *blk, size_t n, uint64_t at, const void *arg)
{
	const struct seed_arg *a = arg;

	bm_pattern_fill(blk, n, a->seed, a->offset + at);
}

static void gen_byte(uint8_t *blk, size_t n, uint64_t at, const void *arg)
{
	(void)at;
	memset(blk, *(const uint8_t *)arg, n);
}

uint64_t bm_pattern_check(const void *buf, size_t len, uint64_t seed,
			  uint64_t offset, uint64_t *first)
{
	struct seed_arg a = { seed, offset };

	return check_blocks(buf, len, gen_seed, &a, first);
}

uint64_t bm_pattern_check_byte(const void *buf, size_t len, uint8_t byte,
			       uint64_t *first)
{
	return check_blocks(buf, len, gen_byte, &byte, first);
}

uint64_t bm_buf_compare(const void *a, const void *b, size_t len,
			uint64_t *first)
{
	uint64_t bad, f = UINT64_MAX;

	bad = memcmp(a, b, len) ? count_diff(a, b, len, 0, &f) : 0;
	if (first)
		*first = bad ? f : len;
	return bad;
}
