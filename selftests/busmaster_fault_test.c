// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster under card faults, injected through the card's debugfs files
 * (fail_nth, stall, latency_ns, phantom_nth): a failure part-way reports
 * exactly the bytes that completed, a stalled card times out and is reset
 * and works again, a signal ends a long request between card transfers
 * with the bytes done so far -- never -ERESTARTSYS, never a page left to
 * the card -- and a card that reports bytes it never wrote hands back no
 * bytes but the caller's own or zeros.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define PAGE	4096UL

/* A card of ours with fault injection, its BAR mapped. */
FIXTURE(faulty) {
	int id, fd;
	struct busmaster_info info;
	uint8_t *bar;
};

/* The card a lane made unable to stop (BUSMASTER_UNSTOPPABLE_SLOT). */
static int bm_is_unstoppable(const struct busmaster_info *info)
{
	const char *slot = getenv("BUSMASTER_UNSTOPPABLE_SLOT");

	return slot && !strcmp(slot, info->pci_slot);
}

/*
 * Prefer a card that bounces through map registers (its segments are
 * known), then the one with the smallest card transfers (most of them).
 */
FIXTURE_SETUP(faulty)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);
	char path[128];

	self->fd = -1;
	for (int i = 0; i < n; i++) {
		struct busmaster_info info;
		int fd = bm_open_id(ids[i], O_RDWR);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bm_info(fd, &info));
		bm_fi_path(path, sizeof(path), ids[i], "fail_nth");
		/* The unstoppable card is for its own test: a timeout ends it. */
		if (access(path, W_OK) || bm_is_unstoppable(&info) ||
		    (self->fd >= 0 &&
		     (self->info.bounce == BUSMASTER_BOUNCE_MAP_REGISTERS ||
		      (info.bounce != BUSMASTER_BOUNCE_MAP_REGISTERS &&
		       info.max_transfer_size >= self->info.max_transfer_size)))) {
			close(fd);
			continue;
		}
		if (self->fd >= 0)
			close(self->fd);
		self->fd = fd;
		self->id = ids[i];
		self->info = info;
	}
	if (self->fd < 0)
		SKIP(return, "no card with fault injection (debugfs fail_nth; needs root)");
	self->bar = bm_map_card_mem(&self->info);
	ASSERT_NE(NULL, self->bar) TH_LOG("card memory BAR: %s", strerror(errno));
}

FIXTURE_TEARDOWN(faulty)
{
	if (self->fd < 0)
		return;
	bm_fi_write(self->id, "fail_nth", 0);
	bm_fi_write(self->id, "stall", 0);
	bm_fi_write(self->id, "latency_ns", 0);
	bm_fi_write(self->id, "phantom_nth", 0);
	munmap(self->bar, self->info.card_mem_size);
	close(self->fd);
}

/*
 * The Nth descriptor fails: bytes_done is the sum of the segments before it,
 * those bytes are in card memory, and nothing after them is.
 */
TEST_F(faulty, failure_part_way_reports_exact_bytes_done)
{
	const struct busmaster_info *in = &self->info;
	uint64_t budget = (uint64_t)in->map_registers * PAGE;
	uint64_t len = in->card_mem_size / 2, expect = 0, left = len;
	unsigned int nth = 3, seg = 0;
	struct busmaster_transfer t;
	uint8_t *src;

	if (in->bounce != BUSMASTER_BOUNCE_MAP_REGISTERS)
		nth = 1;	/* segments follow physical pages: only the first is known */
	/* Map registers are contiguous: chunks of the budget, cut to the card's segment size. */
	while (left && seg < nth - 1) {
		uint64_t chunk = left < budget ? left : budget;

		while (chunk && seg < nth - 1) {
			uint64_t piece = chunk < in->max_segment_size ? chunk : in->max_segment_size;

			expect += piece;
			chunk -= piece;
			left -= piece;
			seg++;
		}
	}
	src = bm_pattern(len, 5);
	ASSERT_NE(NULL, src);
	memset(self->bar, 0, len);
	ASSERT_EQ(0, bm_fi_write(self->id, "fail_nth", nth));
	EXPECT_EQ(-1, bm_xfer(self->fd, src, len, 0, 0, 0, &t));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(expect, t.bytes_done) TH_LOG("descriptor %u of a %llu-byte request failed",
					       nth, (unsigned long long)len);
	EXPECT_EQ(BMC_ST_ERR_INJECTED, t.card_status) TH_LOG("the card's ERR_INJECTED code");
	EXPECT_EQ(0, memcmp(self->bar, src, t.bytes_done));
	for (uint64_t b = t.bytes_done; b < len; b++) {
		ASSERT_EQ(0, self->bar[b]) TH_LOG("byte %llu landed after the failure",
						  (unsigned long long)b);
	}
	/* The card goes on with the next request. */
	EXPECT_EQ(0, bm_xfer(self->fd, src, len, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(self->bar, src, len));
	free(src);
}

/* The first differing byte of @a and @b, or -1. */
static long long first_diff(const uint8_t *a, const uint8_t *b, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long long)i;
	return -1;
}

