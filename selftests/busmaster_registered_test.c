// SPDX-License-Identifier: GPL-2.0
/*
 * Part II of the NT model: registered buffers (pinned and mapped once),
 * partial ranges of them (IoBuildPartialMdl), vectored requests (chained
 * MDLs), explicit sync (KeFlushIoBuffers / FlushAdapterBuffers), the
 * RLIMIT_MEMLOCK charge of long-term pins, and the kernel-memory path
 * (MmBuildMdlForNonPagedPool) through debugfs. Every test checks bytes.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define PAGE	4096UL

BM_CARD_FIXTURE(card)

static int sync_range(int fd, uint32_t handle, uint64_t off, uint64_t len,
		      uint32_t flags)
{
	struct busmaster_sync s = { .size = sizeof(s), .flags = flags,
				    .handle = handle, .offset = off, .length = len };

	return ioctl(fd, BUSMASTER_IOCTL_SYNC, &s);
}

static uint8_t *anon(size_t len)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static uint64_t card_budget(const struct bm_card *c, uint64_t want)
{
	/* edu moves 4095 bytes per 100 ms of virtual time: keep it small. */
	uint64_t mem = c->info.card_model == BUSMASTER_MODEL_EDU ?
		       c->info.card_mem_size : c->info.card_mem_size / 2;

	return bm_align_down(want < mem ? want : mem, c->info.alignment);
}

/*
 * Partial ranges of one registered buffer, at its ends and at odd offsets,
 * to the card and back into another part of the same buffer.
 */
TEST_F(card, partial_ranges_of_a_registered_buffer)
{
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment;
	uint64_t size = bm_align_down(3 * 65536 + 3 * a, a);
	uint64_t piece = card_budget(c, 5 * PAGE + 3 * a);
	uint64_t half = bm_align_down(size / 2, a);
	uint64_t offs[] = { 0, a, bm_align_down(777, a), half - piece };
	uint8_t *buf = anon(size + PAGE);
	struct busmaster_transfer t;
	uint32_t h;

	ASSERT_NE(NULL, buf);
	bm_fill_random(buf, size, &(unsigned int){ 11 + variant->index });
	ASSERT_EQ(0, bm_register(c->fd, buf + a, size, BUSMASTER_REG_CARD_WRITES, &h))
		TH_LOG("%s: register: %s", c->info.pci_slot, strerror(errno));
	for (unsigned int k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
		uint64_t off = offs[k], back = size - piece - off;

		ASSERT_EQ(0, bm_reg_xfer(c->fd, h, off, piece, 0, 0, &t))
			TH_LOG("%s: +%llu: %s", c->info.pci_slot,
			       (unsigned long long)off, strerror(errno));
		EXPECT_EQ(piece, t.bytes_done);
		if (c->bar)
			EXPECT_EQ(0, memcmp(c->bar, buf + a + off, piece));
		/* Back into the buffer's other end: the last byte included. */
		ASSERT_EQ(0, bm_reg_xfer(c->fd, h, back, piece, 0,
				      BUSMASTER_XFER_FROM_CARD, &t));
		EXPECT_EQ(0, memcmp(buf + a + back, buf + a + off, piece))
			TH_LOG("%s: piece %u came back wrong", c->info.pci_slot, k);
	}
	EXPECT_EQ(-1, bm_reg_xfer(c->fd, h, size - a + a, a, 0, 0, &t));
	EXPECT_EQ(ERANGE, errno) TH_LOG("a range past the buffer's end");
	EXPECT_EQ(-1, bm_reg_xfer(c->fd, h, 0, size + a, 0, 0, &t));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(0, bm_unregister(c->fd, h));
	EXPECT_EQ(-1, bm_reg_xfer(c->fd, h, 0, a, 0, 0, &t));
	EXPECT_EQ(ENOENT, errno) TH_LOG("an unregistered handle still works");
	munmap(buf, size + PAGE);

}

