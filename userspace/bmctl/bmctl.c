// SPDX-License-Identifier: GPL-2.0-only
/*
 * bmctl: show and drive busmaster DMA cards from the command line.
 *
 * One table lists the commands; it feeds both dispatch and help. Every
 * command reports its result, or its failure, through one call of the
 * print ops, so --json output is one JSON value whatever happens. The exit
 * status is 0 on success and 1 on any failure, never an errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bmctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DEVICE_DETAILS							\
	"DEVICE is a card's node (/dev/busmaster0), its index (0) or node\n" \
	"name (busmaster0), or its PCI address (0000:00:04.0 or 00:04.0).\n" \
	"Without DEVICE, the first card. '-d DEVICE' (--device), as the\n" \
	"transfer commands take it, works too.\n"

#define STATS_DETAILS							\
	DEVICE_DETAILS							\
	"\nTotals since the card was probed -- bytes and card transfers\n" \
	"each way, bytes bounced, requests, failed requests, timeouts,\n" \
	"card resets -- and what it holds now: requests in flight, pages\n" \
	"pinned; from a driver of ABI 3 on, also the requests of user\n" \
	"memory it copied rather than pinned, and their bytes. Read from\n" \
	"/sys/class/misc/busmasterN/statistics/\n"			\
	"(docs/ABI/sysfs-class-misc-busmaster); with --json, one object\n" \
	"keyed by those files' names (an older driver has no\n"		\
	"requests_copied and bytes_copied: they are left out).\n"

#define LIST_DETAILS							\
	"One line per card: node, PCI address, model, DMA mask width,\n"	\
	"scatter/gather or not, bounce strategy. With --json, an array of\n" \
	"objects with every INFO field, as 'bmctl info' shows them.\n"

#define XFER_COMMON_DETAILS						\
	"  -d, --device DEV    the card: a node (/dev/busmaster0), index (0),\n" \
	"                      node name or PCI address; default: the first\n" \
	"  -o, --offset OFF    card offset of the first byte (default 0)\n"	\
	"  --copy              the driver copies every request through its\n" \
	"                      kernel buffer (BUSMASTER_XFER_COPY), however\n" \
	"                      large\n"						\
	"  --pin               the driver pins and maps the user buffer for\n" \
	"                      every request (BUSMASTER_XFER_PIN), however\n" \
	"                      small\n"						\
	"  --common            move through a common buffer (COMMON_ALLOC,\n" \
	"                      mmap) instead of the user buffer\n"		\
	"  --registered        register one staging buffer (REGISTER: pinned,\n" \
	"                      charged to ulimit -l, and mapped once) and\n" \
	"                      move every chunk through it\n"		\
	"  --no-sync           with --registered: the transfers do not sync;\n" \
	"                      bmctl calls SYNC around each chunk itself\n" \
	"Sizes and offsets: 4096, 4k, 64M, 1G, 0x1000 (k, M, G are 1024^n).\n" \
	"The card's alignment (bmctl info) applies to offset and length.\n"	\
	"--common and --registered exclude each other; --copy and --pin\n"	\
	"exclude each other and both of those. Without --copy or --pin the\n" \
	"driver chooses: it copies requests up to its copy_max (64 KiB\n"	\
	"unless set) and pins larger ones; --copy and --pin need a driver\n" \
	"of ABI 3 or later.\n"						\
	"Requests go in chunks of up to 4 MiB; a progress bar shows on a\n"	\
	"terminal for more than 1 MiB. The summary names bytes, card\n"	\
	"transfers and MB/s (10^6 bytes/s in the transfer requests); --json\n" \
	"gives bytes, transfers, seconds, mb_per_s, device, offset,\n"	\
	"direction, buffer (user, common or registered), buffer_size,\n" \
	"requests, and with buffer user, user_path (copy, pin, or driver:\n" \
	"the driver's choice). A failure names the bytes moved before it\n" \
	"and why, in words: the card failed a segment (its status code\n"	\
	"named), a timeout stopped the channel, another request's timeout\n" \
	"reset the card (retry), no bounce space, memory the card may not\n" \
	"write.\n"							\
	"Card memory is shared: every user of the card can read and\n"	\
	"overwrite what you put there (uapi/linux/busmaster.h).\n"

#define WRITE_DETAILS							\
	"Copy FILE (default, or -: stdin) to the card's memory.\n\n"	\
	"  -l, --length LEN    bytes to write (default: the file's size;\n" \
	"                      stdin: all of it, up to the card's memory)\n" \
	XFER_COMMON_DETAILS						\
	"\nExamples:\n"							\
	"  bmctl write firmware.bin\n"					\
	"  bmctl write -d 1 -o 64k -l 4k image.bin\n"			\
	"  head -c 1M /dev/urandom | bmctl write --common -d 0000:00:05.0\n" \
	"  bmctl write --registered -o 1M disk.img\n"			\
	"  bmctl write --pin -o 4k small.bin\n"

#define READ_DETAILS							\
	"Copy LEN bytes of the card's memory to FILE (default, or -:\n"	\
	"stdout; not a terminal, and not with --json).\n\n"		\
	"  -l, --length LEN    bytes to read (required)\n"			\
	XFER_COMMON_DETAILS						\
	"\nExamples:\n"							\
	"  bmctl read -l 1M dump.bin\n"					\
	"  bmctl read -d /dev/busmaster1 -o 0x1000 -l 4k - | xxd | head\n" \
	"  bmctl read --registered -l 16M dump.bin\n"			\
	"  bmctl read --copy -l 1M dump.bin\n"

#define PATTERN_DETAILS							\
	"  -l, --length LEN    bytes (required)\n"				\
	"  --byte 0xNN         every byte is NN\n"				\
	"  --seed N            a pseudo-random pattern keyed by N and the\n" \
	"                      card offset (bm_pattern_fill()), so any part\n" \
	"                      can be checked on its own\n"

#define FILL_DETAILS							\
	"Write a pattern to the card's memory: one of --byte or --seed.\n\n" \
	PATTERN_DETAILS							\
	XFER_COMMON_DETAILS						\
	"\nExamples:\n"							\
	"  bmctl fill -l 1M --byte 0\n"					\
	"  bmctl fill -d 0 -o 4k -l 64k --seed 42 --common\n"		\
	"  bmctl fill -l 16M --seed 3 --registered --no-sync\n"

#define VERIFY_DETAILS							\
	"Read the card's memory back and compare it with a pattern or a\n" \
	"file: one of --byte, --seed or --file. On a mismatch, names the\n" \
	"first differing card offset and the number of differing bytes,\n" \
	"and exits 1.\n\n"						\
	PATTERN_DETAILS							\
	"  --file FILE         the bytes of FILE (length: -l, or the file's\n" \
	"                      size)\n"					\
	XFER_COMMON_DETAILS						\
	"\nExamples:\n"							\
	"  bmctl fill -l 1M --seed 7 && bmctl verify -l 1M --seed 7\n"	\
	"  bmctl verify -o 4k -l 64k --seed 42 --common\n"		\
	"  bmctl verify --file firmware.bin\n"				\
	"  bmctl verify -l 16M --seed 3 --registered\n"

#define STREAM_DETAILS							\
	"Keep many requests in flight from one thread (SUBMIT, REAP):\n"	\
	"DEPTH requests of SIZE bytes each way, one submitted as each\n"	\
	"completes, until LEN bytes moved each way. The requests cycle\n"	\
	"through the card range from OFF (DEPTH x SIZE, or to the end of\n" \
	"card memory); the data is a pattern, not kept or checked.\n\n"	\
	"  -d, --device DEV    the card (default: the first)\n"		\
	"  --direction DIR     to, from or both (at once); default to\n"	\
	"  --depth N           requests in flight each way, 1 to 512\n"	\
	"                      (default 8; never more than LEN needs)\n"	\
	"  --size SIZE         bytes per request (default 256k, or the\n"	\
	"                      card's memory if smaller)\n"		\
	"  -l, --length LEN    bytes to move each way (default 64M)\n"	\
	"  -o, --offset OFF    where the card range starts (default 0)\n"	\
	"  --registered        one registered buffer each way (pinned and\n" \
	"                      mapped once); else user memory, pinned per\n" \
	"                      request while it is in flight\n"		\
	"\n"								\
	"Either way DEPTH x SIZE each way is pinned memory, which ulimit -l\n" \
	"must allow (without CAP_IPC_LOCK): checked before anything moves.\n" \
	"A failure stops the submitting; what is in flight is reaped first,\n" \
	"so the bytes reported are those that moved. On a terminal a\n"	\
	"progress line shows on stderr. The summary gives bytes, requests,\n" \
	"card transfers and MB/s (10^6 bytes/s); --json gives command,\n"	\
	"device, pci_slot, direction (to_card, from_card, both), buffer,\n" \
	"depth, size, length, offset, requests, bytes_to_card,\n"		\
	"bytes_from_card, transfers, seconds, mb_per_s, and on failure\n"	\
	"error, card_status and card_status_name.\n"			\
	"\nExamples:\n"							\
	"  bmctl stream --depth 64 --size 64k -l 256M\n"			\
	"  bmctl stream --direction both --registered --json\n"

#define HELP_DETAILS							\
	"Without COMMAND, the commands and global options. With COMMAND,\n" \
	"its usage, options and examples; on a terminal, its entry in the\n" \
	"manual, bmctl(1), when man(1) has it (the text here otherwise).\n"

/* The options a command takes besides the global ones */
#define OPTS(...) ((const int[]){ __VA_ARGS__, 0 })
#define XFER_OPTS BMCTL_OPT_DEVICE, BMCTL_OPT_OFFSET, BMCTL_OPT_LENGTH, \
	BMCTL_OPT_COMMON, BMCTL_OPT_REGISTERED, BMCTL_OPT_NO_SYNC,	\
	BMCTL_OPT_COPY, BMCTL_OPT_PIN

