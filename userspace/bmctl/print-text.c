// SPDX-License-Identifier: GPL-2.0-only
/*
 * bmctl: output for a person. Results go to ctx->out, errors and notes to
 * ctx->err, each prefixed "bmctl: ".
 */
#include <string.h>

#include "bmctl.h"

#define VALUE_LEN (BM_CAPS_STR_LEN + 64)

static void text_error(struct bmctl_ctx *ctx, const struct bmctl_error *e)
{
	char buf[512];

	bmctl_error_text(e, buf, sizeof(buf));
	fprintf(ctx->err, "bmctl: %s\n", buf);
}

static void card_error(struct bmctl_ctx *ctx, const struct bmctl_card *card)
{
	struct bmctl_error e = {
		.subject = card->path,
		.errnum = card->err,
		.hint = bmctl_errno_hint(card->err),
	};

	text_error(ctx, &e);
}

static void list_line(struct bmctl_ctx *ctx, const struct bmctl_card *card)
{
	const struct busmaster_info *i = &card->info;
	const char *model = bm_model_name(i->card_model);
	const char *bounce = bm_bounce_name(i->bounce);

	fprintf(ctx->out, "%-16s %-13s %-10s %2u-bit DMA  %-6s  bounce: %s\n",
		card->path, i->pci_slot, model ? model : "unknown",
		i->dma_addr_bits,
		i->caps & BUSMASTER_CAP_SCATTER_GATHER ? "S/G" : "no S/G",
		bounce ? bounce : "unknown");
}

static void text_list(struct bmctl_ctx *ctx, const struct bmctl_card *cards,
		      size_t n)
{
	size_t k;

	if (!n)
		fprintf(ctx->err, "bmctl: no busmaster cards found\n");
	for (k = 0; k < n; k++) {
		if (cards[k].err)
			card_error(ctx, &cards[k]);
		else
			list_line(ctx, &cards[k]);
	}
}

static void format_bytes(unsigned long long v, char *buf, size_t len)
{
	char human[BM_SIZE_STR_LEN];
	int n;

	n = snprintf(buf, len, "%llu byte%s", v, v == 1 ? "" : "s");
	if (n < 0 || (size_t)n >= len || bm_format_size(v, human, sizeof(human)))
		return;
	if (strcmp(human + strlen(human) - 2, " B"))
		snprintf(buf + n, len - (size_t)n, " (%s)", human);
}

static void format_enum(const struct bmctl_field *f, unsigned long long v,
			char *buf, size_t len)
{
	const char *name = f->name((uint32_t)v);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "unknown (%llu)", v);
}

static void format_caps(unsigned long long v, char *buf, size_t len)
{
	char names[BM_CAPS_STR_LEN];
	char *c;

	bm_caps_format((uint32_t)v, names, sizeof(names));
	for (c = names; (c = strchr(c, ',')); c++)
		*c = ' ';
	snprintf(buf, len, "0x%llx (%s)", v, *names ? names : "none");
}

static void format_value(const struct busmaster_info *info,
			 const struct bmctl_field *f, char *buf, size_t len)
{
	unsigned long long v = 0;

	if (f->kind != BMCTL_FIELD_STR)
		v = bmctl_field_uint(info, f);
	switch (f->kind) {
	case BMCTL_FIELD_STR:
		snprintf(buf, len, "%s", bmctl_field_str(info, f));
		break;
	case BMCTL_FIELD_HEX:
		snprintf(buf, len, "0x%0*llx", f->hex_digits, v);
		break;
	case BMCTL_FIELD_BITS:
		snprintf(buf, len, "%llu bits", v);
		break;
	case BMCTL_FIELD_BYTES:
		format_bytes(v, buf, len);
		break;
	case BMCTL_FIELD_ENUM:
		format_enum(f, v, buf, len);
		break;
	case BMCTL_FIELD_CAPS:
		format_caps(v, buf, len);
		break;
	default:
		snprintf(buf, len, "%llu", v);
		break;
	}
}

static void row(struct bmctl_ctx *ctx, int width, const char *label,
		const char *value)
{
	fprintf(ctx->out, "%s:%*s %s\n", label, width - (int)strlen(label), "",
		value);
}

static void text_info(struct bmctl_ctx *ctx, const struct bmctl_card *card)
{
	const char *device_label = "device";
	char value[VALUE_LEN];
	int width = (int)strlen(device_label);
	size_t k;

	if (card->err) {
		card_error(ctx, card);
		return;
	}
	for (k = 0; k < bmctl_info_nfields; k++)
		if ((int)strlen(bmctl_info_fields[k].label) > width)
			width = (int)strlen(bmctl_info_fields[k].label);
	row(ctx, width, device_label, card->path);
	for (k = 0; k < bmctl_info_nfields; k++) {
		format_value(&card->info, &bmctl_info_fields[k], value,
			     sizeof(value));
		row(ctx, width, bmctl_info_fields[k].label, value);
	}
}

