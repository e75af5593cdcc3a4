// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster's queueing engine: many requests on a card at once, each card
 * transfer waited for on its own. Several streams share a card's channels
 * at once (the card's own busy counter shows it); a timeout takes one
 * transfer off the card and the others queued on its channel go on; a
 * waiter dies at once on SIGKILL and leaves nothing pinned and nothing on
 * the card; a stop signal does not break a request; an unprivileged
 * caller's timeout has a floor.
 *
 * The card's fault injection (debugfs latency_ns, stall) makes transfers
 * slow or stuck on demand, so these need root and our card.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define KiB	1024ULL
#define MS	(1000ULL * 1000)	/* ns */

/* The card a lane made unable to stop (BUSMASTER_UNSTOPPABLE_SLOT). */
static int bm_is_unstoppable(const struct busmaster_info *info)
{
	const char *slot = getenv("BUSMASTER_UNSTOPPABLE_SLOT");

	return slot && !strcmp(slot, info->pci_slot);
}

enum pick {
	PICK_CHANNELS_4,	/* four channels or more */
	PICK_MAP_REGISTERS,	/* bounces through map registers */
	PICK_SWIOTLB,		/* bounces through swiotlb */
	PICK_MSIX,		/* interrupts through MSI-X */
	PICK_ANY,		/* any card of ours */
};

/* One of our cards with fault injection, by @what; its BAR mapped. */
FIXTURE(card) {
	int id, fd;
	struct busmaster_info info;
	uint8_t *bar;
};

static int card_open(struct __test_metadata *_metadata,
		     FIXTURE_DATA(card) *self, enum pick what)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);
	char path[128];

	for (int i = 0; i < n; i++) {
		struct busmaster_info info;
		int fd = bm_open_id(ids[i], O_RDWR);

		if (fd < 0)
			continue;
		bm_fi_path(path, sizeof(path), ids[i], "latency_ns");
		if (bm_info(fd, &info) || access(path, W_OK) ||
		    bm_is_unstoppable(&info) ||
		    (what == PICK_CHANNELS_4 && info.dma_channels < 4) ||
		    (what == PICK_MAP_REGISTERS &&
		     info.bounce != BUSMASTER_BOUNCE_MAP_REGISTERS) ||
		    (what == PICK_SWIOTLB && info.bounce != BUSMASTER_BOUNCE_SWIOTLB) ||
		    (what == PICK_MSIX && info.irq_mode != BUSMASTER_IRQ_MSIX)) {
			close(fd);
			continue;
		}
		self->fd = fd;
		self->id = ids[i];
		self->info = info;
		self->bar = bm_map_card_mem(&info);
		ASSERT_NE(NULL, self->bar) TH_LOG("card memory BAR: %s", strerror(errno));
		return 0;
	}
	return -1;
}

FIXTURE_SETUP(card)
{
	self->fd = -1;
}

FIXTURE_TEARDOWN(card)
{
	if (self->fd < 0)
		return;
	bm_fi_write(self->id, "stall", 0);
	bm_fi_write(self->id, "latency_ns", 0);
	bm_fi_write(self->id, "fail_nth", 0);
	munmap(self->bar, self->info.card_mem_size);
	close(self->fd);
}

/* A transfer's outcome, as a child process reports it through a pipe. */
struct outcome {
	int ret, err;
	uint64_t done;
};

/* Fork a child that runs one transfer and writes its outcome to @pipefd. */
static pid_t xfer_child(int fd, void *buf, uint64_t len, uint64_t card_off,
			uint32_t flags, uint64_t timeout_ms, int pipefd)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct busmaster_transfer t;
		struct outcome o;

		o.ret = bm_xfer(fd, buf, len, card_off, flags, timeout_ms, &t);
		o.err = o.ret ? errno : 0;
		o.done = t.bytes_done;
		_exit(write(pipefd, &o, sizeof(o)) != sizeof(o));
	}
	return pid;
}

/* Wait for @pid and read its outcome: 0, or -1 if it did not report. */
static int reap(pid_t pid, int pipefd, struct outcome *o)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return read(pipefd, o, sizeof(*o)) == sizeof(*o) ? 0 : -1;
}