/*
 * The command table: ENTRY(name, args, help, details, options, handler).
 * Later commands are one line each here.
 */
#define BMCTL_COMMANDS(ENTRY)						\
	ENTRY("list", "", "list the busmaster cards, one line each",	\
	      LIST_DETAILS, OPTS(0), cmd_list)				\
	ENTRY("info", "[DEVICE]",					\
	      "show a card's adapter description (every INFO field)",	\
	      DEVICE_DETAILS, OPTS(BMCTL_OPT_DEVICE), cmd_info)		\
	ENTRY("stats", "[DEVICE]",					\
	      "show a card's statistics (bytes, transfers, errors)",	\
	      STATS_DETAILS, OPTS(BMCTL_OPT_DEVICE), cmd_stats)		\
	ENTRY("write", "[OPTIONS] [FILE|-]",				\
	      "copy a file or stdin to card memory", WRITE_DETAILS,	\
	      OPTS(XFER_OPTS), cmd_write)					\
	ENTRY("read", "[OPTIONS] -l LEN [FILE|-]",			\
	      "copy card memory to a file or stdout", READ_DETAILS,	\
	      OPTS(XFER_OPTS), cmd_read)					\
	ENTRY("fill", "[OPTIONS] -l LEN (--byte B|--seed N)",		\
	      "write a pattern to card memory", FILL_DETAILS,		\
	      OPTS(XFER_OPTS, BMCTL_OPT_BYTE, BMCTL_OPT_SEED), cmd_fill)	\
	ENTRY("verify", "[OPTIONS] -l LEN (--byte B|--seed N|--file F)", \
	      "compare card memory with a pattern or file",		\
	      VERIFY_DETAILS, OPTS(XFER_OPTS, BMCTL_OPT_BYTE,		\
				   BMCTL_OPT_SEED, BMCTL_OPT_FILE),	\
	      cmd_verify)							\
	ENTRY("stream", "[OPTIONS]",					\
	      "keep many requests in flight; report the throughput",	\
	      STREAM_DETAILS, OPTS(BMCTL_OPT_DEVICE, BMCTL_OPT_OFFSET,	\
				   BMCTL_OPT_LENGTH, BMCTL_OPT_REGISTERED, \
				   BMCTL_OPT_DEPTH, BMCTL_OPT_SIZE,	\
				   BMCTL_OPT_DIRECTION), cmd_stream)	\
	ENTRY("help", "[COMMAND]",					\
	      "show help for bmctl, or a command's entry in bmctl(1)",	\
	      HELP_DETAILS, OPTS(0), cmd_help)

