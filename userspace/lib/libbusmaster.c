// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: opening cards, their ioctls, and names for the ABI's values.
 * Each function is documented in libbusmaster.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/busmaster_card.h>

#include "libbusmaster.h"

#ifndef BM_VERSION
#define BM_VERSION "unknown"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BM_STR_(x) #x
#define BM_STR(x) BM_STR_(x)

const char *bm_version(void)
{
	return BM_VERSION;
}

static int set_errno(int err)
{
	errno = err;
	return -1;
}

/* ---- finding and opening cards ---- */

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

/* ---- ioctls ---- */

int bm_info(int fd, struct busmaster_info *info)
{
	if (!info)
		return set_errno(EINVAL);
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (ioctl(fd, BUSMASTER_IOCTL_INFO, info) < 0)
		return -1;
	info->pci_slot[sizeof(info->pci_slot) - 1] = '\0';
	info->driver_version[sizeof(info->driver_version) - 1] = '\0';
	return 0;
}

/* ---- transfers ---- */

int bm_transfer(int fd, struct busmaster_transfer *t)
{
	if (!t)
		return set_errno(EINVAL);
	t->size = sizeof(*t);
	return ioctl(fd, BUSMASTER_IOCTL_TRANSFER, t) < 0 ? -1 : 0;
}

/* Copy what the kernel wrote back into as much of @res as its size allows */
static void fill_result(struct bm_result *res, uint32_t card_status,
			uint64_t bytes_done, uint32_t transfers)
{
	struct bm_result r = {
		.size = res->size,
		.card_status = card_status,
		.bytes_done = bytes_done,
		.transfers = transfers,
	};
	size_t n = res->size < sizeof(r) ? res->size : sizeof(r);

	memcpy(res, &r, n);
}

static int xfer(int fd, uint32_t flags, uint32_t handle, uint64_t addr,
		uint64_t len, uint64_t card_offset, struct bm_result *res)
{
	struct busmaster_transfer t = {
		.flags = flags,
		.handle = handle,
		.addr = addr,
		.length = len,
		.card_offset = card_offset,
	};
	int ret, err;

	if (res && res->size < BM_RESULT_SIZE_V1)
		return set_errno(EINVAL);
	ret = bm_transfer(fd, &t);
	err = errno;
	if (res)
		fill_result(res, t.card_status, t.bytes_done, t.transfers);
	errno = err;
	return ret;
}

int bm_write(int fd, const void *buf, uint64_t len, uint64_t card_offset,
	     struct bm_result *res)
{
	return xfer(fd, 0, 0, (uint64_t)(uintptr_t)buf, len, card_offset,
		    res);
}

int bm_read(int fd, void *buf, uint64_t len, uint64_t card_offset,
	    struct bm_result *res)
{
	return xfer(fd, BUSMASTER_XFER_FROM_CARD, 0, (uint64_t)(uintptr_t)buf,
		    len, card_offset, res);
}

int bm_common_alloc(int fd, uint64_t len, uint32_t *handle,
		    uint64_t *mmap_offset)
{
	struct busmaster_common_alloc a = {
		.size = sizeof(a),
		.length = len,
	};

	if (!handle || !mmap_offset)
		return set_errno(EINVAL);
	if (ioctl(fd, BUSMASTER_IOCTL_COMMON_ALLOC, &a) < 0)
		return -1;
	*handle = a.handle;
	*mmap_offset = a.mmap_offset;
	return 0;
}

void *bm_common_map(int fd, uint64_t mmap_offset, size_t len)
{
	void *p;

	if (!len || mmap_offset > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)mmap_offset);
	return p == MAP_FAILED ? NULL : p;
}

int bm_common_unmap(void *addr, size_t len)
{
	if (!addr)
		return set_errno(EINVAL);
	return munmap(addr, len);
}

int bm_common_free(int fd, uint32_t handle)
{
	struct busmaster_common_free f = {
		.size = sizeof(f),
		.handle = handle,
	};

	return ioctl(fd, BUSMASTER_IOCTL_COMMON_FREE, &f) < 0 ? -1 : 0;
}