struct stream {
	int fd;
	const uint8_t *src;
	uint64_t len, card_off;
	int count, failed, err;
};

static void *stream_run(void *arg)
{
	struct stream *s = arg;
	struct busmaster_transfer t;

	for (int i = 0; i < s->count; i++) {
		if (bm_xfer(s->fd, (void *)s->src, s->len, s->card_off + i * s->len,
			    0, 10000, &t)) {
			s->failed++;
			s->err = errno;
		}
	}
	return NULL;
}

/* Samples a card's pinned_pages until told to stop: the most seen. */
struct pin_sampler {
	int id;
	atomic_int stop;
	long most;
};

static void *sample_pinned(void *arg)
{
	struct pin_sampler *ps = arg;

	while (!atomic_load(&ps->stop)) {
		long v = bm_debugfs_read(ps->id, "pinned_pages");

		if (v > ps->most)
			ps->most = v;
		usleep(2000);
	}
	return NULL;
}

/*
 * One request keeps the card fed: while the card moves one chunk, the
 * request has pinned and mapped the next and posted its card transfers,
 * so the pages of two chunks are pinned at once. (Before, the next chunk
 * was pinned only once the card had finished the last: the card idled.)
 */
TEST_F(card, one_request_prepares_its_next_chunk_while_the_card_moves_one)
{
	const uint64_t latency_ms = 200;
	struct pin_sampler ps = { .most = -1 };
	struct busmaster_transfer t;
	uint64_t chunk_pages, len;
	uint8_t *src, *dst;
	long pinned0;
	pthread_t th;

	if (card_open(_metadata, self, PICK_ANY))
		SKIP(return, "no card of ours with fault injection (needs root)");
	/* Three chunks of a page-aligned buffer: INFO map_registers pages each. */
	chunk_pages = self->info.map_registers;
	len = 3 * chunk_pages * 4096;
	ASSERT_GE(self->info.card_mem_size, len);
	src = bm_pattern(len, 40);
	dst = bm_pattern(len, 41);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	memset(self->bar, 0, len);
	pinned0 = bm_debugfs_read(self->id, "pinned_pages");
	ASSERT_LE(0, pinned0);
	ps.id = self->id;
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", latency_ms * MS));
	ASSERT_EQ(0, pthread_create(&th, NULL, sample_pinned, &ps));
	EXPECT_EQ(0, bm_xfer(self->fd, src, len, 0, 0, 10000, &t))
		TH_LOG("memory -> card: %s", strerror(errno));
	EXPECT_EQ(0, bm_xfer(self->fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD, 10000, &t))
		TH_LOG("card -> memory: %s", strerror(errno));
	atomic_store(&ps.stop, 1);
	pthread_join(th, NULL);
	bm_fi_write(self->id, "latency_ns", 0);

	EXPECT_EQ(0, memcmp(self->bar, src, len)) TH_LOG("wrong bytes in card memory");
	EXPECT_EQ(0, memcmp(dst, src, len)) TH_LOG("wrong bytes came back");
	TH_LOG("%s: chunks of %llu pages, card transfers held %llu ms: at most %ld pages pinned at once",
	       self->info.pci_slot, (unsigned long long)chunk_pages,
	       (unsigned long long)latency_ms, ps.most - pinned0);
	EXPECT_LE(pinned0 + 2 * (long)chunk_pages, ps.most)
		TH_LOG("the next chunk was not pinned while the card moved one");
	EXPECT_EQ(pinned0, bm_debugfs_read(self->id, "pinned_pages"));
	free(src);
	free(dst);
}

/*
 * Four threads writing to a four-channel card at once use all four
 * channels: with every card transfer held 100 ms by the card, the card is
 * busy about as long as one thread's transfers take, not four times that
 * (which it was while one transfer per direction ran at a time).
 */
