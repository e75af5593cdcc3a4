// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster INFO ioctl and the ioctl ABI itself.
 *
 * INFO must describe each card as the VM was started (the expectation file,
 * written from QEMU's command line, not from the driver), and every
 * malformed call must fail with the errno uapi/linux/busmaster.h documents
 * and leave the caller's buffer untouched.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

/* The first card found, opened. */
FIXTURE(card) {
	int fd;
};

FIXTURE_SETUP(card)
{
	int ids[BM_MAX_CARDS];

	if (bm_list_cards(ids, BM_MAX_CARDS) == 0)
		SKIP(return, "no /dev/busmaster* (driver not loaded, or no card)");
	self->fd = bm_open_id(ids[0], O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/busmaster%d: %s", ids[0],
				      strerror(errno));
}

FIXTURE_TEARDOWN(card)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST(open_close_every_card)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);

	if (!n)
		SKIP(return, "no /dev/busmaster*");
	for (int i = 0; i < n; i++) {
		int fd = bm_open_id(ids[i], O_RDWR);

		ASSERT_LE(0, fd) TH_LOG("busmaster%d: %s", ids[i], strerror(errno));
		ASSERT_EQ(0, close(fd));
	}
}

/* Compare one INFO field with the expectation, if the line sets it. */
#define EXPECT_FIELD_NUM(card, key, value) do {				\
	const char *_s = bm_expect_get(card, key);			\
	if (_s) {							\
		EXPECT_EQ(strtoull(_s, NULL, 0),			\
			  (unsigned long long)(value))			\
			TH_LOG("%s: %s", slot, key);			\
		checked++;						\
	}								\
} while (0)

#define EXPECT_FIELD_STR(card, key, value) do {				\
	const char *_s = bm_expect_get(card, key);			\
	if (_s) {							\
		EXPECT_STREQ(_s, value) TH_LOG("%s: %s", slot, key);	\
		checked++;						\
	}								\
} while (0)

/*
 * A card reporting capabilities its datasheet rules out, or reading as gone
 * (the lane names them in BUSMASTER_REFUSED_SLOTS, comma-separated) is
 * refused at probe: the PCI device is there, no driver is bound to it, and
 * no /dev/busmasterN answers for it.
 */
TEST(impossible_capabilities_are_refused)
{
	const char *env = getenv("BUSMASTER_REFUSED_SLOTS");
	char slots[256], *save, *slot;

	if (!env || !*env)
		SKIP(return, "no card with impossible capabilities here (BUSMASTER_REFUSED_SLOTS)");
	snprintf(slots, sizeof(slots), "%s", env);
	for (slot = strtok_r(slots, ", ", &save); slot; slot = strtok_r(NULL, ", ", &save)) {
		struct busmaster_info info;
		char path[128];
		int fd;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", slot);
		ASSERT_EQ(0, access(path, F_OK)) TH_LOG("no PCI device %s", slot);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", slot);
		EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s: a driver took it", slot);
		fd = bm_open_slot(slot, &info);
		EXPECT_GT(0, fd) TH_LOG("%s answers as a busmaster card", slot);
		if (fd >= 0)
			close(fd);
	}
}

