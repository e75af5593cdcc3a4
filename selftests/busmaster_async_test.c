// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster's asynchronous requests (SUBMIT, REAP, CANCEL, QUEUE, poll):
 * one thread keeps many requests of every kind in flight and every byte
 * arrives; cancel works in each state; close, exit and kill cancel what a
 * process has in flight and leave nothing pinned; a buffer unmapped while
 * queued stays pinned until its request ends; a forked child has no claim
 * on its parent's requests; poll is ready exactly when a completion waits;
 * a file with one request is not held up behind a file with many; and
 * every malformed call is refused with its errno, changing nothing.
 *
 * Tests that need transfers slow or stuck on demand use our card's fault
 * injection (debugfs latency_ns, stall), so they need root and our card.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define KiB	1024ULL
#define MS	(1000ULL * 1000)	/* ns */
#define REQS	64			/* BUSMASTER_DEPTH_DEFAULT */

/* Each card of the lane, as every test of this kind runs. */
BM_CARD_FIXTURE(async);

/*
 * 64 requests in flight from one thread: 32 to the card and 32 from it,
 * interleaved, each kind of buffer (user memory, an iovec, a registered
 * buffer, a common buffer) in both directions (struct bm_mix); the 65th
 * is refused with EAGAIN; one REAP waits for all; every byte is checked.
 */
TEST_F(async, depth_64_of_mixed_kinds_both_ways_every_byte_checked)
{
	struct busmaster_completion rec[REQS + 1];
	struct busmaster_submit sb;
	uint64_t ids[REQS], id;
	int fd = self->c.fd, n;
	struct bm_mix m;

	ASSERT_EQ(0, bm_mix_setup(&m, fd, &self->c.info)) TH_LOG("%s", strerror(errno));
	for (int i = 0; i < REQS; i++) {
		bm_mix_request(&m, i, &sb);
		ASSERT_EQ(0, ioctl(fd, BUSMASTER_IOCTL_SUBMIT, &sb))
			TH_LOG("request %d: %s", i, strerror(errno));
		ids[i] = sb.id;
		ASSERT_NE(0, ids[i]);
	}
	EXPECT_EQ(-1, bm_submit(fd, 0, 0, (uintptr_t)m.src[0], m.s, 0, 99, &id));
	EXPECT_EQ(EAGAIN, errno);

	n = bm_reap(fd, rec, REQS + 1, REQS, 60000);
	ASSERT_EQ(REQS, n) TH_LOG("%s", n < 0 ? strerror(errno) : "short");
	for (int j = 0; j < n; j++) {
		uint64_t i = rec[j].tag;

		ASSERT_GT(REQS, i);
		EXPECT_EQ(ids[i], rec[j].id);
		EXPECT_EQ(0, rec[j].error) TH_LOG("request %llu: %s", (unsigned long long)i,
						  strerror(-rec[j].error));
		EXPECT_EQ(m.s, rec[j].bytes_done);
		EXPECT_LE(1, rec[j].transfers);
	}
	EXPECT_EQ(0, bm_reap(fd, rec, 1, 0, 0));
	EXPECT_EQ(-1, bm_mix_check(&m)) TH_LOG("the bytes of this request are wrong");
	bm_mix_free(&m);
}

