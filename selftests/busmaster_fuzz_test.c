// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer of everything an opener of /dev/busmasterN can do: open,
 * close, dup, every ioctl with valid and invalid fields, mmap and munmap of
 * common buffers, fork, SIGKILL of a child in the middle of a transfer,
 * threads sharing the files, and the card's own fault injection switched on
 * and off -- over every card of the lane.
 *
 * What it checks itself: no call answers with an errno the ABI does not
 * list (-ERESTARTSYS and friends), and the process survives. What it
 * exists for: the harness fails the run on any
 * kernel report (KASAN, lockdep, DMA-API debug, a hung task), on pages left
 * pinned or resources left held once it exits, and on kmemleak's findings.
 *
 *   BUSMASTER_FUZZ_SECONDS  time budget (default 10)
 *   BUSMASTER_FUZZ_SEED     the seed (default: from the clock); printed at
 *                           the start, so a failing run can be replayed
 *   BUSMASTER_FUZZ_THREADS  worker threads (default 3)
 *
 * Each thread draws from its own generator seeded from the seed and its
 * index: one thread (BUSMASTER_FUZZ_THREADS=1) replays exactly; more
 * threads replay the same operations in a schedule of the kernel's choosing.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "busmaster_test.h"

#define PAGE		4096UL
#define NFDS		8
#define NMAPS		8
#define BUF_LEN		(512 * 1024)

struct fuzz {
	int ncards, ids[BM_MAX_CARDS];
	struct busmaster_info info[BM_MAX_CARDS];
	_Atomic int fds[NFDS];
	uint8_t *buf;		/* read-write, touched */
	uint8_t *ro;		/* read-only */
	uint8_t *hole;		/* mapped without access: never reused */
	time_t deadline;
	atomic_long ops, bad;
	char bad_what[160];
	pthread_mutex_t map_lock;
	struct { void *p; size_t len; } maps[NMAPS];
};

static struct fuzz fz;

