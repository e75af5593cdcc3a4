/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libbusmaster's own helpers, shared by its files (not installed).
 */
#ifndef LIBBUSMASTER_PRIVATE_H
#define LIBBUSMASTER_PRIVATE_H

#include <errno.h>

#include "libbusmaster.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Fail with @err in errno: "return set_errno(EINVAL);" */
static inline int set_errno(int err)
{
	errno = err;
	return -1;
}

/*
 * One BUSMASTER_IOCTL_TRANSFER of @flags (user memory at @addr, or with
 * BUSMASTER_XFER_COMMON or _REGISTERED an offset in buffer @handle), its
 * outcome written into @res (NULL: none) as bm_write() documents
 * (ioctl.c; the staging buffers use it for BM_STAGE_COPY and _PIN).
 */
__attribute__((visibility("hidden")))
int bm_priv_xfer(int fd, uint32_t flags, uint32_t handle, uint64_t addr,
		 uint64_t len, uint64_t card_offset, struct bm_result *res);

#endif /* LIBBUSMASTER_PRIVATE_H */