TEST(info_matches_vm_configuration)
{
	struct bm_expect_card cards[BM_MAX_CARDS];
	int ids[BM_MAX_CARDS];
	int n, ncards;

	n = bm_expect_load(cards, BM_MAX_CARDS);
	if (n < 0)
		SKIP(return, "no expectation file (set BUSMASTER_EXPECT)");
	ncards = bm_list_cards(ids, BM_MAX_CARDS);
	ASSERT_EQ(n, ncards) TH_LOG("the VM was given %d cards, the driver shows %d",
				    n, ncards);

	for (int i = 0; i < n; i++) {
		const struct bm_expect_card *c = &cards[i];
		const char *slot = bm_expect_get(c, "slot");
		struct busmaster_info info;
		int fd, checked = 0;

		ASSERT_NE(NULL, slot) TH_LOG("expectation line %d has no slot=", i + 1);
		fd = bm_open_slot(slot, &info);
		ASSERT_LE(0, fd) TH_LOG("no card at %s", slot);

		EXPECT_EQ(BUSMASTER_ABI_VERSION, info.abi_version);
		EXPECT_EQ(sizeof(info), info.size);
		EXPECT_EQ(0, info.flags);
		EXPECT_NE(0, info.driver_version[0]);
		EXPECT_FIELD_STR(c, "model", bm_model_name(info.card_model));
		EXPECT_FIELD_NUM(c, "vendor", info.pci_vendor);
		EXPECT_FIELD_NUM(c, "device", info.pci_device);
		EXPECT_FIELD_NUM(c, "card_addr_bits", info.card_addr_bits);
		EXPECT_FIELD_NUM(c, "dma_addr_bits", info.dma_addr_bits);
		EXPECT_FIELD_NUM(c, "sg", !!(info.caps & BUSMASTER_CAP_SCATTER_GATHER));
		EXPECT_FIELD_NUM(c, "card_mem_bar", !!(info.caps & BUSMASTER_CAP_CARD_MEM_BAR));
		EXPECT_FIELD_NUM(c, "alignment", info.alignment);
		EXPECT_FIELD_NUM(c, "max_segments", info.max_segments);
		EXPECT_FIELD_NUM(c, "max_segment_size", info.max_segment_size);
		EXPECT_FIELD_NUM(c, "max_transfer_size", info.max_transfer_size);
		EXPECT_FIELD_NUM(c, "card_mem_size", info.card_mem_size);
		EXPECT_FIELD_NUM(c, "channels", info.dma_channels);
		EXPECT_FIELD_STR(c, "irq_mode", bm_irq_name(info.irq_mode));
		EXPECT_FIELD_NUM(c, "irq_vectors", info.irq_vectors);
		EXPECT_FIELD_STR(c, "bounce", bm_bounce_name(info.bounce));
		EXPECT_FIELD_NUM(c, "map_registers", info.map_registers);
		EXPECT_FIELD_NUM(c, "seg_boundary", info.seg_boundary);
		/* Words the test does not know are a typo in the lane: fail. */
		EXPECT_EQ(c->nkeys - 1, checked) TH_LOG("%s: unknown keys in the expectation", slot);

		/* Never wider than the card, whatever was asked. */
		EXPECT_LE(info.dma_addr_bits, info.card_addr_bits);
		EXPECT_LE(1, info.map_registers);
		close(fd);
	}
}

/* An ioctl that fails must not write to the caller's buffer. */
static void fill_sentinel(struct busmaster_info *info, uint32_t size)
{
	memset(info, 0xa5, sizeof(*info));
	info->size = size;
	info->flags = 0;
	info->reserved = 0;
}

static int unchanged_after(const struct busmaster_info *info, uint32_t size)
{
	struct busmaster_info ref;

	fill_sentinel(&ref, size);
	return !memcmp(&ref.abi_version, &info->abi_version,
		       sizeof(ref) - offsetof(struct busmaster_info, abi_version));
}

