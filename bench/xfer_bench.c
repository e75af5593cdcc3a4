// SPDX-License-Identifier: GPL-2.0-only
/*
 * xfer_bench: the synchronous path (issue 12). Each thread has one request
 * at a time (TRANSFER or TRANSFERV), by request size, direction and number
 * of threads, for the driver's default and for each other way a program,
 * or a peer driver, could move the same bytes through the same card:
 * throughput, per-call latency, CPU per GiB, the card's and its link's
 * utilization, and the pages pinned at peak.
 *
 *   xfer_bench [-d N] [-s SIZE,...] [-T THREADS,...] [-D DESIGN,...]
 *              [-x DIRECTION,...] [-t BYTES] [-r REPEAT] [-l XFER_NS,BYTE_PS]
 *              [-p MS] [--quick] [--crossover]       (--help says more)
 *
 * A cell is a design, a size, a direction and a number of threads. Each
 * thread opens the card itself and cycles through a card range of its own
 * (the card's memory shared out among the threads), with a buffer that
 * mirrors it: the bytes for card offset o are at offset o of one
 * card-sized buffer, those from it land at offset o of another. Every cell
 * sends the card the same pattern (byte o is byte o % period of
 * bm_pattern_fill(), the period a common buffer's size), so the card
 * always holds it, and a cell from the card checks what it read, once.
 *
 * Cells are run REPEAT times, interleaved (every cell once, then again),
 * so that the machine's load drifts across all of them alike; the tables
 * give the median and the spread (min-max). CSV lines ("xcsv,...") follow
 * the tables for the host to collect.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "libbusmaster.h"
#include "bench.h"

const char *bench_name = "xfer_bench";

#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

#define MAX_SIZES	16
#define MAX_THREADS	16
#define PAGE_LEN	4096ULL
#define SEED		0x5eedULL
/* Common buffers are at most this long: what the page allocator gives. */
#define COMMON_LEN	(4ULL << 20)
/* TRANSFERV: this many pieces, or one per page below VEC_PIECES pages. */
#define VEC_PIECES	4

enum design {
	DEFAULT,	/* TRANSFER of user memory: the driver copies or pins */
	PIN,		/* BUSMASTER_XFER_PIN: always pin and map */
	COPY,		/* BUSMASTER_XFER_COPY: through the file's kernel buffer */
	REGISTERED,	/* a buffer registered once */
	COMMON,		/* the data already in a common buffer */
	VECTORED,	/* TRANSFERV of the buffer in pieces */
	BOUNCE,		/* peer: memcpy through a mapped common buffer */
	PAGE_DESC,	/* peer: a descriptor per page, none merged */
	SERIAL,		/* peer: one request at a time per direction */
	NDESIGNS
};

static const char *const design_names[NDESIGNS] = {
	"default", "pin", "copy", "registered", "common", "vectored",
	"bounce", "page", "serial",
};

/* For the header: what each design does. */
static const char *const design_what[NDESIGNS] = {
	"TRANSFER: the driver copies or pins",
	"XFER_PIN",
	"XFER_COPY: through the file's kernel buffer",
	"REGISTER once",
	"the data in a common buffer",
	"TRANSFERV, 4 pieces",
	"memcpy through a common buffer, as pci_endpoint_test",
	"XFER_PIN, a descriptor per page, as XDMA",
	"default, one request at a time per direction, as XDMA's engine",
};

enum direction { TO, FROM, DUPLEX, NDIRS };

static const char *const dir_names[NDIRS] = { "to", "from", "duplex" };
static const char *const dir_long[NDIRS] = { "to card", "from card", "duplex" };

struct cell {
	enum design design;
	enum direction dir;
	uint64_t size;
	unsigned int threads;	/* as asked: duplex at 1 runs one each way */
	unsigned int streams;	/* threads run */
	uint64_t part;		/* card bytes of each thread */
	uint64_t calls;		/* requests per thread per repeat */
	uint64_t span;		/* card bytes each thread cycles through */
	int skipped;		/* the request does not fit @part */
	double mbps[BENCH_MAX_REPEAT];
	double busy[BENCH_MAX_REPEAT];	/* card busy / wall time */
	double link[BENCH_MAX_REPEAT];	/* modelled link time / wall time */
	double cpu_proc, cpu_guest, bytes;	/* over all repeats */
	long long peak_pinned;	/* -1: not sampled */
	long long peak_bounce;	/* of --bounce-file; -1: not sampled */
	double *lat;		/* every request's time, microseconds */
	size_t nlat;
	/* Summaries, once every repeat ran. */
	double med, lo, hi, busy_med, link_med, p50, p99, p999, pmax;
};

/* What every thread reads; set up once by main(). */
static struct {
	int id;
	struct busmaster_info info;
	uint8_t *src;		/* what goes to card offset o is src[o] */
	uint8_t *dst;		/* what comes from card offset o lands at dst[o] */
	uint64_t period;	/* of the pattern: the common design's buffer */
	uint64_t common_len;	/* the bounce design's buffer at most */
	int repeat;
	double xfer_ns, byte_ps;	/* the card's modelled link (-l) */
	unsigned int sample_ms;	/* pinned pages sampled this often, 0: not */
	int pinned_fd;		/* statistics/pinned_pages, or -1 */
	int bounce_fd;		/* --bounce-file, or -1 */
	const char *bounce_path;
	char knob[128];		/* debugfs page_descriptors */
} g;

/* What the command line asked for, and the cells it makes. */
static uint64_t sizes[MAX_SIZES];
static enum direction dirs[NDIRS];
static int nsizes, ndirs, want[NDESIGNS];
static unsigned int tlist[MAX_THREADS], tmax;	/* default's threads, ascending */
static int ntl;
static struct cell *cells;
static int ncells;

/* One thread of a cell run. */
struct stream {
	const struct cell *c;
	int from;		/* card -> memory */
	int first;		/* the cell's first repeat: check what it read */
	uint64_t base;		/* its card range: [base, base + c->span) */
	pthread_mutex_t *lock;	/* serial: its direction's; else NULL */
	pthread_barrier_t *bar;
	double *lat;		/* c->calls request times, microseconds */
	int fd;
	uint32_t handle;	/* registered or common buffer */
	uint8_t *cbuf;		/* common, bounce: the common buffer, mapped */
	uint64_t cbuf_len;
};

