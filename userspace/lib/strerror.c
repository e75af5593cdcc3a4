// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: what an errno of the driver means for the call that
 * got it, in words, and the names of the card's completion codes.
 * Each function is documented in libbusmaster.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <linux/busmaster_card.h>

#include "private.h"

#define BM_STR_(x) #x
#define BM_STR(x) BM_STR_(x)

/* Completion codes of our card, docs/card-datasheet.md section 7.1 */
#define CARD_CODE(name, meaning) { BMC_ST_##name, #name, meaning }
static const struct {
	uint32_t code;
	const char *name;
	const char *meaning;
} card_codes[] = {
	CARD_CODE(ERR_FLAGS, "reserved descriptor flags set"),
	CARD_CODE(ERR_SEGS, "too many segments in one transfer"),
	CARD_CODE(ERR_LENGTH, "segment length 0 or above the card's maximum"),
	CARD_CODE(ERR_ALIGN, "address, card offset or length misaligned"),
	CARD_CODE(ERR_RANGE, "beyond the card's memory"),
	CARD_CODE(ERR_HOST, "the bus rejected a host-memory access"),
	CARD_CODE(ERR_INJECTED, "fault injection"),
	CARD_CODE(ERR_ABORTED, "an earlier segment of the transfer failed"),
	CARD_CODE(ERR_BOUNDARY, "a segment crosses the card's address boundary"),
};
#undef CARD_CODE

static int card_code(uint32_t model, uint32_t status)
{
	size_t k;

	if (model != BUSMASTER_MODEL_CARD)
		return -1;
	for (k = 0; k < ARRAY_SIZE(card_codes); k++)
		if (card_codes[k].code == status)
			return (int)k;
	return -1;
}

const char *bm_card_status_name(uint32_t model, uint32_t status)
{
	int k = card_code(model, status);

	return k < 0 ? NULL : card_codes[k].name;
}

static bool xfer_from_card(const struct busmaster_transfer *t)
{
	return t && (t->flags & BUSMASTER_XFER_FROM_CARD);
}

static bool xfer_common(const struct busmaster_transfer *t)
{
	return t && (t->flags & BUSMASTER_XFER_COMMON);
}

static bool xfer_registered(const struct busmaster_transfer *t)
{
	return t && (t->flags & BUSMASTER_XFER_REGISTERED);
}

/* BUSMASTER_XFER_COPY or _PIN: how user memory reaches the card, chosen */
static bool xfer_chosen(const struct busmaster_transfer *t)
{
	return t && (t->flags & (BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN));
}

/* @addr is an offset in a common or registered buffer */
static bool xfer_in_buffer(const struct busmaster_transfer *t)
{
	return xfer_common(t) || xfer_registered(t);
}

/* "common" or "registered", for messages */
static const char *buffer_kind(const struct busmaster_transfer *t)
{
	return xfer_registered(t) ? "registered" : "common";
}

/* EINVAL: which of the documented causes applies, as far as we can tell */
static int einval_msg(const struct busmaster_transfer *t,
		      const struct busmaster_info *info, char *buf, size_t len)
{
	uint32_t align = info ? info->alignment : 0;

	if (t && !t->length)
		return snprintf(buf, len, "nothing to move (length 0)");
	if (align > 1 && (!t || t->addr % align || t->length % align ||
			  t->card_offset % align))
		return snprintf(buf, len,
				"the card needs %u-byte alignment of address, length and card offset",
				align);
	if (t && t->addr + t->length < t->addr)
		return snprintf(buf, len, "%s",
				xfer_in_buffer(t) ?
				"the buffer offset range wraps around" :
				"the buffer's address range wraps around");
	if (t && !xfer_in_buffer(t) && t->handle)
		return snprintf(buf, len,
				"a buffer handle without the common- or registered-buffer flag");
	if (t && xfer_common(t) && xfer_registered(t))
		return snprintf(buf, len,
				"a buffer is either common or registered, not both");
	if (t && (t->flags & BUSMASTER_XFER_NO_SYNC) && !xfer_registered(t))
		return snprintf(buf, len,
				"no-sync applies to registered buffers only");
	if (xfer_chosen(t) && info && info->abi_version &&
	    info->abi_version < 3)
		return snprintf(buf, len,
				"the driver (ABI %u) cannot be told to copy or pin: that needs ABI 3",
				info->abi_version);
	if (xfer_chosen(t) && (t->flags & BUSMASTER_XFER_COPY) &&
	    (t->flags & BUSMASTER_XFER_PIN))
		return snprintf(buf, len,
				"a request is either copied or pinned, not both");
	if (xfer_chosen(t) && xfer_in_buffer(t))
		return snprintf(buf, len,
				"copy and pin apply to plain user memory, not to a common or registered buffer");
	return snprintf(buf, len,
			"the driver refused the request (length 0, a wrapping address range, misalignment, unknown flags or non-zero reserved fields)");
}

