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
 * so remove() zaps every mapping and frees it; a later touch is SIGBUS.
 * That is why pages are inserted at fault time, under the lock remove()
 * takes, rather than all at mmap() time.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "bm_compat.h"
#include "busmaster.h"

/* mmap offset = handle << 32: the handle in the high bits, the page below. */
#define BM_MMAP_HANDLE_SHIFT	(32 - PAGE_SHIFT)
#define BM_MMAP_PGOFF_MASK	((1UL << BM_MMAP_HANDLE_SHIFT) - 1)

/* Free the DMA memory. Context: bm->common_lock held. */
static void bm_common_free_dma(struct bm_common *c)
{
	lockdep_assert_held(&c->bm->common_lock);
	if (!c->cpu)
		return;
	if (c->mapping)
		unmap_mapping_range(c->mapping, (loff_t)c->handle << 32,
				    c->size, 1);
	dma_free_coherent(c->dev, c->size, c->cpu, c->dma);
	c->cpu = NULL;
}

/**
 * bm_common_free_all - free the memory of every common buffer of the card
 * @bm: the card, being removed: reset, and no transfer running
 *
 * Handles and mappings stay until closed and unmapped; the memory goes now.
 */
void bm_common_free_all(struct bm_dev *bm)
{
	struct bm_common *c;

	mutex_lock(&bm->common_lock);
	list_for_each_entry(c, &bm->common_list, node)
		bm_common_free_dma(c);
	mutex_unlock(&bm->common_lock);
}

static void bm_common_release(struct kref *kref)
{
	struct bm_common *c = container_of(kref, struct bm_common, kref);
	struct bm_dev *bm = c->bm;

	mutex_lock(&bm->common_lock);
	list_del(&c->node);
	bm_common_free_dma(c);
	mutex_unlock(&bm->common_lock);
	bm_uncharge_pinned(c->mm, c->size >> PAGE_SHIFT);
	mmdrop(c->mm);
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
	if (!a->length || a->length > BUSMASTER_COMMON_MAX)
		return -EINVAL;
	ret = bm_handle_reserve(&bf->commons, BUSMASTER_COMMON_PER_FILE, &handle);
	if (ret)
		return ret;

	ret = -ENOMEM;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		goto release;
	c->size = PAGE_ALIGN(a->length);
	/* Locked memory on the process's behalf: charged like a pin. */
	ret = bm_charge_pinned(current->mm, c->size >> PAGE_SHIFT);
	if (ret)
		goto free;
	c->mm = current->mm;
	mmgrab(c->mm);
	c->dev = get_device(&bm->pdev->dev);
	/* Beyond the page allocator's largest order this is ENOMEM, not a WARN. */
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
		mutex_lock(&bm->reg_list_lock);
	mutex_lock(&bm->common_lock);
	list_add(&c->node, &bm->common_list);
	mutex_unlock(&bm->common_lock);
	if (bm_planted(BM_DEFECT_LOCK_ORDER))
		mutex_unlock(&bm->reg_list_lock);

	c->handle = handle;
	a->handle = handle;
	a->mmap_offset = (u64)handle << 32;
	ctx->handles = &bf->commons;
	ctx->handle = handle;
	ctx->created = c;
	ctx->destroy = bm_common_destroy;
	return 0;

put:
	put_device(c->dev);
	bm_uncharge_pinned(c->mm, c->size >> PAGE_SHIFT);
	mmdrop(c->mm);
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

static void bm_common_vm_open(struct vm_area_struct *vma)
{
	struct bm_common *c = vma->vm_private_data;

	kref_get(&c->kref);
}

static void bm_common_vm_close(struct vm_area_struct *vma)
{
	bm_common_put(vma->vm_private_data);
}

/* The page at @off of the buffer, linear or vmap()ed (IOMMU) memory. */
static struct page *bm_common_page(struct bm_common *c, unsigned long off)
{
	void *va = c->cpu + off;

	return is_vmalloc_addr(va) ? vmalloc_to_page(va) : virt_to_page(va);
}

static vm_fault_t bm_common_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct bm_common *c = vma->vm_private_data;
	unsigned long off = (vmf->pgoff & BM_MMAP_PGOFF_MASK) << PAGE_SHIFT;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&c->bm->common_lock);
	if (c->cpu && off < c->size)
		ret = vmf_insert_pfn(vma, vmf->address,
				     page_to_pfn(bm_common_page(c, off)));
	mutex_unlock(&c->bm->common_lock);
	return ret;
}

static const struct vm_operations_struct bm_common_vm_ops = {
	.open = bm_common_vm_open,
	.close = bm_common_vm_close,
	.fault = bm_common_vm_fault,
};

/**
 * bm_common_mmap - map (part of) a common buffer into the process
 * @bf: the file
 * @vma: the mapping; vm_pgoff encodes handle and page offset in the buffer
 *
 * Pages are inserted as they are touched (bm_common_vm_fault()).
 * Return: 0, -EINVAL for a private mapping or an offset naming no buffer,
 * -ENXIO when the mapping runs past the buffer.
 */
int bm_common_mmap(struct bm_file *bf, struct vm_area_struct *vma)
{
	unsigned long handle = vma->vm_pgoff >> BM_MMAP_HANDLE_SHIFT;
	unsigned long first = vma->vm_pgoff & BM_MMAP_PGOFF_MASK;
	struct bm_common *c;

	/* A private copy would not be the memory the card sees. */
	if (!(vma->vm_flags & VM_MAYSHARE) || handle > U32_MAX)
		return -EINVAL;
	c = bm_common_get(bf, handle);
	if (!c)
		return -EINVAL;
	if (first + vma_pages(vma) > c->size >> PAGE_SHIFT) {
		bm_common_put(c);
		return -ENXIO;
	}
	mutex_lock(&c->bm->common_lock);
	if (!c->cpu) {
		mutex_unlock(&c->bm->common_lock);
		bm_common_put(c);
		return -ENODEV;
	}
	c->mapping = vma->vm_file->f_mapping;
	mutex_unlock(&c->bm->common_lock);
	bm_vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_private_data = c;
	vma->vm_ops = &bm_common_vm_ops;
	return 0;
}