TEST_F(card, four_streams_use_four_channels_at_once)
{
	const int streams = 4, count = 3;
	const uint64_t latency_ms = 100, len = 64 * KiB;
	struct stream s[4];
	pthread_t th[4];
	long long busy0, busy;

	if (card_open(_metadata, self, PICK_CHANNELS_4))
		SKIP(return, "no card of ours with four channels and fault injection (needs root)");
	if (bm_sysfs_num(self->id, "statistics/card_busy_ns") < 0)
		SKIP(return, "the card counts no busy time (statistics/card_busy_ns)");
	ASSERT_GE(self->info.max_transfer_size, len);
	ASSERT_GE(self->info.card_mem_size, streams * count * len);
	memset(self->bar, 0, streams * count * len);
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", latency_ms * MS));
	busy0 = bm_sysfs_num(self->id, "statistics/card_busy_ns");
	for (int i = 0; i < streams; i++) {
		s[i] = (struct stream){ .fd = self->fd, .len = len, .count = count,
					.card_off = i * count * len,
					.src = bm_pattern(len, 100 + i) };
		ASSERT_NE(NULL, s[i].src);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, stream_run, &s[i]));
	}
	for (int i = 0; i < streams; i++)
		pthread_join(th[i], NULL);
	busy = bm_sysfs_num(self->id, "statistics/card_busy_ns") - busy0;
	bm_fi_write(self->id, "latency_ns", 0);

	for (int i = 0; i < streams; i++) {
		EXPECT_EQ(0, s[i].failed) TH_LOG("stream %d: %s", i, strerror(s[i].err));
		for (int k = 0; k < count; k++) {
			EXPECT_EQ(0, memcmp(self->bar + s[i].card_off + k * len, s[i].src, len))
				TH_LOG("stream %d, transfer %d: wrong bytes in card memory", i, k);
		}
		free((void *)s[i].src);
	}
	TH_LOG("%d streams x %d transfers held %llu ms each: card busy %lld ms (one channel at a time: %llu ms)",
	       streams, count, (unsigned long long)latency_ms, busy / 1000000,
	       (unsigned long long)(streams * count * latency_ms));
	EXPECT_GT(2 * count * latency_ms * MS, (uint64_t)busy)
		TH_LOG("the streams did not overlap");
}

/*
 * A transfer that times out behind others on its channel is taken off the
 * card alone: the one ahead of it on the same channel (its modelled
 * latency cut short and started again) and the one on the other channel
 * finish with all their bytes.
 */
TEST_F(card, timeout_spares_the_transfers_queued_beside_it)
{
	const uint64_t len = 16 * KiB;
	uint8_t *want, *got, *c_src, *b_src;
	struct busmaster_transfer t;
	struct outcome a, c;
	int fds[2][2];
	pid_t pa, pc;

	if (card_open(_metadata, self, PICK_ANY))
		SKIP(return, "no card of ours with fault injection (needs root)");
	if (self->info.dma_channels != 2)
		SKIP(return, "made for a card with two channels");
	want = bm_pattern(len, 1);
	got = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	c_src = bm_pattern(len, 2);
	b_src = bm_pattern(len, 3);
	ASSERT_NE(NULL, want);
	ASSERT_NE(MAP_FAILED, got);
	memset(self->bar, 0, 6 * len);
	memcpy(self->bar, want, len);
	ASSERT_EQ(0, pipe(fds[0]));
	ASSERT_EQ(0, pipe(fds[1]));
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 1000 * MS));
	/* One transfer on each channel, each held a second by the card. */
	pa = xfer_child(self->fd, got, len, 0, BUSMASTER_XFER_FROM_CARD, 20000, fds[0][1]);
	ASSERT_LE(0, pa);
	pc = xfer_child(self->fd, c_src, len, 2 * len, 0, 20000, fds[1][1]);
	ASSERT_LE(0, pc);
	usleep(300 * 1000);
	/* Queued behind one of them; its 200 ms pass first. */
	EXPECT_EQ(-1, bm_xfer(self->fd, b_src, len, 4 * len, 0, 200, &t));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_EQ(0, t.bytes_done);
	ASSERT_EQ(0, reap(pa, fds[0][0], &a));
	ASSERT_EQ(0, reap(pc, fds[1][0], &c));
	bm_fi_write(self->id, "latency_ns", 0);
	EXPECT_EQ(0, a.ret) TH_LOG("card -> memory beside it: %s", strerror(a.err));
	EXPECT_EQ(len, a.done);
	EXPECT_EQ(0, memcmp(got, want, len)) TH_LOG("wrong bytes arrived from the card");
	EXPECT_EQ(0, c.ret) TH_LOG("memory -> card beside it: %s", strerror(c.err));
	EXPECT_EQ(len, c.done);
	EXPECT_EQ(0, memcmp(self->bar + 2 * len, c_src, len));
	for (uint64_t i = 0; i < len; i++) {
		ASSERT_EQ(0, self->bar[4 * len + i])
			TH_LOG("byte %llu of the timed-out transfer landed", (unsigned long long)i);
	}
	munmap(got, len);
	free(want);
	free(c_src);
	free(b_src);
}

