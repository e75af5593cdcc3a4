// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: requests copied, not pinned.
 *
 * Pinning and mapping a user buffer costs the same few steps per page
 * (GUP, page claims, a scatterlist, a DMA mapping, their undoing); copying
 * costs less up to some size. So TRANSFER copies a request of at most
 * copy_max bytes (module parameter) through a buffer of the file's own,
 * and pins larger ones. NT drivers make the same choice per device:
 * DO_BUFFERED_IO, the I/O manager copying through a system buffer, against
 * DO_DIRECT_IO's MDL. BUSMASTER_XFER_COPY and _PIN choose per request.
 *
 * The buffer is kernel memory allocated on first use, grown to what a
 * request needs up to BM_COPY_SIZE, and mapped for the card once, for the
 * file's life (a streaming mapping kept, as a registered buffer's is):
 * a request only copies and, where the DMA API says so, syncs. A request
 * goes through it in pieces of up to BM_COPY_PIECE bytes, the card moving
 * some while the next is copied: a ring of BM_COPY_SLOTS pieces.
 *
 * User memory is copied while the card holds pieces only if its pages are
 * present (copy_{from,to}_user_nofault()); else the card's pieces are
 * waited for first and the copy is made with the card let go
 * (bm_user_access_begin()), as pinning is: a fault that never ends holds
 * no one else up.
 *
 * A card that cannot reach all memory gets 64 KiB below 4 GiB where
 * possible, never kept mapped: memory it can reach, and swiotlb space or
 * map registers, are shared by every file (and swiotlb by every device).
 * Its pieces are mapped by the transfer engine (bm_transfer_pages()) one
 * at a time, and the driver copies only what fits in one.
 */
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "busmaster.h"
#include "busmaster_trace.h"

/*
 * Requests of at most this many bytes are copied, unless a flag says: up
 * to 64 KiB copying beat pinning or matched it, from 256 KiB on pinning
 * won (xfer_bench --crossover, docs/performance.md).
 */
static unsigned int bm_copy_max = SZ_64K;
BM_PARAM_UINT(copy_max, bm_copy_max, 0, BM_COPY_SIZE, 0644);
MODULE_PARM_DESC(copy_max, "TRANSFER copies user requests up to this many bytes through a kernel buffer instead of pinning them (0: never; at most 1048576; default 65536)");

/**
 * struct bm_copy_mem - a copy buffer's memory, and what a quarantined card
 * keeps of it (bm_keep()): freed as one
 * @kept: first: the start of the allocation
 * @bm: the card
 * @size: bytes, a power of two from 64 KiB to BM_COPY_SIZE
 * @sgt: its pages; mapped for the card when @mapped
 * @mapped: mapped once, DMA_BIDIRECTIONAL; cleared under the card's
 *	copy_bufs_lock, by remove() with lifetime held for write (so a
 *	request, holding it for read, sees it stable) or by the file's
 *	release
 * @need_sync: dma_need_sync() said so for some of it
 * @stale: may hold bytes copied in that did not all reach the card
 * @charged: pages taken from the card's copy_bufs budget
 * @vaddr: its pages mapped contiguously in the kernel (vmap()), so that a
 *	piece is copied in one call
 * @pages: its pages
 */
struct bm_copy_mem {
	struct bm_kept kept;
	struct bm_dev *bm;
	size_t size;
	struct sg_table sgt;
	bool mapped;
	bool need_sync;
	bool stale;
	unsigned int charged;
	void *vaddr;
	struct page *pages[];
};

static void bm_copy_unmap(struct bm_copy_mem *m)
{
	if (!m->mapped)
		return;
	dma_unmap_sgtable(&m->bm->pdev->dev, &m->sgt, DMA_BIDIRECTIONAL,
			  DMA_ATTR_SKIP_CPU_SYNC);
	m->mapped = false;
}

static void bm_copy_mem_free(struct bm_kept *k)
{
	struct bm_copy_mem *m = container_of(k, struct bm_copy_mem, kept);
	unsigned int i;

	bm_copy_unmap(m);
	sg_free_table(&m->sgt);
	if (m->vaddr)
		vunmap(m->vaddr);
	for (i = 0; i < m->size >> PAGE_SHIFT; i++)
		if (m->pages[i])
			__free_page(m->pages[i]);
	bm_budget_give(&m->bm->adapter.copy_bufs, m->charged);
	kfree(m);
}

