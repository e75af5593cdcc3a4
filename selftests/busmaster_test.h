/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the busmaster selftests: finding the cards, reading the
 * card configuration the VM was started with, and calling ioctls.
 *
 * The expected configuration is a text file (BUSMASTER_EXPECT, default
 * /etc/busmaster/expect), one card a line, "key=value" words, written by
 * whoever started the machine from what they gave QEMU, e.g.
 *   slot=0000:00:04.0 model=edu card_addr_bits=28 irq_mode=msi sg=0
 * so a test compares the driver's answers with an independent source.
 */
#ifndef BUSMASTER_TEST_H
#define BUSMASTER_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/busmaster.h>
#include <linux/busmaster_card.h>

#define BM_MAX_CARDS		16
#define BM_MAX_KEYS		32
#define BM_EXPECT_DEFAULT	"/etc/busmaster/expect"

struct bm_expect_card {
	int nkeys;
	char key[BM_MAX_KEYS][32];
	char val[BM_MAX_KEYS][64];
};

/* Return the value of @key for @card, or NULL when the line does not set it. */
static inline const char *bm_expect_get(const struct bm_expect_card *card,
					const char *key)
{
	for (int i = 0; i < card->nkeys; i++)
		if (!strcmp(card->key[i], key))
			return card->val[i];
	return NULL;
}

/*
 * Read the expected cards. Return their number, or -1 when no expectation
 * file exists (the test then skips: it has nothing independent to compare).
 */
static inline int bm_expect_load(struct bm_expect_card *cards, int max)
{
	const char *path = getenv("BUSMASTER_EXPECT");
	char line[1024];
	int n = 0;
	FILE *f;

	f = fopen(path ? path : BM_EXPECT_DEFAULT, "r");
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct bm_expect_card *c = &cards[n];
		char *save, *word;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		memset(c, 0, sizeof(*c));
		for (word = strtok_r(line, " \t\n", &save); word && c->nkeys < BM_MAX_KEYS;
		     word = strtok_r(NULL, " \t\n", &save)) {
			char *eq = strchr(word, '=');

			if (!eq)
				continue;
			*eq = '\0';
			snprintf(c->key[c->nkeys], sizeof(c->key[0]), "%s", word);
			snprintf(c->val[c->nkeys], sizeof(c->val[0]), "%s", eq + 1);
			c->nkeys++;
		}
		n++;
	}
	fclose(f);
	return n;
}

static inline int bm_cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Fill @ids with the N of every /dev/busmasterN, sorted; return the count. */
static inline int bm_list_cards(int *ids, int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/dev");
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char *end;
		long id;

		if (strncmp(de->d_name, "busmaster", 9) || !de->d_name[9])
			continue;
		id = strtol(de->d_name + 9, &end, 10);
		if (*end || id < 0)
			continue;
		ids[n++] = (int)id;
	}
	closedir(d);
	qsort(ids, n, sizeof(*ids), bm_cmp_int);
	return n;
}

static inline int bm_open_id(int id, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/busmaster%d", id);
	return open(path, flags | O_CLOEXEC);
}

/* BUSMASTER_IOCTL_INFO with a correctly sized, zeroed argument. */
static inline int bm_info(int fd, struct busmaster_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, BUSMASTER_IOCTL_INFO, info);
}

/* BUSMASTER_IOCTL_TRANSFER of a user buffer; @t gets the results. */
static inline int bm_xfer(int fd, void *buf, uint64_t len, uint64_t card_off,
			  uint32_t flags, uint64_t timeout_ms,
			  struct busmaster_transfer *t)
{
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
	t->flags = flags;
	t->addr = (uintptr_t)buf;
	t->length = len;
	t->card_offset = card_off;
	t->timeout_ms = timeout_ms;
	return ioctl(fd, BUSMASTER_IOCTL_TRANSFER, t);
}

/* TRANSFER of [@off, @off + @len) of registered buffer @handle. 0, or -1 with errno. */
static inline int bm_reg_xfer(int fd, uint32_t handle, uint64_t off, uint64_t len,
			      uint64_t card_off, uint32_t flags,
			      struct busmaster_transfer *t)
{
	memset(t, 0, sizeof(*t));
	t->size = sizeof(*t);
	t->flags = flags | BUSMASTER_XFER_REGISTERED;
	t->handle = handle;
	t->addr = off;
	t->length = len;
	t->card_offset = card_off;
	return ioctl(fd, BUSMASTER_IOCTL_TRANSFER, t);
}

