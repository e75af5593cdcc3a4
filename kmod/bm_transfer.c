// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: DMA between a user buffer and on-card memory.
 *
 * The NT sequence for one IRP -- IoAllocateMdl + MmProbeAndLockPages,
 * GetScatterGatherList (or AllocateAdapterChannel + MapTransfer), the
 * AdapterControl callback programming the card, FlushAdapterBuffers,
 * PutScatterGatherList, MmUnlockPages -- is, here, for each chunk of the
 * request that fits the map-register budget:
 *
 *   pin_user_pages_fast()            (FOLL_WRITE when the card writes memory)
 *   sg_alloc_table_from_pages_segment() + dma_map_sgtable()
 *   card transfers of at most max_segments segments each, one after another
 *   dma_unmap_sgtable()              (swiotlb copies bounced data back here)
 *   unpin_user_pages_dirty_lock()
 *
 * For cards below 32 bits the data goes through the driver's map registers
 * instead of dma_map_sgtable() (bm_mapreg.c), copied from and to the pinned
 * pages as the HAL copies to and from the MDL's pages.
 *
 * Splitting at the map-register budget and the card's limits is automatic,
 * as KMDF's is; bytes_done reports what completed, in order.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "busmaster.h"

unsigned int bm_timeout_ms = 5000;
module_param_named(timeout_ms, bm_timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms,
		 "Default time one card transfer may take before the card is reset (ms)");

/**
 * struct bm_request - one TRANSFER ioctl in progress (NT: one IRP)
 * @bm: the card
 * @from_card: card -> memory
 * @chan: which of @bm->chan_lock serializes this direction
 * @dir: the DMA API direction for the host side
 * @card_offset: where the next card transfer starts in card memory
 * @timeout: jiffies one card transfer may take
 * @pages: pinned pages of the current chunk
 * @bytes_done: bytes completed, from the start of the request
 * @card_status: the card's code for a failing segment
 * @transfers: card transfers submitted
 * @error: the first error; nothing more is submitted after it
 * @xfer: the card transfer being filled
 */
struct bm_request {
	struct bm_dev *bm;
	bool from_card;
	int chan;
	enum dma_data_direction dir;
	u64 card_offset;
	unsigned long timeout;
	struct page **pages;
	u64 bytes_done;
	u32 card_status;
	u32 transfers;
	int error;
	struct bm_xfer xfer;
};

/* Submit the card transfer filled so far and wait for it. */
static void bm_flush(struct bm_request *rq)
{
	struct bm_dev *bm = rq->bm;
	struct bm_xfer *x = &rq->xfer;
	int ret;

	if (!x->nsegs || rq->error)
		return;
	/* Between card transfers, a signal ends the request. */
	if (signal_pending(current)) {
		rq->error = -EINTR;
		return;
	}
	x->from_card = rq->from_card;
	x->card_offset = rq->card_offset;
	x->bytes_done = 0;
	x->card_status = 0;
	x->error = 0;
	reinit_completion(&x->done);

	/* One card transfer per channel at a time; each direction its own. */
	if (mutex_lock_interruptible(&bm->chan_lock[rq->chan])) {
		rq->error = -EINTR;
		return;
	}
	ret = bm->ops->submit(bm, x);
	if (!ret) {
		/*
		 * Not interruptible: the card owns the pages until it is done
		 * or stopped. ->cancel() stops it on timeout.
		 */
		if (!wait_for_completion_timeout(&x->done, rq->timeout))
			bm->ops->cancel(bm, x);
		ret = x->error;
		rq->bytes_done += x->bytes_done;
		rq->card_status = x->card_status;
		rq->transfers++;
		atomic_inc(&bm->stats.transfers);
	}
	mutex_unlock(&bm->chan_lock[rq->chan]);
	rq->card_offset += x->length;
	x->nsegs = 0;
	x->length = 0;
	rq->error = ret;
}

/* Append a bus address range to card transfers, cut to the card's limits. */
static void bm_feed(struct bm_request *rq, dma_addr_t addr, u64 len)
{
	const struct bm_adapter *ad = &rq->bm->adapter;
	struct bm_xfer *x = &rq->xfer;

	while (len && !rq->error) {
		u64 piece = min3(len, ad->max_segment_size,
				 ad->max_transfer_size - x->length);

		x->segs[x->nsegs].addr = addr;
		x->segs[x->nsegs].len = piece;
		x->nsegs++;
		x->length += piece;
		addr += piece;
		len -= piece;
		if (x->nsegs == ad->max_segments ||
		    x->length == ad->max_transfer_size)
			bm_flush(rq);
	}
}

