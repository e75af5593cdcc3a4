// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster TRANSFER: user buffers moved to and from on-card memory.
 *
 * Every test checks the bytes: what reached the card is read back through
 * the card's memory BAR (sysfs resource2, a path independent of the DMA
 * under test) where the card has one, and what came back from the card is
 * compared with what was sent. Each test runs once per card of the lane
 * (variants card0, card1, ...).
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define PAGE 4096UL

BM_CARD_FIXTURE(card)

/*
 * Send @len random bytes from @src_off into an otherwise poisoned buffer to
 * @card_off, check them through the BAR, bring them back into another
 * buffer at @dst_off, compare. Sizes and offsets honour the card's alignment.
 */
static void round_trip_how(struct __test_metadata *_metadata, struct bm_card *c,
			   uint64_t len, uint64_t src_off, uint64_t dst_off,
			   uint64_t card_off, unsigned int seed, uint32_t how)
{
	uint64_t span = len + 2 * PAGE;
	uint8_t *src = mmap(NULL, span, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = mmap(NULL, span, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct busmaster_transfer t;
	long bad;

	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, dst);
	bm_fill_random(src, span, &seed);
	memset(dst, 0xee, span);

	ASSERT_EQ(0, bm_xfer(c->fd, src + src_off, len, card_off, how, 0, &t))
		TH_LOG("%s: to card, %llu bytes at +%llu: %s (done %llu, card status %#x)",
		       c->info.pci_slot, (unsigned long long)len,
		       (unsigned long long)src_off, strerror(errno),
		       (unsigned long long)t.bytes_done, t.card_status);
	EXPECT_EQ(len, t.bytes_done);
	EXPECT_LE(1, t.transfers);
	if (c->bar) {
		bad = bm_first_diff(c->bar + card_off, src + src_off, len);
		EXPECT_EQ(-1, bad) TH_LOG("%s: card memory differs at byte %ld of %llu",
					  c->info.pci_slot, bad, (unsigned long long)len);
	}

	ASSERT_EQ(0, bm_xfer(c->fd, dst + dst_off, len, card_off,
			      BUSMASTER_XFER_FROM_CARD | how, 0, &t))
		TH_LOG("%s: from card: %s", c->info.pci_slot, strerror(errno));
	EXPECT_EQ(len, t.bytes_done);
	bad = bm_first_diff(dst + dst_off, src + src_off, len);
	EXPECT_EQ(-1, bad) TH_LOG("%s: %llu bytes came back wrong at byte %ld",
				  c->info.pci_slot, (unsigned long long)len, bad);
	/* Nothing around the buffer was touched. */
	for (uint64_t i = 0; i < span; i++) {
		if (i == dst_off)
			i += len;
		if (i < span)
			ASSERT_EQ(0xee, dst[i]) TH_LOG("byte %lld from the buffer's start written",
						       (long long)(i - dst_off));
	}
	munmap(src, span);
	munmap(dst, span);
}

/* A round trip the driver moves as it chooses (copied or pinned). */
static void round_trip(struct __test_metadata *_metadata, struct bm_card *c,
		       uint64_t len, uint64_t src_off, uint64_t dst_off,
		       uint64_t card_off, unsigned int seed)
{
	round_trip_how(_metadata, c, len, src_off, dst_off, card_off, seed, 0);
}

/*
 * Odd sizes and offsets: 1 byte, a page +- 1, many pages, crossing pages,
 * tens of MiB where the card has the memory.
 */
TEST_F(card, round_trips_of_odd_sizes)
{
	const uint64_t sizes[] = { 1, 3, 511, PAGE - 1, PAGE, PAGE + 1,
				   3 * PAGE + 5, 64 * 1024 + 3, 1024 * 1024 + 17,
				   24 * 1024 * 1024 + 9 };

	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment;
	/* edu takes 100 ms of virtual time per 4095 bytes: keep it small. */
	uint64_t max = c->info.card_model == BUSMASTER_MODEL_EDU ?
		       c->info.card_mem_size : c->info.card_mem_size / 2;

	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t len = bm_align_down(sizes[s], a);
		uint64_t card_off = bm_align_down((s * 37) % 509, a);

		if (!len || card_off + len > max)
			continue;
		round_trip(_metadata, c, len, bm_align_down(PAGE - 3 * s - 1, a),
			   bm_align_down(5 * s + 1, a), card_off, 1000 + s);
	}

}

#define COPY_MAX_PARAM	"/sys/module/busmaster/parameters/copy_max"
#define COPY_BUF	(1ULL << 20)	/* the file's copy buffer at its largest */

static long long copy_max(void)
{
	return bm_debugfs_read_file(COPY_MAX_PARAM);
}

/*
 * The file's copy buffer at its largest (uapi: 1 MiB for a card that
 * reaches all memory, 64 KiB for one that bounces); 0: it depends on the
 * guest's memory (a narrow card behind an IOMMU).
 */
static uint64_t copy_buf_max(const struct busmaster_info *info)
{
	if (info->bounce == BUSMASTER_BOUNCE_NONE ||
	    (info->bounce == BUSMASTER_BOUNCE_IOMMU && info->dma_addr_bits == 64))
		return COPY_BUF;
	return info->bounce == BUSMASTER_BOUNCE_IOMMU ? 0 : 65536;
}

/*
 * Requests up to copy_max bytes that fit the file's buffer are copied
 * through it, the rest pinned; BUSMASTER_XFER_COPY and _PIN overrule the
 * size, and a forced copy larger than the buffer goes through it piece by
 * piece. The
 * bytes arrive either way; statistics/requests_copied and bytes_copied
 * tell which way they went.
 */
TEST_F(card, small_requests_are_copied_and_flags_choose)
{
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment, mem = c->info.card_mem_size;
	long long max = copy_max(), req0, bytes0;
	uint64_t buf_max = copy_buf_max(&c->info);
	uint64_t limit = buf_max < (uint64_t)max ? buf_max : (uint64_t)max;
	const struct {
		uint64_t len;
		uint32_t how;
		bool copied;
	} cases[] = {
		{ a, 0, true },
		{ PAGE + a, 0, true },
		{ limit, 0, true },
		{ limit + PAGE, 0, false },
		{ PAGE, BUSMASTER_XFER_PIN, false },
		{ 3 * 65536 + 5 * PAGE + a, BUSMASTER_XFER_COPY, true },
		/* More than the buffer: pieces on the card while the next is copied. */
		{ 5 * COPY_BUF + 3 * PAGE + a, BUSMASTER_XFER_COPY, true },
	};

	ASSERT_LE(0, max) TH_LOG("no %s", COPY_MAX_PARAM);
	ASSERT_GE((long long)COPY_BUF, max);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t len = bm_align_down(cases[i].len, a);

		/* edu moves 4095 bytes per 100 ms: only what fits its memory. */
		if (!len || len > mem || ((i == 2 || i == 3) && !buf_max) ||
		    (c->info.card_model == BUSMASTER_MODEL_EDU && len > 4 * PAGE))
			continue;
		req0 = bm_sysfs_num(c->id, "statistics/requests_copied");
		bytes0 = bm_sysfs_num(c->id, "statistics/bytes_copied");
		ASSERT_LE(0, req0);
		round_trip_how(_metadata, c, len, bm_align_down(100 + i, a), a,
			       bm_align_down(mem - len, a), 40 + i, cases[i].how);
		EXPECT_EQ(cases[i].copied ? 2 : 0,
			  bm_sysfs_num(c->id, "statistics/requests_copied") - req0)
			TH_LOG("%llu bytes, flags %#x: %s expected", (unsigned long long)len,
			       cases[i].how, cases[i].copied ? "copied" : "pinned");
		EXPECT_EQ(cases[i].copied ? 2 * (long long)len : 0,
			  bm_sysfs_num(c->id, "statistics/bytes_copied") - bytes0);
	}
}

