// SPDX-License-Identifier: GPL-2.0
/*
 * The seed thread, reproduced and solved: "my busmaster device writes
 * somewhere else". A card that cannot address all memory writes a buffer
 * that lies above 4 GiB (proved from /proc/self/pagemap); through bounce
 * buffers (swiotlb for 32-bit cards, the driver's map registers below
 * that) the data is right when the ioctl returns. Map registers are few:
 * more concurrent transfers than there are map registers wait, none fails.
 * And the negative control: a card that claims more address bits than it
 * drives (BUSMASTER_LYING_SLOT) gets no bouncing, so what it reads for a
 * buffer above 4 GiB comes from somewhere else -- the bytes test can fail.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define PAGE	4096UL
#define GIB4	(1ULL << 32)

/* A page of @buf (touched) whose physical address is at or above 4 GiB. */
static uint8_t *page_above_4g(uint8_t *buf, size_t len, int64_t *phys)
{
	for (size_t off = 0; off < len; off += PAGE) {
		buf[off] = 1;
		*phys = bm_phys_addr(buf + off);
		if (*phys < 0)
			return NULL;
		if ((uint64_t)*phys >= GIB4)
			return buf + off;
	}
	return NULL;
}

static int card_info(int id, struct busmaster_info *info)
{
	int fd = bm_open_id(id, O_RDWR);

	if (fd >= 0 && bm_info(fd, info)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int is_lying(const struct busmaster_info *info)
{
	const char *slot = getenv("BUSMASTER_LYING_SLOT");

	return slot && !strcmp(slot, info->pci_slot);
}

/* Card -> memory into a page above 4 GiB, on every card that needs help. */
TEST(card_writes_above_4g_through_bounce_buffers)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS), tested = 0;
	size_t len = 64 << 20;
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t src[PAGE];
	int64_t phys;
	uint8_t *high;

	ASSERT_NE(MAP_FAILED, buf);
	high = page_above_4g(buf, len, &phys);
	if (phys < 0)
		SKIP(return, "needs root to read physical addresses from pagemap");
	if (!high)
		SKIP(return, "no page above 4 GiB (the guest needs more than 4 GiB)");

	for (int i = 0; i < n; i++) {
		struct busmaster_info info;
		struct busmaster_transfer t;
		int fd = card_info(ids[i], &info);
		uint64_t count;
		long long bounced;
		unsigned int seed = 4242 + i;

		ASSERT_LE(0, fd);
		if (info.dma_addr_bits >= 33 || is_lying(&info)) {
			close(fd);
			continue;	/* reaches the page directly, or must not write */
		}
		count = bm_align_down(info.card_mem_size < PAGE ? info.card_mem_size : PAGE,
				   info.alignment);
		for (size_t b = 0; b < count; b++)
			src[b] = (uint8_t)rand_r(&seed);
		memset(high, 0, PAGE);
		ASSERT_EQ(0, bm_xfer(fd, src, count, 0, 0, 0, &t)) TH_LOG("%s", strerror(errno));
		bounced = bm_sysfs_num(ids[i], "statistics/bytes_bounced");
		/* Pinned, as the seed's driver did: a copy would not bounce. */
		ASSERT_EQ(0, bm_xfer(fd, high, count, 0, BUSMASTER_XFER_FROM_CARD |
				     BUSMASTER_XFER_PIN, 0, &t))
			TH_LOG("%s: %s", info.pci_slot, strerror(errno));
		/* The page above 4 GiB was copied through the bounce pool. */
		if (bounced >= 0 && info.bounce != BUSMASTER_BOUNCE_IOMMU)
			EXPECT_EQ(bounced + (long long)count,
				  bm_sysfs_num(ids[i], "statistics/bytes_bounced"))
				TH_LOG("%s: statistics/bytes_bounced", info.pci_slot);
		/* Right when the ioctl returns: unmapping copied it back. */
		EXPECT_EQ(0, memcmp(high, src, count))
			TH_LOG("%s (%u-bit, %s): the data went somewhere else",
			       info.pci_slot, info.dma_addr_bits,
			       bm_bounce_name(info.bounce));
		EXPECT_TRUE(info.bounce == BUSMASTER_BOUNCE_SWIOTLB ||
			    info.bounce == BUSMASTER_BOUNCE_MAP_REGISTERS ||
			    info.bounce == BUSMASTER_BOUNCE_IOMMU);
		TH_LOG("%s: %u-bit card wrote %llu bytes at physical %#llx via %s",
		       info.pci_slot, info.dma_addr_bits, (unsigned long long)count,
		       (unsigned long long)bm_phys_addr(high), bm_bounce_name(info.bounce));
		tested++;
		close(fd);
	}
	munmap(buf, len);
	if (!tested)
		SKIP(return, "no card narrower than 33 bits");
}

struct worker {
	int fd;
	uint64_t card_off, len;
	int rounds, failures;
	unsigned int seed;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint8_t *src = malloc(w->len), *dst = malloc(w->len);
	struct busmaster_transfer t;