/* One card transfer's worth from the card: a page, or a segment if smaller. */
static uint64_t one_descriptor(const struct busmaster_info *in)
{
	return in->max_segment_size < PAGE ? in->max_segment_size : PAGE;
}

/*
 * A card that reports bytes it never wrote (phantom_nth) hands back what
 * the bounce space held. Map registers are filled from the request's own
 * pages first, as swiotlb's slots are: the caller sees its own bytes, not
 * what an earlier request -- another user's -- left in the registers.
 */
TEST_F(faulty, card_lying_about_bytes_written_gets_no_map_register_leftovers)
{
	const struct busmaster_info *in = &self->info;
	uint64_t len = (uint64_t)in->map_registers * PAGE, n = one_descriptor(in);
	struct busmaster_transfer t;
	uint8_t *secret, *mine, *want;
	long long bad;

	if (in->bounce != BUSMASTER_BOUNCE_MAP_REGISTERS)
		SKIP(return, "the card does not bounce through map registers");
	if (len > in->card_mem_size / 2)
		len = in->card_mem_size / 2 / PAGE * PAGE;
	secret = bm_pattern(len, 11);
	mine = bm_pattern(n, 12);
	want = bm_pattern(n, 12);
	ASSERT_TRUE(secret && mine && want);
	/* Through every map register a request may take, to the card's upper half. */
	ASSERT_EQ(0, bm_xfer(self->fd, secret, len, in->card_mem_size / 2,
			     BUSMASTER_XFER_PIN, 0, &t)) TH_LOG("%s", strerror(errno));
	memset(self->bar, 0x5a, n);
	ASSERT_EQ(0, bm_fi_write(self->id, "phantom_nth", 1));
	ASSERT_EQ(0, bm_xfer(self->fd, mine, n, 0,
			     BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_PIN, 0, &t))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(n, t.bytes_done);
	EXPECT_EQ(0, bm_debugfs_read(self->id, "phantom_nth")) TH_LOG("the card did not lie");
	bad = first_diff(mine, want, n);
	EXPECT_EQ(-1, bad) TH_LOG("byte %lld is %#x, not the caller's %#x: what the map registers held",
				  bad, bad < 0 ? 0 : mine[bad], bad < 0 ? 0 : want[bad]);
	free(secret);
	free(mine);
	free(want);
}

/*
 * The copy buffer holds zeros or bytes that reached the card: bytes copied
 * in for a request that failed before the card took them are cleared
 * before the buffer serves a read, so a card that lies shows zeros.
 */
TEST_F(faulty, card_lying_about_bytes_written_gets_no_stale_copy_bytes)
{
	const struct busmaster_info *in = &self->info;
	uint64_t len = 65536, n = one_descriptor(in);
	struct busmaster_transfer t;
	uint8_t *secret, *mine;
	long long bad = -1;

	secret = bm_pattern(len, 13);
	mine = bm_pattern(n, 14);
	ASSERT_TRUE(secret && mine);
	ASSERT_EQ(0, bm_fi_write(self->id, "fail_nth", 1));
	EXPECT_EQ(-1, bm_xfer(self->fd, secret, len, 0, BUSMASTER_XFER_COPY, 0, &t));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(0, t.bytes_done);
	ASSERT_EQ(0, bm_fi_write(self->id, "phantom_nth", 1));
	ASSERT_EQ(0, bm_xfer(self->fd, mine, n, 0,
			     BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COPY, 0, &t))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(n, t.bytes_done);
	EXPECT_EQ(0, bm_debugfs_read(self->id, "phantom_nth")) TH_LOG("the card did not lie");
	for (uint64_t i = 0; i < n && bad < 0; i++)
		if (mine[i])
			bad = (long long)i;
	EXPECT_EQ(-1, bad) TH_LOG("byte %lld is %#x, not 0%s", bad, bad < 0 ? 0 : mine[bad],
				  bad >= 0 && !memcmp(mine + bad, secret + bad, 1) ?
				  " (the failed request's byte)" : "");
	free(secret);
	free(mine);
}