int bm_common_write(int fd, uint32_t handle, uint64_t buf_offset,
		    uint64_t len, uint64_t card_offset, struct bm_result *res)
{
	return xfer(fd, BUSMASTER_XFER_COMMON, handle, buf_offset, len,
		    card_offset, res);
}

int bm_common_read(int fd, uint32_t handle, uint64_t buf_offset,
		   uint64_t len, uint64_t card_offset, struct bm_result *res)
{
	return xfer(fd, BUSMASTER_XFER_COMMON | BUSMASTER_XFER_FROM_CARD,
		    handle, buf_offset, len, card_offset, res);
}

/* ---- registered buffers and vectored transfers ---- */

int bm_register(int fd, void *addr, uint64_t len, uint32_t flags,
		uint32_t *handle)
{
	struct busmaster_register r = {
		.size = sizeof(r),
		.flags = flags,
		.addr = (uint64_t)(uintptr_t)addr,
		.length = len,
	};

	if (!handle)
		return set_errno(EINVAL);
	if (ioctl(fd, BUSMASTER_IOCTL_REGISTER, &r) < 0)
		return -1;
	*handle = r.handle;
	return 0;
}

int bm_unregister(int fd, uint32_t handle)
{
	struct busmaster_unregister u = {
		.size = sizeof(u),
		.handle = handle,
	};

	return ioctl(fd, BUSMASTER_IOCTL_UNREGISTER, &u) < 0 ? -1 : 0;
}

int bm_sync(int fd, uint32_t handle, uint64_t offset, uint64_t len,
	    uint32_t flags)
{
	struct busmaster_sync y = {
		.size = sizeof(y),
		.flags = flags,
		.handle = handle,
		.offset = offset,
		.length = len,
	};

	return ioctl(fd, BUSMASTER_IOCTL_SYNC, &y) < 0 ? -1 : 0;
}

int bm_reg_write(int fd, uint32_t handle, uint64_t buf_offset, uint64_t len,
		 uint64_t card_offset, uint32_t xfer_flags,
		 struct bm_result *res)
{
	if (xfer_flags & ~(uint32_t)BUSMASTER_XFER_NO_SYNC)
		return set_errno(EINVAL);
	return xfer(fd, BUSMASTER_XFER_REGISTERED | xfer_flags, handle,
		    buf_offset, len, card_offset, res);
}

int bm_reg_read(int fd, uint32_t handle, uint64_t buf_offset, uint64_t len,
		uint64_t card_offset, uint32_t xfer_flags,
		struct bm_result *res)
{
	if (xfer_flags & ~(uint32_t)BUSMASTER_XFER_NO_SYNC)
		return set_errno(EINVAL);
	return xfer(fd, BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_FROM_CARD |
		    xfer_flags, handle, buf_offset, len, card_offset, res);
}

int bm_transferv(int fd, struct busmaster_transferv *t)
{
	if (!t)
		return set_errno(EINVAL);
	t->size = sizeof(*t);
	return ioctl(fd, BUSMASTER_IOCTL_TRANSFERV, t) < 0 ? -1 : 0;
}

static int xferv(int fd, uint32_t flags, const struct busmaster_iovec *iov,
		 unsigned int count, uint64_t card_offset,
		 struct bm_result *res)
{
	struct busmaster_transferv t = {
		.flags = flags,
		.count = count,
		.iov = (uint64_t)(uintptr_t)iov,
		.card_offset = card_offset,
	};
	int ret, err;

	if (!iov || (res && res->size < BM_RESULT_SIZE_V1))
		return set_errno(EINVAL);
	ret = bm_transferv(fd, &t);
	err = errno;
	if (res)
		fill_result(res, t.card_status, t.bytes_done, t.transfers);
	errno = err;
	return ret;
}

int bm_writev(int fd, const struct busmaster_iovec *iov, unsigned int count,
	      uint64_t card_offset, struct bm_result *res)
{
	return xferv(fd, 0, iov, count, card_offset, res);
}

int bm_readv(int fd, const struct busmaster_iovec *iov, unsigned int count,
	     uint64_t card_offset, struct bm_result *res)
{
	return xferv(fd, BUSMASTER_XFER_FROM_CARD, iov, count, card_offset,
		     res);
}