static int bm_pin(struct bm_request *rq, u64 uaddr, u64 len,
		  unsigned int *npages)
{
	unsigned int n = DIV_ROUND_UP(offset_in_page(uaddr) + len, PAGE_SIZE);
	int got;

	got = pin_user_pages_fast(uaddr & PAGE_MASK, n,
				  rq->from_card ? FOLL_WRITE : 0, rq->pages);
	if (got < 0)
		return got;
	if (got < n) {
		unpin_user_pages(rq->pages, got);
		return -EFAULT;
	}
	atomic_add(n, &rq->bm->stats.pinned_pages);
	*npages = n;
	return 0;
}

/* MmUnlockPages: dirty them if the card wrote them. */
static void bm_unpin(struct bm_request *rq, unsigned int npages)
{
	unpin_user_pages_dirty_lock(rq->pages, npages, rq->from_card);
	atomic_sub(npages, &rq->bm->stats.pinned_pages);
}

/* The DMA API maps the pages: directly, through an IOMMU or via swiotlb. */
static void bm_chunk_mapped(struct bm_request *rq, u64 uaddr, u64 len,
			    unsigned int npages)
{
	struct device *dev = &rq->bm->pdev->dev;
	/*
	 * Merge contiguous pages up to the card's segment size; the scatterlist
	 * needs whole pages (edu's segments are 4095 bytes): bm_feed() cuts.
	 */
	unsigned int max_seg = max_t(unsigned int, PAGE_SIZE,
				     round_down(dma_get_max_seg_size(dev), PAGE_SIZE));
	struct sg_table sgt;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	ret = sg_alloc_table_from_pages_segment(&sgt, rq->pages, npages,
						offset_in_page(uaddr), len,
						max_seg, GFP_KERNEL);
	if (ret) {
		rq->error = ret;
		return;
	}
	ret = dma_map_sgtable(dev, &sgt, rq->dir, 0);
	if (ret) {
		rq->error = ret == -EINVAL ? -EIO : ret;
		goto free;
	}
	for_each_sgtable_dma_sg(&sgt, sg, i)
		bm_feed(rq, sg_dma_address(sg), sg_dma_len(sg));
	bm_flush(rq);
	/* FlushAdapterBuffers: bounced data reaches the user's pages here. */
	dma_unmap_sgtable(dev, &sgt, rq->dir, 0);
free:
	sg_free_table(&sgt);
}

/* Copy between the pinned pages and a map-register run, as the HAL does. */
static void bm_copy_pages(struct bm_request *rq, u64 uaddr, void *bounce,
			  u64 len, bool to_pages)
{
	unsigned int off = offset_in_page(uaddr), i = 0;

	while (len) {
		unsigned int n = min_t(u64, len, PAGE_SIZE - off);

		if (to_pages)
			memcpy_to_page(rq->pages[i], off, bounce, n);
		else
			memcpy_from_page(bounce, rq->pages[i], off, n);
		bounce += n;
		len -= n;
		off = 0;
		i++;
	}
}

/* The card cannot reach swiotlb: bounce through the driver's map registers. */
static void bm_chunk_mapreg(struct bm_request *rq, u64 uaddr, u64 len)
{
	struct bm_adapter *ad = &rq->bm->adapter;
	unsigned int pages = DIV_ROUND_UP(len, PAGE_SIZE);
	u64 before = rq->bytes_done;
	long first;

	first = bm_mapreg_get(rq->bm, pages);
	if (first < 0) {
		rq->error = first;
		return;
	}
	if (!rq->from_card)
		bm_copy_pages(rq, uaddr, ad->pool_cpu + (first << PAGE_SHIFT),
			      len, false);
	bm_feed(rq, ad->pool_dma + (first << PAGE_SHIFT), len);
	bm_flush(rq);
	if (rq->from_card)
		bm_copy_pages(rq, uaddr, ad->pool_cpu + (first << PAGE_SHIFT),
			      rq->bytes_done - before, true);
	bm_mapreg_put(rq->bm, first, pages);
}

