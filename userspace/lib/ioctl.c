// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: the ioctls: INFO, transfers (user memory, common and
 * registered buffers, iovecs), common buffers, REGISTER, SYNC.
 * Each function is documented in libbusmaster.h.
 */
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "private.h"

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

int bm_priv_xfer(int fd, uint32_t flags, uint32_t handle, uint64_t addr,
		 uint64_t len, uint64_t card_offset, struct bm_result *res)
{
	return xfer(fd, flags, handle, addr, len, card_offset, res);
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
