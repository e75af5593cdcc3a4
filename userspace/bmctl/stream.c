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
 * --registered registered once (pinned and mapped once, charged once).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
		      struct bmctl_stream_report *r)
{
	char msg[256];
	uint64_t v;

	r->depth = 16;
	r->size = 1 << 20;
	r->total = 64 << 20;
	r->to_card = true;
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
			v = strtoull(o->val, NULL, 0);
			if (v < 1 || v > BUSMASTER_DEPTH_MAX / 2) {
				snprintf(msg, sizeof(msg), "%s '%s': from 1 to %u",
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
			if (o->id == BMCTL_OPT_OFFSET)
				r->offset = v;
			else if (o->id == BMCTL_OPT_LENGTH)
				r->total = v;
			else
				r->size = v;
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
		return -1;
	return 0;
}

static void dir_free(int fd, struct stream_dir *d)
{
	if (d->handle)
		bm_unregister(fd, d->handle);
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

/* The stream itself, once the card and buffers are ready. */
static int run(struct bmctl_ctx *ctx, int fd, struct bmctl_stream_report *r,
	       struct stream_dir *dirs, uint64_t span)
{
	struct busmaster_completion recs[REAP_MAX];
	bool show = ctx->ops == &bmctl_text_ops && isatty(fileno(ctx->err));
	double start = bmctl_now(), shown = start;
	uint32_t in_flight = 0;
	char why[BM_ERR_STR_LEN + 64];

	for (;;) {
		for (int k = 0; k < 2; k++) {
			struct stream_dir *d = &dirs[k];

			while (d->on && d->nfree && d->submitted < r->total) {
				if (!submit_one(fd, d, r, span)) {
					in_flight++;
					continue;
				}
				snprintf(why, sizeof(why), "SUBMIT %s the card: %s",
					 d->from ? "from" : "to", strerror(errno));
				return stream_fail(r, errno, why,
						   errno == ENOMEM ?
						   "pinned memory is charged to ulimit -l: raise it, or use --registered, a smaller --depth or --size" :
						   NULL);
			}
		}
		if (!in_flight)
			break;
		int n = bm_reap(fd, recs, REAP_MAX, 1, 0);

		if (n < 0)
			return stream_fail(r, errno, "REAP failed", NULL);
		for (int i = 0; i < n; i++) {
			struct stream_dir *d = &dirs[recs[i].tag & TAG_FROM ? 1 : 0];

			in_flight--;
			d->free[d->nfree++] = (uint32_t)(recs[i].tag & ~TAG_FROM);
			r->transfers += recs[i].transfers;
			*(d->from ? &r->bytes_from_card : &r->bytes_to_card) +=
				recs[i].bytes_done;
			if (recs[i].error && !r->error) {
				r->card_status = recs[i].card_status;
				snprintf(why, sizeof(why), "a request %s the card failed: %s",
					 d->from ? "from" : "to",
					 strerror(-recs[i].error));
				stream_fail(r, -recs[i].error, why, NULL);
				/* Nothing more is submitted; those in flight end. */
				dirs[0].submitted = dirs[1].submitted = r->total;
			}
		}
		if (show && bmctl_now() - shown >= PROGRESS_PERIOD) {
			shown = bmctl_now();
			progress(ctx, r, start, false);
		}
	}
	r->seconds = bmctl_now() - start;
	if (show)
		progress(ctx, r, start, true);
	return r->error ? -1 : 0;
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
	uint64_t span;
	int fd, ret;

	if (parse_args(ctx, args, &r))
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
	span = info.card_mem_size > r.offset ? info.card_mem_size - r.offset : 0;
	if (span > (uint64_t)r.depth * r.size)
		span = (uint64_t)r.depth * r.size;
	if (r.size > span || (info.alignment > 1 &&
			      (r.size % info.alignment || r.offset % info.alignment ||
			       r.total % info.alignment))) {
		snprintf(msg, sizeof(msg),
			 "--size %llu at offset %#llx does not fit the card's %llu bytes of memory, aligned to %u",
			 (unsigned long long)r.size, (unsigned long long)r.offset,
			 (unsigned long long)info.card_mem_size, info.alignment);
		close(fd);
		return bmctl_report(ctx, card, EINVAL, msg, "see 'bmctl info'");
	}
	if (bm_queue_set_depth(fd, r.depth * (r.to_card + r.from_card))) {
		ret = bmctl_report(ctx, card, errno, "QUEUE failed", NULL);
		close(fd);
		return ret;
	}
	if ((r.to_card && dir_setup(fd, &dirs[0], false, &r)) ||
	    (r.from_card && dir_setup(fd, &dirs[1], true, &r)))
		stream_fail(&r, errno, "no memory for the buffers, or REGISTER failed",
			    errno == ENOMEM ? "registered memory is charged to ulimit -l" :
					      NULL);
	else
		run(ctx, fd, &r, dirs, span);
	r.card_model = info.card_model;
	ctx->ops->stream(ctx, &r);
	dir_free(fd, &dirs[0]);
	dir_free(fd, &dirs[1]);
	close(fd);
	return r.error ? -1 : 0;
}
