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
 *   bm_pages_claim()                 (one writer, or many readers, a page)
 *   sg_alloc_table_from_pages_segment() + dma_map_sgtable()
 *   card transfers of at most max_segments segments each (bm_engine.c)
 *   dma_unmap_sgtable()              (swiotlb copies bounced data back here)
 *   unpin_user_pages_dirty_lock()
 *
 * For cards below 32 bits the data goes through the driver's map registers
 * instead of dma_map_sgtable() (bm_mapreg.c), copied from and to the pinned
 * pages as the HAL copies to and from the MDL's pages.
 *
 * Splitting at the map-register budget and the card's limits is automatic,
 * as KMDF's is; bytes_done reports what completed, in order. The same page
 * engine serves pages pinned per request (TRANSFER, TRANSFERV), pages
 * pinned once (registered buffers, when they cannot stay mapped) and kernel
 * memory (MmBuildMdlForNonPagedPool's case, bm_transfer_kernel()).
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "busmaster.h"
#include "busmaster_trace.h"

/*
 * Pin the pages of [@uaddr, @uaddr + @c->len) for @c. Behind a chunk on
 * the card the request holds DMA resources, so it may not let go of the
 * card: @present pins only pages present (bm_pin_user()).
 */
static int bm_pin(struct bm_request *rq, struct bm_chunk *c, u64 uaddr,
		  bool present)
{
	unsigned int n = DIV_ROUND_UP(offset_in_page(uaddr) + c->len, PAGE_SIZE);
	int ret;

	ret = bm_pin_user(rq->bm, uaddr & PAGE_MASK, n,
			  rq->from_card ? FOLL_WRITE : 0, c->pages, present);
	if (ret)
		return ret;
	atomic_add(n, &rq->bm->stats.pinned_pages);
	c->npages = n;
	return 0;
}

/*
 * User memory a request moves: mapped, with pages to pin (GUP-fast pins
 * the pages the DMA API maps into a common buffer's VM_IO mapping behind
 * an IOMMU, so the VMAs are looked at first), and for card -> memory all
 * writable: EFAULT now, before any DMA. A thread that maps a common buffer
 * there after the look gets its own buffer moved: the pin keeps those
 * pages alive even if the buffer is freed, and nobody else's are in reach.
 */
static int bm_check_user_range(struct bm_dev *bm, u64 addr, u64 len,
			       bool from_card, bool long_term)
{
	bool writable;
	int ret = bm_user_writable(bm, addr, len, long_term, &writable);

	return ret ?: (writable || !from_card ? 0 : -EFAULT);
}

/*
 * What a quarantined card keeps of one chunk it was given: its DMA mapping
 * and the pages pinned under it (with their claim; @unpin: pinned for the
 * chunk, else the caller's, claimed only), or its map registers. Released
 * when the quarantine lifts: the card is quiet, and what it may have
 * written since is no data (no sync back to the pages).
 */
struct bm_kept_chunk {
	struct bm_kept kept;		/* first: the start of the allocation */
	struct bm_dev *bm;
	struct sg_table sgt;
	enum dma_data_direction dir;
	long first;
	unsigned int nregs;
	struct page **pages;
	unsigned int npages;
	enum bm_claim claim;
	bool unpin;
	bool dirty;
};

static void bm_kept_chunk_release(struct bm_kept *k)
{
	struct bm_kept_chunk *kc = container_of(k, typeof(*kc), kept);
	struct bm_dev *bm = kc->bm;

	if (kc->sgt.sgl) {
		dma_unmap_sgtable(&bm->pdev->dev, &kc->sgt, kc->dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
		sg_free_table(&kc->sgt);
	}
	if (kc->nregs)
		bm_mapreg_put(bm, kc->first, kc->nregs);
	if (kc->pages) {
		bm_pages_release(kc->pages, kc->npages, kc, kc->claim);
		if (kc->unpin) {
			unpin_user_pages_dirty_lock(kc->pages, kc->npages,
						    kc->dirty);
			atomic_sub(kc->npages, &bm->stats.pinned_pages);
		}
		kvfree(kc->pages);
	}
	kfree(kc);
}

/*
 * If the card is quarantined now and was given this chunk, take over what
 * @what names: kept (bm_quarantine.c), released at once if the quarantine
 * lifted meanwhile, or, short of memory to remember it, leaked. Return
 * false when the caller is to release it as usual.
 */
static bool bm_keep_chunk(struct bm_request *rq, struct bm_chunk *c,
			  const struct bm_kept_chunk *what)
{
	struct bm_dev *bm = rq->bm;
	struct bm_kept_chunk *kc;

	if (c->last_seq == c->first_seq || !READ_ONCE(bm->quarantined))
		return false;
	kc = kmemdup(what, sizeof(*kc), GFP_KERNEL);
	if (!kc)
		return true;
	kc->bm = bm;
	if (what->pages) {
		kc->pages = kvmalloc_array(what->npages, sizeof(*kc->pages),
					   GFP_KERNEL);
		if (!kc->pages) {
			kfree(kc);
			return true;
		}
		memcpy(kc->pages, what->pages, what->npages * sizeof(*kc->pages));
		if (what->claim != BM_CLAIM_NONE)
			bm_pages_claim_move(kc->pages, kc->npages, rq, kc,
					    &kc->claim);
	}
	if (!bm_keep(bm, &kc->kept, bm_kept_chunk_release))
		bm_kept_chunk_release(&kc->kept);
	return true;
}

/* Copy between pages and a map-register run, as the HAL does. */
static void bm_copy_pages(struct page **pages, unsigned int off, void *bounce,
			  u64 len, bool to_pages)
{
	while (len) {
		unsigned int n = min_t(u64, len, PAGE_SIZE - off);

		if (to_pages)
			memcpy_to_page(*pages, off, bounce, n);
		else
			memcpy_from_page(bounce, *pages, off, n);
		bounce += n;
		len -= n;
		off = 0;
		pages++;
	}
}

/*
 * Release what chunk @c holds once its card transfers are over: the data
 * the card wrote reaches the pages (FlushAdapterBuffers), then they are
 * unmapped, unclaimed and unpinned -- or kept, with the card quarantined.
 */
static void bm_chunk_end(struct bm_request *rq, struct bm_chunk *c)
{
	struct bm_dev *bm = rq->bm;
	struct device *dev = &bm->pdev->dev;
	struct bm_kept_chunk keep = {};
	bool pages_kept = false;
	u64 done;

	bm_request_drain(rq, c->last_seq);
	/* Bytes of this chunk among those done in order. */
	done = rq->bytes_done > c->start ? min(rq->bytes_done - c->start, c->len) : 0;
	if (c->nregs) {
		void *bounce = bm->adapter.pool_cpu + (c->first << PAGE_SHIFT);

		if (rq->from_card)
			bm_copy_pages(c->src, c->in_page, bounce, done, true);
		/* The card wrote the map registers, not the pages: only they stay. */
		keep.first = c->first;
		keep.nregs = c->nregs;
		if (!bm_keep_chunk(rq, c, &keep))
			bm_mapreg_put(bm, c->first, c->nregs);
	} else if (c->mapped) {
		/* What the card wrote before it was cut off reaches the pages. */
		if (c->last_seq != c->first_seq && rq->from_card &&
		    READ_ONCE(bm->quarantined))
			dma_sync_sgtable_for_cpu(dev, &c->sgt, rq->dir);
		keep.sgt = c->sgt;
		keep.dir = rq->dir;
		/* The caller's pages: the card keeps their claim with the mapping. */
		if (!c->npages && c->claim != BM_CLAIM_NONE) {
			keep.pages = c->src;
			keep.npages = DIV_ROUND_UP(c->in_page + c->len, PAGE_SIZE);
			keep.claim = c->claim;
		}
		pages_kept = bm_keep_chunk(rq, c, &keep);
		/* FlushAdapterBuffers: bounced data reaches the user's pages here. */
		if (!pages_kept)
			dma_unmap_sgtable(dev, &c->sgt,
					  bm_planted(BM_DEFECT_DMA_DIRECTION) ?
					  DMA_BIDIRECTIONAL : rq->dir, 0);
	}
	if (c->bounce)
		bm_bounce_put(bm);
	if (c->sgt.sgl && !pages_kept)
		sg_free_table(&c->sgt);
	if (c->npages) {
		/* Kept after the mapping a quarantined card may still use. */
		keep = (struct bm_kept_chunk){ .pages = c->pages,
					       .npages = c->npages,
					       .claim = c->claim,
					       .unpin = true,
					       .dirty = rq->from_card };
		if (!pages_kept || !bm_keep_chunk(rq, c, &keep)) {
			if (c->claim != BM_CLAIM_NONE)
				bm_pages_release(c->pages, c->npages, rq, c->claim);
			unpin_user_pages_dirty_lock(c->pages, c->npages,
						    rq->from_card);
			atomic_sub(c->npages, &bm->stats.pinned_pages);
		}
	} else if (c->claim != BM_CLAIM_NONE && !pages_kept) {
		/* The caller's pinned pages: it keeps the pins for a quarantined card. */
		bm_pages_release(c->src, DIV_ROUND_UP(c->in_page + c->len, PAGE_SIZE),
				 rq, c->claim);
	}
	rq->chunks_ended++;
}

/* Release every chunk begun, in order. */
static void bm_chunks_end(struct bm_request *rq)
{
	while (rq->chunks_ended != rq->chunks_begun)
		bm_chunk_end(rq, &rq->chunks[rq->chunks_ended % BM_REQUEST_CHUNKS]);
}

/*
 * A free chunk for the next @len bytes at @src, @in_page into its first
 * page (no @src: pages pinned into its own array, allocated on first use:
 * ENOMEM in the request's error); with every chunk in use, the oldest is
 * released first.
 */
static struct bm_chunk *bm_chunk_begin(struct bm_request *rq,
				       struct page **src, unsigned int in_page,
				       u64 len)
{
	struct bm_chunk *c;

	if (rq->chunks_begun - rq->chunks_ended == BM_REQUEST_CHUNKS)
		bm_chunk_end(rq, &rq->chunks[rq->chunks_ended % BM_REQUEST_CHUNKS]);
	c = &rq->chunks[rq->chunks_begun++ % BM_REQUEST_CHUNKS];
	if (!src && !c->pages && !rq->error) {
		c->pages = kvmalloc_array(rq->bm->adapter.map_registers,
					  sizeof(*c->pages), GFP_KERNEL);
		if (!c->pages)
			rq->error = -ENOMEM;
	}
	*c = (struct bm_chunk){ .pages = c->pages, .src = src ?: c->pages,
				.in_page = in_page, .len = len,
				.start = rq->posted_bytes, .claim = BM_CLAIM_NONE,
				.first_seq = rq->posted };
	return c;
}

/* Its card transfers all posted: it moves while the next is prepared. */
static void bm_chunk_commit(struct bm_request *rq, struct bm_chunk *c)
{
	bm_xfer_submit(rq);
	c->last_seq = rq->posted;
}

/* Another chunk of the request is on the card while @c is prepared. */
static bool bm_chunk_behind(struct bm_request *rq)
{
	return rq->chunks_begun - rq->chunks_ended > 1;
}

/*
 * @c found what it needs from what others share (claims, bounce space, map
 * registers) taken, without waiting: a request holding some for a chunk on
 * the card never waits for more (two such could wait for each other). So
 * first release the chunks before it; true when @c may then wait.
 */
static bool bm_chunk_wait_alone(struct bm_request *rq)
{
	while (bm_chunk_behind(rq))
		bm_chunk_end(rq, &rq->chunks[rq->chunks_ended % BM_REQUEST_CHUNKS]);
	return !rq->error;
}

/*
 * What swiotlb copies of a mapped chunk: the segments it put in its pool.
 * Only without an IOMMU does dma_need_sync() say "in swiotlb" (the direct
 * mapping of a coherent device); through an IOMMU it says whether the
 * IOMMU's ops sync, which differs between kernels.
 */
static void bm_count_bounced(struct bm_request *rq, struct sg_table *sgt)
{
	struct device *dev = &rq->bm->pdev->dev;
	struct scatterlist *sg;
	unsigned int i, pages = 0;
	u64 bytes = 0;

	if (rq->bm->adapter.bounce != BUSMASTER_BOUNCE_SWIOTLB)
		return;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (!dma_need_sync(dev, sg_dma_address(sg)))
			continue;
		bytes += sg_dma_len(sg);
		pages += DIV_ROUND_UP(sg_dma_len(sg), PAGE_SIZE);
	}
	if (!bytes)
		return;
	trace_busmaster_bounce(rq, false, pages);
	atomic64_add(bytes, &rq->bm->stats.bytes_bounced);
}

/* The DMA API maps the chunk: directly, through an IOMMU or via swiotlb. */
static void bm_chunk_map(struct bm_request *rq, struct bm_chunk *c)
{
	struct bm_dev *bm = rq->bm;
	int ret;

	ret = sg_alloc_table_from_pages_segment(&c->sgt, c->src,
						DIV_ROUND_UP(c->in_page + c->len, PAGE_SIZE),
						c->in_page, c->len,
						bm_sg_max_segment(bm), GFP_KERNEL);
	if (ret) {
		c->sgt.sgl = NULL;
		rq->error = ret;
		return;
	}
	/* Bounce space is shared by every device: a card takes its share. */
	ret = bm_bounce_get(rq, !bm_chunk_behind(rq));
	if (ret == -EAGAIN)
		ret = bm_chunk_wait_alone(rq) ? bm_bounce_get(rq, true) : rq->error;
	if (ret) {
		rq->error = ret == -EINTR ? bm_request_interrupted(rq) : ret;
		return;
	}
	c->bounce = true;
	/* No console message when bounce space runs out: anyone could repeat it. */
	ret = dma_map_sgtable(&bm->pdev->dev, &c->sgt, rq->dir, DMA_ATTR_NO_WARN);
	if (ret) {
		/* Out of bounce space (swiotlb says EIO or ENOMEM): ENOMEM. */
		rq->error = ret == -EINVAL ? -EIO : -ENOMEM;
		return;
	}
	c->mapped = true;
	bm_count_bounced(rq, &c->sgt);
	bm_feed_sgtable(rq, &c->sgt, 0, c->len);
}

/* The card cannot reach swiotlb: bounce through the driver's map registers. */
static void bm_chunk_mapreg(struct bm_request *rq, struct bm_chunk *c)
{
	struct bm_adapter *ad = &rq->bm->adapter;
	unsigned int nregs = DIV_ROUND_UP(c->len, PAGE_SIZE);
	long first;

	first = bm_mapreg_get(rq, nregs, !bm_chunk_behind(rq));
	if (first == -EAGAIN)
		first = bm_chunk_wait_alone(rq) ? bm_mapreg_get(rq, nregs, true) :
						  rq->error;
	if (first < 0) {
		rq->error = first == -EINTR ? bm_request_interrupted(rq) : first;
		return;
	}
	c->first = first;
	c->nregs = nregs;
	trace_busmaster_bounce(rq, true, nregs);
	atomic64_add(c->len, &rq->bm->stats.bytes_bounced);
	/*
	 * Both ways, as swiotlb does since CVE-2022-0854: the registers hold
	 * what the last request through them left, another user's perhaps,
	 * and a card that writes less than it reports would hand that back.
	 * Filled from the pages, they hand back the pages' own bytes.
	 */
	bm_copy_pages(c->src, c->in_page, ad->pool_cpu + (first << PAGE_SHIFT),
		      c->len, false);
	bm_feed(rq, ad->pool_dma + (first << PAGE_SHIFT), c->len);
}

/* Map chunk @c, its pages held, and post its card transfers. */
static void bm_chunk_move(struct bm_request *rq, struct bm_chunk *c)
{
	if (rq->bm->adapter.bounce == BUSMASTER_BOUNCE_MAP_REGISTERS)
		bm_chunk_mapreg(rq, c);
	else
		bm_chunk_map(rq, c);
	bm_chunk_commit(rq, c);
}

/* The largest chunk starting at in-page offset @off the budget allows. */
static u64 bm_chunk_len(struct bm_request *rq, unsigned int off, u64 left)
{
	u64 budget = (u64)rq->bm->adapter.map_registers << PAGE_SHIFT;

	return min(left, budget - off);
}

/*
 * Claim the pages of chunk @c (bm_pages_claim()), waiting only with no
 * chunk of the request before it on the card; the request fails if not.
 */
static void bm_chunk_claim(struct bm_request *rq, struct bm_chunk *c,
			   enum bm_claim claim)
{
	unsigned int n = DIV_ROUND_UP(c->in_page + c->len, PAGE_SIZE);
	int ret;

	ret = bm_pages_claim(c->src, n, rq, claim, !bm_chunk_behind(rq),
			     &rq->stop);
	if (ret == -EAGAIN)
		ret = bm_chunk_wait_alone(rq) ?
		      bm_pages_claim(c->src, n, rq, claim, true, &rq->stop) :
		      rq->error;
	if (!ret)
		c->claim = claim;
	else if (!rq->error)
		rq->error = ret == -EINTR ? bm_request_interrupted(rq) : ret;
}

/**
 * bm_transfer_pages - move @len bytes of pages the caller holds (pinned or
 * kernel memory), starting @off bytes into the first page
 * @rq: the request; its card offset advances
 * @pages: the pages, held until bm_transfer_finish()
 * @off: byte offset into @pages[0]; may exceed a page
 * @len: bytes
 * @claim: how each chunk claims its pages while the card has them
 *	(BM_CLAIM_NONE: the caller's claim covers them, or kernel memory)
 */
void bm_transfer_pages(struct bm_request *rq, struct page **pages, u64 off,
		       u64 len, enum bm_claim claim)
{
	while (len && !rq->error) {
		unsigned int in_page = offset_in_page(off);
		u64 n = bm_chunk_len(rq, in_page, len);
		struct bm_chunk *c = bm_chunk_begin(rq, pages + (off >> PAGE_SHIFT),
						    in_page, n);

		if (claim != BM_CLAIM_NONE)
			bm_chunk_claim(rq, c, claim);
		if (!rq->error)
			bm_chunk_move(rq, c);
		else
			bm_chunk_commit(rq, c);
		off += n;
		len -= n;
	}
}

/* User memory, pinned chunk by chunk for the time of its card transfers. */
static void bm_transfer_user(struct bm_request *rq, u64 addr, u64 len)
{
	enum bm_claim claim = rq->from_card ? BM_CLAIM_EXCLUSIVE : BM_CLAIM_SHARED;

	while (len && !rq->error) {
		u64 n = bm_chunk_len(rq, offset_in_page(addr), len);
		struct bm_chunk *c = bm_chunk_begin(rq, NULL, offset_in_page(addr), n);
		int ret;

		ret = rq->error ?: bm_pin(rq, c, addr, bm_chunk_behind(rq));
		if (ret == -EAGAIN)
			ret = bm_chunk_wait_alone(rq) ? bm_pin(rq, c, addr, false) :
							rq->error;
		if (ret && !rq->error)
			rq->error = ret;
		if (!rq->error)
			bm_chunk_claim(rq, c, claim);
		if (!rq->error)
			bm_chunk_move(rq, c);
		else
			bm_chunk_commit(rq, c);
		addr += n;
		len -= n;
	}
}

/**
 * bm_transfer_drain - wait until the card is done with what the request
 * was given so far, and release it: the memory may be used again, unless
 * the card was cut off the bus meanwhile (bm_keep_chunk() kept it)
 * @rq: the request; it may go on
 *
 * Context: process context, may sleep; killable.
 */
void bm_transfer_drain(struct bm_request *rq)
{
	bm_xfer_submit(rq);
	bm_chunks_end(rq);
}

/**
 * bm_transfer_finish - wait until the card is done with the request, and
 * release what its chunks hold
 * @rq: the request; its results are final
 *
 * Context: process context, may sleep; killable.
 */
void bm_transfer_finish(struct bm_request *rq)
{
	bm_xfer_submit(rq);
	bm_chunks_end(rq);
	bm_request_wait(rq);
	trace_busmaster_request_end(rq);
}

/**
 * bm_transfer_common - move [@offset, @offset + @length) of a common buffer
 * @rq: the request
 * @c: the buffer, a reference held
 * @offset: where in it
 * @length: bytes
 *
 * A common buffer is coherent memory within the card's reach: contiguous
 * in bus space and never bounced, it is fed to the card as it is.
 */
void bm_transfer_common(struct bm_request *rq, struct bm_common *c,
			u64 offset, u64 length)
{
	bm_feed(rq, c->dma + offset, length);
}

/*
 * Check what every request checks, before touching anything: @addr and
 * @len within @limit (a buffer's size: ERANGE past it; the user address
 * space: EINVAL), alignment, the card range.
 */
static int bm_check_range(const struct bm_adapter *ad, u64 addr, u64 len,
			  u64 card_offset, u64 limit)
{
	u64 end;

	if (!len || check_add_overflow(addr, len, &end))
		return -EINVAL;
	if (end > limit)
		return limit == TASK_SIZE ? -EINVAL : -ERANGE;
	if (!IS_ALIGNED(addr | len | card_offset, ad->alignment))
		return -EINVAL;
	if (check_add_overflow(card_offset, len, &end) ||
	    end > ad->card_mem_size)
		return -ERANGE;
	return 0;
}

/**
 * bm_transfer_check - what TRANSFER and SUBMIT check of a one-range
 * request before touching anything, and the buffer it names
 * @bf: the file
 * @flags: BUSMASTER_XFER_* of struct busmaster_transfer
 * @handle: the common or registered buffer, with its flag
 * @addr: user address, or offset in that buffer
 * @length: bytes
 * @card_offset: where in card memory
 * @long_term: user memory will be pinned long-term (SUBMIT): as for a
 *	registered buffer, file pages the kernel writes back are not
 *	writable by the card
 * @common: out: the common buffer, referenced, or NULL
 * @rbuf: out: the registered buffer, referenced, or NULL
 *
 * Context: process context, @bf->bm->lifetime held for read, card present.
 * Return: 0 (the caller puts *@common and *@rbuf), or the errno of
 * uapi/linux/busmaster.h (nothing held).
 */
int bm_transfer_check(struct bm_file *bf, u32 flags, u32 handle, u64 addr,
		      u64 length, u64 card_offset, bool long_term,
		      struct bm_common **common, struct bm_regbuf **rbuf)
{
	const u32 buffer = flags & (BUSMASTER_XFER_COMMON |
				    BUSMASTER_XFER_REGISTERED);
	struct bm_dev *bm = bf->bm;
	bool from_card = flags & BUSMASTER_XFER_FROM_CARD;
	u64 limit = TASK_SIZE;
	int ret;

	*common = NULL;
	*rbuf = NULL;
	if (buffer == (BUSMASTER_XFER_COMMON | BUSMASTER_XFER_REGISTERED) ||
	    (!buffer && handle) ||
	    (flags & BUSMASTER_XFER_NO_SYNC && buffer != BUSMASTER_XFER_REGISTERED))
		return -EINVAL;
	if (buffer == BUSMASTER_XFER_COMMON) {
		*common = bm_common_get(bf, handle);
		if (!*common)
			return -ENOENT;
		limit = (*common)->size;
	} else if (buffer == BUSMASTER_XFER_REGISTERED) {
		*rbuf = bm_regbuf_get(bf, handle);
		if (!*rbuf)
			return -ENOENT;
		limit = (*rbuf)->length;
		ret = -EPERM;
		if (from_card && !(*rbuf)->card_writes)
			goto fail;
	}
	ret = bm_check_range(&bm->adapter, addr, length, card_offset, limit);
	/* Cut off the bus (bm_quarantine.c): nothing pinned or mapped for it. */
	if (!ret && READ_ONCE(bm->quarantined))
		ret = -ESHUTDOWN;
	if (!ret && !buffer)
		ret = bm_check_user_range(bm, addr, length, from_card, long_term);
	if (!ret)
		return 0;
fail:
	if (*common)
		bm_common_put(*common);
	if (*rbuf)
		bm_regbuf_put(*rbuf);
	*common = NULL;
	*rbuf = NULL;
	return ret;
}

/**
 * bm_transferv_check - what TRANSFERV and SUBMIT check of a vectored
 * request before touching anything
 * @bf: the file
 * @from_card: direction
 * @count: entries at @uiov
 * @uiov: user pointer to struct busmaster_iovec
 * @card_offset: where the first piece goes in card memory
 * @long_term: as for bm_transfer_check()
 * @iovp: out: the pieces, kvmalloc()ed (the caller frees), on success
 *
 * Context: process context, @bf->bm->lifetime held for read, card present.
 * Return: 0 or the errno of uapi/linux/busmaster.h.
 */
int bm_transferv_check(struct bm_file *bf, bool from_card, u32 count,
		       u64 uiov, u64 card_offset, bool long_term,
		       struct busmaster_iovec **iovp)
{
	const struct bm_adapter *ad = &bf->bm->adapter;
	struct busmaster_iovec *iov;
	unsigned int i;
	int ret;

	if (!count || count > BUSMASTER_IOV_MAX)
		return -EINVAL;
	iov = kvmalloc_array(count, sizeof(*iov), GFP_KERNEL);
	if (!iov)
		return -ENOMEM;
	bm_user_access_begin(bf->bm);
	ret = copy_from_user(iov, u64_to_user_ptr(uiov),
			     array_size(count, sizeof(*iov))) ? -EFAULT : 0;
	ret = bm_user_access_end(bf->bm) ?: ret;
	/* Every piece checked, and the card range as a whole, before any DMA. */
	for (i = 0; i < count && !ret; i++) {
		ret = bm_check_range(ad, iov[i].addr, iov[i].length, card_offset,
				     TASK_SIZE);
		if (!ret)
			ret = bm_check_user_range(bf->bm, iov[i].addr,
						  iov[i].length, from_card,
						  long_term);
		card_offset += iov[i].length;
	}
	if (!ret && READ_ONCE(bf->bm->quarantined))
		ret = -ESHUTDOWN;
	if (ret) {
		kvfree(iov);
		return ret;
	}
	*iovp = iov;
	return 0;
}

/*
 * TRANSFER pinned, or of a common or registered buffer. Not inlined: its
 * request is not on the stack while bm_transfer_copy() has its own.
 */
static noinline_for_stack int
bm_transfer_pinned(struct bm_file *bf, struct busmaster_transfer *t,
		   struct bm_common *common, struct bm_regbuf *rbuf,
		   struct bm_ioctl_ctx *ctx)
{
	struct bm_request rq;
	int ret;

	bm_request_init(&rq, bf->bm, t->flags & BUSMASTER_XFER_FROM_CARD,
			t->card_offset, bm_caller_timeout_ms(t->timeout_ms));
	ctx->respond = true;
	trace_busmaster_request_start(&rq, common ? BM_REQ_COMMON :
				      rbuf ? BM_REQ_REGISTERED : BM_REQ_USER,
				      t->length);
	if (common)
		bm_transfer_common(&rq, common, t->addr, t->length);
	else if (rbuf)
		bm_transfer_registered(&rq, rbuf, t->addr, t->length,
				       !(t->flags & BUSMASTER_XFER_NO_SYNC));
	else
		bm_transfer_user(&rq, t->addr, t->length);
	bm_transfer_finish(&rq);
	ret = rq.error;
	t->bytes_done = rq.bytes_done;
	t->card_status = rq.card_status;
	t->transfers = rq.transfers;
	bm_request_fini(&rq);
	return ret;
}

/**
 * bm_ioctl_transfer - BUSMASTER_IOCTL_TRANSFER
 * @bf: the file
 * @arg: struct busmaster_transfer, copied in
 * @ctx: ->respond set when the output fields are to be copied back, even
 *	on error
 *
 * Context: process context, @bf->bm->lifetime held for read, card present.
 * Return: 0 or a negative errno (see uapi/linux/busmaster.h).
 */
int bm_ioctl_transfer(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	const u32 known = BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COMMON |
			  BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_NO_SYNC |
			  BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN;
	const u32 how = BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN;
	struct busmaster_transfer *t = arg;
	struct bm_common *common;
	struct bm_regbuf *rbuf;
	bool declined = true;
	int ret;

	if (t->flags & ~known || t->reserved ||
	    t->timeout_ms > BUSMASTER_TIMEOUT_MAX_MS ||
	    (t->flags & how) == how ||
	    (t->flags & how && t->flags & (BUSMASTER_XFER_COMMON |
					   BUSMASTER_XFER_REGISTERED)))
		return -EINVAL;
	ret = bm_transfer_check(bf, t->flags, t->handle, t->addr, t->length,
				t->card_offset, false, &common, &rbuf);
	if (ret)
		return ret;
	/* Small requests of user memory: copied, not pinned (bm_copy.c). */
	if (!common && !rbuf && bm_copy_wanted(bf->bm, t->flags, t->length)) {
		ret = bm_transfer_copy(bf, t, &declined);
		ctx->respond = !declined;
	}
	if (declined)
		ret = bm_transfer_pinned(bf, t, common, rbuf, ctx);
	if (common)
		bm_common_put(common);
	if (rbuf)
		bm_regbuf_put(rbuf);
	return ret;
}

/**
 * bm_ioctl_transferv - BUSMASTER_IOCTL_TRANSFERV: several user ranges (NT's
 * chained MDLs) to or from one contiguous card range, in order
 * @bf: the file
 * @arg: struct busmaster_transferv, copied in
 * @ctx: ->respond set when the output fields are to be copied back, even
 *	on error
 *
 * Context: process context, @bf->bm->lifetime held for read, card present.
 * Return: 0 or a negative errno (see uapi/linux/busmaster.h).
 */
int bm_ioctl_transferv(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_transferv *tv = arg;
	bool from_card = tv->flags & BUSMASTER_XFER_FROM_CARD;
	struct busmaster_iovec *iov;
	struct bm_request rq;
	u64 total = 0;
	unsigned int i;
	int ret;

	if (tv->flags & ~BUSMASTER_XFER_FROM_CARD || tv->reserved ||
	    tv->timeout_ms > BUSMASTER_TIMEOUT_MAX_MS)
		return -EINVAL;
	ret = bm_transferv_check(bf, from_card, tv->count, tv->iov,
				 tv->card_offset, false, &iov);
	if (ret)
		return ret;
	for (i = 0; i < tv->count; i++)
		total += iov[i].length;

	bm_request_init(&rq, bf->bm, from_card, tv->card_offset,
			bm_caller_timeout_ms(tv->timeout_ms));
	ctx->respond = true;
	trace_busmaster_request_start(&rq, BM_REQ_IOVEC, total);
	for (i = 0; i < tv->count && !rq.error; i++)
		bm_transfer_user(&rq, iov[i].addr, iov[i].length);
	bm_transfer_finish(&rq);
	ret = rq.error;
	tv->bytes_done = rq.bytes_done;
	tv->card_status = rq.card_status;
	tv->transfers = rq.transfers;
	bm_request_fini(&rq);
	kvfree(iov);
	return ret;
}
