// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: registered buffers, and DMA from kernel memory.
 *
 * A process that streams the same buffer again and again registers it
 * once: the pages are pinned long-term (FOLL_LONGTERM), charged to its
 * RLIMIT_MEMLOCK through mm->pinned_vm as RDMA, io_uring and VFIO do, and
 * mapped for the card once (bm_regbuf_map()). Transfers then move any
 * sub-range of it (IoBuildPartialMdl) with no pinning or mapping, and sync
 * the range they move -- KeFlushIoBuffers / FlushAdapterBuffers -- unless
 * the caller asks to do it with BUSMASTER_IOCTL_SYNC.
 *
 * Cards that bounce through the driver's map registers cannot keep a
 * mapping: their registered pages are copied through map registers at
 * transfer time, as the HAL does at MapTransfer time; syncs are moot there.
 *
 * bm_transfer_kernel() runs the same engine over vmalloc()ed memory
 * (MmBuildMdlForNonPagedPool's case), for the in-kernel self-test.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "busmaster.h"
#include "busmaster_trace.h"

/* Undo the first @n single mappings of bm_regbuf_map_runs(). */
static void bm_regbuf_unmap_runs(struct bm_regbuf *rbuf, unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&rbuf->sgt, sg, i) {
		if (i == n)
			break;
		dma_unmap_page_attrs(rbuf->dev, sg_dma_address(sg), sg_dma_len(sg),
				     rbuf->dir, DMA_ATTR_SKIP_CPU_SYNC);
	}
}

/* Transfers synced what the CPU may read; do not copy stale data back. */
static void bm_regbuf_unmap(struct bm_regbuf *rbuf)
{
	struct bm_adapter *ad = &rbuf->bm->adapter;

	lockdep_assert_held(&rbuf->bm->regbuf_list_lock);
	if (!rbuf->mapped)
		return;
	if (rbuf->runs)
		bm_regbuf_unmap_runs(rbuf, rbuf->sgt.orig_nents);
	else
		dma_unmap_sgtable(rbuf->dev, &rbuf->sgt, rbuf->dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
	if (ad->bounce == BUSMASTER_BOUNCE_SWIOTLB)
		bm_budget_give(&ad->registered_bounce, rbuf->npages);
	rbuf->mapped = false;
}

/**
 * bm_regbuf_unmap_all - unmap every registered buffer of the card
 * @bm: the card, being removed: reset, and no transfer running
 *
 * The files keep their handles (transfers now fail with ENODEV) and the
 * pages stay pinned until the handles go; the DMA mappings go now, while
 * the device they belong to still exists.
 */
void bm_regbuf_unmap_all(struct bm_dev *bm)
{
	struct bm_regbuf *rbuf;

	mutex_lock(&bm->regbuf_list_lock);
	list_for_each_entry(rbuf, &bm->regbuf_list, node)
		bm_regbuf_unmap(rbuf);
	mutex_unlock(&bm->regbuf_list_lock);
}

/*
 * Its pages' claim (bm_pages_claim()): alone where the card writes them,
 * shared with readers where it only reads them.
 */
static enum bm_claim bm_regbuf_claim(const struct bm_regbuf *rbuf)
{
	return rbuf->card_writes ? BM_CLAIM_LONG_TERM : BM_CLAIM_LONG_TERM_SHARED;
}

static void bm_regbuf_free(struct bm_kept *k)
{
	struct bm_regbuf *rbuf = container_of(k, struct bm_regbuf, kept);

	mutex_lock(&rbuf->bm->regbuf_list_lock);
	list_del(&rbuf->node);
	bm_regbuf_unmap(rbuf);
	mutex_unlock(&rbuf->bm->regbuf_list_lock);
	sg_free_table(&rbuf->sgt);
	bm_pages_release(rbuf->pages, rbuf->npages, rbuf, bm_regbuf_claim(rbuf));
	unpin_user_pages_dirty_lock(rbuf->pages, rbuf->npages, rbuf->card_writes);
	atomic_sub(rbuf->npages, &rbuf->bm->stats.pinned_pages);
	bm_uncharge_pinned(&rbuf->charge);
	if (!bm_planted(BM_DEFECT_LEAK))
		kvfree(rbuf->pages);
	put_device(rbuf->dev);
	bm_dev_put(rbuf->bm);
	kfree(rbuf);
}

/* A quarantined card may yet use its mapping and pages: keep them. */
static void bm_regbuf_release(struct kref *kref)
{
	struct bm_regbuf *rbuf = container_of(kref, struct bm_regbuf, kref);

	if (!bm_keep(rbuf->bm, &rbuf->kept, bm_regbuf_free))
		bm_regbuf_free(&rbuf->kept);
}

void bm_regbuf_put(struct bm_regbuf *rbuf)
{
	kref_put(&rbuf->kref, bm_regbuf_release);
}

/**
 * bm_regbuf_get - look up a registered buffer of this file, take a reference
 * @bf: the file
 * @handle: what REGISTER returned
 * Return: the buffer, or NULL if this file has none by that handle.
 */
struct bm_regbuf *bm_regbuf_get(struct bm_file *bf, u32 handle)
{
	struct bm_regbuf *rbuf;

	xa_lock(&bf->regbufs);
	rbuf = xa_load(&bf->regbufs, handle);
	if (rbuf)
		kref_get(&rbuf->kref);
	xa_unlock(&bf->regbufs);
	return rbuf;
}

/* Does any mapped segment ever need a sync (a bounce page, a non-coherent card)? */
static bool bm_sgt_needs_sync(struct device *dev, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i)
		if (dma_need_sync(dev, sg_dma_address(sg)))
			return true;
	return false;
}

