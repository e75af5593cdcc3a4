// SPDX-License-Identifier: GPL-2.0-only
/*
 * bmctl: what every output backend shares: the INFO field table and the
 * wording of errors and usage lines.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "bmctl.h"

#define INFO_FIELD(field, k, lbl, ...) {				\
	.key = #field,							\
	.label = lbl,							\
	.kind = BMCTL_FIELD_##k,					\
	.offset = offsetof(struct busmaster_info, field),		\
	.len = sizeof(((struct busmaster_info *)0)->field),		\
	__VA_ARGS__							\
}

const struct bmctl_field bmctl_info_fields[] = {
	INFO_FIELD(pci_slot, STR, "PCI address"),
	INFO_FIELD(card_model, ENUM, "card model", .name = bm_model_name),
	INFO_FIELD(pci_vendor, HEX, "PCI vendor ID", .hex_digits = 4),
	INFO_FIELD(pci_device, HEX, "PCI device ID", .hex_digits = 4),
	INFO_FIELD(pci_revision, HEX, "PCI revision", .hex_digits = 2),
	INFO_FIELD(driver_version, STR, "driver version"),
	INFO_FIELD(abi_version, UINT, "ioctl ABI version"),
	INFO_FIELD(irq_mode, ENUM, "interrupt mode", .name = bm_irq_mode_name),
	INFO_FIELD(irq_vectors, UINT, "interrupt vectors"),
	INFO_FIELD(card_addr_bits, BITS,
		   "card address width (Dma32/64BitAddresses)"),
	INFO_FIELD(dma_addr_bits, BITS, "DMA mask in use"),
	INFO_FIELD(caps, CAPS, "capabilities (ScatterGather)"),
	INFO_FIELD(alignment, BYTES, "alignment (GetDmaAlignment)"),
	INFO_FIELD(max_segments, UINT, "max segments per transfer"),
	INFO_FIELD(max_segment_size, BYTES, "max segment size"),
	INFO_FIELD(max_transfer_size, BYTES,
		   "max transfer size (MaximumLength)"),
	INFO_FIELD(card_mem_size, BYTES, "card memory"),
	INFO_FIELD(dma_channels, UINT, "DMA channels"),
	INFO_FIELD(bounce, ENUM, "bounce strategy", .name = bm_bounce_name),
	INFO_FIELD(map_registers, UINT,
		   "map registers (NumberOfMapRegisters)"),
	INFO_FIELD(common_max, BYTES,
		   "largest common buffer (AllocateCommonBuffer)"),
	INFO_FIELD(seg_boundary, BYTES,
		   "segment boundary (no segment crosses it; 0: none)"),
};

const size_t bmctl_info_nfields =
	sizeof(bmctl_info_fields) / sizeof(bmctl_info_fields[0]);

#define STAT(f, label, bytes) { #f, label, offsetof(struct bm_card_stats, f), bytes }
const struct bmctl_stat bmctl_stats[] = {
	STAT(bytes_to_card, "bytes to card", true),
	STAT(bytes_from_card, "bytes from card", true),
	STAT(bytes_bounced, "bytes bounced (swiotlb or map registers)", true),
	STAT(transfers_to_card, "card transfers to card", false),
	STAT(transfers_from_card, "card transfers from card", false),
	STAT(requests, "requests", false),
	STAT(requests_failed, "requests failed", false),
	STAT(requests_in_flight, "requests in flight", false),
	STAT(timeouts, "timeouts", false),
	STAT(card_resets, "card resets", false),
	STAT(pinned_pages, "pages pinned now", false),
};
#undef STAT

const size_t bmctl_nstats = sizeof(bmctl_stats) / sizeof(bmctl_stats[0]);

unsigned long long bmctl_field_uint(const struct busmaster_info *info,
				    const struct bmctl_field *f)
{
	const unsigned char *p = (const unsigned char *)info + f->offset;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (f->len) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

const char *bmctl_field_str(const struct busmaster_info *info,
			    const struct bmctl_field *f)
{
	return (const char *)info + f->offset;
}

void bmctl_error_text(const struct bmctl_error *e, char *buf, size_t len)
{
	const char *msg = e->msg ? e->msg : strerror(e->errnum);

	snprintf(buf, len, "%s%s%s%s%s%s", e->subject ? e->subject : "",
		 e->subject ? ": " : "", msg, e->hint ? " (" : "",
		 e->hint ? e->hint : "", e->hint ? ")" : "");
}

const char *bmctl_errno_hint(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENXIO:
		return "is the busmaster module loaded?";
	case ENODEV:
		return "was the card removed?";
	case EACCES:
	case EPERM:
		return "run as root, or check the node's permissions";
	case ENOTTY:
		return "not a busmaster card, or a driver of another ABI";
	default:
		return NULL;
	}
}

void bmctl_usage_line(FILE *f, const struct bmctl_cmd *cmd)
{
	fprintf(f, "bmctl [--json] %s%s%s", cmd->name, *cmd->args ? " " : "",
		cmd->args);
}

const char *bmctl_op_name(enum bmctl_xfer_op op)
{
	static const char *const names[] = {
		[BMCTL_OP_WRITE] = "write",
		[BMCTL_OP_READ] = "read",
		[BMCTL_OP_FILL] = "fill",
		[BMCTL_OP_VERIFY] = "verify",
	};

	return (unsigned int)op < sizeof(names) / sizeof(names[0]) ?
	       names[op] : "?";
}

double bmctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bmctl_mb_per_s(uint64_t bytes, double seconds)
{
	return seconds > 0 ? (double)bytes / 1e6 / seconds : 0;
}

void bmctl_human_size(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned int u = 0;

	if (v < 1024) {
		snprintf(buf, len, "%llu byte%s", (unsigned long long)v,
			 v == 1 ? "" : "s");
		return;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) &&
	       v >> (10 * (u + 2)))
		u++;
	if (!(v & ((1ULL << (10 * (u + 1))) - 1)))
		snprintf(buf, len, "%llu %s",
			 (unsigned long long)(v >> (10 * (u + 1))), units[u]);
	else
		snprintf(buf, len, "%.1f %s",
			 (double)v / (double)(1ULL << (10 * (u + 1))), units[u]);
}

int bmctl_report(struct bmctl_ctx *ctx, const char *subject, int errnum,
		 const char *msg, const char *hint)
{
	struct bmctl_error e = {
		.subject = subject,
		.errnum = errnum,
		.msg = msg,
		.hint = hint,
	};

	ctx->ops->error(ctx, &e);
	return -1;
}

int bmctl_usage_error(struct bmctl_ctx *ctx, const char *name,
		      const char *msg)
{
	char hint[64];

	snprintf(hint, sizeof(hint), "see 'bmctl help %s'", name);
	return bmctl_report(ctx, name, 0, msg, hint);
}