static const char *size_str(uint64_t v, char *buf)
{
	bm_format_size(v, buf, BM_SIZE_STR_LEN);
	return buf;
}

static const char *cell_name(const struct cell *c, char *buf, size_t len)
{
	char size[BM_SIZE_STR_LEN];

	snprintf(buf, len, "%s, %s, %s, %u thread%s", design_names[c->design],
		 dir_long[c->dir], size_str(c->size, size), c->threads,
		 c->threads > 1 ? "s" : "");
	return buf;
}

/* Fill @buf with what card offset @off on holds. */
static void pattern_fill(uint8_t *buf, uint64_t len, uint64_t off)
{
	while (len) {
		uint64_t at = off % g.period, n = MIN(len, g.period - at);

		bm_pattern_fill(buf, n, SEED, at);
		buf += n;
		off += n;
		len -= n;
	}
}

/* Bytes of @buf that differ from card offset @off on; the first's offset. */
static uint64_t pattern_check(const uint8_t *buf, uint64_t len, uint64_t off,
			      uint64_t *bad)
{
	uint64_t diff = 0, first;

	while (len) {
		uint64_t at = off % g.period, n = MIN(len, g.period - at);
		uint64_t d = bm_pattern_check(buf, n, SEED, at, &first);

		if (d && !diff)
			*bad = off + first;
		diff += d;
		buf += n;
		off += n;
		len -= n;
	}
	return diff;
}

static void sync_all(pthread_barrier_t *bar)
{
	int ret = pthread_barrier_wait(bar);

	if (ret && ret != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait", ret);
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(s);

	if (fd < 0)
		die(path, errno);
	errno = 0;
	if (write(fd, s, len) != len)
		die(path, errno ?: EIO);
	if (close(fd))
		die(path, errno);
}

/* At exit, even on die(): the card goes back to merging pages. */
static void page_knob_off(void)
{
	int fd = open(g.knob, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "0\n", 2) != 2)
			fprintf(stderr, "xfer_bench: %s: %s\n", g.knob, strerror(errno));
		close(fd);
	}
}

/* ---- one request ---- */

static void xfer_failed(const struct stream *s, const char *op, int err,
			const struct busmaster_transfer *t)
{
	char name[128], why[BM_ERR_STR_LEN];

	bm_strerror_transfer(err, t, &g.info, why, sizeof(why));
	dief("%s: %s of %llu bytes at card offset %#llx: %s",
	     cell_name(s->c, name, sizeof(name)), op,
	     (unsigned long long)t->length, (unsigned long long)t->card_offset, why);
}

static void xfer(const struct stream *s, uint32_t flags, uint32_t handle,
		 uint64_t addr, uint64_t len, uint64_t card_off)
{
	struct busmaster_transfer t = {
		.flags = flags | (s->from ? BUSMASTER_XFER_FROM_CARD : 0),
		.handle = handle, .addr = addr, .length = len,
		.card_offset = card_off,
	};

	if (bm_transfer(s->fd, &t))
		xfer_failed(s, "TRANSFER", errno, &t);
	/* Success moves it all; anything else is the driver's bug. */
	if (t.bytes_done != len)
		xfer_failed(s, "TRANSFER", EIO, &t);
}

/* TRANSFERV of the bytes for [card_off, + len): VEC_PIECES pieces. */
static void xferv(const struct stream *s, uint8_t *buf, uint64_t len,
		  uint64_t card_off)
{
	struct busmaster_iovec iov[VEC_PIECES];
	struct busmaster_transfer as;
	int err;
	unsigned int n = len < VEC_PIECES * PAGE_LEN ? len / PAGE_LEN : VEC_PIECES;
	uint64_t piece = len / n / PAGE_LEN * PAGE_LEN;
	struct busmaster_transferv t = {
		.flags = s->from ? BUSMASTER_XFER_FROM_CARD : 0,
		.count = n, .iov = (uint64_t)(uintptr_t)iov,
		.card_offset = card_off,
	};

	for (unsigned int i = 0; i < n; i++)
		iov[i] = (struct busmaster_iovec){
			.addr = (uint64_t)(uintptr_t)(buf + i * piece),
			.length = i + 1 < n ? piece : len - i * piece,
		};
	if (bm_transferv(s->fd, &t))
		err = errno;
	else if (t.bytes_done != len)
		err = EIO;
	else
		return;
	/* What bm_strerror_transfer() reads of a vectored request. */
	as = (struct busmaster_transfer){
		.flags = t.flags, .length = len, .card_offset = card_off,
		.card_status = t.card_status,
	};
	xfer_failed(s, "TRANSFERV", err, &as);
}

/* A request of stream @s: c->size bytes at card offset base + @off. */
static void request(const struct stream *s, uint64_t off)
{
	const struct cell *c = s->c;
	uint64_t card = s->base + off, size = c->size;
	uint8_t *mem = (s->from ? g.dst : g.src) + card;

	switch (c->design) {
	case DEFAULT:
	case SERIAL:
		xfer(s, 0, 0, (uint64_t)(uintptr_t)mem, size, card);
		break;
	case PIN:
	case PAGE_DESC:
		xfer(s, BUSMASTER_XFER_PIN, 0, (uint64_t)(uintptr_t)mem, size, card);
		break;
	case COPY:
		xfer(s, BUSMASTER_XFER_COPY, 0, (uint64_t)(uintptr_t)mem, size, card);
		break;
	case REGISTERED:
		xfer(s, BUSMASTER_XFER_REGISTERED, s->handle, off, size, card);
		break;
	case COMMON:
		/* Card offset o is at o % period in the buffer: cut there. */
		for (uint64_t p = 0, n; p < size; p += n) {
			uint64_t at = (card + p) % g.period;

			n = MIN(size - p, g.period - at);
			xfer(s, BUSMASTER_XFER_COMMON, s->handle, at, n, card + p);
		}
		break;
	case VECTORED:
		xferv(s, mem, size, card);
		break;
	case BOUNCE:
		for (uint64_t p = 0, n; p < size; p += n) {
			n = MIN(size - p, s->cbuf_len);
			if (!s->from)
				memcpy(s->cbuf, mem + p, n);
			xfer(s, BUSMASTER_XFER_COMMON, s->handle, 0, n, card + p);
			if (s->from)
				memcpy(mem + p, s->cbuf, n);
		}
		break;
	case NDESIGNS:
		break;
	}
}

