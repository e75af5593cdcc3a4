// SPDX-License-Identifier: GPL-2.0-only
/*
 * bmctl --json: one JSON value on ctx->out per run, errors included.
 * Keys are snake_case and stable; INFO fields keep their names from
 * <linux/busmaster.h>. Consumers must ignore keys they do not know.
 */
#include <string.h>

#include "bmctl.h"
#include "json.h"

static void error_object(struct json *j, const struct bmctl_error *e)
{
	char buf[512];

	bmctl_error_text(e, buf, sizeof(buf));
	json_object_begin(j, "error");
	json_string(j, "message", buf);
	if (e->subject)
		json_string(j, "subject", e->subject);
	if (e->errnum)
		json_int(j, "errno", e->errnum);
	json_object_end(j);
}

static void json_error(struct bmctl_ctx *ctx, const struct bmctl_error *e)
{
	struct json j;

	json_init(&j, ctx->out);
	json_object_begin(&j, NULL);
	error_object(&j, e);
	json_object_end(&j);
	json_finish(&j);
}

static void caps_names(struct json *j, uint32_t caps)
{
	uint32_t bit;

	json_array_begin(j, "caps_names");
	for (bit = 1; bit; bit <<= 1)
		if (caps & bit && bm_cap_name(bit))
			json_string(j, NULL, bm_cap_name(bit));
	json_array_end(j);
}

static void field(struct json *j, const struct busmaster_info *info,
		  const struct bmctl_field *f)
{
	char key[64];
	unsigned long long v;

	if (f->kind == BMCTL_FIELD_STR) {
		json_string(j, f->key, bmctl_field_str(info, f));
		return;
	}
	v = bmctl_field_uint(info, f);
	json_u64(j, f->key, v);
	if (f->kind == BMCTL_FIELD_ENUM) {
		snprintf(key, sizeof(key), "%s_name", f->key);
		json_string(j, key, f->name((uint32_t)v));
	} else if (f->kind == BMCTL_FIELD_CAPS) {
		caps_names(j, (uint32_t)v);
	}
}

/* One card as an object: its path, then its INFO fields or its error */
static void card_object(struct json *j, const struct bmctl_card *card)
{
	struct bmctl_error e = {
		.subject = card->path,
		.errnum = card->err,
		.hint = bmctl_errno_hint(card->err),
	};
	size_t k;

	json_object_begin(j, NULL);
	json_string(j, "device", card->path);
	if (card->err)
		error_object(j, &e);
	for (k = 0; !card->err && k < bmctl_info_nfields; k++)
		field(j, &card->info, &bmctl_info_fields[k]);
	json_object_end(j);
}

static void json_list(struct bmctl_ctx *ctx, const struct bmctl_card *cards,
		      size_t n)
{
	struct json j;
	size_t k;

	json_init(&j, ctx->out);
	json_array_begin(&j, NULL);
	for (k = 0; k < n; k++)
		card_object(&j, &cards[k]);
	json_array_end(&j);
	json_finish(&j);
}

static void json_info(struct bmctl_ctx *ctx, const struct bmctl_card *card)
{
	struct json j;

	json_init(&j, ctx->out);
	card_object(&j, card);
	json_finish(&j);
}

static void json_stats(struct bmctl_ctx *ctx, const struct bmctl_card *card)
{
	struct bmctl_error e = {
		.subject = card->path,
		.errnum = card->err,
		.hint = bmctl_errno_hint(card->err),
	};
	struct json j;
	size_t k;

	json_init(&j, ctx->out);
	json_object_begin(&j, NULL);
	json_string(&j, "device", card->path);
	if (card->err)
		error_object(&j, &e);
	for (k = 0; !card->err && k < bmctl_nstats; k++)
		json_u64(&j, bmctl_stats[k].key,
			 *(const uint64_t *)((const char *)&card->stats +
					     bmctl_stats[k].offset));
	if (card->has_copy_stats) {	/* a driver of ABI 3 on */
		json_u64(&j, "requests_copied", card->copy.requests_copied);
		json_u64(&j, "bytes_copied", card->copy.bytes_copied);
	}
	if (card->has_counters) {
		json_u64(&j, "card_bytes", card->counters.bytes);
		json_u64(&j, "card_busy_ns", card->counters.busy_ns);
	}
	json_object_end(&j);
	json_finish(&j);
}

static void usage_string(const struct bmctl_cmd *cmd, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (!f)
		return;
	bmctl_usage_line(f, cmd);
	fclose(f);
}

static void command_object(struct json *j, const struct bmctl_cmd *cmd,
			   bool details)
{
	char usage[128];

	usage_string(cmd, usage, sizeof(usage));
	json_object_begin(j, NULL);
	json_string(j, "name", cmd->name);
	json_string(j, "usage", usage);
	json_string(j, "help", cmd->help);
	if (details)
		json_string(j, "details", cmd->details);
	json_object_end(j);
}

