// SPDX-License-Identifier: GPL-2.0
/*
 * Calls that create something (COMMON_ALLOC, REGISTER) against an opener
 * who attacks them: a handle is published only once its object is finished
 * and the answer reached the caller; a refused call leaves nothing held;
 * a limit is checked before the expensive work.
 *
 * The races here show nothing to userspace when they go wrong: they exist
 * so that the debug kernel's KASAN, and slub_debug on the stock kernels,
 * see the use-after-free they would cause. The harness fails the run on
 * any such report.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <time.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define PAGE		4096UL
#define RACE_SECONDS	3

BM_CARD_FIXTURE(card)

/* Pages claimed for cards, all users (bm_pages_claim()). */
#define CLAIMS_FILE	"/sys/kernel/debug/busmaster/claimed_pages"

static int reg_buffer(int fd, void *buf, uint64_t len, uint32_t flags,
		      struct busmaster_register *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = flags;
	r->addr = (uintptr_t)buf;
	r->length = len;
	return ioctl(fd, BUSMASTER_IOCTL_REGISTER, r);
}

static int unreg_buffer(int fd, uint32_t handle)
{
	struct busmaster_unregister u = { .size = sizeof(u), .handle = handle };

	return ioctl(fd, BUSMASTER_IOCTL_UNREGISTER, &u);
}

/* One thread creates on a file while another destroys handles 1..8. */
struct race {
	int fd;
	bool common;		/* COMMON_ALLOC/FREE, else REGISTER/UNREGISTER */
	void *buf;		/* what REGISTER pins */
	atomic_bool stop;
	atomic_long made, destroyed, bad;
	int bad_errno;
};

static void *race_create(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		struct busmaster_common_alloc a;
		struct busmaster_register reg;
		int ret = r->common ? bm_common_alloc(r->fd, PAGE, &a) :
				      reg_buffer(r->fd, r->buf, PAGE, 0, &reg);

		if (!ret)
			atomic_fetch_add(&r->made, 1);
		/* EBUSY: the page is registered under another handle still. */
		else if (errno != EMFILE && !(errno == EBUSY && !r->common))
			r->bad_errno = errno, atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

static void *race_destroy(void *arg)
{
	struct race *r = arg;

	for (uint32_t h = 1; !atomic_load(&r->stop); h = h % 8 + 1) {
		int ret = r->common ? bm_common_free(r->fd, h) : unreg_buffer(r->fd, h);

		if (!ret)
			atomic_fetch_add(&r->destroyed, 1);
		else if (errno != ENOENT)
			r->bad_errno = errno, atomic_fetch_add(&r->bad, 1);
	}
	return NULL;
}

static void run_race(struct __test_metadata *_metadata, struct bm_card *c, bool common)
{
	struct race r = { .common = common };
	pthread_t creator, destroyer;

	r.fd = bm_open_id(c->id, O_RDWR);
	ASSERT_LE(0, r.fd);
	r.buf = aligned_alloc(PAGE, PAGE);
	ASSERT_NE(NULL, r.buf);
	memset(r.buf, 0x5a, PAGE);
	ASSERT_EQ(0, pthread_create(&creator, NULL, race_create, &r));
	ASSERT_EQ(0, pthread_create(&destroyer, NULL, race_destroy, &r));
	sleep(RACE_SECONDS);
	atomic_store(&r.stop, true);
	pthread_join(creator, NULL);
	pthread_join(destroyer, NULL);
	EXPECT_EQ(0, atomic_load(&r.bad)) TH_LOG("unexpected errno %d", r.bad_errno);
	/* Both sides must have run for the race to mean anything. */
	EXPECT_LT(0, atomic_load(&r.made));
	EXPECT_LT(0, atomic_load(&r.destroyed));
	TH_LOG("busmaster%d %s: %ld created, %ld destroyed in %d s", c->id,
	       common ? "common buffers" : "registered buffers",
	       atomic_load(&r.made), atomic_load(&r.destroyed), RACE_SECONDS);
	close(r.fd);
	free(r.buf);
}

/* COMMON_FREE on another thread never meets a half-built buffer. */
TEST_F(card, common_alloc_races_common_free)
{
	run_race(_metadata, &self->c, true);
}

/* UNREGISTER on another thread never meets a half-built buffer. */
TEST_F(card, register_races_unregister)
{
	run_race(_metadata, &self->c, false);
}

/* An argument struct on a page made read-only once it is filled in. */
static void *readonly_arg(void *src, size_t len)
{
	void *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return NULL;
	memcpy(page, src, len);
	if (mprotect(page, PAGE, PROT_READ)) {
		munmap(page, PAGE);
		return NULL;
	}
	return page;
}

/*
 * The answer cannot be copied back: the call fails with EFAULT and keeps
 * nothing (no pin, no charge, no buffer, no handle left behind).
 */
TEST_F(card, refused_answer_keeps_nothing)
{
	const uint64_t len = 1 << 20;
	uint8_t *buf = aligned_alloc(PAGE, len);

	ASSERT_NE(NULL, buf);
	memset(buf, 0xa5, len);
	struct bm_card *c = &self->c;
	long pin0 = bm_vm_pin_kb();
	long pinned0 = bm_debugfs_read(c->id, "pinned_pages");
	long common0 = bm_debugfs_read(c->id, "common_buffers");
	struct busmaster_register r = {
		.size = sizeof(r), .addr = (uintptr_t)buf, .length = len,
	};
	struct busmaster_common_alloc a = { .size = sizeof(a), .length = len };
	void *ro;

	ASSERT_LE(0, pin0) TH_LOG("no VmPin in /proc/self/status");
	ro = readonly_arg(&r, sizeof(r));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_REGISTER, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, PAGE);
	EXPECT_EQ(pin0, bm_vm_pin_kb());
	if (pinned0 >= 0)
		EXPECT_EQ(pinned0, bm_debugfs_read(c->id, "pinned_pages"));
	/* Whatever handle it would have had names nothing. */
	for (uint32_t h = 1; h <= 4; h++) {
		EXPECT_EQ(-1, unreg_buffer(c->fd, h));
		EXPECT_EQ(ENOENT, errno);
	}

	ro = readonly_arg(&a, sizeof(a));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_COMMON_ALLOC, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, PAGE);
	EXPECT_EQ(pin0, bm_vm_pin_kb());
	if (common0 >= 0)
		EXPECT_EQ(common0, bm_debugfs_read(c->id, "common_buffers"));
	for (uint32_t h = 1; h <= 4; h++) {
		EXPECT_EQ(-1, bm_common_free(c->fd, h));
		EXPECT_EQ(ENOENT, errno);
	}

	free(buf);
}