/*
 * SIGKILL ends a process waiting on a stuck card at once (it waited out
 * its whole timeout, up to ten minutes, in an uninterruptible sleep); its
 * pages are unpinned, and the card moves nothing more for it once it is
 * unstuck.
 */
TEST_F(card, sigkill_ends_a_waiter_at_once)
{
	const uint64_t len = 64 * KiB;
	uint8_t *dst = bm_pattern(len, 4), *src = bm_pattern(len, 5), *back = bm_pattern(len, 6);
	struct busmaster_transfer t;
	long pins;
	long long bytes;
	uint64_t reaped;
	int status, fds[2];
	pid_t pid;

	if (card_open(_metadata, self, PICK_ANY))
		SKIP(return, "no card of ours with fault injection (needs root)");
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, pipe(fds));
	pins = bm_pins_held();
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0xff));
	pid = xfer_child(self->fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD, 600000, fds[1]);
	ASSERT_LE(0, pid);
	usleep(300 * 1000);	/* waiting on the stalled card */
	bytes = bm_sysfs_num(self->id, "statistics/card_bytes");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	reaped = bm_ended_within(pid, 5000, &status);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0));
	if (!reaped)
		waitpid(pid, &status, 0);
	TH_LOG("killed waiter reaped after %llu ms", (unsigned long long)reaped);
	EXPECT_NE(0, reaped) TH_LOG("still not reaped 5 s after SIGKILL");
	EXPECT_GT(1000, reaped);
	EXPECT_TRUE(WIFSIGNALED(status));
	usleep(100 * 1000);
	EXPECT_EQ(bytes, bm_sysfs_num(self->id, "statistics/card_bytes"))
		TH_LOG("the card moved data after its waiter was killed");
	EXPECT_EQ(pins, bm_pins_held());
	EXPECT_EQ(0, bm_debugfs_read(self->id, "pinned_pages"));
	/* The card works on. */
	ASSERT_EQ(0, bm_xfer(self->fd, src, len, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, bm_xfer(self->fd, back, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	EXPECT_EQ(0, memcmp(src, back, len));
	EXPECT_EQ(0, memcmp(self->bar, src, len));
	close(fds[0]);
	close(fds[1]);
	free(dst);
	free(src);
	free(back);
}

/*
 * Kills at random moments of long requests (many card transfers, each
 * held by the card) in both directions: every killed process goes at once,
 * and afterwards nothing is pinned or held and the card moves data right.
 */
TEST_F(card, random_kills_leave_nothing_behind)
{
	const int kills = 50;
	uint64_t len, worst = 0;
	uint8_t *src, *back;
	struct busmaster_transfer t;
	unsigned int seed = 42;
	long pins;

	if (card_open(_metadata, self, PICK_ANY))
		SKIP(return, "no card of ours with fault injection (needs root)");
	len = self->info.max_transfer_size * 8;
	if (len > 4096 * KiB)
		len = 4096 * KiB;
	if (len > self->info.card_mem_size)
		len = bm_align_down(self->info.card_mem_size, 4096);
	src = bm_pattern(len, 7);
	back = bm_pattern(len, 8);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	pins = bm_pins_held();
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 10 * MS));
	for (int i = 0; i < kills; i++) {
		uint32_t flags = i % 2 ? BUSMASTER_XFER_FROM_CARD : 0;
		uint64_t start;
		int status;
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			for (;;)
				bm_xfer(self->fd, flags ? back : src, len, 0, flags, 0, &t);
		}
		usleep(rand_r(&seed) % (150 * 1000));
		start = bm_now_ms();
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (bm_now_ms() - start > worst)
			worst = bm_now_ms() - start;
	}
	bm_fi_write(self->id, "latency_ns", 0);
	TH_LOG("%d kills, the slowest reaped after %llu ms", kills, (unsigned long long)worst);
	EXPECT_GT(1000, worst);
	EXPECT_EQ(pins, bm_pins_held());
	EXPECT_EQ(0, bm_debugfs_read(self->id, "pinned_pages"));
	EXPECT_EQ(0, bm_debugfs_read(self->id, "map_registers_used"));
	ASSERT_EQ(0, bm_xfer(self->fd, src, len, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, bm_xfer(self->fd, back, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	EXPECT_EQ(0, memcmp(src, back, len));
	free(src);
	free(back);
}

/*
 * Two streams, one each way, through a card's map registers move at once:
 * each request holds at most INFO map_registers, and the pool holds two
 * such shares. The card is busy about as long as one stream takes.
 */
TEST_F(card, both_directions_move_at_once_through_map_registers)
{
	const int count = 3;
	const uint64_t latency_ms = 100;
	uint8_t *src, *dst, *want;
	struct outcome o;
	uint64_t len, xfers = 0;
	long long busy0, busy;
	int fds[2], err = 0;
	pid_t pid;

	if (card_open(_metadata, self, PICK_MAP_REGISTERS))
		SKIP(return, "no card of ours bouncing through map registers with fault injection");
	if (bm_sysfs_num(self->id, "statistics/card_busy_ns") < 0)
		SKIP(return, "the card counts no busy time (statistics/card_busy_ns)");
	if (self->info.dma_channels < 2)
		SKIP(return, "one channel: the two directions take turns on it");
	/* Each request as large as one share and one card transfer allow. */
	len = (uint64_t)(self->info.map_registers - 1) * 4096;
	if (len > self->info.max_transfer_size)
		len = bm_align_down(self->info.max_transfer_size, 4096);
	ASSERT_GE(self->info.card_mem_size, 2 * len);
	src = bm_pattern(len, 20);
	want = bm_pattern(len, 21);
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, want);
	ASSERT_NE(MAP_FAILED, dst);
	memcpy(self->bar + len, want, len);
	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", latency_ms * MS));
	busy0 = bm_sysfs_num(self->id, "statistics/card_busy_ns");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct busmaster_transfer t;

		o.ret = 0;
		o.done = 0;	/* here: card transfers, each held by the card */
		for (int k = 0; k < count && !o.ret; k++) {
			o.ret = bm_xfer(self->fd, dst, len, len, BUSMASTER_XFER_FROM_CARD, 10000, &t);
			o.done += t.transfers;
		}
		o.err = o.ret ? errno : 0;
		_exit(write(fds[1], &o, sizeof(o)) != sizeof(o));
	}
	for (int k = 0; k < count; k++) {
		struct busmaster_transfer t;

		if (bm_xfer(self->fd, src, len, 0, 0, 10000, &t))
			err = errno;
		xfers += t.transfers;
	}
	ASSERT_EQ(0, reap(pid, fds[0], &o));
	xfers += o.done;
	busy = bm_sysfs_num(self->id, "statistics/card_busy_ns") - busy0;
	bm_fi_write(self->id, "latency_ns", 0);
	EXPECT_EQ(0, err) TH_LOG("memory -> card: %s", strerror(err));
	EXPECT_EQ(0, o.ret) TH_LOG("card -> memory: %s", strerror(o.err));
	EXPECT_EQ(0, memcmp(self->bar, src, len));
	EXPECT_EQ(0, memcmp(dst, want, len)) TH_LOG("wrong bytes came back from the card");
	TH_LOG("%d requests each way of %llu bytes over %u map registers, %llu card transfers held %llu ms each: card busy %lld ms (one at a time: %llu ms)",
	       count, (unsigned long long)len, self->info.map_registers,
	       (unsigned long long)xfers, (unsigned long long)latency_ms, busy / 1000000,
	       (unsigned long long)(xfers * latency_ms));
	EXPECT_GT(xfers * latency_ms * MS * 3 / 4, (uint64_t)busy)
		TH_LOG("the two directions did not overlap");
	munmap(dst, len);
	free(src);
	free(want);
	close(fds[0]);
	close(fds[1]);
}