TEST_F(card, unknown_command_is_enotty)
{
	struct busmaster_info info;

	fill_sentinel(&info, sizeof(info));
	EXPECT_EQ(-1, ioctl(self->fd, _IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_BASE + 0x3f), &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_BASE - 1), &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(BUSMASTER_IOCTL_TYPE + 1, BUSMASTER_CMD_INFO), &info));
	EXPECT_EQ(ENOTTY, errno);
	/* Size and direction bits are not part of this ABI's numbers. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_INFO,
					   struct busmaster_info), &info));
	EXPECT_EQ(ENOTTY, errno);
	/* A generic terminal ioctl. */
	EXPECT_EQ(-1, ioctl(self->fd, TCGETS, &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_TRUE(unchanged_after(&info, sizeof(info)));
}

TEST_F(card, info_flags_must_be_zero)
{
	struct busmaster_info info;

	for (int bit = 0; bit < 32; bit++) {
		fill_sentinel(&info, sizeof(info));
		info.flags = 1U << bit;
		EXPECT_EQ(-1, ioctl(self->fd, BUSMASTER_IOCTL_INFO, &info));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags bit %d", bit);
		info.flags = 0;
		EXPECT_TRUE(unchanged_after(&info, sizeof(info)));
	}
}

TEST_F(card, info_reserved_must_be_zero)
{
	struct busmaster_info info;

	fill_sentinel(&info, sizeof(info));
	info.reserved = 1ULL << 63;
	EXPECT_EQ(-1, ioctl(self->fd, BUSMASTER_IOCTL_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.reserved = 0;
	EXPECT_TRUE(unchanged_after(&info, sizeof(info)));
}

TEST_F(card, info_size_too_small_is_einval)
{
	struct busmaster_info info;
	uint32_t sizes[] = { 0, 4, 16, offsetof(struct busmaster_info, map_registers) };

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fill_sentinel(&info, sizes[i]);
		EXPECT_EQ(-1, ioctl(self->fd, BUSMASTER_IOCTL_INFO, &info));
		EXPECT_EQ(EINVAL, errno) TH_LOG("size %u", sizes[i]);
		EXPECT_TRUE(unchanged_after(&info, sizes[i]));
	}
}

/* A newer caller's longer struct: zero tail accepted, non-zero tail E2BIG. */
TEST_F(card, info_size_larger_than_kernel)
{
	struct {
		struct busmaster_info info;
		uint64_t newer_field;
	} big;

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, BUSMASTER_IOCTL_INFO, &big));
	EXPECT_EQ(BUSMASTER_ABI_VERSION, big.info.abi_version);
	EXPECT_EQ(0, big.newer_field) TH_LOG("the kernel wrote past its own struct");

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	big.newer_field = 1;
	EXPECT_EQ(-1, ioctl(self->fd, BUSMASTER_IOCTL_INFO, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, big.info.abi_version);
}

/* A size past a page is refused before the kernel reads that far. */
TEST_F(card, info_size_over_a_page_is_e2big)
{
	size_t len = 2 * 4096;
	struct busmaster_info *info = calloc(1, len);

	ASSERT_NE(NULL, info);
	info->size = len;
	EXPECT_EQ(-1, ioctl(self->fd, BUSMASTER_IOCTL_INFO, info));
	EXPECT_EQ(E2BIG, errno);
	free(info);
}

/* An older caller's shorter struct gets exactly the bytes it asked for. */
TEST_F(card, info_size_minimum_is_served)
{
	unsigned char buf[sizeof(struct busmaster_info) + 16];
	uint32_t size = offsetof(struct busmaster_info, map_registers) + 4;
	struct busmaster_info *info = (struct busmaster_info *)buf;

	memset(buf, 0x5a, sizeof(buf));
	memset(info, 0, size);
	info->size = size;
	ASSERT_EQ(0, ioctl(self->fd, BUSMASTER_IOCTL_INFO, info));
	EXPECT_EQ(BUSMASTER_ABI_VERSION, info->abi_version);
	for (size_t i = size; i < sizeof(buf); i++) {
		ASSERT_EQ(0x5a, buf[i]) TH_LOG("byte %zu past size written", i);
	}
}

TEST_F(card, bad_pointer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, BUSMASTER_IOCTL_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, BUSMASTER_IOCTL_INFO, (void *)16));
	EXPECT_EQ(EFAULT, errno);
}

/* Compare one sysfs attribute with the expectation, if the line sets it. */
#define EXPECT_SYSFS(card, key, attr) do {				\
	const char *_s = bm_expect_get(card, key);			\
	char _v[64];							\
	if (_s) {							\
		ASSERT_EQ(0, bm_sysfs_read(id, attr, _v, sizeof(_v)))	\
			TH_LOG("%s: no sysfs attribute %s", slot, attr);	\
		EXPECT_STREQ(_s, _v) TH_LOG("%s: sysfs %s", slot, attr); \
	}								\
} while (0)

/*
 * /sys/class/misc/busmasterN describes each card as the VM was started,
 * as INFO does, in the words tools read; and its statistics start at zero
 * requests in flight.
 */
