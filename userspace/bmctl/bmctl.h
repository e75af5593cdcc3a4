/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bmctl: shared definitions of the command table and the output backends.
 */
#ifndef BMCTL_H
#define BMCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "libbusmaster.h"

#ifndef BMCTL_VERSION
#define BMCTL_VERSION "unknown"
#endif

struct bmctl_ctx;

/*
 * Every option bmctl knows, as getopt_long(3) returns it: the global ones
 * (any command, before or after it), then those some commands take.
 */
enum bmctl_opt_id {
	BMCTL_OPT_JSON = 'j',
	BMCTL_OPT_HELP = 'h',
	BMCTL_OPT_VERSION = 'V',
	BMCTL_OPT_DEVICE = 'd',
	BMCTL_OPT_OFFSET = 'o',
	BMCTL_OPT_LENGTH = 'l',
	BMCTL_OPT_COMMON = 256,
	BMCTL_OPT_REGISTERED,
	BMCTL_OPT_NO_SYNC,
	BMCTL_OPT_BYTE,
	BMCTL_OPT_SEED,
	BMCTL_OPT_FILE,
	BMCTL_OPT_DEPTH,
	BMCTL_OPT_SIZE,
	BMCTL_OPT_DIRECTION,
	BMCTL_OPT_COPY,
	BMCTL_OPT_PIN,
};

/**
 * struct bmctl_optarg - one option of a command, as given
 * @id: enum bmctl_opt_id
 * @given: its name as typed, for messages: "-l" or "--length"
 * @val: its value, or NULL
 */
struct bmctl_optarg {
	int id;
	const char *given;
	const char *val;
};

/**
 * struct bmctl_args - a command's arguments, parsed by getopt_long(3)
 * @name: the command word
 * @opts: its options (not the global ones), in the order given
 * @nopts: how many
 * @pos: its other arguments, in order
 * @npos: how many
 */
struct bmctl_args {
	const char *name;
	const struct bmctl_optarg *opts;
	int nopts;
	char **pos;
	int npos;
};

/**
 * struct bmctl_cmd - one entry of the command table
 * @name: the command word
 * @args: its arguments, for the usage line ("[DEVICE]")
 * @help: one line for "bmctl help"
 * @details: more lines for "bmctl help <name>", or NULL
 * @opts: the options it takes besides the global ones, 0-terminated
 * @fn: the handler. Returns 0, or -1 after reporting the failure through
 *	the context's print ops.
 */
struct bmctl_cmd {
	const char *name;
	const char *args;
	const char *help;
	const char *details;
	const int *opts;
	int (*fn)(struct bmctl_ctx *ctx, const struct bmctl_args *a);
};

/**
 * struct bmctl_opt - one global option (before or after the command)
 * @name: long form, "--json"
 * @short_name: short form, "-j", or NULL
 * @help: one line for help
 */
struct bmctl_opt {
	const char *name;
	const char *short_name;
	const char *help;
};

/**
 * struct bmctl_card - what was learnt about one card
 * @path: its node
 * @err: 0, or the errno of opening it or asking INFO
 * @info: its INFO when @err is 0
 * @stats: its statistics (bmctl stats) when @err is 0
 * @has_copy_stats: the driver counts the requests it copied (ABI 3 on)
 * @copy: those counts, with @has_copy_stats
 * @has_counters: the card counts itself (not edu)
 * @counters: its counts, with @has_counters
 */
struct bmctl_card {
	char path[PATH_MAX];
	int err;
	struct busmaster_info info;
	struct bm_card_stats stats;
	bool has_copy_stats;
	struct bm_copy_stats copy;
	bool has_counters;
	struct bm_card_counters counters;
};

/**
 * struct bmctl_stat - one field of struct bm_card_stats, for every backend
 * @key: JSON key, the sysfs file's name (stable)
 * @label: for a person
 * @offset: offsetof() the field
 * @bytes: a byte count (a person also gets it in KiB, MiB ...)
 */
struct bmctl_stat {
	const char *key;
	const char *label;
	size_t offset;
	bool bytes;
};

/* Every statistic, in the order they are shown */
extern const struct bmctl_stat bmctl_stats[];
extern const size_t bmctl_nstats;

/**
 * struct bmctl_error - a failure, for a person or a script
 * @subject: what failed (a device path, a command, an option), or NULL
 * @errnum: the errno, or 0 for a usage error
 * @msg: what went wrong, or NULL for strerror(@errnum)
 * @hint: what to check next, or NULL
 */
struct bmctl_error {
	const char *subject;
	int errnum;
	const char *msg;
	const char *hint;
};

/* The transfer commands */
enum bmctl_xfer_op {
	BMCTL_OP_WRITE,		/* file -> card */
	BMCTL_OP_READ,		/* card -> file */
	BMCTL_OP_FILL,		/* pattern -> card */
	BMCTL_OP_VERIFY,	/* card, compared with a pattern or a file */
};

