// SPDX-License-Identifier: GPL-2.0-only
/*
 * bmctl write, read, fill and verify: move bytes between a file (or a
 * pattern) and a card's memory, in chunks, through the user buffer path
 * (bm_write()/bm_read(): the driver copies or pins each request, or
 * --copy / --pin tell it which), a common buffer (--common), or one buffer
 * registered once and reused for every chunk (--registered, optionally
 * with --no-sync: the caller's explicit SYNCs).
 *
 * Order of work: options are checked first (nothing opened), then input
 * files, then the card and its INFO (range and alignment are checked
 * against it before any DMA), then the output file, then the chunks. The
 * command reports once: through ops->error when nothing was moved
 * because of its arguments or the device, through ops->transfer otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bmctl.h"

/* Transfers above this show a progress bar (on a terminal) */
#define PROGRESS_MIN	(1ULL << 20)
/* Seconds between progress updates */
#define PROGRESS_PERIOD	0.1

/**
 * struct xfer_args - a transfer command's options, once parsed
 * @op: the command
 * @name: its word, for messages
 * @device: -d, or NULL for the first card
 * @offset: -o, card offset (default 0)
 * @length: -l, or 0 when not given
 * @common: --common
 * @registered: --registered
 * @no_sync: --no-sync
 * @copy: --copy
 * @pin: --pin
 * @pattern: --byte, --seed or --file
 * @byte: --byte's value
 * @seed: --seed's value
 * @pattern_opt: the pattern option as given, for a conflict message
 * @file: the FILE argument of write/read or --file of verify, or NULL
 */
struct xfer_args {
	enum bmctl_xfer_op op;
	const char *name;
	const char *device;
	uint64_t offset;
	uint64_t length;
	bool common;
	bool registered;
	bool no_sync;
	bool copy;
	bool pin;
	enum bmctl_pattern pattern;
	uint8_t byte;
	uint64_t seed;
	const char *pattern_opt;
	const char *file;
};

/**
 * struct xfer_run - one transfer command in progress
 * @ctx: the run of bmctl
 * @a: its arguments
 * @rep: what is reported at the end
 * @err: @rep's error, when there is one
 * @msg: @err's message
 * @card: the card's node
 * @info: the card's INFO
 * @fd: the card
 * @io_fd: the file read (write, verify --file) or written (read), or -1
 * @io_is_std: @io_fd is stdin or stdout, not to be closed
 * @known_len: the length is known before the first chunk (not so for
 *	stdin without -l)
 * @stage: the staging buffer (libbusmaster: user memory, registered or
 *	not, or a mapped common buffer), or NULL
 * @buf: its memory
 * @chunk: its length: bytes per request
 * @ref: verify --file: the file's bytes of a chunk
 * @start: when the command started (CLOCK_MONOTONIC)
 * @last_progress: when the progress bar was last drawn, or 0
 * @progress: a progress bar is shown
 */
struct xfer_run {
	struct bmctl_ctx *ctx;
	const struct xfer_args *a;
	struct bmctl_xfer_report rep;
	struct bmctl_error err;
	char msg[BM_ERR_STR_LEN + 256];
	char card[PATH_MAX];
	struct busmaster_info info;
	int fd;
	int io_fd;
	bool io_is_std;
	bool known_len;
	struct bm_stage *stage;
	uint8_t *buf;
	size_t chunk;
	uint8_t *ref;
	double start;
	double last_progress;
	bool progress;
};


#define usage_error bmctl_usage_error

/* Decimal or 0x-hexadecimal, the whole string, up to @max */
static int parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	unsigned long long r;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	r = strtoull(s, &end, 0);
	if (errno || *end || r > max)
		return -1;
	*v = r;
	return 0;
}