#define CMD_DECLARE(name, args, help, details, opts, fn)		\
	static int fn(struct bmctl_ctx *ctx, const struct bmctl_args *a);
#define CMD_ENTRY(name, args, help, details, opts, fn)			\
	{ name, args, help, details, opts, fn },

BMCTL_COMMANDS(CMD_DECLARE)

static const struct bmctl_cmd commands[] = {
	BMCTL_COMMANDS(CMD_ENTRY)
};

/* The global options, for help */
static const struct bmctl_opt options[] = {
	{ "--json", "-j", "print JSON, errors included" },
	{ "--help", "-h", "show help (of the command, if any)" },
	{ "--version", "-V", "show the versions of bmctl, its library and ABI" },
};

/* Every option, for getopt_long(3); ':' first: a missing value says so */
static const char short_opts[] = ":jhVd:o:l:";
static const struct option long_opts[] = {
	{ "json", no_argument, NULL, BMCTL_OPT_JSON },
	{ "help", no_argument, NULL, BMCTL_OPT_HELP },
	{ "version", no_argument, NULL, BMCTL_OPT_VERSION },
	{ "device", required_argument, NULL, BMCTL_OPT_DEVICE },
	{ "offset", required_argument, NULL, BMCTL_OPT_OFFSET },
	{ "length", required_argument, NULL, BMCTL_OPT_LENGTH },
	{ "common", no_argument, NULL, BMCTL_OPT_COMMON },
	{ "registered", no_argument, NULL, BMCTL_OPT_REGISTERED },
	{ "no-sync", no_argument, NULL, BMCTL_OPT_NO_SYNC },
	{ "copy", no_argument, NULL, BMCTL_OPT_COPY },
	{ "pin", no_argument, NULL, BMCTL_OPT_PIN },
	{ "byte", required_argument, NULL, BMCTL_OPT_BYTE },
	{ "seed", required_argument, NULL, BMCTL_OPT_SEED },
	{ "file", required_argument, NULL, BMCTL_OPT_FILE },
	{ "depth", required_argument, NULL, BMCTL_OPT_DEPTH },
	{ "size", required_argument, NULL, BMCTL_OPT_SIZE },
	{ "direction", required_argument, NULL, BMCTL_OPT_DIRECTION },
	{ NULL, 0, NULL, 0 },
};

