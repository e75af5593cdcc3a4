// SPDX-License-Identifier: GPL-2.0-only
/*
 * bmctl stream: keep DEPTH requests of SIZE bytes in flight from one
 * thread (SUBMIT, then REAP as they complete, submitting one for each),
 * to the card, from it, or both at once, until TOTAL bytes moved each
 * way; report the throughput. The requests cycle through the card range
 * [offset, offset + DEPTH x SIZE) (or to the end of card memory): a
 * stream measures the path, it keeps no data.
 *
 * Buffers: one of DEPTH x SIZE bytes per direction, user memory pinned
 * per request at SUBMIT (charged to ulimit -l while in flight), or with
 * --registered registered once (pinned and mapped once, charged once for
 * its whole size). Either way DEPTH x SIZE each way must fit ulimit -l
 * (without CAP_IPC_LOCK): checked before anything is allocated.
 *
 * A failure stops the submitting; the requests in flight are reaped
 * before the report, so its byte counts are what moved.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bmctl.h"

#define PROGRESS_PERIOD	0.2	/* seconds between progress lines */
#define REAP_MAX	64	/* completions taken per REAP */
#define TAG_FROM	(1ULL << 63)	/* a tag's bit for card -> memory */

/**
 * struct stream_dir - one direction of a stream
 * @on: this direction runs
 * @from: card -> memory
 * @buf: DEPTH x SIZE bytes, slot k for the request tagged k
 * @handle: its registered handle, or 0
 * @free: slots not in flight, a stack
 * @nfree: how many
 * @next_off: card offset of the next request, cycling
 * @submitted: bytes submitted
 */
struct stream_dir {
	bool on;
	bool from;
	uint8_t *buf;
	uint32_t handle;
	uint32_t *free;
	uint32_t nfree;
	uint64_t next_off;
	uint64_t submitted;
};


static int parse_args(struct bmctl_ctx *ctx, const struct bmctl_args *args,
		      struct bmctl_stream_report *r, bool *size_given)
{
	char msg[256], *end;
	uint64_t v;

	r->depth = 8;
	r->size = 256 << 10;
	r->total = 64 << 20;
	r->to_card = true;
	*size_given = false;
	for (int k = 0; k < args->nopts; k++) {
		const struct bmctl_optarg *o = &args->opts[k];

		switch (o->id) {
		case BMCTL_OPT_DEVICE:
			r->device = o->val;
			break;
		case BMCTL_OPT_REGISTERED:
			r->registered = true;
			break;
		case BMCTL_OPT_DIRECTION:
			r->to_card = !strcmp(o->val, "to") || !strcmp(o->val, "both");
			r->from_card = !strcmp(o->val, "from") || !strcmp(o->val, "both");
			if (!r->to_card && !r->from_card) {
				snprintf(msg, sizeof(msg), "%s '%s': say to, from or both",
					 o->given, o->val);
				return bmctl_usage_error(ctx, "stream", msg);
			}
			break;
		case BMCTL_OPT_DEPTH:
			errno = 0;
			v = strtoull(o->val, &end, 10);
			if (errno || *end || *o->val < '0' || *o->val > '9' ||
			    v < 1 || v > BUSMASTER_DEPTH_MAX / 2) {
				snprintf(msg, sizeof(msg), "%s '%s': a number from 1 to %u",
					 o->given, o->val, BUSMASTER_DEPTH_MAX / 2);
				return bmctl_usage_error(ctx, "stream", msg);
			}
			r->depth = (uint32_t)v;
			break;
		case BMCTL_OPT_OFFSET:
		case BMCTL_OPT_LENGTH:
		case BMCTL_OPT_SIZE:
			if (bm_parse_size(o->val, &v) ||
			    (o->id != BMCTL_OPT_OFFSET && !v)) {
				snprintf(msg, sizeof(msg),
					 "%s '%s': not a size of at least 1 (use 4096, 4k, 64M)",
					 o->given, o->val);
				return bmctl_usage_error(ctx, "stream", msg);
			}
			if (o->id == BMCTL_OPT_OFFSET) {
				r->offset = v;
			} else if (o->id == BMCTL_OPT_LENGTH) {
				r->total = v;
			} else {
				r->size = v;
				*size_given = true;
			}
			break;
		}
	}
	if (args->npos)
		return bmctl_usage_error(ctx, "stream", "unexpected argument");
	return 0;
}

