// SPDX-License-Identifier: GPL-2.0-only
/*
 * async_bench: one thread's throughput with many requests in flight, the
 * ioctl path (SUBMIT + REAP) against io_uring (uring_cmd), by request size
 * and depth, each way, on one card; with the card's own busy time (sysfs
 * statistics/card_busy_ns: the time its channels moved data) as utilization.
 *
 *   async_bench [-d N] [-s SIZE,...] [-q DEPTH,...] [-t BYTES] [-r REPEAT]
 *
 * Buffers are registered once (pinned and mapped once), so a cell measures
 * the queue and the card, not pinning. Cells are run REPEAT times,
 * interleaved (every cell once, then again), so that the machine's load
 * drifts across all of them alike; the table gives the median and the
 * spread (min-max). Each cell moves BYTES (default 32 MiB) through the
 * card range [0, depth x size) cycling. CSV lines ("csv,...") follow the
 * table for the host to collect.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libbusmaster.h"
#include "libbusmaster-uring.h"
#include "bench.h"

#define MAX_CELLS	64
#define MAX_REPEAT	BENCH_MAX_REPEAT

const char *bench_name = "async_bench";

struct cell {
	int uring;		/* 0: ioctl path, 1: io_uring */
	int from;		/* card -> memory */
	uint64_t size;
	unsigned int depth;
	double mbps[MAX_REPEAT];
	double util[MAX_REPEAT];	/* card busy / wall time */
	double link[MAX_REPEAT];	/* modelled link time / wall time */
};

/* The next request of cell @c: @size bytes at @off, buffer and card alike. */
static struct busmaster_submit cell_request(const struct cell *c, uint32_t handle,
					    uint64_t off)
{
	return (struct busmaster_submit){
		.flags = BUSMASTER_XFER_REGISTERED |
			 (c->from ? BUSMASTER_XFER_FROM_CARD : 0),
		.handle = handle, .addr = off, .length = c->size,
		.card_offset = off,
	};
}

/* One cell through SUBMIT and REAP; seconds. */
static double run_ioctl(int fd, uint32_t handle, const struct cell *c, uint64_t total)
{
	struct busmaster_completion recs[64];
	uint64_t submitted = 0, done = 0, next = 0, span = c->size * c->depth;
	unsigned int in_flight = 0;
	double t0 = now();

	while (done < total) {
		while (in_flight < c->depth && submitted < total) {
			struct busmaster_submit s = cell_request(c, handle, next);

			if (bm_submit(fd, &s))
				die("SUBMIT", errno);
			next = (next + c->size) % span;
			submitted += c->size;
			in_flight++;
		}
		int n = bm_reap(fd, recs, 64, 1, 0);

		if (n < 0)
			die("REAP", errno);
		for (int i = 0; i < n; i++) {
			if (recs[i].error)
				die("a request", -recs[i].error);
			done += recs[i].bytes_done;
		}
		in_flight -= n;
	}
	return now() - t0;
}