TEST(sysfs_matches_vm_configuration)
{
	static const char *const attrs[] = {
		"model", "card_addr_bits", "dma_addr_bits", "dma_mask",
		"scatter_gather", "alignment", "max_segments", "max_segment_size",
		"max_transfer_size", "seg_boundary", "card_mem_size",
		"dma_channels", "bounce", "map_registers", "common_max",
		"irq_mode", "irq_vectors", "request_depth",
		"statistics/bytes_to_card", "statistics/bytes_from_card",
		"statistics/bytes_bounced", "statistics/transfers_to_card",
		"statistics/transfers_from_card", "statistics/requests",
		"statistics/requests_failed", "statistics/requests_in_flight",
		"statistics/timeouts", "statistics/card_resets",
		"statistics/pinned_pages",
	};
	struct bm_expect_card cards[BM_MAX_CARDS];
	int n = bm_expect_load(cards, BM_MAX_CARDS);

	if (n < 0)
		SKIP(return, "no expectation file (set BUSMASTER_EXPECT)");
	for (int i = 0; i < n; i++) {
		const struct bm_expect_card *c = &cards[i];
		const char *slot = bm_expect_get(c, "slot"), *model;
		struct busmaster_info info;
		char v[64], want[64];
		int id, fd;

		ASSERT_NE(NULL, slot);
		fd = bm_find_slot(slot, &info, &id);
		ASSERT_LE(0, fd) TH_LOG("no card at %s", slot);
		close(fd);
		for (size_t k = 0; k < sizeof(attrs) / sizeof(attrs[0]); k++) {
			EXPECT_EQ(0, bm_sysfs_read(id, attrs[k], v, sizeof(v)))
				TH_LOG("%s: no sysfs attribute %s", slot, attrs[k]);
		}
		model = bm_expect_get(c, "model");
		if (model) {
			ASSERT_EQ(0, bm_sysfs_read(id, "model", v, sizeof(v)));
			EXPECT_STREQ(strcmp(model, "card") ? model : "busmaster", v);
		}
		EXPECT_SYSFS(c, "card_addr_bits", "card_addr_bits");
		EXPECT_SYSFS(c, "dma_addr_bits", "dma_addr_bits");
		EXPECT_SYSFS(c, "sg", "scatter_gather");
		EXPECT_SYSFS(c, "alignment", "alignment");
		EXPECT_SYSFS(c, "max_segments", "max_segments");
		EXPECT_SYSFS(c, "max_segment_size", "max_segment_size");
		EXPECT_SYSFS(c, "max_transfer_size", "max_transfer_size");
		EXPECT_SYSFS(c, "card_mem_size", "card_mem_size");
		EXPECT_SYSFS(c, "channels", "dma_channels");
		EXPECT_SYSFS(c, "irq_mode", "irq_mode");
		EXPECT_SYSFS(c, "irq_vectors", "irq_vectors");
		EXPECT_SYSFS(c, "bounce", "bounce");
		EXPECT_SYSFS(c, "map_registers", "map_registers");
		EXPECT_SYSFS(c, "seg_boundary", "seg_boundary");
		if (bm_expect_get(c, "dma_addr_bits")) {
			unsigned int bits = strtoul(bm_expect_get(c, "dma_addr_bits"), NULL, 0);

			snprintf(want, sizeof(want), "0x%llx",
				 bits >= 64 ? ~0ULL : (1ULL << bits) - 1);
			ASSERT_EQ(0, bm_sysfs_read(id, "dma_mask", v, sizeof(v)));
			EXPECT_STREQ(want, v) TH_LOG("%s: dma_mask", slot);
		}
		EXPECT_EQ((long long)info.common_max, bm_sysfs_num(id, "common_max"));
		EXPECT_EQ(0, bm_sysfs_num(id, "statistics/requests_in_flight"));
		EXPECT_EQ(0, bm_sysfs_num(id, "statistics/pinned_pages"));
	}
}

/*
 * The conventions every command shares (uapi/linux/busmaster.h), checked
 * for each command from one table, as iommufd's selftests do: a @size
 * below the command's first version, above a page, or longer than the
 * kernel's struct with a non-zero tail is refused and nothing is written
 * back; a longer struct with a zero tail, and the first version's size,
 * are served; an unknown flag or a non-zero reserved field is EINVAL.
 */
#define offsetofend(T, f) (offsetof(T, f) + sizeof(((T *)0)->f))

struct cmd_case {
	const char *name;
	unsigned long cmd;
	size_t size;		/* sizeof() the struct of this ABI */
	size_t min;		/* the first version's size */
	size_t reserved;	/* offsetof() its reserved field */
	/* a valid call: what it returns (errno, or 0) when sizes are fine */
	void (*prep)(void *arg, void *page);
	int ok;
	/* undo a call that succeeded */
	void (*undo)(int fd, void *arg);
};

static void prep_none(void *arg, void *page)
{
	(void)arg;
	(void)page;
}

static void prep_transfer(void *arg, void *page)
{
	struct busmaster_transfer *t = arg;

	(void)page;
	t->flags = BUSMASTER_XFER_COMMON;	/* of a handle nobody has */
	t->handle = 0x7fff0000;
	t->length = 4096;
}

static void prep_alloc(void *arg, void *page)
{
	(void)page;
	((struct busmaster_common_alloc *)arg)->length = 4096;
}

static void undo_alloc(int fd, void *arg)
{
	struct busmaster_common_free f = {
		.size = sizeof(f),
		.handle = ((struct busmaster_common_alloc *)arg)->handle,
	};

	ioctl(fd, BUSMASTER_IOCTL_COMMON_FREE, &f);
}