	for (int r = 0; r < w->rounds && src && dst; r++) {
		for (uint64_t b = 0; b < w->len; b++)
			src[b] = (uint8_t)rand_r(&w->seed);
		memset(dst, 0, w->len);
		if (bm_xfer(w->fd, src, w->len, w->card_off, 0, 0, &t) ||
		    bm_xfer(w->fd, dst, w->len, w->card_off, BUSMASTER_XFER_FROM_CARD, 0, &t) ||
		    memcmp(src, dst, w->len))
			w->failures++;
	}
	if (!src || !dst)
		w->failures++;
	free(src);
	free(dst);
	return NULL;
}

/* AllocateAdapterChannel's semantics: short of map registers, wait. */
TEST(more_transfers_than_map_registers_wait_and_succeed)
{
	enum { NTHREADS = 8 };
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS), tested = 0;

	for (int i = 0; i < n; i++) {
		struct worker w[NTHREADS];
		pthread_t th[NTHREADS];
		struct busmaster_info info;
		int fd = card_info(ids[i], &info);
		uint64_t len, slice;
		long waits;

		ASSERT_LE(0, fd);
		if (info.bounce != BUSMASTER_BOUNCE_MAP_REGISTERS) {
			close(fd);
			continue;
		}
		/* Each wants most of the pool: they cannot all hold it at once. */
		slice = bm_align_down(info.card_mem_size / NTHREADS, info.alignment);
		len = (info.map_registers - 1) * PAGE;
		if (len > slice)
			len = slice;
		len = bm_align_down(len, info.alignment);
		waits = bm_debugfs_read(ids[i], "map_register_waits");
		/*
		 * Our card is fast enough, under TCG, for each thread's
		 * transfer to end before a third thread asks: give every
		 * transfer 20 ms on the card so that they overlap (edu takes
		 * 100 ms of its own and has no such knob).
		 */
		bm_fi_write(ids[i], "latency_ns", 20 * 1000 * 1000);
		for (int k = 0; k < NTHREADS; k++) {
			w[k] = (struct worker){ .fd = fd, .card_off = k * slice,
						.len = len, .rounds = 3, .seed = k + 1 };
			ASSERT_EQ(0, pthread_create(&th[k], NULL, worker_run, &w[k]));
		}
		for (int k = 0; k < NTHREADS; k++) {
			ASSERT_EQ(0, pthread_join(th[k], NULL));
			EXPECT_EQ(0, w[k].failures) TH_LOG("%s: thread %d", info.pci_slot, k);
		}
		bm_fi_write(ids[i], "latency_ns", 0);
		if (waits >= 0)
			EXPECT_LT(waits, bm_debugfs_read(ids[i], "map_register_waits"))
				TH_LOG("%s: %d threads of %llu bytes never waited for %u map registers",
				       info.pci_slot, NTHREADS, (unsigned long long)len,
				       info.map_registers);
		TH_LOG("%s: %d threads x %llu bytes over %u map registers, %ld waits",
		       info.pci_slot, NTHREADS, (unsigned long long)len, info.map_registers,
		       bm_debugfs_read(ids[i], "map_register_waits") - waits);
		tested++;
		close(fd);
	}
	if (!tested)
		SKIP(return, "no card bounces through map registers");
}

/*
 * The negative control: the lying card reports 64 bits and drives 32, so
 * the driver maps a buffer above 4 GiB directly, and the card reads from
 * the address truncated to 32 bits. (Only memory -> card: a card write
 * there would corrupt whatever lives at the truncated address.)
 */
TEST(lying_card_reads_somewhere_else)
{
	const char *slot = getenv("BUSMASTER_LYING_SLOT");
	size_t len = 64 << 20;
	uint8_t *buf, *high, *bar;
	struct busmaster_info info;
	struct busmaster_transfer t;
	unsigned int seed = 1;
	int64_t phys;
	int fd;

	if (!slot)
		SKIP(return, "no lying card in this VM (BUSMASTER_LYING_SLOT)");
	fd = bm_open_slot(slot, &info);
	ASSERT_LE(0, fd) TH_LOG("no card at %s", slot);
	EXPECT_EQ(BUSMASTER_BOUNCE_NONE, info.bounce) TH_LOG("the driver did not trust the lie?");

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	high = page_above_4g(buf, len, &phys);
	ASSERT_NE(NULL, high) TH_LOG("no page above 4 GiB");
	for (size_t b = 0; b < PAGE; b++)
		high[b] = (uint8_t)rand_r(&seed);

	bar = bm_map_card_mem(&info);
	ASSERT_NE(NULL, bar) TH_LOG("card memory BAR: %s", strerror(errno));
	memset(bar, 0, PAGE);

	/* Pinned: the card is to read that very page. */
	ASSERT_EQ(0, bm_xfer(fd, high, PAGE, 0, BUSMASTER_XFER_PIN, 0, &t))
		TH_LOG("%s", strerror(errno));
	EXPECT_NE(0, memcmp(bar, high, PAGE))
		TH_LOG("the lying card read the right bytes from %#llx: the test could not fail",
		       (unsigned long long)phys);
	TH_LOG("buffer at physical %#llx; the card read %#llx instead",
	       (unsigned long long)phys, (unsigned long long)(phys & (GIB4 - 1)));
	munmap(bar, info.card_mem_size);
	munmap(buf, len);
	close(fd);
}

TEST_HARNESS_MAIN