/* ---- one thread of a cell ---- */

static void common_open(struct stream *s, uint64_t len)
{
	uint64_t moff;

	if (bm_common_alloc(s->fd, len, &s->handle, &moff))
		dief("COMMON_ALLOC of %llu bytes: %s", (unsigned long long)len,
		     bm_strerror_common(errno));
	s->cbuf = bm_common_map(s->fd, moff, len);
	if (!s->cbuf)
		die("mmap of a common buffer", errno);
	s->cbuf_len = len;
}

/* Open the card and make the buffer the design needs; untimed. */
static void stream_setup(struct stream *s)
{
	const struct cell *c = s->c;
	char why[BM_ERR_STR_LEN];

	s->fd = bm_open_index(g.id, O_RDWR);
	if (s->fd < 0)
		die("open the card", errno);
	/* What the first repeat reads must not be there already. */
	if (s->from && s->first)
		memset(g.dst + s->base, 0, c->span);
	switch (c->design) {
	case REGISTERED:
		if (bm_register(s->fd, (s->from ? g.dst : g.src) + s->base, c->span,
				s->from ? BUSMASTER_REG_CARD_WRITES : 0, &s->handle)) {
			bm_strerror_register(errno, why, sizeof(why));
			dief("REGISTER of %llu bytes: %s", (unsigned long long)c->span, why);
		}
		break;
	case COMMON:
		common_open(s, g.period);
		/* The application built its data there (untimed). */
		if (!s->from)
			pattern_fill(s->cbuf, s->cbuf_len, 0);
		else if (s->first)
			memset(s->cbuf, 0, s->cbuf_len);
		break;
	case BOUNCE:
		common_open(s, MIN(c->size, g.common_len));
		break;
	default:
		break;
	}
}

/* Once per cell, from the card: did the requests move real bytes? */
static void stream_check(const struct stream *s)
{
	const struct cell *c = s->c;
	uint64_t bad = 0, diff;
	char name[128];

	if (c->design == COMMON) {
		/* Card offset o landed at o % period of the buffer. */
		uint64_t at = s->base % g.period, len = MIN(c->span, g.period);
		uint64_t n = MIN(len, g.period - at);

		diff = pattern_check(s->cbuf + at, n, at, &bad);
		if (!diff && len > n)
			diff = pattern_check(s->cbuf, len - n, 0, &bad);
	} else {
		diff = pattern_check(g.dst + s->base, c->span, s->base, &bad);
	}
	if (diff)
		dief("%s: %llu bytes read from card offsets %#llx-%#llx are not what was written there, the first at %#llx",
		     cell_name(c, name, sizeof(name)), (unsigned long long)diff,
		     (unsigned long long)s->base,
		     (unsigned long long)(s->base + c->span - 1), (unsigned long long)bad);
}

static void *stream_run(void *arg)
{
	struct stream *s = arg;
	const struct cell *c = s->c;

	stream_setup(s);
	sync_all(s->bar);	/* ready */
	sync_all(s->bar);	/* go */
	for (uint64_t k = 0; k < c->calls; k++) {
		double t0 = now();

		if (s->lock)
			pthread_mutex_lock(s->lock);
		request(s, k * c->size % c->span);
		if (s->lock)
			pthread_mutex_unlock(s->lock);
		s->lat[k] = (now() - t0) * 1e6;
	}
	sync_all(s->bar);	/* done */
	if (s->from && s->first)
		stream_check(s);
	if (s->cbuf && bm_common_unmap(s->cbuf, s->cbuf_len))
		die("munmap of a common buffer", errno);
	/* Unregisters and frees this file's buffers. */
	if (close(s->fd))
		die("close the card", errno);
	return NULL;
}

/* ---- what a cell costs ---- */

/*
 * The highest pinned-page count seen while a cell runs: the file
 * bm_card_stats() reads pinned_pages from, kept open and read every
 * g.sample_ms (bm_card_stats() reads eleven files each time).
 */
struct sampler {
	pthread_t thread;
	atomic_int stop;
	uint64_t peak, bounce_peak;
	double cpu;		/* its own CPU seconds, not the cell's */
};

/* The number in the file @fd is open on. */
static uint64_t read_num(int fd, const char *what)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		die(what, n ? errno : EIO);
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

/* The same from a file that cannot pread() (debugfs attributes): opened anew. */
static uint64_t read_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[32];
	ssize_t n;

	if (fd < 0)
		die(path, errno);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		die(path, n ? errno : EIO);
	close(fd);
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

static void *sample_pins(void *arg)
{
	struct timespec nap = { .tv_sec = g.sample_ms / 1000,
				.tv_nsec = g.sample_ms % 1000 * 1000000L }, cpu;
	struct sampler *sp = arg;

	do {
		sp->peak = MAX(sp->peak, read_num(g.pinned_fd, "statistics/pinned_pages"));
		if (g.bounce_fd >= 0)
			sp->bounce_peak = MAX(sp->bounce_peak, read_path(g.bounce_path));
		nanosleep(&nap, NULL);
	} while (!atomic_load(&sp->stop));
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	sp->cpu = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
	return NULL;
}

/* This process's CPU seconds, all threads. */
static double proc_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage", errno);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * The guest's CPU seconds at work, all CPUs: every /proc/stat column but
 * idle and iowait (guest time is counted in user already).
 */
static double guest_cpu(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		die("/proc/stat", errno);
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		dief("/proc/stat: no cpu line");
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
	       (double)sysconf(_SC_CLK_TCK);
}

