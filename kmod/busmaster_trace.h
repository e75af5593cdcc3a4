/* SPDX-License-Identifier: GPL-2.0 */
/*
 * busmaster tracepoints: one request from start to end, each card transfer
 * posted, completed or taken back, bounce space used, card resets. Watch
 * them with trace-cmd or /sys/kernel/tracing/events/busmaster/ (docs in
 * README.md, "Watching a transfer").
 *
 * Requests are numbered per card (req), so the card transfers of one
 * request can be told from the others on a busy card.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM busmaster

#if !defined(_BUSMASTER_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _BUSMASTER_TRACE_H

#include <linux/tracepoint.h>

#include "busmaster.h"

TRACE_DEFINE_ENUM(BM_REQ_USER);
TRACE_DEFINE_ENUM(BM_REQ_IOVEC);
TRACE_DEFINE_ENUM(BM_REQ_COMMON);
TRACE_DEFINE_ENUM(BM_REQ_REGISTERED);
TRACE_DEFINE_ENUM(BM_REQ_KERNEL);
TRACE_DEFINE_ENUM(BM_REQ_COPY);

#define BM_TRACE_KINDS						\
	{ BM_REQ_USER, "user" },				\
	{ BM_REQ_IOVEC, "iovec" },				\
	{ BM_REQ_COMMON, "common" },				\
	{ BM_REQ_REGISTERED, "registered" },			\
	{ BM_REQ_KERNEL, "kernel" },				\
	{ BM_REQ_COPY, "copy" }

TRACE_EVENT(busmaster_request_start,
	TP_PROTO(const struct bm_request *rq, enum bm_request_kind kind, u64 length),
	TP_ARGS(rq, kind, length),
	TP_STRUCT__entry(
		__field(int, card)
		__field(u32, req)
		__field(u8, kind)
		__field(bool, from_card)
		__field(u64, length)
		__field(u64, card_offset)
	),
	TP_fast_assign(
		__entry->card = rq->bm->id;
		__entry->req = rq->id;
		__entry->kind = kind;
		__entry->from_card = rq->from_card;
		__entry->length = length;
		__entry->card_offset = rq->card_offset;
	),
	TP_printk("busmaster%d req=%u %s %s length=%llu card_offset=0x%llx",
		  __entry->card, __entry->req,
		  __print_symbolic(__entry->kind, BM_TRACE_KINDS),
		  __entry->from_card ? "from_card" : "to_card",
		  __entry->length, __entry->card_offset)
);

TRACE_EVENT(busmaster_request_end,
	TP_PROTO(const struct bm_request *rq),
	TP_ARGS(rq),
	TP_STRUCT__entry(
		__field(int, card)
		__field(u32, req)
		__field(int, error)
		__field(u32, transfers)
		__field(u32, card_status)
		__field(u64, bytes_done)
	),
	TP_fast_assign(
		__entry->card = rq->bm->id;
		__entry->req = rq->id;
		__entry->error = rq->error;
		__entry->transfers = rq->transfers;
		__entry->card_status = rq->card_status;
		__entry->bytes_done = rq->bytes_done;
	),
	TP_printk("busmaster%d req=%u bytes_done=%llu transfers=%u error=%d card_status=0x%x",
		  __entry->card, __entry->req, __entry->bytes_done,
		  __entry->transfers, __entry->error, __entry->card_status)
);

/* A card transfer queued on the card, before the card can see it. */
TRACE_EVENT(busmaster_xfer_submit,
	TP_PROTO(const struct bm_xfer *x),
	TP_ARGS(x),
	TP_STRUCT__entry(
		__field(int, card)
		__field(u32, req)
		__field(u32, chan)
		__field(u32, nsegs)
		__field(bool, follow)
		__field(u64, length)
		__field(u64, card_offset)
	),
	TP_fast_assign(
		__entry->card = x->rq->bm->id;
		__entry->req = x->rq->id;
		__entry->chan = x->chan;
		__entry->nsegs = x->nsegs;
		__entry->follow = x->follow;
		__entry->length = x->length;
		__entry->card_offset = x->card_offset;
	),
	TP_printk("busmaster%d req=%u chan=%u segs=%u length=%llu card_offset=0x%llx%s",
		  __entry->card, __entry->req, __entry->chan, __entry->nsegs,
		  __entry->length, __entry->card_offset,
		  __entry->follow ? " follow" : "")
);

/* The card finished with a card transfer (usually in its interrupt). */
TRACE_EVENT(busmaster_xfer_done,
	TP_PROTO(const struct bm_xfer *x),
	TP_ARGS(x),
	TP_STRUCT__entry(
		__field(int, card)
		__field(u32, req)
		__field(u32, chan)
		__field(int, error)
		__field(u32, card_status)
		__field(u64, bytes_done)
	),
	TP_fast_assign(
		__entry->card = x->rq->bm->id;
		__entry->req = x->rq->id;
		__entry->chan = x->chan;
		__entry->error = x->error;
		__entry->card_status = x->card_status;
		__entry->bytes_done = x->bytes_done;
	),
	TP_printk("busmaster%d req=%u chan=%u bytes_done=%llu error=%d card_status=0x%x",
		  __entry->card, __entry->req, __entry->chan,
		  __entry->bytes_done, __entry->error, __entry->card_status)
);

/* Its waiter gave up on it (timeout, or a fatal signal): taken back. */
TRACE_EVENT(busmaster_xfer_cancel,
	TP_PROTO(const struct bm_xfer *x, int why),
	TP_ARGS(x, why),
	TP_STRUCT__entry(
		__field(int, card)
		__field(u32, req)
		__field(u32, chan)
		__field(int, why)
		__field(int, error)
		__field(u64, bytes_done)
	),
	TP_fast_assign(
		__entry->card = x->rq->bm->id;
		__entry->req = x->rq->id;
		__entry->chan = x->chan;
		__entry->why = why;
		__entry->error = x->error;
		__entry->bytes_done = x->bytes_done;
	),
	TP_printk("busmaster%d req=%u chan=%u %s: error=%d bytes_done=%llu",
		  __entry->card, __entry->req, __entry->chan,
		  __entry->why == -ETIMEDOUT ? "timed out" : "killed",
		  __entry->error, __entry->bytes_done)
);

/* A chunk is copied on the way: pages of it in swiotlb, or map registers. */
TRACE_EVENT(busmaster_bounce,
	TP_PROTO(const struct bm_request *rq, bool map_registers, unsigned int pages),
	TP_ARGS(rq, map_registers, pages),
	TP_STRUCT__entry(
		__field(int, card)
		__field(u32, req)
		__field(bool, map_registers)
		__field(unsigned int, pages)
	),
	TP_fast_assign(
		__entry->card = rq->bm->id;
		__entry->req = rq->id;
		__entry->map_registers = map_registers;
		__entry->pages = pages;
	),
	TP_printk("busmaster%d req=%u %s pages=%u", __entry->card,
		  __entry->req,
		  __entry->map_registers ? "map_registers" : "swiotlb",
		  __entry->pages)
);

TRACE_EVENT(busmaster_card_reset,
	TP_PROTO(const struct bm_dev *bm, int ret),
	TP_ARGS(bm, ret),
	TP_STRUCT__entry(
		__field(int, card)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->card = bm->id;
		__entry->ret = ret;
	),
	TP_printk("busmaster%d ret=%d", __entry->card, __entry->ret)
);

#endif /* _BUSMASTER_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE busmaster_trace
#include <trace/define_trace.h>