static int opt_value(struct bmctl_ctx *ctx, struct xfer_args *a,
		     const struct bmctl_optarg *o)
{
	const char *given = o->given, *val = o->val;
	char msg[256];
	uint64_t v;

	switch (o->id) {
	case BMCTL_OPT_DEVICE:
		a->device = val;
		return 0;
	case BMCTL_OPT_COMMON:
		a->common = true;
		return 0;
	case BMCTL_OPT_REGISTERED:
		a->registered = true;
		return 0;
	case BMCTL_OPT_NO_SYNC:
		a->no_sync = true;
		return 0;
	case BMCTL_OPT_COPY:
		a->copy = true;
		return 0;
	case BMCTL_OPT_PIN:
		a->pin = true;
		return 0;
	case BMCTL_OPT_FILE:
		a->file = val;
		break;
	case BMCTL_OPT_OFFSET:
	case BMCTL_OPT_LENGTH:
		if (bm_parse_size(val, o->id == BMCTL_OPT_OFFSET ? &a->offset :
								  &a->length)) {
			snprintf(msg, sizeof(msg),
				 errno == ERANGE ?
				 "%s '%s': more than 2^64 bytes" :
				 "%s '%s': not a size (use 4096, 4k, 64M or 0x1000)",
				 given, val);
			return usage_error(ctx, a->name, msg);
		}
		if (o->id == BMCTL_OPT_LENGTH && !a->length) {
			snprintf(msg, sizeof(msg), "%s must be at least 1",
				 given);
			return usage_error(ctx, a->name, msg);
		}
		return 0;
	case BMCTL_OPT_BYTE:
		if (parse_uint(val, 0xff, &v)) {
			snprintf(msg, sizeof(msg),
				 "%s '%s': not a byte (0 to 255, or 0x00 to 0xff)",
				 given, val);
			return usage_error(ctx, a->name, msg);
		}
		a->byte = (uint8_t)v;
		break;
	case BMCTL_OPT_SEED:
		if (parse_uint(val, UINT64_MAX, &a->seed)) {
			snprintf(msg, sizeof(msg),
				 "%s '%s': not a seed (a number, decimal or 0x-hexadecimal)",
				 given, val);
			return usage_error(ctx, a->name, msg);
		}
		break;
	default:
		return 0;
	}
	/* the pattern options (long only: given is their name) */
	if (a->pattern_opt && strcmp(a->pattern_opt, given)) {
		snprintf(msg, sizeof(msg),
			 "%s and %s conflict: give one pattern",
			 a->pattern_opt, given);
		return usage_error(ctx, a->name, msg);
	}
	a->pattern_opt = given;
	a->pattern = o->id == BMCTL_OPT_BYTE ? BMCTL_PATTERN_BYTE :
		     o->id == BMCTL_OPT_SEED ? BMCTL_PATTERN_SEED :
					       BMCTL_PATTERN_FILE;
	return 0;
}

/* The options in the order given, then FILE (write and read) */
static int parse_args(struct bmctl_ctx *ctx, struct xfer_args *a,
		      const struct bmctl_args *args)
{
	bool takes_file = a->op == BMCTL_OP_WRITE || a->op == BMCTL_OP_READ;
	char msg[256];
	int k;

	for (k = 0; k < args->nopts; k++)
		if (opt_value(ctx, a, &args->opts[k]))
			return -1;
	if (args->npos && !takes_file) {
		snprintf(msg, sizeof(msg), "unexpected argument '%s'",
			 args->pos[0]);
		return usage_error(ctx, a->name, msg);
	}
	if (args->npos > 1)
		return usage_error(ctx, a->name, "too many arguments");
	if (args->npos)
		a->file = args->pos[0];
	return 0;
}