/* Chained MDLs: many small, unaligned pieces, one contiguous card range. */
TEST_F(card, vectored_pieces_to_one_card_range)
{
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment, total = 0;
	unsigned int count = c->info.card_model == BUSMASTER_MODEL_EDU ? 6 : 200;
	struct busmaster_iovec *iov = calloc(count, sizeof(*iov));
	struct busmaster_transferv tv;
	uint8_t *src = anon(1 << 20), *dst = anon(1 << 20);
	unsigned int seed = 5;
	uint64_t pos;

	ASSERT_NE(NULL, iov);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	bm_fill_random(src, 1 << 20, &(unsigned int){ 21 });
	for (unsigned int k = 0; k < count; k++) {
		iov[k].addr = (uintptr_t)src + bm_align_down(rand_r(&seed) % ((1 << 20) - 4096), a);
		iov[k].length = bm_align_down(1 + rand_r(&seed) % 300, a) ?: a;
		total += iov[k].length;
	}
	ASSERT_LE(total, c->info.card_mem_size);
	memset(&tv, 0, sizeof(tv));
	tv.size = sizeof(tv);
	tv.count = count;
	tv.iov = (uintptr_t)iov;
	ASSERT_EQ(0, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFERV, &tv))
		TH_LOG("%s: %s", c->info.pci_slot, strerror(errno));
	EXPECT_EQ(total, tv.bytes_done);
	pos = 0;
	for (unsigned int k = 0; k < count && c->bar; k++) {
		ASSERT_EQ(0, memcmp(c->bar + pos, (void *)(uintptr_t)iov[k].addr,
				    iov[k].length)) TH_LOG("piece %u", k);
		pos += iov[k].length;
	}
	/* And back, scattered the same way into another buffer. */
	/* Not addr += dst - src: in a 32-bit process that wraps past 4 GiB. */
	for (unsigned int k = 0; k < count; k++)
		iov[k].addr = iov[k].addr - (uintptr_t)src + (uintptr_t)dst;
	tv.flags = BUSMASTER_XFER_FROM_CARD;
	ASSERT_EQ(0, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFERV, &tv))
		TH_LOG("%s: back: %s", c->info.pci_slot, strerror(errno));
	for (unsigned int k = 0; k < count; k++) {
		uint8_t *d = (uint8_t *)(uintptr_t)iov[k].addr;

		ASSERT_EQ(0, memcmp(d, src + (d - dst), iov[k].length))
			TH_LOG("%s: piece %u came back wrong", c->info.pci_slot, k);
	}
	tv.flags = 0;
	tv.count = BUSMASTER_IOV_MAX + 1;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFERV, &tv));
	EXPECT_EQ(EINVAL, errno) TH_LOG("more than BUSMASTER_IOV_MAX pieces");
	tv.count = 1;
	tv.card_offset = c->info.card_mem_size;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFERV, &tv));
	EXPECT_EQ(ERANGE, errno);
	iov[0].length = 0;
	tv.card_offset = 0;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFERV, &tv));
	EXPECT_EQ(EINVAL, errno) TH_LOG("a piece of length 0");
	free(iov);
	munmap(src, 1 << 20);
	munmap(dst, 1 << 20);

}

/*
 * The seed thread's bug, on purpose: on a 32-bit card with the buffer
 * above 4 GiB the DMA API bounces; skip the sync and the CPU reads stale
 * data, sync and it reads what the card wrote. Same for the other way.
 */
