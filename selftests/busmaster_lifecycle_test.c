// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster lifetime rules: the module cannot go while a file is open, and a
 * card removed under an open file (PutDmaAdapter's case, or surprise removal)
 * leaves the file valid but answering ENODEV until it is closed.
 */
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

/* After a rescan, wait for the card at @slot to come back; its fd or -1. */
static int wait_for_card(const char *slot, struct busmaster_info *info)
{
	int fd = -1;

	if (bm_write_file("/sys/bus/pci/rescan", "1"))
		return -1;
	for (int i = 0; i < 100 && fd < 0; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		fd = bm_open_slot(slot, info);
		if (fd < 0)
			nanosleep(&ts, NULL);
	}
	return fd;
}

TEST(module_stays_while_a_file_is_open)
{
	int ids[BM_MAX_CARDS];
	struct busmaster_info info;
	int fd;

	if (!bm_list_cards(ids, BM_MAX_CARDS))
		SKIP(return, "no /dev/busmaster*");
	fd = bm_open_id(ids[0], O_RDWR);
	ASSERT_LE(0, fd);

	errno = 0;
	if (syscall(SYS_delete_module, "busmaster", O_NONBLOCK) == 0)
		ASSERT_TRUE(0) TH_LOG("the module unloaded under an open file");
	if (errno == ENOENT)
		SKIP(close(fd); return, "busmaster is built in, not a module");
	if (errno == EPERM)
		SKIP(close(fd); return, "needs CAP_SYS_MODULE");
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(0, bm_info(fd, &info));
	EXPECT_EQ(0, close(fd));
}

TEST(card_removed_under_an_open_file)
{
	struct busmaster_info info, again;
	char path[128], node[64], slot[16];
	struct busmaster_transfer t;
	int ids[BM_MAX_CARDS];
	static uint8_t buf[4096] __attribute__((aligned(4096))) = { 1 };
	struct stat st;
	int fd, reopened;

	if (!bm_list_cards(ids, BM_MAX_CARDS))
		SKIP(return, "no /dev/busmaster*");
	fd = bm_open_id(ids[0], O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bm_info(fd, &info));
	/* The file's copy buffer is mapped for the card: removal unmaps it. */
	ASSERT_EQ(0, bm_xfer(fd, buf, info.alignment, 0, BUSMASTER_XFER_COPY, 0, &t))
		TH_LOG("%s", strerror(errno));
	memcpy(slot, info.pci_slot, sizeof(slot));
	snprintf(node, sizeof(node), "/dev/busmaster%d", ids[0]);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", slot);

	if (bm_write_file(path, "1")) {
		close(fd);
		if (errno == EACCES || errno == EPERM)
			SKIP(return, "needs root to remove a PCI device");
		ASSERT_TRUE(0) TH_LOG("%s: %s", path, strerror(errno));
	}

	/* The file stays valid; the card behind it is gone. */
	EXPECT_EQ(-1, bm_info(fd, &again));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, bm_xfer(fd, buf, info.alignment, 0, BUSMASTER_XFER_COPY, 0, &t));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, stat(node, &st)) TH_LOG("%s still exists", node);
	EXPECT_EQ(0, close(fd));

	/* Bring it back, and it works as before. */
	reopened = wait_for_card(slot, &again);
	ASSERT_LE(0, reopened) TH_LOG("%s did not come back after rescan", slot);
	EXPECT_EQ(info.card_model, again.card_model);
	EXPECT_EQ(info.dma_addr_bits, again.dma_addr_bits);
	EXPECT_EQ(info.map_registers, again.map_registers);
	EXPECT_EQ(0, close(reopened));
}

struct faulting {
	int fd;
	void *buf;
	uint64_t len;
	int ret, err, done;
};