/* Both flags, or a flag on a common or registered buffer, or on SUBMIT. */
TEST_F(card, copy_and_pin_flags_refused_where_meaningless)
{
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment;
	uint8_t *buf = aligned_alloc(PAGE, PAGE);
	struct busmaster_transfer t;
	uint32_t handle;
	uint64_t id;

	ASSERT_NE(NULL, buf);
	memset(buf, 1, PAGE);
	if (c->bar)
		memset((void *)c->bar, 0x22, a);
	EXPECT_EQ(-1, bm_xfer(c->fd, buf, a, 0, BUSMASTER_XFER_COPY |
			      BUSMASTER_XFER_PIN, 0, &t));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, t.bytes_done) TH_LOG("a refused call wrote back");
	ASSERT_EQ(0, bm_register(c->fd, buf, PAGE, 0, &handle));
	t = (struct busmaster_transfer){ .size = sizeof(t), .handle = handle,
		.flags = BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_COPY,
		.length = a };
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t));
	EXPECT_EQ(EINVAL, errno);
	t.flags = BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_PIN;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, bm_unregister(c->fd, handle));
	/* SUBMIT pins: its requests stay in flight, many per file. */
	EXPECT_EQ(-1, bm_submit(c->fd, BUSMASTER_XFER_COPY, 0, (uintptr_t)buf,
				a, 0, 1, &id));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bm_submit(c->fd, BUSMASTER_XFER_PIN, 0, (uintptr_t)buf,
				a, 0, 1, &id));
	EXPECT_EQ(EINVAL, errno);
	/* None of them reached the card; each flag alone, on user memory, does. */
	if (c->bar) {
		EXPECT_EQ(0x22, c->bar[0]) TH_LOG("a refused request moved data");
		EXPECT_EQ(0x22, c->bar[a - 1]);
	}
	EXPECT_EQ(0, bm_xfer(c->fd, buf, a, 0, BUSMASTER_XFER_COPY, 0, &t))
		TH_LOG("%s", strerror(errno));
	if (c->bar)
		EXPECT_EQ(1, c->bar[a - 1]);
	memset(buf, 2, a);
	EXPECT_EQ(0, bm_xfer(c->fd, buf, a, 0, BUSMASTER_XFER_PIN, 0, &t))
		TH_LOG("%s", strerror(errno));
	if (c->bar)
		EXPECT_EQ(2, c->bar[0]);
	free(buf);
}

/* copy_max is a limit root sets between 0 (never copy) and 1 MiB. */
TEST_F(card, copy_max_zero_pins_every_request)
{
	struct bm_card *c = &self->c;
	uint64_t len = bm_align_down(c->info.card_mem_size < PAGE ? c->info.card_mem_size : PAGE,
				     c->info.alignment);
	uint8_t *src = malloc(len), *dst = calloc(1, len);
	long long max = copy_max(), req0;
	struct busmaster_transfer t;
	unsigned int seed = 3;
	char old[32];

	ASSERT_LE(0, max);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	bm_fill_random(src, len, &seed);
	snprintf(old, sizeof(old), "%lld", max);
	EXPECT_EQ(-1, bm_write_file(COPY_MAX_PARAM, "1048577"));
	EXPECT_EQ(max, copy_max());
	ASSERT_EQ(0, bm_write_file(COPY_MAX_PARAM, "0"));
	/* No ASSERT until it is set back: the tests after this one copy. */
	req0 = bm_sysfs_num(c->id, "statistics/requests_copied");
	EXPECT_EQ(0, bm_xfer(c->fd, src, len, 0, 0, 0, &t))
		TH_LOG("to card: %s, %llu done", strerror(errno), (unsigned long long)t.bytes_done);
	EXPECT_EQ(0, bm_xfer(c->fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t))
		TH_LOG("from card: %s, %llu done", strerror(errno), (unsigned long long)t.bytes_done);
	EXPECT_EQ(0, memcmp(src, dst, len));
	EXPECT_EQ(req0, bm_sysfs_num(c->id, "statistics/requests_copied"));
	EXPECT_EQ(0, bm_write_file(COPY_MAX_PARAM, old));
	EXPECT_EQ(max, copy_max());
	free(src);
	free(dst);
}

/*
 * A copied request's pieces on the card while the next is copied: user
 * pages that are not present there (never touched, or dropped) are
 * faulted in with the card's pieces done first, and every byte still
 * arrives where it belongs -- a dropped page of private memory reads as
 * zeros, a never-touched destination gets the card's bytes.
 */
TEST_F(card, copy_pieces_around_pages_not_present)
{
	struct bm_card *c = &self->c;
	uint64_t len = bm_align_down(3 * COPY_BUF + 5 * PAGE, c->info.alignment);
	uint64_t hole = 2 * COPY_BUF + PAGE;	/* a page dropped in the 9th piece */
	struct busmaster_transfer t;
	uint8_t *src, *dst, *want;
	unsigned int seed = 11;
	long bad;

	if (len > c->info.card_mem_size || c->info.card_model == BUSMASTER_MODEL_EDU)
		SKIP(return, "%llu bytes do not fit the card's memory (or edu's pace)",
		     (unsigned long long)len);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	want = calloc(1, len);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_NE(NULL, want);
	/*
	 * The source: random bytes, one page dropped, the last 2.5 pieces and
	 * more never touched -- and never read here, which would map them.
	 */
	bm_fill_random(want, COPY_BUF * 2 + COPY_BUF / 2, &seed);
	memset(want + hole, 0, PAGE);
	memcpy(src, want, COPY_BUF * 2 + COPY_BUF / 2);
	ASSERT_EQ(0, madvise(src + hole, PAGE, MADV_DONTNEED));

	ASSERT_EQ(0, bm_xfer(c->fd, src, len, 0, BUSMASTER_XFER_COPY, 0, &t))
		TH_LOG("%s: to card: %s, %llu done", c->info.pci_slot, strerror(errno),
		       (unsigned long long)t.bytes_done);
	EXPECT_EQ(len, t.bytes_done);
	if (c->bar) {
		bad = bm_first_diff(c->bar, want, len);
		EXPECT_EQ(-1, bad) TH_LOG("card memory differs at byte %ld", bad);
	}
	/* Into memory never touched: every page faults, after the first piece. */
	ASSERT_EQ(0, bm_xfer(c->fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD |
			     BUSMASTER_XFER_COPY, 0, &t))
		TH_LOG("%s: from card: %s, %llu done", c->info.pci_slot, strerror(errno),
		       (unsigned long long)t.bytes_done);
	EXPECT_EQ(len, t.bytes_done);
	bad = bm_first_diff(dst, want, len);
	EXPECT_EQ(-1, bad) TH_LOG("came back wrong at byte %ld", bad);
	munmap(src, len);
	munmap(dst, len);
	free(want);
}

/* MemFree of /proc/meminfo, KiB; -1 if unreadable. */
static long mem_free_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/*
 * 160 files each wanting a 1 MiB copy buffer (a forced copy of 1 MiB) hold
 * the card's budget (64 MiB) and 64 KiB each past it -- about 70 MiB of
 * the guest's free memory (96 on the debug kernel with an IOMMU: KASAN's
 * shadow, page tables), not 160 -- with every byte right, and give it back
 * at close.
 */