/* Every malformed SUBMIT, REAP, CANCEL and QUEUE: its errno, nothing queued. */
TEST_F(async, malformed_calls_are_refused_and_change_nothing)
{
	const struct busmaster_info *info = &self->c.info;
	uint64_t s = bm_mix_slot(info), id = 0;
	uint8_t *buf = bm_pattern(s, 5);
	struct busmaster_completion rec[2];
	struct busmaster_queue q;
	struct busmaster_reap r;
	int fd = self->c.fd;
	void *ro;
	struct {
		const char *what;
		uint32_t flags, handle;
		uint64_t addr, len, card;
		int err;
	} bad[] = {
		{ "unknown flag", 1u << 20, 0, (uintptr_t)buf, s, 0, EINVAL },
		{ "length 0", 0, 0, (uintptr_t)buf, 0, 0, EINVAL },
		{ "handle without a buffer flag", 0, 1, (uintptr_t)buf, s, 0, EINVAL },
		{ "common and registered", BUSMASTER_XFER_COMMON | BUSMASTER_XFER_REGISTERED,
		  1, 0, s, 0, EINVAL },
		{ "no such common buffer", BUSMASTER_XFER_COMMON, 77, 0, s, 0, ENOENT },
		{ "no such registered buffer", BUSMASTER_XFER_REGISTERED, 77, 0, s, 0, ENOENT },
		{ "past card memory", 0, 0, (uintptr_t)buf, s, info->card_mem_size, ERANGE },
		{ "unmapped buffer", 0, 0, 4096, s, 0, EFAULT },
		{ "iovec with other flags", BUSMASTER_XFER_IOVEC | BUSMASTER_XFER_COMMON,
		  0, (uintptr_t)buf, 1, 0, EINVAL },
		{ "iovec count 0", BUSMASTER_XFER_IOVEC, 0, (uintptr_t)buf, 0, 0, EINVAL },
		{ "iovec unreadable", BUSMASTER_XFER_IOVEC, 0, 4096, 1, 0, EFAULT },
	};

	ASSERT_NE(NULL, buf);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, bm_submit(fd, bad[i].flags, bad[i].handle, bad[i].addr,
					bad[i].len, bad[i].card, 1, &id))
			TH_LOG("%s: accepted", bad[i].what);
		EXPECT_EQ(bad[i].err, errno) TH_LOG("%s: %s", bad[i].what, strerror(errno));
	}
	{
		struct busmaster_submit sb = { .size = sizeof(sb), .addr = (uintptr_t)buf,
					       .length = s, .count = 1 };

		EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_SUBMIT, &sb));
		EXPECT_EQ(EINVAL, errno) TH_LOG("count without iovec");
		sb.count = 0;
		sb.timeout_ms = BUSMASTER_TIMEOUT_MAX_MS + 1;
		EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_SUBMIT, &sb));
		EXPECT_EQ(EINVAL, errno) TH_LOG("timeout over the maximum");
	}

	/* REAP */
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.records = (uintptr_t)rec;
	r.max = 0;
	EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_REAP, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("max 0");
	r.max = BUSMASTER_DEPTH_MAX + 1;
	EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_REAP, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("max past the depth limit");
	r.max = 2;
	r.min_complete = 1;
	EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_REAP, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("min_complete without WAIT");
	r.flags = BUSMASTER_REAP_WAIT;
	r.min_complete = 3;
	EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_REAP, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("min_complete over max");
	r.flags = 1u << 7;
	r.min_complete = 0;
	EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_REAP, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown flag");
	/* Nothing in flight: WAIT returns at once, with nothing. */
	EXPECT_EQ(0, bm_reap(fd, rec, 2, 1, 0));

	/* CANCEL */
	EXPECT_EQ(-1, bm_cancel(fd, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, bm_cancel(fd, 12345));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, bm_cancel(fd, 1ULL << 40));
	EXPECT_EQ(ENOENT, errno);
	{
		struct busmaster_cancel c = { .size = sizeof(c), .flags = 1, .id = 1 };

		EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_CANCEL, &c));
		EXPECT_EQ(EINVAL, errno);
	}

	/* QUEUE */
	EXPECT_EQ(0, bm_queue(fd, 0, &q));
	EXPECT_EQ(BUSMASTER_DEPTH_DEFAULT, q.depth);
	EXPECT_EQ(0, q.in_flight) TH_LOG("a refused call queued something");
	EXPECT_LE(1, q.card_running);
	EXPECT_EQ(-1, bm_queue(fd, BUSMASTER_DEPTH_MAX + 1, &q));
	EXPECT_EQ(EINVAL, errno);
	q.size = sizeof(q);
	q.flags = BUSMASTER_QUEUE_SET_DEPTH;
	q.depth = 0;
	EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_QUEUE, &q));
	EXPECT_EQ(EINVAL, errno);

	/* Depth 1: the second is refused; below in-flight refused too. */
	ASSERT_EQ(0, bm_queue(fd, 1, &q));
	ASSERT_EQ(0, bm_submit(fd, BUSMASTER_XFER_FROM_CARD, 0, (uintptr_t)buf, s, 0, 7, &id));
	EXPECT_EQ(-1, bm_submit(fd, 0, 0, (uintptr_t)buf, s, 0, 8, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* Records the caller cannot take stay to be reaped. */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = BUSMASTER_REAP_WAIT;
	r.max = 1;
	r.min_complete = 1;
	r.timeout_ms = 10000;
	r.records = (uintptr_t)ro;
	EXPECT_EQ(-1, ioctl(fd, BUSMASTER_IOCTL_REAP, &r));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(1, bm_reap(fd, rec, 2, 1, 10000));
	EXPECT_EQ(id, rec[0].id);
	EXPECT_EQ(7, rec[0].tag);
	EXPECT_EQ(0, rec[0].error);
	EXPECT_EQ(s, rec[0].bytes_done);
	EXPECT_EQ(-1, bm_cancel(fd, id));
	EXPECT_EQ(ENOENT, errno) TH_LOG("a reaped request is gone");
	EXPECT_EQ(0, bm_queue(fd, 0, &q));
	EXPECT_EQ(0, q.in_flight);
	munmap(ro, 4096);
	free(buf);
}

/*
 * A SUBMIT whose answer cannot be written back (EFAULT) claims nothing,
 * the queue included: a forked child's such SUBMIT, on a queue nobody
 * owned yet, left the parent EPERM on its own file before.
 */
TEST_F(async, a_submit_whose_answer_is_lost_claims_no_queue)
{
	const struct busmaster_info *info = &self->c.info;
	uint64_t s = bm_mix_slot(info), id;
	uint8_t *src = bm_pattern(s, 12), *back = calloc(1, s);
	struct busmaster_completion rec;
	struct busmaster_transfer t;
	int fd = self->c.fd, status;
	pid_t pid;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct busmaster_submit *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int bad;

		if (ro == MAP_FAILED)
			_exit(2);
		*ro = (struct busmaster_submit){ .size = sizeof(*ro), .addr = (uintptr_t)src,
						 .length = s };
		if (mprotect(ro, 4096, PROT_READ))
			_exit(2);
		bad = ioctl(fd, BUSMASTER_IOCTL_SUBMIT, ro) != -1 || errno != EFAULT;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("the child's SUBMIT was not EFAULT");
	/* The parent's file is its own still. */
	ASSERT_EQ(0, bm_submit(fd, 0, 0, (uintptr_t)src, s, 0, 3, &id))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(1, bm_reap(fd, &rec, 1, 1, 20000));
	EXPECT_EQ(id, rec.id);
	EXPECT_EQ(0, rec.error);
	EXPECT_EQ(s, rec.bytes_done);
	ASSERT_EQ(0, bm_xfer(fd, back, s, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	EXPECT_EQ(-1, bm_first_diff(back, src, s)) TH_LOG("the card got other bytes");
	free(src);
	free(back);
}

/*
 * A storm of small requests from one thread driven by epoll: every
 * epoll_wait() wakes with a completion to reap, each request completes
 * exactly once (in any order: several run at once), and the bytes of the
 * last one into each card range are there.
 */
TEST_F_TIMEOUT(async, a_storm_of_small_requests_loses_no_wakeup, 240)
{
	const struct busmaster_info *info = &self->c.info;
	/* QEMU's edu card takes 100 ms per DMA: no storm there, a trickle. */
	const int total = info->card_model == BUSMASTER_MODEL_EDU ? 40 : 1000;
	uint64_t start = bm_now_ms();
	uint64_t s = info->alignment > 64 ? info->alignment : 64;
	uint64_t slots = info->card_mem_size / s;
	struct busmaster_completion rec[REQS];
	struct epoll_event ev = { .events = EPOLLIN }, got;
	uint8_t *src = bm_pattern(s * REQS, 9), *back = bm_pattern(s, 1);
	struct busmaster_transfer t;
	int ep, fd = self->c.fd, submitted = 0, reaped = 0, empty = 0;
	unsigned char seen[1000] = { 0 };

	ASSERT_NE(NULL, src);
	if (slots > REQS)
		slots = REQS;
	if (slots > (uint64_t)total)
		slots = total;
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	while (reaped < total) {
		while (submitted < total && submitted - reaped < (int)slots) {
			uint64_t slot = submitted % slots;

			ASSERT_EQ(0, bm_submit(fd, 0, 0, (uintptr_t)(src + slot * s), s,
					       slot * s, submitted, NULL))
				TH_LOG("request %d: %s", submitted, strerror(errno));
			submitted++;
		}
		ASSERT_EQ(1, epoll_wait(ep, &got, 1, 10000))
			TH_LOG("no wakeup with %d in flight", submitted - reaped);
		int n = bm_reap(fd, rec, REQS, 0, 0);

		ASSERT_LE(0, n);
		if (!n)
			empty++;
		for (int i = 0; i < n; i++) {
			EXPECT_EQ(0, rec[i].error);
			EXPECT_EQ(s, rec[i].bytes_done);
			ASSERT_GT(total, rec[i].tag);
			EXPECT_EQ(0, seen[rec[i].tag]++) TH_LOG("reaped twice");
		}
		reaped += n;
	}
	TH_LOG("%d requests in %llu ms, %d wakeups with nothing to reap", total,
	       (unsigned long long)(bm_now_ms() - start), empty);
	for (int i = 0; i < total; i++) {
		EXPECT_EQ(1, seen[i]) TH_LOG("request %d", i);
	}
	EXPECT_EQ(0, empty) TH_LOG("epoll woke with no completion waiting");
	/* Readable no more. */
	EXPECT_EQ(0, epoll_wait(ep, &got, 1, 0));
	for (uint64_t slot = 0; slot < slots; slot++) {
		ASSERT_EQ(0, bm_xfer(fd, back, s, slot * s, BUSMASTER_XFER_FROM_CARD, 0, &t));
		EXPECT_EQ(-1, bm_first_diff(back, src + slot * s, s));
	}
	close(ep);
	free(src);
	free(back);
}

/* One of our cards with fault injection: transfers made slow or stuck. */
BM_FI_FIXTURE(slow);

/* poll() says readable exactly while a completion waits. */
TEST_F(slow, poll_is_ready_exactly_when_a_completion_waits)
{
	uint8_t *buf = bm_pattern(64 * KiB, 3);
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	struct busmaster_completion rec;
	uint64_t start;

	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 200 * MS));
	ASSERT_EQ(0, bm_submit(self->fd, 0, 0, (uintptr_t)buf, 64 * KiB, 0, 1, NULL));
	EXPECT_EQ(0, poll(&p, 1, 0)) TH_LOG("readable before anything completed");
	start = bm_now_ms();
	ASSERT_EQ(1, poll(&p, 1, 10000));
	EXPECT_TRUE(p.revents & POLLIN);
	TH_LOG("readable after %llu ms", (unsigned long long)(bm_now_ms() - start));
	EXPECT_EQ(1, poll(&p, 1, 0)) TH_LOG("no longer readable before the reap");
	ASSERT_EQ(1, bm_reap(self->fd, &rec, 1, 0, 0));
	EXPECT_EQ(0, rec.error);
	EXPECT_EQ(0, poll(&p, 1, 0)) TH_LOG("readable with nothing to reap");
	free(buf);
}

/*
 * CANCEL in each state: queued (completes at once, nothing moved), on the
 * card (its transfer taken off a stalled channel, ECANCELED), done and not
 * reaped (EALREADY), reaped (ENOENT). The others go on once the card does.
 */
TEST_F(slow, cancel_in_each_state)
{
	const uint64_t len = 64 * KiB;
	struct busmaster_completion rec[REQS];
	struct busmaster_queue q;
	uint64_t ids[REQS], start;
	uint8_t *buf = bm_pattern(REQS * len, 4);
	long long bytes;
	int n, running, reaped = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bm_queue(self->fd, 0, &q));
	running = q.card_running;
	ASSERT_GT(REQS, running) TH_LOG("card_running %d leaves none queued", running);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0xff));
	for (int i = 0; i <= running; i++)
		ASSERT_EQ(0, bm_submit(self->fd, BUSMASTER_XFER_FROM_CARD, 0,
				       (uintptr_t)buf + i * len, len, i * len, i, &ids[i]));
	usleep(300 * 1000);	/* the first card_running are on the stalled card */
	bytes = bm_sysfs_num(self->id, "statistics/card_bytes");

	/* Queued: the last one. */
	start = bm_now_ms();
	ASSERT_EQ(0, bm_cancel(self->fd, ids[running]));
	ASSERT_EQ(1, bm_reap(self->fd, rec, 1, 1, 5000));
	EXPECT_EQ(ids[running], rec[0].id);
	EXPECT_EQ(-ECANCELED, rec[0].error);
	EXPECT_EQ(0, rec[0].bytes_done);
	EXPECT_EQ(0, rec[0].transfers);
	reaped++;

	/* On the card: the first. */
	ASSERT_EQ(0, bm_cancel(self->fd, ids[0]));
	ASSERT_EQ(1, bm_reap(self->fd, rec, 1, 1, 5000)) TH_LOG("%s", strerror(errno));
	TH_LOG("both cancelled within %llu ms", (unsigned long long)(bm_now_ms() - start));
	EXPECT_EQ(ids[0], rec[0].id);
	EXPECT_EQ(-ECANCELED, rec[0].error);
	EXPECT_EQ(0, rec[0].bytes_done);
	EXPECT_GT(2000, bm_now_ms() - start);
	reaped++;
	EXPECT_EQ(-1, bm_cancel(self->fd, ids[0]));
	EXPECT_EQ(ENOENT, errno) TH_LOG("reaped");
	EXPECT_EQ(bytes, bm_sysfs_num(self->id, "statistics/card_bytes"));

	/* The rest run once the card moves again. */
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0));
	usleep(200 * 1000);
	EXPECT_EQ(-1, bm_cancel(self->fd, ids[1]));
	EXPECT_EQ(EALREADY, errno) TH_LOG("done, not reaped");
	while (reaped < running + 1) {
		n = bm_reap(self->fd, rec, REQS, 1, 10000);
		ASSERT_LT(0, n) TH_LOG("%s", strerror(errno));
		for (int i = 0; i < n; i++) {
			EXPECT_EQ(0, rec[i].error) TH_LOG("%s", strerror(-rec[i].error));
			EXPECT_EQ(len, rec[i].bytes_done);
		}
		reaped += n;
	}
	free(buf);
}

