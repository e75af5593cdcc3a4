// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: a staging buffer, for programs that move a file, a pipe or
 * a pattern through a card in chunks, by any of the three buffer paths.
 * Each function is documented in libbusmaster.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

struct bm_stage {
	int fd;
	enum bm_stage_kind kind;
	uint32_t flags;
	struct busmaster_info info;
	void *buf;
	size_t len;
	uint32_t handle;
	/* the last request, for bm_stage_strerror() */
	struct busmaster_transfer last;
	const char *sync_failed;	/* "the card" or "the CPU", or NULL */
	int sync_err;
};

static uint64_t stage_align(const struct bm_stage *s)
{
	return s->info.alignment ? s->info.alignment : 1;
}

/* Half of @len, if that is still a buffer worth having */
static bool smaller(const struct bm_stage *s, size_t *len)
{
	size_t half = *len / 2;

	if (half < BM_STAGE_MIN_LEN || half % stage_align(s))
		return false;
	*len = half;
	return true;
}

static int open_common(struct bm_stage *s, char *why, size_t why_len)
{
	uint64_t mmap_off;
	int err;

	while (bm_common_alloc(s->fd, s->len, &s->handle, &mmap_off)) {
		err = errno;
		if (err != ENOMEM || !smaller(s, &s->len)) {
			snprintf(why, why_len, "allocating a common buffer: %s",
				 bm_strerror_common(err));
			return set_errno(err);
		}
	}
	s->buf = bm_common_map(s->fd, mmap_off, s->len);
	if (!s->buf) {
		err = errno;
		snprintf(why, why_len, "mapping the common buffer: %s",
			 strerror(err));
		return set_errno(err);
	}
	return 0;
}

static int open_registered(struct bm_stage *s, char *why, size_t why_len)
{
	char msg[BM_ERR_STR_LEN], first[BM_SIZE_STR_LEN], last[BM_SIZE_STR_LEN];
	size_t want = s->len;
	int err;

	while (bm_register(s->fd, s->buf, s->len,
			   s->flags & BM_STAGE_CARD_WRITES ?
			   BUSMASTER_REG_CARD_WRITES : 0, &s->handle)) {
		err = errno;
		if (err != ENOMEM || !smaller(s, &s->len)) {
			bm_strerror_register(err, msg, sizeof(msg));
			bm_format_size(want, first, sizeof(first));
			bm_format_size(s->len, last, sizeof(last));
			snprintf(why, why_len, "registering a %s buffer%s%s: %s",
				 first, s->len < want ? ", or one down to " : "",
				 s->len < want ? last : "", msg);
			return set_errno(err);
		}
	}
	return 0;
}

struct bm_stage *bm_stage_open(int fd, const struct busmaster_info *info,
			       enum bm_stage_kind kind, uint32_t flags,
			       uint64_t want, char *why, size_t why_len)
{
	long page = sysconf(_SC_PAGESIZE);
	struct bm_stage *s;
	uint64_t len;
	int ret = 0, err;
	char dummy[1];

	if (!why || !why_len) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	why[0] = '\0';
	if (!info || kind > BM_STAGE_REGISTERED ||
	    (flags & ~(BM_STAGE_CARD_WRITES | BM_STAGE_NO_SYNC |
		       BM_STAGE_COPY | BM_STAGE_PIN)) ||
	    ((flags & BM_STAGE_NO_SYNC) && kind != BM_STAGE_REGISTERED) ||
	    ((flags & (BM_STAGE_COPY | BM_STAGE_PIN)) && kind != BM_STAGE_USER) ||
	    ((flags & BM_STAGE_COPY) && (flags & BM_STAGE_PIN)) || !want) {
		snprintf(why, why_len, "%s", strerror(EINVAL));
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(why, why_len, "%s", strerror(ENOMEM));
		return NULL;
	}
	s->fd = fd;
	s->kind = kind;
	s->flags = flags;
	s->info = *info;
	len = want < BM_STAGE_MAX_LEN ? want : BM_STAGE_MAX_LEN;
	len -= len % stage_align(s);
	s->len = (size_t)(len ? len : stage_align(s));

	if (kind == BM_STAGE_COMMON) {
		ret = open_common(s, why, why_len);
	} else if (posix_memalign(&s->buf, page > 0 ? (size_t)page : 4096, s->len)) {
		s->buf = NULL;
		snprintf(why, why_len, "allocating a buffer: %s", strerror(ENOMEM));
		ret = set_errno(ENOMEM);
	} else if (kind == BM_STAGE_REGISTERED) {
		ret = open_registered(s, why, why_len);
	}
	if (ret) {
		err = errno;
		bm_stage_close(s);
		errno = err;
		return NULL;
	}
	return s;
}

void *bm_stage_buf(const struct bm_stage *s)
{
	return s->buf;
}

size_t bm_stage_len(const struct bm_stage *s)
{
	return s->len;
}