/* A stalled card: ETIMEDOUT, the card is reset, and works afterwards. */
TEST_F(faulty, stalled_card_times_out_and_recovers)
{
	uint64_t len = 8 * PAGE;
	uint8_t *src = bm_pattern(len, 6), *dst = bm_pattern(len, 7);
	struct busmaster_transfer t;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0xff));
	EXPECT_EQ(-1, bm_xfer(self->fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD, 300, &t));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_EQ(0, t.bytes_done);
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 0));

	ASSERT_EQ(0, bm_xfer(self->fd, src, len, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, bm_xfer(self->fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	EXPECT_EQ(0, memcmp(src, dst, len));
	EXPECT_EQ(0, memcmp(self->bar, src, len));
	free(src);
	free(dst);
}

/*
 * A timeout on one channel is that channel's alone: a card -> memory
 * transfer in flight on the other channel (held 2 s by the modelled
 * latency) finishes with its bytes while a stalled memory -> card transfer
 * times out beside it. Resetting the whole card failed it with EIO.
 */
TEST_F(faulty, timeout_on_one_channel_spares_the_other)
{
	/* Small: both transfers find map registers at once. */
	uint64_t len = self->info.max_transfer_size < 4 * PAGE ?
		       self->info.max_transfer_size : 4 * PAGE;
	uint8_t *want = bm_pattern(len, 9), *dst = bm_pattern(len, 10), *src = bm_pattern(len, 11);
	struct busmaster_transfer t;
	struct { int ret, err; uint64_t done; uint32_t status; int same; } got;
	int fds[2], status;
	pid_t pid;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, dst);
	ASSERT_NE(NULL, src);
	if (self->info.dma_channels < 2)
		SKIP(return, "one channel: both directions share it");
	memcpy(self->bar, want, len);
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 2000ULL * 1000 * 1000));
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		got.ret = bm_xfer(self->fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD, 10000, &t);
		got.err = got.ret ? errno : 0;
		got.done = t.bytes_done;
		got.status = t.card_status;
		got.same = !memcmp(dst, want, len);
		_exit(write(fds[1], &got, sizeof(got)) != sizeof(got));
	}
	usleep(300 * 1000);	/* the child's transfer is waiting on the card */
	ASSERT_EQ(0, bm_fi_write(self->id, "stall", 1));	/* channel 0: memory -> card */
	EXPECT_EQ(-1, bm_xfer(self->fd, src, len, 2 * len, 0, 200, &t));
	EXPECT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG))
		TH_LOG("the other transfer was over before the timeout: nothing tested");
	ASSERT_EQ(sizeof(got), read(fds[0], &got, sizeof(got)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, got.ret) TH_LOG("the other channel's transfer failed: %s, %llu bytes, card_status %#x",
				     strerror(got.err), (unsigned long long)got.done, got.status);
	EXPECT_EQ(len, got.done);
	EXPECT_TRUE(got.same) TH_LOG("the bytes that arrived are not the card's");
	close(fds[0]);
	close(fds[1]);
	free(want);
	free(dst);
	free(src);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal ends a long request between card transfers, with EINTR. */
TEST_F(faulty, signal_ends_request_between_card_transfers)
{
	uint64_t len = self->info.card_mem_size / 2;
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value = { 0, 300 * 1000 } };
	uint8_t *src = bm_pattern(len, 8);
	struct busmaster_transfer t;
	int ret;

	ASSERT_NE(NULL, src);
	if (self->info.max_transfer_size * 4 > len)
		SKIP(free(src); return, "needs a request of many card transfers");
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	memset(self->bar, 0, len);
	/* 100 ms a card transfer: the request takes several seconds. */
	ASSERT_EQ(0, bm_fi_write(self->id, "latency_ns", 100 * 1000 * 1000));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ret = bm_xfer(self->fd, src, len, 0, 0, 0, &t);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINTR, errno) TH_LOG("%s", strerror(errno));
	EXPECT_LT(0, t.bytes_done) TH_LOG("the signal came before any transfer?");
	EXPECT_GT(len, t.bytes_done);
	EXPECT_EQ(0, memcmp(self->bar, src, t.bytes_done));
	TH_LOG("interrupted after %llu of %llu bytes, %u card transfers",
	       (unsigned long long)t.bytes_done, (unsigned long long)len, t.transfers);
	bm_fi_write(self->id, "latency_ns", 0);
	free(src);
}

