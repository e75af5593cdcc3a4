/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libbusmaster-uring: busmaster's SUBMIT through io_uring (liburing), as
 * inline helpers, so that libbusmaster itself needs no liburing: a program
 * that includes this links -luring.
 *
 *	struct io_uring ring;
 *	bm_uring_queue_init(64, &ring);              SQE128 and CQE32
 *	sqe = io_uring_get_sqe(&ring);
 *	bm_uring_prep_submit(sqe, fd, &s, my_tag);   s: struct busmaster_submit
 *	io_uring_submit(&ring);
 *	io_uring_wait_cqe(&ring, &cqe);
 *	bm_uring_completion(cqe, &c);                c.tag == my_tag
 *	io_uring_cqe_seen(&ring, cqe);
 *
 * The request is the one BUSMASTER_IOCTL_SUBMIT queues (the same checks,
 * errors and depth; EBUSY for a full queue), completed in its CQE rather
 * than by REAP. See <linux/busmaster.h> and docs/async.md.
 */
#ifndef LIBBUSMASTER_URING_H
#define LIBBUSMASTER_URING_H

#include <string.h>
#include <liburing.h>
#include <linux/busmaster.h>

/**
 * bm_uring_queue_init() - io_uring_queue_init() with the flags busmaster's
 * commands need: 128-byte SQEs (the request), 32-byte CQEs (bytes_done)
 * @entries: SQ entries
 * @ring: the ring to set up
 *
 * Return: 0, or a negative errno (liburing's convention).
 */
static inline int bm_uring_queue_init(unsigned int entries, struct io_uring *ring)
{
	return io_uring_queue_init(entries, ring,
				   IORING_SETUP_SQE128 | IORING_SETUP_CQE32);
}

/**
 * bm_uring_prep_submit() - fill an SQE with a busmaster SUBMIT
 * @sqe: from io_uring_get_sqe() on a ring of bm_uring_queue_init()
 * @fd: the card
 * @s: the request; its @size, @tag and @id are not used (@size is set)
 * @user_data: comes back in the CQE, and in bm_uring_completion()'s tag
 */
static inline void bm_uring_prep_submit(struct io_uring_sqe *sqe, int fd,
					const struct busmaster_submit *s,
					__u64 user_data)
{
	struct busmaster_submit *cmd = (struct busmaster_submit *)sqe->cmd;

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = BUSMASTER_IOCTL_SUBMIT;
	memset(sqe->cmd, 0, BUSMASTER_URING_CMD_MAX);
	memcpy(cmd, s, sizeof(*s));
	cmd->size = sizeof(*s);
	cmd->tag = 0;
	cmd->id = 0;
	io_uring_sqe_set_data64(sqe, user_data);
}

/**
 * bm_uring_completion() - a CQE of a busmaster SUBMIT as the record REAP
 * would have given
 * @cqe: from a ring of bm_uring_queue_init() (32-byte CQEs)
 * @c: out: @tag is the SQE's user_data, @error cqe->res, @bytes_done and
 *	@card_status from the CQE's extra field; @id and @transfers 0
 */
static inline void bm_uring_completion(const struct io_uring_cqe *cqe,
				       struct busmaster_completion *c)
{
	memset(c, 0, sizeof(*c));
	c->tag = cqe->user_data;
	c->error = cqe->res;
	c->bytes_done = BUSMASTER_URING_BYTES_DONE(cqe->big_cqe[0]);
	c->card_status = BUSMASTER_URING_CARD_STATUS(cqe->big_cqe[0]);
}

#endif /* LIBBUSMASTER_URING_H */
