// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: small requests copied, not pinned.
 *
 * Pinning and mapping a user buffer costs the same few steps at any size
 * (GUP, page claims, a scatterlist, a DMA mapping, their undoing); copying
 * a few KiB costs less. So TRANSFER copies a request of at most copy_max
 * bytes (module parameter) through a buffer of the file's own, kernel
 * memory allocated on first use, and pins larger ones. NT drivers make the
 * same choice per device: DO_BUFFERED_IO, the I/O manager copying through
 * a system buffer, against DO_DIRECT_IO's MDL. BUSMASTER_XFER_COPY and
 * _PIN choose per request; a forced copy of more than the buffer goes
 * through it piece by piece, one card transfer at a time (the design of
 * drivers built on one bounce buffer).
 *
 * The user's memory is copied with the card let go (bm_user_access_begin()),
 * as it is pinned. The card sees only the file's buffer, mapped per piece
 * by the transfer engine (bm_transfer_pages()): bouncing and splitting are
 * as for any kernel memory.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "busmaster.h"
#include "busmaster_trace.h"

/*
 * Requests of at most this many bytes are copied, unless a flag says: up
 * to the whole buffer, copying beat pinning at every size measured
 * (xfer_bench --crossover, docs/performance.md).
 */
static unsigned int bm_copy_max = BM_COPY_SIZE;
BM_PARAM_UINT(copy_max, bm_copy_max, 0, BM_COPY_SIZE, 0644);
MODULE_PARM_DESC(copy_max, "TRANSFER copies user requests up to this many bytes through a kernel buffer instead of pinning them (0: never; at most 65536)");

/* What a quarantined card may yet write: the buffer, freed when it lifts. */
struct bm_kept_copy {
	struct bm_kept kept;
	struct page *page;
};

static void bm_kept_copy_release(struct bm_kept *k)
{
	struct bm_kept_copy *kc = container_of(k, typeof(*kc), kept);

	__free_pages(kc->page, get_order(BM_COPY_SIZE));
	kfree(kc);
}

/*
 * The card was cut off the bus while it had the buffer: it keeps the
 * mapping (bm_keep_chunk()), so it keeps the pages too, and the file
 * allocates another.
 */
static void bm_copy_buf_abandon(struct bm_dev *bm, struct bm_copy_buf *cb)
{
	struct bm_kept_copy *kc = kmalloc(sizeof(*kc), GFP_KERNEL);

	if (kc) {
		kc->page = cb->page;
		if (!bm_keep(bm, &kc->kept, bm_kept_copy_release))
			bm_kept_copy_release(&kc->kept);
	}	/* else leaked: better than the card writing freed memory */
	cb->page = NULL;
}

/* The buffer, allocated on first use within reach of a card that bounces. */
static int bm_copy_buf_alloc(struct bm_dev *bm, struct bm_copy_buf *cb)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN;
	unsigned int i;

	if (cb->page)
		return 0;
	/* Below 4 GiB the DMA API need not bounce it again through swiotlb. */
	if (bm->adapter.bounce == BUSMASTER_BOUNCE_SWIOTLB)
		gfp |= GFP_DMA32;
	cb->page = alloc_pages(gfp, get_order(BM_COPY_SIZE));
	if (!cb->page)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(cb->pages); i++)
		cb->pages[i] = cb->page + i;
	return 0;
}

/* Copy @len bytes between the user's @uaddr and the buffer, card let go. */
static int bm_copy_user(struct bm_dev *bm, struct bm_copy_buf *cb, u64 uaddr,
			u64 len, bool to_user)
{
	void *kaddr = page_address(cb->page);
	unsigned long left;
	int ret;

	bm_user_access_begin(bm);
	if (to_user)
		left = copy_to_user(u64_to_user_ptr(uaddr), kaddr, len);
	else
		left = copy_from_user(kaddr, u64_to_user_ptr(uaddr), len);
	ret = bm_user_access_end(bm);
	return ret ?: left ? -EFAULT : 0;
}

/*
 * Take the file's buffer: at once for a request the driver chose to copy
 * (-EAGAIN when another of the file's threads has it: that one is pinned
 * instead), waiting, card let go, for one the caller forced.
 */