/*
 * A file full of handles is refused before anything is pinned or
 * allocated: a 65th REGISTER of memory that is not even mapped says
 * EMFILE (pinning it first would say EFAULT), and a 65th COMMON_ALLOC of
 * the largest size says EMFILE (allocating it first: ENOMEM or a wait).
 */
TEST_F(card, limits_come_before_the_work)
{
	const size_t n = BUSMASTER_REGISTER_PER_FILE;
	uint8_t *pages = aligned_alloc(PAGE, n * PAGE);
	void *hole = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	int fd = bm_open_id(self->c.id, O_RDWR);
	struct busmaster_common_alloc a;
	struct busmaster_register r;

	ASSERT_NE(NULL, pages);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, 1 << 20));	/* an address with nothing behind it */
	memset(pages, 1, n * PAGE);
	ASSERT_LE(0, fd);
	for (size_t k = 0; k < n; k++)
		ASSERT_EQ(0, reg_buffer(fd, pages + k * PAGE, PAGE, 0, &r));
	EXPECT_EQ(-1, reg_buffer(fd, hole, 1 << 20, 0, &r));
	EXPECT_EQ(EMFILE, errno);
	for (int k = 0; k < BUSMASTER_COMMON_PER_FILE; k++)
		ASSERT_EQ(0, bm_common_alloc(fd, PAGE, &a));
	EXPECT_EQ(-1, bm_common_alloc(fd, self->c.info.common_max, &a));
	EXPECT_EQ(EMFILE, errno);
	close(fd);
	free(pages);
}

/*
 * A registered page is its registration's alone (the DMA API allows no
 * overlapping device-writable mappings, and a partial sync must name one
 * mapping): another registration overlapping it, from any file, either
 * direction, is EBUSY and keeps nothing (pages it claimed before meeting
 * the conflict are let go); so is a pinned transfer of it, either way,
 * and a range mapping one page twice. The pages are free once it goes.
 */