/*
 * A process stopped (SIGSTOP, then SIGCONT) while its request waits for
 * map registers, before any byte moved, carries on as if nothing happened:
 * the call restarts, it does not fail with EINTR.
 */
TEST_F(card, stop_and_continue_before_any_byte_moved_restarts)
{
	enum { MAX_HOLDERS = 8 };
	struct outcome o[MAX_HOLDERS];
	uint8_t *src[MAX_HOLDERS];
	pid_t pid[MAX_HOLDERS];
	int fds[MAX_HOLDERS][2], n = 0;
	long waits;
	uint64_t len;

	if (card_open(_metadata, self, PICK_MAP_REGISTERS))
		SKIP(return, "no card of ours bouncing through map registers with fault injection");
	len = (uint64_t)(self->info.map_registers - 1) * 4096;
	if (len > self->info.max_transfer_size)
		len = bm_align_down(self->info.max_transfer_size, 4096);
	ASSERT_GE(self->info.card_mem_size, MAX_HOLDERS * len);
	memset(self->bar, 0, MAX_HOLDERS * len);
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 1000 * MS));
	/* Requests that hold map registers for a second, until one waits. */
	waits = bm_debugfs_read(self->id, "map_register_waits");
	ASSERT_LE(0, waits);
	do {
		src[n] = bm_pattern(len, 30 + n);
		ASSERT_NE(NULL, src[n]);
		ASSERT_EQ(0, pipe(fds[n]));
		pid[n] = xfer_child(self->fd, src[n], len, n * len, 0, 20000, fds[n][1]);
		ASSERT_LE(0, pid[n]);
		usleep(200 * 1000);
		n++;
	} while (n < MAX_HOLDERS && bm_debugfs_read(self->id, "map_register_waits") == waits);
	ASSERT_LT(waits, bm_debugfs_read(self->id, "map_register_waits"))
		TH_LOG("%d requests of %llu bytes and none waits", n, (unsigned long long)len);
	/* The last one waits for map registers: stop and continue it. */
	ASSERT_EQ(0, kill(pid[n - 1], SIGSTOP));
	usleep(200 * 1000);
	ASSERT_EQ(0, kill(pid[n - 1], SIGCONT));
	for (int i = 0; i < n; i++)
		ASSERT_EQ(0, reap(pid[i], fds[i][0], &o[i]));
	bm_fi_write(self->id, "latency_ns", 0);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0, o[i].ret) TH_LOG("request %d of %d failed: %s%s", i, n,
					       strerror(o[i].err), i == n - 1 ? " (the stopped one)" : "");
		EXPECT_EQ(len, o[i].done);
		EXPECT_EQ(0, memcmp(self->bar + i * len, src[i], len));
		free(src[i]);
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

