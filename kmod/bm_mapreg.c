// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: map registers for cards that cannot reach the swiotlb pool.
 *
 * The NT HAL double-buffers DMA for a device that cannot address all of
 * memory through "map registers": bounce pages it owns, few of them, that a
 * transfer must wait for (AllocateAdapterChannel). Linux's swiotlb does the
 * same for 32-bit cards, but its pool lies out of reach of a 24- or 28-bit
 * card. Such a card gets this pool instead: coherent pages allocated inside
 * its DMA mask, handed out in contiguous runs, and a transfer that finds
 * too few free sleeps until another gives its pages back.
 */
#include <linux/bitmap.h>
#include <linux/dma-mapping.h>
#include <linux/sched/signal.h>

#include "busmaster.h"

/**
 * bm_mapreg_init - allocate the pool
 * @bm: the card, its DMA mask set
 * @pages: map registers to allocate
 *
 * Context: probe. Device-managed: freed after remove() (bm_dmam_alloc_coherent()).
 * Return: 0 or -ENOMEM.
 */
int bm_mapreg_init(struct bm_dev *bm, unsigned int pages)
{
	struct bm_adapter *ad = &bm->adapter;
	struct device *dev = &bm->pdev->dev;

	ad->pool_cpu = bm_dmam_alloc_coherent(bm, (size_t)pages << PAGE_SHIFT,
					      &ad->pool_dma);
	ad->pool_map = devm_bitmap_zalloc(dev, pages, GFP_KERNEL);
	if (!ad->pool_cpu || !ad->pool_map) {
		dev_err(dev, "cannot allocate %u map registers within %u bits\n",
			pages, ad->dma_addr_bits);
		return -ENOMEM;
	}
	spin_lock_init(&ad->pool_lock);
	return 0;
}

/* Reserve @pages contiguous map registers if free; say where in *@first. */
static bool bm_mapreg_reserve(struct bm_adapter *ad, unsigned int pages,
			      long *first)
{
	unsigned long at;

	spin_lock(&ad->pool_lock);
	at = bitmap_find_next_zero_area(ad->pool_map, ad->map_registers, 0,
					pages, 0);
	if (at < ad->map_registers) {
		bitmap_set(ad->pool_map, at, pages);
		*first = at;
	}
	spin_unlock(&ad->pool_lock);
	return at < ad->map_registers;
}

/**
 * bm_mapreg_get - take @pages contiguous map registers, waiting for them
 * @bm: the card
 * @pages: how many, at most @bm->adapter.map_registers
 *
 * Context: process context, may sleep.
 * Return: the index of the first page, -EINTR when a signal came first,
 * -ESHUTDOWN when the card was quarantined meanwhile, or what bm_revoke()
 * said.
 */
long bm_mapreg_get(struct bm_dev *bm, unsigned int pages)
{
	struct bm_adapter *ad = &bm->adapter;
	long first = -ENOSPC;

	if (!bm_mapreg_reserve(ad, pages, &first)) {
		atomic_inc(&bm->stats.map_register_waits);
		/* A quarantined or revoked card gets nothing new: stop waiting. */
		if (wait_event_interruptible(ad->pool_wait,
					     bm_mapreg_reserve(ad, pages, &first) ||
					     READ_ONCE(bm->quarantined) ||
					     READ_ONCE(bm->revoked)))
			return -EINTR;
		if (first < 0)
			return READ_ONCE(bm->revoked) ?: -ESHUTDOWN;
	}
	atomic_add(pages, &bm->stats.map_registers_used);
	return first;
}

/**
 * bm_mapreg_put - give map registers back and wake whoever waits for them
 * @bm: the card
 * @first: what bm_mapreg_get() returned
 * @pages: how many
 */
void bm_mapreg_put(struct bm_dev *bm, unsigned long first, unsigned int pages)
{
	struct bm_adapter *ad = &bm->adapter;

	atomic_sub(pages, &bm->stats.map_registers_used);
	spin_lock(&ad->pool_lock);
	bitmap_clear(ad->pool_map, first, pages);
	spin_unlock(&ad->pool_lock);
	wake_up_all(&ad->pool_wait);
}