#define BUDGET_FILES	160
TEST_F(card, copy_buffers_beyond_the_cards_budget)
{
	struct bm_card *c = &self->c;
	uint64_t len = COPY_BUF;
	struct busmaster_transfer t;
	uint8_t *src = malloc(len), *dst = malloc(len);
	long before = mem_free_kb(), held, peak, pages;
	long pages0 = bm_debugfs_read(c->id, "copy_buffer_pages");
	int fds[BUDGET_FILES];
	long bad;

	if (copy_buf_max(&c->info) != COPY_BUF || len > c->info.card_mem_size)
		SKIP(return, "its copy buffer is 64 KiB, or 1 MiB does not fit the card");
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	ASSERT_LT(0, before);
	for (unsigned int i = 0; i < BUDGET_FILES; i++) {
		unsigned int seed = 500 + i;

		fds[i] = bm_open_id(c->id, O_RDWR);
		ASSERT_LE(0, fds[i]) TH_LOG("open %u: %s", i, strerror(errno));
		bm_fill_random(src, len, &seed);
		memset(dst, 0, len);
		ASSERT_EQ(0, bm_xfer(fds[i], src, len, 0, BUSMASTER_XFER_COPY, 0, &t))
			TH_LOG("file %u, to card: %s", i, strerror(errno));
		ASSERT_EQ(0, bm_xfer(fds[i], dst, len, 0,
				     BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COPY, 0, &t))
			TH_LOG("file %u, from card: %s", i, strerror(errno));
		bad = bm_first_diff(dst, src, len);
		ASSERT_EQ(-1, bad) TH_LOG("file %u: wrong at byte %ld", i, bad);
	}
	peak = before - mem_free_kb();
	EXPECT_GT(120 << 10, peak) TH_LOG("%d files hold %ld KiB", BUDGET_FILES, peak);
	pages = bm_debugfs_read(c->id, "copy_buffer_pages");
	if (pages >= 0)
		EXPECT_GE(16384, pages - pages0);
	for (unsigned int i = 0; i < BUDGET_FILES; i++)
		close(fds[i]);
	/* Most of it back (the debug kernel's KASAN and kmemleak keep some). */
	held = before - mem_free_kb();
	EXPECT_GT(peak / 2, held) TH_LOG("%ld KiB of %ld still held after close", held, peak);
	if (pages >= 0)
		EXPECT_EQ(pages0, bm_debugfs_read(c->id, "copy_buffer_pages"));
	free(src);
	free(dst);
}

struct copier {
	struct bm_card *c;
	unsigned int n;
	int bad;
};

/* 40 round trips of one page of its own through the shared file. */
static void *copier_run(void *arg)
{
	struct copier *cp = arg;
	uint64_t a = cp->c->info.alignment, len = bm_align_down(PAGE, a);
	uint64_t off = cp->n * len;
	uint8_t *src = malloc(len), *dst = malloc(len);
	struct busmaster_transfer t;
	unsigned int seed = cp->n;

	for (int i = 0; i < 40 && src && dst && !cp->bad; i++) {
		bm_fill_random(src, len, &seed);
		memset(dst, 0, len);
		if (bm_xfer(cp->c->fd, src, len, off, 0, 0, &t) ||
		    bm_xfer(cp->c->fd, dst, len, off, BUSMASTER_XFER_FROM_CARD, 0, &t) ||
		    memcmp(src, dst, len))
			cp->bad = errno ?: EIO;
	}
	free(src);
	free(dst);
	return NULL;
}

/*
 * Threads of one file share its copy buffer: each request gets it or is
 * pinned instead, never waits for it, and every byte is its own.
 */
TEST_F_TIMEOUT(card, threads_sharing_a_file_copy_or_pin, 120)
{
	struct bm_card *c = &self->c;
	struct copier cp[4];
	pthread_t th[4];

	if (c->info.card_model == BUSMASTER_MODEL_EDU || c->info.card_mem_size < 4 * PAGE)
		SKIP(return, "edu moves a page per 100 ms: 320 transfers take too long");
	for (unsigned int i = 0; i < 4; i++) {
		cp[i] = (struct copier){ .c = c, .n = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, copier_run, &cp[i]));
	}
	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, cp[i].bad) TH_LOG("thread %u: %s", i, strerror(cp[i].bad));
	}
}

/* A request bigger than the map-register budget is split, and still right. */
TEST_F(card, split_by_map_registers_and_card_limits)
{
	struct bm_card *c = &self->c;
	uint64_t budget = (uint64_t)c->info.map_registers * PAGE;
	uint64_t len = bm_align_down(budget * 2 + 3 * PAGE + 100, c->info.alignment);
	struct busmaster_transfer t;
	uint8_t *buf;
	unsigned int seed = 7;

	if (len > c->info.card_mem_size)
		len = bm_align_down(c->info.card_mem_size, c->info.alignment);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	bm_fill_random(buf, len, &seed);
	ASSERT_EQ(0, bm_xfer(c->fd, buf, len, 0, 0, 0, &t))
		TH_LOG("%s: %s", c->info.pci_slot, strerror(errno));
	EXPECT_EQ(len, t.bytes_done);
	/* At least one card transfer per budget-sized chunk. */
	EXPECT_LE((len + budget - 1) / budget, t.transfers)
		TH_LOG("%s: %llu bytes in %u transfers, budget %llu",
		       c->info.pci_slot, (unsigned long long)len, t.transfers,
		       (unsigned long long)budget);
	EXPECT_LE((len + c->info.max_transfer_size - 1) / c->info.max_transfer_size,
		  t.transfers);
	if (c->bar)
		EXPECT_EQ(-1, bm_first_diff(c->bar, buf, len));
	free(buf);

}

#define HUGE	(2UL * 1024 * 1024)

/* kB of transparent huge pages in the mapping holding @addr, from smaps. */
static long thp_kb(const void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	long kb = -1;
	int in = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = a >= lo && a < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

/* Two huge pages' worth, 2 MiB aligned, of transparent huge pages or hugetlb. */
static uint8_t *huge_alloc(bool hugetlb)
{
	uint8_t *p, *at;

	if (hugetlb) {
		p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED) {
			/* Reserve a few (root; the guest's default is none). */
			FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

			if (f) {
				fputs("4\n", f);
				fclose(f);
			}
			p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		}
		return p == MAP_FAILED ? NULL : p;
	}
	p = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	at = (uint8_t *)(((unsigned long)p + HUGE - 1) & ~(HUGE - 1));
	/* Keep exactly the aligned 2 MiB. */
	if (at > p)
		munmap(p, at - p);
	munmap(at + HUGE, p + HUGE - at);
	p = at;
	if (madvise(at, HUGE, MADV_HUGEPAGE)) {
		munmap(at, HUGE);
		return NULL;
	}
	memset(at, 0x11, HUGE);
	if (thp_kb(at) < 2048) {
		munmap(at, HUGE);
		return NULL;
	}
	return at;
}

/*
 * Buffers in huge pages: physically contiguous runs far longer than a
 * bounce mapping may be (256 KiB with swiotlb), so the driver must cut its
 * segments to what the DMA API can map. With swiotlb=force, 262,145 bytes
 * from one transparent huge page failed with EIO, 262,144 worked.
 */