/**
 * struct bmctl_line - the command line, parsed
 * @json: --json
 * @help: --help
 * @version: --version
 * @cmd: the command, or NULL
 * @args: its arguments
 * @opts: room for its options
 * @names: their names as typed
 * @bad: the first usage error, reported once the output backend is known
 *	(--json may come after it), or "" for none
 * @bad_subject: the command it concerns, or NULL (before the command)
 */
struct bmctl_line {
	bool json;
	bool help;
	bool version;
	const struct bmctl_cmd *cmd;
	struct bmctl_args args;
	struct bmctl_optarg opts[64];
	char names[64][32];
	char bad[160];
	const char *bad_subject;
};

static const struct bmctl_cmd *find_command(const char *name)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(commands); k++)
		if (!strcmp(name, commands[k].name))
			return &commands[k];
	return NULL;
}

static bool takes(const struct bmctl_cmd *cmd, int id)
{
	const int *o;

	for (o = cmd ? cmd->opts : NULL; o && *o; o++)
		if (*o == id)
			return true;
	return false;
}

/* The option getopt_long() just returned, as typed: "-l" or "--length" */
static const char *given(char **argv, int longindex, int id, char *buf,
			 size_t len)
{
	if (longindex >= 0)
		snprintf(buf, len, "--%s", long_opts[longindex].name);
	else if (id > 0 && id < 256)
		snprintf(buf, len, "-%c", id);
	else	/* an unknown or misused long option: the argument itself */
		snprintf(buf, len, "%s", argv[optind - 1]);
	return buf;
}