/* PCI_COMMAND's Bus Master bit, read from config space through sysfs. */
static int bus_master_on(const char *slot)
{
	char path[128];
	uint16_t cmd;
	int fd, n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", slot);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, &cmd, sizeof(cmd), 4);
	close(fd);
	return n == sizeof(cmd) ? !!(cmd & 0x4) : -1;
}

/* A card of ours other than the one at @slot, opened; or -1. */
static int open_other_card(const char *slot)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);

	for (int i = 0; i < n; i++) {
		struct busmaster_info info;
		int fd = bm_open_id(ids[i], O_RDWR);

		if (fd < 0)
			continue;
		if (!bm_info(fd, &info) && strcmp(info.pci_slot, slot) &&
		    info.card_model == BUSMASTER_MODEL_CARD)
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * Give a stalled card that was cut off 300 ms to run on: the bytes of
 * @buf (0x5a each, as the failed call left them) it still cannot reach;
 * how many of them, from the start, are untouched.
 */
static uint64_t untouched_after_run_on(const uint8_t *buf, uint64_t len)
{
	uint64_t k;

	usleep(300 * 1000);
	for (k = 0; k < len && buf[k] == 0x5a; k++)
		;
	if (k < len)
		printf("# byte %llu changed after the failed call: %#x\n",
		       (unsigned long long)k, buf[k]);
	return k;
}

/* A reset of the PCI function at @slot, through sysfs: 0 or -1 (errno). */
static int reset_function(const char *slot)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", slot);
	return bm_write_file(path, "1");
}

/*
 * A card that ignores both its channel stop and its reset (lane card-stuck:
 * ignore_stop) after a timeout. It must be cut off the bus (Bus Master off)
 * and keep the pages it was given (they stay pinned), so that what it does
 * when it runs on reaches nothing: before, the driver carried on as if the
 * reset had worked, unpinned the buffer, and the card wrote into it after
 * the call had failed. Every request then fails with ESHUTDOWN, until a
 * reset of the PCI function proves the card quiet: then the pages come
 * back and the card works again.
 */