TEST_F(card, skipping_the_sync_leaves_stale_data_where_it_bounces)
{
	struct bm_card *c = &self->c;
	uint8_t *buf, *want = malloc(PAGE), *old = malloc(PAGE);
	struct busmaster_transfer t;
	uint32_t h;

	if (c->info.bounce != BUSMASTER_BOUNCE_SWIOTLB || !c->bar)
		SKIP(return, "%s does not bounce through swiotlb, or no BAR",
		     c->info.pci_slot);
	buf = anon(PAGE);
	ASSERT_NE(NULL, buf);
	bm_fill_random(buf, PAGE, &(unsigned int){ 31 });
	if (bm_phys_addr(buf) < (int64_t)(1ULL << 32)) {
		munmap(buf, PAGE);
		SKIP(return, "the buffer is below 4 GiB: nothing bounces");
	}
	memcpy(old, buf, PAGE);
	ASSERT_EQ(0, bm_register(c->fd, buf, PAGE, BUSMASTER_REG_CARD_WRITES, &h));

	/* Card -> memory without the sync: the CPU still sees the old bytes. */
	bm_fill_random(want, PAGE, &(unsigned int){ 32 });
	memcpy(c->bar, want, PAGE);
	ASSERT_EQ(0, bm_reg_xfer(c->fd, h, 0, PAGE, 0,
			      BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_NO_SYNC, &t));
	EXPECT_EQ(0, memcmp(buf, old, PAGE)) TH_LOG("no stale data: nothing bounced?");
	ASSERT_EQ(0, sync_range(c->fd, h, 0, PAGE, BUSMASTER_SYNC_FOR_CPU));
	EXPECT_EQ(0, memcmp(buf, want, PAGE)) TH_LOG("the sync did not bring the data");

	/* Memory -> card without the sync: the card reads the old bytes. */
	bm_fill_random(buf, PAGE, &(unsigned int){ 33 });
	ASSERT_EQ(0, bm_reg_xfer(c->fd, h, 0, PAGE, 0, BUSMASTER_XFER_NO_SYNC, &t));
	EXPECT_EQ(0, memcmp(c->bar, want, PAGE)) TH_LOG("the card saw unsynced bytes");
	ASSERT_EQ(0, sync_range(c->fd, h, 0, PAGE, BUSMASTER_SYNC_FOR_DEVICE));
	ASSERT_EQ(0, bm_reg_xfer(c->fd, h, 0, PAGE, 0, BUSMASTER_XFER_NO_SYNC, &t));
	EXPECT_EQ(0, memcmp(c->bar, buf, PAGE));

	/* By default transfers sync for you. */
	bm_fill_random(buf, PAGE, &(unsigned int){ 34 });
	ASSERT_EQ(0, bm_reg_xfer(c->fd, h, 0, PAGE, 0, 0, &t));
	EXPECT_EQ(0, memcmp(c->bar, buf, PAGE));

	/* Exactly the bytes moved: the CPU's bytes around them survive. */
	bm_fill_random(buf, PAGE, &(unsigned int){ 35 });
	memcpy(old, buf, PAGE);
	ASSERT_EQ(0, bm_reg_xfer(c->fd, h, 1000, 200, 0, BUSMASTER_XFER_FROM_CARD, &t));
	EXPECT_EQ(0, memcmp(buf + 1000, c->bar, 200));
	EXPECT_EQ(0, memcmp(buf, old, 1000)) TH_LOG("bytes before the range reverted");
	EXPECT_EQ(0, memcmp(buf + 1200, old + 1200, PAGE - 1200))
		TH_LOG("bytes after the range reverted");
	EXPECT_EQ(0, bm_unregister(c->fd, h));
	munmap(buf, PAGE);
	free(want);
	free(old);
}

/*
 * Registered before it is written: the card must read what the process
 * writes afterwards (a read-only pin of untouched memory would pin the
 * shared zero page on older kernels, and the card would read zeros).
 */
TEST_F(card, registered_before_written)
{
	struct bm_card *c = &self->c;
	uint64_t len = card_budget(c, 4 * PAGE);
	uint8_t *buf = anon(4 * PAGE), *back = anon(4 * PAGE);
	struct busmaster_transfer t;
	uint32_t h;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, bm_register(c->fd, buf, len, 0, &h)) TH_LOG("%s", strerror(errno));
	bm_fill_random(buf, len, &(unsigned int){ 51 + variant->index });
	ASSERT_EQ(0, bm_reg_xfer(c->fd, h, 0, len, 0, 0, &t));
	ASSERT_EQ(0, bm_xfer(c->fd, back, len, 0, BUSMASTER_XFER_FROM_CARD, 0, &t));
	EXPECT_EQ(0, memcmp(back, buf, len))
		TH_LOG("%s: the card did not see what was written after registering",
		       c->info.pci_slot);
	EXPECT_EQ(0, bm_unregister(c->fd, h));
	munmap(buf, 4 * PAGE);
	munmap(back, 4 * PAGE);

}

