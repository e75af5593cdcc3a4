// SPDX-License-Identifier: GPL-2.0
/*
 * Every unwind path, as iommufd_fail_nth does for iommufd: on a kernel with
 * fault injection (the debug kernel), fail the 1st, 2nd, 3rd ... slab or
 * page allocation of one call in turn -- probe, open, every ioctl, mmap --
 * until the call succeeds with nothing left to fail. Each failing step must
 * return a clean errno and leave nothing pinned, charged or held by the
 * driver; the debug kernel's KASAN, lockdep, DMA-API debug and kmemleak
 * (scanned when the lane ends) watch for the rest.
 */
#include <dirent.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define PAGE		4096UL
#define MAX_STEPS	5000

/*
 * Sleeping allocations must fail too (failslab and fail_page_alloc skip
 * them by default), order-0 pages included, and quietly: the harness fails
 * the run on a stack dump. Slab failures are limited to the kmalloc caches
 * (the driver's, its scatterlists'): DMA-API debug allocates its tracking
 * nodes from another cache, and a failure there would switch it off for
 * the rest of the boot. The debug lane boots with slab_nomerge, so each
 * kmalloc cache can be marked alone.
 */
static char fi_why[400];

static int fault_injection_setup(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/cache-filter", "Y" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	};

	/*
	 * The driver's own allocations outside the kmalloc caches (xarray
	 * nodes) go through these, which fail_function can fail in turn too.
	 */
	static const char *const funcs[] = { "bm_handle_reserve", "bm_claim_batch" };
	const char *ff = "/sys/kernel/debug/fail_function";
	struct dirent *de;
	char path[300];
	int marked = 0;
	DIR *d;

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (bm_write_file(knobs[i][0], knobs[i][1])) {
			snprintf(fi_why, sizeof(fi_why), "cannot write %s", knobs[i][0]);
			return -1;
		}
	snprintf(path, sizeof(path), "%s/verbose", ff);
	if (bm_write_file(path, "0")) {
		snprintf(fi_why, sizeof(fi_why), "cannot write %s (FAIL_FUNCTION)", path);
		return -1;
	}
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/retval", ff, funcs[i]);
		if (access(path, F_OK)) {
			snprintf(path, sizeof(path), "%s/inject", ff);
			if (bm_write_file(path, funcs[i])) {
				snprintf(fi_why, sizeof(fi_why), "fail_function refuses %s", funcs[i]);
				return -1;
			}
			snprintf(path, sizeof(path), "%s/%s/retval", ff, funcs[i]);
		}
		if (bm_write_file(path, "0xfffffffffffffff4")) {	/* -ENOMEM, as u64 */
			snprintf(fi_why, sizeof(fi_why), "cannot write %s", path);
			return -1;
		}
	}
	snprintf(fi_why, sizeof(fi_why), "no kmalloc cache could be marked in /sys/kernel/slab (slab_nomerge?)");
	d = opendir("/sys/kernel/slab");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "kmalloc-", 8))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/failslab", de->d_name);
		marked += !bm_write_file(path, "1");
	}
	closedir(d);
	return marked ? 0 : -1;
}

/* This thread's /proc/self/task/TID/fail-nth, opened before any arming. */
static int nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR | O_CLOEXEC);
}

static void nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fd, buf, len, 0) != len)
		abort();
}

/* Disarm; true when the armed failure was injected. */
static bool nth_disarm(int fd)
{
	char buf[16] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0 || pwrite(fd, "0", 1, 0) != 1)
		abort();
	return atoi(buf) == 0;
}

/* What must be back where it was after a failed step. */
struct held {
	long pinned_pages, map_registers_used, common_buffers, claimed_pages;
	long vm_pin_kb, foll_pins;
};

/* Pages pinned for DMA system-wide and not yet released. */
static void held_read(int id, struct held *h)
{
	h->pinned_pages = bm_debugfs_read(id, "pinned_pages");
	h->map_registers_used = bm_debugfs_read(id, "map_registers_used");
	h->common_buffers = bm_debugfs_read(id, "common_buffers");
	h->claimed_pages = bm_debugfs_read_file("/sys/kernel/debug/busmaster/claimed_pages");
	h->vm_pin_kb = bm_vm_pin_kb();
	h->foll_pins = bm_pins_held();
}

/* One card under test and the buffers every step uses (touched beforehand,
 * so that no page fault of the test itself meets an armed failure). */
struct ctx {
	int id, fd;
	struct busmaster_info info;
	uint8_t *buf;
	uint64_t len;
	uint32_t common, reg;	/* handles made by a step's setup */
};