/* Run cell @c once, repeat @r: its threads between three barriers. */
static void run_cell(struct cell *c, int r)
{
	pthread_mutex_t locks[2] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
	struct stream st[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	struct sampler sp = { .peak = 0 };
	double t, t0, proc0, guest0, bytes;
	struct counts a, b;
	pthread_barrier_t bar;
	int ret;

	if (c->design == PAGE_DESC)
		write_file(g.knob, "1\n");
	ret = pthread_barrier_init(&bar, NULL, c->streams + 1);
	if (ret)
		die("pthread_barrier_init", ret);
	for (unsigned int i = 0; i < c->streams; i++) {
		/* Duplex: every other thread from the card. */
		int from = c->dir == FROM || (c->dir == DUPLEX && i % 2);

		st[i] = (struct stream){
			.c = c, .from = from, .first = r == 0,
			.base = i * c->part, .bar = &bar,
			.lock = c->design == SERIAL ? &locks[from] : NULL,
			.lat = c->lat + ((size_t)r * c->streams + i) * c->calls,
		};
		ret = pthread_create(&th[i], NULL, stream_run, &st[i]);
		if (ret)
			die("pthread_create", ret);
	}
	sync_all(&bar);		/* ready: buffers made, untimed */
	if (g.pinned_fd >= 0) {
		ret = pthread_create(&sp.thread, NULL, sample_pins, &sp);
		if (ret)
			die("pthread_create", ret);
	}
	a = counts(g.id);
	proc0 = proc_cpu();
	guest0 = guest_cpu();
	/*
	 * The clock starts before the threads do: taken after "go", it could
	 * run late (the threads scheduled first), shortening a short cell's
	 * wall time -- the card seen busy more than 100 % of it.
	 */
	t0 = now();
	sync_all(&bar);		/* go */
	sync_all(&bar);		/* done */
	t = now() - t0;
	b = counts(g.id);
	c->cpu_proc += proc_cpu() - proc0;
	c->cpu_guest += guest_cpu() - guest0;
	if (g.pinned_fd >= 0) {
		atomic_store(&sp.stop, 1);
		ret = pthread_join(sp.thread, NULL);
		if (ret)
			die("pthread_join", ret);
		/* The guest's keeps it: /proc/stat counts in ticks, not finer. */
		c->cpu_proc -= sp.cpu;
		c->peak_pinned = MAX(c->peak_pinned, (long long)sp.peak);
		if (g.bounce_fd >= 0)
			c->peak_bounce = MAX(c->peak_bounce, (long long)sp.bounce_peak);
	}
	for (unsigned int i = 0; i < c->streams; i++) {
		ret = pthread_join(th[i], NULL);
		if (ret)
			die("pthread_join", ret);
	}
	pthread_barrier_destroy(&bar);
	if (c->design == PAGE_DESC)
		write_file(g.knob, "0\n");

	bytes = (double)c->streams * c->calls * c->size;
	c->bytes += bytes;
	c->mbps[r] = bytes / t / 1e6;
	c->busy[r] = (b.busy_ns - a.busy_ns) / 1e9 / t;
	/* The link's own time for what moved: per transfer, per byte. */
	c->link[r] = ((b.transfers - a.transfers) * g.xfer_ns +
		      (b.bytes - a.bytes) * g.byte_ps / 1000) / 1e9 / t;
}

/* ---- the cells ---- */

static void add_cell(enum design d, enum direction dir, uint64_t size, unsigned int threads,
		     uint64_t total)
{
	unsigned int streams = dir == DUPLEX ? MAX(threads, 2) : threads;
	uint64_t part = g.info.card_mem_size / streams / PAGE_LEN * PAGE_LEN;
	struct cell *c;

	cells = realloc(cells, (ncells + 1) * sizeof(*cells));
	if (!cells)
		die("memory", ENOMEM);
	c = &cells[ncells++];
	*c = (struct cell){
		.design = d, .dir = dir, .size = size, .threads = threads,
		.streams = streams, .part = part, .skipped = size > part,
		.peak_pinned = g.pinned_fd >= 0 ? 0 : -1,
		.peak_bounce = g.pinned_fd >= 0 && g.bounce_fd >= 0 ? 0 : -1,
	};
	if (c->skipped)
		return;
	/* At least two requests per thread; the threads share @total. */
	c->calls = MAX(2, (total + streams * size - 1) / (streams * size));
	c->span = MIN(c->calls, part / size) * size;
	c->nlat = (size_t)g.repeat * streams * c->calls;
	c->lat = malloc(c->nlat * sizeof(*c->lat));
	if (!c->lat)
		die("memory", ENOMEM);
}

static double percentile(const double *sorted, size_t n, double q)
{
	size_t k = (size_t)ceil(q * (double)n);

	return sorted[k ? MIN(k, n) - 1 : 0];
}

static void summarize(struct cell *c)
{
	double lo, hi;

	c->med = median(c->mbps, g.repeat, &c->lo, &c->hi);
	c->busy_med = median(c->busy, g.repeat, &lo, &hi);
	c->link_med = median(c->link, g.repeat, &lo, &hi);
	qsort(c->lat, c->nlat, sizeof(*c->lat), cmp_double);
	c->p50 = percentile(c->lat, c->nlat, 0.50);
	c->p99 = percentile(c->lat, c->nlat, 0.99);
	c->p999 = percentile(c->lat, c->nlat, 0.999);
	c->pmax = c->lat[c->nlat - 1];
}

static struct cell *find(enum design d, enum direction dir, uint64_t size, unsigned int threads)
{
	for (int k = 0; k < ncells; k++) {
		struct cell *c = &cells[k];

		if (c->design == d && c->dir == dir && c->size == size &&
		    c->threads == threads && !c->skipped)
			return c;
	}
	return NULL;
}

/* ---- output ---- */

static void print_mbps(const struct cell *c)
{
	if (c)
		printf(" %.0f (%.0f-%.0f) |", c->med, c->lo, c->hi);
	else
		printf(" - |");
}

/* Did design @d run at @threads, any size, any direction? */
static int ran(enum design d, unsigned int threads)
{
	for (int k = 0; k < ncells; k++)
		if (cells[k].design == d && cells[k].threads == threads && !cells[k].skipped)
			return 1;
	return 0;
}

/* Designs that ran at 1 thread, in order. */
static int one_thread_designs(enum design *d)
{
	int n = 0;

	for (int k = 0; k < NDESIGNS; k++)
		if (ran(k, 1))
			d[n++] = k;
	return n;
}

/* (1) MB/s at 1 thread by design and size, and default over each. */
static void table_designs(void)
{
	enum design d[NDESIGNS];
	int n = one_thread_designs(d);
	char size[BM_SIZE_STR_LEN];

	if (!n)
		return;
	printf("\n### MB/s at 1 thread, one request at a time: median (min-max)\n");
	printf("\n| direction | size |");
	for (int i = 0; i < n; i++)
		printf(" %s |", design_names[d[i]]);
	printf("\n|---|---|");
	for (int i = 0; i < n; i++)
		printf("---|");
	printf("\n");
	for (int j = 0; j < ndirs; j++)
		for (int i = 0; i < nsizes; i++) {
			printf("| %s | %s |", dir_long[dirs[j]], size_str(sizes[i], size));
			for (int k = 0; k < n; k++)
				print_mbps(find(d[k], dirs[j], sizes[i], 1));
			printf("\n");
		}
	if (!want[DEFAULT] || n < 2)
		return;
	printf("\n### default / design at 1 thread (above 1: the default is faster)\n");
	printf("\n| direction | size |");
	for (int i = 0; i < n; i++)
		if (d[i] != DEFAULT)
			printf(" default/%s |", design_names[d[i]]);
	printf("\n|---|---|");
	for (int i = 0; i < n; i++)
		if (d[i] != DEFAULT)
			printf("---|");
	printf("\n");
	for (int j = 0; j < ndirs; j++)
		for (int i = 0; i < nsizes; i++) {
			struct cell *def = find(DEFAULT, dirs[j], sizes[i], 1);

			printf("| %s | %s |", dir_long[dirs[j]], size_str(sizes[i], size));
			for (int k = 0; k < n; k++) {
				struct cell *c = find(d[k], dirs[j], sizes[i], 1);

				if (d[k] == DEFAULT)
					continue;
				if (def && c)
					printf(" %.2f |", def->med / c->med);
				else
					printf(" - |");
			}
			printf("\n");
		}
}

/* Per direction, the largest size at which copy's median beats pin's. */
static void crossover(void)
{
	char size[BM_SIZE_STR_LEN];

	if (!want[COPY] || !want[PIN])
		return;
	printf("\ncrossover (the largest size at which copy beats pin, median MB/s at 1 thread):");
	for (int j = 0; j < ndirs; j++) {
		uint64_t best = 0;
		int seen = 0;

		for (int i = 0; i < nsizes; i++) {
			struct cell *cp = find(COPY, dirs[j], sizes[i], 1);
			struct cell *pn = find(PIN, dirs[j], sizes[i], 1);

			if (!cp || !pn)
				continue;
			seen = 1;
			if (cp->med > pn->med && sizes[i] > best)
				best = sizes[i];
		}
		printf("%s %s %s", j ? ";" : "", dir_long[dirs[j]],
		       !seen ? "n/a" : best ? size_str(best, size) : "none");
	}
	printf("\n");
}

/* (2) default by threads; serial at the most threads beside it. */
static void table_threads(void)
{
	char size[BM_SIZE_STR_LEN];

	if (!want[DEFAULT] || tmax < 2)
		return;
	printf("\n### default by threads, each with one request at a time: MB/s, median (min-max)\n");
	printf("\nDuplex at 1 thread runs a thread each way; at N threads, N/2 each way.\n");
	printf("\n| direction | size |");
	for (int t = 0; t < ntl; t++)
		printf(" %u thread%s |", tlist[t], tlist[t] > 1 ? "s" : "");
	printf(" %ut/1t |", tmax);
	if (want[SERIAL])
		printf(" serial, %u threads |", tmax);
	printf("\n|---|---|");
	for (int t = 0; t < ntl; t++)
		printf("---|");
	printf(want[SERIAL] ? "---|---|\n" : "---|\n");
	for (int j = 0; j < ndirs; j++)
		for (int i = 0; i < nsizes; i++) {
			struct cell *one = find(DEFAULT, dirs[j], sizes[i], 1);
			struct cell *most = find(DEFAULT, dirs[j], sizes[i], tmax);

			printf("| %s | %s |", dir_long[dirs[j]], size_str(sizes[i], size));
			for (int t = 0; t < ntl; t++)
				print_mbps(find(DEFAULT, dirs[j], sizes[i], tlist[t]));
			if (one && most)
				printf(" %.2f |", most->med / one->med);
			else
				printf(" - |");
			if (want[SERIAL])
				print_mbps(find(SERIAL, dirs[j], sizes[i], tmax));
			printf("\n");
		}
}

/* (3)'s cells: 4 KiB and 64 KiB at 1 thread, default and serial at the most. */
static int latency_cell(const struct cell *c)
{
	return !c->skipped && (c->size == 4096 || c->size == 65536) &&
	       (c->threads == 1 ||
		(c->threads == tmax && (c->design == DEFAULT || c->design == SERIAL)));
}

/* (3) per-request latency. */
static void table_latency(void)
{
	char size[BM_SIZE_STR_LEN];
	int any = 0;

	for (int k = 0; k < ncells; k++)
		any |= latency_cell(&cells[k]);
	if (!any)
		return;
	printf("\n### Latency of one request, µs, over every request of every repeat\n");
	printf("\n| direction | size | design | threads | p50 | p99 | p99.9 | max | p99/p50 |\n");
	printf("|---|---|---|---|---|---|---|---|---|\n");
	for (int j = 0; j < ndirs; j++)
		for (int i = 0; i < nsizes; i++) {
			for (int k = 0; k < ncells; k++) {
				struct cell *c = &cells[k];

				if (!latency_cell(c) || c->dir != dirs[j] || c->size != sizes[i])
					continue;
				printf("| %s | %s | %s | %u | %.0f | %.0f | %.0f | %.0f | %.1f |\n",
				       dir_long[c->dir], size_str(c->size, size),
				       design_names[c->design], c->threads, c->p50, c->p99,
				       c->p999, c->pmax, c->p99 / c->p50);
			}
		}
}

static int cpu_size(uint64_t size)
{
	return size == 4096 || size == 65536 || size == 1 << 20;
}

/* (4) CPU seconds per GiB moved, and pages pinned at peak, at 1 thread. */
static void table_cpu(void)
{
	enum design d[NDESIGNS];
	int n = one_thread_designs(d), ncols = 0;
	char size[BM_SIZE_STR_LEN];

	for (int i = 0; i < nsizes; i++)
		ncols += cpu_size(sizes[i]);
	if (!n || !ncols)
		return;
	printf("\n### CPU seconds per GiB moved at 1 thread (process: getrusage; guest: /proc/stat, all CPUs), and user pages pinned at peak\n");
	printf("\n| direction | design |");
	for (int i = 0; i < nsizes; i++)
		if (cpu_size(sizes[i])) {
			size_str(sizes[i], size);
			printf(" %s process | %s guest | %s pinned |", size, size, size);
			if (g.bounce_fd >= 0)
				printf(" %s bounce |", size);
		}
	printf("\n|---|---|");
	for (int i = 0; i < ncols; i++)
		printf(g.bounce_fd >= 0 ? "---|---|---|---|" : "---|---|---|");
	printf("\n");
	for (int j = 0; j < ndirs; j++)
		for (int k = 0; k < n; k++) {
			printf("| %s | %s |", dir_long[dirs[j]], design_names[d[k]]);
			for (int i = 0; i < nsizes; i++) {
				struct cell *c = find(d[k], dirs[j], sizes[i], 1);
				double gib;

				if (!cpu_size(sizes[i]))
					continue;
				if (!c) {
					printf(g.bounce_fd >= 0 ? " - | - | - | - |" : " - | - | - |");
					continue;
				}
				gib = c->bytes / (1ULL << 30);
				printf(" %.2f | %.2f |", c->cpu_proc / gib, c->cpu_guest / gib);
				if (c->peak_pinned >= 0)
					printf(" %lld |", c->peak_pinned);
				else
					printf(" - |");
				if (g.bounce_fd >= 0)
					printf(" %lld |", c->peak_bounce);
			}
			printf("\n");
		}
}

static void print_util(const struct cell *c)
{
	if (c)
		printf(" %.0f %% | %.0f %% |", 100 * c->busy_med, 100 * c->link_med);
	else
		printf(" - | - |");
}

/* (5) the card's busy time and the link's, default and registered. */
static void table_util(void)
{
	char size[BM_SIZE_STR_LEN];
	enum design d[2];
	int n = 0;

	if (ran(DEFAULT, 1))
		d[n++] = DEFAULT;
	if (ran(REGISTERED, 1))
		d[n++] = REGISTERED;
	if (!n)
		return;
	printf("\n### Utilization: busy = the card's busy time, link = the modelled link's time for what moved, over wall time\n");
	printf("\n| direction | size |");
	for (int k = 0; k < n; k++) {
		printf(" %s 1t busy | %s 1t link |", design_names[d[k]], design_names[d[k]]);
		if (tmax > 1)
			printf(" %s %ut busy | %s %ut link |", design_names[d[k]], tmax,
			       design_names[d[k]], tmax);
	}
	printf("\n|---|---|");
	for (int k = 0; k < n; k++)
		printf(tmax > 1 ? "---|---|---|---|" : "---|---|");
	printf("\n");
	for (int j = 0; j < ndirs; j++)
		for (int i = 0; i < nsizes; i++) {
			printf("| %s | %s |", dir_long[dirs[j]], size_str(sizes[i], size));
			for (int k = 0; k < n; k++) {
				print_util(find(d[k], dirs[j], sizes[i], 1));
				if (tmax > 1)
					print_util(find(d[k], dirs[j], sizes[i], tmax));
			}
			printf("\n");
		}
}

static void print_csv(void)
{
	for (int k = 0; k < ncells; k++) {
		struct cell *c = &cells[k];
		double gib = c->bytes / (1ULL << 30);

		if (c->skipped)
			continue;
		printf("xcsv,%s,%s,%llu,%u,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.3f,%.3f,%.3f,%.3f,%lld,%lld\n",
		       design_names[c->design], dir_names[c->dir],
		       (unsigned long long)c->size, c->threads, c->med, c->lo, c->hi,
		       c->p50, c->p99, c->p999, c->pmax, c->cpu_proc / gib,
		       c->cpu_guest / gib, c->busy_med, c->link_med, c->peak_pinned,
		       c->peak_bounce);
	}
}

/* ---- setup ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: xfer_bench [options]\n"
"The synchronous path: one request at a time per thread, by design, size,\n"
"direction and threads; median and spread of REPEAT interleaved runs.\n"
"\n"
"  -d, --device=N           card /dev/busmasterN (0)\n"
"  -s, --sizes=SIZE,...     request sizes, multiples of 4 KiB\n"
"                           (4k,64k,1M,16M,64M; --quick: 4k,64k,1M)\n"
"  -T, --threads=N,...      default's threads (1,2,4); registered also runs\n"
"                           at the most, serial only there, the others at 1\n"
"  -D, --designs=NAME,...   of default, pin, copy, registered, common,\n"
"                           vectored, bounce, page, serial (all)\n"
"  -x, --directions=D,...   of to, from, duplex (all)\n"
"  -t, --bytes=BYTES        each cell moves at least this much (16M; --quick: 4M)\n"
"  -r, --repeat=N           runs of every cell, 1 to %d (3; --quick: 1)\n"
"  -l, --link=NS,PS         the card's modelled link: ns per card transfer,\n"
"                           ps per byte, for the link's utilization\n"
"  -p, --pin-sample=MS      sample the pinned pages every MS ms (2; 0: not)\n"
"  -b, --bounce-file=FILE   and the bounce space in use, a number in FILE\n"
"                           (debugfs: swiotlb/io_tlb_used, in 2 KiB slots, or\n"
"                           busmaster/busmasterN/map_registers_used, in pages)\n"
"  -q, --quick              fewer, shorter cells\n"
"  -c, --crossover          copy against pin, 4k to 16M, to and from the\n"
"                           card, 1 thread: where the driver should stop copying\n"
"  -h, --help               this text\n", BENCH_MAX_REPEAT);
}

/* Names from a comma-separated list into flags @on[0..n-1]. */
static void parse_names(const char *s, const char *const *names, int n, int *on)
{
	char *copy = strdup(s), *tok, *save = NULL;

	if (!copy)
		die("memory", ENOMEM);
	memset(on, 0, n * sizeof(*on));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k = 0;

		while (k < n && strcmp(tok, names[k]))
			k++;
		if (k == n)
			die(tok, EINVAL);
		on[k] = 1;
	}
	free(copy);
}