/* One cell through io_uring; seconds. */
static double run_uring(struct io_uring *ring, int fd, uint32_t handle,
			const struct cell *c, uint64_t total)
{
	uint64_t submitted = 0, done = 0, next = 0, span = c->size * c->depth;
	unsigned int in_flight = 0;
	double t0 = now();

	while (done < total) {
		while (in_flight < c->depth && submitted < total) {
			struct busmaster_submit s = cell_request(c, handle, next);
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

			if (!sqe)
				break;
			bm_uring_prep_submit(sqe, fd, &s, next);
			next = (next + c->size) % span;
			submitted += c->size;
			in_flight++;
		}
		struct io_uring_cqe *cqe;
		int ret = io_uring_submit_and_wait(ring, 1);

		if (ret < 0)
			die("io_uring_submit_and_wait", -ret);
		while (io_uring_peek_cqe(ring, &cqe) == 0) {
			if (cqe->res)
				die("a command", -cqe->res);
			done += BUSMASTER_URING_BYTES_DONE(cqe->big_cqe[0]);
			in_flight--;
			io_uring_cqe_seen(ring, cqe);
		}
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	uint64_t sizes[8] = { 64 << 10, 1 << 20 }, depths[8] = { 1, 4, 16, 64 };
	int nsizes = 2, ndepths = 4, repeat = 3, id = 0, opt, ncells = 0;
	double xfer_ns = 0, byte_ps = 0;	/* the card's modelled link (-l) */
	uint64_t total = 32ULL << 20, maxspan = 0;
	struct cell cells[MAX_CELLS];
	struct busmaster_info info;
	struct io_uring ring;
	uint32_t handle[2];
	uint8_t *buf[2];
	int fd;

	while ((opt = getopt(argc, argv, "d:s:q:t:r:l:")) != -1) {
		switch (opt) {
		case 'l':
			if (sscanf(optarg, "%lf,%lf", &xfer_ns, &byte_ps) != 2)
				die(optarg, EINVAL);
			break;
		case 'd': id = atoi(optarg); break;
		case 's': nsizes = parse_list(optarg, sizes, 8, 1); break;
		case 'q': ndepths = parse_list(optarg, depths, 8, 0); break;
		case 't': if (bm_parse_size(optarg, &total)) die(optarg, EINVAL); break;
		case 'r': repeat = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: async_bench [-d N] [-s SIZE,...] [-q DEPTH,...] [-t BYTES] [-r REPEAT] [-l XFER_NS,BYTE_PS]\n");
			return 2;
		}
	}
	if (repeat < 1 || repeat > MAX_REPEAT)
		die("-r", EINVAL);
	fd = bm_open_index(id, O_RDWR);
	if (fd < 0 || bm_info(fd, &info))
		die("the card", errno);
	if (bm_uring_queue_init(128, &ring))
		die("io_uring", ENOSYS);
	for (int si = 0; si < nsizes; si++)
		for (int di = 0; di < ndepths; di++) {
			if (sizes[si] * depths[di] > info.card_mem_size)
				continue;
			if (sizes[si] * depths[di] > maxspan)
				maxspan = sizes[si] * depths[di];
			for (int dir = 0; dir < 2; dir++)
				for (int u = 0; u < 2 && ncells < MAX_CELLS; u++)
					cells[ncells++] = (struct cell){ .uring = u, .from = dir,
						.size = sizes[si], .depth = (unsigned int)depths[di] };
		}
	if (bm_queue_set_depth(fd, 64))
		die("QUEUE", errno);
	for (int dir = 0; dir < 2; dir++) {
		buf[dir] = aligned_alloc(4096, maxspan);
		if (!buf[dir])
			die("memory", ENOMEM);
		bm_pattern_fill(buf[dir], maxspan, 1, 0);
		if (bm_register(fd, buf[dir], maxspan, dir ? BUSMASTER_REG_CARD_WRITES : 0,
				&handle[dir]))
			die("REGISTER", errno);
	}

	for (int r = 0; r < repeat; r++)
		for (int k = 0; k < ncells; k++) {
			struct cell *c = &cells[k];
			struct counts a = counts(id), b;
			double t = c->uring ? run_uring(&ring, fd, handle[c->from], c, total) :
					      run_ioctl(fd, handle[c->from], c, total);

			b = counts(id);
			c->mbps[r] = total / t / 1e6;
			c->util[r] = (b.busy_ns - a.busy_ns) / 1e9 / t;
			/* The link's own time for what moved: per transfer, per byte. */
			c->link[r] = ((b.transfers - a.transfers) * xfer_ns +
				      (b.bytes - a.bytes) * byte_ps / 1000) / 1e9 / t;
		}

	printf("card %s (%s), %llu MiB per cell, median of %d (min-max)\n",
	       info.pci_slot, bm_model_name(info.card_model) ?: "?",
	       (unsigned long long)(total >> 20), repeat);
	if (xfer_ns || byte_ps)
		printf("modelled link: %.0f ns per card transfer + %.0f ps per byte; "
		       "busy: the card's busy time over wall time, link: the link's modelled time for what moved over wall time\n",
		       xfer_ns, byte_ps);
	printf("| direction | size | depth | ioctl MB/s | io_uring MB/s | uring/ioctl | ioctl busy | io_uring busy | ioctl link | io_uring link |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	for (int k = 0; k + 1 < ncells; k += 2) {
		struct cell *a = &cells[k], *b = &cells[k + 1];
		double lo, hi, alo, ahi, blo, bhi;
		double am = median(a->mbps, repeat, &alo, &ahi);
		double bmv = median(b->mbps, repeat, &blo, &bhi);
		char size[BM_SIZE_STR_LEN];

		bm_format_size(a->size, size, sizeof(size));
		printf("| %s | %s | %u | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.2f | %.0f %% | %.0f %% | %.0f %% | %.0f %% |\n",
		       a->from ? "from card" : "to card", size, a->depth, am, alo, ahi,
		       bmv, blo, bhi, bmv / am, 100 * median(a->util, repeat, &lo, &hi),
		       100 * median(b->util, repeat, &lo, &hi),
		       100 * median(a->link, repeat, &lo, &hi),
		       100 * median(b->link, repeat, &lo, &hi));
	}
	for (int k = 0; k < ncells; k++) {
		double lo, hi, m = median(cells[k].mbps, repeat, &lo, &hi), ul, uh;

		printf("csv,%s,%s,%llu,%u,%.1f,%.1f,%.1f,%.3f,%.3f\n",
		       cells[k].uring ? "io_uring" : "ioctl", cells[k].from ? "from" : "to",
		       (unsigned long long)cells[k].size, cells[k].depth, m, lo, hi,
		       median(cells[k].util, repeat, &ul, &uh),
		       median(cells[k].link, repeat, &ul, &uh));
	}
	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}