TEST_F(card, bad_registrations_and_syncs)
{
	struct bm_card *c = &self->c;
	uint64_t a = c->info.alignment;
	uint8_t *buf = anon(4 * PAGE), *ro = mmap(NULL, PAGE, PROT_READ,
						  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct busmaster_register r;
	struct busmaster_transfer t;
	uint32_t h, other;
	int fd2;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, bm_register(c->fd, buf, 0, 0, &h));
	EXPECT_EQ(EINVAL, errno) TH_LOG("length 0");
	EXPECT_EQ(-1, bm_register(c->fd, buf, BUSMASTER_REGISTER_MAX + a, 0, &h));
	EXPECT_EQ(EINVAL, errno) TH_LOG("over BUSMASTER_REGISTER_MAX");
	EXPECT_EQ(-1, bm_register(c->fd, buf, PAGE, 1U << 7, &h));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown flag");
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.addr = (uintptr_t)buf;
	r.length = PAGE;
	r.reserved = 1;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_REGISTER, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("reserved");
	EXPECT_EQ(-1, bm_register(c->fd, NULL, PAGE, 0, &h));
	EXPECT_EQ(EFAULT, errno) TH_LOG("unmapped memory");
	EXPECT_EQ(-1, bm_register(c->fd, ro, PAGE, BUSMASTER_REG_CARD_WRITES, &h));
	EXPECT_EQ(EFAULT, errno) TH_LOG("read-only memory the card may write");
	if (a > 1) {
		EXPECT_EQ(-1, bm_register(c->fd, buf + 1, PAGE, 0, &h));
		EXPECT_EQ(EINVAL, errno) TH_LOG("misaligned");
	}
	/* Device memory (a VM_PFNMAP mapping) cannot be pinned at all. */
	if (c->bar) {
		EXPECT_EQ(-1, bm_register(c->fd, c->bar, PAGE, 0, &h));
		EXPECT_EQ(EFAULT, errno) TH_LOG("a card's BAR registered");
	}

	/* Read-only memory is fine for the card to read, never to write. */
	ASSERT_EQ(0, bm_register(c->fd, ro, PAGE, 0, &h)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(-1, bm_reg_xfer(c->fd, h, 0, a, 0, BUSMASTER_XFER_FROM_CARD, &t));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, sync_range(c->fd, h, 0, PAGE,
				 BUSMASTER_SYNC_FOR_CPU | BUSMASTER_SYNC_FOR_DEVICE));
	EXPECT_EQ(EINVAL, errno) TH_LOG("both sync directions");
	EXPECT_EQ(-1, sync_range(c->fd, h, 0, PAGE, 0));
	EXPECT_EQ(EINVAL, errno) TH_LOG("no sync direction");
	EXPECT_EQ(-1, sync_range(c->fd, h, PAGE - a, 2 * a, BUSMASTER_SYNC_FOR_CPU));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(-1, sync_range(c->fd, h, 0, a, BUSMASTER_SYNC_FOR_CPU));
	EXPECT_EQ(EPERM, errno) TH_LOG("FOR_CPU would write memory the card may not");
	EXPECT_EQ(0, sync_range(c->fd, h, 0, a, BUSMASTER_SYNC_FOR_DEVICE));
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.flags = BUSMASTER_XFER_NO_SYNC;
	t.addr = (uintptr_t)buf;
	t.length = a;
	EXPECT_EQ(-1, ioctl(c->fd, BUSMASTER_IOCTL_TRANSFER, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("NO_SYNC on a plain user buffer");
	EXPECT_EQ(-1, bm_reg_xfer(c->fd, h, 0, a, 0, BUSMASTER_XFER_COMMON, &t));
	EXPECT_EQ(EINVAL, errno) TH_LOG("both COMMON and REGISTERED");

	/* Another file's handles mean nothing here. */
	fd2 = bm_open_id(c->id, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bm_register(fd2, buf, PAGE, 0, &other));
	ASSERT_EQ(0, bm_register(fd2, buf + PAGE, PAGE, 0, &other));
	ASSERT_NE(h, other);
	EXPECT_EQ(-1, bm_reg_xfer(c->fd, other, 0, a, 0, 0, &t));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, sync_range(c->fd, other, 0, a, BUSMASTER_SYNC_FOR_CPU));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, bm_unregister(c->fd, other));
	EXPECT_EQ(ENOENT, errno);
	close(fd2);	/* unregisters its buffers */
	EXPECT_EQ(0, bm_unregister(c->fd, h));
	munmap(ro, PAGE);
	munmap(buf, 4 * PAGE);
}