/* SUBMIT one request; its id in *@id. 0, or -1 with errno. */
static inline int bm_submit(int fd, uint32_t flags, uint32_t handle,
			    uint64_t addr, uint64_t len, uint64_t card_off,
			    uint64_t tag, uint64_t *id)
{
	struct busmaster_submit s = { .size = sizeof(s), .flags = flags,
				      .handle = handle, .addr = addr,
				      .length = len, .card_offset = card_off,
				      .tag = tag };
	int ret;

	if (flags & BUSMASTER_XFER_IOVEC) {
		s.count = (uint32_t)len;
		s.length = 0;
	}
	ret = ioctl(fd, BUSMASTER_IOCTL_SUBMIT, &s);
	if (id)
		*id = s.id;
	return ret;
}

/*
 * REAP up to @max completions into @recs, waiting for @min (0: not at
 * all) up to @timeout_ms: how many, or -1 with errno.
 */
static inline int bm_reap(int fd, struct busmaster_completion *recs,
			  uint32_t max, uint32_t min, uint64_t timeout_ms)
{
	struct busmaster_reap r = { .size = sizeof(r), .max = max,
				    .min_complete = min,
				    .flags = min ? BUSMASTER_REAP_WAIT : 0,
				    .timeout_ms = min ? timeout_ms : 0,
				    .records = (uintptr_t)recs };

	return ioctl(fd, BUSMASTER_IOCTL_REAP, &r) ? -1 : (int)r.count;
}

static inline int bm_cancel(int fd, uint64_t id)
{
	struct busmaster_cancel c = { .size = sizeof(c), .id = id };

	return ioctl(fd, BUSMASTER_IOCTL_CANCEL, &c);
}

/* QUEUE: set the depth (@depth non-zero) and read the limits into *@q. */
static inline int bm_queue(int fd, uint32_t depth, struct busmaster_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->flags = depth ? BUSMASTER_QUEUE_SET_DEPTH : 0;
	q->depth = depth;
	return ioctl(fd, BUSMASTER_IOCTL_QUEUE, q);
}

static inline uint64_t bm_align_down(uint64_t v, uint64_t a)
{
	return v / a * a;
}

/*
 * Map the card's memory BAR through sysfs (resource2): a path to what the
 * card holds that does not go through the DMA under test. NULL and errno
 * on failure (EACCES without root).
 */
static inline uint8_t *bm_map_card_mem(const struct busmaster_info *info)
{
	char path[128];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2",
		 info->pci_slot);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, info->card_mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Open the card at PCI address @slot: the fd, its INFO in @info and its N
 * (/dev/busmasterN) in *@id when @id is not NULL; or -1.
 */
static inline int bm_find_slot(const char *slot, struct busmaster_info *info,
			       int *id)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);

	for (int i = 0; i < n; i++) {
		int fd = bm_open_id(ids[i], O_RDWR);

		if (fd < 0)
			continue;
		if (!bm_info(fd, info) && !strcmp(info->pci_slot, slot)) {
			if (id)
				*id = ids[i];
			return fd;
		}
		close(fd);
	}
	return -1;
}

/* Open the card at PCI address @slot; return the fd or -1. */
static inline int bm_open_slot(const char *slot, struct busmaster_info *info)
{
	return bm_find_slot(slot, info, NULL);
}

/**
 * struct bm_card - one card of the lane, opened for a test
 * @id: N of /dev/busmasterN
 * @fd: the open node, or -1
 * @info: its INFO
 * @bar: its memory BAR mapped (bm_map_card_mem()), or NULL when it has none
 *	or the caller may not map it (without root: the tests check round
 *	trips only)
 */
struct bm_card {
	int id;
	int fd;
	struct busmaster_info info;
	uint8_t *bar;
};

/* Open card @id into @c: 0, or -1 with errno. */
static inline int bm_card_open(struct bm_card *c, int id)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->fd = bm_open_id(id, O_RDWR);
	if (c->fd < 0 || bm_info(c->fd, &c->info))
		return -1;
	if (!(c->info.caps & BUSMASTER_CAP_CARD_MEM_BAR))
		return 0;
	c->bar = bm_map_card_mem(&c->info);
	if (!c->bar && errno != EACCES)
		return -1;
	return 0;
}