/* Completion codes of our card, docs/card-datasheet.md section 7.1 */
#define CARD_CODE(name, meaning) { BMC_ST_##name, #name, meaning }
static const struct {
	uint32_t code;
	const char *name;
	const char *meaning;
} card_codes[] = {
	CARD_CODE(ERR_FLAGS, "reserved descriptor flags set"),
	CARD_CODE(ERR_SEGS, "too many segments in one transfer"),
	CARD_CODE(ERR_LENGTH, "segment length 0 or above the card's maximum"),
	CARD_CODE(ERR_ALIGN, "address, card offset or length misaligned"),
	CARD_CODE(ERR_RANGE, "beyond the card's memory"),
	CARD_CODE(ERR_HOST, "the bus rejected a host-memory access"),
	CARD_CODE(ERR_INJECTED, "fault injection"),
	CARD_CODE(ERR_ABORTED, "an earlier segment of the transfer failed"),
	CARD_CODE(ERR_BOUNDARY, "a segment crosses the card's address boundary"),
};
#undef CARD_CODE

static int card_code(uint32_t model, uint32_t status)
{
	size_t k;

	if (model != BUSMASTER_MODEL_CARD)
		return -1;
	for (k = 0; k < ARRAY_SIZE(card_codes); k++)
		if (card_codes[k].code == status)
			return (int)k;
	return -1;
}

const char *bm_card_status_name(uint32_t model, uint32_t status)
{
	int k = card_code(model, status);

	return k < 0 ? NULL : card_codes[k].name;
}

static bool xfer_from_card(const struct busmaster_transfer *t)
{
	return t && (t->flags & BUSMASTER_XFER_FROM_CARD);
}

static bool xfer_common(const struct busmaster_transfer *t)
{
	return t && (t->flags & BUSMASTER_XFER_COMMON);
}

static bool xfer_registered(const struct busmaster_transfer *t)
{
	return t && (t->flags & BUSMASTER_XFER_REGISTERED);
}

/* @addr is an offset in a common or registered buffer */
static bool xfer_in_buffer(const struct busmaster_transfer *t)
{
	return xfer_common(t) || xfer_registered(t);
}

/* "common" or "registered", for messages */
static const char *buffer_kind(const struct busmaster_transfer *t)
{
	return xfer_registered(t) ? "registered" : "common";
}

/* EINVAL: which of the documented causes applies, as far as we can tell */
static int einval_msg(const struct busmaster_transfer *t,
		      const struct busmaster_info *info, char *buf, size_t len)
{
	uint32_t align = info ? info->alignment : 0;

	if (t && !t->length)
		return snprintf(buf, len, "nothing to move (length 0)");
	if (align > 1 && (!t || t->addr % align || t->length % align ||
			  t->card_offset % align))
		return snprintf(buf, len,
				"the card needs %u-byte alignment of address, length and card offset",
				align);
	if (t && t->addr + t->length < t->addr)
		return snprintf(buf, len, "%s",
				xfer_in_buffer(t) ?
				"the buffer offset range wraps around" :
				"the buffer's address range wraps around");
	if (t && !xfer_in_buffer(t) && t->handle)
		return snprintf(buf, len,
				"a buffer handle without the common- or registered-buffer flag");
	if (t && xfer_common(t) && xfer_registered(t))
		return snprintf(buf, len,
				"a buffer is either common or registered, not both");
	if (t && (t->flags & BUSMASTER_XFER_NO_SYNC) && !xfer_registered(t))
		return snprintf(buf, len,
				"no-sync applies to registered buffers only");
	return snprintf(buf, len,
			"the driver refused the request (length 0, a wrapping address range, misalignment, unknown flags or non-zero reserved fields)");
}

static int erange_msg(const struct busmaster_transfer *t,
		      const struct busmaster_info *info, char *buf, size_t len)
{
	char mem[BM_SIZE_STR_LEN];
	bool card_fits;

	if (!info)
		return xfer_in_buffer(t) ?
		       snprintf(buf, len,
				"beyond the card's memory or the %s buffer",
				buffer_kind(t)) :
		       snprintf(buf, len, "beyond the card's memory");
	bm_format_size(info->card_mem_size, mem, sizeof(mem));
	card_fits = t && t->card_offset <= info->card_mem_size &&
		    t->length <= info->card_mem_size - t->card_offset;
	if (xfer_in_buffer(t) && card_fits)
		return snprintf(buf, len, "beyond the %s buffer",
				buffer_kind(t));
	return snprintf(buf, len, "beyond the card's memory (the card has %s)",
			mem);
}