/* xorshift64*: small, and the same sequence everywhere for one seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint64_t pick(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

/* A size: often sensible, sometimes an edge, sometimes absurd. */
static uint64_t any_len(uint64_t *s)
{
	static const uint64_t edges[] = {
		0, 1, 7, 8, 4095, 4096, 4097, 65536, 65537, 262144, 262145,
		BUF_LEN, 1ULL << 30, (1ULL << 30) + 1, 1ULL << 63, ~0ULL,
	};

	switch (pick(s, 4)) {
	case 0:
		return edges[pick(s, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return pick(s, BUF_LEN) + 1;
	default:
		return (pick(s, 16) + 1) * PAGE;
	}
}

/*
 * A user address: our buffer mostly, else read-only, inaccessible, kernel.
 * Never one the process could have reused for something else (a thread's
 * stack in an unmapped hole took a card's bytes once).
 */
static uint64_t any_addr(uint64_t *s, uint64_t len)
{
	uint64_t off = len < BUF_LEN ? pick(s, BUF_LEN - len + 1) : 0;

	switch (pick(s, 10)) {
	case 0:
		return (uintptr_t)fz.ro + pick(s, BUF_LEN);
	case 1:
		return (uintptr_t)fz.hole + pick(s, BUF_LEN);
	case 2:
		return 0xffff888000000000ULL + pick(s, 1 << 20) * PAGE;
	case 3:
		return pick(s, 2) ? 0 : ~0ULL - pick(s, PAGE);
	case 4: {
		uint64_t addr = 0;

		/* A common buffer's mapping; trylock: a forked child may
		 * have inherited the lock held. */
		if (pthread_mutex_trylock(&fz.map_lock))
			return (uintptr_t)fz.buf;
		for (int i = 0; i < NMAPS && !addr; i++)
			if (fz.maps[i].p)
				addr = (uintptr_t)fz.maps[i].p;
		pthread_mutex_unlock(&fz.map_lock);
		return addr ? addr : (uintptr_t)fz.buf;
	}
	default:
		return (uintptr_t)fz.buf + off;
	}
}

static uint32_t any_flags(uint64_t *s, uint32_t valid)
{
	switch (pick(s, 6)) {
	case 0:
		return (uint32_t)rnd(s);
	case 1:
		return 1u << pick(s, 32);
	default:
		return (uint32_t)rnd(s) & valid;
	}
}

/* The argument's size word: right mostly, else short, long, absurd. */
static uint32_t any_size(uint64_t *s, uint32_t right)
{
	switch (pick(s, 8)) {
	case 0:
		return pick(s, right);
	case 1:
		return right + 8 * (uint32_t)pick(s, 64);
	case 2:
		return (uint32_t)rnd(s);
	default:
		return right;
	}
}

static void note_bad(const char *what, int err)
{
	if (atomic_fetch_add(&fz.bad, 1) == 0)
		snprintf(fz.bad_what, sizeof(fz.bad_what), "%s: errno %d (%s)",
			 what, err, strerror(err));
}

/*
 * Errnos the ABI lists for its calls, whatever the input. ENOTTY stays
 * allowed even for a known command: another thread may close the file
 * and reuse its number for a debugfs file between the load and the call
 * (busmaster_info_test checks ENOTTY exactly).
 */
static void check_errno(const char *what, int ret, int err)
{
	static const int listed[] = {
		EINVAL, E2BIG, EFAULT, ENOENT, ERANGE, ENOMEM, EMFILE, EBUSY,
		EPERM, EIO, ETIMEDOUT, EINTR, ENODEV, ENXIO, EAGAIN, EBADF,
		ENOTTY, EALREADY, ETIME,
	};

	if (ret >= 0)
		return;
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		if (err == listed[i])
			return;
	note_bad(what, err);
}

static int any_fd(uint64_t *s)
{
	return atomic_load(&fz.fds[pick(s, NFDS)]);
}

static void op_ioctl(uint64_t *s)
{
	union {
		struct busmaster_info info;
		struct busmaster_transfer t;
		struct busmaster_common_alloc ca;
		struct busmaster_common_free cf;
		struct busmaster_register r;
		struct busmaster_unregister u;
		struct busmaster_sync sy;
		struct busmaster_transferv tv;
		struct busmaster_submit sb;
		struct busmaster_reap rp;
		struct busmaster_cancel cn;
		struct busmaster_queue q;
		uint8_t raw[256];
	} a;
	struct busmaster_iovec iov[4];
	struct busmaster_completion recs[8];
	int fd = any_fd(s), ret, cmd = (int)pick(s, 14);
	unsigned long req;

	memset(&a, 0, sizeof(a));
	if (!pick(s, 8))	/* a non-zero tail past the struct */
		a.raw[200 + pick(s, 56)] = 1;
	switch (cmd) {
	case 0:
		a.info.size = any_size(s, sizeof(a.info));
		req = BUSMASTER_IOCTL_INFO;
		break;
	case 1:
	case 2:
		a.t.size = any_size(s, sizeof(a.t));
		a.t.flags = any_flags(s, BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COMMON |
				       BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_NO_SYNC |
				       BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN);
		a.t.length = any_len(s);
		a.t.handle = (a.t.flags & (BUSMASTER_XFER_COMMON | BUSMASTER_XFER_REGISTERED)) ?
			     (uint32_t)pick(s, 6) : 0;
		a.t.addr = a.t.handle ? pick(s, 2) * PAGE : any_addr(s, a.t.length);
		a.t.card_offset = pick(s, 4) ? pick(s, 64) * PAGE : rnd(s);
		a.t.timeout_ms = pick(s, 3) ? 0 : pick(s, 200);
		req = BUSMASTER_IOCTL_TRANSFER;
		break;
	case 3:
		a.ca.size = any_size(s, sizeof(a.ca));
		a.ca.flags = any_flags(s, 0);
		a.ca.length = pick(s, 3) ? (pick(s, 8) + 1) * PAGE : any_len(s);
		req = BUSMASTER_IOCTL_COMMON_ALLOC;
		break;
	case 4:
		a.cf.size = any_size(s, sizeof(a.cf));
		a.cf.flags = any_flags(s, 0);
		a.cf.handle = (uint32_t)pick(s, 8);
		req = BUSMASTER_IOCTL_COMMON_FREE;
		break;
	case 5:
		a.r.size = any_size(s, sizeof(a.r));
		a.r.flags = any_flags(s, BUSMASTER_REG_CARD_WRITES);
		a.r.length = any_len(s);
		a.r.addr = any_addr(s, a.r.length);
		req = BUSMASTER_IOCTL_REGISTER;
		break;
	case 6:
		a.u.size = any_size(s, sizeof(a.u));
		a.u.flags = any_flags(s, 0);
		a.u.handle = (uint32_t)pick(s, 8);
		req = BUSMASTER_IOCTL_UNREGISTER;
		break;
	case 7:
		a.sy.size = any_size(s, sizeof(a.sy));
		a.sy.flags = any_flags(s, BUSMASTER_SYNC_FOR_DEVICE | BUSMASTER_SYNC_FOR_CPU);
		a.sy.handle = (uint32_t)pick(s, 6);
		a.sy.offset = pick(s, 2) ? pick(s, 16) * 512 : rnd(s);
		a.sy.length = any_len(s);
		req = BUSMASTER_IOCTL_SYNC;
		break;
	case 8:
		for (int i = 0; i < 4; i++) {
			iov[i].length = pick(s, 2) ? pick(s, 4) * PAGE + pick(s, 2) * 8 : any_len(s);
			iov[i].addr = any_addr(s, iov[i].length);
		}
		a.tv.size = any_size(s, sizeof(a.tv));
		a.tv.flags = any_flags(s, BUSMASTER_XFER_FROM_CARD);
		a.tv.iov = pick(s, 8) ? (uintptr_t)iov : any_addr(s, 64);
		a.tv.count = pick(s, 6) ? (uint32_t)pick(s, 4) + 1 : (uint32_t)rnd(s);
		a.tv.card_offset = pick(s, 4) ? pick(s, 64) * PAGE : rnd(s);
		a.tv.timeout_ms = pick(s, 3) ? 0 : pick(s, 200);
		req = BUSMASTER_IOCTL_TRANSFERV;
		break;
	case 9:		/* a request queued: any kind, any direction */
		a.sb.size = any_size(s, sizeof(a.sb));
		a.sb.flags = any_flags(s, BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COMMON |
					BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_NO_SYNC |
					BUSMASTER_XFER_IOVEC);
		a.sb.length = any_len(s);
		a.sb.handle = (a.sb.flags & (BUSMASTER_XFER_COMMON | BUSMASTER_XFER_REGISTERED)) ?
			      (uint32_t)pick(s, 6) : 0;
		a.sb.addr = a.sb.handle ? pick(s, 2) * PAGE : any_addr(s, a.sb.length);
		if (a.sb.flags & BUSMASTER_XFER_IOVEC) {
			for (int i = 0; i < 4; i++) {
				iov[i].length = pick(s, 4) * PAGE + 8;
				iov[i].addr = any_addr(s, iov[i].length);
			}
			a.sb.addr = pick(s, 8) ? (uintptr_t)iov : any_addr(s, 64);
			a.sb.count = (uint32_t)pick(s, 5);
			a.sb.length = pick(s, 8) ? 0 : rnd(s);
		}
		a.sb.card_offset = pick(s, 4) ? pick(s, 64) * PAGE : rnd(s);
		a.sb.timeout_ms = pick(s, 3) ? 0 : pick(s, 200);
		a.sb.tag = rnd(s);
		req = BUSMASTER_IOCTL_SUBMIT;
		break;
	case 10:	/* completions taken, waiting briefly at most */
		a.rp.size = any_size(s, sizeof(a.rp));
		a.rp.flags = any_flags(s, BUSMASTER_REAP_WAIT);
		a.rp.max = pick(s, 8) ? (uint32_t)pick(s, 8) + 1 : (uint32_t)rnd(s);
		a.rp.min_complete = a.rp.flags & BUSMASTER_REAP_WAIT ? (uint32_t)pick(s, 3) : 0;
		a.rp.timeout_ms = a.rp.flags & BUSMASTER_REAP_WAIT ? pick(s, 50) + 1 : 0;
		a.rp.records = pick(s, 8) ? (uintptr_t)recs : any_addr(s, 64);
		req = BUSMASTER_IOCTL_REAP;
		break;
	case 11:
		a.cn.size = any_size(s, sizeof(a.cn));
		a.cn.flags = any_flags(s, 0);
		a.cn.id = pick(s, 4) ? pick(s, 64) : rnd(s);
		req = BUSMASTER_IOCTL_CANCEL;
		break;
	case 12:
		a.q.size = any_size(s, sizeof(a.q));
		a.q.flags = any_flags(s, BUSMASTER_QUEUE_SET_DEPTH);
		a.q.depth = pick(s, 4) ? (uint32_t)pick(s, 128) : (uint32_t)rnd(s);
		req = BUSMASTER_IOCTL_QUEUE;
		break;
	default:	/* a command the driver does not know, or a wrong encoding */
		req = _IOC(pick(s, 4), pick(s, 2) ? BUSMASTER_IOCTL_TYPE : (int)pick(s, 256),
			   pick(s, 64), pick(s, 2) ? 0 : pick(s, 512));
		break;
	}
	ret = ioctl(fd, req, pick(s, 16) ? (void *)&a : (void *)(uintptr_t)any_addr(s, 64));
	check_errno("ioctl", ret, errno);
}

static void op_mmap(uint64_t *s)
{
	size_t len = (pick(s, 4) + 1) * PAGE;
	off_t off = ((off_t)pick(s, 6) << 32) + (off_t)(pick(s, 3) * PAGE);
	int slot = (int)pick(s, NMAPS);
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, pick(s, 6) ? MAP_SHARED : MAP_PRIVATE,
		 any_fd(s), off);
	if (p == MAP_FAILED) {
		check_errno("mmap", -1, errno);
		return;
	}
	/* Touch it: a mapping of a common buffer is always its memory. */
	((volatile uint8_t *)p)[pick(s, len)] = (uint8_t)rnd(s);
	pthread_mutex_lock(&fz.map_lock);
	if (fz.maps[slot].p)
		munmap(fz.maps[slot].p, fz.maps[slot].len);
	fz.maps[slot].p = p;
	fz.maps[slot].len = len;
	pthread_mutex_unlock(&fz.map_lock);
}

static void op_files(uint64_t *s)
{
	int slot = (int)pick(s, NFDS), fd, old;

	switch (pick(s, 3)) {
	case 0:
		fd = bm_open_id(fz.ids[pick(s, fz.ncards)], O_RDWR);
		break;
	case 1:
		fd = dup(any_fd(s));
		break;
	default:
		fd = -1;
		break;
	}
	old = atomic_exchange(&fz.fds[slot], fd);
	if (old >= 0)
		close(old);
}

/* A child that works on the files it inherited, killed at a random moment. */
static void op_fork(uint64_t *s)
{
	uint64_t child_seed = rnd(s);
	unsigned int delay_us = (unsigned int)pick(s, 20000);
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (!pid) {
		for (int i = 0; i < 200; i++)
			op_ioctl(&child_seed);
		_exit(0);
	}
	usleep(delay_us);
	if (pick(s, 2))
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The card's fault injection: failing descriptors, latency, short stalls. */
static void op_card_faults(uint64_t *s)
{
	static const char *const knobs[] = { "fail_nth", "latency_ns", "stall" };
	int id = fz.ids[pick(s, fz.ncards)];
	const char *knob = knobs[pick(s, 3)];
	char path[128], val[32];
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/busmaster/busmaster%d/%s", id, knob);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;	/* edu, or no debugfs */
	if (!strcmp(knob, "stall"))	/* stall and let go again soon */
		snprintf(val, sizeof(val), "%llu", pick(s, 3) ? 0ULL : 1ULL << pick(s, 4));
	else if (!strcmp(knob, "latency_ns"))
		snprintf(val, sizeof(val), "%llu", pick(s, 2) ? 0ULL : pick(s, 2000000));
	else
		snprintf(val, sizeof(val), "%llu", pick(s, 2) ? 0ULL : pick(s, 20) + 1);
	if (write(fd, val, strlen(val)) < 0)
		note_bad("fault injection write", errno);
	close(fd);
}

static void *worker(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg;

	while (time(NULL) < fz.deadline) {
		uint64_t what = pick(&s, 100);

		if (what < 70)
			op_ioctl(&s);
		else if (what < 80)
			op_mmap(&s);
		else if (what < 90)
			op_files(&s);
		else if (what < 95)
			op_fork(&s);
		else
			op_card_faults(&s);
		atomic_fetch_add(&fz.ops, 1);
	}
	return NULL;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* Put every card's fault injection back to normal. */
static void faults_off(void)
{
	static const char *const knobs[] = { "fail_nth", "latency_ns", "stall" };

	for (int i = 0; i < fz.ncards; i++)
		for (int k = 0; k < 3; k++) {
			char path[128];
			int fd;

			snprintf(path, sizeof(path), "/sys/kernel/debug/busmaster/busmaster%d/%s",
				 fz.ids[i], knobs[k]);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				if (write(fd, "0", 1) != 1)
					note_bad("fault injection reset", errno);
				close(fd);
			}
		}
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* The harness's timeout covers `make fuzz`'s long runs. */
TEST_F_TIMEOUT(fuzz, random_sequences, 7200)
{
	long seconds = env_long("BUSMASTER_FUZZ_SECONDS", 10);
	long nthreads = env_long("BUSMASTER_FUZZ_THREADS", 3);
	const char *seed_env = getenv("BUSMASTER_FUZZ_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0;
	pthread_t th[16];

	fz.ncards = bm_list_cards(fz.ids, BM_MAX_CARDS);
	if (!fz.ncards)
		SKIP(return, "no /dev/busmaster*");
	if (!seed)
		seed = (uint64_t)time(NULL) * 2654435761ULL;
	if (nthreads < 1 || nthreads > 16)
		nthreads = 3;
	TH_LOG("seed %#llx, %ld s, %ld threads (replay: BUSMASTER_FUZZ_SEED=%#llx)",
	       (unsigned long long)seed, seconds, nthreads, (unsigned long long)seed);

	pthread_mutex_init(&fz.map_lock, NULL);
	fz.buf = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fz.ro = mmap(NULL, BUF_LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fz.hole = mmap(NULL, BUF_LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz.buf);
	ASSERT_NE(MAP_FAILED, fz.ro);
	ASSERT_NE(MAP_FAILED, fz.hole);
	memset(fz.buf, 0x6b, BUF_LEN);
	for (int i = 0; i < NFDS; i++)
		fz.fds[i] = bm_open_id(fz.ids[i % fz.ncards], O_RDWR);

	fz.deadline = time(NULL) + seconds;
	for (long i = 0; i < nthreads; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, worker,
					    (void *)(uintptr_t)((seed + (uint64_t)i * 0x9e3779b97f4a7c15ULL) | 1)));
	for (long i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	faults_off();

	for (int i = 0; i < NMAPS; i++)
		if (fz.maps[i].p)
			munmap(fz.maps[i].p, fz.maps[i].len);
	for (int i = 0; i < NFDS; i++)
		if (fz.fds[i] >= 0)
			close(fz.fds[i]);
	TH_LOG("%ld operations, %.0f a second", atomic_load(&fz.ops),
	       (double)atomic_load(&fz.ops) / (double)seconds);
	EXPECT_EQ(0, atomic_load(&fz.bad))
		TH_LOG("%s (seed %#llx)", fz.bad_what, (unsigned long long)seed);
}

TEST_HARNESS_MAIN