/* In a child: user nobody (no CAP_IPC_LOCK), RLIMIT_MEMLOCK @pages pages. */
static int become_nobody(unsigned long pages)
{
	struct rlimit lim = { pages * PAGE, pages * PAGE };

	return setrlimit(RLIMIT_MEMLOCK, &lim) || setgid(65534) || setuid(65534);
}

/*
 * Long-term pins are charged to RLIMIT_MEMLOCK: an unprivileged process
 * (no CAP_IPC_LOCK) cannot pin past it, and a refused registration leaves
 * nothing pinned or charged.
 */
TEST_F(card, memlock_limit_is_enforced)
{
	struct bm_card *c = &self->c;
	pid_t pid;
	int status;

	if (geteuid())
		SKIP(return, "needs root to become an unprivileged user");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint8_t *buf = anon(64 * PAGE);
		int fd = bm_open_id(c->id, O_RDWR);	/* this process's own file */
		struct busmaster_common_alloc ca = { 0 };
		uint32_t h1, h2, h3;

		/* Opened as root; then no CAP_IPC_LOCK, and a 16-page limit. */
		if (!buf || fd < 0 || become_nobody(16))
			_exit(10);
		if (bm_register(fd, buf, 8 * PAGE, 0, &h1))
			_exit(11);	/* within the limit */
		if (!bm_register(fd, buf + 8 * PAGE, 9 * PAGE, 0, &h2) || errno != ENOMEM)
			_exit(12);	/* 17 pages > 16 */
		if (bm_register(fd, buf + 8 * PAGE, 8 * PAGE, 0, &h2))
			_exit(13);	/* exactly at the limit */
		if (bm_unregister(fd, h1) || bm_register(fd, buf + 32 * PAGE, 8 * PAGE, 0, &h3))
			_exit(14);	/* unregistering gives the charge back */
		ca.size = sizeof(ca);
		ca.length = PAGE;
		if (!ioctl(fd, BUSMASTER_IOCTL_COMMON_ALLOC, &ca) || errno != ENOMEM)
			_exit(15);	/* common buffers count too: 17 > 16 */
		if (bm_unregister(fd, h3) || ioctl(fd, BUSMASTER_IOCTL_COMMON_ALLOC, &ca))
			_exit(16);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("step %d failed (10 setup, 11 within, 12 over, 13 at, 14 after unregister, 15/16 common buffers)",
		       WEXITSTATUS(status));
}

/*
 * The limit is the user's, not the process's: a process of the same user
 * (here a fork) cannot pin more because it has an address space of its
 * own. Before, each process had the whole limit, so forking multiplied it.
 */