static inline void bm_card_close(struct bm_card *c)
{
	if (c->bar)
		munmap(c->bar, c->info.card_mem_size);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * Tests that run once per card, each card its own result (as iommufd's
 * selftests run once per domain): BM_CARD_FIXTURE(F) declares fixture F
 * with the card in self->c and variants card0 ... card3; the variants
 * past the lane's cards skip, and a lane with more cards fails setup.
 */
#define BM_CARD_VARIANTS	4
#define BM_CARD_FIXTURE(F)						\
	FIXTURE(F) { struct bm_card c; };				\
	FIXTURE_VARIANT(F) { int index; };				\
	FIXTURE_VARIANT_ADD(F, card0) { .index = 0 };			\
	FIXTURE_VARIANT_ADD(F, card1) { .index = 1 };			\
	FIXTURE_VARIANT_ADD(F, card2) { .index = 2 };			\
	FIXTURE_VARIANT_ADD(F, card3) { .index = 3 };			\
	FIXTURE_SETUP(F)						\
	{								\
		int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS); \
									\
		self->c.fd = -1;					\
		ASSERT_GE(BM_CARD_VARIANTS, n)				\
			TH_LOG("%d cards: add variants", n);		\
		if (variant->index >= n)				\
			SKIP(return, "the lane has %d card%s", n,	\
			     n == 1 ? "" : "s");			\
		ASSERT_EQ(0, bm_card_open(&self->c, ids[variant->index])) \
			TH_LOG("busmaster%d: %s", ids[variant->index],	\
			       strerror(errno));			\
	}								\
	FIXTURE_TEARDOWN(F)						\
	{								\
		bm_card_close(&self->c);				\
	}

/* @len bytes of rand_r(@seed), which advances. */
static inline void bm_fill_random(uint8_t *p, size_t len, unsigned int *seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rand_r(seed);
}

/* The first byte where @a and @b differ, or -1. */
static inline long bm_first_diff(const volatile uint8_t *a, const uint8_t *b,
				 size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

/* COMMON_ALLOC of @len bytes into @a: 0, or -1 with errno. */
static inline int bm_common_alloc(int fd, uint64_t len,
				  struct busmaster_common_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->length = len;
	return ioctl(fd, BUSMASTER_IOCTL_COMMON_ALLOC, a);
}

static inline int bm_common_free(int fd, uint32_t handle)
{
	struct busmaster_common_free f = { .size = sizeof(f), .handle = handle };

	return ioctl(fd, BUSMASTER_IOCTL_COMMON_FREE, &f);
}

/* REGISTER @len bytes at @addr; its handle in *@handle. 0, or -1 with errno. */
static inline int bm_register(int fd, void *addr, uint64_t len, uint32_t flags,
			      uint32_t *handle)
{
	struct busmaster_register r = { .size = sizeof(r), .flags = flags,
					.addr = (uintptr_t)addr, .length = len };
	int ret = ioctl(fd, BUSMASTER_IOCTL_REGISTER, &r);

	*handle = r.handle;
	return ret;
}

static inline int bm_unregister(int fd, uint32_t handle)
{
	struct busmaster_unregister u = { .size = sizeof(u), .handle = handle };

	return ioctl(fd, BUSMASTER_IOCTL_UNREGISTER, &u);
}

/*
 * The physical address of @va (from /proc/self/pagemap): 0 when the page is
 * not present, -1 when the kernel hides PFNs (without CAP_SYS_ADMIN).
 */
static inline int64_t bm_phys_addr(const void *va)
{
	uint64_t entry, pfn;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &entry, sizeof(entry), (uintptr_t)va / 4096 * sizeof(entry));
	close(fd);
	if (n != sizeof(entry) || !(entry & (1ULL << 63)))
		return 0;
	pfn = entry & ((1ULL << 55) - 1);
	if (!pfn)
		return -1;
	return (int64_t)(pfn * 4096 + (uintptr_t)va % 4096);
}

/*
 * Card @id's sysfs attribute @name (/sys/class/misc/busmasterN/NAME, or
 * statistics/NAME) into @buf without its newline: 0, or -1 with errno.
 */