static void prep_bad_handle(void *arg, void *page)
{
	(void)page;
	/* COMMON_FREE, UNREGISTER, SYNC: the handle follows size and flags */
	((uint32_t *)arg)[2] = 0x7fff0000;
}

static void prep_sync(void *arg, void *page)
{
	struct busmaster_sync *s = arg;

	prep_bad_handle(arg, page);
	s->flags = BUSMASTER_SYNC_FOR_DEVICE;
	s->length = 1;
}

static void prep_register(void *arg, void *page)
{
	struct busmaster_register *r = arg;

	r->addr = (uintptr_t)page;
	r->length = 4096;
}

static void undo_register(int fd, void *arg)
{
	struct busmaster_unregister u = {
		.size = sizeof(u),
		.handle = ((struct busmaster_register *)arg)->handle,
	};

	ioctl(fd, BUSMASTER_IOCTL_UNREGISTER, &u);
}

static void prep_transferv(void *arg, void *page)
{
	struct busmaster_transferv *t = arg;

	(void)page;
	t->count = 1;		/* at an address nobody can read */
	t->iov = 16;
}

static void prep_submit(void *arg, void *page)
{
	struct busmaster_submit *sb = arg;

	(void)page;
	sb->flags = BUSMASTER_XFER_COMMON;	/* of a handle nobody has */
	sb->handle = 0x7fff0000;
	sb->length = 4096;
}

static void prep_reap(void *arg, void *page)
{
	struct busmaster_reap *r = arg;

	r->max = 1;		/* nothing in flight: nothing written */
	r->records = (uintptr_t)page;
}

static void prep_cancel(void *arg, void *page)
{
	(void)page;
	((struct busmaster_cancel *)arg)->id = 0x7fff0000;
}

#define CMD(c, T, first_last, p, o, u)					\
	{ #c, BUSMASTER_IOCTL_##c, sizeof(T), offsetofend(T, first_last),	\
	  offsetof(T, reserved), p, o, u }

static const struct cmd_case cmd_cases[] = {
	CMD(INFO, struct busmaster_info, map_registers, prep_none, 0, NULL),
	CMD(TRANSFER, struct busmaster_transfer, transfers, prep_transfer,
	    ENOENT, NULL),
	CMD(COMMON_ALLOC, struct busmaster_common_alloc, mmap_offset,
	    prep_alloc, 0, undo_alloc),
	CMD(COMMON_FREE, struct busmaster_common_free, reserved,
	    prep_bad_handle, ENOENT, NULL),
	CMD(REGISTER, struct busmaster_register, reserved, prep_register, 0,
	    undo_register),
	CMD(UNREGISTER, struct busmaster_unregister, reserved, prep_bad_handle,
	    ENOENT, NULL),
	CMD(SYNC, struct busmaster_sync, length, prep_sync, ENOENT, NULL),
	CMD(TRANSFERV, struct busmaster_transferv, transfers, prep_transferv,
	    EFAULT, NULL),
	CMD(SUBMIT, struct busmaster_submit, id, prep_submit, ENOENT, NULL),
	CMD(REAP, struct busmaster_reap, in_flight, prep_reap, 0, NULL),
	CMD(CANCEL, struct busmaster_cancel, reserved, prep_cancel, ENOENT, NULL),
	CMD(QUEUE, struct busmaster_queue, in_flight, prep_none, 0, NULL),
};

/* @c's valid argument in @buf, @size bytes long, ending in @tail if longer */
static void prep_sized(const struct cmd_case *c, uint8_t *buf, size_t size,
		       uint8_t tail, void *page)
{
	memset(buf, 0, 2 * 4096);
	c->prep(buf, page);
	((uint32_t *)buf)[0] = size;
	if (size > c->size)
		buf[size - 1] = tail;
}

/* Call @c as prep_sized() sets it up: 0 or the errno */
static int call_sized(int fd, const struct cmd_case *c, uint8_t *buf,
		      size_t size, uint8_t tail, void *page)
{
	prep_sized(c, buf, size, tail, page);
	return ioctl(fd, c->cmd, buf) ? errno : 0;
}

/* The failed call wrote nothing back: @buf is still what prep() made */
static bool untouched(const struct cmd_case *c, const uint8_t *buf,
		      void *page)
{
	uint8_t ref[2 * 4096];

	memset(ref, 0, sizeof(ref));
	c->prep(ref, page);
	return !memcmp(ref + 4, buf + 4, c->size - 4);
}

