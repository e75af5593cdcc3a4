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

#endif /* LIBBUSMASTER_PRIVATE_H */