TEST_F(card, registered_memory_is_the_registrations_alone)
{
	const uint64_t len = 16 * PAGE;
	uint8_t *buf = aligned_alloc(PAGE, len);
	int memfd = memfd_create("busmaster", 0);
	uint8_t *twice;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, PAGE));
	/* One page of memory at two addresses, side by side. */
	twice = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, twice);
	ASSERT_NE(MAP_FAILED, mmap(twice, PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_FIXED, memfd, 0));
	ASSERT_NE(MAP_FAILED, mmap(twice + PAGE, PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_FIXED, memfd, 0));
	memset(twice, 3, PAGE);
	memset(buf, 7, len);
	struct bm_card *c = &self->c;
	int other = bm_open_id(c->id, O_RDWR);
	uint64_t a = c->info.alignment;
	struct busmaster_register r, r2;
	struct busmaster_transfer t;
	long pinned0;

	ASSERT_LE(0, other);
	ASSERT_EQ(0, reg_buffer(c->fd, buf + 4 * PAGE, 8 * PAGE,
				BUSMASTER_REG_CARD_WRITES, &r));
	pinned0 = bm_debugfs_read(c->id, "pinned_pages");
	/* Pages 2-3 are claimed before page 4 conflicts: let go again. */
	EXPECT_EQ(-1, reg_buffer(other, buf + 2 * PAGE, 4 * PAGE,
				 BUSMASTER_REG_CARD_WRITES, &r2));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(pinned0, bm_debugfs_read(c->id, "pinned_pages"));
	EXPECT_EQ(0, reg_buffer(other, buf + 2 * PAGE, 2 * PAGE,
				BUSMASTER_REG_CARD_WRITES, &r2));
	EXPECT_EQ(0, unreg_buffer(other, r2.handle));
	/* Pinned transfers of it, either way: use the handle instead. */
	EXPECT_EQ(-1, bm_xfer(other, buf + 11 * PAGE, a, 0,
			      BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_PIN, 0, &t));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, bm_xfer(other, buf + 11 * PAGE, a, 0, BUSMASTER_XFER_PIN, 0, &t));
	EXPECT_EQ(EBUSY, errno);
	/* A copied one never maps the page: the CPU writes it, as the owner may. */
	memset(buf + 11 * PAGE, 0x3c, a);
	EXPECT_EQ(0, bm_xfer(other, buf + 11 * PAGE, a, 0, BUSMASTER_XFER_COPY, 0, &t));
	EXPECT_EQ(a, t.bytes_done);
	memset(buf + 11 * PAGE, 9, a);
	EXPECT_EQ(0, bm_xfer(other, buf + 11 * PAGE, a, 0,
			     BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COPY, 0, &t));
	EXPECT_EQ(a, t.bytes_done);
	long bad = -1;

	for (uint64_t b = 0; b < a && bad < 0; b++)
		if (buf[11 * PAGE + b] != 0x3c)
			bad = (long)b;
	EXPECT_EQ(-1, bad) TH_LOG("the copy came back wrong at byte %ld", bad);
	memset(buf + 11 * PAGE, 7, a);
	/* Read-only and overlapping: EBUSY as well. */
	EXPECT_EQ(-1, reg_buffer(other, buf, len, 0, &r2));
	EXPECT_EQ(EBUSY, errno);
	/* Once the first goes, the card may write it through another. */
	EXPECT_EQ(0, unreg_buffer(c->fd, r.handle));
	EXPECT_EQ(0, reg_buffer(other, buf, len, BUSMASTER_REG_CARD_WRITES, &r2));
	EXPECT_EQ(0, unreg_buffer(other, r2.handle));
	/* One page at two addresses in one range. */
	EXPECT_EQ(-1, reg_buffer(other, twice, 2 * PAGE,
				 BUSMASTER_REG_CARD_WRITES, &r2));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, bm_debugfs_read_file(CLAIMS_FILE));
	close(other);

	munmap(twice, 2 * PAGE);
	close(memfd);
	free(buf);
}

/*
 * A registration the card only reads shares its pages with readers: a
 * file any user may map to read (here shmem), registered read-only by one
 * opener, stops no other opener's pinned transfers from it, nor another
 * read-only registration of it (both EBUSY before: one user could fail
 * another's transfers of a file it can only read). Having the card write
 * the pages waits for no one that may never go: EBUSY at once.
 */