/* Submit @n requests that stall on the card, on @fd: 0, or -1. */
static int submit_stalled(int fd, uint8_t *buf, int n, uint64_t len)
{
	for (int i = 0; i < n; i++)
		if (bm_submit(fd, i % 2 ? BUSMASTER_XFER_FROM_CARD : 0, 0,
			      (uintptr_t)buf + i * len, len, i * len, i, NULL))
			return -1;
	return 0;
}

/*
 * close() with requests queued and on a stalled card returns at once and
 * leaves nothing pinned; so does SIGKILL of a process with requests in
 * flight; the card moved nothing for them afterwards.
 */
TEST_F(slow, close_and_kill_cancel_everything_at_once)
{
	const uint64_t len = 64 * KiB;
	uint8_t *buf = bm_pattern(REQS * len, 6);
	uint64_t start, took;
	int fd, fds[2], status;
	long long bytes;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0xff));
	fd = bm_open_id(self->id, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, submit_stalled(fd, buf, 40, len)) TH_LOG("%s", strerror(errno));
	usleep(300 * 1000);
	start = bm_now_ms();
	EXPECT_EQ(0, close(fd));
	took = bm_now_ms() - start;
	TH_LOG("close with 40 in flight took %llu ms", (unsigned long long)took);
	EXPECT_GT(1000, took);
	EXPECT_EQ(self->pins, bm_pins_held());
	EXPECT_EQ(0, bm_debugfs_read(self->id, "pinned_pages"));

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	if (pid == 0) {
		int cfd = bm_open_id(self->id, O_RDWR);

		c = cfd >= 0 && !submit_stalled(cfd, buf, 40, len) ? 'k' : 'x';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_LE(0, pid);
	ASSERT_EQ(1, read(fds[0], &c, 1));
	ASSERT_EQ('k', c) TH_LOG("the child could not submit");
	usleep(300 * 1000);
	bytes = bm_sysfs_num(self->id, "statistics/card_bytes");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	took = bm_ended_within(pid, 5000, &status);
	TH_LOG("killed with 40 in flight: gone after %llu ms", (unsigned long long)took);
	EXPECT_NE(0, took);
	EXPECT_GT(1000, took);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0));
	usleep(100 * 1000);
	EXPECT_EQ(bytes, bm_sysfs_num(self->id, "statistics/card_bytes"))
		TH_LOG("the card moved data for a dead process");
	EXPECT_EQ(self->pins, bm_pins_held());
	EXPECT_EQ(0, bm_debugfs_read(self->id, "pinned_pages"));
	close(fds[0]);
	close(fds[1]);
	free(buf);
}