static void *faulting_transfer(void *arg)
{
	struct faulting *f = arg;
	struct busmaster_transfer t;

	f->ret = bm_xfer(f->fd, f->buf, f->len, 0, 0, 0, &t);
	f->err = errno;
	__atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * remove() holds no one hostage: not a thread whose request faults on user
 * memory that nobody fills (userfaultfd), nor a process whose request waits
 * on the card (held 3 s by the modelled latency; its timeout is 20 s,
 * short enough to end the test within the harness's 30 s if a removal
 * missed it). It returns while both are in progress; the waiter gets ENODEV
 * at once, the faulting thread ENODEV once its fault is served. Before,
 * remove() waited for both, and blocked every new call of every user.
 */
TEST(removal_waits_for_no_user)
{
	const uint64_t len = 64 * 1024;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct faulting f = { .len = len };
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);
	int fd = -1, id = -1, uffd, status, reopened, fds[2];
	struct busmaster_info info, again;
	struct { int ret, err; uint64_t done; } w = { 0, 0, 1 };
	pthread_t th;
	uint64_t removed;
	char path[128];
	uint8_t *dst;
	pid_t waiter, remover;
	long pins;

	for (int i = 0; i < n && fd < 0; i++) {
		fd = bm_open_id(ids[i], O_RDWR);
		id = ids[i];
		bm_fi_path(path, sizeof(path), id, "latency_ns");
		if (fd >= 0 && (bm_info(fd, &info) || access(path, W_OK))) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		SKIP(return, "no card of ours with fault injection (needs root)");
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(close(fd); return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	f.fd = fd;
	f.buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f.buf);
	reg.range.start = (uintptr_t)f.buf;
	reg.range.len = len;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	dst = bm_pattern(len, 1);
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, pipe(fds));
	pins = bm_pins_held();

	/* A process waiting on the card: its transfer is held 3 s. */
	ASSERT_EQ(0, bm_fi_write(id, "latency_ns", 3000ULL * 1000 * 1000));
	waiter = fork();
	ASSERT_LE(0, waiter);
	if (waiter == 0) {
		struct busmaster_transfer t;

		close(uffd);	/* the fault is served when the parent closes it */
		w.ret = bm_xfer(fd, dst, len, 0, BUSMASTER_XFER_FROM_CARD, 20000, &t);
		w.err = errno;
		w.done = t.bytes_done;
		_exit(write(fds[1], &w, sizeof(w)) != sizeof(w));
	}
	/* A thread faulting on memory nobody fills. */
	ASSERT_EQ(0, pthread_create(&th, NULL, faulting_transfer, &f));
	usleep(300 * 1000);
	ASSERT_FALSE(__atomic_load_n(&f.done, __ATOMIC_ACQUIRE));

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", info.pci_slot);
	remover = fork();
	ASSERT_LE(0, remover);
	if (remover == 0) {
		close(uffd);
		_exit(bm_write_file(path, "1") ? 1 : 0);
	}
	removed = bm_ended_within(remover, 2000, &status);
	EXPECT_NE(0, removed) TH_LOG("remove() still waits 2 s later");
	EXPECT_FALSE(__atomic_load_n(&f.done, __ATOMIC_ACQUIRE))
		TH_LOG("the faulting request ended before its fault was served");
	EXPECT_TRUE(bm_ended_within(waiter, 2000, &status))
		TH_LOG("the waiter was not let go");
	TH_LOG("remove() returned after %llu ms", (unsigned long long)removed);

	/* Serve the fault: the request goes on, and finds the card gone. */
	close(uffd);
	pthread_join(th, NULL);
	EXPECT_EQ(-1, f.ret);
	EXPECT_EQ(ENODEV, f.err) TH_LOG("faulting request: %s", strerror(f.err));
	if (!removed)
		waitpid(remover, &status, 0);
	waitpid(waiter, &status, 0);
	ASSERT_EQ(sizeof(w), read(fds[0], &w, sizeof(w)));
	EXPECT_EQ(-1, w.ret);
	EXPECT_EQ(ENODEV, w.err) TH_LOG("waiter: %s", strerror(w.err));
	EXPECT_EQ(0, w.done);
	EXPECT_EQ(pins, bm_pins_held());
	close(fd);

	reopened = wait_for_card(info.pci_slot, &again);
	ASSERT_LE(0, reopened) TH_LOG("%s did not come back after rescan", info.pci_slot);
	close(reopened);
	munmap(f.buf, len);
	free(dst);
	close(fds[0]);
	close(fds[1]);
}

