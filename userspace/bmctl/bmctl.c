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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bmctl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DEVICE_DETAILS							\
	"DEVICE is a card's node (/dev/busmaster0), its index (0) or node\n" \
	"name (busmaster0), or its PCI address (0000:00:04.0 or 00:04.0).\n" \
	"Without DEVICE, the first card. '-d DEVICE' (--device), as the\n" \
	"transfer commands take it, works too.\n"

#define LIST_DETAILS							\
	"One line per card: node, PCI address, model, DMA mask width,\n"	\
	"scatter/gather or not, bounce strategy. With --json, an array of\n" \
	"objects with every INFO field, as 'bmctl info' shows them.\n"

#define XFER_COMMON_DETAILS						\
	"  -d, --device DEV    the card: a node (/dev/busmaster0), index (0),\n" \
	"                      node name or PCI address; default: the first\n" \
	"  -o, --offset OFF    card offset of the first byte (default 0)\n"	\
	"  --common            move through a common buffer (COMMON_ALLOC,\n" \
	"                      mmap) instead of pinning the user buffer\n"	\
	"  --registered        register one staging buffer (REGISTER: pinned,\n" \
	"                      charged to ulimit -l, and mapped once) and\n" \
	"                      move every chunk through it\n"		\
	"  --no-sync           with --registered: the transfers do not sync;\n" \
	"                      bmctl calls SYNC around each chunk itself\n" \
	"Sizes and offsets: 4096, 4k, 64M, 1G, 0x1000 (k, M, G are 1024^n).\n" \
	"The card's alignment (bmctl info) applies to offset and length.\n"	\
	"--common and --registered exclude each other.\n"		\
	"Requests go in chunks of up to 4 MiB; a progress bar shows on a\n"	\
	"terminal for more than 1 MiB. The summary names bytes, card\n"	\
	"transfers and MB/s (10^6 bytes/s in the transfer requests); --json\n" \
	"gives bytes, transfers, seconds, mb_per_s, device, offset,\n"	\
	"direction, buffer (user, common or registered), buffer_size,\n" \
	"requests. A failure names the bytes moved before it and why, in\n" \
	"words: the card failed a segment (its status code named), a\n"	\
	"timeout stopped the channel, another request's timeout reset the\n" \
	"card (retry), no bounce space, memory the card may not write.\n"	\
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
	"  bmctl write --registered -o 1M disk.img\n"

#define READ_DETAILS							\
	"Copy LEN bytes of the card's memory to FILE (default, or -:\n"	\
	"stdout; not a terminal, and not with --json).\n\n"		\
	"  -l, --length LEN    bytes to read (required)\n"			\
	XFER_COMMON_DETAILS						\
	"\nExamples:\n"							\
	"  bmctl read -l 1M dump.bin\n"					\
	"  bmctl read -d /dev/busmaster1 -o 0x1000 -l 4k - | xxd | head\n" \
	"  bmctl read --registered -l 16M dump.bin\n"

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

/*
 * The command table: ENTRY(name, args, help, details, handler). Later
 * commands are one line each here.
 */
#define BMCTL_COMMANDS(ENTRY)						\
	ENTRY("list", "", "list the busmaster cards, one line each",	\
	      LIST_DETAILS, cmd_list)					\
	ENTRY("info", "[DEVICE]",					\
	      "show a card's adapter description (every INFO field)",	\
	      DEVICE_DETAILS, cmd_info)					\
	ENTRY("write", "[OPTIONS] [FILE|-]",				\
	      "copy a file or stdin to card memory", WRITE_DETAILS, cmd_write) \
	ENTRY("read", "[OPTIONS] -l LEN [FILE|-]",			\
	      "copy card memory to a file or stdout", READ_DETAILS, cmd_read) \
	ENTRY("fill", "[OPTIONS] -l LEN (--byte B|--seed N)",		\
	      "write a pattern to card memory", FILL_DETAILS, cmd_fill)	\
	ENTRY("verify", "[OPTIONS] -l LEN (--byte B|--seed N|--file F)", \
	      "compare card memory with a pattern or file",		\
	      VERIFY_DETAILS, cmd_verify)					\
	ENTRY("help", "[COMMAND]", "show help for bmctl or a command",	\
	      NULL, cmd_help)