/* A failure, in the report: "<what>: <why>" with the bytes moved. */
static int stream_fail(struct bmctl_stream_report *r, int errnum,
		       const char *what, const char *hint)
{
	r->err.subject = r->device;
	r->err.errnum = errnum;
	snprintf(r->msg, sizeof(r->msg), "stream: %s", what);
	r->err.msg = r->msg;
	r->err.hint = hint;
	r->error = &r->err;
	return -1;
}

/* Buffer and slots of one direction: 0, -1 (no memory), -2 (REGISTER's errno). */
static int dir_setup(int fd, struct stream_dir *d, bool from,
		     const struct bmctl_stream_report *r)
{
	uint64_t len = (uint64_t)r->depth * r->size;

	d->on = true;
	d->from = from;
	d->next_off = r->offset;
	d->buf = aligned_alloc(4096, (len + 4095) & ~4095ULL);
	d->free = calloc(r->depth, sizeof(*d->free));
	if (!d->buf || !d->free)
		return -1;
	/* Touched, so that pinning never waits for a page to be made. */
	bm_pattern_fill(d->buf, len, 1, 0);
	for (uint32_t k = 0; k < r->depth; k++)
		d->free[d->nfree++] = r->depth - 1 - k;
	if (r->registered &&
	    bm_register(fd, d->buf, len, from ? BUSMASTER_REG_CARD_WRITES : 0,
			&d->handle))
		return -2;
	return 0;
}

/* After the card is closed: its registrations are gone with it. */
static void dir_free(struct stream_dir *d)
{
	free(d->buf);
	free(d->free);
}

/* Submit one request of @d into a free slot: 0, or -1 with errno. */
static int submit_one(int fd, struct stream_dir *d,
		      struct bmctl_stream_report *r, uint64_t span)
{
	uint32_t slot = d->free[--d->nfree];
	uint64_t len = r->size < r->total - d->submitted ?
		       r->size : r->total - d->submitted;
	struct busmaster_submit s = {
		.flags = (d->from ? BUSMASTER_XFER_FROM_CARD : 0) |
			 (d->handle ? BUSMASTER_XFER_REGISTERED : 0),
		.handle = d->handle,
		.addr = d->handle ? (uint64_t)slot * r->size :
				    (uint64_t)(uintptr_t)(d->buf + (uint64_t)slot * r->size),
		.length = len,
		.card_offset = d->next_off,
		.tag = slot | (d->from ? TAG_FROM : 0),
	};

	if (bm_submit(fd, &s)) {
		d->nfree++;
		return -1;
	}
	r->requests++;
	d->submitted += len;
	d->next_off += r->size;
	if (d->next_off + r->size > r->offset + span)
		d->next_off = r->offset;
	return 0;
}

static void progress(struct bmctl_ctx *ctx, const struct bmctl_stream_report *r,
		     double start, bool final)
{
	char done[BM_SIZE_STR_LEN];
	double t = bmctl_now() - start;

	bmctl_human_size(r->bytes_to_card + r->bytes_from_card, done, sizeof(done));
	fprintf(ctx->err, "\r\033[K%s in %.1f s, %.0f MB/s", done, t,
		bmctl_mb_per_s(r->bytes_to_card + r->bytes_from_card, t));
	if (final)
		fputc('\n', ctx->err);
	fflush(ctx->err);
}