static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int common_alloc(struct ctx *c)
{
	struct busmaster_common_alloc a = { .size = sizeof(a), .length = c->len };
	int ret = ioc(c->fd, BUSMASTER_IOCTL_COMMON_ALLOC, &a);

	c->common = ret ? 0 : a.handle;
	return ret;
}

static int common_free(struct ctx *c)
{
	struct busmaster_common_free f = { .size = sizeof(f), .handle = c->common };
	int ret = ioc(c->fd, BUSMASTER_IOCTL_COMMON_FREE, &f);

	if (!ret)
		c->common = 0;
	return ret;
}

static int reg(struct ctx *c)
{
	struct busmaster_register r = {
		.size = sizeof(r), .flags = BUSMASTER_REG_CARD_WRITES,
		.addr = (uintptr_t)c->buf, .length = c->len,
	};
	int ret = ioc(c->fd, BUSMASTER_IOCTL_REGISTER, &r);

	c->reg = ret ? 0 : r.handle;
	return ret;
}

static int unreg(struct ctx *c)
{
	struct busmaster_unregister u = { .size = sizeof(u), .handle = c->reg };
	int ret = ioc(c->fd, BUSMASTER_IOCTL_UNREGISTER, &u);

	if (!ret)
		c->reg = 0;
	return ret;
}

static int do_open(struct ctx *c)
{
	int fd = bm_open_id(c->id, O_RDWR);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int do_info(struct ctx *c)
{
	struct busmaster_info info;

	return bm_info(c->fd, &info) ? -errno : 0;
}

static int xfer(struct ctx *c, uint32_t flags, uint32_t handle)
{
	struct busmaster_transfer t = {
		.size = sizeof(t), .flags = flags, .handle = handle,
		.addr = handle ? 0 : (uintptr_t)c->buf, .length = c->len,
	};

	return ioc(c->fd, BUSMASTER_IOCTL_TRANSFER, &t);
}

static int to_card(struct ctx *c) { return xfer(c, 0, 0); }
/* Forced: through the copy buffer, in pieces where it is 64 KiB (a card that bounces). */
static int copied_to_card(struct ctx *c) { return xfer(c, BUSMASTER_XFER_COPY, 0); }
static int from_card(struct ctx *c) { return xfer(c, BUSMASTER_XFER_FROM_CARD, 0); }
static int common_to_card(struct ctx *c) { return xfer(c, BUSMASTER_XFER_COMMON, c->common); }
static int reg_from_card(struct ctx *c)
{
	return xfer(c, BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_REGISTERED, c->reg);
}

/* A forced copy on a new file: its copy buffer is allocated in the call. */
static int copied_from_card(struct ctx *c)
{
	struct busmaster_transfer t = {
		.size = sizeof(t), .addr = (uintptr_t)c->buf,
		.flags = BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COPY,
		.length = c->len < 8192 ? c->len : 8192,
	};
	int fd = bm_open_id(c->id, O_RDWR), ret;

	if (fd < 0)
		return -errno;
	ret = ioc(fd, BUSMASTER_IOCTL_TRANSFER, &t);
	close(fd);
	return ret;
}

static int transferv(struct ctx *c)
{
	uint64_t third = c->len / 3 / c->info.alignment * c->info.alignment;
	struct busmaster_iovec iov[3] = {
		{ (uintptr_t)c->buf, third },
		{ (uintptr_t)c->buf + c->len - third, third },
		{ (uintptr_t)c->buf + third, third },
	};
	struct busmaster_transferv tv = {
		.size = sizeof(tv), .iov = (uintptr_t)iov, .count = 3,
	};

	return ioc(c->fd, BUSMASTER_IOCTL_TRANSFERV, &tv);
}

static int sync_for_cpu(struct ctx *c)
{
	struct busmaster_sync s = {
		.size = sizeof(s), .flags = BUSMASTER_SYNC_FOR_CPU,
		.handle = c->reg, .length = c->len,
	};

	return ioc(c->fd, BUSMASTER_IOCTL_SYNC, &s);
}

static int do_mmap(struct ctx *c)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		       (off_t)c->common << 32);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, PAGE);
	return 0;
}

/* A request queued and reaped: its completion's errno, or SUBMIT's. */
static int submit_reap(struct ctx *c)
{
	struct busmaster_submit sb = {
		.size = sizeof(sb), .flags = BUSMASTER_XFER_FROM_CARD,
		.addr = (uintptr_t)c->buf, .length = c->len,
	};
	struct busmaster_completion rec;
	int ret = ioc(c->fd, BUSMASTER_IOCTL_SUBMIT, &sb);
	struct busmaster_reap r = {
		.size = sizeof(r), .flags = BUSMASTER_REAP_WAIT, .max = 1,
		.min_complete = 1, .records = (uintptr_t)&rec, .timeout_ms = 10000,
	};

	if (ret)
		return ret;
	/* The request runs in a worker, where this task's fail-nth is not. */
	ret = ioc(c->fd, BUSMASTER_IOCTL_REAP, &r);
	if (ret) {
		/* SUBMIT worked: its request is in flight. Take it, then say. */
		struct busmaster_reap again = r;

		ioc(c->fd, BUSMASTER_IOCTL_REAP, &again);
		return ret;
	}
	return r.count == 1 ? rec.error : -EIO;
}