struct inflight {
	int fd;
	void *buf;
	uint64_t len;
	uint32_t flags;
	int ret, err;
	uint64_t done;
};

static void *inflight_run(void *arg)
{
	struct inflight *f = arg;
	struct busmaster_transfer t;

	f->ret = bm_xfer(f->fd, f->buf, f->len, 0, f->flags, 20000, &t);
	f->err = f->ret ? errno : 0;
	f->done = t.bytes_done;
	return NULL;
}

/*
 * The process forks and unmaps the buffer while a long request on it is
 * in flight, in each direction: the request moves the chunks it had pinned
 * and stops with EFAULT at the first it can no longer pin (or finishes),
 * and nothing stays pinned. The buffer is a memfd mapped twice, so the
 * bytes that arrived are checked through the second mapping: exactly
 * bytes_done of them, and nothing past.
 */
TEST_F(card, munmap_and_fork_during_a_request)
{
	uint64_t len;
	uint8_t *want, *view;
	long pins;
	int mfd;

	if (card_open(_metadata, self, PICK_ANY))
		SKIP(return, "no card of ours with fault injection (needs root)");
	len = (uint64_t)self->info.map_registers * 4096 * 8;
	if (len > self->info.card_mem_size / 2)
		len = bm_align_down(self->info.card_mem_size / 2, 4096);
	want = bm_pattern(len, 50);
	ASSERT_NE(NULL, want);
	mfd = memfd_create("busmaster-queue", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, len));
	view = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	pins = bm_pins_held();
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 30 * MS));
	for (int dir = 0; dir < 2; dir++) {
		struct inflight f = { .fd = self->fd, .len = len,
				      .flags = dir ? BUSMASTER_XFER_FROM_CARD : 0 };
		/* Where the bytes go: card memory, or the memfd's pages. */
		uint8_t *dst = dir ? view : self->bar;
		pthread_t th;
		int status;
		pid_t pid;

		memcpy(dir ? self->bar : view, want, len);
		memset(dst, 0, len);
		f.buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		ASSERT_NE(MAP_FAILED, f.buf);
		ASSERT_EQ(0, pthread_create(&th, NULL, inflight_run, &f));
		usleep(50 * 1000);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(0);
		ASSERT_EQ(0, munmap(f.buf, len));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		pthread_join(th, NULL);
		TH_LOG("%s: %s after %llu of %llu bytes", dir ? "card -> memory" : "memory -> card",
		       f.ret ? strerror(f.err) : "done", (unsigned long long)f.done,
		       (unsigned long long)len);
		EXPECT_TRUE((!f.ret && f.done == len) || (f.err == EFAULT && f.done < len))
			TH_LOG("%s, %llu bytes", strerror(f.err), (unsigned long long)f.done);
		EXPECT_EQ(0, memcmp(dst, want, f.done)) TH_LOG("wrong bytes before bytes_done");
		for (uint64_t b = f.done; b < len; b++) {
			ASSERT_EQ(0, dst[b]) TH_LOG("byte %llu landed past bytes_done",
						    (unsigned long long)b);
		}
	}
	bm_fi_write(self->id, "latency_ns", 0);
	EXPECT_EQ(pins, bm_pins_held());
	EXPECT_EQ(0, bm_debugfs_read(self->id, "pinned_pages"));
	munmap(view, len);
	close(mfd);
	free(want);
}