static int eio_msg(const struct busmaster_transfer *t,
		   const struct busmaster_info *info, char *buf, size_t len)
{
	uint32_t status = t ? t->card_status : 0;
	int k = card_code(info ? info->card_model : BUSMASTER_MODEL_CARD,
			  status);

	if (!status)
		return snprintf(buf, len, "the card failed the transfer (its DMA channel halted)");
	if (k < 0)
		return snprintf(buf, len,
				"the card failed the transfer with status 0x%x",
				status);
	return snprintf(buf, len,
			"the card failed the transfer with status 0x%x (%s: %s)",
			status, card_codes[k].name, card_codes[k].meaning);
}

int bm_strerror_transfer(int err, const struct busmaster_transfer *t,
			 const struct busmaster_info *info, char *buf,
			 size_t len)
{
	const char *msg = NULL;
	int n = 0;

	if (!buf)
		return set_errno(EINVAL);
	switch (err) {
	case EINVAL:
		n = einval_msg(t, info, buf, len);
		break;
	case ERANGE:
		n = erange_msg(t, info, buf, len);
		break;
	case EIO:
		n = eio_msg(t, info, buf, len);
		break;
	case EFAULT:
		msg = xfer_from_card(t) ? "the buffer is not writable memory" :
		      t ? "the buffer is not readable memory" :
			  "the buffer is not mapped (or not writable, for a read)";
		break;
	case ENOENT:
		msg = xfer_registered(t) ?
		      "no such registered buffer in this file" :
		      xfer_common(t) ? "no such common buffer in this file" :
		      "no such common or registered buffer in this file";
		break;
	case EPERM:
		msg = "the buffer was registered without card-writes (BUSMASTER_REG_CARD_WRITES): the card may not write it";
		break;
	case ETIMEDOUT:
		msg = "the card did not finish in time; its DMA channel was stopped";
		break;
	case ECANCELED:
		msg = "another request's timeout reset the card under this one; retrying is safe";
		break;
	case ESHUTDOWN:
		msg = "the card could not be stopped after a timeout and is cut off the bus until its PCI function is reset (sysfs reset)";
		break;
	case EINTR:
		msg = "interrupted by a signal (the card transfer in progress was finished first)";
		break;
	case ENODEV:
		msg = "the card was removed";
		break;
	case ENOTTY:
		msg = "not a busmaster card, or a driver without transfers";
		break;
	case E2BIG:
		msg = "the driver is older than this library and refused its request";
		break;
	case ENOMEM:
		msg = "no bounce space for the buffer now (swiotlb or the card's map registers are full): retry, or move less at once";
		break;
	case EBADF:
		msg = "the card is not open for reading and writing";
		break;
	default:
		msg = strerror(err);
		break;
	}
	if (msg)
		n = snprintf(buf, len, "%s", msg);
	if (n < 0 || (size_t)n >= len)
		return set_errno(ENOSPC);
	return 0;
}

const char *bm_strerror_common(int err)
{
	switch (err) {
	case ENOMEM:
		return "no contiguous memory within the card's reach";
	case EMFILE:
		return "too many common buffers in this file";
	case EINVAL:
		return "the length is 0 or above the common buffer maximum";
	case ENOENT:
		return "no such common buffer in this file";
	case EBUSY:
		return "a transfer on the common buffer is in progress";
	case ENODEV:
		return "the card was removed";
	case ENOTTY:
		return "not a busmaster card, or a driver without common buffers";
	default:
		return strerror(err);
	}
}