TEST_F(card, huge_page_buffers_round_trip)
{
	const uint64_t sizes[] = { 256 * 1024, 256 * 1024 + 1, HUGE - 3 };
	struct bm_card *c = &self->c;
	int tested = 0;

	for (int kind = 0; kind < 2; kind++) {
		const char *name = kind ? "hugetlb" : "transparent huge page";
		uint8_t *src = huge_alloc(kind), *dst = huge_alloc(kind);
		unsigned int seed = 21;

		if (!src || !dst) {
			if (src)
				munmap(src, HUGE);
			if (dst)
				munmap(dst, HUGE);
			TH_LOG("no %s buffers here (%s): not tested", name,
			       kind ? "no hugetlb pages can be reserved" :
				      "THP disabled or none available");
			continue;
		}
		tested++;
		bm_fill_random(src, HUGE, &seed);
		for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			uint64_t off = bm_align_down(1, c->info.alignment);
			uint64_t len = bm_align_down(sizes[s], c->info.alignment);
			struct busmaster_transfer t;
			long bad;

			if (off + len > HUGE)
				len = bm_align_down(HUGE - off, c->info.alignment);
			if (len > c->info.card_mem_size)
				len = bm_align_down(c->info.card_mem_size, c->info.alignment);
			memset(dst, 0xee, HUGE);
			ASSERT_EQ(0, bm_xfer(c->fd, src + off, len, 0, 0, 0, &t))
				TH_LOG("%s: %llu bytes from a %s: %s (done %llu, card status %#x)",
				       c->info.pci_slot, (unsigned long long)len, name,
				       strerror(errno), (unsigned long long)t.bytes_done,
				       t.card_status);
			ASSERT_EQ(0, bm_xfer(c->fd, dst + off, len, 0,
					     BUSMASTER_XFER_FROM_CARD, 0, &t))
				TH_LOG("%s: %llu bytes into a %s: %s", c->info.pci_slot,
				       (unsigned long long)len, name, strerror(errno));
			bad = bm_first_diff(dst + off, src + off, len);
			EXPECT_EQ(-1, bad) TH_LOG("%s: %s, %llu bytes: wrong at byte %ld",
						  c->info.pci_slot, name,
						  (unsigned long long)len, bad);
			if (off)
				EXPECT_EQ(0xee, dst[0]);
			if (off + len < HUGE)
				EXPECT_EQ(0xee, dst[off + len]);
		}

		munmap(src, HUGE);
		munmap(dst, HUGE);
	}
	if (!tested)
		SKIP(return, "neither transparent huge pages nor hugetlb pages here");
}