TEST_F(card, memlock_limit_is_per_user)
{
	struct bm_card *c = &self->c;
	pid_t pid;
	int status;

	if (geteuid())
		SKIP(return, "needs root to become an unprivileged user");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint8_t *buf = anon(32 * PAGE);
		int fd = bm_open_id(c->id, O_RDWR);
		int fd2 = bm_open_id(c->id, O_RDWR);	/* the fork's own file */
		uint32_t h1, h2;
		pid_t child;

		if (!buf || fd < 0 || fd2 < 0 || become_nobody(16))
			_exit(10);
		if (bm_register(fd, buf, 10 * PAGE, 0, &h1))
			_exit(11);	/* 10 of the user's 16 pages */
		child = fork();
		if (child == 0) {
			/* Its own file and address space; the same user: 20 > 16. */
			if (!bm_register(fd2, buf + 16 * PAGE, 10 * PAGE, 0, &h2) || errno != ENOMEM)
				_exit(1);
			if (bm_register(fd2, buf + 16 * PAGE, 6 * PAGE, 0, &h2))
				_exit(2);	/* 16: exactly the limit */
			_exit(0);
		}
		close(fd2);
		if (child < 0 || waitpid(child, &status, 0) != child ||
		    !WIFEXITED(status))
			_exit(12);
		if (WEXITSTATUS(status))
			_exit(12 + WEXITSTATUS(status));
		/* The child's registration went with it: room again. */
		if (bm_register(fd, buf + 16 * PAGE, 6 * PAGE, 0, &h2))
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("step %d failed (10 setup, 11 first, 13 the fork pinned past the user's limit, 14 at the limit, 15 after the fork exited)",
		       WEXITSTATUS(status));
}

struct inflight {
	int fd;
	uint32_t h;
	uint64_t len;
	int ret, err;
	struct busmaster_transfer t;
};

static void *inflight_run(void *arg)
{
	struct inflight *f = arg;

	f->ret = bm_reg_xfer(f->fd, f->h, 0, f->len, 0, 0, &f->t);
	f->err = errno;
	return NULL;
}

/*
 * Registered buffers on a card that bounces through swiotlb hold their
 * bounce space for as long as they live: all of the card's files together
 * get registered_bounce_mb of the pool every device shares, then ENOMEM.
 * (Any opener could fill the pool before, and every device that bounces
 * then failed its DMA.)
 */