/* Each run of contiguous pages (an sg entry) as a single mapping of its own. */
static int bm_regbuf_map_runs(struct bm_regbuf *rbuf)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&rbuf->sgt, sg, i) {
		dma_addr_t addr = dma_map_page_attrs(rbuf->dev, sg_page(sg),
						     sg->offset, sg->length,
						     rbuf->dir,
						     DMA_ATTR_NO_WARN |
						     DMA_ATTR_SKIP_CPU_SYNC);

		if (dma_mapping_error(rbuf->dev, addr)) {
			bm_regbuf_unmap_runs(rbuf, i);
			return -ENOMEM;
		}
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = sg->length;
	}
	rbuf->sgt.nents = rbuf->sgt.orig_nents;
	rbuf->runs = true;
	return 0;
}

/*
 * Map the buffer for as long as it lives. Transfers move, and callers
 * sync, any byte range of it; the DMA API allows a partial sync only of a
 * single mapping, never of a scatterlist's (whose entries an IOMMU may
 * have merged from several pages). So: one dma_map_sgtable() where no
 * sync is ever needed (the card reaches the pages coherently: syncs are
 * skipped), else each run of contiguous pages mapped alone (swiotlb
 * bounces some of them), synced in exactly the bytes asked for. Bounce
 * space for it all, or nothing: ENOMEM. Nothing to sync at map time:
 * every transfer syncs what it moves, or the caller does with SYNC.
 *
 * Where the card bounces, the bounce space stays taken for as long as the
 * buffer lives: the card's registered buffers together may take
 * registered_bounce_mb of the pool every device shares, no more.
 */
