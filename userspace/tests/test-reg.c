// SPDX-License-Identifier: GPL-2.0-only
/*
 * libbusmaster's registered buffers, SYNC, vectored transfers and staging
 * buffers (all three paths; the user one copied or pinned on request)
 * against
 * fake-card.so (LD_PRELOAD, BM_FAKE_CARD naming the node): the calls fill
 * the ABI's structs right, and each documented errno comes back. The real
 * driver is tested by the selftests in the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "libbusmaster.h"
#include "test.h"

#define LEN (64 << 10)

static int open_card(void)
{
	const char *card = getenv("BM_FAKE_CARD");

	return card ? bm_open_path(card, O_RDWR) : -1;
}

/* The calls on a happy path: register, move sub-ranges both ways, unregister */
static void test_round_trip(struct test_state *t, int fd)
{
	struct bm_result res = BM_RESULT_INIT;
	uint8_t *a = aligned_alloc(4096, LEN), *b = aligned_alloc(4096, LEN);
	uint32_t ha = 0, hb = 0;

	bm_pattern_fill(a, LEN, 11, 0);
	memset(b, 0, LEN);
	CHECK(t, !bm_register(fd, a, LEN, 0, &ha) && ha,
	      "bm_register(to card) gives a handle");
	CHECK(t, !bm_register(fd, b, LEN, BUSMASTER_REG_CARD_WRITES, &hb) &&
		 hb && hb != ha, "bm_register(card writes) gives another");
	CHECK(t, !bm_reg_write(fd, ha, 4096, 8192, 0x10000, 0, &res) &&
		 res.bytes_done == 8192 && res.transfers >= 1,
	      "bm_reg_write() of a partial range: bytes_done, transfers");
	CHECK(t, !bm_reg_read(fd, hb, 100, 8192, 0x10000, 0, &res) &&
		 res.bytes_done == 8192 && !memcmp(b + 100, a + 4096, 8192),
	      "bm_reg_read() into another offset gives the bytes back");
	errno = 0;
	CHECK(t, bm_reg_read(fd, ha, 0, 16, 0, 0, &res) == -1 &&
		 errno == EPERM,
	      "bm_reg_read() into a buffer without card-writes: EPERM");
	errno = 0;
	CHECK(t, bm_reg_write(fd, ha, LEN - 8, 16, 0, 0, NULL) == -1 &&
		 errno == ERANGE, "bm_reg_write() past the buffer: ERANGE");
	errno = 0;
	CHECK(t, bm_reg_write(fd, ha, 0, 16, 0, BUSMASTER_XFER_FROM_CARD,
			      NULL) == -1 && errno == EINVAL,
	      "bm_reg_write() with a flag other than NO_SYNC: EINVAL");
	CHECK(t, !bm_unregister(fd, ha) && !bm_unregister(fd, hb),
	      "bm_unregister() both");
	errno = 0;
	CHECK(t, bm_unregister(fd, ha) == -1 && errno == ENOENT,
	      "bm_unregister() twice: ENOENT");
	errno = 0;
	CHECK(t, bm_reg_write(fd, ha, 0, 16, 0, 0, NULL) == -1 &&
		 errno == ENOENT, "bm_reg_write() after unregister: ENOENT");
	free(a);
	free(b);
}