/* ENOMEM of REGISTER: the process's RLIMIT_MEMLOCK, as it is now */
static int enomem_register_msg(char *buf, size_t len)
{
	char lim[BM_SIZE_STR_LEN];
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return snprintf(buf, len,
				"over RLIMIT_MEMLOCK (ulimit -l), or no bounce space left for the mapping");
	if (rl.rlim_cur == RLIM_INFINITY)
		return snprintf(buf, len,
				"no bounce space left for the mapping, or out of memory (RLIMIT_MEMLOCK is unlimited)");
	if (rl.rlim_cur % 1024)
		bm_format_size((uint64_t)rl.rlim_cur, lim, sizeof(lim));
	else
		snprintf(lim, sizeof(lim), "%llu KiB",
			 (unsigned long long)rl.rlim_cur / 1024);
	return snprintf(buf, len,
			"over RLIMIT_MEMLOCK (ulimit -l): %s allowed for all the memory this process pins, or no bounce space left for the mapping",
			lim);
}

int bm_strerror_register(int err, char *buf, size_t len)
{
	const char *msg = NULL;
	int n = 0;

	if (!buf)
		return set_errno(EINVAL);
	switch (err) {
	case ENOMEM:
		n = enomem_register_msg(buf, len);
		break;
	case EMFILE:
		msg = "too many registered buffers in this file (at most "
		      BM_STR(BUSMASTER_REGISTER_PER_FILE) ")";
		break;
	case EFAULT:
		msg = "not mapped, not writable, or memory the kernel will not pin long-term (e.g. a file mapping that needs writeback)";
		break;
	case EINVAL:
		msg = "the driver refused the request (length 0 or above the 1 GiB maximum, a wrapping range, misalignment, unknown flags or non-zero reserved fields)";
		break;
	case ERANGE:
		msg = "beyond the registered buffer";
		break;
	case ENOENT:
		msg = "no such registered buffer in this file";
		break;
	case ENODEV:
		msg = "the card was removed";
		break;
	case ENOTTY:
		msg = "not a busmaster card, or a driver without registered buffers";
		break;
	case E2BIG:
		msg = "the driver is older than this library and refused its request";
		break;
	default:
		msg = strerror(err);
		break;
	}
	if (msg)
		n = snprintf(buf, len, "%s", msg);
	if (n < 0 || (size_t)n >= len)
		return set_errno(ENOSPC);
	return 0;
}

/* ---- test patterns ---- */

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

/* ---- parsing and naming ---- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hexadecimal digits after "0x": at least one, at most 64 bits */
static int parse_hex_u64(const char *s, uint64_t *v)
{
	uint64_t r = 0;
	int d;

	if (!*s)
		return set_errno(EINVAL);
	for (; *s; s++) {
		d = hex_digit(*s);
		if (d < 0)
			return set_errno(EINVAL);
		if (r > (UINT64_MAX >> 4))
			return set_errno(ERANGE);
		r = (r << 4) | (uint64_t)d;
	}
	*v = r;
	return 0;
}

/* Shift of a binary unit letter, or -1 */
static int unit_shift(char c)
{
	static const char units[] = "kmgtpe";
	const char *p;

	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	p = c ? strchr(units, c) : NULL;
	return p ? 10 * (int)(p - units + 1) : -1;
}

int bm_parse_size(const char *str, uint64_t *size)
{
	const char *s = str;
	uint64_t v = 0;
	int shift = 0;

	if (!str || !size)
		return set_errno(EINVAL);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_hex_u64(s + 2, size);
	if (*s < '0' || *s > '9')
		return set_errno(EINVAL);
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return set_errno(ERANGE);
		v = v * 10 + d;
	}
	if (*s) {
		shift = unit_shift(*s++);
		if (shift < 0)
			return set_errno(EINVAL);
		if (s[0] == 'i' && s[1] == 'B')
			s += 2;
		if (*s)
			return set_errno(EINVAL);
		if (v > (UINT64_MAX >> shift))
			return set_errno(ERANGE);
	}
	*size = v << shift;
	return 0;
}

int bm_format_size(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned int u = 0;
	int n;

	if (!buf)
		return set_errno(EINVAL);
	while (size && u + 1 < ARRAY_SIZE(units) && !(size & 1023)) {
		size >>= 10;
		u++;
	}
	n = snprintf(buf, len, "%llu %s", (unsigned long long)size, units[u]);
	if (n < 0 || (size_t)n >= len)
		return set_errno(ENOSPC);
	return 0;
}