/* Card -> memory into read-only memory fails before any DMA. */
TEST_F(card, read_only_memory_refused_for_card_to_memory)
{
	struct bm_card *c = &self->c;
	uint64_t len = bm_align_down(c->info.card_mem_size < PAGE ?
				  c->info.card_mem_size : PAGE, c->info.alignment);
	uint8_t *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	struct busmaster_transfer t;

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, bm_xfer(c->fd, ro, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, t.bytes_done);
	/* Memory -> card from it is fine: the card only reads it. */
	EXPECT_EQ(0, bm_xfer(c->fd, ro, len, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	if (c->bar)
		EXPECT_EQ(-1, bm_first_diff(c->bar, ro, len));
	munmap(ro, PAGE);

}

/*
 * A read-only page part-way through a card -> memory request fails it
 * before any DMA: EFAULT, nothing written back into the argument, and not
 * one byte of the buffer changed (it did: 5 MiB of 8 landed first).
 */
TEST_F(card, read_only_page_part_way_fails_before_any_dma)
{
	struct bm_card *c = &self->c;
	uint64_t mem = c->info.card_mem_size;
	uint64_t len = bm_align_down(mem < (8 << 20) ? mem : 8 << 20,
				     c->info.alignment);
	uint64_t off = len < 2 * PAGE ? PAGE - len / 2 : 0;
	uint64_t ro_page = (off + len * 5 / 8) / PAGE * PAGE;
	size_t map_len = (off + len + PAGE - 1) / PAGE * PAGE;
	uint8_t *map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf = map + bm_align_down(off, c->info.alignment);
	struct busmaster_transfer t;

	ASSERT_NE(MAP_FAILED, map);
	ASSERT_LT(ro_page, map_len);
	memset(map, 0x5c, map_len);
	if (c->bar)
		memset((void *)c->bar, 0xc5, len);
	ASSERT_EQ(0, mprotect(map + ro_page, PAGE, PROT_READ));
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.flags = BUSMASTER_XFER_FROM_CARD;
	t.addr = (uintptr_t)buf;
	t.length = len;
	t.bytes_done = 0xdead;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0xdead, t.bytes_done) TH_LOG("%s: the refusal wrote back", c->info.pci_slot);
	for (size_t k = 0; k < map_len; k++)
		if (map[k] != 0x5c) {
			EXPECT_EQ(0x5c, map[k]) TH_LOG("%s: byte %zu of %llu written",
							c->info.pci_slot, k,
							(unsigned long long)len);
			break;
		}
	munmap(map, map_len);

}

/* Every malformed request fails with its errno and moves nothing. */
TEST_F(card, bad_requests_are_refused)
{
	struct bm_card *c = &self->c;
	uint64_t mem = c->info.card_mem_size, a = c->info.alignment;
	uint8_t *buf = aligned_alloc(PAGE, 2 * PAGE);
	struct busmaster_transfer t;

	ASSERT_NE(NULL, buf);
	memset(buf, 0x11, 2 * PAGE);
	if (c->bar)
		memset((void *)c->bar, 0x22, a * 2);

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.addr = (uintptr_t)buf;
	t.length = a;
	t.flags = 1U << 6;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown flag");
	t.flags = BUSMASTER_XFER_IOVEC;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("SUBMIT's flag");
	t.flags = 0;
	t.reserved = 1;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("reserved");
	EXPECT_EQ(0, t.bytes_done) TH_LOG("a refused call wrote back");

	EXPECT_EQ(-1, bm_xfer(c->fd, buf, 0, 0, 0, 0, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("zero length");
	EXPECT_EQ(-1, bm_xfer(c->fd, (void *)(uintptr_t)(UINT64_MAX - a + 1), 2 * a, 0, 0, 0, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("address + length overflows");
	EXPECT_EQ(-1, bm_xfer(c->fd, buf, a, mem, 0, 0, &t));
	EXPECT_EQ(ERANGE, errno) TH_LOG("card offset at the end of card memory");
	EXPECT_EQ(-1, bm_xfer(c->fd, buf, mem + a, 0, 0, 0, &t));
	EXPECT_EQ(ERANGE, errno) TH_LOG("longer than card memory");
	EXPECT_EQ(-1, bm_xfer(c->fd, buf, a, UINT64_MAX - a + 1, 0, 0, &t));
	EXPECT_EQ(ERANGE, errno) TH_LOG("card offset + length overflows");
	EXPECT_EQ(-1, bm_xfer(c->fd, NULL, a, 0, 0, 0, &t));
	EXPECT_EQ(EFAULT, errno) TH_LOG("unmapped address");
	EXPECT_EQ(-1, bm_xfer(c->fd, buf, a, 0, 0, BUSMASTER_TIMEOUT_MAX_MS + 1, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("timeout over BUSMASTER_TIMEOUT_MAX_MS");
	if (a > 1) {
		EXPECT_EQ(-1, bm_xfer(c->fd, buf + 1, a, 0, 0, 0, &t));
		EXPECT_EQ(EINVAL, errno) TH_LOG("misaligned address");
		EXPECT_EQ(-1, bm_xfer(c->fd, buf, a + 1, 0, 0, 0, &t));
		EXPECT_EQ(EINVAL, errno) TH_LOG("misaligned length");
		EXPECT_EQ(-1, bm_xfer(c->fd, buf, a, 1, 0, 0, &t));
		EXPECT_EQ(EINVAL, errno) TH_LOG("misaligned card offset");
	}
	if (c->bar) {
		for (uint64_t b = 0; b < a * 2; b++) {
			ASSERT_EQ(0x22, c->bar[b]) TH_LOG("card memory changed");
		}
	}
	free(buf);

}

static int common_transfer(struct bm_card *c, uint32_t handle, uint64_t off,
			   uint64_t len, uint64_t card_off, uint32_t flags,
			   struct busmaster_transfer *t)
{
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
	t->flags = flags | BUSMASTER_XFER_COMMON;
	t->handle = handle;
	t->addr = off;
	t->length = len;
	t->card_offset = card_off;
	return ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, t);
}

/*
 * AllocateCommonBuffer: the process fills the buffer through mmap, the card
 * reads it, writes it back elsewhere in the buffer, and the process sees it.
 */
TEST_F(card, common_buffer_both_directions_through_mmap)
{
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment;
	uint64_t len = bm_align_down(c->info.card_mem_size < 3 * PAGE + 100 ?
				  c->info.card_mem_size / 2 : 3 * PAGE + 100, a);
	uint64_t size = 2 * len + 2 * PAGE, half = bm_align_down(size / 2, a);
	struct busmaster_common_alloc ca;
	struct busmaster_transfer t;
	unsigned int seed = 99;
	uint8_t *map;

	ASSERT_EQ(0, bm_common_alloc(c->fd, size, &ca)) TH_LOG("%s", strerror(errno));
	EXPECT_NE(0, ca.handle);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		   ca.mmap_offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	bm_fill_random(map, size, &seed);

	ASSERT_EQ(0, common_transfer(c, ca.handle, a, len, a, 0, &t))
		TH_LOG("%s: to card: %s", c->info.pci_slot, strerror(errno));
	EXPECT_EQ(len, t.bytes_done);
	if (c->bar)
		EXPECT_EQ(-1, bm_first_diff(c->bar + a, map + a, len));
	ASSERT_EQ(0, common_transfer(c, ca.handle, half, len, a,
				     BUSMASTER_XFER_FROM_CARD, &t))
		TH_LOG("%s: from card: %s", c->info.pci_slot, strerror(errno));
	EXPECT_EQ(-1, bm_first_diff(map + half, map + a, len))
		TH_LOG("%s: the card's bytes did not appear in the mapping",
		       c->info.pci_slot);

	/* The mapping outlives the handle: still the same memory. */
	ASSERT_EQ(0, bm_common_free(c->fd, ca.handle));
	EXPECT_EQ(-1, bm_first_diff(map + half, map + a, len));
	map[0] ^= 0xff;
	EXPECT_EQ(-1, common_transfer(c, ca.handle, 0, a, 0, 0, &t));
	EXPECT_EQ(ENOENT, errno) TH_LOG("a freed handle still works");
	ASSERT_EQ(0, munmap(map, size));

}

/*
 * A card that cannot cross an address boundary (seg_boundary_bits in QEMU:
 * 64 KiB for the ISA-era card) never gets a segment that does, from user
 * memory (huge pages where there are: long contiguous runs), a common
 * buffer (one contiguous block) or a registered buffer; the card fails
 * such a segment with ERR_BOUNDARY (0x89), so the bytes prove it.
 */
TEST_F(card, segments_never_cross_the_cards_boundary)
{
	struct bm_card *c = &self->c;
	uint64_t b = c->info.seg_boundary, a = c->info.alignment;
	uint64_t len = bm_align_down(3 * b + 5, a), off = b - a;
	struct busmaster_common_alloc ca;
	struct busmaster_unregister u = { .size = sizeof(u) };
	struct busmaster_register r;
	struct busmaster_transfer t;
	uint8_t *buf, *back, *map;
	unsigned int seed = 5;

	if (!b)
		SKIP(return, "%s has no segment boundary (QEMU seg_boundary_bits)",
		     c->info.pci_slot);
	if (off + len > c->info.card_mem_size)
		len = bm_align_down(c->info.card_mem_size - off, a);
	ASSERT_GE(HUGE, off + len);
	buf = huge_alloc(false);
	if (!buf)
		buf = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	back = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_NE(MAP_FAILED, back);
	bm_fill_random(buf, HUGE, &seed);

	/* User memory, both ways. */
	ASSERT_EQ(0, bm_xfer(c->fd, buf + off, len, off, 0, 0, &t))
		TH_LOG("%s: %s, card status %#x", c->info.pci_slot, strerror(errno),
		       t.card_status);
	if (c->bar)
		EXPECT_EQ(-1, bm_first_diff(c->bar + off, buf + off, len));
	ASSERT_EQ(0, bm_xfer(c->fd, back + off, len, off, BUSMASTER_XFER_FROM_CARD,
			     0, &t))
		TH_LOG("%s: %s, card status %#x", c->info.pci_slot, strerror(errno),
		       t.card_status);
	EXPECT_EQ(-1, bm_first_diff(back + off, buf + off, len));

	/* A common buffer across the lines. */
	if (4 * b <= c->info.common_max) {
		ASSERT_EQ(0, bm_common_alloc(c->fd, 4 * b, &ca));
		map = mmap(NULL, 4 * b, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
			   ca.mmap_offset);
		ASSERT_NE(MAP_FAILED, map);
		memset(map, 0, 4 * b);
		ASSERT_EQ(0, common_transfer(c, ca.handle, off, len > 3 * b - off ?
					     bm_align_down(3 * b - off, a) : len, off,
					     BUSMASTER_XFER_FROM_CARD, &t))
			TH_LOG("%s: common: %s, card status %#x", c->info.pci_slot,
			       strerror(errno), t.card_status);
		EXPECT_EQ(-1, bm_first_diff(map + off, buf + off, t.length));
		munmap(map, 4 * b);
		bm_common_free(c->fd, ca.handle);
	}

	/* A registered buffer, to the card again from another place. */
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.addr = (uintptr_t)back;
	r.length = HUGE;
	bm_fill_random(back, HUGE, &seed);
	ASSERT_EQ(0, ioctl(c->fd, BUSMASTER_IOCTL_REGISTER, &r)) TH_LOG("%s", strerror(errno));
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.flags = BUSMASTER_XFER_REGISTERED;
	t.handle = r.handle;
	t.addr = off;
	t.length = len;
	t.card_offset = off;
	ASSERT_EQ(0, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t))
		TH_LOG("%s: registered: %s, card status %#x", c->info.pci_slot,
		       strerror(errno), t.card_status);
	if (c->bar)
		EXPECT_EQ(-1, bm_first_diff(c->bar + off, back + off, len));
	u.handle = r.handle;
	EXPECT_EQ(0, ioctl(c->fd, BUSMASTER_IOCTL_UNREGISTER, &u));
	munmap(buf, HUGE);
	munmap(back, HUGE);
}

/*
 * Two files of one card each get their first common buffer (handle 1 in
 * both): one file freeing its buffer must not touch the other's mapping.
 * (The mmap offset was the handle, and the device file's mappings are
 * zapped by offset: the other process's mapping was zapped -- SIGBUS.)
 */
TEST_F(card, freeing_a_buffer_leaves_another_files_mapping_alone)
{
	struct bm_card *c = &self->c;
	struct busmaster_common_alloc mine, theirs;
	int other = bm_open_id(c->id, O_RDWR), status;
	uint8_t *map, *their_map;
	pid_t pid;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, bm_common_alloc(c->fd, PAGE, &mine));
	ASSERT_EQ(0, bm_common_alloc(other, PAGE, &theirs));
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, mine.mmap_offset);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 0x3c, PAGE);
	/* They map theirs too, unmap it, and free it. */
	their_map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, other,
			 theirs.mmap_offset);
	ASSERT_NE(MAP_FAILED, their_map);
	memset(their_map, 0xc3, PAGE);
	ASSERT_EQ(0, munmap(their_map, PAGE));
	ASSERT_EQ(0, bm_common_free(other, theirs.handle));
	ASSERT_EQ(0, close(other));
	/* In a child: a SIGBUS here must fail the test, not end it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(map[0] == 0x3c && map[PAGE - 1] == 0x3c ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("my mapping after another file freed its buffer: %s %d",
		       WIFSIGNALED(status) ? "signal" : "exit",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	munmap(map, PAGE);
	bm_common_free(c->fd, mine.handle);
}

/*
 * The driver remembers which processes map a common buffer (remove() must
 * wait for their mmap() calls); a process that maps it and exits must not
 * stay remembered, or forking children that map and exit grows kernel
 * memory without bound.
 */
TEST_F(card, processes_that_map_and_exit_leave_nothing)
{
	struct bm_card *c = &self->c;
	struct busmaster_common_alloc ca;
	long before = bm_debugfs_read(c->id, "common_mappers"), after;
	uint8_t *map;

	if (before < 0)
		SKIP(return, "no debugfs common_mappers (needs root)");
	ASSERT_EQ(0, bm_common_alloc(c->fd, PAGE, &ca));
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, ca.mmap_offset);
	ASSERT_NE(MAP_FAILED, map);
	for (int k = 0; k < 50; k++) {
		int status;
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			uint8_t *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
					  c->fd, ca.mmap_offset);

			_exit(m == MAP_FAILED || (m[0] = 1, map[1] = 2, 0));
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	after = bm_debugfs_read(c->id, "common_mappers");
	EXPECT_EQ(before + 1, after) TH_LOG("50 children mapped and exited: %ld remembered",
					    after - before);
	EXPECT_EQ(1, map[0]);
	EXPECT_EQ(0, munmap(map, PAGE));
	EXPECT_EQ(before, bm_debugfs_read(c->id, "common_mappers"));
	EXPECT_EQ(0, bm_common_free(c->fd, ca.handle));
}

/*
 * The largest common buffer INFO promises can be had, mapped whole, and
 * moved through at both its ends. (It used to promise 64 MiB, of which
 * Debian's kernels give at most 4.)
 */
TEST_F(card, common_buffer_of_the_size_info_promises)
{
	struct bm_card *c = &self->c;
	uint64_t size = c->info.common_max;
	uint64_t len = bm_align_down(c->info.card_mem_size / 2 < 256 * 1024 ?
				     c->info.card_mem_size / 2 : 256 * 1024,
				     c->info.alignment);
	struct busmaster_common_alloc ca;
	struct busmaster_transfer t;
	unsigned int seed = 77;
	uint8_t *map;

	ASSERT_LE(PAGE, size);
	ASSERT_GE(BUSMASTER_COMMON_MAX, size);
	ASSERT_EQ(0, bm_common_alloc(c->fd, size, &ca))
		TH_LOG("%s: %llu bytes, INFO's common_max: %s", c->info.pci_slot,
		       (unsigned long long)size, strerror(errno));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		   ca.mmap_offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	bm_fill_random(map, size, &seed);
	/* Its last bytes to the card, back into its first. */
	ASSERT_EQ(0, common_transfer(c, ca.handle, size - len, len, 0, 0, &t))
		TH_LOG("%s: to card: %s", c->info.pci_slot, strerror(errno));
	if (c->bar)
		EXPECT_EQ(-1, bm_first_diff(c->bar, map + size - len, len));
	ASSERT_EQ(0, common_transfer(c, ca.handle, 0, len, 0,
				     BUSMASTER_XFER_FROM_CARD, &t));
	EXPECT_EQ(-1, bm_first_diff(map, map + size - len, len));
	ASSERT_EQ(0, munmap(map, size));
	ASSERT_EQ(0, bm_common_free(c->fd, ca.handle));

}

/*
 * A card below 32 bits without an IOMMU gets its common buffers from the
 * 16 MiB ZONE_DMA every such device shares: all of its files together get
 * zone_dma_kb of it, then ENOMEM; freeing gives it back. (Any opener could
 * take all of ZONE_DMA before.)
 */
TEST_F(card, zone_dma_use_is_bounded_per_card)
{
	const uint64_t piece = 256 * 1024;
	long kb = bm_debugfs_read_file("/sys/module/busmaster/parameters/zone_dma_kb");

	/* No such parameter: a driver without the bound, held to the default. */
	if (kb < 0)
		kb = 4096;
	if (!kb)
		SKIP(return, "zone_dma_kb=0: no limit to test");
	struct bm_card *c = &self->c;
	struct busmaster_common_alloc a, extra;
	uint32_t h[BUSMASTER_COMMON_PER_FILE];
	int fd2, n = (int)(kb * 1024 / piece), k;

	if (c->info.dma_addr_bits >= 32 ||
	    c->info.bounce == BUSMASTER_BOUNCE_IOMMU ||
	    c->info.common_max < piece || n >= BUSMASTER_COMMON_PER_FILE)
		SKIP(return, "%s: not below 32 bits without an IOMMU",
		     c->info.pci_slot);
	fd2 = bm_open_id(c->id, O_RDWR);
	ASSERT_LE(0, fd2);
	/* Two files, one card: the share is the card's. */
	for (k = 0; k < n; k++) {
		ASSERT_EQ(0, bm_common_alloc(k % 2 ? fd2 : c->fd, piece, &a))
			TH_LOG("%s: buffer %d of %llu bytes: %s", c->info.pci_slot,
			       k, (unsigned long long)piece, strerror(errno));
		h[k] = a.handle;
	}
	EXPECT_EQ(n * (long)(piece / 4096), bm_debugfs_read(c->id, "zone_dma_pages"));
	EXPECT_EQ(-1, bm_common_alloc(c->fd, piece, &extra));
	EXPECT_EQ(ENOMEM, errno) TH_LOG("%s: past %ld KiB", c->info.pci_slot, kb);
	EXPECT_EQ(-1, bm_common_alloc(fd2, 4096, &extra));
	EXPECT_EQ(ENOMEM, errno);
	/* Freed in one file, taken in the other. */
	ASSERT_EQ(0, bm_common_free(c->fd, h[0]));
	ASSERT_EQ(0, bm_common_alloc(fd2, piece, &extra)) TH_LOG("%s", strerror(errno));
	h[0] = extra.handle;
	/* And it moves data: filled through mmap, checked in the BAR. */
	if (c->bar && c->info.card_mem_size >= piece) {
		uint8_t *m = mmap(NULL, piece, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd2, extra.mmap_offset);
		struct busmaster_transfer t = {
			.size = sizeof(t), .flags = BUSMASTER_XFER_COMMON,
			.handle = extra.handle, .length = piece,
		};

		ASSERT_NE(MAP_FAILED, m);
		for (uint64_t b = 0; b < piece; b++)
			m[b] = (uint8_t)(b * 13 + 5);
		memset((void *)c->bar, 0, piece);
		EXPECT_EQ(0, ioctl(fd2, BUSMASTER_IOCTL_TRANSFER, &t))
			TH_LOG("%s", strerror(errno));
		EXPECT_EQ(0, memcmp((const void *)c->bar, m, piece))
			TH_LOG("wrong bytes in card memory");
		munmap(m, piece);
	}
	for (k = 0; k < n; k++)
		EXPECT_EQ(0, bm_common_free(k % 2 || !k ? fd2 : c->fd, h[k]));
	close(fd2);
	EXPECT_EQ(0, bm_debugfs_read(c->id, "zone_dma_pages"));
	TH_LOG("%s: %d common buffers of %llu KiB, then ENOMEM", c->info.pci_slot,
	       n, (unsigned long long)(piece / 1024));
}

/*
 * A mapping outlives close(): what the card wrote into the common buffer
 * before the close is still there to read afterwards, from the same memory.
 */
TEST_F(card, common_buffer_mapping_outlives_close)
{
	struct bm_card *c = &self->c;
	uint64_t len = bm_align_down(c->info.card_mem_size < PAGE ?
				     c->info.card_mem_size : PAGE, c->info.alignment);
	struct busmaster_common_alloc ca;
	struct busmaster_transfer t;
	struct bm_card own = *c;
	unsigned int seed = 3;
	uint8_t src[PAGE], *map;

	bm_fill_random(src, len, &seed);
	ASSERT_EQ(0, bm_xfer(c->fd, src, len, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	own.fd = bm_open_id(c->id, O_RDWR);
	ASSERT_LE(0, own.fd);
	ASSERT_EQ(0, bm_common_alloc(own.fd, PAGE, &ca));
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, own.fd, ca.mmap_offset);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 0, PAGE);
	ASSERT_EQ(0, common_transfer(&own, ca.handle, 0, len, 0,
				     BUSMASTER_XFER_FROM_CARD, &t));
	ASSERT_EQ(0, close(own.fd));	/* the handle goes; the mapping stays */
	EXPECT_EQ(0, memcmp(map, src, len)) TH_LOG("the card's bytes are gone after close");
	ASSERT_EQ(0, munmap(map, PAGE));
}

TEST_F(card, common_buffer_bad_requests)
{
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment;
	struct busmaster_common_alloc ca, other;
	struct busmaster_transfer t;
	int fd2;
	void *p;

	EXPECT_EQ(-1, bm_common_alloc(c->fd, 0, &ca));
	EXPECT_EQ(EINVAL, errno) TH_LOG("zero length");
	EXPECT_EQ(-1, bm_common_alloc(c->fd, BUSMASTER_COMMON_MAX + 1, &ca));
	EXPECT_EQ(EINVAL, errno) TH_LOG("over BUSMASTER_COMMON_MAX");
	EXPECT_EQ(-1, bm_common_alloc(c->fd, c->info.common_max + 1, &ca));
	EXPECT_EQ(EINVAL, errno) TH_LOG("over INFO's common_max");
	memset(&ca, 0, sizeof(ca));
	ca.size = sizeof(ca);
	ca.length = PAGE;
	ca.flags = 1;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_COMMON_ALLOC, &ca));
	EXPECT_EQ(EINVAL, errno) TH_LOG("flags");
	EXPECT_EQ(-1, bm_common_free(c->fd, 12345));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, bm_common_alloc(c->fd, PAGE, &ca));
	EXPECT_EQ(-1, common_transfer(c, ca.handle, 0, PAGE + a, 0, 0, &t));
	EXPECT_EQ(ERANGE, errno) TH_LOG("past the buffer's end");
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.handle = ca.handle;
	t.addr = (uintptr_t)&t;
	t.length = a;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("a handle without BUSMASTER_XFER_COMMON");

	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, c->fd, ca.mmap_offset);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("a private mapping of a common buffer");
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, c->fd, ca.mmap_offset);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("a mapping past the buffer");
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, c->fd, ca.mmap_offset + (1ULL << 32));
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("an offset naming no buffer");

	/* Handles belong to their file: another file's second buffer is not ours. */
	fd2 = bm_open_id(c->id, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bm_common_alloc(fd2, PAGE, &other));
	ASSERT_EQ(0, bm_common_alloc(fd2, PAGE, &other));
	ASSERT_NE(ca.handle, other.handle);
	EXPECT_EQ(-1, common_transfer(c, other.handle, 0, a, 0, 0, &t));
	EXPECT_EQ(ENOENT, errno) TH_LOG("another file's handle");
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, c->fd, other.mmap_offset);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("another file's mmap offset");
	close(fd2);	/* frees its buffers */
	EXPECT_EQ(0, bm_common_free(c->fd, ca.handle));
}