static void bad_usage(struct bmctl_line *l, const char *subject,
		      const char *fmt, const char *arg)
{
	if (l->bad[0])
		return;
	snprintf(l->bad, sizeof(l->bad), fmt, arg);
	l->bad_subject = subject;
}

/*
 * One getopt_long() pass over @argv (@argv[0] is skipped): global options
 * anywhere, and the options @cmd takes. @before: the options before the
 * command, up to the first argument that is none.
 */
static void parse_options(struct bmctl_line *l, const struct bmctl_cmd *cmd,
			  bool before, int argc, char **argv)
{
	const char *subject = before ? NULL : argv[0];
	int id, li;

	optind = 0;	/* glibc: start afresh, on this argv */
	opterr = 0;
	for (;;) {
		char buf[32];
		const char *g;

		li = -1;
		id = getopt_long(argc, argv, before ? "+:jhV" : short_opts,
				 long_opts, &li);
		if (id == -1)
			break;
		if (id == '?' || id == ':') {
			g = strncmp(argv[optind - 1], "--", 2) ?
			    given(argv, -1, optopt, buf, sizeof(buf)) :
			    argv[optind - 1];
			bad_usage(l, subject, id == ':' ?
				  "option '%s' needs a value" :
				  "unknown option '%s'", g);
			continue;
		}
		if (id == BMCTL_OPT_JSON || id == BMCTL_OPT_HELP ||
		    id == BMCTL_OPT_VERSION) {
			l->json |= id == BMCTL_OPT_JSON;
			l->help |= id == BMCTL_OPT_HELP;
			l->version |= id == BMCTL_OPT_VERSION;
			continue;
		}
		g = given(argv, li, id, buf, sizeof(buf));
		if (!takes(cmd, id)) {
			bad_usage(l, subject, "unknown option '%s'", g);
			continue;
		}
		if (l->args.nopts == (int)ARRAY_SIZE(l->opts)) {
			bad_usage(l, subject, "too many options%s", "");
			continue;
		}
		snprintf(l->names[l->args.nopts], sizeof(l->names[0]), "%s", g);
		l->opts[l->args.nopts] = (struct bmctl_optarg){
			.id = id,
			.given = l->names[l->args.nopts],
			.val = optarg,
		};
		l->args.nopts++;
	}
}

/* The whole command line: global options, the command, its arguments */
static void parse_line(struct bmctl_line *l, int argc, char **argv)
{
	parse_options(l, NULL, true, argc, argv);
	if (optind == argc)
		return;
	argv += optind;
	argc -= optind;
	l->args.name = argv[0];
	l->cmd = find_command(argv[0]);
	if (!l->cmd)	/* said once --json is known, which may come after */
		bad_usage(l, NULL, "unknown command '%s'", argv[0]);
	parse_options(l, l->cmd, false, argc, argv);
	l->args.opts = l->opts;
	l->args.pos = argv + optind;
	l->args.npos = argc - optind;
}