/* What each command needs beyond what parse_args() checked */
static int check_args(struct bmctl_ctx *ctx, struct xfer_args *a)
{
	bool pattern_cmd = a->op == BMCTL_OP_FILL || a->op == BMCTL_OP_VERIFY;
	char msg[160];

	if (a->common && a->registered)
		return usage_error(ctx, a->name,
				   "--common and --registered conflict: give one buffer path");
	if (a->copy && a->pin)
		return usage_error(ctx, a->name,
				   "--copy and --pin conflict: give one way to move user memory");
	if ((a->copy || a->pin) && (a->common || a->registered)) {
		snprintf(msg, sizeof(msg),
			 "%s and %s conflict: --copy and --pin apply to the user buffer path only",
			 a->copy ? "--copy" : "--pin",
			 a->common ? "--common" : "--registered");
		return usage_error(ctx, a->name, msg);
	}
	if (a->no_sync && !a->registered)
		return usage_error(ctx, a->name,
				   "--no-sync needs --registered: only a registered buffer is synced by its owner");
	if (pattern_cmd && a->pattern == BMCTL_PATTERN_NONE)
		return usage_error(ctx, a->name,
				   a->op == BMCTL_OP_FILL ?
				   "give a pattern: --byte 0xNN or --seed N" :
				   "give what to compare with: --byte 0xNN, --seed N or --file FILE");
	if (!a->length && (a->op == BMCTL_OP_READ ||
			   (pattern_cmd && a->pattern != BMCTL_PATTERN_FILE)))
		return usage_error(ctx, a->name,
				   "--length (-l) is required");
	if (a->length && a->offset + a->length < a->offset)
		return usage_error(ctx, a->name,
				   "offset + length is beyond 2^64");
	if (a->op == BMCTL_OP_READ && ctx->ops == &bmctl_json_ops &&
	    (!a->file || !strcmp(a->file, "-")))
		return usage_error(ctx, a->name,
				   "with --json, stdout carries the JSON: give a FILE");
	if (a->op == BMCTL_OP_WRITE && (!a->file || !strcmp(a->file, "-")) &&
	    isatty(STDIN_FILENO))
		return usage_error(ctx, a->name,
				   "not reading data from a terminal: give a FILE or redirect stdin");
	if (a->op == BMCTL_OP_READ && (!a->file || !strcmp(a->file, "-")) &&
	    isatty(STDOUT_FILENO))
		return usage_error(ctx, a->name,
				   "not writing binary data to a terminal: give a FILE or redirect stdout");
	return 0;
}

/* ---- the input file ---- */

/* Open the file write or verify --file reads, and learn its length */
static int open_input(struct xfer_run *x)
{
	const struct xfer_args *a = x->a;
	const char *file = a->file ? a->file : "-";
	char msg[256];
	struct stat st;

	if (a->op == BMCTL_OP_VERIFY && a->pattern != BMCTL_PATTERN_FILE)
		return 0;
	if (a->op != BMCTL_OP_WRITE && a->op != BMCTL_OP_VERIFY)
		return 0;
	x->rep.file = file;
	if (!strcmp(file, "-")) {
		x->io_fd = STDIN_FILENO;
		x->io_is_std = true;
	} else {
		x->io_fd = open(file, O_RDONLY | O_CLOEXEC);
		if (x->io_fd < 0)
			return bmctl_report(x->ctx, file, errno, NULL, NULL);
	}
	if (fstat(x->io_fd, &st))
		return bmctl_report(x->ctx, file, errno, NULL, NULL);
	if (!S_ISREG(st.st_mode))
		return 0;	/* a pipe or a device: its length is unknown */
	if (!a->length && !st.st_size) {
		snprintf(msg, sizeof(msg), "the file is empty: nothing to %s",
			 a->name);
		return bmctl_report(x->ctx, file, 0, msg, NULL);
	}
	if (a->length && (uint64_t)st.st_size < a->length) {
		char have[BM_SIZE_STR_LEN], want[BM_SIZE_STR_LEN];

		bmctl_human_size((uint64_t)st.st_size, have, sizeof(have));
		bmctl_human_size(a->length, want, sizeof(want));
		snprintf(msg, sizeof(msg), "has %s, less than the %s asked for",
			 have, want);
		return bmctl_report(x->ctx, file, 0, msg, NULL);
	}
	return 0;
}

/* A file's name in messages: "stdin" or "stdout" for "-" */
static const char *file_label(const struct xfer_run *x)
{
	if (strcmp(x->rep.file, "-"))
		return x->rep.file;
	return x->a->op == BMCTL_OP_READ ? "stdout" : "stdin";
}

/* ---- the card ---- */

static int open_card(struct xfer_run *x)
{
	const char *spec = x->a->device;

	x->fd = bm_open_device(spec, O_RDWR, x->card, sizeof(x->card));
	if (x->fd < 0 && !x->card[0]) {
		if (!spec)
			return bmctl_report(x->ctx, NULL, errno,
				    "no busmaster cards found",
				    "is the busmaster module loaded?");
		if (errno == EINVAL)
			return bmctl_report(x->ctx, spec, errno, "not a device",
				    "use /dev/busmasterN, N, or a PCI address such as 0000:00:04.0");
		if (errno == ENODEV)
			return bmctl_report(x->ctx, spec, errno,
				    "no busmaster card has this PCI address",
				    "see 'bmctl list'");
		return bmctl_report(x->ctx, spec, errno, NULL, NULL);
	}
	if (x->fd < 0 || bm_info(x->fd, &x->info))
		return bmctl_report(x->ctx, x->card, errno, NULL,
			    bmctl_errno_hint(errno));
	x->rep.device = x->card;
	x->rep.pci_slot = x->info.pci_slot;
	x->rep.card_model = x->info.card_model;
	return 0;
}