/*
 * A mapping of a common buffer is the card's DMA memory mapped without
 * struct pages: TRANSFER and REGISTER cannot pin it and say EFAULT (the
 * header says so and points to BUSMASTER_XFER_COMMON), changing nothing.
 */
TEST_F(card, common_buffer_mapping_is_not_a_user_buffer)
{
	struct bm_card *c = &self->c;
	struct busmaster_common_alloc ca;
	struct busmaster_register r = { .size = sizeof(r), .length = PAGE };
	struct busmaster_transfer t;
	uint64_t len = bm_align_down(c->info.card_mem_size < PAGE ?
				     c->info.card_mem_size : PAGE, c->info.alignment);
	uint8_t *map;

	ASSERT_EQ(0, bm_common_alloc(c->fd, PAGE, &ca));
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		   (off_t)ca.mmap_offset);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 0x42, PAGE);
	EXPECT_EQ(-1, bm_xfer(c->fd, map, len, 0, 0, 0, &t));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, bm_xfer(c->fd, map, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	EXPECT_EQ(EFAULT, errno);
	r.addr = (uintptr_t)map;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_REGISTER, &r));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, r.handle);
	for (size_t k = 0; k < PAGE; k++)
		if (map[k] != 0x42) {
			EXPECT_EQ(0x42, map[k]) TH_LOG("byte %zu of the common buffer changed", k);
			break;
		}
	munmap(map, PAGE);
	EXPECT_EQ(0, bm_common_free(c->fd, ca.handle));
}