/* Move @src to the card and back until it fails: 0 on ENODEV, else why. */
static int traffic(int fd, uint8_t *src, uint8_t *back, uint64_t len,
		   uint64_t card_off)
{
	struct busmaster_transfer t;

	for (int i = 0; i < 10000; i++) {
		if (bm_xfer(fd, src, len, card_off, 0, 0, &t) ||
		    bm_xfer(fd, back, len, card_off, BUSMASTER_XFER_FROM_CARD, 0, &t))
			return errno == ENODEV ? 0 : errno;
		if (memcmp(src, back, len))
			return 200;	/* wrong bytes came back */
	}
	return 201;	/* never removed */
}

/*
 * Removal and rescan under traffic, five times for each card of ours (the
 * lanes give them MSI-X, MSI and INTx): two processes moving data through
 * the card end with ENODEV, none hangs, every round trip before it came
 * back right, and afterwards nothing is pinned. Fifteen removals and
 * probes outlast the harness's default 30 s on the debug kernel: the
 * fixture is there for its timeout.
 */
FIXTURE(removal) {};
FIXTURE_SETUP(removal) {}
FIXTURE_TEARDOWN(removal) {}

TEST_F_TIMEOUT(removal, under_traffic, 300)
{
	const uint64_t len = 64 * 1024;
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS), tested = 0;
	char slots[BM_MAX_CARDS][16];
	int modes[BM_MAX_CARDS];
	long pins = bm_pins_held();

	for (int i = 0; i < n; i++) {
		struct busmaster_info info;
		char path[128];
		int fd = bm_open_id(ids[i], O_RDWR);

		bm_fi_path(path, sizeof(path), ids[i], "latency_ns");
		if (fd < 0 || bm_info(fd, &info) || access(path, W_OK) ||
		    getenv("BUSMASTER_UNSTOPPABLE_SLOT")) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		memcpy(slots[tested], info.pci_slot, sizeof(slots[0]));
		modes[tested++] = info.irq_mode;
		close(fd);
	}
	if (!tested)
		SKIP(return, "no card of ours with fault injection (needs root)");
	for (int c = 0; c < tested; c++) {
		for (int round = 0; round < 5; round++) {
			struct busmaster_info info;
			char path[320];
			pid_t pid[2];
			int id, status, fd = bm_find_slot(slots[c], &info, &id);

			ASSERT_LE(0, fd) TH_LOG("%s, round %d: gone", slots[c], round);
			ASSERT_GE(info.card_mem_size, 2 * len);
			/* Each card transfer held 5 ms: the removal finds some on the card. */
			ASSERT_EQ(0, bm_fi_write(id, "latency_ns", 5 * 1000 * 1000));
			for (int k = 0; k < 2; k++) {
				pid[k] = fork();
				ASSERT_LE(0, pid[k]);
				if (pid[k] == 0) {
					uint8_t *src = bm_pattern(len, round * 2 + k);
					uint8_t *back = bm_pattern(len, 99);

					_exit(traffic(fd, src, back, len, k * len));
				}
			}
			usleep(100 * 1000);
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", slots[c]);
			ASSERT_EQ(0, bm_write_file(path, "1"));
			for (int k = 0; k < 2; k++) {
				int ended = bm_ended_within(pid[k], 5000, &status);

				if (!ended) {
					kill(pid[k], SIGKILL);
					waitpid(pid[k], &status, 0);
				}
				EXPECT_TRUE(ended) TH_LOG("%s (irq mode %d), round %d: a process still runs 5 s after the removal",
							  slots[c], modes[c], round);
				EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
					TH_LOG("%s (irq mode %d), round %d: traffic ended with %d",
					       slots[c], modes[c], round, WEXITSTATUS(status));
			}
			close(fd);
			fd = wait_for_card(slots[c], &info);
			ASSERT_LE(0, fd) TH_LOG("%s did not come back after rescan", slots[c]);
			close(fd);
		}
	}
	EXPECT_EQ(pins, bm_pins_held());
}