/*
 * One call under test: @setup and @undo run without injection, around
 * every step; @call is the one whose allocations fail in turn.
 */
struct step_op {
	const char *name;
	int (*setup)(struct ctx *c);
	int (*call)(struct ctx *c);
	int (*undo)(struct ctx *c);
};

static const struct step_op ops[] = {
	{ "open", NULL, do_open, NULL },
	{ "INFO", NULL, do_info, NULL },
	{ "TRANSFER to the card", NULL, to_card, NULL },
	{ "TRANSFER from the card", NULL, from_card, NULL },
	{ "TRANSFER copied, on a new file", NULL, copied_from_card, NULL },
	{ "TRANSFER copied in pieces", NULL, copied_to_card, NULL },
	{ "TRANSFERV", NULL, transferv, NULL },
	{ "COMMON_ALLOC", NULL, common_alloc, common_free },
	{ "mmap", common_alloc, do_mmap, common_free },
	{ "TRANSFER of a common buffer", common_alloc, common_to_card, common_free },
	{ "COMMON_FREE", common_alloc, common_free, NULL },
	{ "REGISTER", NULL, reg, unreg },
	{ "TRANSFER of a registered buffer", reg, reg_from_card, unreg },
	{ "SYNC", reg, sync_for_cpu, unreg },
	{ "UNREGISTER", reg, unreg, NULL },
	{ "SUBMIT and REAP", NULL, submit_reap, NULL },
};

/* Errnos a call may give when memory runs out in it. */
static bool clean_errno(int e)
{
	return e == -ENOMEM || e == -EFAULT || e == -EIO || e == -EAGAIN;
}

FIXTURE(fail_nth) {
	int n, nth;
	int ids[BM_MAX_CARDS];
};

FIXTURE_SETUP(fail_nth)
{
	self->nth = nth_open();
	if (self->nth < 0)
		SKIP(return, "no /proc/self/task/TID/fail-nth (needs CONFIG_FAULT_INJECTION: the debug kernel)");
	if (fault_injection_setup())
		SKIP(return, "fault injection not set up: %s", fi_why);
	self->n = bm_list_cards(self->ids, BM_MAX_CARDS);
	if (!self->n)
		SKIP(return, "no /dev/busmaster*");
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (self->nth >= 0)
		close(self->nth);
}

/* Fail each allocation of @op in turn; return the number of steps. */
static int run_op(struct __test_metadata *_metadata, int nth, struct ctx *c,
		  const struct step_op *op)
{
	for (unsigned int n = 1; n <= MAX_STEPS; n++) {
		struct held before, after;
		bool injected;
		int ret;

		if (op->setup)
			ASSERT_EQ(0, op->setup(c)) TH_LOG("%s: setup", op->name);
		held_read(c->id, &before);
		nth_arm(nth, n);
		ret = op->call(c);
		injected = nth_disarm(nth);
		if (!injected) {
			/* Nothing left to fail: the call must simply work. */
			EXPECT_EQ(0, ret) TH_LOG("%s: %s without a failure injected",
						 op->name, strerror(-ret));
			if (op->undo && !ret)
				op->undo(c);
			return n;
		}
		if (ret) {
			EXPECT_TRUE(clean_errno(ret))
				TH_LOG("%s, allocation %u failed: errno %d", op->name, n, -ret);
			held_read(c->id, &after);
			EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)))
				TH_LOG("%s, allocation %u failed: held before/after: pinned_pages %ld/%ld map_registers_used %ld/%ld common_buffers %ld/%ld claimed_pages %ld/%ld VmPin %ld/%ld kB pins %ld/%ld",
				       op->name, n, before.pinned_pages, after.pinned_pages,
				       before.map_registers_used, after.map_registers_used,
				       before.common_buffers, after.common_buffers,
				       before.claimed_pages, after.claimed_pages,
				       before.vm_pin_kb, after.vm_pin_kb,
				       before.foll_pins, after.foll_pins);
		} else if (op->undo) {
			op->undo(c);	/* the failure was absorbed: a fallback */
		}
		/* What setup made, a failed call did not consume. */
		if (c->common)
			common_free(c);
		if (c->reg)
			unreg(c);
		if (!__test_passed(_metadata))
			return n;
	}
	EXPECT_TRUE(0) TH_LOG("%s: still failing after %d steps", op->name, MAX_STEPS);
	return MAX_STEPS;
}