TEST_F(card, registered_bounce_space_is_bounded_per_card)
{
	const uint64_t piece = 1 << 20;
	long mb = bm_debugfs_read_file("/sys/module/busmaster/parameters/registered_bounce_mb");

	/* No such parameter: a driver without the bound, held to the default. */
	if (mb < 0)
		mb = 16;
	if (!mb || mb >= BUSMASTER_REGISTER_PER_FILE)
		SKIP(return, "registered_bounce_mb=%ld: no limit to test", mb);
	struct bm_card *c = &self->c;
	uint32_t h[BUSMASTER_REGISTER_PER_FILE], extra;
	struct busmaster_transfer t;
	uint8_t *buf;
	int fd2, k;

	if (c->info.bounce != BUSMASTER_BOUNCE_SWIOTLB || !c->bar ||
	    c->info.card_mem_size < piece)
		SKIP(return, "%s does not bounce through swiotlb", c->info.pci_slot);
	fd2 = bm_open_id(c->id, O_RDWR);
	ASSERT_LE(0, fd2);
	buf = mmap(NULL, (mb + 1) * piece, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	bm_fill_random(buf, (mb + 1) * piece, &(unsigned int){ 7 });
	/* Two files, one card: the share is the card's. */
	for (k = 0; k < mb; k++) {
		ASSERT_EQ(0, bm_register(k % 2 ? fd2 : c->fd, buf + k * piece, piece, 0, &h[k]))
			TH_LOG("%s: buffer %d: %s", c->info.pci_slot, k, strerror(errno));
	}
	EXPECT_EQ(mb * (long)(piece / PAGE), bm_debugfs_read(c->id, "registered_bounce_pages"));
	EXPECT_EQ(-1, bm_register(c->fd, buf + mb * piece, piece, 0, &extra));
	EXPECT_EQ(ENOMEM, errno) TH_LOG("%s: past %ld MiB", c->info.pci_slot, mb);
	EXPECT_EQ(-1, bm_register(fd2, buf + mb * piece, PAGE, 0, &extra));
	EXPECT_EQ(ENOMEM, errno);
	/* Given back in one file, taken in the other, and it moves data. */
	ASSERT_EQ(0, bm_unregister(c->fd, h[0]));
	ASSERT_EQ(0, bm_register(fd2, buf + mb * piece, piece, 0, &h[0])) TH_LOG("%s", strerror(errno));
	memset(c->bar, 0, piece);
	EXPECT_EQ(0, bm_reg_xfer(fd2, h[0], 0, piece, 0, 0, &t)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(c->bar, buf + mb * piece, piece));
	for (k = 0; k < mb; k++)
		EXPECT_EQ(0, bm_unregister(k % 2 || !k ? fd2 : c->fd, h[k]));
	close(fd2);
	munmap(buf, (mb + 1) * piece);
	EXPECT_EQ(0, bm_debugfs_read(c->id, "registered_bounce_pages"));
	TH_LOG("%s: %ld registered buffers of 1 MiB, then ENOMEM", c->info.pci_slot, mb);
}

/* Unregister while a transfer on the buffer runs: it finishes, intact. */
TEST_F(card, unregister_while_a_transfer_runs)
{
	struct bm_card *c = &self->c;
	struct inflight f;
	struct timespec ts = { 0, 150 * 1000 * 1000 };
	pthread_t th;
	uint8_t *buf;

	if (!c->bar || bm_fi_write(c->id, "latency_ns", 0))
		SKIP(return, "needs a card with latency injection (debugfs, root)");
	f.len = card_budget(c, 1 << 20);
	if (f.len <= c->info.max_transfer_size)
		SKIP(return, "%s moves %llu bytes in one card transfer",
		     c->info.pci_slot, (unsigned long long)f.len);
	buf = anon(f.len);
	ASSERT_NE(NULL, buf);
	bm_fill_random(buf, f.len, &(unsigned int){ 41 });
	memset(c->bar, 0, f.len);
	ASSERT_EQ(0, bm_register(c->fd, buf, f.len, 0, &f.h));
	f.fd = c->fd;
	/* 50 ms a card transfer: the request is still running when we unregister. */
	ASSERT_EQ(0, bm_fi_write(c->id, "latency_ns", 50 * 1000 * 1000));
	ASSERT_EQ(0, pthread_create(&th, NULL, inflight_run, &f));
	nanosleep(&ts, NULL);
	EXPECT_EQ(0, bm_unregister(c->fd, f.h));
	ASSERT_EQ(0, pthread_join(th, NULL));
	bm_fi_write(c->id, "latency_ns", 0);
	EXPECT_EQ(0, f.ret) TH_LOG("%s", strerror(f.err));
	EXPECT_EQ(f.len, f.t.bytes_done);
	EXPECT_LT(1, f.t.transfers) TH_LOG("one card transfer: unregister came after it");
	EXPECT_EQ(0, memcmp(c->bar, buf, f.len));
	munmap(buf, f.len);
}

/* MmBuildMdlForNonPagedPool: the engine driven by a kernel buffer. */
TEST_F(card, kernel_memory_through_the_same_engine)
{
	struct bm_card *c = &self->c;
	uint64_t len = card_budget(c, 256 * 1024 + 8);
	char path[128], got[32] = "";
	int fd;

	if (bm_fi_write(c->id, "kernel_selftest", len)) {
		ASSERT_NE(EIO, errno) TH_LOG("%s: kernel buffer came back wrong",
					     c->info.pci_slot);
		SKIP(return, "no debugfs (needs root)");
	}
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/busmaster/busmaster%d/kernel_selftest", c->id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, got, sizeof(got) - 1));
	close(fd);
	EXPECT_EQ(len, strtoull(got, NULL, 10));
}

TEST_HARNESS_MAIN