#define SWIOTLB_HIWATER "/sys/kernel/debug/swiotlb/io_tlb_used_hiwater"

/*
 * swiotlb is one pool for every device of the machine. However many
 * processes move data through a card that bounces there, the card holds
 * at most two chunks per channel mapped (each INFO map_registers pages):
 * twelve processes with 1 MiB requests in flight stay within that bound
 * (the pool's high-water mark, in 2 KiB slots). Before, each mapped its
 * chunk while it waited for the card.
 */
TEST_F(card, swiotlb_use_is_bounded_per_card)
{
	enum { PROCS = 12 };
	const uint64_t len = 1024 * KiB;
	uint64_t bound;
	long hiwater;
	pid_t pid[PROCS];

	if (card_open(_metadata, self, PICK_SWIOTLB))
		SKIP(return, "no card of ours bouncing through swiotlb with fault injection");
	if (bm_write_file(SWIOTLB_HIWATER, "0"))
		SKIP(return, "no resettable %s (kernels from 6.7 on)", SWIOTLB_HIWATER);
	ASSERT_GE(self->info.card_mem_size, PROCS * len);
	/* 2 KiB slots: two chunks per channel, and one slot of alignment each. */
	bound = 2ULL * self->info.dma_channels * (self->info.map_registers * 2 + 1);
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 20 * MS));
	for (int i = 0; i < PROCS; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			struct busmaster_transfer t;
			uint8_t *src = bm_pattern(len, 40 + i);

			_exit(!src || bm_xfer(self->fd, src, len, i * len, 0, 20000, &t) ||
			      memcmp(self->bar + i * len, src, len));
		}
	}
	for (int i = 0; i < PROCS; i++) {
		int status;

		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("process %d: its transfer failed or moved wrong bytes", i);
	}
	bm_fi_write(self->id, "latency_ns", 0);
	hiwater = bm_debugfs_read_file(SWIOTLB_HIWATER);
	TH_LOG("%d processes x %llu KiB: swiotlb high-water mark %ld slots, bound %llu (%u channels x 2 x %u pages)",
	       PROCS, (unsigned long long)(len / KiB), hiwater, (unsigned long long)bound,
	       self->info.dma_channels, self->info.map_registers);
	EXPECT_LE(hiwater, (long)bound);
}

/*
 * A caller without CAP_SYS_ADMIN cannot make a timeout shorter than
 * BUSMASTER_TIMEOUT_MIN_MS: asking for 1 ms on a card that takes 20 ms
 * succeeds (root's 1 ms times out).
 */
