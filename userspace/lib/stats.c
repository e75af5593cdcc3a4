// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: a card's statistics, from sysfs
 * (/sys/class/misc/busmasterN/statistics/). Documented in libbusmaster.h.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

static const struct {
	const char *name;
	size_t offset;
} stat_files[] = {
#define STAT(f) { #f, offsetof(struct bm_card_stats, f) }
	STAT(bytes_to_card),
	STAT(bytes_from_card),
	STAT(bytes_bounced),
	STAT(transfers_to_card),
	STAT(transfers_from_card),
	STAT(requests),
	STAT(requests_failed),
	STAT(requests_in_flight),
	STAT(timeouts),
	STAT(card_resets),
	STAT(pinned_pages),
#undef STAT
};

/* The decimal number in file @path */
static int read_u64(const char *path, uint64_t *v)
{
	char buf[32], *end;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return set_errno(n ? errno : EIO);
	buf[n] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return set_errno(EIO);
	return 0;
}

/* Read @n files of @node's statistics/ into the fields of @out they name. */
static int read_stat_files(const char *node, const char *const *names,
			   const size_t *offsets, size_t n, void *out)
{
	const char *root = getenv("BM_SYSFS_ROOT"), *name;
	char path[PATH_MAX];
	size_t k;

	name = strrchr(node, '/');
	name = name ? name + 1 : node;
	if (!*name)
		return set_errno(EINVAL);
	for (k = 0; k < n; k++) {
		int len = snprintf(path, sizeof(path), "%s/class/misc/%s/statistics/%s",
				   root && *root ? root : "/sys", name, names[k]);

		if (len < 0 || (size_t)len >= sizeof(path))
			return set_errno(ENAMETOOLONG);
		if (read_u64(path, (uint64_t *)((char *)out + offsets[k])))
			return -1;
	}
	return 0;
}

int bm_card_stats(const char *node, struct bm_card_stats *st)
{
	const char *names[ARRAY_SIZE(stat_files)];
	size_t offsets[ARRAY_SIZE(stat_files)], k;

	if (!node || !st)
		return set_errno(EINVAL);
	for (k = 0; k < ARRAY_SIZE(stat_files); k++) {
		names[k] = stat_files[k].name;
		offsets[k] = stat_files[k].offset;
	}
	memset(st, 0, sizeof(*st));
	return read_stat_files(node, names, offsets, ARRAY_SIZE(stat_files), st);
}

int bm_copy_stats(const char *node, struct bm_copy_stats *st)
{
	static const char *const names[] = { "requests_copied", "bytes_copied" };
	static const size_t offsets[] = {
		offsetof(struct bm_copy_stats, requests_copied),
		offsetof(struct bm_copy_stats, bytes_copied),
	};

	if (!node || !st)
		return set_errno(EINVAL);
	memset(st, 0, sizeof(*st));
	return read_stat_files(node, names, offsets, ARRAY_SIZE(names), st);
}

int bm_card_counters(const char *node, struct bm_card_counters *c)
{
	static const char *const names[] = { "card_busy_ns", "card_bytes" };
	static const size_t offsets[] = {
		offsetof(struct bm_card_counters, busy_ns),
		offsetof(struct bm_card_counters, bytes),
	};

	if (!node || !c)
		return set_errno(EINVAL);
	memset(c, 0, sizeof(*c));
	return read_stat_files(node, names, offsets, ARRAY_SIZE(names), c);
}