/*
 * The card was cut off the bus while it had the buffer: it keeps the
 * memory and its mapping, and the file allocates another.
 */
static void bm_copy_buf_abandon(struct bm_dev *bm, struct bm_copy_buf *cb)
{
	struct bm_copy_mem *m = cb->mem;

	mutex_lock(&bm->copy_bufs_lock);
	list_del(&cb->node);
	mutex_unlock(&bm->copy_bufs_lock);
	cb->mem = NULL;
	if (!bm_keep(bm, &m->kept, bm_copy_mem_free))
		bm_copy_mem_free(&m->kept);
}

/* Whether a buffer of the card's stays mapped, and up to 1 MiB. */
static bool bm_copy_keeps_mapping(struct bm_dev *bm)
{
	enum busmaster_bounce b = bm->adapter.bounce;

	return b == BUSMASTER_BOUNCE_NONE ||
	       (b == BUSMASTER_BOUNCE_IOMMU &&
		!dma_addressing_limited(&bm->pdev->dev));
}

/* The largest buffer of the card's. */
static size_t bm_copy_size_max(struct bm_dev *bm)
{
	return bm_copy_keeps_mapping(bm) ? BM_COPY_SIZE : SZ_64K;
}

static void bm_copy_map(struct bm_dev *bm, struct bm_copy_mem *m)
{
	struct device *dev = &bm->pdev->dev;
	struct scatterlist *sg;
	unsigned int i;

	if (!bm_copy_keeps_mapping(bm) ||
	    dma_map_sgtable(dev, &m->sgt, DMA_BIDIRECTIONAL, DMA_ATTR_NO_WARN))
		return;
	for_each_sgtable_dma_sg(&m->sgt, sg, i)
		m->need_sync |= dma_need_sync(dev, sg_dma_address(sg));
	m->mapped = true;
}

/* The size a request of @len bytes wants: a power of two, 64 KiB at least. */
static size_t bm_copy_size(struct bm_dev *bm, u64 len)
{
	size_t max = bm_copy_size_max(bm);

	return len >= max ? max : roundup_pow_of_two(max_t(u64, len, SZ_64K));
}

/* Below 4 GiB where the card cannot reach above, if there is memory there. */
static struct page *bm_copy_alloc(struct bm_dev *bm, gfp_t gfp,
				  unsigned int order)
{
	struct page *p = NULL;

	if (dma_addressing_limited(&bm->pdev->dev))
		p = alloc_pages(gfp | GFP_DMA32, order);
	return p ?: alloc_pages(gfp, order);
}

/*
 * The buffer, at least @size bytes, allocated (or grown) and mapped: in
 * blocks of 64 KiB where memory allows, single pages where not. The
 * driver's own choice gives up at once (@forced false): it can pin
 * instead. Above 64 KiB it is charged to the card's budget, so that many
 * files of one user cannot hold the machine's memory: past it, a file
 * keeps the buffer it has, or gets 64 KiB.
 */
static int bm_copy_buf_alloc(struct bm_dev *bm, struct bm_copy_buf *cb,
			     size_t size, bool forced)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN |
		    (forced ? 0 : __GFP_NORETRY);
	const unsigned int block = get_order(SZ_64K);
	unsigned int npages = size >> PAGE_SHIFT, i, j;
	struct bm_copy_mem *m;
	int ret;

	if (cb->mem && cb->mem->size >= size)
		return 0;
	/* Cut off the bus since the request was checked: nothing new for it. */
	if (READ_ONCE(bm->quarantined))
		return -ESHUTDOWN;
	if (size > SZ_64K &&
	    bm_budget_take(&bm->adapter.copy_bufs, size >> PAGE_SHIFT)) {
		if (cb->mem)
			return 0;
		size = SZ_64K;
	}
	npages = size >> PAGE_SHIFT;
	m = kzalloc(struct_size(m, pages, npages), GFP_KERNEL_ACCOUNT);
	if (!m) {
		if (size > SZ_64K)
			bm_budget_give(&bm->adapter.copy_bufs, npages);
		return -ENOMEM;
	}
	m->bm = bm;
	m->size = size;
	m->charged = size > SZ_64K ? npages : 0;
	for (i = 0; i < npages; i += j) {
		struct page *p = bm_copy_alloc(bm, gfp | __GFP_NORETRY, block);

		if (p) {
			split_page(p, block);
			for (j = 0; j < 1U << block; j++)
				m->pages[i + j] = p + j;
			continue;
		}
		for (j = 0; j < 1U << block; j++) {
			m->pages[i + j] = bm_copy_alloc(bm, gfp, 0);
			if (!m->pages[i + j])
				goto fail;
		}
	}
	m->vaddr = vmap(m->pages, npages, VM_MAP, PAGE_KERNEL);
	if (!m->vaddr)
		goto fail;
	ret = sg_alloc_table_from_pages_segment(&m->sgt, m->pages, npages, 0,
						size, bm_sg_max_segment(bm),
						GFP_KERNEL_ACCOUNT);
	if (ret) {
		m->sgt.sgl = NULL;
		goto fail;
	}
	bm_copy_map(bm, m);
	/* It replaces a smaller one, which no request uses (a card cut off keeps it). */
	mutex_lock(&bm->copy_bufs_lock);
	if (cb->mem) {
		list_del(&cb->node);
		if (!bm_keep(bm, &cb->mem->kept, bm_copy_mem_free))
			bm_copy_mem_free(&cb->mem->kept);
	}
	cb->mem = m;
	list_add(&cb->node, &bm->copy_bufs);
	mutex_unlock(&bm->copy_bufs_lock);
	return 0;