/* The request as the library's error messages want to see it */
static void describe(const struct xfer_run *x, uint64_t len, uint64_t off,
		     struct busmaster_transfer *t)
{
	memset(t, 0, sizeof(*t));
	t->flags = (x->a->op == BMCTL_OP_READ || x->a->op == BMCTL_OP_VERIFY ?
		    BUSMASTER_XFER_FROM_CARD : 0) |
		   (x->a->common ? BUSMASTER_XFER_COMMON : 0) |
		   (x->a->registered ? BUSMASTER_XFER_REGISTERED : 0) |
		   (x->a->no_sync ? BUSMASTER_XFER_NO_SYNC : 0) |
		   (x->a->copy ? BUSMASTER_XFER_COPY : 0) |
		   (x->a->pin ? BUSMASTER_XFER_PIN : 0);
	t->length = len;
	t->card_offset = off;
	t->card_status = x->rep.card_status;
}

/*
 * Set the report's error: "<device>: <cmd> of <length> at card offset
 * <off>: <what> (after <bytes>)". @what NULL: the library's message for
 * @errnum on a request of @len bytes at @off.
 */
static int xfer_fail(struct xfer_run *x, int errnum, const char *what,
		     uint64_t len, uint64_t off)
{
	char libmsg[BM_ERR_STR_LEN], total[BM_SIZE_STR_LEN] = "";
	char done[BM_SIZE_STR_LEN];
	struct busmaster_transfer t;

	if (!what) {
		describe(x, len, off, &t);
		bm_strerror_transfer(errnum, &t, &x->info, libmsg,
				     sizeof(libmsg));
		what = libmsg;
	}
	if (x->known_len)
		bmctl_human_size(x->rep.length, total, sizeof(total));
	bmctl_human_size(x->rep.bytes, done, sizeof(done));
	snprintf(x->msg, sizeof(x->msg),
		 "%s%s%s at card offset 0x%llx: %s%s%s", x->a->name,
		 x->known_len ? " of " : "", x->known_len ? total : "",
		 (unsigned long long)x->a->offset, what,
		 x->rep.bytes ? ", after " : "; nothing moved",
		 x->rep.bytes ? done : "");
	x->err.subject = x->card;
	x->err.errnum = errnum;
	x->err.msg = x->msg;
	x->err.hint = errnum == ENODEV ? bmctl_errno_hint(errnum) : NULL;
	x->rep.error = &x->err;
	return -1;
}

/* Range and alignment against INFO, before any DMA */
static int check_card(struct xfer_run *x)
{
	uint64_t mem = x->info.card_mem_size, off = x->a->offset;
	uint64_t len = x->known_len ? x->rep.length : 0;
	uint64_t align = x->info.alignment;

	if (off > mem || (len && len > mem - off) || (!len && off == mem))
		return xfer_fail(x, ERANGE, NULL, len ? len : 1, off);
	if (align > 1 && (off % align || len % align))
		return xfer_fail(x, EINVAL, NULL, len ? len : align, off);
	/* ABI 3 added BUSMASTER_XFER_COPY and _PIN; older drivers refuse them. */
	if ((x->a->copy || x->a->pin) && x->info.abi_version < 3) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "the driver (ABI %u) cannot be told to copy or pin: %s needs ABI 3",
			 x->info.abi_version, x->a->copy ? "--copy" : "--pin");
		return xfer_fail(x, EINVAL, msg, len ? len : 1, off);
	}
	return 0;
}

/* ---- the chunk buffer: a staging buffer of libbusmaster ---- */