#define CMD_DECLARE(name, args, help, details, fn)			\
	static int fn(struct bmctl_ctx *ctx, int argc, char **argv);
#define CMD_ENTRY(name, args, help, details, fn)			\
	{ name, args, help, details, fn },

BMCTL_COMMANDS(CMD_DECLARE)

static const struct bmctl_cmd commands[] = {
	BMCTL_COMMANDS(CMD_ENTRY)
};

enum { OPT_JSON, OPT_HELP, OPT_VERSION };

static const struct bmctl_opt options[] = {
	[OPT_JSON] = { "--json", "-j", "print JSON, errors included" },
	[OPT_HELP] = { "--help", "-h", "show help (of the command, if any)" },
	[OPT_VERSION] = { "--version", "-V",
			  "show the versions of bmctl, its library and ABI" },
};

/**
 * struct bmctl_args - the command line once global options are taken out
 * @set: which global options were given, by enum index
 * @bad_opt: the first argument before the command that is no option
 *	bmctl knows, or NULL
 * @argc: number of remaining arguments
 * @argv: remaining arguments: the command word and its arguments
 */
struct bmctl_args {
	bool set[ARRAY_SIZE(options)];
	const char *bad_opt;
	int argc;
	char **argv;
};

static int find_option(const char *arg)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(options); k++)
		if (!strcmp(arg, options[k].name) ||
		    (options[k].short_name && !strcmp(arg, options[k].short_name)))
			return (int)k;
	return -1;
}

static const struct bmctl_cmd *find_command(const char *name)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(commands); k++)
		if (!strcmp(name, commands[k].name))
			return &commands[k];
	return NULL;
}

static bool is_option(const char *arg)
{
	return arg[0] == '-' && arg[1];
}

/*
 * Take the global options out of @argv wherever they are (up to "--"),
 * keeping the other arguments in order. Options bmctl does not know stay
 * for the command to refuse, unless they come before it.
 */
static void parse_global(int argc, char **argv, struct bmctl_args *a)
{
	bool seen_cmd = false, dashdash = false;
	int i, k, n = 0;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--"))
			dashdash = true;
		k = dashdash || !is_option(arg) ? -1 : find_option(arg);
		if (k >= 0) {
			a->set[k] = true;
			continue;
		}
		if (!dashdash && is_option(arg) && !seen_cmd && !a->bad_opt)
			a->bad_opt = arg;
		if (!is_option(arg) && !dashdash)
			seen_cmd = true;
		argv[n++] = argv[i];
	}
	a->argc = n;
	a->argv = argv;
}

static int unknown(struct bmctl_ctx *ctx, const char *subject,
		   const char *what, const char *arg)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "unknown %s '%s'", what, arg);
	return bmctl_report(ctx, subject, 0, msg, "see 'bmctl help'");
}

/*
 * Collect the positional arguments of a command (argv[0] is its word),
 * refusing options (it has none) and more than @max of them.
 */
static int positional(struct bmctl_ctx *ctx, int argc, char **argv,
		      const char **pos, int max, int *npos)
{
	bool dashdash = false;
	int i;

	*npos = 0;
	for (i = 1; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--")) {
			dashdash = true;
			continue;
		}
		if (!dashdash && is_option(argv[i]))
			return unknown(ctx, argv[0], "option", argv[i]);
		if (*npos == max)
			return bmctl_report(ctx, argv[0], 0, "too many arguments",
				      "see 'bmctl help'");
		pos[(*npos)++] = argv[i];
	}
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

static int cmd_list(struct bmctl_ctx *ctx, int argc, char **argv)
{
	struct bmctl_card *cards;
	int *idx, ret = 0, npos;
	size_t n, k;

	if (positional(ctx, argc, argv, NULL, 0, &npos))
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
 * Take "-d DEV", "--device DEV" or "--device=DEV" out of @argv (before
 * "--"), as the transfer commands name the device; the last one counts.
 * Returns the new argc, or -1 after reporting a missing value.
 */
static int take_device(struct bmctl_ctx *ctx, int argc, char **argv,
		       const char **spec)
{
	int i, n = 1;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (!strncmp(arg, "--device=", 9)) {
			*spec = arg + 9;
			continue;
		}
		if (strcmp(arg, "-d") && strcmp(arg, "--device")) {
			argv[n++] = argv[i];
			continue;
		}
		if (i + 1 == argc)
			return bmctl_report(ctx, argv[0], 0,
				      "option '-d' needs a value",
				      "see 'bmctl help info'");
		*spec = argv[++i];
	}
	return n;
}