static void text_stats(struct bmctl_ctx *ctx, const struct bmctl_card *card)
{
	char value[VALUE_LEN], human[BM_SIZE_STR_LEN];
	static const char requests_copied[] = "requests copied (not pinned)";
	int width = (int)strlen(requests_copied);
	size_t k;

	if (card->err) {
		card_error(ctx, card);
		return;
	}
	for (k = 0; k < bmctl_nstats; k++)
		if ((int)strlen(bmctl_stats[k].label) > width)
			width = (int)strlen(bmctl_stats[k].label);
	row(ctx, width, "device", card->path);
	for (k = 0; k < bmctl_nstats; k++) {
		uint64_t v = *(const uint64_t *)((const char *)&card->stats +
						 bmctl_stats[k].offset);

		if (bmctl_stats[k].bytes && v >= 1024) {
			bmctl_human_size(v, human, sizeof(human));
			snprintf(value, sizeof(value), "%llu (%s)",
				 (unsigned long long)v, human);
		} else {
			snprintf(value, sizeof(value), "%llu", (unsigned long long)v);
		}
		row(ctx, width, bmctl_stats[k].label, value);
	}
	/* A driver older than ABI 3 has none: no rows. */
	if (card->has_copy_stats) {
		snprintf(value, sizeof(value), "%llu",
			 (unsigned long long)card->copy.requests_copied);
		row(ctx, width, requests_copied, value);
		if (card->copy.bytes_copied >= 1024) {
			bmctl_human_size(card->copy.bytes_copied, human,
					 sizeof(human));
			snprintf(value, sizeof(value), "%llu (%s)",
				 (unsigned long long)card->copy.bytes_copied,
				 human);
		} else {
			snprintf(value, sizeof(value), "%llu",
				 (unsigned long long)card->copy.bytes_copied);
		}
		row(ctx, width, "bytes copied", value);
	}
	if (!card->has_counters)
		return;
	bmctl_human_size(card->counters.bytes, human, sizeof(human));
	snprintf(value, sizeof(value), "%llu (%s)",
		 (unsigned long long)card->counters.bytes, human);
	row(ctx, width, "card: bytes moved", value);
	snprintf(value, sizeof(value), "%.3f s",
		 (double)card->counters.busy_ns / 1e9);
	row(ctx, width, "card: busy", value);
}

static void help_general(struct bmctl_ctx *ctx)
{
	FILE *f = ctx->out;
	size_t k;

	fprintf(f, "usage: bmctl [OPTIONS] COMMAND [ARGS]\n\n"
		"Show and drive busmaster DMA cards (/dev/busmasterN).\n\n"
		"commands:\n");
	for (k = 0; k < ctx->ncmds; k++)
		fprintf(f, "  %-8s %s\n", ctx->cmds[k].name,
			ctx->cmds[k].help);
	fprintf(f, "\noptions (before or after the command):\n");
	for (k = 0; k < ctx->nopts; k++)
		fprintf(f, "  %-10s %-3s %s\n", ctx->opts[k].name,
			ctx->opts[k].short_name ? ctx->opts[k].short_name : "",
			ctx->opts[k].help);
	fprintf(f, "\nSee 'bmctl help COMMAND' for a command's arguments and examples.\n"
		"Exit status: 0 on success, 1 on any failure.\n");
}

static void text_help(struct bmctl_ctx *ctx, const struct bmctl_cmd *cmd)
{
	if (!cmd) {
		help_general(ctx);
		return;
	}
	fprintf(ctx->out, "usage: ");
	bmctl_usage_line(ctx->out, cmd);
	fprintf(ctx->out, "\n\n%s\n", cmd->help);
	if (cmd->details)
		fprintf(ctx->out, "\n%s", cmd->details);
}

static void text_version(struct bmctl_ctx *ctx)
{
	fprintf(ctx->out, "bmctl %s (libbusmaster %s, busmaster ABI %d)\n",
		BMCTL_VERSION, bm_version(), BUSMASTER_ABI_VERSION);
}

/* "with seed 7", "with byte 0x5a", "with x.bin" */
static void pattern_text(const struct bmctl_xfer_report *r, char *buf,
			 size_t len)
{
	switch (r->pattern) {
	case BMCTL_PATTERN_SEED:
		snprintf(buf, len, "seed %llu", (unsigned long long)r->seed);
		break;
	case BMCTL_PATTERN_BYTE:
		snprintf(buf, len, "byte 0x%02x", r->byte);
		break;
	default:
		snprintf(buf, len, "%s", r->file ? r->file : "?");
		break;
	}
}