TEST(unstoppable_card_is_cut_off_and_keeps_its_memory)
{
	const char *slot = getenv("BUSMASTER_UNSTOPPABLE_SLOT");
	uint64_t len = 16 * PAGE;
	uint8_t *card = bm_pattern(len, 21), *buf = aligned_alloc(PAGE, len);
	struct busmaster_transfer t;
	struct busmaster_info info;
	long before;
	int fd, id, other;

	if (!slot)
		SKIP(return, "no card that ignores its stop (lane card-stuck sets BUSMASTER_UNSTOPPABLE_SLOT)");
	ASSERT_NE(NULL, card);
	ASSERT_NE(NULL, buf);
	fd = bm_find_slot(slot, &info, &id);
	ASSERT_LE(0, fd) TH_LOG("no card at %s", slot);
	other = open_other_card(slot);
	ASSERT_EQ(0, bm_xfer(fd, card, len, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(1, bus_master_on(slot));
	before = bm_pins_held();
	ASSERT_LE(0, before);

	/* Every channel stalled; the stop and the reset are both ignored. */
	memset(buf, 0x5a, len);
	ASSERT_EQ(0, bm_fi_write(id, "stall", (1u << info.dma_channels) - 1));
	/* Pinned: the card holds the user's pages, not the file's copy buffer. */
	EXPECT_EQ(-1, bm_xfer(fd, buf, len, 0, BUSMASTER_XFER_FROM_CARD |
			      BUSMASTER_XFER_PIN, 200, &t));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_EQ(0, t.bytes_done);
	EXPECT_EQ(0, bus_master_on(slot)) TH_LOG("the card still masters the bus");
	/* Refused before anything is pinned or mapped for it. */
	EXPECT_EQ(-1, bm_xfer(fd, card, PAGE, 0, 0, 0, &t));
	EXPECT_EQ(ESHUTDOWN, errno) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(len / PAGE, bm_pins_held() - before)
		TH_LOG("the pages the card was given were not kept pinned, or more were");
	/* Its pages are its own: another card may not write them meanwhile. */
	if (other >= 0) {
		EXPECT_EQ(-1, bm_xfer(other, buf, len, 0, BUSMASTER_XFER_FROM_CARD |
				      BUSMASTER_XFER_PIN, 2000, &t));
		EXPECT_EQ(EBUSY, errno) TH_LOG("%s", strerror(errno));
	}

	/* Let it run on: it must reach nothing. */
	ASSERT_EQ(0, bm_fi_write(id, "stall", 0));
	EXPECT_EQ(len, untouched_after_run_on(buf, len));

	/* A reset of the function: quiet for sure; everything comes back. */
	ASSERT_EQ(0, reset_function(slot)) TH_LOG("%s: %s", slot, strerror(errno));
	EXPECT_EQ(1, bus_master_on(slot));
	EXPECT_EQ(0, bm_pins_held() - before) TH_LOG("pins not given back after the reset");
	EXPECT_EQ(0, bm_debugfs_read(id, "kept"));
	ASSERT_EQ(0, bm_xfer(fd, card, len, 0, 0, 2000, &t)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, bm_xfer(fd, buf, len, 0, BUSMASTER_XFER_FROM_CARD, 2000, &t))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(card, buf, len));
	if (other >= 0)
		close(other);
	close(fd);
	free(card);
	free(buf);
}

/*
 * The same card, a copied request: the card holds the file's copy buffer,
 * which must outlive the file and the request (debugfs kept), while the
 * caller's memory is never touched; after the reset the buffer is freed
 * and the file copies through a new one.
 */
TEST(unstoppable_card_keeps_the_copy_buffer)
{
	const char *slot = getenv("BUSMASTER_UNSTOPPABLE_SLOT");
	uint64_t len = 16 * PAGE;
	uint8_t *card = bm_pattern(len, 22), *buf = aligned_alloc(PAGE, len);
	struct busmaster_transfer t;
	struct busmaster_info info;
	long before;
	int fd, id;

	if (!slot)
		SKIP(return, "no card that ignores its stop (lane card-stuck sets BUSMASTER_UNSTOPPABLE_SLOT)");
	ASSERT_NE(NULL, card);
	ASSERT_NE(NULL, buf);
	fd = bm_find_slot(slot, &info, &id);
	ASSERT_LE(0, fd) TH_LOG("no card at %s", slot);
	ASSERT_EQ(0, bm_xfer(fd, card, len, 0, BUSMASTER_XFER_COPY, 0, &t))
		TH_LOG("%s", strerror(errno));
	before = bm_pins_held();
	ASSERT_LE(0, before);

	memset(buf, 0x5a, len);
	ASSERT_EQ(0, bm_fi_write(id, "stall", (1u << info.dma_channels) - 1));
	EXPECT_EQ(-1, bm_xfer(fd, buf, len, 0, BUSMASTER_XFER_FROM_CARD |
			      BUSMASTER_XFER_COPY, 200, &t));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_EQ(0, t.bytes_done);
	EXPECT_LE(1, bm_debugfs_read(id, "kept")) TH_LOG("the copy buffer was not kept");
	EXPECT_EQ(0, bm_pins_held() - before) TH_LOG("a copied request pinned pages");
	/* The file goes; the buffer stays with the card. */
	close(fd);
	ASSERT_EQ(0, bm_fi_write(id, "stall", 0));
	EXPECT_EQ(len, untouched_after_run_on(buf, len));

	ASSERT_EQ(0, reset_function(slot)) TH_LOG("%s: %s", slot, strerror(errno));
	EXPECT_EQ(0, bm_debugfs_read(id, "kept"));
	fd = bm_open_slot(slot, &info);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bm_xfer(fd, card, len, 0, BUSMASTER_XFER_COPY, 2000, &t))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, bm_xfer(fd, buf, len, 0, BUSMASTER_XFER_FROM_CARD |
			     BUSMASTER_XFER_COPY, 2000, &t))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(card, buf, len));
	close(fd);
	free(card);
	free(buf);
}

