// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster's SUBMIT through io_uring (IORING_OP_URING_CMD), with liburing:
 * 64 requests of four buffer kinds in flight both ways from one thread,
 * completed in their CQEs, every byte checked; malformed commands get
 * their errno in the CQE; a killed process with commands in flight goes
 * at once and leaves nothing pinned; the owner's close() cancels what is
 * in flight.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"
#include "libbusmaster-uring.h"

#define KiB	1024ULL
#define REQS	64

BM_CARD_FIXTURE(uring);

/* A ring for busmaster's commands, or skip saying why. */
#define RING_INIT(ring)							\
	do {								\
		int _r = bm_uring_queue_init(2 * REQS, (ring));		\
									\
		if (_r == -ENOSYS || _r == -EPERM)			\
			SKIP(return, "no io_uring: %s", strerror(-_r));	\
		ASSERT_EQ(0, _r) TH_LOG("io_uring_queue_init: %s", strerror(-_r)); \
	} while (0)

/* Submit @s with @tag as user_data: 0, or a negative errno. */
static int usubmit(struct io_uring *ring, int fd, const struct busmaster_submit *s,
		   uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	bm_uring_prep_submit(sqe, fd, s, tag);
	return io_uring_submit(ring) == 1 ? 0 : -EIO;
}

/* The next completion, waiting up to @ms: 0, or a negative errno. */
static int ureap(struct io_uring *ring, struct busmaster_completion *c, int ms)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000,
					.tv_nsec = (ms % 1000) * 1000000LL };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret)
		return ret;
	bm_uring_completion(cqe, c);
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/*
 * As busmaster_async_test's depth-64 test (struct bm_mix), through
 * io_uring: user memory (pinned by io_uring's worker), an iovec, a
 * registered and a common buffer, both ways, 64 in flight; every CQE and
 * every byte checked.
 */
TEST_F(uring, depth_64_of_mixed_kinds_both_ways_through_io_uring)
{
	struct busmaster_completion c;
	struct busmaster_submit sb;
	uint8_t seen[REQS] = { 0 };
	struct io_uring ring;
	struct bm_mix m;

	RING_INIT(&ring);
	ASSERT_EQ(0, bm_mix_setup(&m, self->c.fd, &self->c.info)) TH_LOG("%s", strerror(errno));
	for (int i = 0; i < REQS; i++) {
		bm_mix_request(&m, i, &sb);
		ASSERT_EQ(0, usubmit(&ring, self->c.fd, &sb, i)) TH_LOG("request %d", i);
	}
	for (int n = 0; n < REQS; n++) {
		ASSERT_EQ(0, ureap(&ring, &c, 60000)) TH_LOG("%d of %d completed", n, REQS);
		ASSERT_GT(REQS, c.tag);
		EXPECT_EQ(0, seen[c.tag]++);
		EXPECT_EQ(0, c.error) TH_LOG("request %llu: %s", (unsigned long long)c.tag,
					     strerror(-c.error));
		EXPECT_EQ(m.s, c.bytes_done);
	}
	EXPECT_EQ(-1, bm_mix_check(&m)) TH_LOG("the bytes of this request are wrong");
	io_uring_queue_exit(&ring);
	bm_mix_free(&m);
}

/* Malformed commands: the errno in the CQE, nothing queued. */
TEST_F(uring, malformed_commands_fail_in_their_cqe)
{
	const struct busmaster_info *info = &self->c.info;
	uint64_t s = bm_mix_slot(info);
	uint8_t *buf = bm_pattern(s, 3);
	struct busmaster_completion c;
	struct busmaster_queue q;
	struct io_uring ring, small;
	struct io_uring_sqe *sqe;
	struct {
		const char *what;
		struct busmaster_submit sb;
		int err;
	} bad[] = {
		{ "unknown flag", { .flags = 1u << 20, .addr = (uintptr_t)buf, .length = s }, EINVAL },
		{ "reserved", { .addr = (uintptr_t)buf, .length = s, .reserved = 1 }, EINVAL },
		{ "length 0", { .addr = (uintptr_t)buf }, EINVAL },
		{ "past card memory", { .addr = (uintptr_t)buf, .length = s,
					.card_offset = info->card_mem_size }, ERANGE },
		{ "unmapped", { .addr = 4096, .length = s }, EFAULT },
		{ "no such registered buffer", { .flags = BUSMASTER_XFER_REGISTERED,
						 .handle = 99, .length = s }, ENOENT },
	};

	RING_INIT(&ring);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, usubmit(&ring, self->c.fd, &bad[i].sb, i));
		ASSERT_EQ(0, ureap(&ring, &c, 10000));
		EXPECT_EQ(i, c.tag);
		EXPECT_EQ(-bad[i].err, c.error) TH_LOG("%s: %s", bad[i].what, strerror(-c.error));
	}
	/* Another command; a struct past the SQE with a non-zero tail. */
	sqe = io_uring_get_sqe(&ring);
	bm_uring_prep_submit(sqe, self->c.fd, &bad[0].sb, 100);
	sqe->cmd_op = BUSMASTER_IOCTL_INFO;
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, ureap(&ring, &c, 10000));
	EXPECT_EQ(-ENOTTY, c.error);
	sqe = io_uring_get_sqe(&ring);
	bm_uring_prep_submit(sqe, self->c.fd, &(struct busmaster_submit){
				.addr = (uintptr_t)buf, .length = s }, 101);
	((struct busmaster_submit *)sqe->cmd)->size = BUSMASTER_URING_CMD_MAX;
	sqe->cmd[BUSMASTER_URING_CMD_MAX - 1] = 1;
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, ureap(&ring, &c, 10000));
	EXPECT_EQ(-E2BIG, c.error);
	io_uring_queue_exit(&ring);

	/* A ring of 64-byte SQEs cannot carry the request. */
	ASSERT_EQ(0, io_uring_queue_init(8, &small, 0));
	sqe = io_uring_get_sqe(&small);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, self->c.fd, NULL, 0, 0);
	sqe->cmd_op = BUSMASTER_IOCTL_SUBMIT;
	io_uring_sqe_set_data64(sqe, 7);
	ASSERT_EQ(1, io_uring_submit(&small));
	{
		struct io_uring_cqe *cqe;

		ASSERT_EQ(0, io_uring_wait_cqe(&small, &cqe));
		EXPECT_EQ(-EINVAL, cqe->res);
		io_uring_cqe_seen(&small, cqe);
	}
	io_uring_queue_exit(&small);
	ASSERT_EQ(0, bm_queue(self->c.fd, 0, &q));
	EXPECT_EQ(0, q.in_flight) TH_LOG("a refused command stayed in flight");
	free(buf);
}