static int cmd_info(struct bmctl_ctx *ctx, int argc, char **argv)
{
	struct bmctl_card card = { .err = 0 };
	const char *spec = NULL, *dev = NULL;
	int fd, npos;

	argc = take_device(ctx, argc, argv, &dev);
	if (argc < 0 || positional(ctx, argc, argv, &spec, 1, &npos))
		return -1;
	if (dev && spec)
		return bmctl_report(ctx, argv[0], 0,
			      "give the device once: DEVICE or -d DEVICE",
			      "see 'bmctl help info'");
	if (dev)
		spec = dev;
	fd = bm_open_device(spec, O_RDONLY, card.path, sizeof(card.path));
	if (fd < 0 && !card.path[0])
		return spec_error(ctx, spec, errno);
	if (fd < 0)
		card.err = errno;
	else if (bm_info(fd, &card.info))
		card.err = errno;
	if (fd >= 0)
		close(fd);
	ctx->ops->info(ctx, &card);
	return card.err ? -1 : 0;
}

static int cmd_write(struct bmctl_ctx *ctx, int argc, char **argv)
{
	return bmctl_xfer_cmd(ctx, BMCTL_OP_WRITE, argc, argv);
}

static int cmd_read(struct bmctl_ctx *ctx, int argc, char **argv)
{
	return bmctl_xfer_cmd(ctx, BMCTL_OP_READ, argc, argv);
}

static int cmd_fill(struct bmctl_ctx *ctx, int argc, char **argv)
{
	return bmctl_xfer_cmd(ctx, BMCTL_OP_FILL, argc, argv);
}

static int cmd_verify(struct bmctl_ctx *ctx, int argc, char **argv)
{
	return bmctl_xfer_cmd(ctx, BMCTL_OP_VERIFY, argc, argv);
}

static int cmd_help(struct bmctl_ctx *ctx, int argc, char **argv)
{
	const struct bmctl_cmd *cmd = NULL;
	const char *name = NULL;
	int npos;

	if (positional(ctx, argc, argv, &name, 1, &npos))
		return -1;
	if (name) {
		cmd = find_command(name);
		if (!cmd)
			return unknown(ctx, argv[0], "command", name);
	}
	ctx->ops->help(ctx, cmd);
	return 0;
}

static int run(struct bmctl_ctx *ctx, struct bmctl_args *a)
{
	const struct bmctl_cmd *cmd = NULL;

	if (a->bad_opt)
		return unknown(ctx, NULL, "option", a->bad_opt);
	if (a->argc) {
		cmd = find_command(a->argv[0]);
		if (!cmd)
			return unknown(ctx, NULL, "command", a->argv[0]);
	}
	if (a->set[OPT_HELP]) {
		ctx->ops->help(ctx, cmd);
		return 0;
	}
	if (a->set[OPT_VERSION]) {
		ctx->ops->version(ctx);
		return 0;
	}
	if (!cmd)
		return bmctl_report(ctx, NULL, 0, "no command given",
			      "see 'bmctl help'");
	return cmd->fn(ctx, a->argc, a->argv);
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
	struct bmctl_args args = { .bad_opt = NULL };
	struct bmctl_ctx ctx = {
		.out = stdout,
		.err = stderr,
		.cmds = commands,
		.ncmds = ARRAY_SIZE(commands),
		.opts = options,
		.nopts = ARRAY_SIZE(options),
	};
	int ret;

	parse_global(argc, argv, &args);
	ctx.ops = args.set[OPT_JSON] ? &bmctl_json_ops : &bmctl_text_ops;
	ret = run(&ctx, &args);
	if (flush_out(stdout))
		ret = -1;
	return ret ? 1 : 0;
}