TEST_F(card, every_command_checks_size_flags_and_reserved)
{
	uint8_t *buf = aligned_alloc(4096, 2 * 4096);
	uint8_t *page = aligned_alloc(4096, 4096);

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, page);
	memset(page, 1, 4096);
	for (size_t k = 0; k < sizeof(cmd_cases) / sizeof(cmd_cases[0]); k++) {
		const struct cmd_case *c = &cmd_cases[k];
		size_t too_small[] = { 0, 4, c->min - 1 };
		int e;

		for (size_t i = 0; i < 3; i++) {
			e = call_sized(self->fd, c, buf, too_small[i], 0, page);
			EXPECT_EQ(EINVAL, e) TH_LOG("%s, size %zu", c->name, too_small[i]);
			EXPECT_TRUE(untouched(c, buf, page)) TH_LOG("%s, size %zu", c->name,
								     too_small[i]);
		}
		e = call_sized(self->fd, c, buf, 4096 + 8, 0, page);
		EXPECT_EQ(E2BIG, e) TH_LOG("%s, size past a page", c->name);
		e = call_sized(self->fd, c, buf, c->size + 8, 0xff, page);
		EXPECT_EQ(E2BIG, e) TH_LOG("%s, a longer struct with a non-zero tail", c->name);
		EXPECT_TRUE(untouched(c, buf, page)) TH_LOG("%s, non-zero tail", c->name);

		/* Served: a newer caller's zero tail, an older caller's size. */
		e = call_sized(self->fd, c, buf, c->size + 8, 0, page);
		EXPECT_EQ(c->ok, e) TH_LOG("%s, a longer struct with a zero tail: %s",
					   c->name, strerror(e));
		EXPECT_EQ(0, buf[c->size + 7]) TH_LOG("%s wrote past its struct", c->name);
		if (!e && c->undo)
			c->undo(self->fd, buf);
		e = call_sized(self->fd, c, buf, c->min, 0, page);
		EXPECT_EQ(c->ok, e) TH_LOG("%s, the first version's size %zu: %s",
					   c->name, c->min, strerror(e));
		if (!e && c->undo)
			c->undo(self->fd, buf);

		/* An unknown flag; a non-zero reserved field. */
		prep_sized(c, buf, c->size, 0, page);
		((uint32_t *)buf)[1] |= 1U << 31;
		EXPECT_EQ(-1, ioctl(self->fd, c->cmd, buf)) TH_LOG("%s, flag bit 31", c->name);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s, flag bit 31", c->name);
		prep_sized(c, buf, c->size, 0, page);
		buf[c->reserved] = 1;
		EXPECT_EQ(-1, ioctl(self->fd, c->cmd, buf)) TH_LOG("%s, reserved", c->name);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s, reserved field not zero", c->name);
	}
	free(buf);
	free(page);
}

/* Several processes, each with many files open on every card at once. */
TEST(many_opens_from_many_processes)
{
	enum { NPROC = 8, NFILES = 32 };
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);
	char slots[BM_MAX_CARDS][16];
	pid_t pids[NPROC];

	if (!n)
		SKIP(return, "no /dev/busmaster*");
	for (int i = 0; i < n; i++) {
		struct busmaster_info info;
		int fd = bm_open_id(ids[i], O_RDWR);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, bm_info(fd, &info));
		memcpy(slots[i], info.pci_slot, sizeof(slots[i]));
		close(fd);
	}

	for (int p = 0; p < NPROC; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (pids[p] == 0) {
			int fds[NFILES];
			int bad = 0;

			/* All open at once, then each asked which card it is. */
			for (int i = 0; i < NFILES; i++)
				fds[i] = bm_open_id(ids[i % n], O_RDWR);
			for (int i = 0; i < NFILES; i++) {
				struct busmaster_info info;

				if (fds[i] < 0 || bm_info(fds[i], &info) ||
				    strcmp(info.pci_slot, slots[i % n]))
					bad++;
			}
			for (int i = 0; i < NFILES; i++)
				if (fds[i] >= 0 && close(fds[i]))
					bad++;
			_exit(bad ? 1 : 0);
		}
	}
	for (int p = 0; p < NPROC; p++) {
		int status;

		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("child %d: %d files failed", p, WEXITSTATUS(status));
	}
}

TEST_HARNESS_MAIN
