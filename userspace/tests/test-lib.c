// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side tests of libbusmaster: everything that needs no card.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libbusmaster.h"
#include "test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct size_case {
	const char *str;
	int err;		/* 0, EINVAL or ERANGE */
	uint64_t val;
};

static const struct size_case size_cases[] = {
	{ "0", 0, 0 },
	{ "4096", 0, 4096 },
	{ "4k", 0, 4096 },
	{ "4K", 0, 4096 },
	{ "4KiB", 0, 4096 },
	{ "64M", 0, 64ULL << 20 },
	{ "64m", 0, 64ULL << 20 },
	{ "64MiB", 0, 64ULL << 20 },
	{ "1G", 0, 1ULL << 30 },
	{ "3T", 0, 3ULL << 40 },
	{ "2P", 0, 2ULL << 50 },
	{ "15E", 0, 15ULL << 60 },
	{ "0k", 0, 0 },
	{ "0x1000", 0, 4096 },
	{ "0XfF", 0, 255 },
	{ "0xffffffffffffffff", 0, UINT64_MAX },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "007", 0, 7 },
	{ "18446744073709551616", ERANGE, 0 },
	{ "99999999999999999999999", ERANGE, 0 },
	{ "0x10000000000000000", ERANGE, 0 },
	{ "16E", ERANGE, 0 },
	{ "17179869184G", ERANGE, 0 },
	{ "17179869183G", 0, 17179869183ULL << 30 },
	{ "", EINVAL, 0 },
	{ "k", EINVAL, 0 },
	{ "-1", EINVAL, 0 },
	{ "+1", EINVAL, 0 },
	{ " 1", EINVAL, 0 },
	{ "1 ", EINVAL, 0 },
	{ "1 k", EINVAL, 0 },
	{ "1x", EINVAL, 0 },
	{ "1KB", EINVAL, 0 },
	{ "1Ki", EINVAL, 0 },
	{ "1kk", EINVAL, 0 },
	{ "1.5M", EINVAL, 0 },
	{ "0x", EINVAL, 0 },
	{ "0x10k", EINVAL, 0 },
	{ "0xg", EINVAL, 0 },
};

static void test_parse_size(struct test_state *t)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(size_cases); k++) {
		const struct size_case *c = &size_cases[k];
		uint64_t v = 12345;
		int ret;

		errno = 0;
		ret = bm_parse_size(c->str, &v);
		if (!c->err)
			CHECK(t, ret == 0 && v == c->val,
			      "bm_parse_size(\"%s\") = %llu", c->str,
			      (unsigned long long)c->val);
		else
			CHECK(t, ret == -1 && errno == c->err && v == 12345,
			      "bm_parse_size(\"%s\") fails with %s", c->str,
			      c->err == ERANGE ? "ERANGE" : "EINVAL");
	}
	errno = 0;
	CHECK(t, bm_parse_size(NULL, NULL) == -1 && errno == EINVAL,
	      "bm_parse_size(NULL) fails with EINVAL");
}

static const struct {
	uint64_t val;
	const char *str;
} format_cases[] = {
	{ 0, "0 B" },
	{ 1, "1 B" },
	{ 4095, "4095 B" },
	{ 4096, "4 KiB" },
	{ 1536 << 10, "1536 KiB" },
	{ 64ULL << 20, "64 MiB" },
	{ 1ULL << 30, "1 GiB" },
	{ 1ULL << 62, "4 EiB" },
	{ UINT64_MAX, "18446744073709551615 B" },
};

static void test_format_size(struct test_state *t)
{
	char buf[BM_SIZE_STR_LEN], compact[BM_SIZE_STR_LEN];
	uint64_t back;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(format_cases); k++) {
		int ret = bm_format_size(format_cases[k].val, buf, sizeof(buf));
		char *sp;

		CHECK(t, ret == 0 && !strcmp(buf, format_cases[k].str),
		      "bm_format_size(%llu) = \"%s\"",
		      (unsigned long long)format_cases[k].val,
		      format_cases[k].str);
		/* "64 MiB" -> "64MiB" parses back; "4095 B" -> "4095" */
		snprintf(compact, sizeof(compact), "%s", buf);
		sp = strchr(compact, ' ');
		if (sp && !strcmp(sp, " B"))
			*sp = '\0';
		else if (sp)
			memmove(sp, sp + 1, strlen(sp));
		CHECK(t, !bm_parse_size(compact, &back) &&
			 back == format_cases[k].val,
		      "\"%s\" parses back", compact);
	}
	errno = 0;
	CHECK(t, bm_format_size(64ULL << 20, buf, 4) == -1 && errno == ENOSPC,
	      "bm_format_size() into a short buffer fails with ENOSPC");
}