/* Card @id's statistics/ counters, @n of them named in @names, into @v */
static void stats_read(int id, const char *const *names, int n, long long *v)
{
	char name[64];

	for (int k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "statistics/%s", names[k]);
		v[k] = bm_sysfs_num(id, name);
	}
}

/*
 * statistics/ counts what moved: the bytes and card transfers of each
 * direction, the requests and the failed one, the bytes copied through
 * bounce space where the card bounces (all of them through map registers,
 * what lies beyond the card through swiotlb) and only there; nothing
 * stays in flight.
 */
TEST_F(card, statistics_count_what_moved)
{
	enum { TO, FROM, XTO, XFROM, REQ, FAILED, BOUNCED, N };
	static const char *const names[N] = {
		"bytes_to_card", "bytes_from_card", "transfers_to_card",
		"transfers_from_card", "requests", "requests_failed",
		"bytes_bounced",
	};
	struct bm_card *c = &self->c;
	long long len = bm_align_down(c->info.card_model == BUSMASTER_MODEL_EDU ?
				      c->info.card_mem_size : 200 * 1000,
				      c->info.alignment);
	long long before[N], mid[N], after[N], card_bytes, busy;
	struct busmaster_transfer t[3];
	unsigned int seed = 5;
	uint8_t *src = malloc(len), *back = malloc(len);

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	/* The driver always has them: missing is a failure, not a skip. */
	ASSERT_LE(0, bm_sysfs_num(c->id, "statistics/requests"))
		TH_LOG("busmaster%d: no statistics/ in sysfs", c->id);
	bm_fill_random(src, len, &seed);
	/* Our card counts for itself (edu does not): by as much. */
	card_bytes = bm_sysfs_num(c->id, "statistics/card_bytes");
	busy = bm_sysfs_num(c->id, "statistics/card_busy_ns");
	if (c->info.card_model == BUSMASTER_MODEL_EDU) {
		EXPECT_EQ(-1, card_bytes);
		EXPECT_EQ(-1, busy);
	} else {
		EXPECT_LE(0, card_bytes);
		EXPECT_LE(0, busy);
	}
	stats_read(c->id, names, N, before);
	ASSERT_EQ(0, bm_xfer(c->fd, src, len, 0, 0, 0, &t[0]));
	ASSERT_EQ(0, bm_xfer(c->fd, back, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t[1]));
	EXPECT_EQ(-1, bm_first_diff(back, src, len));
	stats_read(c->id, names, N, mid);
	if (c->info.card_model != BUSMASTER_MODEL_EDU) {
		EXPECT_EQ(2 * len, bm_sysfs_num(c->id, "statistics/card_bytes") - card_bytes);
		EXPECT_LT(busy, bm_sysfs_num(c->id, "statistics/card_busy_ns"));
	}
	EXPECT_EQ(len, mid[TO] - before[TO]);
	EXPECT_EQ(len, mid[FROM] - before[FROM]);
	EXPECT_EQ(t[0].transfers, mid[XTO] - before[XTO]);
	EXPECT_EQ(t[1].transfers, mid[XFROM] - before[XFROM]);
	EXPECT_EQ(2, mid[REQ] - before[REQ]);
	EXPECT_EQ(0, mid[FAILED] - before[FAILED]);
	if (c->info.bounce == BUSMASTER_BOUNCE_MAP_REGISTERS) {
		EXPECT_EQ(2 * len, mid[BOUNCED] - before[BOUNCED]);
	} else if (c->info.bounce == BUSMASTER_BOUNCE_SWIOTLB) {
		EXPECT_GE(2 * len, mid[BOUNCED] - before[BOUNCED]);
	} else {
		EXPECT_EQ(0, mid[BOUNCED] - before[BOUNCED]);
	}
	EXPECT_EQ(0, bm_sysfs_num(c->id, "statistics/requests_in_flight"));

	/* One that fails, where the card can be told to fail (debugfs). */
	if (bm_fi_write(c->id, "fail_nth", 1)) {
		free(src);
		free(back);
		return;
	}
	EXPECT_EQ(-1, bm_xfer(c->fd, src, len, 0, 0, 0, &t[2]));
	stats_read(c->id, names, N, after);
	EXPECT_EQ(1, after[REQ] - mid[REQ]);
	EXPECT_EQ(1, after[FAILED] - mid[FAILED]);
	EXPECT_EQ((long long)t[2].bytes_done, after[TO] - mid[TO]);
	EXPECT_EQ(0, bm_sysfs_num(c->id, "statistics/requests_in_flight"));
	free(src);
	free(back);
}