/* A first request of the design on the card: EINVAL from older drivers. */
static int probe_flag(int fd, uint32_t flag)
{
	struct busmaster_transfer t = {
		.flags = flag, .addr = (uint64_t)(uintptr_t)g.src, .length = PAGE_LEN,
	};
	char why[BM_ERR_STR_LEN];

	if (!bm_transfer(fd, &t))
		return 1;
	if (errno == EINVAL)
		return 0;
	bm_strerror_transfer(errno, &t, &g.info, why, sizeof(why));
	dief("a first TRANSFER with flags %#x: %s", flag, why);
}

/* The driver's copy_max module parameter, for the header; "?" if none. */
static const char *copy_max(char *buf)
{
	FILE *f = fopen("/sys/module/busmaster/parameters/copy_max", "r");
	unsigned long long v;

	snprintf(buf, BM_SIZE_STR_LEN, "?");
	if (f) {
		if (fscanf(f, "%llu", &v) == 1)
			size_str(v, buf);
		fclose(f);
	}
	return buf;
}

/*
 * Fill the card's mirrors and the card with the pattern, and find which
 * designs this driver and card have (@supported).
 */
static void setup_card(int *supported)
{
	struct bm_result res = BM_RESULT_INIT;
	const char *root = getenv("BM_SYSFS_ROOT");
	char path[256], why[BM_ERR_STR_LEN];
	uint64_t len;
	int fd, n;

	fd = bm_open_index(g.id, O_RDWR);
	if (fd < 0)
		die("open the card", errno);
	if (bm_info(fd, &g.info))
		die("INFO", errno);
	len = g.info.card_mem_size / PAGE_LEN * PAGE_LEN;
	if (!len)
		dief("the card has no memory to move to");
	g.common_len = MIN(g.info.common_max, COMMON_LEN) / PAGE_LEN * PAGE_LEN;
	/* A power of two, so that every card range cuts the same way. */
	for (g.period = COMMON_LEN; g.period > PAGE_LEN && g.period > g.common_len;)
		g.period /= 2;

	/* The card starts as every cell leaves it. */
	g.src = aligned_alloc(PAGE_LEN, len);
	g.dst = aligned_alloc(PAGE_LEN, len);
	if (!g.src || !g.dst)
		die("memory for the card's mirrors", ENOMEM);
	pattern_fill(g.src, len, 0);
	memset(g.dst, 0, len);
	if (bm_write(fd, g.src, len, 0, &res)) {
		struct busmaster_transfer t = { .length = len, .card_status = res.card_status };

		bm_strerror_transfer(errno, &t, &g.info, why, sizeof(why));
		dief("writing the pattern to the card: %s", why);
	}

	for (int k = 0; k < NDESIGNS; k++)
		supported[k] = 1;
	supported[PIN] = probe_flag(fd, BUSMASTER_XFER_PIN);
	supported[COPY] = probe_flag(fd, BUSMASTER_XFER_COPY);
	supported[COMMON] = supported[BOUNCE] = g.common_len >= PAGE_LEN;
	snprintf(g.knob, sizeof(g.knob),
		 "/sys/kernel/debug/busmaster/busmaster%d/page_descriptors", g.id);
	supported[PAGE_DESC] = supported[PIN] && !access(g.knob, W_OK);
	if (close(fd))
		die("close the card", errno);

	n = snprintf(path, sizeof(path), "%s/class/misc/busmaster%d/statistics/pinned_pages",
		     root && *root ? root : "/sys", g.id);
	if (n < 0 || (size_t)n >= sizeof(path))
		die("BM_SYSFS_ROOT", ENAMETOOLONG);
	g.pinned_fd = g.sample_ms ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	g.bounce_fd = g.pinned_fd >= 0 && g.bounce_path ?
		      open(g.bounce_path, O_RDONLY | O_CLOEXEC) : -1;
	if (g.bounce_path && g.pinned_fd >= 0 && g.bounce_fd < 0)
		die(g.bounce_path, errno);
}