fail:
	bm_copy_mem_free(&m->kept);
	return -ENOMEM;
}

/*
 * Take the file's buffer, at least @size bytes: at once for a request the
 * driver chose to copy (@declined when another of the file's threads has
 * it or there is no memory for it: that request is pinned instead),
 * waiting interruptibly, card let go, for one the caller forced.
 */
static int bm_copy_buf_get(struct bm_file *bf, size_t size, bool forced,
			   bool *declined)
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
	ret = ret ?: bm_copy_buf_alloc(bf->bm, cb, size, forced);
	/* A forced copy goes through a smaller buffer if it cannot grow. */
	if (ret == -ENOMEM && forced && cb->mem)
		ret = 0;
	if (ret) {
		mutex_unlock(&cb->lock);
		*declined = !forced && ret == -ENOMEM;
		return *declined ? 0 : ret;
	}
	return 0;
}

/**
 * bm_copy_wanted - whether TRANSFER copies a request of user memory
 * @bm: the card
 * @flags: its BUSMASTER_XFER_* flags, checked
 * @length: its bytes
 *
 * Unless a flag says, a request is copied when it is at most copy_max
 * bytes and fits the card's largest buffer at once.
 *
 * Context: @bm->lifetime held for read, card present.
 * Return: true to copy (bm_transfer_copy()), false to pin.
 */
bool bm_copy_wanted(struct bm_dev *bm, u32 flags, u64 length)
{
	if (flags & (BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN))
		return flags & BUSMASTER_XFER_COPY;
	return length <= min_t(u64, READ_ONCE(bm_copy_max), bm_copy_size_max(bm));
}

/*
 * One request through the buffer: bytes [@done, @posted) of it are in
 * pieces on the card, the piece at byte x in slot (x / @piece) % slots,
 * which posted the request's card transfers up to @seq[slot].
 */
struct bm_copy_run {
	struct bm_request *rq;
	struct bm_copy_buf *cb;
	const struct busmaster_transfer *t;
	u64 piece;
	u64 posted;
	u64 done;
	u64 moved;	/* bytes the caller got: on the card, or copied out */
	u32 seq[BM_COPY_SLOTS];
};

/*
 * Copy @len bytes between the user's @uaddr and the buffer at @off. With
 * pieces on the card (@nofault) only if no user page needs a fault:
 * -EAGAIN if one does, the copy perhaps made in part (it is made again
 * whole). Else the card is let go. Return: the bytes not copied (a
 * fault), or a negative errno (-ENODEV: the card was removed meanwhile).
 */
static long bm_copy_user(struct bm_copy_run *r, u64 off, u64 uaddr, u64 len,
			 bool to_user, bool nofault)
{
	void *k = r->cb->mem->vaddr + off;
	void __user *u = u64_to_user_ptr(uaddr);
	struct bm_dev *bm = r->rq->bm;
	unsigned long left;
	int ret;

	if (nofault)
		return (to_user ? copy_to_user_nofault(u, k, len) :
				  copy_from_user_nofault(k, u, len)) ? -EAGAIN : 0;
	bm_user_access_begin(bm);
	left = to_user ? copy_to_user(u, k, len) : copy_from_user(k, u, len);
	ret = bm_user_access_end(bm);
	return ret ?: (long)left;
}