/* What fill writes and verify compares with */
enum bmctl_pattern {
	BMCTL_PATTERN_NONE,
	BMCTL_PATTERN_BYTE,	/* one byte value everywhere */
	BMCTL_PATTERN_SEED,	/* bm_pattern_fill() of a seed */
	BMCTL_PATTERN_FILE,	/* the bytes of a file (verify) */
};

/* How the user buffer path moves user memory (--copy, --pin) */
enum bmctl_user_path {
	BMCTL_USER_DRIVER,	/* the driver chooses: copies up to copy_max */
	BMCTL_USER_COPY,	/* --copy: BUSMASTER_XFER_COPY */
	BMCTL_USER_PIN,		/* --pin: BUSMASTER_XFER_PIN */
};

/**
 * struct bmctl_xfer_report - the outcome of write, read, fill or verify,
 * also when it failed
 * @op: which command
 * @device: the card's node
 * @pci_slot: its PCI address ("" if unknown)
 * @common: moved through a common buffer, not the user buffer path
 * @registered: moved through one registered buffer (REGISTER once, then
 *	TRANSFER with BUSMASTER_XFER_REGISTERED per chunk)
 * @no_sync: with @registered, BUSMASTER_XFER_NO_SYNC and explicit SYNCs
 * @user_path: neither @common nor @registered: what was asked of the
 *	driver, to copy, to pin, or neither
 * @buffer_size: bytes of the chunk buffer (user, common or registered)
 * @requests: TRANSFER requests issued (one per chunk)
 * @offset: card offset of the first byte
 * @length: bytes asked for (for stdin without a length: bytes read)
 * @bytes: bytes moved (verify: read back and compared)
 * @transfers: card transfers, summed over every request
 * @seconds: time spent in the transfer requests
 * @elapsed: time of the whole command
 * @file: the file written or read ("-": stdin or stdout), or NULL
 * @data_on_stdout: stdout carries the data (read to "-"): a person's
 *	summary goes to stderr
 * @pattern: fill's or verify's pattern
 * @byte: its byte (BMCTL_PATTERN_BYTE)
 * @seed: its seed (BMCTL_PATTERN_SEED)
 * @mismatches: verify: bytes that differ
 * @first_mismatch: verify: card offset of the first differing byte
 * @expected: verify: the byte expected there
 * @actual: verify: the byte the card had
 * @card_status: the card's completion code of a failed request, or 0
 * @card_model: enum busmaster_card_model, to name @card_status
 * @error: the failure, or NULL on success
 */
struct bmctl_xfer_report {
	enum bmctl_xfer_op op;
	const char *device;
	const char *pci_slot;
	bool common;
	bool registered;
	bool no_sync;
	enum bmctl_user_path user_path;
	uint64_t buffer_size;
	uint64_t requests;
	uint64_t offset;
	uint64_t length;
	uint64_t bytes;
	uint64_t transfers;
	double seconds;
	double elapsed;
	const char *file;
	bool data_on_stdout;
	enum bmctl_pattern pattern;
	uint8_t byte;
	uint64_t seed;
	uint64_t mismatches;
	uint64_t first_mismatch;
	uint8_t expected;
	uint8_t actual;
	uint32_t card_status;
	uint32_t card_model;
	const struct bmctl_error *error;
};

/**
 * struct bmctl_stream_report - the outcome of bmctl stream, also when it
 * failed
 * @device: the card's node (or what -d said, before it was opened)
 * @pci_slot: its PCI address ("" if unknown)
 * @to_card: requests memory -> card ran
 * @from_card: requests card -> memory ran
 * @registered: --registered: one registered buffer per direction
 * @depth: requests in flight per direction
 * @size: bytes per request
 * @total: bytes to move per direction
 * @offset: card offset of the range the requests cycle through
 * @requests: requests submitted
 * @bytes_to_card: bytes moved memory -> card
 * @bytes_from_card: bytes moved card -> memory
 * @transfers: card transfers, summed over the requests
 * @seconds: from the first SUBMIT to the last completion
 * @card_status: the card's code for a failed request, or 0
 * @card_model: enum busmaster_card_model, to name @card_status
 * @err: @error's storage
 * @msg: @err's message
 * @error: the failure, or NULL
 */
struct bmctl_stream_report {
	const char *device;
	const char *pci_slot;
	bool to_card;
	bool from_card;
	bool registered;
	uint32_t depth;
	uint64_t size;
	uint64_t total;
	uint64_t offset;
	uint64_t requests;
	uint64_t bytes_to_card;
	uint64_t bytes_from_card;
	uint64_t transfers;
	double seconds;
	uint32_t card_status;
	uint32_t card_model;
	struct bmctl_error err;
	char msg[BM_ERR_STR_LEN + 128];
	const struct bmctl_error *error;
};

/**
 * struct bmctl_print_ops - one output backend
 *
 * Each command calls exactly one of these once, errors included, so each
 * run prints one complete document (one JSON value with --json).
 */