static int erange_msg(const struct busmaster_transfer *t,
		      const struct busmaster_info *info, char *buf, size_t len)
{
	char mem[BM_SIZE_STR_LEN];
	bool card_fits;

	if (!info)
		return xfer_in_buffer(t) ?
		       snprintf(buf, len,
				"beyond the card's memory or the %s buffer",
				buffer_kind(t)) :
		       snprintf(buf, len, "beyond the card's memory");
	bm_format_size(info->card_mem_size, mem, sizeof(mem));
	card_fits = t && t->card_offset <= info->card_mem_size &&
		    t->length <= info->card_mem_size - t->card_offset;
	if (xfer_in_buffer(t) && card_fits)
		return snprintf(buf, len, "beyond the %s buffer",
				buffer_kind(t));
	return snprintf(buf, len, "beyond the card's memory (the card has %s)",
			mem);
}

static int eio_msg(const struct busmaster_transfer *t,
		   const struct busmaster_info *info, char *buf, size_t len)
{
	uint32_t status = t ? t->card_status : 0;
	int k = card_code(info ? info->card_model : BUSMASTER_MODEL_CARD,
			  status);

	if (!status)
		return snprintf(buf, len, "the card failed the transfer (its DMA channel halted)");
	if (k < 0)
		return snprintf(buf, len,
				"the card failed the transfer with status 0x%x",
				status);
	return snprintf(buf, len,
			"the card failed the transfer with status 0x%x (%s: %s)",
			status, card_codes[k].name, card_codes[k].meaning);
}

int bm_strerror_transfer(int err, const struct busmaster_transfer *t,
			 const struct busmaster_info *info, char *buf,
			 size_t len)
{
	const char *msg = NULL;
	int n = 0;

	if (!buf)
		return set_errno(EINVAL);
	switch (err) {
	case EINVAL:
		n = einval_msg(t, info, buf, len);
		break;
	case ERANGE:
		n = erange_msg(t, info, buf, len);
		break;
	case EIO:
		n = eio_msg(t, info, buf, len);
		break;
	case EFAULT:
		msg = xfer_from_card(t) ? "the buffer is not writable memory" :
		      t ? "the buffer is not readable memory" :
			  "the buffer is not mapped (or not writable, for a read)";
		break;
	case ENOENT:
		msg = xfer_registered(t) ?
		      "no such registered buffer in this file" :
		      xfer_common(t) ? "no such common buffer in this file" :
		      "no such common or registered buffer in this file";
		break;
	case EPERM:
		msg = "the buffer was registered without card-writes (BUSMASTER_REG_CARD_WRITES): the card may not write it";
		break;
	case ETIMEDOUT:
		msg = "the card did not finish in time; its DMA channel was stopped";
		break;
	case ECANCELED:
		msg = "another request's timeout reset the card under this one; retrying is safe";
		break;
	case ESHUTDOWN:
		msg = "the card could not be stopped after a timeout and is cut off the bus until its PCI function is reset (sysfs reset)";
		break;
	case EINTR:
		msg = "interrupted by a signal (the card transfer in progress was finished first)";
		break;
	case ENODEV:
		msg = "the card was removed";
		break;
	case ENOTTY:
		msg = "not a busmaster card, or a driver without transfers";
		break;
	case E2BIG:
		msg = "the driver is older than this library and refused its request";
		break;
	case ENOMEM:
		msg = t && (t->flags & BUSMASTER_XFER_COPY) ?
		      "no memory for the driver's copy buffer, or no bounce space now: retry, or let the driver choose (no copy flag)" :
		      "no bounce space for the buffer now (swiotlb or the card's map registers are full): retry, or move less at once";
		break;
	case EBADF:
		msg = "the card is not open for reading and writing";
		break;
	default:
		msg = strerror(err);
		break;
	}
	if (msg)
		n = snprintf(buf, len, "%s", msg);
	if (n < 0 || (size_t)n >= len)
		return set_errno(ENOSPC);
	return 0;
}