/* The header line, what the designs are, and what will not run. */
static void print_header(uint64_t total, const int *supported)
{
	char size[BM_SIZE_STR_LEN], buf[BM_SIZE_STR_LEN];

	printf("xfer_bench: card %s (%s, driver %s, ABI %u), %s of card memory, %u channels; ",
	       g.info.pci_slot, bm_model_name(g.info.card_model) ?: "?",
	       g.info.driver_version, g.info.abi_version,
	       size_str(g.info.card_mem_size, size), g.info.dma_channels);
	if (g.xfer_ns || g.byte_ps)
		printf("link %.0f ns per card transfer + %.0f ps per byte; ",
		       g.xfer_ns, g.byte_ps);
	printf("each cell moves at least %s; median of %d (min-max); the driver copies up to %s (copy_max)\n",
	       size_str(total, size), g.repeat, copy_max(buf));
	printf("designs:");
	for (int k = 0; k < NDESIGNS; k++)
		printf("%s %s (%s)", k ? "," : "", design_names[k], design_what[k]);
	printf("\n");
	for (int k = 0; k < NDESIGNS; k++)
		if (want[k] && !supported[k]) {
			printf("note: design %s is not supported here (%s); skipped\n",
			       design_names[k],
			       k == COMMON || k == BOUNCE ? "no common buffers on this card" :
			       k == PAGE_DESC && supported[PIN] ? "no debugfs page_descriptors" :
			       "the driver refuses BUSMASTER_XFER_PIN or _COPY: EINVAL");
			want[k] = 0;
		}
	if (want[SERIAL] && tmax < 2) {
		printf("note: design serial needs more than one thread (-T); skipped\n");
		want[SERIAL] = 0;
	}
	if (g.pinned_fd < 0)
		printf("note: pinned pages not sampled%s\n",
		       g.sample_ms ? ": no statistics/pinned_pages" : "");
}