/* NO_SYNC: without SYNC the card sees stale bytes (the fake bounces) */
static void test_sync(struct test_state *t, int fd)
{
	uint8_t *a = aligned_alloc(4096, LEN), *b = aligned_alloc(4096, LEN);
	uint32_t ha, hb;

	memset(a, 1, LEN);
	memset(b, 0, LEN);
	bm_register(fd, a, LEN, 0, &ha);
	bm_register(fd, b, LEN, BUSMASTER_REG_CARD_WRITES, &hb);
	memset(a, 2, LEN);	/* after registration: not yet synced */
	bm_reg_write(fd, ha, 0, 4096, 0, BUSMASTER_XFER_NO_SYNC, NULL);
	bm_reg_read(fd, hb, 0, 4096, 0, 0, NULL);
	CHECK(t, b[0] == 1,
	      "NO_SYNC without SYNC: the card read the stale bounce copy");
	CHECK(t, !bm_sync(fd, ha, 0, 4096, BUSMASTER_SYNC_FOR_DEVICE) &&
		 !bm_reg_write(fd, ha, 0, 4096, 0, BUSMASTER_XFER_NO_SYNC,
			       NULL),
	      "bm_sync(FOR_DEVICE), then the NO_SYNC write");
	memset(b, 0, LEN);
	CHECK(t, !bm_reg_read(fd, hb, 0, 4096, 0, BUSMASTER_XFER_NO_SYNC,
			      NULL) && b[0] == 0,
	      "NO_SYNC read without SYNC: the CPU does not see it yet");
	CHECK(t, !bm_sync(fd, hb, 0, 4096, BUSMASTER_SYNC_FOR_CPU) &&
		 b[0] == 2 && b[4095] == 2,
	      "bm_sync(FOR_CPU): now it does");
	errno = 0;
	CHECK(t, bm_sync(fd, hb, 0, 1, BUSMASTER_SYNC_FOR_CPU |
			 BUSMASTER_SYNC_FOR_DEVICE) == -1 && errno == EINVAL,
	      "bm_sync() with both directions: EINVAL");
	errno = 0;
	CHECK(t, bm_sync(fd, hb, 0, 0, BUSMASTER_SYNC_FOR_CPU) == -1 &&
		 errno == EINVAL, "bm_sync() of 0 bytes: EINVAL");
	errno = 0;
	CHECK(t, bm_sync(fd, hb, LEN, 1, BUSMASTER_SYNC_FOR_CPU) == -1 &&
		 errno == ERANGE, "bm_sync() past the buffer: ERANGE");
	errno = 0;
	CHECK(t, bm_sync(fd, 0, 0, 1, BUSMASTER_SYNC_FOR_CPU) == -1 &&
		 errno == ENOENT, "bm_sync() of handle 0: ENOENT");
	bm_unregister(fd, ha);
	bm_unregister(fd, hb);
	free(a);
	free(b);
}