TEST_F(card, a_registration_the_card_only_reads_shares_its_pages)
{
	const uint64_t len = 16 * PAGE;
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment;
	uint64_t n = bm_align_down(c->info.card_mem_size < PAGE ?
				   c->info.card_mem_size : PAGE, a);
	int memfd = memfd_create("busmaster", 0), other = bm_open_id(c->id, O_RDWR);
	uint8_t *ro, *rw, *want = bm_pattern(n, 31), *back = calloc(1, n);
	struct busmaster_register r, r2;
	struct busmaster_transfer t;
	long claimed0;

	ASSERT_LE(0, memfd);
	ASSERT_LE(0, other);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, ftruncate(memfd, len));
	ro = mmap(NULL, len, PROT_READ, MAP_SHARED, memfd, 0);
	rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, rw);
	memset(rw, 0, len);
	memcpy(rw + PAGE, want, n);
	claimed0 = bm_debugfs_read_file(CLAIMS_FILE);
	ASSERT_LE(0, claimed0) TH_LOG("no %s", CLAIMS_FILE);

	ASSERT_EQ(0, reg_buffer(c->fd, ro, len, 0, &r)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(claimed0 + 16, bm_debugfs_read_file(CLAIMS_FILE));
	/* Another opener reads them to the card, pinned: the card's bytes are its. */
	EXPECT_EQ(0, bm_xfer(other, rw + PAGE, n, 0, BUSMASTER_XFER_PIN, 0, &t))
		TH_LOG("a pinned read of a page another registered to read: %s",
		       strerror(errno));
	EXPECT_EQ(0, bm_xfer(other, back, n, 0, BUSMASTER_XFER_FROM_CARD |
			     BUSMASTER_XFER_COPY, 0, &t));
	EXPECT_EQ(-1, bm_first_diff(back, want, n)) TH_LOG("the card got other bytes");
	/*
	 * And registers them to read as well; parts of each page go to the
	 * card through it (on the 32-bit card, pages swiotlb does not bounce
	 * keep their own bus address in both registrations: a partial sync
	 * of one was a DMA-API debug report, "tries to sync DMA memory it
	 * has not allocated", before only the runs that need it were synced).
	 */
	EXPECT_EQ(0, reg_buffer(other, ro, len, 0, &r2)) TH_LOG("%s", strerror(errno));
	for (uint64_t p = 0; p < len / PAGE && n > 2 * a; p++) {
		memset(back, 0, n);
		memcpy(rw + p * PAGE, want, n);
		EXPECT_EQ(0, bm_reg_xfer(other, r2.handle, p * PAGE + a, n - 2 * a, a, 0, &t))
			TH_LOG("page %llu: %s", (unsigned long long)p, strerror(errno));
		EXPECT_EQ(0, bm_xfer(other, back, n - 2 * a, a, BUSMASTER_XFER_FROM_CARD |
				     BUSMASTER_XFER_COPY, 0, &t));
		EXPECT_EQ(-1, bm_first_diff(back, want + a, n - 2 * a))
			TH_LOG("page %llu: the card got other bytes", (unsigned long long)p);
	}
	EXPECT_EQ(0, unreg_buffer(other, r2.handle));
	/* The card may not write them meanwhile: at once, not after a wait. */
	EXPECT_EQ(-1, bm_xfer(other, rw + PAGE, n, 0, BUSMASTER_XFER_FROM_CARD |
			      BUSMASTER_XFER_PIN, 0, &t));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, reg_buffer(other, rw, len, BUSMASTER_REG_CARD_WRITES, &r2));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(claimed0 + 16, bm_debugfs_read_file(CLAIMS_FILE));
	EXPECT_EQ(0, unreg_buffer(c->fd, r.handle));
	EXPECT_EQ(claimed0, bm_debugfs_read_file(CLAIMS_FILE));
	/* Once it goes, the card writes them. */
	memset(rw + PAGE, 0, n);
	EXPECT_EQ(0, bm_xfer(other, rw + PAGE, n, 0, BUSMASTER_XFER_FROM_CARD |
			     BUSMASTER_XFER_PIN, 0, &t));
	EXPECT_EQ(-1, bm_first_diff(rw + PAGE, want, n));
	munmap(ro, len);
	munmap(rw, len);
	close(memfd);
	close(other);
	free(want);
	free(back);
}

