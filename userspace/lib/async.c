// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: asynchronous requests -- SUBMIT, REAP, CANCEL, QUEUE.
 * Each function is documented in libbusmaster.h.
 */
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "private.h"

int bm_submit(int fd, struct busmaster_submit *s)
{
	if (!s)
		return set_errno(EINVAL);
	s->size = sizeof(*s);
	return ioctl(fd, BUSMASTER_IOCTL_SUBMIT, s) < 0 ? -1 : 0;
}

int bm_reap(int fd, struct busmaster_completion *recs, unsigned int max,
	    unsigned int min, uint64_t timeout_ms)
{
	struct busmaster_reap r = {
		.size = sizeof(r),
		.flags = min ? BUSMASTER_REAP_WAIT : 0,
		.max = max,
		.min_complete = min,
		.timeout_ms = min ? timeout_ms : 0,
		.records = (uint64_t)(uintptr_t)recs,
	};

	if (!recs || (!min && timeout_ms))
		return set_errno(EINVAL);
	if (ioctl(fd, BUSMASTER_IOCTL_REAP, &r) < 0)
		return -1;
	return (int)r.count;
}

int bm_cancel(int fd, uint64_t id)
{
	struct busmaster_cancel c = { .size = sizeof(c), .id = id };

	return ioctl(fd, BUSMASTER_IOCTL_CANCEL, &c) < 0 ? -1 : 0;
}

int bm_queue_get(int fd, struct busmaster_queue *q)
{
	if (!q)
		return set_errno(EINVAL);
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	return ioctl(fd, BUSMASTER_IOCTL_QUEUE, q) < 0 ? -1 : 0;
}

int bm_queue_set_depth(int fd, unsigned int depth)
{
	struct busmaster_queue q = {
		.size = sizeof(q),
		.flags = BUSMASTER_QUEUE_SET_DEPTH,
		.depth = depth,
	};

	return ioctl(fd, BUSMASTER_IOCTL_QUEUE, &q) < 0 ? -1 : 0;
}