static void test_register_errors(struct test_state *t, int fd)
{
	struct busmaster_register r = { .size = sizeof(r), .length = 4096 };
	uint8_t *a = aligned_alloc(4096, LEN);
	uint32_t h[BUSMASTER_REGISTER_PER_FILE + 1], handle = 77;
	struct rlimit old, low;
	char msg[BM_ERR_STR_LEN];
	void *ro;
	int fd2, k, n;

	errno = 0;
	CHECK(t, bm_register(fd, a, 4096, 0x80, &handle) == -1 &&
		 errno == EINVAL && handle == 77,
	      "bm_register(unknown flag): EINVAL, handle untouched");
	errno = 0;
	CHECK(t, bm_register(fd, a, 0, 0, &handle) == -1 && errno == EINVAL,
	      "bm_register(length 0): EINVAL");
	errno = 0;
	CHECK(t, bm_register(fd, a, 4096, 0, NULL) == -1 && errno == EINVAL,
	      "bm_register(handle NULL): EINVAL");
	r.addr = (uintptr_t)a;
	r.reserved = 1;
	errno = 0;
	CHECK(t, ioctl(fd, BUSMASTER_IOCTL_REGISTER, &r) == -1 &&
		 errno == EINVAL, "REGISTER with reserved set: EINVAL");
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(t, !bm_register(fd, ro, 4096, 0, &handle) &&
		 !bm_unregister(fd, handle),
	      "bm_register(read-only memory, card reads it): fine");
	errno = 0;
	CHECK(t, bm_register(fd, ro, 4096, BUSMASTER_REG_CARD_WRITES,
			     &handle) == -1 && errno == EFAULT,
	      "bm_register(read-only memory, card writes): EFAULT");
	munmap(ro, 4096);
	errno = 0;
	CHECK(t, bm_register(fd, ro, 4096, 0, &handle) == -1 &&
		 errno == EFAULT, "bm_register(unmapped memory): EFAULT");

	/* handles belong to their file */
	fd2 = open_card();
	bm_register(fd, a, 4096, 0, &handle);
	errno = 0;
	CHECK(t, fd2 >= 0 && bm_unregister(fd2, handle) == -1 &&
	      errno == ENOENT && bm_reg_write(fd2, handle, 0, 1, 0, 0,
					       NULL) == -1 && errno == ENOENT,
	      "another file's handle: ENOENT");
	bm_unregister(fd, handle);

	/* BUSMASTER_REGISTER_PER_FILE, then EMFILE; close() drops them */
	for (k = n = 0; k < BUSMASTER_REGISTER_PER_FILE; k++)
		n += !bm_register(fd2, a + (k % 16) * 4096, 4096, 0, &h[k]);
	errno = 0;
	CHECK(t, n == BUSMASTER_REGISTER_PER_FILE &&
		 bm_register(fd2, a, 4096, 0, &h[k]) == -1 && errno == EMFILE,
	      "%d buffers per file, then EMFILE", BUSMASTER_REGISTER_PER_FILE);
	CHECK(t, !bm_register(fd, a, 4096, 0, &handle) &&
		 !bm_unregister(fd, handle), "another file may still register");
	close(fd2);

	/* RLIMIT_MEMLOCK: the pages a buffer spans are charged */
	getrlimit(RLIMIT_MEMLOCK, &old);
	low = old;
	low.rlim_cur = 8192;
	setrlimit(RLIMIT_MEMLOCK, &low);
	CHECK(t, !bm_register(fd, a, 8192, 0, &handle),
	      "bm_register() of 2 pages under a 2-page RLIMIT_MEMLOCK");
	errno = 0;
	CHECK(t, bm_register(fd, a + 8192, 4096, 0, &h[0]) == -1 &&
		 errno == ENOMEM, "one page more: ENOMEM");
	CHECK(t, !bm_strerror_register(ENOMEM, msg, sizeof(msg)) &&
		 strstr(msg, "over RLIMIT_MEMLOCK (ulimit -l): 8 KiB allowed"),
	      "bm_strerror_register(ENOMEM) names the limit");
	printf("# %s\n", msg);
	bm_unregister(fd, handle);
	CHECK(t, !bm_register(fd, a + 8192, 4096, 0, &handle) &&
		 !bm_unregister(fd, handle), "unregister uncharges");
	setrlimit(RLIMIT_MEMLOCK, &old);
	free(a);
}

static void test_vectored(struct test_state *t, int fd)
{
	uint8_t src[3000], dst[3000];
	struct busmaster_iovec w[3] = {
		{ (uintptr_t)src, 1000 },
		{ (uintptr_t)(src + 2000), 1000 },
		{ (uintptr_t)(src + 1000), 1000 },
	};
	struct busmaster_iovec r[2] = {
		{ (uintptr_t)dst, 1 },
		{ (uintptr_t)(dst + 1), 2999 },
	};
	struct busmaster_transferv tv = { .count = 0 };
	struct bm_result res = BM_RESULT_INIT;
	void *ro;

	bm_pattern_fill(src, sizeof(src), 5, 0);
	CHECK(t, !bm_writev(fd, w, 3, 0x20000, &res) && res.bytes_done == 3000,
	      "bm_writev() of 3 pieces");
	CHECK(t, !bm_readv(fd, r, 2, 0x20000, &res) && res.bytes_done == 3000 &&
		 !memcmp(dst, src, 1000) && !memcmp(dst + 1000, src + 2000, 1000) &&
		 !memcmp(dst + 2000, src + 1000, 1000),
	      "bm_readv() gives the pieces back in order");
	errno = 0;
	CHECK(t, bm_writev(fd, w, 0, 0, NULL) == -1 && errno == EINVAL,
	      "bm_writev(count 0): EINVAL");
	errno = 0;
	CHECK(t, bm_writev(fd, w, BUSMASTER_IOV_MAX + 1, 0, NULL) == -1 &&
		 errno == EINVAL, "bm_writev(count above IOV_MAX): EINVAL");
	errno = 0;
	CHECK(t, bm_writev(fd, NULL, 1, 0, NULL) == -1 && errno == EINVAL,
	      "bm_writev(NULL): EINVAL");
	w[1].length = 0;
	errno = 0;
	CHECK(t, bm_writev(fd, w, 3, 0, NULL) == -1 && errno == EINVAL,
	      "bm_writev() with a piece of 0 bytes: EINVAL");
	w[1].length = 1000;
	errno = 0;
	CHECK(t, bm_writev(fd, w, 3, (1 << 20) - 2999, &res) == -1 &&
		 errno == ERANGE && res.bytes_done == 0,
	      "bm_writev() past the card's memory: ERANGE, nothing moved");
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r[1].addr = (uintptr_t)ro;
	errno = 0;
	CHECK(t, bm_readv(fd, r, 2, 0, NULL) == -1 && errno == EFAULT,
	      "bm_readv() into read-only memory: EFAULT");
	munmap(ro, 4096);
	tv.flags = BUSMASTER_XFER_COMMON;
	tv.count = 1;
	tv.iov = (uintptr_t)w;
	errno = 0;
	CHECK(t, bm_transferv(fd, &tv) == -1 && errno == EINVAL &&
		 tv.size == sizeof(tv),
	      "bm_transferv() with a flag other than FROM_CARD: EINVAL");
}