/*
 * A buffer unmapped while its request is queued stays pinned until the
 * request ends: the card writes the pages it was given, which the process
 * no longer sees, and only then are they given back.
 */
TEST_F(slow, munmap_of_a_queued_buffer_keeps_it_pinned_until_the_end)
{
	const uint64_t len = 256 * KiB;
	struct busmaster_completion rec;
	uint8_t *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 1, len);
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 50 * MS));
	ASSERT_EQ(0, bm_submit(self->fd, BUSMASTER_XFER_FROM_CARD, 0, (uintptr_t)buf,
			       len, 0, 1, NULL));
	ASSERT_EQ(0, munmap(buf, len));
	EXPECT_LT(self->pins, bm_pins_held()) TH_LOG("unpinned at munmap");
	ASSERT_EQ(1, bm_reap(self->fd, &rec, 1, 1, 20000));
	EXPECT_EQ(0, rec.error) TH_LOG("%s", strerror(-rec.error));
	EXPECT_EQ(len, rec.bytes_done);
	EXPECT_EQ(self->pins, bm_pins_held());
}

/*
 * fork() with requests in flight: the child shares the file but has no
 * claim on the queue (EPERM), and its close() cancels nothing; the parent
 * reaps its request whole.
 */
TEST_F(slow, a_forked_child_has_no_claim_on_the_parents_requests)
{
	const uint64_t len = 64 * KiB;
	uint8_t *src = bm_pattern(len, 8), *back = bm_pattern(len, 9);
	struct busmaster_completion rec;
	struct busmaster_transfer t;
	uint64_t id;
	int status;
	pid_t pid;

	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 100 * MS));
	ASSERT_EQ(0, bm_submit(self->fd, 0, 0, (uintptr_t)src, len, 0, 5, &id));
	pid = fork();
	if (pid == 0) {
		struct busmaster_completion r;
		struct busmaster_queue q;
		int bad = 0;

		bad |= bm_reap(self->fd, &r, 1, 0, 0) != -1 || errno != EPERM;
		bad |= (bm_cancel(self->fd, id) != -1 || errno != EPERM) << 1;
		bad |= (bm_submit(self->fd, 0, 0, (uintptr_t)src, len, 0, 6, NULL) != -1 ||
			errno != EPERM) << 2;
		bad |= (bm_queue(self->fd, 0, &q) != -1 || errno != EPERM) << 3;
		close(self->fd);
		_exit(bad);
	}
	ASSERT_LE(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child: bits of what it was allowed");
	ASSERT_EQ(1, bm_reap(self->fd, &rec, 1, 1, 20000));
	EXPECT_EQ(id, rec.id);
	EXPECT_EQ(0, rec.error) TH_LOG("%s", strerror(-rec.error));
	EXPECT_EQ(len, rec.bytes_done);
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 0));
	ASSERT_EQ(0, bm_xfer(self->fd, back, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	EXPECT_EQ(0, memcmp(src, back, len));
	free(src);
	free(back);
}

/*
 * Fair between files: one file queues 64 slow requests, then another
 * queues one; the second's runs after at most one more of the first's
 * starts, not after all 64.
 */
TEST_F(slow, a_file_with_one_request_is_not_held_up_by_one_with_many)
{
	const uint64_t len = 4 * KiB;
	struct busmaster_completion rec[REQS];
	uint8_t *buf = bm_pattern(REQS * len, 10);
	int other = bm_open_id(self->id, O_RDWR), first = 0, n;
	struct busmaster_queue q;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, bm_queue(self->fd, 0, &q));
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 20 * MS));
	for (int i = 0; i < REQS; i++)
		ASSERT_EQ(0, bm_submit(self->fd, 0, 0, (uintptr_t)buf + i * len, len,
				       i * len, i, NULL));
	ASSERT_EQ(0, bm_submit(other, 0, 0, (uintptr_t)buf, len, 1024 * KiB, 0, NULL));
	ASSERT_EQ(1, bm_reap(other, rec, 1, 1, 20000));
	EXPECT_EQ(0, rec[0].error);
	/* How many of the first file's had completed meanwhile. */
	n = bm_reap(self->fd, rec, REQS, 0, 0);
	ASSERT_LE(0, n);
	first = n;
	TH_LOG("the second file's request completed after %d of the first's 64 "
	       "(card_running %u)", first, q.card_running);
	EXPECT_GT(REQS / 2, first) TH_LOG("served after the other file's queue");
	while (first < REQS) {
		n = bm_reap(self->fd, rec, REQS, 1, 20000);
		ASSERT_LT(0, n);
		first += n;
	}
	close(other);
	free(buf);
}