static void help_general(struct json *j, struct bmctl_ctx *ctx)
{
	size_t k;

	json_object_begin(j, NULL);
	json_array_begin(j, "commands");
	for (k = 0; k < ctx->ncmds; k++)
		command_object(j, &ctx->cmds[k], false);
	json_array_end(j);
	json_array_begin(j, "options");
	for (k = 0; k < ctx->nopts; k++) {
		json_object_begin(j, NULL);
		json_string(j, "name", ctx->opts[k].name);
		json_string(j, "short_name", ctx->opts[k].short_name);
		json_string(j, "help", ctx->opts[k].help);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void json_help(struct bmctl_ctx *ctx, const struct bmctl_cmd *cmd)
{
	struct json j;

	json_init(&j, ctx->out);
	if (cmd)
		command_object(&j, cmd, true);
	else
		help_general(&j, ctx);
	json_finish(&j);
}

static void json_version(struct bmctl_ctx *ctx)
{
	struct json j;

	json_init(&j, ctx->out);
	json_object_begin(&j, NULL);
	json_string(&j, "bmctl", BMCTL_VERSION);
	json_string(&j, "libbusmaster", bm_version());
	json_int(&j, "abi_version", BUSMASTER_ABI_VERSION);
	json_object_end(&j);
	json_finish(&j);
}

static void pattern_object(struct json *j, const struct bmctl_xfer_report *r)
{
	if (r->pattern == BMCTL_PATTERN_NONE)
		return;
	json_object_begin(j, "pattern");
	switch (r->pattern) {
	case BMCTL_PATTERN_SEED:
		json_string(j, "kind", "seed");
		json_u64(j, "seed", r->seed);
		break;
	case BMCTL_PATTERN_BYTE:
		json_string(j, "kind", "byte");
		json_u64(j, "byte", r->byte);
		break;
	default:
		json_string(j, "kind", "file");
		json_string(j, "file", r->file);
		break;
	}
	json_object_end(j);
}

static void json_transfer(struct bmctl_ctx *ctx,
			  const struct bmctl_xfer_report *r)
{
	bool from = r->op == BMCTL_OP_READ || r->op == BMCTL_OP_VERIFY;
	struct json j;

	json_init(&j, ctx->out);
	json_object_begin(&j, NULL);
	json_string(&j, "command", bmctl_op_name(r->op));
	json_string(&j, "device", r->device);
	json_string(&j, "pci_slot", r->pci_slot);
	json_string(&j, "direction", from ? "from_card" : "to_card");
	json_string(&j, "buffer", r->registered ? "registered" :
				  r->common ? "common" : "user");
	json_u64(&j, "buffer_size", r->buffer_size);
	if (r->registered)
		json_string(&j, "sync", r->no_sync ? "explicit" : "transfer");
	if (!r->registered && !r->common)
		json_string(&j, "user_path",
			    r->user_path == BMCTL_USER_COPY ? "copy" :
			    r->user_path == BMCTL_USER_PIN ? "pin" : "driver");
	json_u64(&j, "requests", r->requests);
	json_u64(&j, "offset", r->offset);
	json_u64(&j, "length", r->length);
	json_u64(&j, "bytes", r->bytes);
	json_u64(&j, "transfers", r->transfers);
	json_double(&j, "seconds", r->seconds);
	json_double(&j, "elapsed_seconds", r->elapsed);
	json_double(&j, "mb_per_s", bmctl_mb_per_s(r->bytes, r->seconds));
	if (r->op != BMCTL_OP_FILL && r->pattern != BMCTL_PATTERN_SEED &&
	    r->pattern != BMCTL_PATTERN_BYTE)
		json_string(&j, "file", r->file);
	pattern_object(&j, r);
	if (r->op == BMCTL_OP_VERIFY && !r->error) {
		json_bool(&j, "match", !r->mismatches);
		json_u64(&j, "mismatched_bytes", r->mismatches);
		if (r->mismatches) {
			json_u64(&j, "first_mismatch_offset",
				 r->first_mismatch);
			json_u64(&j, "expected", r->expected);
			json_u64(&j, "actual", r->actual);
		} else {
			json_null(&j, "first_mismatch_offset");
		}
	}
	if (r->error) {
		error_object(&j, r->error);
		json_u64(&j, "card_status", r->card_status);
		json_string(&j, "card_status_name",
			    bm_card_status_name(r->card_model,
						r->card_status));
	}
	json_object_end(&j);
	json_finish(&j);
}

static void json_stream(struct bmctl_ctx *ctx,
			const struct bmctl_stream_report *r)
{
	struct json j;

	json_init(&j, ctx->out);
	json_object_begin(&j, NULL);
	json_string(&j, "command", "stream");
	json_string(&j, "device", r->device);
	json_string(&j, "pci_slot", r->pci_slot ? r->pci_slot : "");
	json_string(&j, "direction", r->to_card && r->from_card ? "both" :
				     r->from_card ? "from_card" : "to_card");
	json_string(&j, "buffer", r->registered ? "registered" : "user");
	json_u64(&j, "depth", r->depth);
	json_u64(&j, "size", r->size);
	json_u64(&j, "length", r->total);
	json_u64(&j, "offset", r->offset);
	json_u64(&j, "requests", r->requests);
	json_u64(&j, "bytes_to_card", r->bytes_to_card);
	json_u64(&j, "bytes_from_card", r->bytes_from_card);
	json_u64(&j, "transfers", r->transfers);
	json_double(&j, "seconds", r->seconds);
	json_double(&j, "mb_per_s", bmctl_mb_per_s(r->bytes_to_card +
						   r->bytes_from_card, r->seconds));
	if (r->error) {
		error_object(&j, r->error);
		json_u64(&j, "card_status", r->card_status);
		json_string(&j, "card_status_name",
			    bm_card_status_name(r->card_model, r->card_status));
	}
	json_object_end(&j);
	json_finish(&j);
}

const struct bmctl_print_ops bmctl_json_ops = {
	.list = json_list,
	.info = json_info,
	.stats = json_stats,
	.help = json_help,
	.version = json_version,
	.transfer = json_transfer,
	.stream = json_stream,
	.error = json_error,
};