static const char *const kind_names[] = { "user", "common", "registered" };

/* Each kind of staging buffer: its length, and bytes there and back */
static void test_stage_round_trip(struct test_state *t, int fd,
				  const struct busmaster_info *info,
				  enum bm_stage_kind kind, uint32_t flags)
{
	const char *name = kind_names[kind];
	struct bm_result res = BM_RESULT_INIT;
	uint8_t *want = malloc(LEN);
	struct bm_stage *s;
	char why[BM_ERR_STR_LEN];
	uint8_t *buf;

	s = bm_stage_open(fd, info, kind, flags | BM_STAGE_CARD_WRITES, LEN + 5,
			  why, sizeof(why));
	CHECK(t, s && bm_stage_len(s) == LEN + 5,
	      "bm_stage_open(%s%s) holds the %d bytes asked for", name,
	      flags & BM_STAGE_NO_SYNC ? ", no-sync" : "", LEN + 5);
	if (!s) {
		printf("# %s\n", why);
		free(want);
		return;
	}
	buf = bm_stage_buf(s);
	bm_pattern_fill(want, LEN, 40 + kind, 0);
	memcpy(buf, want, LEN);
	CHECK(t, !bm_stage_write(s, LEN, 4096, &res) && res.bytes_done == LEN,
	      "%s: bm_stage_write() moves %d bytes", name, LEN);
	memset(buf, 0, LEN);
	res.bytes_done = 0;
	CHECK(t, !bm_stage_read(s, LEN, 4096, &res) && res.bytes_done == LEN &&
		 !memcmp(buf, want, LEN),
	      "%s: bm_stage_read() brings the same bytes back", name);
	CHECK(t, bm_stage_write(s, bm_stage_len(s) + 1, 0, NULL) == -1 &&
		 errno == EINVAL, "%s: past the buffer: EINVAL", name);
	bm_stage_close(s);
	free(want);
}

/* The last line of @path, without its newline ("" when none) */
static void last_line(const char *path, char *buf, size_t len)
{
	char line[128];
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, len, "%s", line);
	}
	if (f)
		fclose(f);
}

/*
 * BM_STAGE_COPY and BM_STAGE_PIN: the flag reaches TRANSFER (the fake
 * card logs each one: BM_FAKE_LOG), the bytes move, and the rules of the
 * ABI hold before any request
 */