/* One of our cards with fault injection: transfers made slow or stuck. */
BM_FI_FIXTURE(stalled);

/*
 * SIGKILL of a process with io_uring commands on a stalled card: it goes
 * at once -- its exit closes the card, which cancels them -- although each
 * card transfer may take 10 s; nothing stays pinned, and the card moves
 * nothing for it afterwards.
 */
TEST_F(stalled, a_killed_process_with_commands_in_flight_goes)
{
	const uint64_t len = 64 * KiB, timeout_ms = 10000;
	uint8_t *buf = bm_pattern(16 * len, 12);
	uint64_t took;
	int fds[2], status;
	long long bytes;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0xff));
	pid = fork();
	if (pid == 0) {
		struct io_uring ring;
		int fd = bm_open_id(self->id, O_RDWR), bad = fd < 0;

		bad |= bm_uring_queue_init(32, &ring) != 0;
		for (int i = 0; i < 16 && !bad; i++) {
			struct busmaster_submit sb = {
				.flags = i % 2 ? BUSMASTER_XFER_FROM_CARD : 0,
				.addr = (uintptr_t)buf + i * len, .length = len,
				.card_offset = i * len, .timeout_ms = timeout_ms };

			bad |= usubmit(&ring, fd, &sb, i) != 0;
		}
		c = bad ? 'x' : 'k';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_LE(0, pid);
	ASSERT_EQ(1, read(fds[0], &c, 1));
	if (c != 'k') {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		SKIP(return, "the child could not set up io_uring");
	}
	usleep(300 * 1000);
	bytes = bm_sysfs_num(self->id, "statistics/card_bytes");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	took = bm_ended_within(pid, 20000, &status);
	TH_LOG("killed with 16 io_uring commands on a stalled card: gone after %llu ms",
	       (unsigned long long)took);
	EXPECT_NE(0, took);
	EXPECT_GT(1000, took);
	usleep(200 * 1000);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0));
	usleep(100 * 1000);
	EXPECT_EQ(bytes, bm_sysfs_num(self->id, "statistics/card_bytes"))
		TH_LOG("the card moved data for a dead process");
	close(fds[0]);
	close(fds[1]);
	free(buf);
}

/* The owner's close() of the card cancels its commands: ECANCELED CQEs. */
TEST_F(stalled, close_cancels_the_commands_in_flight)
{
	const uint64_t len = 64 * KiB;
	uint8_t *buf = bm_pattern(8 * len, 13);
	struct busmaster_completion c;
	struct io_uring ring;
	uint64_t start;
	int fd = bm_open_id(self->id, O_RDWR);

	ASSERT_LE(0, fd);
	RING_INIT(&ring);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0xff));
	for (int i = 0; i < 8; i++) {
		struct busmaster_submit sb = { .flags = BUSMASTER_XFER_FROM_CARD,
					       .addr = (uintptr_t)buf + i * len,
					       .length = len, .card_offset = i * len };

		ASSERT_EQ(0, usubmit(&ring, fd, &sb, i));
	}
	usleep(300 * 1000);
	start = bm_now_ms();
	EXPECT_EQ(0, close(fd));
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, ureap(&ring, &c, 5000)) TH_LOG("%d of 8 completed", i);
		EXPECT_EQ(-ECANCELED, c.error);
		EXPECT_EQ(0, c.bytes_done);
	}
	TH_LOG("8 commands cancelled by close() within %llu ms",
	       (unsigned long long)(bm_now_ms() - start));
	EXPECT_GT(1000, bm_now_ms() - start);
	io_uring_queue_exit(&ring);
	free(buf);
}

TEST_HARNESS_MAIN