static int bm_copy_buf_get(struct bm_file *bf, bool forced)
{
	struct bm_copy_buf *cb = &bf->copy;
	bool locked;
	int ret;

	if (forced) {
		bm_user_access_begin(bf->bm);
		locked = !mutex_lock_killable(&cb->lock);
		ret = bm_user_access_end(bf->bm);
		if (!locked)
			return ret ?: -EINTR;
	} else {
		if (!mutex_trylock(&cb->lock))
			return -EAGAIN;
		ret = 0;
	}
	ret = ret ?: bm_copy_buf_alloc(bf->bm, cb);
	if (ret) {
		mutex_unlock(&cb->lock);
		return forced || ret == -ENODEV ? ret : -EAGAIN;
	}
	return 0;
}

/**
 * bm_copy_wanted - whether TRANSFER copies a request of user memory
 * @flags: its BUSMASTER_XFER_* flags, checked
 * @length: its bytes
 *
 * Return: true to copy (bm_transfer_copy()), false to pin.
 */
bool bm_copy_wanted(u32 flags, u64 length)
{
	if (flags & (BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN))
		return flags & BUSMASTER_XFER_COPY;
	return length <= READ_ONCE(bm_copy_max);
}

/**
 * bm_transfer_copy - TRANSFER of user memory through the file's buffer
 * @bf: the file
 * @t: the request, checked (bm_transfer_check()); its results are set
 *	when the return value is not -EAGAIN
 *
 * Context: process context, @bf->bm->lifetime held for read, card present;
 * it is let go while user memory is copied.
 * Return: 0 or a negative errno (uapi/linux/busmaster.h); -EAGAIN when
 * the driver chose to copy and another thread of the file has the buffer:
 * nothing was done, pin instead.
 */
int bm_transfer_copy(struct bm_file *bf, struct busmaster_transfer *t)
{
	bool forced = t->flags & BUSMASTER_XFER_COPY;
	bool from_card = t->flags & BUSMASTER_XFER_FROM_CARD;
	struct bm_copy_buf *cb = &bf->copy;
	struct bm_dev *bm = bf->bm;
	struct bm_request rq;
	u64 copied = 0;
	int ret;

	t->card_status = 0;
	t->transfers = 0;
	ret = bm_copy_buf_get(bf, forced);
	if (ret)
		return ret;
	ret = bm_request_init(&rq, bm, from_card, t->card_offset,
			      bm_caller_timeout_ms(t->timeout_ms));
	if (ret)
		goto out;
	trace_busmaster_request_start(&rq, BM_REQ_COPY, t->length);
	while (!rq.error && copied < t->length) {
		u64 n = min_t(u64, t->length - copied, BM_COPY_SIZE);

		if (!from_card)
			rq.error = bm_copy_user(bm, cb, t->addr + copied, n, false);
		if (rq.error)
			break;
		bm_transfer_pages(&rq, cb->pages, 0, n, BM_CLAIM_NONE);
		/* The card is done with the buffer before it is used again. */
		bm_transfer_drain(&rq);
		n = rq.bytes_done - copied;
		if (READ_ONCE(bm->quarantined)) {
			/* What it wrote since it was cut off is no data. */
			bm_copy_buf_abandon(bm, cb);
			if (!from_card)
				copied += n;
			rq.error = rq.error ?: -ESHUTDOWN;
			break;
		}
		if (from_card && n) {
			ret = bm_copy_user(bm, cb, t->addr + copied, n, true);
			if (ret) {
				rq.error = rq.error ?: ret;
				break;
			}
		}
		copied += n;
	}
	bm_transfer_finish(&rq);
	ret = rq.error;
	t->card_status = rq.card_status;
	t->transfers = rq.transfers;
	if (copied) {
		atomic64_inc(&bm->stats.requests_copied);
		atomic64_add(copied, &bm->stats.bytes_copied);
	}
out:
	t->bytes_done = copied;
	bm_request_fini(&rq);
	mutex_unlock(&cb->lock);
	return ret;
}

/**
 * bm_copy_buf_init - set up a file's copy buffer, unallocated
 * @cb: the buffer
 */
void bm_copy_buf_init(struct bm_copy_buf *cb)
{
	mutex_init(&cb->lock);
}

/**
 * bm_copy_buf_release - free a file's copy buffer
 * @cb: the buffer; no request uses it (the file is being released)
 */
void bm_copy_buf_release(struct bm_copy_buf *cb)
{
	if (cb->page)
		__free_pages(cb->page, get_order(BM_COPY_SIZE));
	mutex_destroy(&cb->lock);
}