static void test_stage_user_path(struct test_state *t, int fd,
				 const struct busmaster_info *info)
{
	static const struct {
		uint32_t stage;
		const char *name, *to, *from;
	} paths[] = {
		{ 0, "the driver's choice", "TRANSFER flags=0x0 length=8192",
		  "TRANSFER flags=0x1 length=8192" },
		{ BM_STAGE_COPY, "BM_STAGE_COPY", "TRANSFER flags=0x10 length=8192",
		  "TRANSFER flags=0x11 length=8192" },
		{ BM_STAGE_PIN, "BM_STAGE_PIN", "TRANSFER flags=0x20 length=8192",
		  "TRANSFER flags=0x21 length=8192" },
	};
	char log[] = "/tmp/bm-fake-log-XXXXXX", line[128], why[BM_ERR_STR_LEN];
	struct bm_result res = BM_RESULT_INIT;
	struct busmaster_transfer x = { .length = 8 };
	struct bm_stage *s;
	uint8_t want[8192];
	int lfd = mkstemp(log);
	size_t k;

	if (lfd < 0) {
		CHECK(t, 0, "mkstemp: %s", strerror(errno));
		return;
	}
	close(lfd);
	setenv("BM_FAKE_LOG", log, 1);
	for (k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
		s = bm_stage_open(fd, info, BM_STAGE_USER, paths[k].stage, 8192,
				  NULL, 0);
		if (!s) {
			CHECK(t, 0, "bm_stage_open(user, %s): %s", paths[k].name,
			      strerror(errno));
			continue;
		}
		bm_pattern_fill(want, sizeof(want), 60 + k, 0);
		memcpy(bm_stage_buf(s), want, sizeof(want));
		CHECK(t, !bm_stage_write(s, sizeof(want), 8192, &res) &&
			 res.bytes_done == sizeof(want),
		      "user, %s: bm_stage_write() moves the bytes", paths[k].name);
		last_line(log, line, sizeof(line));
		CHECK(t, !strcmp(line, paths[k].to),
		      "user, %s: TRANSFER carries \"%s\"", paths[k].name,
		      paths[k].to);
		memset(bm_stage_buf(s), 0, sizeof(want));
		CHECK(t, !bm_stage_read(s, sizeof(want), 8192, &res) &&
			 !memcmp(bm_stage_buf(s), want, sizeof(want)),
		      "user, %s: bm_stage_read() brings them back", paths[k].name);
		last_line(log, line, sizeof(line));
		CHECK(t, !strcmp(line, paths[k].from),
		      "user, %s: TRANSFER carries \"%s\"", paths[k].name,
		      paths[k].from);
		bm_stage_close(s);
	}
	unsetenv("BM_FAKE_LOG");
	unlink(log);

	errno = 0;
	CHECK(t, !bm_stage_open(fd, info, BM_STAGE_USER,
				BM_STAGE_COPY | BM_STAGE_PIN, 4096, why,
				sizeof(why)) && errno == EINVAL,
	      "BM_STAGE_COPY with BM_STAGE_PIN: EINVAL");
	errno = 0;
	CHECK(t, !bm_stage_open(fd, info, BM_STAGE_COMMON, BM_STAGE_COPY, 4096,
				NULL, 0) && errno == EINVAL,
	      "BM_STAGE_COPY on a common buffer: EINVAL");
	errno = 0;
	CHECK(t, !bm_stage_open(fd, info, BM_STAGE_REGISTERED, BM_STAGE_PIN,
				4096, NULL, 0) && errno == EINVAL,
	      "BM_STAGE_PIN on a registered buffer: EINVAL");
	/* The driver's rules, as the fake card keeps them */
	x.flags = BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN;
	x.addr = (uintptr_t)want;
	errno = 0;
	CHECK(t, bm_transfer(fd, &x) == -1 && errno == EINVAL,
	      "TRANSFER with both COPY and PIN: EINVAL");
	x.flags = BUSMASTER_XFER_PIN | BUSMASTER_XFER_FROM_CARD;
	CHECK(t, !bm_transfer(fd, &x) && x.bytes_done == 8,
	      "TRANSFER with PIN alone moves the bytes");
}