/*
 * " through a registered buffer of 4 MiB (pinned and mapped once for 3
 * requests)", " through a user buffer of 4 MiB (copied through the
 * driver's buffer: --copy)" (or pinned, --pin), or "" for a common buffer
 * and for a user buffer moved as the driver chose
 */
static void via_text(const struct bmctl_xfer_report *r, char *buf,
		     size_t len)
{
	char size[BM_SIZE_STR_LEN];

	buf[0] = '\0';
	bmctl_human_size(r->buffer_size, size, sizeof(size));
	if (!r->registered && !r->common && r->user_path != BMCTL_USER_DRIVER) {
		snprintf(buf, len, " through a user buffer of %s (%s)", size,
			 r->user_path == BMCTL_USER_COPY ?
			 "copied through the driver's buffer: --copy" :
			 "pinned and mapped for each request: --pin");
		return;
	}
	if (!r->registered)
		return;
	snprintf(buf, len,
		 " through a registered buffer of %s (pinned and mapped once for %llu request%s%s)",
		 size, (unsigned long long)r->requests,
		 r->requests == 1 ? "" : "s",
		 r->no_sync ? ", synced by bmctl" : "");
}

static void text_transfer(struct bmctl_ctx *ctx,
			  const struct bmctl_xfer_report *r)
{
	FILE *f = r->data_on_stdout ? ctx->err : ctx->out;
	const char *card = *r->pci_slot ? r->pci_slot : r->device;
	char bytes[BM_SIZE_STR_LEN], pat[PATH_MAX + 32], stats[96], via[160];

	if (r->error) {
		text_error(ctx, r->error);
		return;
	}
	bmctl_human_size(r->bytes, bytes, sizeof(bytes));
	pattern_text(r, pat, sizeof(pat));
	via_text(r, via, sizeof(via));
	snprintf(stats, sizeof(stats), "%llu card transfer%s, %.0f MB/s",
		 (unsigned long long)r->transfers, r->transfers == 1 ? "" : "s",
		 bmctl_mb_per_s(r->bytes, r->seconds));
	switch (r->op) {
	case BMCTL_OP_WRITE:
		fprintf(f, "wrote %s to card %s at offset %#llx%s in %s\n",
			bytes, card, (unsigned long long)r->offset, via, stats);
		break;
	case BMCTL_OP_READ:
		fprintf(f, "read %s from card %s at offset %#llx%s in %s\n",
			bytes, card, (unsigned long long)r->offset, via, stats);
		break;
	case BMCTL_OP_FILL:
		fprintf(f, "filled %s of card %s at offset %#llx with %s%s in %s\n",
			bytes, card, (unsigned long long)r->offset, pat, via,
			stats);
		break;
	case BMCTL_OP_VERIFY:
		if (!r->mismatches) {
			fprintf(f, "verified %s of card %s at offset %#llx against %s%s: identical (%s)\n",
				bytes, card, (unsigned long long)r->offset, pat,
				via, stats);
			break;
		}
		fprintf(f, "mismatch: %llu of %s of card %s at offset %#llx differ from %s; the first at card offset %#llx (expected 0x%02x, read 0x%02x)\n",
			(unsigned long long)r->mismatches, bytes, card,
			(unsigned long long)r->offset, pat,
			(unsigned long long)r->first_mismatch, r->expected,
			r->actual);
		break;
	}
}

static const char *stream_direction(const struct bmctl_stream_report *r)
{
	return r->to_card && r->from_card ? "to and from" :
	       r->from_card ? "from" : "to";
}

static void text_stream(struct bmctl_ctx *ctx,
			const struct bmctl_stream_report *r)
{
	const char *card = *r->pci_slot ? r->pci_slot : r->device;
	char bytes[BM_SIZE_STR_LEN], size[BM_SIZE_STR_LEN];
	uint64_t moved = r->bytes_to_card + r->bytes_from_card;

	if (r->error) {
		text_error(ctx, r->error);
		return;
	}
	bmctl_human_size(moved, bytes, sizeof(bytes));
	bmctl_human_size(r->size, size, sizeof(size));
	fprintf(ctx->out,
		"streamed %s %s card %s: %llu requests of %s, %u in flight each way%s, %llu card transfers, %.0f MB/s\n",
		bytes, stream_direction(r), card, (unsigned long long)r->requests,
		size, r->depth, r->registered ? " (registered buffers)" : "",
		(unsigned long long)r->transfers, bmctl_mb_per_s(moved, r->seconds));
}

const struct bmctl_print_ops bmctl_text_ops = {
	.list = text_list,
	.info = text_info,
	.stats = text_stats,
	.help = text_help,
	.version = text_version,
	.transfer = text_transfer,
	.stream = text_stream,
	.error = text_error,
};