static int alloc_buffers(struct xfer_run *x, uint64_t total)
{
	bool from = x->a->op == BMCTL_OP_READ || x->a->op == BMCTL_OP_VERIFY;
	enum bm_stage_kind kind = x->a->common ? BM_STAGE_COMMON :
				  x->a->registered ? BM_STAGE_REGISTERED :
						     BM_STAGE_USER;
	uint32_t flags = (from && x->a->registered ? BM_STAGE_CARD_WRITES : 0) |
			 (x->a->no_sync ? BM_STAGE_NO_SYNC : 0) |
			 (x->a->copy ? BM_STAGE_COPY : 0) |
			 (x->a->pin ? BM_STAGE_PIN : 0);

	x->stage = bm_stage_open(x->fd, &x->info, kind, flags, total, x->msg,
				 sizeof(x->msg));
	if (!x->stage)
		return bmctl_report(x->ctx, x->card, errno, x->msg,
				    errno == ENOMEM && x->a->registered ?
				    "raise 'ulimit -l', or leave out --registered" :
				    NULL);
	x->buf = bm_stage_buf(x->stage);
	x->chunk = bm_stage_len(x->stage);
	x->rep.buffer_size = x->chunk;
	if (x->a->pattern == BMCTL_PATTERN_FILE) {
		x->ref = malloc(x->chunk);
		if (!x->ref)
			return bmctl_report(x->ctx, NULL, ENOMEM, NULL, NULL);
	}
	return 0;
}

static void free_buffers(struct xfer_run *x)
{
	bm_stage_close(x->stage);
	free(x->ref);
}

/* ---- file I/O ---- */