/*
 * Removal with a full queue of asynchronous requests: every one completes
 * with ENODEV -- those on the card at once, those queued without running --
 * and the file still reaps them; nothing stays pinned.
 */
TEST(removal_completes_a_full_queue_with_enodev)
{
	const uint64_t len = 64 * 1024;
	struct busmaster_completion rec[BUSMASTER_DEPTH_DEFAULT];
	struct busmaster_info info;
	struct busmaster_queue q;
	long pins = bm_pins_held();
	uint64_t start, took;
	char path[320];
	uint8_t *buf;
	int got = 0, id;
	int fd = bm_open_fi_card(BUSMASTER_DEPTH_DEFAULT * len, &id, &info);

	if (fd < 0)
		SKIP(return, "no card of ours with fault injection and 4 MiB (needs root)");
	buf = bm_pattern(BUSMASTER_DEPTH_DEFAULT * len, 5);
	ASSERT_NE(NULL, buf);
	/* Each card transfer held a second: most of the queue waits. */
	ASSERT_EQ(0, bm_fi_write(id, "latency_ns", 1000ULL * 1000 * 1000));
	for (int i = 0; i < BUSMASTER_DEPTH_DEFAULT; i++) {
		ASSERT_EQ(0, bm_submit(fd, i % 2 ? BUSMASTER_XFER_FROM_CARD : 0, 0,
				       (uintptr_t)buf + i * len, len, i * len, i, NULL))
			TH_LOG("request %d: %s", i, strerror(errno));
	}
	usleep(200 * 1000);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", info.pci_slot);
	start = bm_now_ms();
	ASSERT_EQ(0, bm_write_file(path, "1"));
	took = bm_now_ms() - start;
	while (got < BUSMASTER_DEPTH_DEFAULT) {
		int k = bm_reap(fd, rec, BUSMASTER_DEPTH_DEFAULT, 1, 10000);

		ASSERT_LT(0, k) TH_LOG("%d of %d completed: %s", got,
				       BUSMASTER_DEPTH_DEFAULT, strerror(errno));
		for (int i = 0; i < k; i++) {
			EXPECT_EQ(-ENODEV, rec[i].error) TH_LOG("request %llu: %s",
				(unsigned long long)rec[i].tag, strerror(-rec[i].error));
			EXPECT_EQ(0, rec[i].bytes_done);
		}
		got += k;
	}
	TH_LOG("removal with %d requests in flight took %llu ms; all completed after %llu ms",
	       BUSMASTER_DEPTH_DEFAULT, (unsigned long long)took,
	       (unsigned long long)(bm_now_ms() - start));
	EXPECT_GT(2000, took);
	EXPECT_EQ(-1, bm_submit(fd, 0, 0, (uintptr_t)buf, len, 0, 0, NULL));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, bm_queue(fd, 0, &q));
	EXPECT_EQ(0, q.in_flight);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(pins, bm_pins_held());
	fd = wait_for_card(info.pci_slot, &info);
	ASSERT_LE(0, fd) TH_LOG("%s did not come back after rescan", info.pci_slot);
	close(fd);
	free(buf);
}

/*
 * A common buffer mapped when its card goes: the process may still touch
 * the mapping (or be killed by SIGBUS), and unmapping it later must not
 * hurt the kernel -- the DMA memory belonged to a device that is gone.
 */