/* Make the next call of @func return @retval (fail_function, debug kernel). */
static int fail_next_call(const char *func, const char *retval)
{
	const char *ff = "/sys/kernel/debug/fail_function";
	char path[160];

	snprintf(path, sizeof(path), "%s/verbose", ff);	/* no stack dump */
	if (bm_write_file(path, "0"))
		return -1;
	snprintf(path, sizeof(path), "%s/inject", ff);
	if (bm_write_file(path, func))
		return -1;
	snprintf(path, sizeof(path), "%s/%s/retval", ff, func);
	if (bm_write_file(path, retval))
		return -1;
	snprintf(path, sizeof(path), "%s/probability", ff);
	if (bm_write_file(path, "100"))
		return -1;
	snprintf(path, sizeof(path), "%s/times", ff);
	return bm_write_file(path, "1");
}

/*
 * edu cannot abort a DMA; one that does not finish after a timeout
 * (fail_function makes bm_edu_wait_idle() say so once) leaves a card that
 * may write at any time. It must be cut off the bus, keep the map
 * registers it was given, and refuse requests with ESHUTDOWN until a reset
 * of its function; before, the driver put the map registers back for the
 * next transfer and left bus mastering on.
 */
TEST(stuck_edu_is_cut_off_and_keeps_its_map_registers)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS), id = -1, fd = -1;
	uint8_t *want = bm_pattern(2048, 31), *buf = aligned_alloc(PAGE, PAGE);
	struct busmaster_transfer t;
	struct busmaster_info info;
	char path[128];

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, buf);
	for (int i = 0; i < n && id < 0; i++) {
		fd = bm_open_id(ids[i], O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bm_info(fd, &info));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", info.pci_slot);
		if (info.card_model == BUSMASTER_MODEL_EDU &&
		    info.bounce == BUSMASTER_BOUNCE_MAP_REGISTERS && !access(path, W_OK))
			id = ids[i];
		else
			close(fd);
	}
	if (id < 0)
		SKIP(return, "no edu card with map registers and a reset method (lane card-stuck has one)");
	ASSERT_EQ(0, bm_xfer(fd, want, 2048, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, bm_debugfs_read(id, "map_registers_used"));
	if (fail_next_call("bm_edu_wait_idle", "0xffffffffffffff92"))	/* -ETIMEDOUT */
		SKIP(close(fd); return, "fail_function cannot fail bm_edu_wait_idle (CONFIG_FAIL_FUNCTION: the debug kernel)");

	/* edu takes 100 ms; 1 ms is a timeout, and its DMA "never" ends. */
	EXPECT_EQ(-1, bm_xfer(fd, buf, 2048, 0, BUSMASTER_XFER_FROM_CARD, 1, &t));
	EXPECT_EQ(ETIMEDOUT, errno);
	bm_write_file("/sys/kernel/debug/fail_function/inject", "!bm_edu_wait_idle");
	EXPECT_EQ(0, bus_master_on(info.pci_slot)) TH_LOG("edu still masters the bus");
	EXPECT_LT(0, bm_debugfs_read(id, "map_registers_used"))
		TH_LOG("the map registers edu was given went back to the pool");
	EXPECT_EQ(-1, bm_xfer(fd, want, 2048, 0, 0, 0, &t));
	EXPECT_EQ(ESHUTDOWN, errno) TH_LOG("%s", strerror(errno));

	ASSERT_EQ(0, bm_write_file(path, "1")) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_EQ(1, bus_master_on(info.pci_slot));
	EXPECT_EQ(0, bm_debugfs_read(id, "map_registers_used"));
	EXPECT_EQ(0, bm_debugfs_read(id, "kept"));
	memset(buf, 0, PAGE);
	ASSERT_EQ(0, bm_xfer(fd, buf, 2048, 0, BUSMASTER_XFER_FROM_CARD, 0, &t))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(want, buf, 2048));
	close(fd);
	free(want);
	free(buf);
}

TEST_HARNESS_MAIN