/* Read up to @len bytes; fewer only at the end of the file */
static ssize_t read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int write_full(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int open_output(struct xfer_run *x)
{
	const char *file = x->a->file ? x->a->file : "-";

	x->rep.file = file;
	if (!strcmp(file, "-")) {
		x->io_fd = STDOUT_FILENO;
		x->io_is_std = true;
		x->rep.data_on_stdout = true;
		return 0;
	}
	x->io_fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (x->io_fd < 0)
		return bmctl_report(x->ctx, file, errno, NULL, NULL);
	return 0;
}

/* ---- progress ---- */

static void progress(struct xfer_run *x, bool final)
{
	char done[BM_SIZE_STR_LEN], total[BM_SIZE_STR_LEN];
	double t = bmctl_now();
	FILE *f = x->ctx->err;

	if (!x->progress)
		return;
	if (final) {
		fputs("\r\033[K", f);
		fflush(f);
		return;
	}
	if (t - x->last_progress < PROGRESS_PERIOD)
		return;
	x->last_progress = t;
	bmctl_human_size(x->rep.bytes, done, sizeof(done));
	if (x->known_len) {
		int pct = (int)(x->rep.bytes * 100 / x->rep.length);
		char bar[21];

		memset(bar, '#', (size_t)pct / 5);
		memset(bar + pct / 5, '.', 20 - (size_t)pct / 5);
		bar[20] = '\0';
		bmctl_human_size(x->rep.length, total, sizeof(total));
		fprintf(f, "\r\033[K%s [%s] %3d%%  %s of %s  %.0f MB/s",
			x->a->name, bar, pct, done, total,
			bmctl_mb_per_s(x->rep.bytes, x->rep.seconds));
	} else {
		fprintf(f, "\r\033[K%s  %s  %.0f MB/s", x->a->name, done,
			bmctl_mb_per_s(x->rep.bytes, x->rep.seconds));
	}
	fflush(f);
}

/* ---- the transfer loop ---- */

/* One request of @n bytes of the chunk buffer at card offset @off */
static int dma(struct xfer_run *x, size_t n, uint64_t off)
{
	bool from = x->a->op == BMCTL_OP_READ || x->a->op == BMCTL_OP_VERIFY;
	struct bm_result res = BM_RESULT_INIT;
	double t0 = bmctl_now();
	int ret, err;

	x->rep.requests++;
	ret = from ? bm_stage_read(x->stage, n, off, &res) :
		     bm_stage_write(x->stage, n, off, &res);
	err = errno;
	x->rep.seconds += bmctl_now() - t0;
	x->rep.transfers += res.transfers;
	if (ret)
		x->rep.card_status = res.card_status;
	x->rep.bytes += ret ? res.bytes_done : n;
	errno = err;
	return ret;
}

/* Compare the chunk just read at card offset @off with what verify wants */
static int compare(struct xfer_run *x, size_t n, uint64_t off)
{
	const struct xfer_args *a = x->a;
	uint64_t bad, first;
	ssize_t got;

	if (a->pattern == BMCTL_PATTERN_FILE) {
		got = read_full(x->io_fd, x->ref, n);
		if (got < 0 || (size_t)got < n)
			return got < 0 ? errno : -1;
		bad = bm_buf_compare(x->buf, x->ref, n, &first);
	} else if (a->pattern == BMCTL_PATTERN_SEED) {
		bad = bm_pattern_check(x->buf, n, a->seed, off, &first);
	} else {
		bad = bm_pattern_check_byte(x->buf, n, a->byte, &first);
	}
	if (bad && !x->rep.mismatches) {
		x->rep.first_mismatch = off + first;
		x->rep.actual = x->buf[first];
		if (a->pattern == BMCTL_PATTERN_FILE)
			x->rep.expected = x->ref[first];
		else if (a->pattern == BMCTL_PATTERN_SEED)
			bm_pattern_fill(&x->rep.expected, 1, a->seed,
					off + first);
		else
			x->rep.expected = a->byte;
	}
	x->rep.mismatches += bad;
	return 0;
}

/*
 * Fill the chunk with what goes to the card: from the input file or the
 * pattern. Returns the bytes to send (0 at the end of the input), or -1
 * after setting the report's error.
 */
static ssize_t produce(struct xfer_run *x, size_t want, uint64_t off)
{
	const struct xfer_args *a = x->a;
	uint64_t align = x->info.alignment ? x->info.alignment : 1;
	char msg[128];
	ssize_t got;

	if (a->op == BMCTL_OP_FILL) {
		if (a->pattern == BMCTL_PATTERN_SEED)
			bm_pattern_fill(x->buf, want, a->seed, off);
		else
			memset(x->buf, a->byte, want);
		return (ssize_t)want;
	}
	got = read_full(x->io_fd, x->buf, want);
	if (got < 0) {
		snprintf(msg, sizeof(msg), "reading %s: %s", file_label(x),
			 strerror(errno));
		return xfer_fail(x, errno, msg, want, off);
	}
	if (x->known_len && (size_t)got < want) {
		snprintf(msg, sizeof(msg), "%s ended early", file_label(x));
		return xfer_fail(x, 0, msg, want, off);
	}
	if (got % align) {
		snprintf(msg, sizeof(msg),
			 "%s ends at a length the card cannot move (it needs %llu-byte multiples)",
			 file_label(x), (unsigned long long)align);
		return xfer_fail(x, EINVAL, msg, want, off);
	}
	if (!got && !x->rep.bytes) {
		snprintf(msg, sizeof(msg), "%s is empty", file_label(x));
		return xfer_fail(x, 0, msg, want, off);
	}
	return got;
}

/* Input left over when the card's memory is full (write from a pipe) */
static int check_leftover(struct xfer_run *x)
{
	char msg[128];
	uint8_t c;
	ssize_t n;

	if (x->a->op != BMCTL_OP_WRITE || x->known_len)
		return 0;
	n = read_full(x->io_fd, &c, 1);
	if (n <= 0)
		return 0;
	snprintf(msg, sizeof(msg),
		 "%s holds more than the card's memory from this offset",
		 file_label(x));
	return xfer_fail(x, 0, msg, x->rep.bytes, x->a->offset);
}

static int run_chunks(struct xfer_run *x)
{
	uint64_t limit = x->info.card_mem_size - x->a->offset, off;
	uint64_t total = x->known_len ? x->rep.length : limit;
	bool to_card = x->a->op == BMCTL_OP_WRITE || x->a->op == BMCTL_OP_FILL;
	ssize_t n;
	size_t want;
	int ret;

	while (x->rep.bytes < total) {
		off = x->a->offset + x->rep.bytes;
		want = total - x->rep.bytes < x->chunk ?
		       (size_t)(total - x->rep.bytes) : x->chunk;
		n = (ssize_t)want;
		if (to_card) {
			n = produce(x, want, off);
			if (n <= 0)
				return (int)n;
		}
		if (dma(x, (size_t)n, off)) {
			char why[BM_ERR_STR_LEN];
			int err = errno;

			bm_stage_strerror(x->stage, err, why, sizeof(why));
			return xfer_fail(x, err, why, (size_t)n, off);
		}
		if (x->a->op == BMCTL_OP_READ &&
		    write_full(x->io_fd, x->buf, (size_t)n)) {
			char msg[128];

			snprintf(msg, sizeof(msg), "writing %s: %s",
				 file_label(x), strerror(errno));
			return xfer_fail(x, errno, msg, (size_t)n, off);
		}
		if (x->a->op == BMCTL_OP_VERIFY) {
			ret = compare(x, (size_t)n, off);
			if (ret) {
				char msg[128];

				snprintf(msg, sizeof(msg), "reading %s: %s",
					 file_label(x), ret < 0 ?
					 "it ended early" : strerror(ret));
				return xfer_fail(x, ret < 0 ? 0 : ret, msg,
						 (size_t)n, off);
			}
		}
		if (!x->known_len)
			x->rep.length = x->rep.bytes;
		progress(x, false);
	}
	return check_leftover(x);
}

/* Everything after the arguments are known good */
static int run(struct xfer_run *x)
{
	const struct xfer_args *a = x->a;
	struct stat st;
	int ret;

	if (open_input(x))
		return -1;
	x->rep.length = a->length;
	x->known_len = a->length != 0;
	if (!x->known_len && x->io_fd >= 0 && !fstat(x->io_fd, &st) &&
	    S_ISREG(st.st_mode)) {
		x->rep.length = (uint64_t)st.st_size;
		x->known_len = true;
	}
	if (a->op == BMCTL_OP_VERIFY && !x->known_len)
		return usage_error(x->ctx, a->name,
				   "--length (-l) is required when --file is not a regular file");
	if (open_card(x))
		return -1;
	if (check_card(x)) {
		x->ctx->ops->transfer(x->ctx, &x->rep);
		return -1;
	}
	if (alloc_buffers(x, x->known_len ? x->rep.length :
			  x->info.card_mem_size - a->offset)) {
		free_buffers(x);
		return -1;
	}
	if (a->op == BMCTL_OP_READ && open_output(x)) {
		free_buffers(x);
		return -1;
	}
	x->progress = x->ctx->ops == &bmctl_text_ops &&
		      isatty(fileno(x->ctx->err)) &&
		      (x->known_len ? x->rep.length : x->info.card_mem_size) >
		      PROGRESS_MIN;
	ret = run_chunks(x);
	progress(x, true);
	free_buffers(x);
	if (!ret && a->op == BMCTL_OP_READ && !x->io_is_std &&
	    close(x->io_fd)) {
		x->io_fd = -1;
		ret = xfer_fail(x, errno, strerror(errno), 0, a->offset);
	}
	x->rep.elapsed = bmctl_now() - x->start;
	x->ctx->ops->transfer(x->ctx, &x->rep);
	if (ret || x->rep.mismatches)
		return -1;
	return 0;
}

int bmctl_xfer_cmd(struct bmctl_ctx *ctx, enum bmctl_xfer_op op,
		   const struct bmctl_args *args)
{
	struct xfer_args a = { .op = op, .name = args->name };
	struct xfer_run x = {
		.ctx = ctx,
		.a = &a,
		.fd = -1,
		.io_fd = -1,
		.start = bmctl_now(),
	};
	int ret;

	if (parse_args(ctx, &a, args) || check_args(ctx, &a))
		return -1;
	x.rep.op = op;
	x.rep.common = a.common;
	x.rep.registered = a.registered;
	x.rep.no_sync = a.no_sync;
	x.rep.user_path = a.copy ? BMCTL_USER_COPY :
			  a.pin ? BMCTL_USER_PIN : BMCTL_USER_DRIVER;
	x.rep.offset = a.offset;
	x.rep.pattern = a.pattern;
	x.rep.byte = a.byte;
	x.rep.seed = a.seed;
	x.rep.pci_slot = "";
	ret = run(&x);
	if (x.fd >= 0)
		close(x.fd);
	if (x.io_fd >= 0 && !x.io_is_std)
		close(x.io_fd);
	return ret;
}