/* Check the request against the card before touching anything. */
static int bm_transfer_check(const struct bm_adapter *ad,
			     const struct busmaster_transfer *t)
{
	u64 end;

	if (t->flags & ~(BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COMMON) ||
	    t->reserved)
		return -EINVAL;
	if (!(t->flags & BUSMASTER_XFER_COMMON) && t->handle)
		return -EINVAL;
	if (!t->length || check_add_overflow(t->addr, t->length, &end))
		return -EINVAL;
	if (!(t->flags & BUSMASTER_XFER_COMMON) && end > TASK_SIZE)
		return -EINVAL;
	if (!IS_ALIGNED(t->addr | t->length | t->card_offset, ad->alignment))
		return -EINVAL;
	if (check_add_overflow(t->card_offset, t->length, &end) ||
	    end > ad->card_mem_size)
		return -ERANGE;
	return 0;
}

/* The user's pages, chunk by chunk within the map-register budget. */
static void bm_transfer_user(struct bm_request *rq, u64 addr, u64 length)
{
	const struct bm_adapter *ad = &rq->bm->adapter;
	u64 budget = (u64)ad->map_registers << PAGE_SHIFT;

	while (rq->bytes_done < length && !rq->error) {
		u64 uaddr = addr + rq->bytes_done;
		u64 len = min(length - rq->bytes_done,
			      budget - offset_in_page(uaddr));
		unsigned int npages;

		rq->error = bm_pin(rq, uaddr, len, &npages);
		if (rq->error)
			break;
		if (ad->bounce == BUSMASTER_BOUNCE_MAP_REGISTERS)
			bm_chunk_mapreg(rq, uaddr, len);
		else
			bm_chunk_mapped(rq, uaddr, len, npages);
		bm_unpin(rq, npages);
		/* A short card transfer without an error is a card bug. */
		if (!rq->error && rq->bytes_done != uaddr + len - addr)
			rq->error = -EIO;
	}
}

/*
 * A common buffer is coherent memory within the card's reach: contiguous
 * in bus space and never bounced, it is fed to the card as it is.
 */
static void bm_transfer_common(struct bm_request *rq, struct bm_common *c,
			       u64 offset, u64 length)
{
	bm_feed(rq, c->dma + offset, length);
	bm_flush(rq);
	if (!rq->error && rq->bytes_done != length)
		rq->error = -EIO;
}

/**
 * bm_ioctl_transfer - BUSMASTER_IOCTL_TRANSFER
 * @bf: the file
 * @arg: struct busmaster_transfer, copied in
 * @respond: set when the output fields are to be copied back, even on error
 *
 * Context: process context, @bf->bm->lifetime held for read, card present.
 * Return: 0 or a negative errno (see uapi/linux/busmaster.h).
 */
int bm_ioctl_transfer(struct bm_file *bf, void *arg, bool *respond)
{
	struct busmaster_transfer *t = arg;
	struct bm_dev *bm = bf->bm;
	const struct bm_adapter *ad = &bm->adapter;
	struct bm_request rq = { .bm = bm };
	struct bm_common *common = NULL;
	int ret;

	ret = bm_transfer_check(ad, t);
	if (ret)
		return ret;
	if (t->flags & BUSMASTER_XFER_COMMON) {
		common = bm_common_get(bf, t->handle);
		if (!common)
			return -ENOENT;
		if (t->addr + t->length > common->size) {
			bm_common_put(common);
			return -ERANGE;
		}
	}

	rq.from_card = t->flags & BUSMASTER_XFER_FROM_CARD;
	rq.chan = rq.from_card && ad->dma_channels > 1;
	rq.dir = rq.from_card ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	rq.card_offset = t->card_offset;
	rq.timeout = msecs_to_jiffies(t->timeout_ms ?: READ_ONCE(bm_timeout_ms));
	init_completion(&rq.xfer.done);
	rq.pages = kvmalloc_array(ad->map_registers, sizeof(*rq.pages), GFP_KERNEL);
	rq.xfer.segs = kvmalloc_array(ad->max_segments, sizeof(*rq.xfer.segs),
				      GFP_KERNEL);
	if (!rq.pages || !rq.xfer.segs) {
		ret = -ENOMEM;
		goto out;
	}

	*respond = true;
	if (common)
		bm_transfer_common(&rq, common, t->addr, t->length);
	else
		bm_transfer_user(&rq, t->addr, t->length);
	ret = rq.error;
	t->bytes_done = rq.bytes_done;
	t->card_status = rq.card_status;
	t->transfers = rq.transfers;
out:
	kvfree(rq.xfer.segs);
	kvfree(rq.pages);
	if (common)
		bm_common_put(common);
	return ret;
}