/* The tracing directory (tracefs mounted there if need be), or NULL. */
static const char *tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing",
					    "/sys/kernel/debug/tracing" };
	char path[128];

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	snprintf(path, sizeof(path), "%s/events", dirs[0]);
	if (!mount("nodev", dirs[0], "tracefs", 0, NULL) && !access(path, F_OK))
		return dirs[0];
	return NULL;
}

static int trace_write(const char *dir, const char *file, const char *val)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return bm_write_file(path, val);
}

/* Empty the trace buffer (an open with O_TRUNC does it). */
static int trace_clear(const char *dir)
{
	char path[192];
	int fd;

	snprintf(path, sizeof(path), "%s/trace", dir);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return close(fd);
}

/* What the tracepoints said of request @req (the first one of @dir) */
struct traced {
	unsigned int req;
	unsigned long long length, submitted, done, end_bytes;
	unsigned int submits, dones, bounces, end_transfers;
	int end_error;
	bool ended;
};

static void trace_scan(const char *buf, int card, const char *dir,
		       struct traced *r)
{
	char start[64];
	const char *p;

	memset(r, 0, sizeof(*r));
	snprintf(start, sizeof(start), "busmaster_request_start: busmaster%d req=", card);
	for (p = strstr(buf, start); p; p = strstr(p + 1, start)) {
		char kind[16], d[16];

		if (sscanf(p + strlen(start), "%u %15s %15s length=%llu", &r->req,
			   kind, d, &r->length) == 4 && !strcmp(d, dir))
			break;
	}
	if (!p)
		return;
	for (p = buf; (p = strstr(p, "busmaster_")); p++) {
		unsigned int req, n;
		int cd;
		unsigned long long v;
		int e;

		if (sscanf(p, "busmaster_xfer_submit: busmaster%d req=%u chan=%*u segs=%*u length=%llu",
			   &cd, &req, &v) == 3 && cd == card && req == r->req) {
			r->submits++;
			r->submitted += v;
		} else if (sscanf(p, "busmaster_xfer_done: busmaster%d req=%u chan=%*u bytes_done=%llu",
				  &cd, &req, &v) == 3 && cd == card && req == r->req) {
			r->dones++;
			r->done += v;
		} else if (sscanf(p, "busmaster_bounce: busmaster%d req=%u", &cd, &req) == 2 &&
			   cd == card && req == r->req) {
			r->bounces++;
		} else if (sscanf(p, "busmaster_request_end: busmaster%d req=%u bytes_done=%llu transfers=%u error=%d",
				  &cd, &req, &v, &n, &e) == 5 && cd == card && req == r->req) {
			r->ended = true;
			r->end_bytes = v;
			r->end_transfers = n;
			r->end_error = e;
		}
	}
}

/*
 * The tracepoints follow one request each way: started with its length,
 * its card transfers posted and completed for exactly those bytes, bounce
 * space used where the card bounces and only there, and the end with the
 * ioctl's own bytes_done and transfers.
 */
TEST_F(card, tracepoints_follow_one_request)
{
	struct bm_card *c = &self->c;
	const char *dir = tracefs();
	uint64_t len = bm_align_down(c->info.card_model == BUSMASTER_MODEL_EDU ?
				     c->info.card_mem_size : 300 * 1000,
				     c->info.alignment);
	struct busmaster_transfer t[2];
	unsigned int seed = 77;
	uint8_t *src, *back;
	char path[192], *buf;
	struct traced r;
	size_t got = 0;
	ssize_t n;
	int fd;

	/* A kernel without event tracing has no events/ at all: skip. */
	if (!dir)
		SKIP(return, "no tracefs, or a kernel without event tracing");
	/* One with it must show ours. */
	snprintf(path, sizeof(path), "%s/events/busmaster", dir);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s: no busmaster events", dir);
	src = malloc(len);
	back = malloc(len);
	buf = malloc(1 << 22);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	ASSERT_NE(NULL, buf);
	bm_fill_random(src, len, &seed);

	ASSERT_EQ(0, trace_write(dir, "tracing_on", "0"));
	ASSERT_EQ(0, trace_write(dir, "buffer_size_kb", "4096"));
	ASSERT_EQ(0, trace_clear(dir));
	/*
	 * Without recording task names: that hooks sched_switch, a live
	 * patch of __schedule() while the other vCPU runs it, which QEMU's
	 * TCG executed stale once (6.12: "Oops: int3" in __schedule).
	 */
	ASSERT_EQ(0, trace_write(dir, "options/record-cmd", "0"));
	ASSERT_EQ(0, trace_write(dir, "events/busmaster/enable", "1"));
	ASSERT_EQ(0, trace_write(dir, "tracing_on", "1"));
	EXPECT_EQ(0, bm_xfer(c->fd, src, len, 0, 0, 0, &t[0]));
	EXPECT_EQ(0, bm_xfer(c->fd, back, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t[1]));
	trace_write(dir, "tracing_on", "0");
	trace_write(dir, "events/busmaster/enable", "0");
	trace_write(dir, "options/record-cmd", "1");
	EXPECT_EQ(-1, bm_first_diff(back, src, len)) TH_LOG("the bytes came back wrong");

	snprintf(path, sizeof(path), "%s/trace", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	while ((n = read(fd, buf + got, (1 << 22) - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
	trace_clear(dir);

	for (int k = 0; k < 2; k++) {
		const char *d = k ? "from_card" : "to_card";
		bool bounces = c->info.bounce == BUSMASTER_BOUNCE_SWIOTLB ||
			       c->info.bounce == BUSMASTER_BOUNCE_MAP_REGISTERS;

		trace_scan(buf, c->id, d, &r);
		ASSERT_EQ(len, r.length) TH_LOG("%s: no request_start of %llu bytes %s",
						 c->info.pci_slot, (unsigned long long)len, d);
		EXPECT_EQ(len, r.submitted) TH_LOG("%s: %s: card transfers posted", c->info.pci_slot, d);
		EXPECT_EQ(len, r.done) TH_LOG("%s: %s: card transfers completed", c->info.pci_slot, d);
		EXPECT_EQ(t[k].transfers, r.dones);
		EXPECT_EQ(r.submits, r.dones);
		EXPECT_TRUE(r.ended) TH_LOG("%s: %s: no request_end", c->info.pci_slot, d);
		EXPECT_EQ(t[k].bytes_done, r.end_bytes);
		EXPECT_EQ(t[k].transfers, r.end_transfers);
		EXPECT_EQ(0, r.end_error);
		if (c->info.bounce == BUSMASTER_BOUNCE_MAP_REGISTERS) {
			EXPECT_LE(1, r.bounces) TH_LOG("%s bounces, but no bounce event",
						       c->info.pci_slot);
		} else if (!bounces) {
			EXPECT_EQ(0, r.bounces) TH_LOG("%s does not bounce", c->info.pci_slot);
		}
	}
	free(src);
	free(back);
	free(buf);
}

TEST_HARNESS_MAIN