/*
 * One user cannot take every worker of a card: with its requests stuck on
 * a stalled card it runs at most half of card_running (the card's
 * requests_in_flight), and another user's request starts at once. Before,
 * the first user's 32 requests took all 16 workers and the other's waited
 * for as long as the first user's did.
 */
TEST_F(slow, one_user_runs_at_most_half_of_the_workers)
{
	const uint64_t len = 64 * KiB;
	struct busmaster_completion rec[REQS];
	uint8_t *buf = bm_pattern(32 * len, 14);
	struct busmaster_queue q;
	int fds[2], status, got = 0, n;
	long running;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, bm_queue(self->fd, 0, &q));
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0xff));
	for (int i = 0; i < 32; i++)
		ASSERT_EQ(0, bm_submit(self->fd, BUSMASTER_XFER_FROM_CARD, 0,
				       (uintptr_t)buf + i * len, len, i * len, i, NULL));
	usleep(300 * 1000);
	running = bm_sysfs_num(self->id, "statistics/requests_in_flight");
	TH_LOG("one user's 32 requests on a stalled card: %ld running (card_running %u)",
	       running, q.card_running);
	EXPECT_EQ(q.card_running / 2, running);

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	if (pid == 0) {
		int fd = bm_open_id(self->id, O_RDWR);

		c = fd >= 0 && !setresgid(65534, 65534, 65534) &&
		    !setresuid(65534, 65534, 65534) &&
		    !bm_submit(fd, 0, 0, (uintptr_t)buf, 4096, 32 * len, 1, NULL) ? 'k' : 'x';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_LE(0, pid);
	ASSERT_EQ(1, read(fds[0], &c, 1));
	EXPECT_EQ('k', c) TH_LOG("the other user could not submit");
	usleep(300 * 1000);
	EXPECT_EQ(running + 1, bm_sysfs_num(self->id, "statistics/requests_in_flight"))
		TH_LOG("the other user's request did not start");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0));
	while (got < 32) {
		n = bm_reap(self->fd, rec, REQS, 1, 20000);
		ASSERT_LT(0, n) TH_LOG("%s", strerror(errno));
		for (int i = 0; i < n; i++)
			EXPECT_EQ(0, rec[i].error);
		got += n;
	}
	close(fds[0]);
	close(fds[1]);
	free(buf);
}