/*
 * Post the next piece, copied in when it goes to the card. One from the
 * card is not cleared first: only the bytes the card says it wrote are
 * copied out, and a card that says so falsely shows the caller what the
 * buffer held: zeros, or bytes this file moved to or from the card, which
 * any holder of the file may read from the card anyway. Bytes copied in
 * that did not all reach the card are cleared first (@stale).
 */
static int bm_copy_post(struct bm_copy_run *r)
{
	struct bm_request *rq = r->rq;
	struct bm_copy_mem *m = r->cb->mem;
	u64 n = min(r->t->length - r->posted, r->piece), off = r->posted % m->size;
	long left;

	if (!rq->from_card) {
		m->stale = true;
		left = bm_copy_user(r, off, r->t->addr + r->posted, n, false,
				    r->posted != r->done);
		if (left == -EAGAIN)
			return left;
		if (left) {
			rq->error = left < 0 ? left : -EFAULT;
			return rq->error;
		}
		/* Written through the alias; the DMA API sees the pages. */
		flush_kernel_vmap_range(m->vaddr + off, n);
	}
	if (m->mapped) {
		if (m->need_sync)
			dma_sync_sgtable_for_device(&rq->bm->pdev->dev, &m->sgt,
						    rq->dir);
		bm_feed_sgtable(rq, &m->sgt, off, n);
		bm_xfer_submit(rq);
	} else {
		bm_transfer_pages(rq, m->pages + (off >> PAGE_SHIFT), 0, n,
				  BM_CLAIM_NONE);
		bm_xfer_submit(rq);
	}
	r->seq[(r->posted / r->piece) % BM_COPY_SLOTS] = rq->posted;
	r->posted += n;
	return 0;
}

/*
 * Wait for the oldest piece on the card and give the caller what of it
 * arrived in order. Return false when the request goes no further: the
 * piece came short, the card was cut off, or a copy out failed.
 */
static bool bm_copy_retire(struct bm_copy_run *r)
{
	struct bm_request *rq = r->rq;
	struct bm_copy_mem *m = r->cb->mem;
	u64 n = min(r->t->length - r->done, r->piece), off = r->done % m->size;
	u64 got;
	long left;

	if (m->mapped)
		bm_request_drain(rq, r->seq[(r->done / r->piece) % BM_COPY_SLOTS]);
	else
		bm_transfer_drain(rq);
	/* Bytes of this piece among those done in order. */
	got = rq->bytes_done > r->done ? min(rq->bytes_done - r->done, n) : 0;
	if (READ_ONCE(rq->bm->quarantined)) {
		/* It may write the buffer yet: none of that is data. */
		bm_request_drain(rq, rq->posted);
		bm_copy_buf_abandon(rq->bm, r->cb);
		rq->error = rq->error ?: -ESHUTDOWN;
		if (!rq->from_card)
			r->moved += got;
		return false;
	}
	/* Short without an error: the card's bug, as for a pinned one. */
	if (!rq->error && got != n)
		rq->error = -EIO;
	if (rq->from_card && got) {
		if (m->mapped && m->need_sync)
			dma_sync_sgtable_for_cpu(&rq->bm->pdev->dev, &m->sgt,
						 DMA_FROM_DEVICE);
		invalidate_kernel_vmap_range(m->vaddr + off, got);
		left = bm_copy_user(r, off, r->t->addr + r->done, got, true,
				    r->posted != r->done + n);
		if (left == -EAGAIN) {
			/* Not present: every piece off the card, then fault it in. */
			bm_request_drain(rq, rq->posted);
			if (READ_ONCE(rq->bm->quarantined)) {
				bm_copy_buf_abandon(rq->bm, r->cb);
				rq->error = rq->error ?: -ESHUTDOWN;
				return false;
			}
			left = bm_copy_user(r, off, r->t->addr + r->done, got,
					    true, false);
		}
		if (left) {
			if (left > 0)
				r->moved += round_down(got - left,
						       rq->bm->adapter.alignment);
			rq->error = rq->error ?: left < 0 ? left : -EFAULT;
			return false;
		}
	}
	r->moved += got;
	r->done += n;
	/* After a short piece, what the card did later is not in order. */
	return got == n;
}