static void test_stage(struct test_state *t, int fd)
{
	struct busmaster_info info, aligned;
	struct rlimit old, low;
	struct bm_stage *s;
	char why[BM_ERR_STR_LEN];
	uint8_t *want;

	if (bm_info(fd, &info)) {
		CHECK(t, 0, "INFO of the fake card");
		return;
	}
	for (int k = BM_STAGE_USER; k <= BM_STAGE_REGISTERED; k++)
		test_stage_round_trip(t, fd, &info, k, 0);
	test_stage_round_trip(t, fd, &info, BM_STAGE_REGISTERED, BM_STAGE_NO_SYNC);
	test_stage_user_path(t, fd, &info);

	s = bm_stage_open(fd, &info, BM_STAGE_USER, 0, 1ULL << 40, NULL, 0);
	CHECK(t, s && bm_stage_len(s) == BM_STAGE_MAX_LEN,
	      "a terabyte to move: a buffer of BM_STAGE_MAX_LEN");
	bm_stage_close(s);
	aligned = info;
	aligned.alignment = 8;
	s = bm_stage_open(fd, &aligned, BM_STAGE_USER, 0, 4101, NULL, 0);
	CHECK(t, s && bm_stage_len(s) == 4096,
	      "the length keeps the card's alignment (4101 -> 4096 for 8)");
	bm_stage_close(s);

	errno = 0;
	CHECK(t, !bm_stage_open(fd, &info, BM_STAGE_USER, BM_STAGE_NO_SYNC, 4096,
				NULL, 0) && errno == EINVAL,
	      "no-sync is for registered buffers: EINVAL");
	CHECK(t, !bm_stage_open(fd, &info, BM_STAGE_USER, 0, 0, NULL, 0) &&
		 errno == EINVAL, "nothing to move: EINVAL");
	CHECK(t, !bm_stage_open(fd, NULL, BM_STAGE_USER, 0, 4096, NULL, 0) &&
		 errno == EINVAL, "no INFO: EINVAL");

	/* A card-writes-less registration cannot be read into. */
	s = bm_stage_open(fd, &info, BM_STAGE_REGISTERED, 0, 4096, NULL, 0);
	CHECK(t, s && bm_stage_read(s, 4096, 0, NULL) == -1 && errno == EPERM &&
		 !bm_stage_strerror(s, EPERM, why, sizeof(why)) &&
		 strstr(why, "without card-writes"),
	      "registered without BM_STAGE_CARD_WRITES: a read is EPERM, and says why");
	printf("# %s\n", why);
	bm_stage_close(s);

	/* Over RLIMIT_MEMLOCK: half the size, and half again, down to 4 KiB. */
	getrlimit(RLIMIT_MEMLOCK, &old);
	low = old;
	low.rlim_cur = 256 << 10;
	setrlimit(RLIMIT_MEMLOCK, &low);
	s = bm_stage_open(fd, &info, BM_STAGE_REGISTERED, BM_STAGE_CARD_WRITES,
			  1 << 20, why, sizeof(why));
	CHECK(t, s && bm_stage_len(s) == 256 << 10,
	      "1 MiB under a 256 KiB RLIMIT_MEMLOCK: a registered buffer of 256 KiB");
	want = malloc(256 << 10);
	if (s && want) {
		bm_pattern_fill(want, 256 << 10, 9, 0);
		memcpy(bm_stage_buf(s), want, 256 << 10);
		CHECK(t, !bm_stage_write(s, 256 << 10, 0, NULL),
		      "and it moves the bytes to the card");
		memset(bm_stage_buf(s), 0, 256 << 10);
		CHECK(t, !bm_stage_read(s, 256 << 10, 0, NULL) &&
			 !memcmp(bm_stage_buf(s), want, 256 << 10),
		      "and back");
	}
	free(want);
	bm_stage_close(s);
	low.rlim_cur = 2048;
	setrlimit(RLIMIT_MEMLOCK, &low);
	errno = 0;
	s = bm_stage_open(fd, &info, BM_STAGE_REGISTERED, 0, 1 << 20, why,
			  sizeof(why));
	CHECK(t, !s && errno == ENOMEM &&
		 strstr(why, "registering a 1 MiB buffer, or one down to 4 KiB: over RLIMIT_MEMLOCK"),
	      "under 4 KiB of RLIMIT_MEMLOCK: ENOMEM, and why in words");
	printf("# %s\n", why);
	setrlimit(RLIMIT_MEMLOCK, &old);
}

int main(void)
{
	struct test_state t = { 0, 0 };
	int fd = open_card();

	if (fd < 0) {
		printf("1..0 # SKIP no fake card (BM_FAKE_CARD)\n");
		return 0;
	}
	test_round_trip(&t, fd);
	test_sync(&t, fd);
	test_register_errors(&t, fd);
	test_vectored(&t, fd);
	test_stage(&t, fd);
	close(fd);
	return test_done(&t);
}