TEST(common_buffer_mapped_across_removal)
{
	struct busmaster_common_alloc ca = { .size = sizeof(ca), .length = 4096 };
	struct busmaster_info info;
	char path[128], slot[16];
	int ids[BM_MAX_CARDS];
	int fd, reopened, status;
	void *map;
	pid_t pid;

	if (!bm_list_cards(ids, BM_MAX_CARDS))
		SKIP(return, "no /dev/busmaster*");
	fd = bm_open_id(ids[0], O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bm_info(fd, &info));
	memcpy(slot, info.pci_slot, sizeof(slot));
	ASSERT_EQ(0, ioctl(fd, BUSMASTER_IOCTL_COMMON_ALLOC, &ca));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, ca.mmap_offset);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, close(fd));

	memset(map, 0x5a, 4096);	/* every page mapped now */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", slot);
	ASSERT_EQ(0, bm_write_file(path, "1"));
	/* The memory went back to the kernel: touching it is SIGBUS, never a read of it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(*(volatile uint8_t *)map == 0x5a ? 1 : 2);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("a touch after removal: %s %d", WIFSIGNALED(status) ? "signal" : "exit",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	/* Unmapping now frees what is left; the kernel log must stay clean. */
	EXPECT_EQ(0, munmap(map, 4096));

	reopened = wait_for_card(slot, &info);
	ASSERT_LE(0, reopened) TH_LOG("%s did not come back after rescan", slot);
	close(reopened);
}

/*
 * A reset of the PCI function through sysfs (a bus reset here: the card sits
 * behind a root port in lane card-reset) loses the card's rings and its
 * interrupt mask; the driver programs them again, so the next transfer works
 * at once. Before, every transfer after it timed out.
 */
TEST(reset_through_sysfs_keeps_the_card_working)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS), tested = 0;
	size_t len = 64 * 1024;
	uint8_t *src = malloc(len), *back = malloc(len);

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	for (int i = 0; i < n; i++) {
		struct busmaster_transfer t;
		struct busmaster_info info;
		char path[128];
		int fd = bm_open_id(ids[i], O_RDWR);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bm_info(fd, &info));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", info.pci_slot);
		if (access(path, W_OK) || info.card_model != BUSMASTER_MODEL_CARD) {
			close(fd);
			continue;
		}
		tested++;
		for (size_t k = 0; k < len; k++)
			src[k] = (uint8_t)(k * 13 + i);
		ASSERT_EQ(0, bm_write_file(path, "1")) TH_LOG("%s: reset: %s", info.pci_slot,
							  strerror(errno));
		EXPECT_EQ(0, bm_xfer(fd, src, len, 0, 0, 2000, &t))
			TH_LOG("%s: first transfer after the reset: %s", info.pci_slot,
			       strerror(errno));
		memset(back, 0, len);
		EXPECT_EQ(0, bm_xfer(fd, back, len, 0, BUSMASTER_XFER_FROM_CARD, 2000, &t))
			TH_LOG("%s: %s", info.pci_slot, strerror(errno));
		EXPECT_EQ(0, memcmp(src, back, len));
		close(fd);
	}
	free(src);
	free(back);
	if (!tested)
		SKIP(return, "no card of ours with a reset method in sysfs (lane card-reset has one)");
}

/*
 * A card the previous kernel left running (kexec, kdump; the model's
 * boot_dma, lane card-reset) moves data as soon as it may master the bus.
 * The driver must reset it before it enables bus mastering: the card counts
 * the DMA it did before its first reset (debugfs boot_dma, the card's own
 * register). Before, probe enabled bus mastering first: one DMA.
 */
TEST(card_left_running_is_reset_before_bus_mastering)
{
	const char *slot = getenv("BUSMASTER_BOOT_DMA_SLOT");
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS), tested = 0;

	if (!slot)
		SKIP(return, "no card left running at boot (lane card-reset sets BUSMASTER_BOOT_DMA_SLOT)");
	for (int i = 0; i < n; i++) {
		struct busmaster_info info;
		int fd = bm_open_id(ids[i], O_RDONLY);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bm_info(fd, &info));
		close(fd);
		if (strcmp(info.pci_slot, slot))
			continue;
		tested++;
		EXPECT_EQ(0, bm_debugfs_read(ids[i], "boot_dma"))
			TH_LOG("%s moved data before the driver reset it", slot);
	}
	ASSERT_EQ(1, tested) TH_LOG("no card at %s", slot);
}

/* The kernel's struct aer_error_inj (drivers/pci/pcie/aer_inject.c). */
struct aer_error_inj {
	uint8_t bus, dev, fn;
	uint32_t uncor_status, cor_status;
	uint32_t header_log[4];
	uint32_t domain;
};