TEST_F(card, unprivileged_timeout_has_a_floor)
{
	const uint64_t len = 4096;
	uint8_t *src = bm_pattern(len, 11);
	struct busmaster_transfer t;
	struct outcome o;
	int fds[2];
	pid_t pid;

	if (card_open(_metadata, self, PICK_ANY))
		SKIP(return, "no card of ours with fault injection (needs root)");
	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 20 * MS));
	EXPECT_EQ(-1, bm_xfer(self->fd, src, len, 0, 0, 1, &t));
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("root's 1 ms did not time out: %s", strerror(errno));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Nobody, keeping the open file: no capabilities left. */
		if (setgid(65534) || setuid(65534))
			_exit(2);
		o.ret = bm_xfer(self->fd, src, len, 0, 0, 1, &t);
		o.err = o.ret ? errno : 0;
		o.done = t.bytes_done;
		_exit(write(fds[1], &o, sizeof(o)) != sizeof(o));
	}
	ASSERT_EQ(0, reap(pid, fds[0], &o));
	bm_fi_write(self->id, "latency_ns", 0);
	EXPECT_EQ(0, o.ret) TH_LOG("an unprivileged 1 ms timeout: %s", strerror(o.err));
	EXPECT_EQ(len, o.done);
	EXPECT_EQ(0, memcmp(self->bar, src, len));
	close(fds[0]);
	close(fds[1]);
	free(src);
}

/* Interrupts of @slot's vectors its handlers did not claim (IRQ_NONE). */
static long unhandled_irqs(const char *slot)
{
	char path[128];
	struct dirent *e;
	long sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", slot);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char line[64];
		long v;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/irq/%.16s/spurious", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "unhandled %ld", &v) == 1)
				sum += v;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/*
 * With MSI-X each vector serves its own causes: a transfer that fails on
 * channel c raises DONE(c) on vector c and ERROR on the last vector, and
 * neither handler takes the other's cause, so neither finds its cause
 * gone (IRQ_NONE, "unhandled" in /proc/irq/N/spurious). One handler for
 * all causes took both at the first message; the second found nothing.
 */
TEST_F(card, msix_vectors_serve_their_own_causes)
{
	const int rounds = 20;
	const uint64_t len = 4096;
	struct busmaster_transfer t;
	uint8_t *src = bm_pattern(len, 50), *dst = bm_pattern(len, 51);
	long before, after;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	if (card_open(_metadata, self, PICK_MSIX))
		SKIP(return, "no card of ours on MSI-X with fault injection (needs root)");
	before = unhandled_irqs(self->info.pci_slot);
	ASSERT_LE(0, before) TH_LOG("no /proc/irq/N/spurious for %s", self->info.pci_slot);
	for (int r = 0; r < rounds; r++) {
		ASSERT_EQ(0, bm_fi_write(self->id, "fail_nth", 1));
		EXPECT_EQ(-1, bm_xfer(self->fd, src, len, 0, 0, 0, &t));
		EXPECT_EQ(EIO, errno);
		/* And the card goes on: both ways, the bytes checked. */
		EXPECT_EQ(0, bm_xfer(self->fd, src, len, 0, 0, 0, &t));
		EXPECT_EQ(0, memcmp(self->bar, src, len));
		memset(dst, 0, len);
		EXPECT_EQ(0, bm_xfer(self->fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
		EXPECT_EQ(0, memcmp(dst, src, len));
	}
	after = unhandled_irqs(self->info.pci_slot);
	TH_LOG("%s: %d failed transfers, %ld interrupts no handler claimed",
	       self->info.pci_slot, rounds, after - before);
	/*
	 * A driver whose vectors do not serve their own causes leaves one
	 * interrupt unclaimed per failure (20 of 20 before the per-vector
	 * handlers). A correct one may still see the odd message find its
	 * cause already acknowledged: the card sends a message for every
	 * completion even when the cause bit was set already (datasheet
	 * 6.2), and the handler of the first message reaps both.
	 */
	EXPECT_GT(rounds / 4, after - before);
	free(src);
	free(dst);
}

TEST_HARNESS_MAIN