/*
 * Parse 1 to @max hexadecimal digits at *@s, at most @limit, and advance
 * *@s past them. The caller checks the character that follows.
 */
static int pci_field(const char **s, int max, uint32_t limit, uint32_t *v)
{
	const char *p = *s;
	uint32_t r = 0;
	int n, d;

	for (n = 0; (d = hex_digit(p[n])) >= 0; n++) {
		if (n == max)
			return -1;
		r = (r << 4) | (uint32_t)d;
	}
	if (!n || r > limit)
		return -1;
	*s = p + n;
	*v = r;
	return 0;
}

int bm_parse_pci_addr(const char *str, struct bm_pci_addr *addr)
{
	uint32_t f[4], fn;
	const char *s = str;
	int n = 0;

	if (!str || !addr)
		return set_errno(EINVAL);
	/* up to three colon-separated fields: [domain:]bus:dev */
	for (;;) {
		if (pci_field(&s, 8, UINT32_MAX, &f[n]))
			return set_errno(EINVAL);
		n++;
		if (*s != ':' || n == 3)
			break;
		s++;
	}
	if (n < 2 || *s++ != '.' || pci_field(&s, 1, 7, &fn) || *s)
		return set_errno(EINVAL);
	if (f[n - 2] > 0xff || f[n - 1] > 0x1f || (n == 3 && f[0] > 0xffff))
		return set_errno(EINVAL);
	addr->domain = n == 3 ? f[0] : 0;
	addr->bus = (uint8_t)f[n - 2];
	addr->dev = (uint8_t)f[n - 1];
	addr->fn = (uint8_t)fn;
	return 0;
}

static const char *name_of(const char *const *names, size_t n, uint32_t v)
{
	return v < n ? names[v] : NULL;
}

const char *bm_model_name(uint32_t model)
{
	static const char *const names[] = {
		[BUSMASTER_MODEL_EDU] = "edu",
		[BUSMASTER_MODEL_CARD] = "busmaster",
	};

	return name_of(names, ARRAY_SIZE(names), model);
}

const char *bm_irq_mode_name(uint32_t mode)
{
	static const char *const names[] = {
		[BUSMASTER_IRQ_NONE] = "none",
		[BUSMASTER_IRQ_INTX] = "intx",
		[BUSMASTER_IRQ_MSI] = "msi",
		[BUSMASTER_IRQ_MSIX] = "msix",
	};

	return name_of(names, ARRAY_SIZE(names), mode);
}

const char *bm_bounce_name(uint32_t bounce)
{
	static const char *const names[] = {
		[BUSMASTER_BOUNCE_NONE] = "none",
		[BUSMASTER_BOUNCE_IOMMU] = "iommu",
		[BUSMASTER_BOUNCE_SWIOTLB] = "swiotlb",
		[BUSMASTER_BOUNCE_MAP_REGISTERS] = "map_registers",
	};

	return name_of(names, ARRAY_SIZE(names), bounce);
}

const char *bm_cap_name(uint32_t cap)
{
	switch (cap) {
	case BUSMASTER_CAP_SCATTER_GATHER:
		return "scatter_gather";
	case BUSMASTER_CAP_CARD_MEM_BAR:
		return "card_mem_bar";
	default:
		return NULL;
	}
}

int bm_caps_format(uint32_t caps, char *buf, size_t len)
{
	size_t used = 0;
	uint32_t bit;
	int n;

	if (!buf || !len)
		return set_errno(!buf ? EINVAL : ENOSPC);
	buf[0] = '\0';
	for (bit = 1; caps; bit <<= 1) {
		const char *name = bm_cap_name(bit);

		if (!(caps & bit))
			continue;
		caps &= ~bit;
		if (name)
			n = snprintf(buf + used, len - used, "%s%s",
				     used ? "," : "", name);
		else
			n = snprintf(buf + used, len - used, "%s0x%x",
				     used ? "," : "", bit);
		if (n < 0 || (size_t)n >= len - used)
			return set_errno(ENOSPC);
		used += (size_t)n;
	}
	return 0;
}
