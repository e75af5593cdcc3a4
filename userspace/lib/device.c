// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: finding and opening cards by index, node, PCI address.
 * Each function is documented in libbusmaster.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#ifndef BM_VERSION
#define BM_VERSION "unknown"
#endif

const char *bm_version(void)
{
	return BM_VERSION;
}

int bm_dev_path(int idx, char *buf, size_t len)
{
	int n;

	if (idx < 0 || !buf)
		return set_errno(EINVAL);
	n = snprintf(buf, len, "%s/%s%d", BM_DEV_DIR, BM_DEV_NAME, idx);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return set_errno(ENAMETOOLONG);
	}
	return 0;
}

/*
 * Parse a decimal card index: digits only, no sign, no leading zero
 * (so "busmaster01" is not a second name for card 1), at most INT_MAX.
 */
static int parse_index(const char *s, int *idx)
{
	long v = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	*idx = (int)v;
	return 0;
}

/* "busmaster<N>" -> N */
static int parse_node_name(const char *name, int *idx)
{
	size_t plen = strlen(BM_DEV_NAME);

	if (strncmp(name, BM_DEV_NAME, plen))
		return -1;
	return parse_index(name + plen, idx);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int append_index(int **arr, size_t *n, size_t *cap, int idx)
{
	int *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		p = realloc(*arr, ncap * sizeof(**arr));
		if (!p)
			return -1;
		*arr = p;
		*cap = ncap;
	}
	(*arr)[(*n)++] = idx;
	return 0;
}

int bm_list_dir(const char *dir, int **idx, size_t *count)
{
	size_t n = 0, cap = 0;
	struct dirent *de;
	int *arr = NULL;
	int err = 0;
	DIR *d;

	if (!dir || !idx || !count)
		return set_errno(EINVAL);
	d = opendir(dir);
	if (!d)
		return -1;
	for (;;) {
		int i;

		errno = 0;
		de = readdir(d);
		if (!de) {
			err = errno;
			break;
		}
		if (parse_node_name(de->d_name, &i))
			continue;
		if (append_index(&arr, &n, &cap, i)) {
			err = ENOMEM;
			break;
		}
	}
	closedir(d);
	if (err) {
		free(arr);
		return set_errno(err);
	}
	if (n)
		qsort(arr, n, sizeof(*arr), cmp_int);
	*idx = arr;
	*count = n;
	return 0;
}

int bm_list(int **idx, size_t *count)
{
	return bm_list_dir(BM_DEV_DIR, idx, count);
}

int bm_open_path(const char *path, int flags)
{
	if (!path)
		return set_errno(EINVAL);
	return open(path, flags | O_CLOEXEC);
}

int bm_open_index(int idx, int flags)
{
	char path[BM_PATH_LEN];

	if (bm_dev_path(idx, path, sizeof(path)))
		return -1;
	return bm_open_path(path, flags);
}

static bool pci_addr_equal(const struct bm_pci_addr *a,
			   const struct bm_pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       a->dev == b->dev && a->fn == b->fn;
}

/*
 * Open card @idx and keep it if its INFO names @want. Return the fd, -1
 * with errno 0 for another card, or -1 with errno for a card that could
 * not be opened or asked.
 */
static int open_if_pci(int idx, const struct bm_pci_addr *want, int flags)
{
	struct busmaster_info info;
	struct bm_pci_addr have;
	int fd, err;

	fd = bm_open_index(idx, flags);
	if (fd < 0)
		return -1;
	if (bm_info(fd, &info)) {
		err = errno;
		close(fd);
		return set_errno(err);
	}
	if (!bm_parse_pci_addr(info.pci_slot, &have) &&
	    pci_addr_equal(&have, want))
		return fd;
	close(fd);
	return set_errno(0);
}

/* bm_open_pci(), also telling which card matched in @found */
static int open_pci(const char *addr, int flags, int *found)
{
	struct bm_pci_addr want;
	int fd = -1, first_err = 0;
	size_t i, n;
	int *idx;

	*found = -1;
	if (bm_parse_pci_addr(addr, &want))
		return -1;
	if (bm_list(&idx, &n))
		return -1;
	for (i = 0; i < n; i++) {
		fd = open_if_pci(idx[i], &want, flags);
		if (fd >= 0) {
			*found = idx[i];
			break;
		}
		if (errno && !first_err) {
			first_err = errno;
			*found = idx[i];
		}
	}
	free(idx);
	if (fd >= 0)
		return fd;
	return set_errno(first_err ? first_err : ENODEV);
}

int bm_open_pci(const char *addr, int flags)
{
	int found;

	if (!addr)
		return set_errno(EINVAL);
	return open_pci(addr, flags, &found);
}

/* Index of the first card, or -1 with errno (ENOENT: there is none) */
static int first_card(void)
{
	int first = -1;
	size_t n;
	int *idx;

	if (bm_list(&idx, &n))
		return -1;
	if (n)
		first = idx[0];
	free(idx);
	return first < 0 ? set_errno(ENOENT) : first;
}

/* Store @src in @path (if wanted); ENAMETOOLONG if it does not fit */
static int copy_path(char *path, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (!path)
		return 0;
	if (n >= len) {
		if (len)
			path[0] = '\0';
		return set_errno(ENAMETOOLONG);
	}
	memcpy(path, src, n + 1);
	return 0;
}

/* Store the path of card @idx in @path, if wanted and @idx >= 0 */
static int name_card(int idx, char *path, size_t len)
{
	char buf[BM_PATH_LEN];

	if (idx < 0 || !path)
		return 0;
	if (bm_dev_path(idx, buf, sizeof(buf)))
		return -1;
	return copy_path(path, len, buf);
}

static int open_named(int idx, int flags, char *path, size_t len)
{
	if (name_card(idx, path, len))
		return -1;
	return bm_open_index(idx, flags);
}

static int open_pci_named(const char *spec, int flags, char *path,
			  size_t len)
{
	int idx, fd, err;

	fd = open_pci(spec, flags, &idx);
	err = errno;
	if (name_card(idx, path, len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	errno = err;
	return fd;
}

int bm_open_device(const char *spec, int flags, char *path, size_t len)
{
	struct bm_pci_addr pci;
	int idx;

	if (path && len)
		path[0] = '\0';
	if (!spec || !*spec) {
		idx = first_card();
		if (idx < 0)
			return -1;
		return open_named(idx, flags, path, len);
	}
	if (strchr(spec, '/')) {
		if (copy_path(path, len, spec))
			return -1;
		return bm_open_path(spec, flags);
	}
	if (!parse_index(spec, &idx) || !parse_node_name(spec, &idx))
		return open_named(idx, flags, path, len);
	if (!bm_parse_pci_addr(spec, &pci))
		return open_pci_named(spec, flags, path, len);
	return set_errno(EINVAL);
}