static inline int bm_sysfs_read(int id, const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/misc/busmaster%d/%s", id, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* A number in card @id's sysfs attribute @name, or -1. */
static inline long long bm_sysfs_num(int id, const char *name)
{
	char buf[64];

	return bm_sysfs_read(id, name, buf, sizeof(buf)) ? -1 : strtoll(buf, NULL, 0);
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline uint64_t bm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/*
 * Poll for child @pid's end for up to @ms: the milliseconds it took (at
 * least 1), with its status in *@status; 0 when it still runs.
 */
static inline uint64_t bm_ended_within(pid_t pid, int ms, int *status)
{
	uint64_t start = bm_now_ms(), took;

	do {
		if (waitpid(pid, status, WNOHANG) == pid) {
			took = bm_now_ms() - start;
			return took ? took : 1;
		}
		usleep(5 * 1000);
	} while (bm_now_ms() - start < (uint64_t)ms);
	return 0;
}

/* Write @value to a sysfs, procfs or debugfs file: 0, or -1 with errno. */
static inline int bm_write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(value), n;

	if (fd < 0)
		return -1;
	n = write(fd, value, len);
	close(fd);
	return n == len ? 0 : -1;
}

/*
 * Pages pinned for DMA now, system-wide: nr_foll_pin_acquired minus
 * nr_foll_pin_released in /proc/vmstat (per-CPU deltas folded first); -1
 * when they cannot be read.
 */
static inline long bm_pins_held(void)
{
	long acquired = -1, released = -1, v;
	char name[64];
	FILE *f;

	bm_write_file("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acquired = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			released = v;
	}
	fclose(f);
	return acquired < 0 || released < 0 ? -1 : acquired - released;
}

/* A number in a debugfs file, or -1 when it cannot be read (not root). */
static inline long bm_debugfs_read_file(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%li", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* A counter of card @id in /sys/kernel/debug/busmaster/busmasterN/. */
static inline long bm_debugfs_read(int id, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/busmaster/busmaster%d/%s",
		 id, name);
	return bm_debugfs_read_file(path);
}

/* The path of card @id's debugfs file @name. */
static inline int bm_fi_path(char *path, size_t len, int id, const char *name)
{
	return snprintf(path, len, "/sys/kernel/debug/busmaster/busmaster%d/%s",
			id, name);
}

/*
 * Write a number to card @id's debugfs file @name: a fault-injection
 * register (fail_nth, stall, latency_ns, phantom_nth). 0, or -1 with errno.
 */
static inline int bm_fi_write(int id, const char *name, unsigned long long val)
{
	char path[128], buf[32];

	bm_fi_path(path, sizeof(path), id, name);
	snprintf(buf, sizeof(buf), "%llu\n", val);
	return bm_write_file(path, buf);
}

/*
 * The first card of ours with fault injection (debugfs latency_ns and
 * stall: root) and at least @min_mem bytes of memory, other than a card a
 * lane made unable to stop: its fd, with *@id and *@info; -1 if none.
 */
static inline int bm_open_fi_card(uint64_t min_mem, int *id,
				  struct busmaster_info *info)
{
	int ids[BM_MAX_CARDS], n = bm_list_cards(ids, BM_MAX_CARDS);
	const char *stuck = getenv("BUSMASTER_UNSTOPPABLE_SLOT");
	char path[128];

	for (int i = 0; i < n; i++) {
		int fd = bm_open_id(ids[i], O_RDWR);

		if (fd < 0)
			continue;
		bm_fi_path(path, sizeof(path), ids[i], "stall");
		if (bm_info(fd, info) || access(path, W_OK) ||
		    info->card_mem_size < min_mem ||
		    (stuck && !strcmp(stuck, info->pci_slot))) {
			close(fd);
			continue;
		}
		*id = ids[i];
		return fd;
	}
	return -1;
}

/*
 * BM_FI_FIXTURE(F): fixture F with such a card of 4 MiB or more in
 * self->fd, self->id and self->info; its teardown clears the faults and
 * checks that whatever a test did, nothing stays pinned or in flight.
 */
#define BM_FI_FIXTURE(F)						\
	FIXTURE(F) {							\
		int id, fd;						\
		struct busmaster_info info;				\
		long pins;						\
	};								\
	FIXTURE_SETUP(F)						\
	{								\
		self->fd = bm_open_fi_card(4 << 20, &self->id, &self->info); \
		if (self->fd < 0)					\
			SKIP(return, "no card of ours with fault injection and 4 MiB (needs root)"); \
		self->pins = bm_pins_held();				\
	}								\
	FIXTURE_TEARDOWN(F)						\
	{								\
		if (self->fd < 0)					\
			return;						\
		bm_fi_write(self->id, "stall", 0);			\
		bm_fi_write(self->id, "latency_ns", 0);			\
		close(self->fd);					\
		EXPECT_EQ(self->pins, bm_pins_held());			\
		EXPECT_EQ(0, bm_debugfs_read(self->id, "pinned_pages"));	\
		EXPECT_EQ(0, bm_sysfs_num(self->id, "statistics/requests_in_flight")); \
	}

/* @len bytes of a pseudo-random pattern in page-aligned memory, or NULL. */
static inline uint8_t *bm_pattern(size_t len, unsigned int seed)
{
	uint8_t *p = aligned_alloc(4096, (len + 4095) / 4096 * 4096);

	for (size_t i = 0; p && i < len; i++)
		p[i] = (uint8_t)rand_r(&seed);
	return p;
}

/*
 * A mix of BM_MIX_REQS requests of the four buffer kinds SUBMIT takes
 * (user memory, an iovec, a registered buffer, a common buffer), in both
 * directions, interleaved: request i is of kind i % 4, from the card when
 * i % 8 >= 4. Those to the card fill the card's lower half, those from it
 * read its upper half, which bm_mix_setup() filled first; bm_mix_check()
 * then compares every byte. Used by the ioctl and the io_uring tests.
 */
#define BM_MIX_REQS	64

struct bm_mix {
	int fd;
	uint64_t s;			/* bytes per request */
	uint64_t half;			/* the iovec's first piece */
	uint8_t *src[4], *dst[4];	/* per kind: 8 requests' bytes each */
	uint8_t *fill, *back;		/* the card's upper half; its lower, read back */
	uint8_t *cmap[2];		/* the common buffers, mapped */
	struct busmaster_common_alloc ca[2];
	uint32_t reg_src, reg_dst;
	struct busmaster_iovec iov[BM_MIX_REQS][2];
};

/* Bytes per request: twice BM_MIX_REQS of them fit the card, aligned. */
static inline uint64_t bm_mix_slot(const struct busmaster_info *info)
{
	uint64_t s = info->card_mem_size / (2 * BM_MIX_REQS);

	return bm_align_down(s > 16 * 1024 ? 16 * 1024 : s, info->alignment ?: 1);
}

/* The buffers and the card's upper half: 0, or -1 with errno. */
static inline int bm_mix_setup(struct bm_mix *m, int fd,
			       const struct busmaster_info *info)
{
	struct busmaster_transfer t;

	memset(m, 0, sizeof(*m));
	m->fd = fd;
	m->s = bm_mix_slot(info);
	m->half = bm_align_down(m->s / 2, info->alignment ?: 1);
	if (!m->s)
		return errno = ERANGE, -1;
	for (int k = 0; k < 4; k++) {
		m->src[k] = bm_pattern(8 * m->s, 100 + k);
		m->dst[k] = bm_pattern(8 * m->s, 200 + k);
		if (!m->src[k] || !m->dst[k])
			return errno = ENOMEM, -1;
	}
	if (bm_register(fd, m->src[2], 8 * m->s, 0, &m->reg_src) ||
	    bm_register(fd, m->dst[2], 8 * m->s, BUSMASTER_REG_CARD_WRITES, &m->reg_dst))
		return -1;
	for (int j = 0; j < 2; j++) {
		if (bm_common_alloc(fd, 8 * m->s, &m->ca[j]))
			return -1;
		m->cmap[j] = mmap(NULL, m->ca[j].length, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, m->ca[j].mmap_offset);
		if (m->cmap[j] == MAP_FAILED)
			return m->cmap[j] = NULL, -1;
	}
	memcpy(m->cmap[0], m->src[3], 8 * m->s);
	memset(m->cmap[1], 0, 8 * m->s);
	m->fill = bm_pattern(BM_MIX_REQS / 2 * m->s, 300);
	m->back = bm_pattern(BM_MIX_REQS / 2 * m->s, 301);
	if (!m->fill || !m->back)
		return errno = ENOMEM, -1;
	return bm_xfer(fd, m->fill, BM_MIX_REQS / 2 * m->s, BM_MIX_REQS / 2 * m->s,
		       0, 0, &t);
}

/* Request @i of the mix, as SUBMIT takes it (@tag: @i). */
static inline void bm_mix_request(struct bm_mix *m, int i, struct busmaster_submit *sb)
{
	int k = i % 4, from = i % 8 >= 4, slot = (i / 4) % 8;
	uint8_t *buf = (from ? m->dst : m->src)[k] + slot * m->s;

	memset(sb, 0, sizeof(*sb));
	sb->size = sizeof(*sb);
	sb->flags = from ? BUSMASTER_XFER_FROM_CARD : 0;
	sb->length = m->s;
	sb->card_offset = (from ? BM_MIX_REQS / 2 : 0) * m->s + (k * 8 + slot) * m->s;
	sb->tag = i;
	if (k == 0) {
		sb->addr = (uintptr_t)buf;
	} else if (k == 1) {
		m->iov[i][0] = (struct busmaster_iovec){ (uintptr_t)buf, m->half };
		m->iov[i][1] = (struct busmaster_iovec){ (uintptr_t)buf + m->half,
							 m->s - m->half };
		sb->flags |= BUSMASTER_XFER_IOVEC;
		sb->addr = (uintptr_t)(m->half ? m->iov[i] : m->iov[i] + 1);
		sb->count = m->half ? 2 : 1;
		sb->length = 0;
	} else {
		sb->flags |= k == 2 ? BUSMASTER_XFER_REGISTERED : BUSMASTER_XFER_COMMON;
		sb->handle = k == 2 ? (from ? m->reg_dst : m->reg_src) :
				      (from ? m->ca[1].handle : m->ca[0].handle);
		sb->addr = slot * m->s;
	}
}

/*
 * Once every request completed: the first request whose bytes are not
 * where they belong, -1 when all are, -2 when the card cannot be read.
 */
static inline int bm_mix_check(struct bm_mix *m)
{
	struct busmaster_transfer t;

	if (bm_xfer(m->fd, m->back, BM_MIX_REQS / 2 * m->s, 0,
		    BUSMASTER_XFER_FROM_CARD, 0, &t))
		return -2;
	memcpy(m->dst[3], m->cmap[1], 8 * m->s);
	for (int i = 0; i < BM_MIX_REQS; i++) {
		int k = i % 4, from = i % 8 >= 4, slot = (i / 4) % 8;
		uint64_t at = (k * 8 + slot) * m->s;

		if (from ? bm_first_diff(m->dst[k] + slot * m->s, m->fill + at, m->s) >= 0 :
			   bm_first_diff(m->back + at, m->src[k] + slot * m->s, m->s) >= 0)
			return i;
	}
	return -1;
}

static inline void bm_mix_free(struct bm_mix *m)
{
	if (m->reg_src)
		bm_unregister(m->fd, m->reg_src);
	if (m->reg_dst)
		bm_unregister(m->fd, m->reg_dst);
	for (int j = 0; j < 2; j++) {
		if (m->cmap[j])
			munmap(m->cmap[j], m->ca[j].length);
		if (m->ca[j].handle)
			bm_common_free(m->fd, m->ca[j].handle);
	}
	for (int k = 0; k < 4; k++) {
		free(m->src[k]);
		free(m->dst[k]);
	}
	free(m->fill);
	free(m->back);
}

/* The process's VmPin (pages pinned and memory locked for DMA), in kB. */
static inline long bm_vm_pin_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static inline const char *bm_model_name(unsigned int model)
{
	switch (model) {
	case BUSMASTER_MODEL_EDU: return "edu";
	case BUSMASTER_MODEL_CARD: return "card";
	default: return "?";
	}
}

static inline const char *bm_irq_name(unsigned int mode)
{
	switch (mode) {
	case BUSMASTER_IRQ_NONE: return "none";
	case BUSMASTER_IRQ_INTX: return "intx";
	case BUSMASTER_IRQ_MSI: return "msi";
	case BUSMASTER_IRQ_MSIX: return "msix";
	default: return "?";
	}
}

static inline const char *bm_bounce_name(unsigned int bounce)
{
	switch (bounce) {
	case BUSMASTER_BOUNCE_NONE: return "none";
	case BUSMASTER_BOUNCE_IOMMU: return "iommu";
	case BUSMASTER_BOUNCE_SWIOTLB: return "swiotlb";
	case BUSMASTER_BOUNCE_MAP_REGISTERS: return "map_registers";
	default: return "?";
	}
}

#endif /* BUSMASTER_TEST_H */
