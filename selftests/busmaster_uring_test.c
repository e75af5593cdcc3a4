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

static uint64_t slot_size(const struct busmaster_info *info)
{
	uint64_t s = info->card_mem_size / (2 * REQS);

	if (s > 16 * KiB)
		s = 16 * KiB;
	return bm_align_down(s, info->alignment ?: 1);
}

/*
 * As busmaster_async_test's depth-64 test, through io_uring: user memory
 * (pinned by io_uring's worker), an iovec, a registered and a common
 * buffer, both ways, 64 in flight; every CQE and every byte checked.
 */
TEST_F(uring, depth_64_of_mixed_kinds_both_ways_through_io_uring)
{
	const struct busmaster_info *info = &self->c.info;
	uint64_t s = slot_size(info), half = bm_align_down(s / 2, info->alignment ?: 1);
	struct busmaster_iovec iov[REQS][2];
	struct busmaster_common_alloc ca[2];
	struct busmaster_completion c;
	struct busmaster_transfer t;
	uint8_t *src[4], *dst[4], *fill, *back, *cmap[2], seen[REQS] = { 0 };
	uint32_t reg_src, reg_dst;
	struct io_uring ring;
	int fd = self->c.fd;

	RING_INIT(&ring);
	ASSERT_LT(0, s);
	for (int k = 0; k < 4; k++) {
		src[k] = bm_pattern(8 * s, 110 + k);
		dst[k] = bm_pattern(8 * s, 210 + k);
		ASSERT_NE(NULL, src[k]);
		ASSERT_NE(NULL, dst[k]);
	}
	ASSERT_EQ(0, bm_register(fd, src[2], 8 * s, 0, &reg_src));
	ASSERT_EQ(0, bm_register(fd, dst[2], 8 * s, BUSMASTER_REG_CARD_WRITES, &reg_dst));
	for (int j = 0; j < 2; j++) {
		ASSERT_EQ(0, bm_common_alloc(fd, 8 * s, &ca[j])) TH_LOG("%s", strerror(errno));
		cmap[j] = mmap(NULL, ca[j].length, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fd, ca[j].mmap_offset);
		ASSERT_NE(MAP_FAILED, cmap[j]);
	}
	memcpy(cmap[0], src[3], 8 * s);
	memset(cmap[1], 0, 8 * s);
	fill = bm_pattern(REQS / 2 * s, 310);
	back = bm_pattern(REQS / 2 * s, 311);
	ASSERT_EQ(0, bm_xfer(fd, fill, REQS / 2 * s, REQS / 2 * s, 0, 0, &t));

	for (int i = 0; i < REQS; i++) {
		int k = i % 4, from = i % 8 >= 4, slot = (i / 4) % 8;
		uint64_t card = (from ? REQS / 2 : 0) * s + (k * 8 + slot) * s;
		uint8_t *buf = (from ? dst : src)[k] + slot * s;
		struct busmaster_submit sb = { .card_offset = card, .length = s,
					       .flags = from ? BUSMASTER_XFER_FROM_CARD : 0 };

		if (k == 0) {
			sb.addr = (uintptr_t)buf;
		} else if (k == 1) {
			iov[i][0] = (struct busmaster_iovec){ (uintptr_t)buf, half };
			iov[i][1] = (struct busmaster_iovec){ (uintptr_t)buf + half, s - half };
			sb.flags |= BUSMASTER_XFER_IOVEC;
			sb.addr = (uintptr_t)(half ? iov[i] : iov[i] + 1);
			sb.count = half ? 2 : 1;
			sb.length = 0;
		} else if (k == 2) {
			sb.flags |= BUSMASTER_XFER_REGISTERED;
			sb.handle = from ? reg_dst : reg_src;
			sb.addr = slot * s;
		} else {
			sb.flags |= BUSMASTER_XFER_COMMON;
			sb.handle = from ? ca[1].handle : ca[0].handle;
			sb.addr = slot * s;
		}
		ASSERT_EQ(0, usubmit(&ring, fd, &sb, i)) TH_LOG("request %d", i);
	}
	for (int n = 0; n < REQS; n++) {
		ASSERT_EQ(0, ureap(&ring, &c, 60000)) TH_LOG("%d of %d completed", n, REQS);
		ASSERT_GT(REQS, c.tag);
		EXPECT_EQ(0, seen[c.tag]++);
		EXPECT_EQ(0, c.error) TH_LOG("request %llu: %s", (unsigned long long)c.tag,
					     strerror(-c.error));
		EXPECT_EQ(s, c.bytes_done);
	}
	ASSERT_EQ(0, bm_xfer(fd, back, REQS / 2 * s, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	memcpy(dst[3], cmap[1], 8 * s);
	for (int i = 0; i < REQS; i++) {
		int k = i % 4, from = i % 8 >= 4, slot = (i / 4) % 8;
		uint64_t at = (k * 8 + slot) * s;

		if (from) {
			EXPECT_EQ(-1, bm_first_diff(dst[k] + slot * s, fill + at, s))
				TH_LOG("request %d (kind %d) from the card", i, k);
		} else {
			EXPECT_EQ(-1, bm_first_diff(back + at, src[k] + slot * s, s))
				TH_LOG("request %d (kind %d) to the card", i, k);
		}
	}
	io_uring_queue_exit(&ring);
	bm_unregister(fd, reg_src);
	bm_unregister(fd, reg_dst);
	for (int j = 0; j < 2; j++) {
		munmap(cmap[j], ca[j].length);
		bm_common_free(fd, ca[j].handle);
	}
	for (int k = 0; k < 4; k++) {
		free(src[k]);
		free(dst[k]);
	}
	free(fill);
	free(back);
}

/* Malformed commands: the errno in the CQE, nothing queued. */
TEST_F(uring, malformed_commands_fail_in_their_cqe)
{
	const struct busmaster_info *info = &self->c.info;
	uint64_t s = slot_size(info);
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

/* One of our cards with fault injection (stall), its first 4 MiB. */
FIXTURE(stalled) {
	int id, fd;
	long pins;
};

FIXTURE_SETUP(stalled)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);
	char path[128];

	self->fd = -1;
	for (int i = 0; i < n && self->fd < 0; i++) {
		struct busmaster_info info;
		int fd = bm_open_id(ids[i], O_RDWR);

		bm_fi_path(path, sizeof(path), ids[i], "stall");
		if (fd < 0)
			continue;
		if (bm_info(fd, &info) || access(path, W_OK) ||
		    info.card_mem_size < 4 * 1024 * 1024 ||
		    getenv("BUSMASTER_UNSTOPPABLE_SLOT")) {
			close(fd);
			continue;
		}
		self->fd = fd;
		self->id = ids[i];
	}
	if (self->fd < 0)
		SKIP(return, "no card of ours with fault injection and 4 MiB (needs root)");
	self->pins = bm_pins_held();
}

FIXTURE_TEARDOWN(stalled)
{
	if (self->fd < 0)
		return;
	bm_fi_write(self->id, "stall", 0);
	close(self->fd);
	EXPECT_EQ(self->pins, bm_pins_held());
	EXPECT_EQ(0, bm_debugfs_read(self->id, "pinned_pages"));
	EXPECT_EQ(0, bm_sysfs_num(self->id, "statistics/requests_in_flight"));
}

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
	long bytes;
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
	bytes = bm_debugfs_read(self->id, "bytes");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	took = bm_ended_within(pid, 20000, &status);
	TH_LOG("killed with 16 io_uring commands on a stalled card: gone after %llu ms",
	       (unsigned long long)took);
	EXPECT_NE(0, took);
	EXPECT_GT(1000, took);
	usleep(200 * 1000);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0));
	usleep(100 * 1000);
	EXPECT_EQ(bytes, bm_debugfs_read(self->id, "bytes"))
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