const char *bm_strerror_common(int err)
{
	switch (err) {
	case ENOMEM:
		return "no contiguous memory within the card's reach";
	case EMFILE:
		return "too many common buffers in this file";
	case EINVAL:
		return "the length is 0 or above the common buffer maximum";
	case ENOENT:
		return "no such common buffer in this file";
	case EBUSY:
		return "a transfer on the common buffer is in progress";
	case ENODEV:
		return "the card was removed";
	case ENOTTY:
		return "not a busmaster card, or a driver without common buffers";
	default:
		return strerror(err);
	}
}

/* ENOMEM of REGISTER: the process's RLIMIT_MEMLOCK, as it is now */
static int enomem_register_msg(char *buf, size_t len)
{
	char lim[BM_SIZE_STR_LEN];
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return snprintf(buf, len,
				"over RLIMIT_MEMLOCK (ulimit -l), or no bounce space left for the mapping");
	if (rl.rlim_cur == RLIM_INFINITY)
		return snprintf(buf, len,
				"no bounce space left for the mapping, or out of memory (RLIMIT_MEMLOCK is unlimited)");
	if (rl.rlim_cur % 1024)
		bm_format_size((uint64_t)rl.rlim_cur, lim, sizeof(lim));
	else
		snprintf(lim, sizeof(lim), "%llu KiB",
			 (unsigned long long)rl.rlim_cur / 1024);
	return snprintf(buf, len,
			"over RLIMIT_MEMLOCK (ulimit -l): %s allowed for all the memory this process pins, or no bounce space left for the mapping",
			lim);
}

int bm_strerror_register(int err, char *buf, size_t len)
{
	const char *msg = NULL;
	int n = 0;

	if (!buf)
		return set_errno(EINVAL);
	switch (err) {
	case ENOMEM:
		n = enomem_register_msg(buf, len);
		break;
	case EMFILE:
		msg = "too many registered buffers in this file (at most "
		      BM_STR(BUSMASTER_REGISTER_PER_FILE) ")";
		break;
	case EFAULT:
		msg = "not mapped, not writable, or memory the kernel will not pin long-term (e.g. a file mapping that needs writeback)";
		break;
	case EINVAL:
		msg = "the driver refused the request (length 0 or above the 1 GiB maximum, a wrapping range, misalignment, unknown flags or non-zero reserved fields)";
		break;
	case ERANGE:
		msg = "beyond the registered buffer";
		break;
	case ENOENT:
		msg = "no such registered buffer in this file";
		break;
	case ENODEV:
		msg = "the card was removed";
		break;
	case ENOTTY:
		msg = "not a busmaster card, or a driver without registered buffers";
		break;
	case E2BIG:
		msg = "the driver is older than this library and refused its request";
		break;
	default:
		msg = strerror(err);
		break;
	}
	if (msg)
		n = snprintf(buf, len, "%s", msg);
	if (n < 0 || (size_t)n >= len)
		return set_errno(ENOSPC);
	return 0;
}