static int bm_regbuf_map(struct bm_regbuf *rbuf)
{
	struct bm_adapter *ad = &rbuf->bm->adapter;
	int ret;

	if (ad->bounce == BUSMASTER_BOUNCE_SWIOTLB) {
		if (bm_budget_take(&ad->registered_bounce, rbuf->npages))
			return -ENOMEM;
		ret = bm_regbuf_map_runs(rbuf);
		if (ret)
			bm_budget_give(&ad->registered_bounce, rbuf->npages);
		rbuf->mapped = !ret;
		return ret;
	}
	ret = dma_map_sgtable(rbuf->dev, &rbuf->sgt, rbuf->dir,
			      DMA_ATTR_NO_WARN | DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		return -ENOMEM;
	if (!bm_sgt_needs_sync(rbuf->dev, &rbuf->sgt)) {
		rbuf->mapped = true;
		return 0;
	}
	dma_unmap_sgtable(rbuf->dev, &rbuf->sgt, rbuf->dir,
			  DMA_ATTR_SKIP_CPU_SYNC);
	ret = bm_regbuf_map_runs(rbuf);
	rbuf->mapped = !ret;
	return ret;
}

/* Pin, charge and (where the DMA API can) map; undo all of it on failure. */
static int bm_regbuf_pin_and_map(struct bm_regbuf *rbuf, u64 addr)
{
	struct bm_dev *bm = rbuf->bm;
	const struct bm_adapter *ad = &bm->adapter;
	bool writable;
	int ret;

	ret = bm_user_writable(bm, addr, rbuf->length, true, &writable);
	if (!ret && rbuf->card_writes && !writable)
		ret = -EFAULT;
	if (ret)
		return ret;
	ret = bm_charge_pinned(&rbuf->charge, rbuf->npages);
	if (ret)
		return ret;
	/*
	 * Even when the card only reads, pin writable where that is allowed:
	 * before 6.2 a read-only long-term pin of private memory not yet
	 * written pins the shared zero page, and the process's later writes
	 * land in a copy the card never sees. Elsewhere a read-only pin: the
	 * memory cannot change under the card, or is shared page cache.
	 */
	ret = bm_pin_user(bm, addr & PAGE_MASK, rbuf->npages,
			  FOLL_LONGTERM | (writable ? FOLL_WRITE : 0), rbuf->pages,
			  false);
	if (ret)
		goto uncharge;
	ret = bm_pages_claim(rbuf->pages, rbuf->npages, rbuf,
			     bm_regbuf_claim(rbuf), true, NULL);
	if (ret)
		goto unpin;
	/* Entries as long as the adapter allows (bm_sg_max_segment()). */
	ret = sg_alloc_table_from_pages_segment(&rbuf->sgt, rbuf->pages,
						rbuf->npages, rbuf->offset,
						rbuf->length,
						bm_sg_max_segment(bm),
						GFP_KERNEL);
	if (ret)
		goto unclaim;
	if (ad->bounce != BUSMASTER_BOUNCE_MAP_REGISTERS) {
		ret = bm_regbuf_map(rbuf);
		if (ret)
			goto free;
	}
	atomic_add(rbuf->npages, &bm->stats.pinned_pages);
	return 0;

free:
	sg_free_table(&rbuf->sgt);
unclaim:
	bm_pages_release(rbuf->pages, rbuf->npages, rbuf, bm_regbuf_claim(rbuf));
unpin:
	unpin_user_pages(rbuf->pages, rbuf->npages);
uncharge:
	bm_uncharge_pinned(&rbuf->charge);
	return ret;
}

static void bm_regbuf_destroy(void *obj)
{
	bm_regbuf_put(obj);
}

/*
 * BUSMASTER_IOCTL_REGISTER: reserve the handle, pin and map, and leave it
 * to bm_ioctl() to publish once the caller has the answer.
 * Context: lifetime held, card present.
 */
int bm_ioctl_register(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_register *r = arg;
	struct bm_dev *bm = bf->bm;
	struct bm_regbuf *rbuf;
	u32 handle;
	u64 end;
	int ret;

	if (r->flags & ~BUSMASTER_REG_CARD_WRITES || r->reserved || r->handle)
		return -EINVAL;
	if (!r->length || r->length > BUSMASTER_REGISTER_MAX ||
	    check_add_overflow(r->addr, r->length, &end) || end > TASK_SIZE ||
	    !IS_ALIGNED(r->addr | r->length, bm->adapter.alignment))
		return -EINVAL;
	/* Cut off the bus (bm_quarantine.c): nothing new for it. */
	if (READ_ONCE(bm->quarantined))
		return -ESHUTDOWN;

	ret = bm_handle_reserve(&bf->regbufs, BUSMASTER_REGISTER_PER_FILE, &handle);
	if (ret)
		return ret;

	ret = -ENOMEM;
	rbuf = kzalloc(sizeof(*rbuf), GFP_KERNEL);
	if (!rbuf)
		goto release;
	rbuf->offset = offset_in_page(r->addr);
	rbuf->length = r->length;
	rbuf->npages = DIV_ROUND_UP(rbuf->offset + r->length, PAGE_SIZE);
	rbuf->card_writes = r->flags & BUSMASTER_REG_CARD_WRITES;
	rbuf->dir = rbuf->card_writes ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE;
	rbuf->pages = kvmalloc_array(rbuf->npages, sizeof(*rbuf->pages), GFP_KERNEL);
	if (!rbuf->pages)
		goto free;
	rbuf->bm = bm;
	INIT_LIST_HEAD(&rbuf->node);
	rbuf->dev = get_device(&bm->pdev->dev);
	ret = bm_regbuf_pin_and_map(rbuf, r->addr);
	if (ret)
		goto put;
	kref_init(&rbuf->kref);
	bm_dev_get(bm);
	if (bm_planted(BM_DEFECT_LOCK_ORDER))
		mutex_lock(&bm->common_lock);
	mutex_lock(&bm->regbuf_list_lock);
	list_add(&rbuf->node, &bm->regbuf_list);
	mutex_unlock(&bm->regbuf_list_lock);
	if (bm_planted(BM_DEFECT_LOCK_ORDER))
		mutex_unlock(&bm->common_lock);

	r->handle = handle;
	ctx->handles = &bf->regbufs;
	ctx->handle = handle;
	ctx->created = rbuf;
	ctx->destroy = bm_regbuf_destroy;
	return 0;

put:
	put_device(rbuf->dev);
	kvfree(rbuf->pages);
free:
	kfree(rbuf);
release:
	xa_release(&bf->regbufs, handle);
	return ret;
}

/* BUSMASTER_IOCTL_UNREGISTER. Context: lifetime held, card present. */
int bm_ioctl_unregister(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_unregister *u = arg;
	struct bm_regbuf *rbuf;

	if (u->flags || u->reserved)
		return -EINVAL;
	rbuf = bm_handle_take(&bf->regbufs, u->handle);
	if (!rbuf)
		return -ENOENT;
	/* A transfer still on it holds a reference: it finishes first. */
	bm_regbuf_put(rbuf);
	return 0;
}

/* On close: unregister everything this file registered. */
void bm_regbuf_release_all(struct bm_file *bf)
{
	unsigned long handle;
	struct bm_regbuf *rbuf;

	xa_for_each(&bf->regbufs, handle, rbuf) {
		xa_erase(&bf->regbufs, handle);
		bm_regbuf_put(rbuf);
	}
	xa_destroy(&bf->regbufs);
}

/*
 * Sync exactly the bytes [offset, offset + len), for the device or for the
 * CPU: partial syncs of the single mappings that hold them, so bytes
 * outside the range -- which the CPU or the other direction may be using --
 * are not touched. A buffer mapped as one scatterlist never needs one.
 */
static void bm_regbuf_sync(struct bm_regbuf *rbuf, u64 offset, u64 len, bool for_cpu)
{
	struct scatterlist *sg;
	unsigned int i;

	if (!rbuf->mapped || !rbuf->runs)
		return;
	for_each_sgtable_dma_sg(&rbuf->sgt, sg, i) {
		u64 seg = sg_dma_len(sg), n;
		dma_addr_t addr;
		bool need;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		n = min(seg - offset, len);
		addr = sg_dma_address(sg) + offset;
		/*
		 * Only runs that need it (bounced, or a non-coherent card's).
		 * Another run holds its pages' own bus address, which the
		 * mapping of a reader sharing a page (bm_pages_claim()) holds
		 * too, and DMA-API debug cannot tell which of the two a
		 * partial sync names. (A non-coherent card's every run needs
		 * syncs: there, a shared page may give such a false report.)
		 */
		need = dma_need_sync(rbuf->dev, addr);
		if (need && for_cpu)
			dma_sync_single_for_cpu(rbuf->dev, addr, n, rbuf->dir);
		else if (need)
			dma_sync_single_for_device(rbuf->dev, addr, n, rbuf->dir);
		offset = 0;
		len -= n;
		if (!len)
			break;
	}
}

/* BUSMASTER_IOCTL_SYNC. Context: lifetime held, card present. */
int bm_ioctl_sync(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_sync *s = arg;
	struct bm_regbuf *rbuf;
	u64 end;
	int ret = 0;

	if (s->reserved ||
	    (s->flags != BUSMASTER_SYNC_FOR_DEVICE &&
	     s->flags != BUSMASTER_SYNC_FOR_CPU) ||
	    !s->length || check_add_overflow(s->offset, s->length, &end))
		return -EINVAL;
	rbuf = bm_regbuf_get(bf, s->handle);
	if (!rbuf)
		return -ENOENT;
	if (end > rbuf->length)
		ret = -ERANGE;
	else if (s->flags == BUSMASTER_SYNC_FOR_CPU && !rbuf->card_writes)
		ret = -EPERM;	/* nothing to bring back, nothing may be written */
	else
		bm_regbuf_sync(rbuf, s->offset, s->length,
			       s->flags == BUSMASTER_SYNC_FOR_CPU);
	bm_regbuf_put(rbuf);
	return ret;
}

/**
 * bm_transfer_registered - move [@offset, @offset + @len) of a registered
 * buffer (IoBuildPartialMdl)
 * @rq: the request
 * @rbuf: the buffer, a reference held
 * @offset: where in the buffer
 * @len: bytes
 * @sync: sync the range for the device before, for the CPU after
 */
void bm_transfer_registered(struct bm_request *rq, struct bm_regbuf *rbuf,
			    u64 offset, u64 len, bool sync)
{
	u64 before = rq->bytes_done;

	if (!rbuf->mapped) {
		/* Map registers: copied at transfer time; nothing to sync. */
		bm_transfer_pages(rq, rbuf->pages, rbuf->offset + offset, len,
				  BM_CLAIM_NONE);
		return;
	}
	/*
	 * For the device in both directions: what the CPU wrote must reach
	 * the card, and no dirty cache line may later land on what the card
	 * writes (non-coherent systems; bounce buffers get the current data).
	 */
	if (sync)
		bm_regbuf_sync(rbuf, offset, len, false);
	bm_feed_sgtable(rq, &rbuf->sgt, offset, len);
	if (!sync || !rq->from_card)
		return;
	bm_request_wait(rq);
	if (rq->bytes_done > before)
		bm_regbuf_sync(rbuf, offset, rq->bytes_done - before, true);
}

/**
 * bm_transfer_kernel - DMA between kernel memory and the card
 * (MmBuildMdlForNonPagedPool: the same engine, driven by a kernel buffer)
 * @bm: the card, present (lifetime held or probe/debugfs context)
 * @buf: vmalloc()ed memory
 * @len: bytes
 * @card_offset: where in card memory
 * @from_card: direction
 *
 * Return: 0 or a negative errno; -EIO if less than @len moved.
 */
int bm_transfer_kernel(struct bm_dev *bm, void *buf, size_t len,
		       u64 card_offset, bool from_card)
{
	unsigned int off = offset_in_page(buf), n, i;
	struct bm_request rq;
	struct page **pages;
	int ret;

	if (!is_vmalloc_addr(buf) || !len ||
	    card_offset + len > bm->adapter.card_mem_size)
		return -EINVAL;
	if (READ_ONCE(bm->quarantined))
		return -ESHUTDOWN;
	n = DIV_ROUND_UP(off + len, PAGE_SIZE);
	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		pages[i] = vmalloc_to_page(buf - off + i * PAGE_SIZE);

	bm_request_init(&rq, bm, from_card, card_offset, READ_ONCE(bm_timeout_ms));
	trace_busmaster_request_start(&rq, BM_REQ_KERNEL, len);
	bm_transfer_pages(&rq, pages, off, len, BM_CLAIM_NONE);
	bm_transfer_finish(&rq);
	ret = rq.error;
	bm_request_fini(&rq);
	kvfree(pages);
	return ret;
}