/*
 * A long-term pin the card writes holds anonymous memory, shmem or
 * hugetlb pages only (the uapi header's REGISTER): page cache of another
 * file system (ramfs here; one that writes back on a real system) is
 * EFAULT for SUBMIT as it is for REGISTER -- SUBMIT pinned it before,
 * so on 6.1 (whose GUP allows it) a thread swapping an anonymous mapping
 * for a file between the checks and the pin had the card write page
 * cache behind writeback's back. A plain TRANSFER pins for its own time
 * only, and may.
 */
TEST_F(card, a_long_term_pin_the_card_writes_is_anonymous_shmem_or_hugetlb)
{
	struct bm_card *c = &self->c;
	const uint64_t len = 2 * PAGE;
	uint64_t n = bm_align_down(c->info.card_mem_size < PAGE ?
				   c->info.card_mem_size : PAGE, c->info.alignment);
	char dir[] = "/tmp/busmaster-ramfs-XXXXXX", path[64];
	uint8_t *want = bm_pattern(n, 41), *map;
	struct busmaster_completion rec;
	struct busmaster_register r;
	struct busmaster_transfer t;
	uint64_t id;
	long pins0;
	int fd, ret;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, mkdtemp(dir)) TH_LOG("%s", strerror(errno));
	if (mount("busmaster", dir, "ramfs", 0, NULL)) {
		rmdir(dir);
		SKIP(free(want); return, "no ramfs here: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, len));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 0, len);
	ASSERT_EQ(0, bm_xfer(c->fd, want, n, 0, 0, 0, &t));

	pins0 = bm_pins_held();
	EXPECT_EQ(-1, reg_buffer(c->fd, map, len, BUSMASTER_REG_CARD_WRITES, &r));
	EXPECT_EQ(EFAULT, errno);
	ret = bm_submit(c->fd, BUSMASTER_XFER_FROM_CARD, 0, (uintptr_t)map, n, 0, 1, &id);
	EXPECT_EQ(-1, ret) TH_LOG("SUBMIT pinned ramfs page cache for the card to write");
	if (!ret) {
		EXPECT_EQ(1, bm_reap(c->fd, &rec, 1, 1, 20000));
	} else {
		EXPECT_EQ(EFAULT, errno) TH_LOG("%s", strerror(errno));
	}
	EXPECT_EQ(pins0, bm_pins_held());
	EXPECT_EQ(0, bm_xfer(c->fd, map, n, 0, BUSMASTER_XFER_FROM_CARD |
			     BUSMASTER_XFER_PIN, 0, &t)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(-1, bm_first_diff(map, want, n));
	munmap(map, len);
	close(fd);
	unlink(path);
	EXPECT_EQ(0, umount(dir));
	rmdir(dir);
	free(want);
}

/* Threads reading from the card into one page at once. */
struct writer {
	int fd;
	uint8_t *buf;
	uint64_t len;
	int ok, failed, err;
};

static void *write_same_page(void *arg)
{
	struct writer *w = arg;
	struct busmaster_transfer t;

	for (int k = 0; k < 10; k++)
		if (bm_xfer(w->fd, w->buf, w->len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t))
			w->failed++, w->err = errno;
		else
			w->ok++;
	return NULL;
}

/*
 * Pages are claimed and given back 256 at a time under the claims' lock: a
 * registration of 768 pages that meets another's page in its third batch
 * is EBUSY and gives back the 700 it had claimed, across batches, and the
 * other's claims stay. Huge pages where the kernel gives them: page frames
 * in a row, walked slot by slot.
 */
TEST_F(card, a_conflict_past_a_claim_batch_gives_every_page_back)
{
	const uint64_t npages = 768, len = npages * PAGE;
	uint8_t *buf = aligned_alloc(2 << 20, len);
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment;
	struct busmaster_register r, r2;
	struct busmaster_transfer t;
	long claimed0, pinned0;

	ASSERT_NE(NULL, buf);
	madvise(buf, len, MADV_HUGEPAGE);	/* a hint: 4 KiB pages do too */
	memset(buf, 5, len);
	claimed0 = bm_debugfs_read_file(CLAIMS_FILE);
	ASSERT_LE(0, claimed0) TH_LOG("no %s", CLAIMS_FILE);
	if (reg_buffer(c->fd, buf, len, 0, &r2)) {
		free(buf);
		SKIP(return, "768 pages do not register on this card: %s", strerror(errno));
	}
	EXPECT_EQ(claimed0 + (long)npages, bm_debugfs_read_file(CLAIMS_FILE));
	/* Its last batch's pages are claimed: the card may not write one. */
	EXPECT_EQ(-1, bm_xfer(c->fd, buf + 767 * PAGE, a, 0,
			      BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_PIN, 0, &t));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, unreg_buffer(c->fd, r2.handle));
	EXPECT_EQ(claimed0, bm_debugfs_read_file(CLAIMS_FILE));

	ASSERT_EQ(0, reg_buffer(c->fd, buf + 700 * PAGE, 4 * PAGE,
				BUSMASTER_REG_CARD_WRITES, &r));
	EXPECT_EQ(claimed0 + 4, bm_debugfs_read_file(CLAIMS_FILE));
	pinned0 = bm_debugfs_read(c->id, "pinned_pages");
	EXPECT_EQ(-1, reg_buffer(c->fd, buf, len, 0, &r2));
	EXPECT_EQ(EBUSY, errno) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(claimed0 + 4, bm_debugfs_read_file(CLAIMS_FILE));
	EXPECT_EQ(pinned0, bm_debugfs_read(c->id, "pinned_pages"));
	/*
	 * Which pages came back: the first, the batches' edges, the last
	 * before it -- each takes the card's bytes, pinned.
	 */
	uint64_t plen = bm_align_down(c->info.card_mem_size < PAGE ?
				      c->info.card_mem_size : PAGE, a);
	uint8_t *want = bm_pattern(plen, 77);

	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, bm_xfer(c->fd, want, plen, 0, 0, 0, &t))
		TH_LOG("%s", strerror(errno));
	for (unsigned int i = 0; i < 5; i++) {
		static const unsigned int pg[] = { 0, 255, 256, 512, 699 };

		EXPECT_EQ(0, bm_xfer(c->fd, buf + pg[i] * PAGE, plen, 0,
				     BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_PIN, 0, &t))
			TH_LOG("page %u still claimed: %s", pg[i], strerror(errno));
		EXPECT_EQ(-1, bm_first_diff(buf + pg[i] * PAGE, want, plen))
			TH_LOG("page %u did not get the card's bytes", pg[i]);
	}
	free(want);
	EXPECT_EQ(-1, bm_xfer(c->fd, buf + 700 * PAGE, a, 0, BUSMASTER_XFER_PIN, 0, &t));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, unreg_buffer(c->fd, r.handle));
	EXPECT_EQ(claimed0, bm_debugfs_read_file(CLAIMS_FILE));
	free(buf);
}