static const struct {
	const char *str;
	int ok;
	uint32_t domain;
	uint8_t bus, dev, fn;
} pci_cases[] = {
	{ "0000:00:04.0", 1, 0, 0, 4, 0 },
	{ "00:04.0", 1, 0, 0, 4, 0 },
	{ "0:4.0", 1, 0, 0, 4, 0 },
	{ "0001:ff:1f.7", 1, 1, 0xff, 0x1f, 7 },
	{ "ABCD:Ab:1F.3", 1, 0xabcd, 0xab, 0x1f, 3 },
	{ "10000:00:04.0", 0, 0, 0, 0, 0 },	/* domains are 16-bit here */
	{ "00:20.0", 0, 0, 0, 0, 0 },		/* device above 31 */
	{ "00:04.8", 0, 0, 0, 0, 0 },		/* function above 7 */
	{ "100:04.0", 0, 0, 0, 0, 0 },		/* bus above 255 */
	{ "00:04", 0, 0, 0, 0, 0 },
	{ "04.0", 0, 0, 0, 0, 0 },
	{ "0:0:00:04.0", 0, 0, 0, 0, 0 },
	{ "00:04.0 ", 0, 0, 0, 0, 0 },
	{ "00:04.00", 0, 0, 0, 0, 0 },
	{ ":00:04.0", 0, 0, 0, 0, 0 },
	{ "0000::04.0", 0, 0, 0, 0, 0 },
	{ "", 0, 0, 0, 0, 0 },
	{ "busmaster0", 0, 0, 0, 0, 0 },
};

static void test_parse_pci(struct test_state *t)
{
	struct bm_pci_addr a;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(pci_cases); k++) {
		int ret;

		memset(&a, 0x5a, sizeof(a));
		errno = 0;
		ret = bm_parse_pci_addr(pci_cases[k].str, &a);
		if (pci_cases[k].ok)
			CHECK(t, ret == 0 && a.domain == pci_cases[k].domain &&
				 a.bus == pci_cases[k].bus &&
				 a.dev == pci_cases[k].dev &&
				 a.fn == pci_cases[k].fn,
			      "bm_parse_pci_addr(\"%s\")", pci_cases[k].str);
		else
			CHECK(t, ret == -1 && errno == EINVAL,
			      "bm_parse_pci_addr(\"%s\") fails with EINVAL",
			      pci_cases[k].str);
	}
}

static int streq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static void test_names(struct test_state *t)
{
	char buf[BM_CAPS_STR_LEN];

	CHECK(t, streq(bm_model_name(BUSMASTER_MODEL_EDU), "edu") &&
		 streq(bm_model_name(BUSMASTER_MODEL_CARD), "busmaster") &&
		 !bm_model_name(0) && !bm_model_name(3) &&
		 !bm_model_name(UINT32_MAX), "bm_model_name()");
	CHECK(t, streq(bm_irq_mode_name(BUSMASTER_IRQ_NONE), "none") &&
		 streq(bm_irq_mode_name(BUSMASTER_IRQ_INTX), "intx") &&
		 streq(bm_irq_mode_name(BUSMASTER_IRQ_MSI), "msi") &&
		 streq(bm_irq_mode_name(BUSMASTER_IRQ_MSIX), "msix") &&
		 !bm_irq_mode_name(4), "bm_irq_mode_name()");
	CHECK(t, streq(bm_bounce_name(BUSMASTER_BOUNCE_NONE), "none") &&
		 streq(bm_bounce_name(BUSMASTER_BOUNCE_IOMMU), "iommu") &&
		 streq(bm_bounce_name(BUSMASTER_BOUNCE_SWIOTLB), "swiotlb") &&
		 streq(bm_bounce_name(BUSMASTER_BOUNCE_MAP_REGISTERS),
		       "map_registers") &&
		 !bm_bounce_name(4), "bm_bounce_name()");
	CHECK(t, streq(bm_cap_name(BUSMASTER_CAP_SCATTER_GATHER),
		       "scatter_gather") &&
		 streq(bm_cap_name(BUSMASTER_CAP_CARD_MEM_BAR), "card_mem_bar") &&
		 !bm_cap_name(0) && !bm_cap_name(3) && !bm_cap_name(1U << 31),
	      "bm_cap_name()");
	CHECK(t, !bm_caps_format(0, buf, sizeof(buf)) && !strcmp(buf, ""),
	      "bm_caps_format(0) = \"\"");
	CHECK(t, !bm_caps_format(3, buf, sizeof(buf)) &&
		 !strcmp(buf, "scatter_gather,card_mem_bar"),
	      "bm_caps_format(3)");
	CHECK(t, !bm_caps_format(0x80000002, buf, sizeof(buf)) &&
		 !strcmp(buf, "card_mem_bar,0x80000000"),
	      "bm_caps_format() names unknown bits in hex");
	CHECK(t, !bm_caps_format(UINT32_MAX, buf, sizeof(buf)),
	      "bm_caps_format(all bits) fits BM_CAPS_STR_LEN");
	errno = 0;
	CHECK(t, bm_caps_format(3, buf, 8) == -1 && errno == ENOSPC &&
		 strlen(buf) < 8, "bm_caps_format() short buffer: ENOSPC");
	CHECK(t, bm_version() && *bm_version(), "bm_version() = %s",
	      bm_version());
}