/* The words for a failed request, as bmctl write says them. */
static void request_failed(struct bmctl_stream_report *r, const struct stream_dir *d,
			   const struct busmaster_completion *c,
			   const struct busmaster_info *info)
{
	struct busmaster_transfer t = {
		.flags = (d->from ? BUSMASTER_XFER_FROM_CARD : 0) |
			 (d->handle ? BUSMASTER_XFER_REGISTERED : 0),
		.length = r->size,
		.bytes_done = c->bytes_done,
		.card_status = c->card_status,
	};
	char words[BM_ERR_STR_LEN], why[BM_ERR_STR_LEN + 64];

	bm_strerror_transfer(-c->error, &t, info, words, sizeof(words));
	snprintf(why, sizeof(why), "a request %s the card failed: %s",
		 d->from ? "from" : "to", words);
	r->card_status = c->card_status;
	stream_fail(r, -c->error, why, NULL);
}

/*
 * The stream itself, once the card and buffers are ready. After a failure
 * nothing more is submitted and what is in flight is reaped, so the counts
 * are what moved.
 */
static void run(struct bmctl_ctx *ctx, int fd, struct bmctl_stream_report *r,
		struct stream_dir *dirs, uint64_t span,
		const struct busmaster_info *info)
{
	struct busmaster_completion recs[REAP_MAX];
	bool show = ctx->ops == &bmctl_text_ops && isatty(fileno(ctx->err));
	double start = bmctl_now(), shown = start;
	uint32_t in_flight = 0;
	char why[BM_ERR_STR_LEN + 64];

	for (;;) {
		for (int k = 0; k < 2 && !r->error; k++) {
			struct stream_dir *d = &dirs[k];

			while (d->on && d->nfree && d->submitted < r->total) {
				if (!submit_one(fd, d, r, span)) {
					in_flight++;
					continue;
				}
				if (errno == EINTR)
					continue;
				snprintf(why, sizeof(why), "SUBMIT of a request %s the card: %s",
					 d->from ? "from" : "to", strerror(errno));
				stream_fail(r, errno, why, errno == ENOMEM ?
					    "memory pinned in flight counts against ulimit -l: raise it, or lower --depth or --size" :
					    NULL);
				break;
			}
		}
		if (!in_flight)
			break;
		int n = bm_reap(fd, recs, REAP_MAX, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Closing the card cancels what is in flight. */
			snprintf(why, sizeof(why), "REAP: %s", strerror(errno));
			stream_fail(r, errno, why, NULL);
			break;
		}
		for (int i = 0; i < n; i++) {
			struct stream_dir *d = &dirs[recs[i].tag & TAG_FROM ? 1 : 0];

			in_flight--;
			d->free[d->nfree++] = (uint32_t)(recs[i].tag & ~TAG_FROM);
			r->transfers += recs[i].transfers;
			*(d->from ? &r->bytes_from_card : &r->bytes_to_card) +=
				recs[i].bytes_done;
			if (recs[i].error && !r->error)
				request_failed(r, d, &recs[i], info);
		}
		if (show && bmctl_now() - shown >= PROGRESS_PERIOD) {
			shown = bmctl_now();
			progress(ctx, r, start, false);
		}
	}
	r->seconds = bmctl_now() - start;
	if (show)
		progress(ctx, r, start, true);
}

/* The process has CAP_IPC_LOCK: ulimit -l does not bind it (or it cannot tell). */
static bool may_lock_more(void)
{
	unsigned long long caps = ~0ULL;
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	if (f)
		fclose(f);
	return caps & (1ULL << 14);	/* CAP_IPC_LOCK */
}

/* DEPTH x SIZE each way must fit ulimit -l, unless the process may lock more. */
static int check_memlock(struct bmctl_stream_report *r, char *msg, size_t len)
{
	uint64_t need = (uint64_t)r->depth * r->size * (r->to_card + r->from_card);
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    need <= rl.rlim_cur || may_lock_more())
		return 0;
	snprintf(msg, len,
		 "%u requests of %llu bytes in flight each way pin %llu KiB, more than ulimit -l allows (%llu KiB)",
		 r->depth, (unsigned long long)r->size, (unsigned long long)(need >> 10),
		 (unsigned long long)(rl.rlim_cur >> 10));
	return -1;
}

/**
 * bmctl_stream_cmd - bmctl stream: many requests in flight from one thread
 * @ctx: the run
 * @args: the command's arguments
 *
 * Return: 0, or -1 once reported.
 */