/*
 * The cells, design by design: default at each -T, registered at 1 and at
 * the most, serial at the most only, the others at 1. Returns how many
 * do not fit the card, and says which.
 */
static int plan(uint64_t total)
{
	char size[BM_SIZE_STR_LEN], part[BM_SIZE_STR_LEN];
	int n = 0;

	for (int k = 0; k < NDESIGNS; k++) {
		if (!want[k])
			continue;
		for (int j = 0; j < ndirs; j++)
			for (int i = 0; i < nsizes; i++) {
				if (k == DEFAULT) {
					for (int t = 0; t < ntl; t++)
						add_cell(k, dirs[j], sizes[i], tlist[t], total);
					continue;
				}
				if (k != SERIAL)
					add_cell(k, dirs[j], sizes[i], 1, total);
				if ((k == REGISTERED || k == SERIAL) && tmax > 1)
					add_cell(k, dirs[j], sizes[i], tmax, total);
			}
	}
	for (int k = 0; k < ncells; k++) {
		struct cell *c = &cells[k];

		if (!c->skipped)
			continue;
		printf("%s %s %s %s %ut (%s each)",
		       n++ ? "," : "note: skipped, requests larger than a thread's share of card memory:",
		       design_names[c->design], dir_names[c->dir], size_str(c->size, size),
		       c->threads, size_str(c->part, part));
	}
	if (n)
		printf("\n");
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "sizes", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 'T' },
		{ "designs", required_argument, NULL, 'D' },
		{ "directions", required_argument, NULL, 'x' },
		{ "bytes", required_argument, NULL, 't' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "link", required_argument, NULL, 'l' },
		{ "pin-sample", required_argument, NULL, 'p' },
		{ "bounce-file", required_argument, NULL, 'b' },
		{ "quick", no_argument, NULL, 'q' },
		{ "crossover", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const uint64_t full_sizes[] = { 4 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20 };
	static const uint64_t cross_sizes[] = { 4 << 10, 16 << 10, 64 << 10, 256 << 10,
						1 << 20, 4 << 20, 16 << 20 };
	const char *o_sizes = NULL, *o_threads = NULL, *o_designs = NULL, *o_dirs = NULL;
	int quick = 0, cross = 0, opt, dir_on[NDIRS], nthreads, supported[NDESIGNS];
	long long repeat = 0, sample_ms = 2;
	uint64_t threads[MAX_THREADS], total = 0;
	char size[BM_SIZE_STR_LEN], *end;

	while ((opt = getopt_long(argc, argv, "d:s:T:D:x:t:r:l:p:b:qch", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			g.id = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || g.id < 0)
				die(optarg, EINVAL);
			break;
		case 's':
			o_sizes = optarg;
			break;
		case 'T':
			o_threads = optarg;
			break;
		case 'D':
			o_designs = optarg;
			break;
		case 'x':
			o_dirs = optarg;
			break;
		case 't':
			if (bm_parse_size(optarg, &total) || !total)
				die(optarg, EINVAL);
			break;
		case 'r':
			repeat = strtoll(optarg, &end, 10);
			if (*end || repeat < 1 || repeat > BENCH_MAX_REPEAT)
				die(optarg, EINVAL);
			break;
		case 'l':
			if (sscanf(optarg, "%lf,%lf", &g.xfer_ns, &g.byte_ps) != 2)
				die(optarg, EINVAL);
			break;
		case 'p':
			sample_ms = strtoll(optarg, &end, 10);
			if (*end || end == optarg || sample_ms < 0 || sample_ms > 1000)
				die(optarg, EINVAL);
			break;
		case 'b':
			g.bounce_path = optarg;
			break;
		case 'q':
			quick = 1;
			break;
		case 'c':
			cross = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	/* What was not given: --crossover's, --quick's, or the full sweep's. */
	if (o_sizes) {
		nsizes = parse_list(o_sizes, sizes, MAX_SIZES, 1);
	} else if (cross) {
		nsizes = sizeof(cross_sizes) / sizeof(*cross_sizes);
		memcpy(sizes, cross_sizes, sizeof(cross_sizes));
	} else {
		nsizes = quick ? 3 : 5;
		memcpy(sizes, full_sizes, nsizes * sizeof(*sizes));
	}
	for (int i = 0; i < nsizes; i++)
		if (!sizes[i] || sizes[i] % PAGE_LEN)
			dief("-s: %s is not a multiple of 4 KiB", size_str(sizes[i], size));
	if (o_threads) {
		nthreads = parse_list(o_threads, threads, MAX_THREADS, 0);
	} else {
		nthreads = cross ? 1 : 3;
		threads[0] = 1, threads[1] = 2, threads[2] = 4;
	}
	for (int i = 0; i < nthreads; i++)
		if (threads[i] < 1 || threads[i] > MAX_THREADS)
			dief("-T: %llu threads: 1 to %d", (unsigned long long)threads[i],
			     MAX_THREADS);
	/* Ascending, each once: the columns of the threads table. */
	for (unsigned int t = 1; t <= MAX_THREADS; t++)
		for (int i = 0; i < nthreads; i++)
			if (threads[i] == t) {
				tlist[ntl++] = tmax = t;
				break;
			}
	if (o_designs)
		parse_names(o_designs, design_names, NDESIGNS, want);
	else
		for (int k = 0; k < NDESIGNS; k++)
			want[k] = !cross || k == COPY || k == PIN;
	if (o_dirs)
		parse_names(o_dirs, dir_names, NDIRS, dir_on);
	else
		for (int k = 0; k < NDIRS; k++)
			dir_on[k] = !cross || k != DUPLEX;
	for (int k = 0; k < NDIRS; k++)
		if (dir_on[k])
			dirs[ndirs++] = k;
	total = total ?: quick ? 4ULL << 20 : 16ULL << 20;
	g.repeat = repeat ?: quick ? 1 : 3;
	g.sample_ms = (unsigned int)sample_ms;

	setup_card(supported);
	if (want[PAGE_DESC] && supported[PAGE_DESC])
		atexit(page_knob_off);
	print_header(total, supported);
	if (plan(total) == ncells) {
		printf("no cell to run\n");
		return 1;
	}
	fflush(stdout);

	for (int r = 0; r < g.repeat; r++)
		for (int k = 0; k < ncells; k++)
			if (!cells[k].skipped)
				run_cell(&cells[k], r);
	for (int k = 0; k < ncells; k++)
		if (!cells[k].skipped)
			summarize(&cells[k]);

	table_designs();
	crossover();
	table_threads();
	table_latency();
	table_cpu();
	table_util();
	printf("\n");
	print_csv();
	return 0;
}