/* Many processes, each its own file and queue, both directions at once. */
TEST_F(slow, many_processes_at_once_every_byte_checked)
{
	const int procs = 4, per = 32;
	const uint64_t len = 16 * KiB;
	pid_t pids[4];
	int status;

	for (int p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			uint64_t base = p * 2 * per * len;
			uint8_t *src = bm_pattern(per * len, 50 + p);
			uint8_t *dst = bm_pattern(per * len, 60 + p);
			struct busmaster_completion rec[REQS];
			int fd = bm_open_id(self->id, O_RDWR), got = 0, n;

			if (fd < 0 || !src || !dst)
				_exit(1);
			for (int i = 0; i < per; i++)
				if (bm_submit(fd, 0, 0, (uintptr_t)src + i * len, len,
					      base + i * len, i, NULL))
					_exit(2);
			while (got < per) {
				n = bm_reap(fd, rec, REQS, 1, 20000);
				if (n <= 0)
					_exit(3);
				for (int i = 0; i < n; i++)
					if (rec[i].error || rec[i].bytes_done != len)
						_exit(4);
				got += n;
			}
			/* Read back, at depth, into another buffer. */
			for (int i = 0; i < per; i++)
				if (bm_submit(fd, BUSMASTER_XFER_FROM_CARD, 0,
					      (uintptr_t)dst + i * len, len,
					      base + i * len, i, NULL))
					_exit(5);
			for (got = 0; got < per; got += n) {
				n = bm_reap(fd, rec, REQS, 1, 20000);
				if (n <= 0)
					_exit(6);
			}
			_exit(memcmp(src, dst, per * len) ? 7 : 0);
		}
		ASSERT_LE(0, pids[p]);
	}
	for (int p = 0; p < procs; p++) {
		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("process %d: step %d failed",
							 p, WEXITSTATUS(status));
	}
}

TEST_HARNESS_MAIN