int bmctl_stream_cmd(struct bmctl_ctx *ctx, const struct bmctl_args *args)
{
	struct bmctl_stream_report r = { 0 };
	struct stream_dir dirs[2] = { 0 };
	struct busmaster_info info;
	char card[PATH_MAX], msg[256];
	uint64_t span, mem, align;
	bool size_given;
	int fd, ret;

	if (parse_args(ctx, args, &r, &size_given))
		return -1;
	fd = bm_open_device(r.device, O_RDWR, card, sizeof(card));
	if (fd < 0)
		return bmctl_report(ctx, r.device ? r.device : card[0] ? card : NULL,
				    errno, r.device || card[0] ? NULL :
				    "no busmaster cards found",
				    bmctl_errno_hint(errno));
	r.device = card;
	if (bm_info(fd, &info)) {
		ret = bmctl_report(ctx, card, errno, NULL, bmctl_errno_hint(errno));
		close(fd);
		return ret;
	}
	r.pci_slot = info.pci_slot;
	mem = info.card_mem_size;
	align = info.alignment > 1 ? info.alignment : 1;
	/* The default size on a card with less memory (edu: 4095 bytes). */
	if (!size_given && r.size > mem - mem % align)
		r.size = mem - mem % align;
	/* No more requests in flight than the length needs. */
	if ((r.total + r.size - 1) / r.size < r.depth)
		r.depth = (uint32_t)((r.total + r.size - 1) / r.size);
	ret = 0;
	if (r.offset >= mem || r.offset % align)
		snprintf(msg, sizeof(msg), "--offset %#llx: not inside the card's %llu bytes of memory%s",
			 (unsigned long long)r.offset, (unsigned long long)mem,
			 align > 1 ? ", or not a multiple of its alignment" : "");
	else if (r.size > mem - r.offset || r.size % align)
		snprintf(msg, sizeof(msg), "--size %llu: more than the card's memory from the offset (%llu bytes)%s",
			 (unsigned long long)r.size, (unsigned long long)(mem - r.offset),
			 align > 1 ? ", or not a multiple of its alignment" : "");
	else if (r.total % align)
		snprintf(msg, sizeof(msg), "--length %llu: not a multiple of the card's alignment (%llu bytes)",
			 (unsigned long long)r.total, (unsigned long long)align);
	else
		ret = check_memlock(&r, msg, sizeof(msg));
	if (ret || r.offset >= mem || r.offset % align || r.size > mem - r.offset ||
	    r.size % align || r.total % align) {
		close(fd);
		return bmctl_report(ctx, card, ret ? ENOMEM : EINVAL, msg,
				    ret ? "raise ulimit -l, or lower --depth or --size" :
					  "see 'bmctl info'");
	}
	span = mem - r.offset;
	if (span > (uint64_t)r.depth * r.size)
		span = (uint64_t)r.depth * r.size;
	if (bm_queue_set_depth(fd, r.depth * (r.to_card + r.from_card))) {
		snprintf(msg, sizeof(msg), "QUEUE: %s", strerror(errno));
		ret = bmctl_report(ctx, card, errno, msg, NULL);
		close(fd);
		return ret;
	}
	for (int k = 0; k < 2 && !r.error; k++) {
		int err;

		ret = (k ? r.from_card : r.to_card) ? dir_setup(fd, &dirs[k], k, &r) : 0;
		if (!ret)
			continue;
		err = errno;
		if (ret == -1)
			snprintf(msg, sizeof(msg), "no memory for a buffer of %llu bytes",
				 (unsigned long long)r.depth * r.size);
		else
			bm_strerror_register(err, msg, sizeof(msg));
		stream_fail(&r, err, msg, NULL);
	}
	if (!r.error)
		run(ctx, fd, &r, dirs, span, &info);
	r.card_model = info.card_model;
	ctx->ops->stream(ctx, &r);
	/* Closing first cancels what may still be in flight; then the buffers go. */
	close(fd);
	dir_free(&dirs[0]);
	dir_free(&dirs[1]);
	return r.error ? -1 : 0;
}