/* Move the pieces of @t through the buffer, taken; bytes the caller got. */
static u64 bm_copy_pieces(struct bm_request *rq, struct bm_copy_buf *cb,
			  const struct busmaster_transfer *t)
{
	struct bm_copy_mem *m = cb->mem;
	struct bm_copy_run r = { .rq = rq, .cb = cb, .t = t,
				 .piece = min_t(u64, m->size, BM_COPY_PIECE) };
	/*
	 * Pieces the engine maps, or that a sync of the whole buffer would
	 * take from the card while it writes them, move one at a time.
	 */
	u64 ahead = m->mapped && !m->need_sync ? m->size : r.piece;
	bool was_stale = m->stale;
	int ret;

	if (rq->from_card && m->stale) {
		memset(m->vaddr, 0, m->size);
		flush_kernel_vmap_range(m->vaddr, m->size);
		if (m->mapped && m->need_sync)
			dma_sync_sgtable_for_device(&rq->bm->pdev->dev, &m->sgt,
						    DMA_TO_DEVICE);
		m->stale = false;
	}

	while (r.done < t->length) {
		if (r.posted < t->length && r.posted - r.done < ahead &&
		    !rq->error) {
			ret = bm_copy_post(&r);
			/* A user page not present: the card's pieces first. */
			if (ret != -EAGAIN && (!ret || r.posted == r.done))
				continue;
		}
		if (r.posted == r.done || !bm_copy_retire(&r))
			break;
	}
	/* All it copied in reached the card, and it covered what was stale. */
	if (!rq->from_card && r.moved == t->length && cb->mem &&
	    (!was_stale || t->length >= cb->mem->size))
		cb->mem->stale = false;
	/* What is still on the card ends in bm_transfer_finish(). */
	return r.moved;
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
 * it is let go while user memory is copied with nothing on the card.
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
	ret = bm_copy_buf_get(bf, bm_copy_size(bm, t->length),
			      t->flags & BUSMASTER_XFER_COPY, declined);
	if (ret || *declined)
		return ret;
	bm_request_init(&rq, bm, from_card, t->card_offset,
			bm_caller_timeout_ms(t->timeout_ms));
	trace_busmaster_request_start(&rq, BM_REQ_COPY, t->length);
	atomic64_inc(&bm->stats.requests_copied);
	t->bytes_done = bm_copy_pieces(&rq, cb, t);
	bm_transfer_finish(&rq);
	atomic64_add(t->bytes_done, &bm->stats.bytes_copied);
	ret = rq.error;
	t->card_status = rq.card_status;
	t->transfers = rq.transfers;
	bm_request_fini(&rq);
	mutex_unlock(&cb->lock);
	return ret;
}

/**
 * bm_copy_unmap_all - unmap every file's copy buffer of the card
 * @bm: the card, being removed: reset, and no transfer running
 *
 * The files keep their buffers' memory until they are closed; requests
 * now fail with ENODEV. The mappings go now, while the device exists.
 */
void bm_copy_unmap_all(struct bm_dev *bm)
{
	struct bm_copy_buf *cb;

	mutex_lock(&bm->copy_bufs_lock);
	list_for_each_entry(cb, &bm->copy_bufs, node)
		bm_copy_unmap(cb->mem);
	mutex_unlock(&bm->copy_bufs_lock);
}

/**
 * bm_copy_buf_init - set up a file's copy buffer, unallocated
 * @cb: the buffer
 */
void bm_copy_buf_init(struct bm_copy_buf *cb)
{
	mutex_init(&cb->lock);
	INIT_LIST_HEAD(&cb->node);
}

/**
 * bm_copy_buf_release - free a file's copy buffer
 * @bm: the card the file belongs to
 * @cb: the buffer; no request uses it (the file is being released)
 *
 * Context: process context; remove() may run meanwhile: the card's
 * copy_bufs_lock orders the two unmappings.
 */
void bm_copy_buf_release(struct bm_dev *bm, struct bm_copy_buf *cb)
{
	struct bm_copy_mem *m = cb->mem;
	bool kept = false;

	if (m) {
		/* A quarantined card keeps it; else unmapped before remove() ends. */
		mutex_lock(&bm->copy_bufs_lock);
		list_del(&cb->node);
		kept = bm_keep(bm, &m->kept, bm_copy_mem_free);
		if (!kept)
			bm_copy_unmap(m);
		mutex_unlock(&bm->copy_bufs_lock);
		if (!kept)
			bm_copy_mem_free(&m->kept);
	}
	mutex_destroy(&cb->lock);
}
