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
#include <linux/dma-mapping.h>
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
 * mapping (bm_keep_chunk()), so it keeps the pages too (their record made
 * with them), and the file allocates another.
 */
static void bm_copy_buf_abandon(struct bm_dev *bm, struct bm_copy_buf *cb)
{
	struct bm_kept_copy *kc = cb->kept;

	kc->page = cb->page;
	if (!bm_keep(bm, &kc->kept, bm_kept_copy_release))
		bm_kept_copy_release(&kc->kept);
	cb->page = NULL;
	cb->kept = NULL;
}

/*
 * The buffer, allocated on first use: contiguous, so that a piece is one
 * segment for the card. Below 4 GiB where the card cannot reach above, so
 * that the DMA API need not bounce it again, if there is memory there.
 * The driver's own choice gives up at once: it can pin instead.
 */
static int bm_copy_buf_alloc(struct bm_dev *bm, struct bm_copy_buf *cb,
			     bool forced)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN |
		    (forced ? 0 : __GFP_NORETRY);
	unsigned int order = get_order(BM_COPY_SIZE), i;

	if (cb->page)
		return 0;
	cb->kept = kmalloc(sizeof(*cb->kept), GFP_KERNEL_ACCOUNT);
	if (!cb->kept)
		return -ENOMEM;
	if (dma_addressing_limited(&bm->pdev->dev))
		cb->page = alloc_pages(gfp | GFP_DMA32, order);
	if (!cb->page)
		cb->page = alloc_pages(gfp, order);
	if (!cb->page) {
		kfree(cb->kept);
		cb->kept = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < ARRAY_SIZE(cb->pages); i++)
		cb->pages[i] = cb->page + i;
	return 0;
}

/*
 * Copy @len bytes between the user's @uaddr and the buffer, card let go.
 * Return: the bytes not copied (a fault), or a negative errno (-ENODEV:
 * the card was removed meanwhile).
 */
static long bm_copy_user(struct bm_dev *bm, struct bm_copy_buf *cb, u64 uaddr,
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
	return ret ?: left;
}

/*
 * Take the file's buffer: at once for a request the driver chose to copy
 * (@declined when another of the file's threads has it or there is no
 * memory for it: that request is pinned instead), waiting interruptibly,
 * card let go, for one the caller forced.
 */
static int bm_copy_buf_get(struct bm_file *bf, bool forced, bool *declined)
{
	struct bm_copy_buf *cb = &bf->copy;
	bool locked;
	int ret = 0;

	if (forced) {
		bm_user_access_begin(bf->bm);
		locked = !mutex_lock_interruptible(&cb->lock);
		ret = bm_user_access_end(bf->bm);
		/* Nothing moved yet: a handler's return restarts the call. */
		if (!locked)
			return ret ?: -ERESTARTSYS;
	} else if (!mutex_trylock(&cb->lock)) {
		*declined = true;
		return 0;
	}
	ret = ret ?: bm_copy_buf_alloc(bf->bm, cb, forced);
	if (ret) {
		mutex_unlock(&cb->lock);
		*declined = !forced && ret == -ENOMEM;
		return *declined ? 0 : ret;
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

/* Move the pieces of @t through the buffer, taken; bytes the caller got. */
static u64 bm_copy_pieces(struct bm_request *rq, struct bm_copy_buf *cb,
			  const struct busmaster_transfer *t)
{
	struct bm_dev *bm = rq->bm;
	u32 align = bm->adapter.alignment;
	u64 copied = 0, n;
	long left;

	while (!rq->error && copied < t->length) {
		n = min_t(u64, t->length - copied, BM_COPY_SIZE);
		if (rq->from_card) {
			/* Only what the card wrote reaches the caller, never old data. */
			memset(page_address(cb->page), 0, n);
		} else {
			left = bm_copy_user(bm, cb, t->addr + copied, n, false);
			if (left) {
				rq->error = left < 0 ? left : -EFAULT;
				break;
			}
		}
		bm_transfer_pages(rq, cb->pages, 0, n, BM_CLAIM_NONE);
		/* The card is done with the buffer before it is used again. */
		bm_transfer_drain(rq);
		n = rq->bytes_done - copied;
		if (READ_ONCE(bm->quarantined)) {
			/* It may write the buffer yet: none of that is data. */
			bm_copy_buf_abandon(bm, cb);
			rq->error = rq->error ?: -ESHUTDOWN;
			return rq->from_card ? copied : copied + n;
		}
		/* Short without an error: the card's bug, as for a pinned one. */
		if (!rq->error && rq->bytes_done != rq->posted_bytes)
			rq->error = -EIO;
		if (rq->from_card && n) {
			left = bm_copy_user(bm, cb, t->addr + copied, n, true);
			if (left) {
				if (left > 0)
					copied += round_down(n - left, align);
				rq->error = rq->error ?: left < 0 ? left : -EFAULT;
				break;
			}
		}
		copied += n;
	}
	return copied;
}

/**
 * bm_transfer_copy - TRANSFER of user memory through the file's buffer
 * @bf: the file
 * @t: the request, checked (bm_transfer_check()); its results are set
 *	unless @declined
 * @declined: out: the driver chose to copy, but another thread of the file
 *	has the buffer or there is no memory for it: nothing was done, pin
 *	instead
 *
 * Context: process context, @bf->bm->lifetime held for read, card present;
 * it is let go while user memory is copied.
 * Return: 0 or a negative errno (uapi/linux/busmaster.h).
 */
int bm_transfer_copy(struct bm_file *bf, struct busmaster_transfer *t,
		     bool *declined)
{
	bool from_card = t->flags & BUSMASTER_XFER_FROM_CARD;
	struct bm_copy_buf *cb = &bf->copy;
	struct bm_dev *bm = bf->bm;
	struct bm_request rq;
	int ret;

	*declined = false;
	t->bytes_done = 0;
	t->card_status = 0;
	t->transfers = 0;
	ret = bm_copy_buf_get(bf, t->flags & BUSMASTER_XFER_COPY, declined);
	if (ret || *declined)
		return ret;
	ret = bm_request_init(&rq, bm, from_card, t->card_offset,
			      bm_caller_timeout_ms(t->timeout_ms));
	if (!ret) {
		trace_busmaster_request_start(&rq, BM_REQ_COPY, t->length);
		atomic64_inc(&bm->stats.requests_copied);
		t->bytes_done = bm_copy_pieces(&rq, cb, t);
		bm_transfer_finish(&rq);
		atomic64_add(t->bytes_done, &bm->stats.bytes_copied);
		ret = rq.error;
		t->card_status = rq.card_status;
		t->transfers = rq.transfers;
	}
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
	kfree(cb->kept);
	mutex_destroy(&cb->lock);
}