/*
 * Requests that have the card write the same page at once take turns
 * rather than map it twice: all succeed, and the page holds the card's
 * bytes.
 */
TEST_F(card, concurrent_writers_of_a_page_take_turns)
{
	struct bm_card *c = &self->c;
	uint64_t len = bm_align_down(c->info.card_mem_size < 1024 ?
				     c->info.card_mem_size : 1024, c->info.alignment);
	uint8_t *buf = aligned_alloc(PAGE, PAGE), want[1024];
	struct writer w[4];
	pthread_t th[4];
	struct busmaster_transfer t;

	ASSERT_NE(NULL, buf);
	for (uint64_t k = 0; k < len; k++)
		want[k] = (uint8_t)(k * 13 + variant->index);
	ASSERT_EQ(0, bm_xfer(c->fd, want, len, 0, 0, 0, &t));
	memset(buf, 0, PAGE);
	for (int k = 0; k < 4; k++) {
		w[k] = (struct writer){ .fd = c->fd, .buf = buf, .len = len };
		ASSERT_EQ(0, pthread_create(&th[k], NULL, write_same_page, &w[k]));
	}
	for (int k = 0; k < 4; k++) {
		pthread_join(th[k], NULL);
		EXPECT_EQ(0, w[k].failed) TH_LOG("%s: errno %d", c->info.pci_slot, w[k].err);
	}
	EXPECT_EQ(0, memcmp(buf, want, len));
	free(buf);

}

TEST_HARNESS_MAIN