TEST_F_TIMEOUT(fail_nth, every_call_unwinds, 900)
{
	for (int i = 0; i < self->n; i++) {
		struct ctx c = { .id = self->ids[i] };

		c.fd = bm_open_id(c.id, O_RDWR);
		ASSERT_LE(0, c.fd);
		ASSERT_EQ(0, bm_info(c.fd, &c.info));
		/* Several chunks on map-register cards, a page boundary crossed. */
		c.len = bm_align_down(c.info.card_mem_size < (256 << 10) ?
				      c.info.card_mem_size : 256 << 10,
				      c.info.alignment);
		c.buf = mmap(NULL, c.len + PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, c.buf);
		memset(c.buf, 0x3c, c.len + PAGE);
		c.buf += 512 / c.info.alignment * c.info.alignment;

		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			int steps = run_op(_metadata, self->nth, &c, &ops[k]);

			TH_LOG("busmaster%d %s: %d steps", c.id, ops[k].name, steps);
			if (!__test_passed(_metadata))
				break;
		}
		close(c.fd);
	}
}

/*
 * Probe, through unbind and bind in sysfs: each allocation fails in turn.
 * The device is held enabled through its sysfs "enable" meanwhile, so the
 * probe's pcim_enable_device() only counts: enabling it from disabled
 * evaluates ACPI's interrupt routing (_PRT), some 200 allocations whose
 * failures the PCI core absorbs, at 1.6 s a bind on the debug kernel.
 * The price: a failed probe's pci_disable_device() only drops the count,
 * so Bus Master stays on between steps and a doubled disable would go
 * unseen here (every other probe and removal in the lanes runs unheld).
 * Nothing between the hold and its release may end the test early: the
 * card must come back for the tests after this one.
 */
TEST_F_TIMEOUT(fail_nth, probe_unwinds, 900)
{
	const char *drv = "/sys/bus/pci/drivers/busmaster";
	const char *probe = getenv("BUSMASTER_FAIL_NTH_PROBE");
	struct busmaster_info info;
	char path[128], enable[128];
	unsigned int n;
	int fd;

	if (probe && !strcmp(probe, "0"))
		SKIP(return, "BUSMASTER_FAIL_NTH_PROBE=0: the lane leaves the probe to card-mixed (160 binds, 85 s on the debug kernel)");
	fd = bm_open_id(self->ids[0], O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bm_info(fd, &info));
	close(fd);
	snprintf(path, sizeof(path), "%s/unbind", drv);
	ASSERT_EQ(0, bm_write_file(path, info.pci_slot));
	/* Only an unbound device takes it (EBUSY otherwise). */
	snprintf(enable, sizeof(enable), "/sys/bus/pci/devices/%s/enable", info.pci_slot);
	ASSERT_EQ(0, bm_write_file(enable, "1"));
	snprintf(path, sizeof(path), "%s/bind", drv);
	for (n = 1; n <= MAX_STEPS; n++) {
		int bound, wfd = open(path, O_WRONLY | O_CLOEXEC);
		bool injected;

		EXPECT_LE(0, wfd);
		if (wfd < 0)
			break;
		nth_arm(self->nth, n);
		bound = write(wfd, info.pci_slot, strlen(info.pci_slot)) > 0;
		injected = nth_disarm(self->nth);
		close(wfd);
		if (!injected) {
			EXPECT_TRUE(bound) TH_LOG("bind failed with nothing injected");
			break;
		}
		if (bound) {	/* absorbed: unbind for the next step */
			snprintf(path, sizeof(path), "%s/unbind", drv);
			EXPECT_EQ(0, bm_write_file(path, info.pci_slot));
			snprintf(path, sizeof(path), "%s/bind", drv);
			if (!__test_passed(_metadata))
				break;
		}
	}
	TH_LOG("%s probe: %u steps", info.pci_slot, n);
	/* Let go of the hold, unbound, and bind as a boot does. */
	snprintf(path, sizeof(path), "%s/unbind", drv);
	bm_write_file(path, info.pci_slot);	/* ENODEV if the loop left it unbound */
	EXPECT_EQ(0, bm_write_file(enable, "0"));
	snprintf(path, sizeof(path), "%s/bind", drv);
	EXPECT_EQ(0, bm_write_file(path, info.pci_slot));
	fd = bm_open_slot(info.pci_slot, &info);
	EXPECT_LE(0, fd) TH_LOG("the card did not come back");
	if (fd >= 0)
		close(fd);
}

TEST_HARNESS_MAIN