static int unknown(struct bmctl_ctx *ctx, const char *subject,
		   const char *what, const char *arg)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "unknown %s '%s'", what, arg);
	return bmctl_report(ctx, subject, 0, msg, "see 'bmctl help'");
}

/* At most @max arguments besides the options */
static int positional(struct bmctl_ctx *ctx, const struct bmctl_args *a,
		      int max)
{
	if (a->npos > max)
		return bmctl_report(ctx, a->name, 0, "too many arguments",
				    "see 'bmctl help'");
	return 0;
}

/* Open the card at card->path (already set) and ask its INFO */
static void probe_card(struct bmctl_card *card)
{
	int fd;

	fd = bm_open_path(card->path, O_RDONLY);
	if (fd < 0) {
		card->err = errno;
		return;
	}
	if (bm_info(fd, &card->info))
		card->err = errno;
	close(fd);
}

static int cmd_list(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	struct bmctl_card *cards;
	int *idx, ret = 0;
	size_t n, k;

	if (positional(ctx, a, 0))
		return -1;
	if (bm_list(&idx, &n))
		return bmctl_report(ctx, BM_DEV_DIR, errno, NULL, NULL);
	cards = calloc(n ? n : 1, sizeof(*cards));
	if (!cards) {
		free(idx);
		return bmctl_report(ctx, NULL, ENOMEM, NULL, NULL);
	}
	for (k = 0; k < n; k++) {
		bm_dev_path(idx[k], cards[k].path, sizeof(cards[k].path));
		probe_card(&cards[k]);
		if (cards[k].err)
			ret = -1;
	}
	ctx->ops->list(ctx, cards, n);
	free(cards);
	free(idx);
	return ret;
}

/* Report why @spec could not be opened when no node was tried */
static int spec_error(struct bmctl_ctx *ctx, const char *spec, int err)
{
	if (!spec)
		return bmctl_report(ctx, NULL, err, "no busmaster cards found",
			      "is the busmaster module loaded?");
	if (err == EINVAL)
		return bmctl_report(ctx, spec, err, "not a device",
			      "use /dev/busmasterN, N, or a PCI address such as 0000:00:04.0");
	if (err == ENODEV)
		return bmctl_report(ctx, spec, err,
			      "no busmaster card has this PCI address",
			      "see 'bmctl list'");
	return bmctl_report(ctx, spec, err, NULL, bmctl_errno_hint(err));
}

/*
 * The card DEVICE or -d DEVICE names (the first card without either):
 * opened and asked its INFO into @card. Returns 0 with @card->err set when
 * the node was found but not usable, -1 after reporting when no node was.
 */
static int open_named_card(struct bmctl_ctx *ctx, const struct bmctl_args *a,
			   struct bmctl_card *card)
{
	const char *spec = NULL;
	int fd, k;

	if (positional(ctx, a, 1))
		return -1;
	for (k = 0; k < a->nopts; k++)	/* -d DEVICE: the last counts */
		spec = a->opts[k].val;
	if (spec && a->npos)
		return bmctl_usage_error(ctx, a->name,
					 "give the device once: DEVICE or -d DEVICE");
	if (a->npos)
		spec = a->pos[0];
	fd = bm_open_device(spec, O_RDONLY, card->path, sizeof(card->path));
	if (fd < 0 && !card->path[0])
		return spec_error(ctx, spec, errno);
	if (fd < 0)
		card->err = errno;
	else if (bm_info(fd, &card->info))
		card->err = errno;
	if (fd >= 0)
		close(fd);
	return 0;
}

static int cmd_info(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	struct bmctl_card card = { .err = 0 };

	if (open_named_card(ctx, a, &card))
		return -1;
	ctx->ops->info(ctx, &card);
	return card.err ? -1 : 0;
}