/* --no-sync: hand the first @n bytes to the card or back to the CPU */
static int stage_sync(struct bm_stage *s, size_t n, uint32_t flags)
{
	if (!bm_sync(s->fd, s->handle, 0, n, flags))
		return 0;
	s->sync_failed = flags == BUSMASTER_SYNC_FOR_DEVICE ? "the card" : "the CPU";
	s->sync_err = errno;
	return -1;
}

static int stage_registered(struct bm_stage *s, bool from, size_t n,
			    uint64_t card_offset, struct bm_result *res)
{
	bool no_sync = s->flags & BM_STAGE_NO_SYNC;
	uint32_t xflags = no_sync ? BUSMASTER_XFER_NO_SYNC : 0;
	int ret, err;

	if (no_sync && stage_sync(s, n, BUSMASTER_SYNC_FOR_DEVICE))
		return -1;
	ret = from ? bm_reg_read(s->fd, s->handle, 0, n, card_offset, xflags, res) :
		     bm_reg_write(s->fd, s->handle, 0, n, card_offset, xflags, res);
	err = errno;
	if (!no_sync || (ret && !res->bytes_done))
		return ret;
	/* The CPU takes back what the card touched, also after a failure. */
	if (stage_sync(s, ret ? res->bytes_done : n, BUSMASTER_SYNC_FOR_CPU)) {
		if (!ret)
			return -1;
		s->sync_failed = NULL;	/* the transfer's error comes first */
	}
	errno = err;
	return ret;
}

static int stage_move(struct bm_stage *s, bool from, size_t n,
		      uint64_t card_offset, struct bm_result *res)
{
	struct bm_result local = BM_RESULT_INIT;
	int ret, err;

	if (!res)
		res = &local;
	if (!n || n > s->len) {
		errno = EINVAL;
		return -1;
	}
	s->sync_failed = NULL;
	memset(&s->last, 0, sizeof(s->last));
	s->last.flags = (from ? BUSMASTER_XFER_FROM_CARD : 0) |
			(s->kind == BM_STAGE_COMMON ? BUSMASTER_XFER_COMMON : 0) |
			(s->kind == BM_STAGE_REGISTERED ? BUSMASTER_XFER_REGISTERED : 0) |
			(s->flags & BM_STAGE_NO_SYNC ? BUSMASTER_XFER_NO_SYNC : 0) |
			(s->flags & BM_STAGE_COPY ? BUSMASTER_XFER_COPY : 0) |
			(s->flags & BM_STAGE_PIN ? BUSMASTER_XFER_PIN : 0);
	s->last.handle = s->handle;
	s->last.addr = s->kind == BM_STAGE_USER ? (uintptr_t)s->buf : 0;
	s->last.length = n;
	s->last.card_offset = card_offset;
	if (s->kind == BM_STAGE_REGISTERED)
		ret = stage_registered(s, from, n, card_offset, res);
	else if (s->kind == BM_STAGE_COMMON)
		ret = from ? bm_common_read(s->fd, s->handle, 0, n, card_offset, res) :
			     bm_common_write(s->fd, s->handle, 0, n, card_offset, res);
	else	/* bm_write() or bm_read(), with BUSMASTER_XFER_COPY or _PIN */
		ret = bm_priv_xfer(s->fd, s->last.flags, 0, s->last.addr, n,
				   card_offset, res);
	err = errno;
	s->last.card_status = ret ? res->card_status : 0;
	errno = err;
	return ret;
}

int bm_stage_write(struct bm_stage *s, size_t len, uint64_t card_offset,
		   struct bm_result *res)
{
	return stage_move(s, false, len, card_offset, res);
}

int bm_stage_read(struct bm_stage *s, size_t len, uint64_t card_offset,
		  struct bm_result *res)
{
	return stage_move(s, true, len, card_offset, res);
}

int bm_stage_strerror(const struct bm_stage *s, int err, char *buf, size_t len)
{
	char msg[BM_ERR_STR_LEN];
	int n;

	if (!s->sync_failed)
		return bm_strerror_transfer(err, &s->last, &s->info, buf, len);
	bm_strerror_register(s->sync_err, msg, sizeof(msg));
	n = snprintf(buf, len, "syncing the registered buffer for %s: %s",
		     s->sync_failed, msg);
	if (n < 0 || (size_t)n >= len)
		return set_errno(ENOSPC);
	return 0;
}

void bm_stage_close(struct bm_stage *s)
{
	int err = errno;

	if (!s)
		return;
	if (s->kind == BM_STAGE_COMMON) {
		if (s->buf)
			bm_common_unmap(s->buf, s->len);
		if (s->handle)
			bm_common_free(s->fd, s->handle);
	} else {
		/* Unregistered before the memory goes back to the allocator. */
		if (s->handle)
			bm_unregister(s->fd, s->handle);
		free(s->buf);
	}
	free(s);
	errno = err;
}