struct bmctl_print_ops {
	void (*list)(struct bmctl_ctx *ctx, const struct bmctl_card *cards,
		     size_t n);
	void (*info)(struct bmctl_ctx *ctx, const struct bmctl_card *card);
	void (*stats)(struct bmctl_ctx *ctx, const struct bmctl_card *card);
	/* @cmd NULL: general help */
	void (*help)(struct bmctl_ctx *ctx, const struct bmctl_cmd *cmd);
	void (*version)(struct bmctl_ctx *ctx);
	/* write, read, fill and verify, on success and on failure */
	void (*transfer)(struct bmctl_ctx *ctx,
			 const struct bmctl_xfer_report *r);
	/* stream, on success and on failure */
	void (*stream)(struct bmctl_ctx *ctx,
		       const struct bmctl_stream_report *r);
	void (*error)(struct bmctl_ctx *ctx, const struct bmctl_error *e);
};

/**
 * struct bmctl_ctx - one run of bmctl
 * @ops: the output backend
 * @out: where results go (stdout)
 * @err: where a person's errors and notes go (stderr)
 * @cmds: the command table, for help
 * @ncmds: its length
 * @opts: the global options, for help
 * @nopts: their number
 */
struct bmctl_ctx {
	const struct bmctl_print_ops *ops;
	FILE *out;
	FILE *err;
	const struct bmctl_cmd *cmds;
	size_t ncmds;
	const struct bmctl_opt *opts;
	size_t nopts;
};

/* How a field of struct busmaster_info is shown */
enum bmctl_field_kind {
	BMCTL_FIELD_UINT,	/* a count */
	BMCTL_FIELD_HEX,	/* an ID: 0x1234 for a person */
	BMCTL_FIELD_STR,	/* a NUL-terminated char array */
	BMCTL_FIELD_BITS,	/* an address width */
	BMCTL_FIELD_BYTES,	/* a size: "4096 bytes (4 KiB)" for a person */
	BMCTL_FIELD_ENUM,	/* a value with a name: also <key>_name in JSON */
	BMCTL_FIELD_CAPS,	/* BUSMASTER_CAP_* bits: also caps_names */
};

/**
 * struct bmctl_field - one field of struct busmaster_info, described once
 * for every backend
 * @key: JSON key, the field's name in <linux/busmaster.h> (stable)
 * @label: for a person, with the NT name where there is one
 * @kind: how it is shown
 * @offset: offsetof() the field
 * @len: sizeof() the field
 * @hex_digits: digits of a BMCTL_FIELD_HEX value
 * @name: names a BMCTL_FIELD_ENUM value (NULL: unknown)
 */
struct bmctl_field {
	const char *key;
	const char *label;
	enum bmctl_field_kind kind;
	size_t offset;
	size_t len;
	int hex_digits;
	const char *(*name)(uint32_t v);
};

/* Every output field of INFO, in the order they are shown */
extern const struct bmctl_field bmctl_info_fields[];
extern const size_t bmctl_info_nfields;

/* The value of a numeric field (any width up to 64 bits) */
unsigned long long bmctl_field_uint(const struct busmaster_info *info,
				    const struct bmctl_field *f);
/* The value of a BMCTL_FIELD_STR field */
const char *bmctl_field_str(const struct busmaster_info *info,
			    const struct bmctl_field *f);

extern const struct bmctl_print_ops bmctl_text_ops;
extern const struct bmctl_print_ops bmctl_json_ops;

/* "subject: message (hint)", the text of an error without "bmctl: " */
void bmctl_error_text(const struct bmctl_error *e, char *buf, size_t len);
/* Print an error through the output backend; returns -1 for "return report(...)". */
int bmctl_report(struct bmctl_ctx *ctx, const char *subject, int errnum,
		 const char *msg, const char *hint);

/* What to check after @errnum on a card, or NULL */
const char *bmctl_errno_hint(int errnum);

/* The command word of @op: "write" */
const char *bmctl_op_name(enum bmctl_xfer_op op);

/* Seconds on CLOCK_MONOTONIC, for durations */
double bmctl_now(void);

/* MB/s (10^6 bytes per second) of @bytes in @seconds; 0 for no time */
double bmctl_mb_per_s(uint64_t bytes, double seconds);

/* A byte count for a person: "4095 bytes", "64 MiB", "1.5 MiB" */
void bmctl_human_size(uint64_t v, char *buf, size_t len);

/*
 * Run a transfer command: check its options, move the bytes, report once
 * through the print ops. Returns 0 or -1.
 */
int bmctl_xfer_cmd(struct bmctl_ctx *ctx, enum bmctl_xfer_op op,
		   const struct bmctl_args *a);

/* bmctl stream (stream.c): 0, or -1 once reported */
int bmctl_stream_cmd(struct bmctl_ctx *ctx, const struct bmctl_args *a);

/* "see 'bmctl help NAME'" as a command's usage errors say it */
int bmctl_usage_error(struct bmctl_ctx *ctx, const char *name,
		      const char *msg);

/* Usage line of @cmd: "bmctl info [DEVICE]" */
void bmctl_usage_line(FILE *f, const struct bmctl_cmd *cmd);

#endif /* BMCTL_H */