static int cmd_stats(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	struct bmctl_card card = { .err = 0 };

	if (open_named_card(ctx, a, &card))
		return -1;
	if (!card.err && bm_card_stats(card.path, &card.stats))
		card.err = errno;
	/* A driver older than ABI 3 has no copy counters: shown as absent. */
	if (!card.err && bm_copy_stats(card.path, &card.copy))
		card.err = errno == ENOENT ? 0 : errno;
	else if (!card.err)
		card.has_copy_stats = true;
	/* Only a card that counts itself has these (not edu). */
	card.has_counters = !card.err && !bm_card_counters(card.path, &card.counters);
	ctx->ops->stats(ctx, &card);
	return card.err ? -1 : 0;
}

static int cmd_write(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	return bmctl_xfer_cmd(ctx, BMCTL_OP_WRITE, a);
}

static int cmd_read(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	return bmctl_xfer_cmd(ctx, BMCTL_OP_READ, a);
}

static int cmd_fill(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	return bmctl_xfer_cmd(ctx, BMCTL_OP_FILL, a);
}

static int cmd_verify(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	return bmctl_xfer_cmd(ctx, BMCTL_OP_VERIFY, a);
}

static int cmd_stream(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	return bmctl_stream_cmd(ctx, a);
}

/*
 * The manual, as 'git help CMD' opens it: man 1 bmctl, its pager (less,
 * through $LESS) placed at the command's entry. 0 when man showed it; -1
 * when it could not (no man, no page installed): the built-in help then.
 */
static int open_manual(const char *name)
{
	char less[256];
	int status;
	pid_t pid;

	/* "  *": one space or more in basic and extended regular expressions. */
	snprintf(less, sizeof(less), "%s%s+/^  *%s",
		 getenv("LESS") ?: "", getenv("LESS") ? " " : "", name);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* Its "No manual entry": the built-in help says it instead. */
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		setenv("LESS", less, 1);
		execlp("man", "man", "1", "bmctl", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static int cmd_help(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	const struct bmctl_cmd *cmd = NULL;

	if (positional(ctx, a, 1))
		return -1;
	if (a->npos) {
		cmd = find_command(a->pos[0]);
		if (!cmd)
			return unknown(ctx, a->name, "command", a->pos[0]);
	}
	/* A person at a terminal asking about one command: the manual. */
	if (cmd && ctx->ops == &bmctl_text_ops && isatty(STDOUT_FILENO) &&
	    !open_manual(cmd->name))
		return 0;
	ctx->ops->help(ctx, cmd);
	return 0;
}

static int run(struct bmctl_ctx *ctx, struct bmctl_line *l)
{
	if (l->bad[0] && l->bad_subject)
		return bmctl_usage_error(ctx, l->bad_subject, l->bad);
	if (l->bad[0])
		return bmctl_report(ctx, NULL, 0, l->bad, "see 'bmctl help'");
	if (l->help) {
		ctx->ops->help(ctx, l->cmd);
		return 0;
	}
	if (l->version) {
		ctx->ops->version(ctx);
		return 0;
	}
	if (!l->cmd)
		return bmctl_report(ctx, NULL, 0, "no command given",
			      "see 'bmctl help'");
	return l->cmd->fn(ctx, &l->args);
}

/* A result nobody could read is a failure too (bmctl list >/dev/full) */
static int flush_out(FILE *f)
{
	if (fflush(f) || ferror(f)) {
		fprintf(stderr, "bmctl: writing output: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct bmctl_line line;
	struct bmctl_ctx ctx = {
		.out = stdout,
		.err = stderr,
		.cmds = commands,
		.ncmds = ARRAY_SIZE(commands),
		.opts = options,
		.nopts = ARRAY_SIZE(options),
	};
	int ret;

	parse_line(&line, argc, argv);
	ctx.ops = line.json ? &bmctl_json_ops : &bmctl_text_ops;
	ret = run(&ctx, &line);
	if (flush_out(stdout))
		ret = -1;
	return ret ? 1 : 0;
}
