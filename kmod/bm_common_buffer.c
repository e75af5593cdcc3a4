// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: common buffers.
 *
 * NT's AllocateCommonBuffer gives a driver memory that both the CPU and the
 * card address, for rings and for data the card reads and writes in place.
 * Here it is dma_alloc_coherent(), handed to the process as a handle and an
 * mmap() offset, and usable as the host side of a TRANSFER. The memory
 * lives while anything refers to it: the file's handle, a mapping, a
 * transfer in progress; so a mapping that outlives COMMON_FREE or close()
 * stays valid memory. It cannot outlive the card: DMA memory must be freed
 * while its device exists (behind an IOMMU it is the device's IOVA space),
 * so remove() revokes every mapping and frees it; a later touch is SIGBUS.
 *
 * The process's mapping is the DMA API's own (dma_mmap_coherent(): the
 * right pages and page protection, decrypted memory under SME/SEV/TDX,
 * uncached where the card is not coherent). Revoking it is a zap of the
 * device file's mappings, which cannot see a mapping that mmap() is still
 * setting up; so remove() first forbids new mappings, then waits for every
 * process that ever mapped the buffer to leave mmap() (its mmap_lock),
 * and only then zaps and frees.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "bm_compat.h"
#include "busmaster.h"

/*
 * mmap offset = map_id << 32: the buffer in the high bits, the page below.
 * Every open file of a card shares the device inode's address_space, and
 * revoking a mapping zaps it by offset: so the offset names the buffer
 * uniquely on the card, not by its handle, which another file may also use.
 */
#define BM_MMAP_ID_SHIFT	(32 - PAGE_SHIFT)
#define BM_MMAP_PGOFF_MASK	((1UL << BM_MMAP_ID_SHIFT) - 1)

/*
 * Free the DMA memory (or keep it from a quarantined card, which may yet
 * write it); the process's mappings go either way. Context:
 * bm->common_lock held.
 */
static void bm_common_free_dma(struct bm_common *c)
{
	lockdep_assert_held(&c->bm->common_lock);
	if (!c->cpu)
		return;
	if (c->mapping)
		unmap_mapping_range(c->mapping, (loff_t)c->map_id << 32,
				    c->size, 1);
	bm_free_coherent(c->bm, c->dev, c->size, c->cpu, c->dma);
	bm_budget_give(&c->bm->adapter.zone_dma, c->size >> PAGE_SHIFT);
	c->cpu = NULL;
}

/**
 * bm_common_free_all - revoke the mappings of every common buffer of the
 * card and free its memory
 * @bm: the card, being removed: reset, and no transfer running
 *
 * Handles and mappings stay until closed and unmapped; the memory goes now.
 * Context: process context; takes the mmap_lock of every process that
 * mapped one of the buffers.
 */
void bm_common_free_all(struct bm_dev *bm)
{
	struct bm_common *c, *next;
	LIST_HEAD(held);
	unsigned long i;
	void *count;

	/*
	 * No new mappings. Hold each buffer while we wait for its mappers,
	 * and the device inode its mappings belong to: the files and
	 * mappings that kept it may all go meanwhile.
	 */
	mutex_lock(&bm->common_lock);
	list_for_each_entry(c, &bm->common_list, node) {
		c->revoked = true;
		if (!kref_get_unless_zero(&c->kref))
			continue;	/* being released, unmapped */
		if (c->mapping)
			ihold(c->mapping->host);
		list_add(&c->revoke_node, &held);
	}
	mutex_unlock(&bm->common_lock);
	/*
	 * Their mmap() calls have finished: every mapping is in the file's
	 * tree for the zap. @mappers is frozen once revoked.
	 */
	list_for_each_entry(c, &held, revoke_node) {
		xa_for_each(&c->mappers, i, count) {
			mmap_write_lock((struct mm_struct *)i);
			mmap_write_unlock((struct mm_struct *)i);
		}
	}

	mutex_lock(&bm->common_lock);
	list_for_each_entry(c, &bm->common_list, node)
		bm_common_free_dma(c);
	mutex_unlock(&bm->common_lock);
	list_for_each_entry_safe(c, next, &held, revoke_node) {
		struct inode *inode = c->mapping ? c->mapping->host : NULL;

		bm_common_put(c);
		if (inode)
			iput(inode);
	}
}

static void bm_common_release(struct kref *kref)
{
	struct bm_common *c = container_of(kref, struct bm_common, kref);
	struct bm_dev *bm = c->bm;
	unsigned long i;
	void *count;

	mutex_lock(&bm->common_lock);
	list_del(&c->node);
	bm_common_free_dma(c);
	mutex_unlock(&bm->common_lock);
	bm_uncharge_pinned(&c->charge);
	xa_for_each(&c->mappers, i, count) {
		mmdrop((struct mm_struct *)i);
		atomic_dec(&bm->stats.common_mappers);
	}
	xa_destroy(&c->mappers);
	ida_free(&bm->map_ids, c->map_id);
	atomic_dec(&c->bm->stats.common_buffers);
	put_device(c->dev);
	bm_dev_put(c->bm);
	kfree(c);
}

void bm_common_put(struct bm_common *c)
{
	kref_put(&c->kref, bm_common_release);
}

/**
 * bm_common_get - look up a common buffer of this file and take a reference
 * @bf: the file
 * @handle: what COMMON_ALLOC returned
 * Return: the buffer, or NULL if this file has none by that handle.
 */
struct bm_common *bm_common_get(struct bm_file *bf, u32 handle)
{
	struct bm_common *c;

	xa_lock(&bf->commons);
	c = xa_load(&bf->commons, handle);
	if (c)
		kref_get(&c->kref);
	xa_unlock(&bf->commons);
	return c;
}

/* This file's buffer whose mmap offset is @map_id << 32, referenced. */
static struct bm_common *bm_common_get_mapped(struct bm_file *bf,
					      unsigned long map_id)
{
	struct bm_common *c;
	unsigned long handle;

	xa_lock(&bf->commons);
	xa_for_each(&bf->commons, handle, c) {
		if (c->map_id == map_id) {
			kref_get(&c->kref);
			break;
		}
	}
	xa_unlock(&bf->commons);
	return c;
}

static void bm_common_destroy(void *obj)
{
	bm_common_put(obj);
}

/*
 * BUSMASTER_IOCTL_COMMON_ALLOC: reserve the handle, build the buffer, and
 * leave it to bm_ioctl() to publish once the caller has the answer.
 * Context: lifetime held, card present.
 */
int bm_ioctl_common_alloc(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_common_alloc *a = arg;
	struct bm_dev *bm = bf->bm;
	struct bm_common *c;
	u32 handle;
	int ret;

	if (a->flags || a->reserved || a->handle)
		return -EINVAL;
	if (!a->length || a->length > bm->adapter.common_max)
		return -EINVAL;
	/* Cut off the bus (bm_quarantine.c): nothing new for it. */
	if (READ_ONCE(bm->quarantined))
		return -ESHUTDOWN;
	ret = bm_handle_reserve(&bf->commons, BUSMASTER_COMMON_PER_FILE, &handle);
	if (ret)
		return ret;

	ret = -ENOMEM;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		goto release;
	c->size = PAGE_ALIGN(a->length);
	xa_init(&c->mappers);
	ret = ida_alloc_range(&bm->map_ids, 1, INT_MAX, GFP_KERNEL);
	if (ret < 0)
		goto free;
	c->map_id = ret;
	/* Locked memory on the process's behalf: charged like a pin. */
	ret = bm_charge_pinned(&c->charge, c->size >> PAGE_SHIFT);
	if (ret)
		goto free_id;
	/* A card below 32 bits takes its share of ZONE_DMA, no more. */
	ret = bm_budget_take(&bm->adapter.zone_dma, c->size >> PAGE_SHIFT);
	if (ret)
		goto uncharge;
	c->dev = get_device(&bm->pdev->dev);
	/* Fragmented memory: ENOMEM, not a console message anyone can cause. */
	c->cpu = dma_alloc_coherent(c->dev, c->size, &c->dma,
				    GFP_KERNEL | __GFP_NOWARN);
	if (!c->cpu) {
		ret = -ENOMEM;
		goto put;
	}
	kref_init(&c->kref);
	bm_dev_get(bm);
	c->bm = bm;
	atomic_inc(&bm->stats.common_buffers);
	if (bm_planted(BM_DEFECT_LOCK_ORDER))
		mutex_lock(&bm->regbuf_list_lock);
	mutex_lock(&bm->common_lock);
	list_add(&c->node, &bm->common_list);
	mutex_unlock(&bm->common_lock);
	if (bm_planted(BM_DEFECT_LOCK_ORDER))
		mutex_unlock(&bm->regbuf_list_lock);

	a->handle = handle;
	a->mmap_offset = (u64)c->map_id << 32;
	ctx->handles = &bf->commons;
	ctx->handle = handle;
	ctx->created = c;
	ctx->destroy = bm_common_destroy;
	return 0;

put:
	put_device(c->dev);
	bm_budget_give(&bm->adapter.zone_dma, c->size >> PAGE_SHIFT);
uncharge:
	bm_uncharge_pinned(&c->charge);
free_id:
	ida_free(&bm->map_ids, c->map_id);
free:
	kfree(c);
release:
	xa_release(&bf->commons, handle);
	return ret;
}

/* BUSMASTER_IOCTL_COMMON_FREE. Context: lifetime held, card present. */
int bm_ioctl_common_free(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_common_free *f = arg;
	struct bm_common *c;

	if (f->flags || f->reserved)
		return -EINVAL;
	c = bm_handle_take(&bf->commons, f->handle);
	if (!c)
		return -ENOENT;
	bm_common_put(c);
	/* Planted defect: read what the put just freed (never 0 bytes). */
	if (bm_planted(BM_DEFECT_USE_AFTER_FREE) && !READ_ONCE(c->size))
		pr_warn("a common buffer of no size\n");
	return 0;
}

/* On close: drop the file's handles; mappings keep their buffers. */
void bm_common_release_all(struct bm_file *bf)
{
	struct bm_common *c;
	unsigned long handle;

	xa_for_each(&bf->commons, handle, c) {
		xa_erase(&bf->commons, handle);
		bm_common_put(c);
	}
	xa_destroy(&bf->commons);
}

/*
 * @c->mappers counts the mappings of the buffer in each mm (keyed by the
 * mm's address, mmgrab()ed while it has any), so that remove() knows whose
 * mmap() it may have to wait for, and a process that maps and exits leaves
 * nothing behind. Frozen once revoked: remove() reads it unlocked, release
 * drops what is left. Context: common_lock held.
 */
static int bm_common_mapper_add(struct bm_common *c, struct mm_struct *mm)
{
	unsigned long key = (unsigned long)mm;
	void *n = xa_load(&c->mappers, key);
	int ret;

	lockdep_assert_held(&c->bm->common_lock);
	if (c->revoked)
		return 0;
	ret = xa_err(xa_store(&c->mappers, key,
			      xa_mk_value(n ? xa_to_value(n) + 1 : 1),
			      GFP_KERNEL));
	if (!ret && !n) {
		mmgrab(mm);
		atomic_inc(&c->bm->stats.common_mappers);
	}
	return ret;
}

static void bm_common_mapper_drop(struct bm_common *c, struct mm_struct *mm)
{
	unsigned long key = (unsigned long)mm;
	void *n = xa_load(&c->mappers, key);

	lockdep_assert_held(&c->bm->common_lock);
	if (c->revoked || !n)
		return;
	if (xa_to_value(n) > 1) {
		/* Replacing an entry allocates nothing. */
		xa_store(&c->mappers, key, xa_mk_value(xa_to_value(n) - 1), 0);
		return;
	}
	xa_erase(&c->mappers, key);
	mmdrop(mm);
	atomic_dec(&c->bm->stats.common_mappers);
}

/*
 * A split or fork copies the mapping: count it. Not the mmap() remove()
 * waits for, so a failure to count it is only a missed count.
 */
static void bm_common_vm_open(struct vm_area_struct *vma)
{
	struct bm_common *c = vma->vm_private_data;

	kref_get(&c->kref);
	mutex_lock(&c->bm->common_lock);
	bm_common_mapper_add(c, vma->vm_mm);
	mutex_unlock(&c->bm->common_lock);
}

static void bm_common_vm_close(struct vm_area_struct *vma)
{
	struct bm_common *c = vma->vm_private_data;

	mutex_lock(&c->bm->common_lock);
	bm_common_mapper_drop(c, vma->vm_mm);
	mutex_unlock(&c->bm->common_lock);
	bm_common_put(c);
}

/* No ->fault: every page is mapped at mmap(); once revoked, SIGBUS. */
static const struct vm_operations_struct bm_common_vm_ops = {
	.open = bm_common_vm_open,
	.close = bm_common_vm_close,
};

/* Map it as the DMA API does. Context: common_lock held, not revoked. */
static int bm_common_map(struct bm_common *c, struct vm_area_struct *vma,
			 unsigned long first)
{
	unsigned long pgoff = vma->vm_pgoff;
	int ret;

	lockdep_assert_held(&c->bm->common_lock);
	/* Counted before it is mapped: remove() must see this mmap() coming. */
	ret = bm_common_mapper_add(c, vma->vm_mm);
	if (ret)
		return ret;
	c->mapping = vma->vm_file->f_mapping;
	/*
	 * VM_IO whether the DMA API maps pages or page frames: GUP must
	 * refuse it either way, this memory is the card's, not the user's.
	 */
	bm_vm_flags_set(vma, VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	/* The API reads vm_pgoff as the page offset in the buffer. */
	vma->vm_pgoff = first;
	ret = dma_mmap_coherent(c->dev, vma, c->cpu, c->dma, c->size);
	vma->vm_pgoff = pgoff;	/* the file offset revoking zaps by */
	if (ret)
		bm_common_mapper_drop(c, vma->vm_mm);
	return ret;
}

/**
 * bm_common_mmap - map (part of) a common buffer into the process
 * @bf: the file
 * @vma: the mapping; vm_pgoff encodes the buffer's map_id and the page
 *	offset in the buffer
 *
 * Context: mmap_lock held for write.
 * Return: 0, -EINVAL for a private mapping or an offset naming no buffer,
 * -ENXIO when the mapping runs past the buffer, -ENODEV once the card is
 * gone, -ENOMEM.
 */
int bm_common_mmap(struct bm_file *bf, struct vm_area_struct *vma)
{
	unsigned long id = vma->vm_pgoff >> BM_MMAP_ID_SHIFT;
	unsigned long first = vma->vm_pgoff & BM_MMAP_PGOFF_MASK;
	struct bm_common *c;
	int ret;

	/* A private copy would not be the memory the card sees. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	c = bm_common_get_mapped(bf, id);
	if (!c)
		return -EINVAL;
	if (first + vma_pages(vma) > c->size >> PAGE_SHIFT) {
		bm_common_put(c);
		return -ENXIO;
	}
	mutex_lock(&c->bm->common_lock);
	ret = c->cpu && !c->revoked ? bm_common_map(c, vma, first) : -ENODEV;
	mutex_unlock(&c->bm->common_lock);
	if (ret) {
		bm_common_put(c);
		return ret;
	}
	vma->vm_private_data = c;
	vma->vm_ops = &bm_common_vm_ops;
	return 0;
}
