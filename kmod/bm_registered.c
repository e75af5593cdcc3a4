// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: registered buffers, and DMA from kernel memory.
 *
 * A process that streams the same buffer again and again registers it
 * once: the pages are pinned long-term (FOLL_LONGTERM), charged to its
 * RLIMIT_MEMLOCK through mm->pinned_vm as RDMA, io_uring and VFIO do, and
 * mapped for the card once (bm_reg_map()). Transfers then move any
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

/* Undo the first @n single mappings of bm_reg_map_runs(). */
static void bm_reg_unmap_runs(struct bm_reg *reg, unsigned int n)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&reg->sgt, sg, i) {
		if (i == n)
			break;
		dma_unmap_page_attrs(reg->dev, sg_dma_address(sg), sg_dma_len(sg),
				     reg->dir, DMA_ATTR_SKIP_CPU_SYNC);
	}
}

/* Transfers synced what the CPU may read; do not copy stale data back. */
static void bm_reg_unmap(struct bm_reg *reg)
{
	struct bm_adapter *ad = &reg->bm->adapter;

	lockdep_assert_held(&reg->bm->reg_list_lock);
	if (!reg->mapped)
		return;
	if (reg->runs)
		bm_reg_unmap_runs(reg, reg->sgt.orig_nents);
	else
		dma_unmap_sgtable(reg->dev, &reg->sgt, reg->dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
	if (ad->bounce == BUSMASTER_BOUNCE_SWIOTLB)
		bm_budget_give(&ad->registered_bounce, reg->npages);
	reg->mapped = false;
}

/**
 * bm_reg_unmap_all - unmap every registered buffer of the card
 * @bm: the card, being removed: reset, and no transfer running
 *
 * The files keep their handles (transfers now fail with ENODEV) and the
 * pages stay pinned until the handles go; the DMA mappings go now, while
 * the device they belong to still exists.
 */
void bm_reg_unmap_all(struct bm_dev *bm)
{
	struct bm_reg *reg;

	mutex_lock(&bm->reg_list_lock);
	list_for_each_entry(reg, &bm->reg_list, node)
		bm_reg_unmap(reg);
	mutex_unlock(&bm->reg_list_lock);
}

static void bm_reg_free(struct bm_kept *k)
{
	struct bm_reg *reg = container_of(k, struct bm_reg, kept);

	mutex_lock(&reg->bm->reg_list_lock);
	list_del(&reg->node);
	bm_reg_unmap(reg);
	mutex_unlock(&reg->bm->reg_list_lock);
	sg_free_table(&reg->sgt);
	bm_pages_release(reg->pages, reg->npages, reg, BM_CLAIM_LONG_TERM);
	unpin_user_pages_dirty_lock(reg->pages, reg->npages, reg->card_writes);
	atomic_sub(reg->npages, &reg->bm->stats.pinned_pages);
	bm_uncharge_pinned(&reg->charge);
	if (!bm_planted(BM_DEFECT_LEAK))
		kvfree(reg->pages);
	put_device(reg->dev);
	bm_dev_put(reg->bm);
	kfree(reg);
}

/* A quarantined card may yet use its mapping and pages: keep them. */
static void bm_reg_release(struct kref *kref)
{
	struct bm_reg *reg = container_of(kref, struct bm_reg, kref);

	if (!bm_keep(reg->bm, &reg->kept, bm_reg_free))
		bm_reg_free(&reg->kept);
}

void bm_reg_put(struct bm_reg *reg)
{
	kref_put(&reg->kref, bm_reg_release);
}

/**
 * bm_reg_get - look up a registered buffer of this file, take a reference
 * @bf: the file
 * @handle: what REGISTER returned
 * Return: the buffer, or NULL if this file has none by that handle.
 */
struct bm_reg *bm_reg_get(struct bm_file *bf, u32 handle)
{
	struct bm_reg *reg;

	xa_lock(&bf->regs);
	reg = xa_load(&bf->regs, handle);
	if (reg)
		kref_get(&reg->kref);
	xa_unlock(&bf->regs);
	return reg;
}

/*
 * May this page stay pinned writable long-term? Anonymous memory, shmem
 * and hugetlb may; page cache of a file the kernel writes back may not (the
 * pin defeats dirty tracking). 6.5 and later refuse such a pin in GUP;
 * before, only our look at the VMAs did, and a thread could swap the
 * mapping between that look and the pin. So look at what was pinned.
 */
static bool bm_long_term_writable(struct page *page)
{
	struct folio *folio = page_folio(page);

	return folio_test_anon(folio) || folio_test_swapbacked(folio) ||
	       folio_test_hugetlb(folio);
}

static int bm_reg_pin(struct bm_reg *reg, u64 addr, unsigned int flags)
{
	unsigned int i;
	int ret;

	ret = bm_pin_user(reg->bm, addr & PAGE_MASK, reg->npages,
			  FOLL_LONGTERM | flags, reg->pages, false);
	if (ret || !(flags & FOLL_WRITE))
		return ret;
	for (i = 0; i < reg->npages; i++)
		if (!bm_long_term_writable(reg->pages[i]))
			break;
	if (i == reg->npages)
		return 0;
	unpin_user_pages(reg->pages, reg->npages);
	return -EFAULT;
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
static int bm_reg_map_runs(struct bm_reg *reg)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&reg->sgt, sg, i) {
		dma_addr_t addr = dma_map_page_attrs(reg->dev, sg_page(sg),
						     sg->offset, sg->length,
						     reg->dir,
						     DMA_ATTR_NO_WARN |
						     DMA_ATTR_SKIP_CPU_SYNC);

		if (dma_mapping_error(reg->dev, addr)) {
			bm_reg_unmap_runs(reg, i);
			return -ENOMEM;
		}
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = sg->length;
	}
	reg->sgt.nents = reg->sgt.orig_nents;
	reg->runs = true;
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
static int bm_reg_map(struct bm_reg *reg)
{
	struct bm_adapter *ad = &reg->bm->adapter;
	int ret;

	if (ad->bounce == BUSMASTER_BOUNCE_SWIOTLB) {
		if (bm_budget_take(&ad->registered_bounce, reg->npages))
			return -ENOMEM;
		ret = bm_reg_map_runs(reg);
		if (ret)
			bm_budget_give(&ad->registered_bounce, reg->npages);
		reg->mapped = !ret;
		return ret;
	}
	ret = dma_map_sgtable(reg->dev, &reg->sgt, reg->dir,
			      DMA_ATTR_NO_WARN | DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		return -ENOMEM;
	if (!bm_sgt_needs_sync(reg->dev, &reg->sgt)) {
		reg->mapped = true;
		return 0;
	}
	dma_unmap_sgtable(reg->dev, &reg->sgt, reg->dir,
			  DMA_ATTR_SKIP_CPU_SYNC);
	ret = bm_reg_map_runs(reg);
	reg->mapped = !ret;
	return ret;
}

/* Pin, charge and (where the DMA API can) map; undo all of it on failure. */
static int bm_reg_pin_and_map(struct bm_reg *reg, u64 addr)
{
	struct bm_dev *bm = reg->bm;
	const struct bm_adapter *ad = &bm->adapter;
	bool writable;
	int ret;

	ret = bm_user_writable(bm, addr, reg->length, true, &writable);
	if (!ret && reg->card_writes && !writable)
		ret = -EFAULT;
	if (ret)
		return ret;
	ret = bm_charge_pinned(&reg->charge, reg->npages);
	if (ret)
		return ret;
	/*
	 * Even when the card only reads, pin writable where that is allowed:
	 * before 6.2 a read-only long-term pin of private memory not yet
	 * written pins the shared zero page, and the process's later writes
	 * land in a copy the card never sees. Elsewhere a read-only pin: the
	 * memory cannot change under the card, or is shared page cache.
	 */
	ret = bm_reg_pin(reg, addr, writable ? FOLL_WRITE : 0);
	if (ret)
		goto uncharge;
	/* Its pages are this buffer's alone (bm_pages_claim()). */
	ret = bm_pages_claim(reg->pages, reg->npages, reg, BM_CLAIM_LONG_TERM,
			     true);
	if (ret)
		goto unpin;
	/* Entries as long as the adapter allows (bm_sg_max_segment()). */
	ret = sg_alloc_table_from_pages_segment(&reg->sgt, reg->pages,
						reg->npages, reg->offset,
						reg->length,
						bm_sg_max_segment(bm),
						GFP_KERNEL);
	if (ret)
		goto unclaim;
	if (ad->bounce != BUSMASTER_BOUNCE_MAP_REGISTERS) {
		ret = bm_reg_map(reg);
		if (ret)
			goto free;
	}
	atomic_add(reg->npages, &bm->stats.pinned_pages);
	return 0;

free:
	sg_free_table(&reg->sgt);
unclaim:
	bm_pages_release(reg->pages, reg->npages, reg, BM_CLAIM_LONG_TERM);
unpin:
	unpin_user_pages(reg->pages, reg->npages);
uncharge:
	bm_uncharge_pinned(&reg->charge);
	return ret;
}

static void bm_reg_destroy(void *obj)
{
	bm_reg_put(obj);
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
	struct bm_reg *reg;
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

	ret = bm_handle_reserve(&bf->regs, BUSMASTER_REGISTER_PER_FILE, &handle);
	if (ret)
		return ret;

	ret = -ENOMEM;
	reg = kzalloc(sizeof(*reg), GFP_KERNEL);
	if (!reg)
		goto release;
	reg->offset = offset_in_page(r->addr);
	reg->length = r->length;
	reg->npages = DIV_ROUND_UP(reg->offset + r->length, PAGE_SIZE);
	reg->card_writes = r->flags & BUSMASTER_REG_CARD_WRITES;
	reg->dir = reg->card_writes ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE;
	reg->pages = kvmalloc_array(reg->npages, sizeof(*reg->pages), GFP_KERNEL);
	if (!reg->pages)
		goto free;
	reg->bm = bm;
	INIT_LIST_HEAD(&reg->node);
	reg->dev = get_device(&bm->pdev->dev);
	ret = bm_reg_pin_and_map(reg, r->addr);
	if (ret)
		goto put;
	kref_init(&reg->kref);
	bm_dev_get(bm);
	if (bm_planted(BM_DEFECT_LOCK_ORDER))
		mutex_lock(&bm->common_lock);
	mutex_lock(&bm->reg_list_lock);
	list_add(&reg->node, &bm->reg_list);
	mutex_unlock(&bm->reg_list_lock);
	if (bm_planted(BM_DEFECT_LOCK_ORDER))
		mutex_unlock(&bm->common_lock);

	r->handle = handle;
	ctx->handles = &bf->regs;
	ctx->handle = handle;
	ctx->created = reg;
	ctx->destroy = bm_reg_destroy;
	return 0;

put:
	put_device(reg->dev);
	kvfree(reg->pages);
free:
	kfree(reg);
release:
	xa_release(&bf->regs, handle);
	return ret;
}

/* BUSMASTER_IOCTL_UNREGISTER. Context: lifetime held, card present. */
int bm_ioctl_unregister(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_unregister *u = arg;
	struct bm_reg *reg;

	if (u->flags || u->reserved)
		return -EINVAL;
	reg = bm_handle_take(&bf->regs, u->handle);
	if (!reg)
		return -ENOENT;
	/* A transfer still on it holds a reference: it finishes first. */
	bm_reg_put(reg);
	return 0;
}

/* On close: unregister everything this file registered. */
void bm_reg_release_all(struct bm_file *bf)
{
	unsigned long handle;
	struct bm_reg *reg;

	xa_for_each(&bf->regs, handle, reg) {
		xa_erase(&bf->regs, handle);
		bm_reg_put(reg);
	}
	xa_destroy(&bf->regs);
}

/*
 * Sync exactly the bytes [offset, offset + len), for the device or for the
 * CPU: partial syncs of the single mappings that hold them, so bytes
 * outside the range -- which the CPU or the other direction may be using --
 * are not touched. A buffer mapped as one scatterlist never needs one.
 */
static void bm_reg_sync(struct bm_reg *reg, u64 offset, u64 len, bool for_cpu)
{
	struct scatterlist *sg;
	unsigned int i;

	if (!reg->mapped || !reg->runs)
		return;
	for_each_sgtable_dma_sg(&reg->sgt, sg, i) {
		u64 seg = sg_dma_len(sg), n;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		n = min(seg - offset, len);
		if (for_cpu)
			dma_sync_single_for_cpu(reg->dev, sg_dma_address(sg) + offset,
						n, reg->dir);
		else
			dma_sync_single_for_device(reg->dev,
						   sg_dma_address(sg) + offset,
						   n, reg->dir);
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
	struct bm_reg *reg;
	u64 end;
	int ret = 0;

	if (s->reserved ||
	    (s->flags != BUSMASTER_SYNC_FOR_DEVICE &&
	     s->flags != BUSMASTER_SYNC_FOR_CPU) ||
	    !s->length || check_add_overflow(s->offset, s->length, &end))
		return -EINVAL;
	reg = bm_reg_get(bf, s->handle);
	if (!reg)
		return -ENOENT;
	if (end > reg->length)
		ret = -ERANGE;
	else if (s->flags == BUSMASTER_SYNC_FOR_CPU && !reg->card_writes)
		ret = -EPERM;	/* nothing to bring back, nothing may be written */
	else
		bm_reg_sync(reg, s->offset, s->length,
			    s->flags == BUSMASTER_SYNC_FOR_CPU);
	bm_reg_put(reg);
	return ret;
}

/**
 * bm_transfer_registered - move [@offset, @offset + @len) of a registered
 * buffer (IoBuildPartialMdl)
 * @rq: the request
 * @reg: the buffer, a reference held
 * @offset: where in the buffer
 * @len: bytes
 * @sync: sync the range for the device before, for the CPU after
 */
void bm_transfer_registered(struct bm_request *rq, struct bm_reg *reg,
			    u64 offset, u64 len, bool sync)
{
	u64 before = rq->bytes_done;

	if (!reg->mapped) {
		/* Map registers: copied at transfer time; nothing to sync. */
		bm_transfer_pages(rq, reg->pages, reg->offset + offset, len);
		return;
	}
	/*
	 * For the device in both directions: what the CPU wrote must reach
	 * the card, and no dirty cache line may later land on what the card
	 * writes (non-coherent systems; bounce buffers get the current data).
	 */
	if (sync)
		bm_reg_sync(reg, offset, len, false);
	bm_feed_sgtable(rq, &reg->sgt, offset, len);
	if (!sync || !rq->from_card)
		return;
	bm_request_wait(rq);
	if (rq->bytes_done > before)
		bm_reg_sync(reg, offset, rq->bytes_done - before, true);
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

	ret = bm_request_init(&rq, bm, from_card, card_offset, 0);
	if (!ret) {
		bm_transfer_pages(&rq, pages, off, len);
		bm_transfer_finish(&rq);
		ret = rq.error;
	}
	bm_request_fini(&rq);
	kvfree(pages);
	return ret;
}