static void test_dev_path(struct test_state *t)
{
	char buf[BM_PATH_LEN];

	CHECK(t, !bm_dev_path(3, buf, sizeof(buf)) &&
		 !strcmp(buf, "/dev/busmaster3"), "bm_dev_path(3)");
	CHECK(t, !bm_dev_path(2147483647, buf, sizeof(buf)) &&
		 !strcmp(buf, "/dev/busmaster2147483647"),
	      "bm_dev_path(INT_MAX) fits BM_PATH_LEN");
	errno = 0;
	CHECK(t, bm_dev_path(-1, buf, sizeof(buf)) == -1 && errno == EINVAL,
	      "bm_dev_path(-1) fails with EINVAL");
	errno = 0;
	CHECK(t, bm_dev_path(10, buf, 8) == -1 && errno == ENAMETOOLONG &&
		 !buf[0], "bm_dev_path() short buffer: ENAMETOOLONG");
	errno = 0;
	CHECK(t, bm_open_index(-1, O_RDONLY) == -1 && errno == EINVAL,
	      "bm_open_index(-1) fails with EINVAL");
}

static void touch(const char *dir, const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
}

static void test_list_dir(struct test_state *t)
{
	static const char *const names[] = {
		"busmaster10", "busmaster2", "busmaster0", "busmaster01",
		"busmaster", "busmaster-1", "busmaster3x", "busmasterx",
		"busmaster99999999999", "null", "xbusmaster4",
	};
	char dir[] = "/tmp/bm-test-XXXXXX";
	char cmd[64];
	int *idx = NULL;
	size_t n = 99, k;

	if (!mkdtemp(dir)) {
		CHECK(t, 0, "mkdtemp: %s", strerror(errno));
		return;
	}
	CHECK(t, !bm_list_dir(dir, &idx, &n) && n == 0 && !idx,
	      "bm_list_dir(empty) = 0 cards");
	for (k = 0; k < ARRAY_SIZE(names); k++)
		touch(dir, names[k]);
	CHECK(t, !bm_list_dir(dir, &idx, &n) && n == 3 && idx[0] == 0 &&
		 idx[1] == 2 && idx[2] == 10,
	      "bm_list_dir() finds busmaster0, 2, 10 in order, nothing else");
	free(idx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", dir);
	errno = 0;
	CHECK(t, bm_list_dir(dir, &idx, &n) == -1 && errno == ENOENT,
	      "bm_list_dir(missing) fails with ENOENT");
}

/* Write @val into @dir/@name */
static void put(const char *dir, const char *name, const char *val)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

/*
 * bm_copy_stats() against a fake sysfs (BM_SYSFS_ROOT): the values of
 * requests_copied and bytes_copied, ENOENT from a driver without them,
 * which bm_card_stats() does not need
 */
static void test_copy_stats(struct test_state *t)
{
	static const char *const stats[] = {
		"bytes_to_card", "bytes_from_card", "bytes_bounced",
		"transfers_to_card", "transfers_from_card", "requests",
		"requests_failed", "requests_in_flight", "timeouts",
		"card_resets", "pinned_pages",
	};
	char root[] = "/tmp/bm-sysfs-XXXXXX";
	char dir[128], cmd[160];
	const char *old = getenv("BM_SYSFS_ROOT");
	struct bm_copy_stats st;
	struct bm_card_stats cs;
	size_t k;

	if (!mkdtemp(root)) {
		CHECK(t, 0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(dir, sizeof(dir), "%s/class/misc/busmaster7/statistics", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	if (system(cmd))
		fprintf(stderr, "# could not make %s\n", dir);
	for (k = 0; k < ARRAY_SIZE(stats); k++)
		put(dir, stats[k], "5\n");
	setenv("BM_SYSFS_ROOT", root, 1);

	/* an ABI 2 driver: its statistics, but no copy counters */
	memset(&st, 0xff, sizeof(st));
	errno = 0;
	CHECK(t, !bm_card_stats("/dev/busmaster7", &cs) && cs.requests == 5 &&
		 bm_copy_stats("/dev/busmaster7", &st) == -1 &&
		 errno == ENOENT && !st.requests_copied && !st.bytes_copied,
	      "bm_copy_stats() of a driver without the counters: ENOENT, zeroed; bm_card_stats() works");

	put(dir, "requests_copied", "3\n");
	errno = 0;
	CHECK(t, bm_copy_stats("busmaster7", &st) == -1 && errno == ENOENT,
	      "bm_copy_stats() with requests_copied only: ENOENT");
	put(dir, "bytes_copied", "18446744073709551615\n");
	memset(&st, 0, sizeof(st));
	CHECK(t, !bm_copy_stats("/dev/busmaster7", &st) &&
		 st.requests_copied == 3 && st.bytes_copied == UINT64_MAX,
	      "bm_copy_stats(/dev/busmaster7) reads requests_copied 3, bytes_copied 2^64-1");
	put(dir, "requests_copied", "123456789012");
	put(dir, "bytes_copied", "65536\n");
	memset(&st, 0, sizeof(st));
	CHECK(t, !bm_copy_stats("busmaster7", &st) &&
		 st.requests_copied == 123456789012ULL &&
		 st.bytes_copied == 65536,
	      "bm_copy_stats(busmaster7): by name too, no newline needed");
	put(dir, "bytes_copied", "12x\n");
	errno = 0;
	CHECK(t, bm_copy_stats("busmaster7", &st) == -1 && errno == EIO,
	      "bm_copy_stats() of a file that is not a number: EIO");
	errno = 0;
	CHECK(t, bm_copy_stats("busmaster8", &st) == -1 && errno == ENOENT,
	      "bm_copy_stats() of no such card: ENOENT");
	errno = 0;
	CHECK(t, bm_copy_stats(NULL, &st) == -1 && errno == EINVAL &&
		 bm_copy_stats("busmaster7", NULL) == -1 && errno == EINVAL &&
		 bm_copy_stats("/dev/", &st) == -1 && errno == EINVAL,
	      "bm_copy_stats(NULL node, NULL stats, no name): EINVAL");

	if (old)
		setenv("BM_SYSFS_ROOT", old, 1);
	else
		unsetenv("BM_SYSFS_ROOT");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", root);
}

static void test_open_device(struct test_state *t)
{
	static const char *const bad[] = {
		"foo", "-1", "01", "busmaster", "busmaster01", "00:04",
		"0000:00:04.8", "4294967296",
	};
	struct busmaster_info info;
	char path[BM_PATH_LEN];
	size_t k;
	int fd;

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		errno = 0;
		path[0] = 'x';
		CHECK(t, bm_open_device(bad[k], O_RDONLY, path,
					sizeof(path)) == -1 &&
			 errno == EINVAL && !path[0],
		      "bm_open_device(\"%s\") fails with EINVAL", bad[k]);
	}
	errno = 0;
	CHECK(t, bm_open_device("/nonexistent/busmaster0", O_RDONLY, path,
				sizeof(path)) == -1 && errno == ENOENT &&
		 !strcmp(path, "/nonexistent/busmaster0"),
	      "bm_open_device(missing path) fails with ENOENT, names it");
	fd = bm_open_device("/dev/null", O_RDONLY, path, sizeof(path));
	CHECK(t, fd >= 0 && !strcmp(path, "/dev/null") &&
		 (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	      "bm_open_device(path) opens it with O_CLOEXEC");
	errno = 0;
	CHECK(t, bm_info(fd, &info) == -1 && errno == ENOTTY,
	      "bm_info(not a card) fails with ENOTTY");
	if (fd >= 0)
		close(fd);
	errno = 0;
	CHECK(t, bm_info(-1, &info) == -1 && errno == EBADF,
	      "bm_info(-1) fails with EBADF");
	errno = 0;
	CHECK(t, bm_info(0, NULL) == -1 && errno == EINVAL,
	      "bm_info(NULL) fails with EINVAL");
}

/* ---- transfers, without a card ---- */

static void test_pattern(struct test_state *t)
{
	static uint8_t whole[8192], part[8192];
	static const struct { uint64_t off; size_t len; } subs[] = {
		{ 0, 1 }, { 1, 7 }, { 3, 13 }, { 8, 8 }, { 7, 4096 },
		{ 4093, 4099 }, { 8191, 1 }, { 0, 8192 },
	};
	uint64_t first, base = 0x100000 - 5, w;
	bool all = true;
	size_t k, i;

	/* the definition, pinned: an independent splitmix64 gives these */
	CHECK(t, bm_pattern_word(0, 0) == 0xe220a8397b1dcdafULL &&
		 bm_pattern_word(1, 0) == 0xbfef8030ddc2d772ULL &&
		 bm_pattern_word(42, 1000) == 0xd810b893b111893aULL,
	      "bm_pattern_word() matches its documented definition");
	bm_pattern_fill(part, 8, 42, 8000);
	w = bm_pattern_word(42, 1000);
	for (i = 0; i < 8; i++)
		all &= part[i] == (uint8_t)(w >> (8 * i));
	CHECK(t, all, "pattern bytes are the word in little-endian order");

	bm_pattern_fill(whole, sizeof(whole), 7, base);
	for (k = 0; k < ARRAY_SIZE(subs); k++) {
		memset(part, 0, sizeof(part));
		bm_pattern_fill(part, subs[k].len, 7, base + subs[k].off);
		CHECK(t, !memcmp(part, whole + subs[k].off, subs[k].len) &&
			 !bm_pattern_check(whole + subs[k].off, subs[k].len,
					   7, base + subs[k].off, &first) &&
			 first == subs[k].len,
		      "pattern sub-range at +%llu, %zu bytes regenerates identically",
		      (unsigned long long)subs[k].off, subs[k].len);
	}
	bm_pattern_fill(part, sizeof(part), 8, base);
	CHECK(t, bm_pattern_check(part, sizeof(part), 7, base, &first) >
		 sizeof(part) * 9 / 10 && first < 8,
	      "different seeds give different patterns (most bytes differ)");
	bm_pattern_fill(part, sizeof(part), 7, base + 8);
	CHECK(t, memcmp(part, whole, sizeof(part)),
	      "the pattern depends on the offset (not a repeating block)");
	bm_pattern_fill(part, sizeof(part), 7 + 0x9e3779b97f4a7c15ULL, base);
	CHECK(t, memcmp(part + 8, whole, 64),
	      "seeds a golden-ratio step apart are not shifted copies");

	memcpy(part, whole, sizeof(whole));
	part[100] ^= 1;
	part[5000] ^= 0xff;
	CHECK(t, bm_pattern_check(part, sizeof(part), 7, base, &first) == 2 &&
	      first == 100, "bm_pattern_check() counts 2 bad bytes, first 100");
	CHECK(t, bm_buf_compare(part, whole, sizeof(part), &first) == 2 &&
		 first == 100, "bm_buf_compare() counts 2, first 100");
	CHECK(t, bm_buf_compare(whole, whole, sizeof(whole), &first) == 0 &&
		 first == sizeof(whole), "bm_buf_compare() same: 0, first = len");
	memset(part, 0x5a, sizeof(part));
	CHECK(t, bm_pattern_check_byte(part, sizeof(part), 0x5a, &first) == 0 &&
		 first == sizeof(part), "bm_pattern_check_byte() all equal");
	part[4096] = 0;
	part[8191] = 0;
	CHECK(t, bm_pattern_check_byte(part, sizeof(part), 0x5a, &first) == 2 &&
		 first == 4096, "bm_pattern_check_byte() 2 bad, first 4096");
	CHECK(t, bm_pattern_check_byte(part, 0, 0x5a, NULL) == 0,
	      "empty range: nothing differs");
}

static const struct busmaster_info card_info = {
	.card_model = BUSMASTER_MODEL_CARD,
	.alignment = 8,
	.card_mem_size = 1 << 20,
};

struct strerror_case {
	int err;
	uint32_t flags;
	uint64_t addr, length, card_offset;
	uint32_t card_status;
	const struct busmaster_info *info;
	const char *want;
};

static const struct busmaster_info edu_info = {
	.card_model = BUSMASTER_MODEL_EDU,
	.alignment = 1,
	.card_mem_size = 4096,
};

/* A driver before BUSMASTER_XFER_COPY and _PIN */
static const struct busmaster_info abi2_info = {
	.card_model = BUSMASTER_MODEL_CARD,
	.abi_version = 2,
	.alignment = 1,
	.card_mem_size = 1 << 20,
};

static const struct strerror_case strerror_cases[] = {
	{ ERANGE, 0, 0, 4096, 1 << 20, 0, &card_info,
	  "beyond the card's memory (the card has 1 MiB)" },
	{ ERANGE, BUSMASTER_XFER_COMMON, 0, 4096, 1 << 20, 0, &card_info,
	  "beyond the card's memory (the card has 1 MiB)" },
	{ ERANGE, BUSMASTER_XFER_COMMON, 8192, 4096, 0, 0, &card_info,
	  "beyond the common buffer" },
	{ ERANGE, 0, 0, 8192, 0, 0, &edu_info,
	  "beyond the card's memory (the card has 4 KiB)" },
	{ ERANGE, 0, 0, 1, 0, 0, NULL, "beyond the card's memory" },
	{ EINVAL, 0, 4, 16, 0, 0, &card_info,
	  "the card needs 8-byte alignment of address, length and card offset" },
	{ EINVAL, 0, 0, 16, 0, 0, NULL, "the driver refused the request" },
	{ EINVAL, 0, 4096, 0, 0, 0, &card_info, "nothing to move (length 0)" },
	{ EINVAL, 0, UINT64_MAX - 7, 16, 0, 0, &card_info,
	  "the buffer's address range wraps around" },
	{ EFAULT, BUSMASTER_XFER_FROM_CARD, 0, 1, 0, 0, &card_info,
	  "the buffer is not writable memory" },
	{ EFAULT, 0, 0, 1, 0, 0, &card_info,
	  "the buffer is not readable memory" },
	{ ETIMEDOUT, 0, 0, 1, 0, 0, &card_info,
	  "the card did not finish in time; its DMA channel was stopped" },
	{ ECANCELED, 0, 0, 1, 0, 0, &card_info,
	  "another request's timeout reset the card under this one; retrying is safe" },
	{ ESHUTDOWN, 0, 0, 1, 0, 0, &card_info,
	  "cut off the bus until its PCI function is reset" },
	{ EIO, 0, 0, 1, 0, 0x86, &card_info,
	  "the card failed the transfer with status 0x86 (ERR_HOST: the bus rejected a host-memory access)" },
	{ EIO, 0, 0, 1, 0, 0x87, &card_info, "(ERR_INJECTED: fault injection)" },
	{ EIO, 0, 0, 1, 0, 0x89, &card_info,
	  "(ERR_BOUNDARY: a segment crosses the card's address boundary)" },
	{ EIO, 0, 0, 1, 0, 0x99, &card_info,
	  "the card failed the transfer with status 0x99" },
	{ EIO, 0, 0, 1, 0, 0x86, &edu_info,
	  "the card failed the transfer with status 0x86" },
	{ EIO, 0, 0, 1, 0, 0, &card_info,
	  "the card failed the transfer (its DMA channel halted)" },
	{ ENOENT, BUSMASTER_XFER_COMMON, 0, 1, 0, 0, &card_info,
	  "no such common buffer in this file" },
	{ ENOENT, BUSMASTER_XFER_REGISTERED, 0, 1, 0, 0, &card_info,
	  "no such registered buffer in this file" },
	{ ERANGE, BUSMASTER_XFER_REGISTERED, 8192, 4096, 0, 0, &card_info,
	  "beyond the registered buffer" },
	{ EPERM, BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_FROM_CARD, 0, 8,
	  0, 0, &card_info, "the buffer was registered without card-writes" },
	{ EINVAL, BUSMASTER_XFER_NO_SYNC, 0, 8, 0, 0, &card_info,
	  "no-sync applies to registered buffers only" },
	{ EINVAL, BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_COMMON, 0, 8, 0,
	  0, &card_info, "either common or registered" },
	{ EINTR, 0, 0, 1, 0, 0, &card_info, "interrupted by a signal" },
	{ ENODEV, 0, 0, 1, 0, 0, &card_info, "the card was removed" },
	{ ENOTTY, 0, 0, 1, 0, 0, NULL, "not a busmaster card" },
	{ E2BIG, 0, 0, 1, 0, 0, NULL, "the driver is older" },
	{ ENOMEM, 0, 0, 1, 0, 0, NULL, "no bounce space for the buffer now" },
	{ ENOMEM, BUSMASTER_XFER_COPY, 0, 1, 0, 0, &card_info,
	  "no memory for the driver's copy buffer" },
	{ ENOMEM, BUSMASTER_XFER_PIN, 0, 1, 0, 0, &card_info,
	  "no bounce space for the buffer now" },
	{ EINVAL, BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN, 0, 8, 0, 0,
	  &card_info, "a request is either copied or pinned, not both" },
	{ EINVAL, BUSMASTER_XFER_PIN | BUSMASTER_XFER_REGISTERED, 0, 8, 0, 0,
	  &card_info, "copy and pin apply to plain user memory, not to a common or registered buffer" },
	{ EINVAL, BUSMASTER_XFER_COPY | BUSMASTER_XFER_COMMON, 0, 8, 0, 0,
	  NULL, "copy and pin apply to plain user memory" },
	{ EINVAL, BUSMASTER_XFER_COPY, 0, 8, 0, 0, &abi2_info,
	  "the driver (ABI 2) cannot be told to copy or pin: that needs ABI 3" },
	{ EINVAL, BUSMASTER_XFER_PIN, 0, 8, 0, 0, &card_info,
	  "the driver refused the request" },
	{ ENOSPC, 0, 0, 1, 0, 0, NULL, "No space left on device" },
};

static void test_strerror(struct test_state *t)
{
	char buf[BM_ERR_STR_LEN];
	size_t k;

	for (k = 0; k < ARRAY_SIZE(strerror_cases); k++) {
		const struct strerror_case *c = &strerror_cases[k];
		struct busmaster_transfer x = {
			.flags = c->flags, .addr = c->addr,
			.length = c->length, .card_offset = c->card_offset,
			.card_status = c->card_status,
		};
		int ret = bm_strerror_transfer(c->err, &x, c->info, buf,
					       sizeof(buf));

		CHECK(t, ret == 0 && strstr(buf, c->want),
		      "bm_strerror_transfer(%s) names \"%s\"",
		      strerror(c->err), c->want);
		if (ret || !strstr(buf, c->want))
			printf("# got: %s\n", buf);
	}
	CHECK(t, !bm_strerror_transfer(EINVAL, NULL, &card_info, buf,
				       sizeof(buf)) &&
		 strstr(buf, "8-byte alignment"),
	      "bm_strerror_transfer(EINVAL) without a request: alignment");
	CHECK(t, !bm_strerror_transfer(EFAULT, NULL, NULL, buf, sizeof(buf)) &&
		 strstr(buf, "not mapped"),
	      "bm_strerror_transfer(EFAULT) without a request");
	errno = 0;
	CHECK(t, bm_strerror_transfer(ETIMEDOUT, NULL, NULL, buf, 8) == -1 &&
		 errno == ENOSPC && strlen(buf) == 7,
	      "bm_strerror_transfer() short buffer: ENOSPC, truncated");
	CHECK(t, strstr(bm_strerror_common(ENOMEM), "contiguous") &&
		 strstr(bm_strerror_common(EMFILE), "too many") &&
		 strstr(bm_strerror_common(EBUSY), "in progress") &&
		 strstr(bm_strerror_common(ENOENT), "no such common buffer") &&
		 strstr(bm_strerror_common(EINVAL), "length"),
	      "bm_strerror_common() names each documented errno");
	CHECK(t, !bm_strerror_register(EMFILE, buf, sizeof(buf)) &&
		 strstr(buf, "too many registered buffers in this file (at most 64)"),
	      "bm_strerror_register(EMFILE)");
	CHECK(t, !bm_strerror_register(EFAULT, buf, sizeof(buf)) &&
		 strstr(buf, "not mapped, not writable, or memory the kernel will not pin long-term (e.g. a file mapping that needs writeback)"),
	      "bm_strerror_register(EFAULT)");
	CHECK(t, !bm_strerror_register(ENOMEM, buf, sizeof(buf)) &&
		 (strstr(buf, "over RLIMIT_MEMLOCK (ulimit -l): ") ||
		  strstr(buf, "RLIMIT_MEMLOCK is unlimited")),
	      "bm_strerror_register(ENOMEM) names RLIMIT_MEMLOCK");
	CHECK(t, !bm_strerror_register(ENOENT, buf, sizeof(buf)) &&
		 strstr(buf, "no such registered buffer") &&
		 !bm_strerror_register(ERANGE, buf, sizeof(buf)) &&
		 strstr(buf, "beyond the registered buffer") &&
		 !bm_strerror_register(EINVAL, buf, sizeof(buf)) &&
		 strstr(buf, "1 GiB maximum"),
	      "bm_strerror_register(ENOENT, ERANGE, EINVAL)");
	errno = 0;
	CHECK(t, bm_strerror_register(EMFILE, buf, 8) == -1 &&
		 errno == ENOSPC && strlen(buf) == 7,
	      "bm_strerror_register() short buffer: ENOSPC, truncated");
	CHECK(t, streq(bm_card_status_name(BUSMASTER_MODEL_CARD, 0x86),
		       "ERR_HOST") &&
		 streq(bm_card_status_name(BUSMASTER_MODEL_CARD, 0x81),
		       "ERR_FLAGS") &&
		 streq(bm_card_status_name(BUSMASTER_MODEL_CARD, 0x88),
		       "ERR_ABORTED") &&
		 !bm_card_status_name(BUSMASTER_MODEL_CARD, 0x01) &&
		 !bm_card_status_name(BUSMASTER_MODEL_EDU, 0x86),
	      "bm_card_status_name()");
}

static void test_transfer_calls(struct test_state *t)
{
	struct bm_result res = BM_RESULT_INIT, small = { .size = 16 };
	struct busmaster_transfer x = { .length = 1 };
	uint64_t off = 1;
	uint32_t handle = 9;
	char buf[16] = "";
	int fd;

	res.bytes_done = 77;
	errno = 0;
	CHECK(t, bm_write(-1, buf, sizeof(buf), 0, &res) == -1 &&
		 errno == EBADF && res.bytes_done == 0 &&
		 res.size == sizeof(res),
	      "bm_write(-1) fails with EBADF; result filled, size kept");
	small.bytes_done = 5;
	errno = 0;
	CHECK(t, bm_read(-1, buf, sizeof(buf), 0, &small) == -1 &&
		 errno == EINVAL && small.bytes_done == 5,
	      "bm_read() with a result below BM_RESULT_SIZE_V1: EINVAL");
	CHECK(t, BM_RESULT_SIZE_V1 <= sizeof(struct bm_result),
	      "BM_RESULT_SIZE_V1 fits struct bm_result");
	errno = 0;
	CHECK(t, bm_read(-1, buf, sizeof(buf), 0, NULL) == -1 &&
		 errno == EBADF, "bm_read(-1, no result) fails with EBADF");
	fd = open("/dev/null", O_RDWR);
	errno = 0;
	CHECK(t, bm_transfer(fd, &x) == -1 && errno == ENOTTY &&
		 x.size == sizeof(x),
	      "bm_transfer(not a card) fails with ENOTTY, sets size");
	errno = 0;
	CHECK(t, bm_common_write(fd, 1, 0, 16, 0, &res) == -1 &&
		 errno == ENOTTY, "bm_common_write(not a card): ENOTTY");
	errno = 0;
	CHECK(t, bm_common_read(fd, 1, 0, 16, 0, NULL) == -1 &&
		 errno == ENOTTY, "bm_common_read(not a card): ENOTTY");
	errno = 0;
	CHECK(t, bm_common_alloc(fd, 4096, &handle, &off) == -1 &&
		 errno == ENOTTY && handle == 9 && off == 1,
	      "bm_common_alloc(not a card): ENOTTY, outputs untouched");
	errno = 0;
	CHECK(t, bm_common_free(fd, 1) == -1 && errno == ENOTTY,
	      "bm_common_free(not a card): ENOTTY");
	errno = 0;
	CHECK(t, !bm_common_map(fd, 0, 0) && errno == EINVAL,
	      "bm_common_map(length 0): NULL, EINVAL");
	errno = 0;
	CHECK(t, !bm_common_map(-1, 0, 4096) && errno == EBADF,
	      "bm_common_map(-1): NULL, EBADF");
	errno = 0;
	CHECK(t, bm_register(fd, buf, sizeof(buf), 0, &handle) == -1 &&
		 errno == ENOTTY && handle == 9,
	      "bm_register(not a card): ENOTTY, handle untouched");
	errno = 0;
	CHECK(t, bm_unregister(fd, 1) == -1 && errno == ENOTTY &&
		 bm_sync(fd, 1, 0, 1, BUSMASTER_SYNC_FOR_CPU) == -1 &&
		 errno == ENOTTY, "bm_unregister(), bm_sync(not a card): ENOTTY");
	errno = 0;
	CHECK(t, bm_reg_write(fd, 1, 0, 16, 0, 0, &res) == -1 &&
		 errno == ENOTTY && bm_reg_read(fd, 1, 0, 16, 0,
						BUSMASTER_XFER_NO_SYNC, NULL) == -1 &&
		 errno == ENOTTY, "bm_reg_write(), bm_reg_read(not a card): ENOTTY");
	errno = 0;
	CHECK(t, bm_writev(fd, &(struct busmaster_iovec){ 0, 1 }, 1, 0,
			   &small) == -1 && errno == EINVAL,
	      "bm_writev() with a short result: EINVAL");
	errno = 0;
	CHECK(t, bm_readv(fd, &(struct busmaster_iovec){ 0, 1 }, 1, 0,
			  &res) == -1 && errno == ENOTTY,
	      "bm_readv(not a card): ENOTTY");
	errno = 0;
	CHECK(t, bm_transfer(0, NULL) == -1 && errno == EINVAL &&
		 bm_common_alloc(0, 1, NULL, &off) == -1,
	      "NULL arguments: EINVAL");
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	struct test_state t = { 0, 0 };

	test_parse_size(&t);
	test_format_size(&t);
	test_parse_pci(&t);
	test_names(&t);
	test_dev_path(&t);
	test_list_dir(&t);
	test_copy_stats(&t);
	test_open_device(&t);
	test_pattern(&t);
	test_strerror(&t);
	test_transfer_calls(&t);
	return test_done(&t);
}