#define PCI_ERR_UNC_COMP_ABORT	0x00008000	/* non-fatal by default */
#define PCI_ERR_UNC_MALF_TLP	0x00040000	/* fatal by default */

/* Wait up to @ms for a kernel log line containing @what; 0 when seen. */
static int kmsg_wait(int kmsg, const char *what, int ms)
{
	char rec[1024];

	for (int waited = 0; waited < ms; waited += 50) {
		ssize_t n;

		while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
			rec[n] = 0;
			if (strstr(rec, what))
				return 0;
		}
		usleep(50 * 1000);
	}
	return -1;
}

/*
 * A PCIe error reported for the card (aer_inject, on a card with AER behind
 * a root port: lane card-reset), fatal and non-fatal: the AER core must
 * recover it with the driver's help (error_detected quarantines it,
 * slot_reset resets the function if the core did not, programs it again
 * and lifts the quarantine) and the card must move bytes right after.
 * Before, the driver had no error_detected: "device recovery failed".
 */
TEST(pcie_error_is_recovered)
{
	static const struct { uint32_t status; const char *kind; } errs[] = {
		{ PCI_ERR_UNC_MALF_TLP, "fatal" },
		{ PCI_ERR_UNC_COMP_ABORT, "non-fatal" },
	};
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS), tested = 0;
	size_t len = 64 * 1024;
	uint8_t *src = malloc(len), *back = malloc(len);

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, back);
	if (access("/dev/aer_inject", W_OK))
		SKIP(return, "no /dev/aer_inject (CONFIG_PCIEAER_INJECT, aer_inject.ko)");
	for (int i = 0; i < n; i++) {
		struct busmaster_transfer t;
		struct busmaster_info info;
		unsigned int dom, bus, dev, fn;
		char path[128];
		int fd = bm_open_id(ids[i], O_RDWR);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bm_info(fd, &info));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/aer_dev_fatal", info.pci_slot);
		if (access(path, R_OK) || info.card_model != BUSMASTER_MODEL_CARD) {
			close(fd);
			continue;
		}
		tested++;
		ASSERT_EQ(4, sscanf(info.pci_slot, "%x:%x:%x.%x", &dom, &bus, &dev, &fn));
		for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
			struct aer_error_inj inj = {
				.bus = bus, .dev = dev, .fn = fn, .domain = dom,
				.uncor_status = errs[e].status,
			};
			int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			int aer = open("/dev/aer_inject", O_WRONLY | O_CLOEXEC);

			ASSERT_LE(0, kmsg);
			ASSERT_LE(0, aer);
			lseek(kmsg, 0, SEEK_END);
			ASSERT_EQ(sizeof(inj), write(aer, &inj, sizeof(inj)))
				TH_LOG("%s: inject a %s error: %s", info.pci_slot, errs[e].kind,
				       strerror(errno));
			close(aer);
			EXPECT_EQ(0, kmsg_wait(kmsg, "AER: device recovery successful", 10000))
				TH_LOG("%s: no successful recovery from a %s error", info.pci_slot,
				       errs[e].kind);
			close(kmsg);

			for (size_t k = 0; k < len; k++)
				src[k] = (uint8_t)(k * 7 + e + i);
			memset(back, 0, len);
			EXPECT_EQ(0, bm_xfer(fd, src, len, 0, 0, 2000, &t))
				TH_LOG("%s: after a %s error: %s", info.pci_slot, errs[e].kind,
				       strerror(errno));
			EXPECT_EQ(0, bm_xfer(fd, back, len, 0, BUSMASTER_XFER_FROM_CARD, 2000, &t))
				TH_LOG("%s: after a %s error: %s", info.pci_slot, errs[e].kind,
				       strerror(errno));
			EXPECT_EQ(0, memcmp(src, back, len));
		}
		close(fd);
	}
	free(src);
	free(back);
	if (!tested)
		SKIP(return, "no card of ours with AER (lane card-reset has one: aer=on)");
}

TEST_HARNESS_MAIN
