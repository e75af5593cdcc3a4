// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: bounce space -- map registers for cards that cannot reach the
 * swiotlb pool, and a card's share of swiotlb for those that bounce there.
 *
 * The NT HAL double-buffers DMA for a device that cannot address all of
 * memory through "map registers": bounce pages it owns, few of them, that a
 * transfer must wait for (AllocateAdapterChannel). Linux's swiotlb does the
 * same for 32-bit cards, but its pool lies out of reach of a 24- or 28-bit
 * card. Such a card gets this pool instead: coherent pages allocated inside
 * its DMA mask, handed out in contiguous runs (a bitmap: genalloc would
 * do, but it vmallocs its map, and a failed vmalloc at probe prints a
 * stack trace that the fail-nth tests rightly count as a report).
 *
 * A request waits for map registers holding none, and holds at most one
 * share (INFO map_registers, the span of the card's largest transfer) per
 * chunk; it takes a second share for its next chunk only if one is free
 * and nobody waits. The pool holds two shares, so a request in the other
 * direction waits at most for one chunk, and then both move at once. A request that finds
 * too little free waits, and waiters are served in the order they came:
 * a large request is never passed over for ever by small ones.
 *
 * A card that bounces through swiotlb draws on a pool every device of the
 * machine shares (64 MiB by default; all DMA bounces there in an encrypted
 * guest). Each of its chunks is mapped only once it holds one of the
 * card's bounce slots -- two per channel, one on the card and one being
 * prepared -- so a card bounces at most slots x INFO map_registers pages
 * at once, however many processes use it.
 */
#include <linux/bitmap.h>
#include <linux/dma-mapping.h>
#include <linux/sched/signal.h>

#include "busmaster.h"

/* A request waiting for map registers, in @ad->pool_waiters. */
struct bm_mapreg_waiter {
	struct list_head node;
	unsigned int pages;
	long first;		/* granted: the first page; -1 while waiting */
};

/**
 * bm_mapreg_init - allocate the pool
 * @bm: the card, its DMA mask set
 * @share: map registers one request may hold; the pool holds two shares
 *
 * Context: probe. Device-managed: freed after remove() (bm_dmam_alloc_coherent()).
 * Return: 0 or -ENOMEM.
 */
int bm_mapreg_init(struct bm_dev *bm, unsigned int share)
{
	struct bm_adapter *ad = &bm->adapter;
	struct device *dev = &bm->pdev->dev;
	size_t size = (size_t)2 * share << PAGE_SHIFT;

	ad->pool_cpu = bm_dmam_alloc_coherent(bm, size, &ad->pool_dma);
	ad->pool_pages = 2 * share;
	ad->pool_map = devm_bitmap_zalloc(dev, ad->pool_pages, GFP_KERNEL);
	if (!ad->pool_cpu || !ad->pool_map) {
		dev_err(dev, "cannot allocate %u map registers within %u bits\n",
			2 * share, ad->dma_addr_bits);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&ad->pool_waiters);
	spin_lock_init(&ad->pool_lock);
	return 0;
}

/*
 * @pages contiguous map registers if free: the first one's index, or -1.
 * Context: @ad->pool_lock held.
 */
static long bm_mapreg_alloc(struct bm_adapter *ad, unsigned int pages)
{
	unsigned long at = bitmap_find_next_zero_area(ad->pool_map,
						      ad->pool_pages, 0, pages, 0);

	if (at >= ad->pool_pages)
		return -1;
	bitmap_set(ad->pool_map, at, pages);
	return at;
}

/*
 * Grant waiters in order, as long as the first one's run is free; wake
 * them. Context: @ad->pool_lock held.
 */
static void bm_mapreg_grant(struct bm_adapter *ad)
{
	struct bm_mapreg_waiter *w, *next;
	bool granted = false;

	list_for_each_entry_safe(w, next, &ad->pool_waiters, node) {
		long first = bm_mapreg_alloc(ad, w->pages);

		if (first < 0)
			break;
		list_del_init(&w->node);
		WRITE_ONCE(w->first, first);
		granted = true;
	}
	if (granted)
		wake_up_all(&ad->pool_wait);
}

/**
 * bm_mapreg_get - take @pages contiguous map registers, waiting for them
 * @rq: the request they are for
 * @pages: how many, at most @bm->adapter.map_registers
 * @wait: else -EAGAIN rather than wait (a request holding map registers
 *	for a chunk on the card never waits for more: two such would wait
 *	for each other)
 *
 * Context: process context, may sleep (interruptible).
 * Return: the index of the first page, -EINTR when a signal or
 * bm_request_stop() came first, -ESHUTDOWN when the card was quarantined
 * meanwhile, -EAGAIN, or what bm_revoke() said.
 */
long bm_mapreg_get(struct bm_request *rq, unsigned int pages, bool wait)
{
	struct bm_dev *bm = rq->bm;
	struct bm_adapter *ad = &bm->adapter;
	struct bm_mapreg_waiter w = { .pages = pages, .first = -1 };
	int ret;

	spin_lock(&ad->pool_lock);
	/* Nobody before us: take them if they are free. */
	if (list_empty(&ad->pool_waiters))
		w.first = bm_mapreg_alloc(ad, pages);
	if (w.first < 0 && wait)
		list_add_tail(&w.node, &ad->pool_waiters);
	spin_unlock(&ad->pool_lock);
	if (w.first < 0 && !wait)
		return -EAGAIN;

	if (w.first < 0) {
		atomic_inc(&bm->stats.map_register_waits);
		/* A quarantined or revoked card gets nothing new: stop waiting. */
		ret = wait_event_interruptible(ad->pool_wait,
					       READ_ONCE(w.first) >= 0 ||
					       READ_ONCE(bm->quarantined) ||
					       READ_ONCE(bm->revoked) ||
					       READ_ONCE(rq->stop));
		spin_lock(&ad->pool_lock);
		if (w.first < 0) {
			list_del(&w.node);
			/* We may have held up those behind us. */
			bm_mapreg_grant(ad);
		}
		spin_unlock(&ad->pool_lock);
		if (w.first < 0)
			return ret || READ_ONCE(rq->stop) ? -EINTR :
			       READ_ONCE(bm->revoked) ?: -ESHUTDOWN;
	}
	atomic_add(pages, &bm->stats.map_registers_used);
	return w.first;
}

/**
 * bm_mapreg_put - give map registers back and grant them to who waits
 * @bm: the card
 * @first: what bm_mapreg_get() returned
 * @pages: how many
 *
 * Context: process context.
 */
void bm_mapreg_put(struct bm_dev *bm, unsigned long first, unsigned int pages)
{
	struct bm_adapter *ad = &bm->adapter;

	atomic_sub(pages, &bm->stats.map_registers_used);
	spin_lock(&ad->pool_lock);
	bitmap_clear(ad->pool_map, first, pages);
	bm_mapreg_grant(ad);
	spin_unlock(&ad->pool_lock);
}

/* Take a bounce slot if one is free; stop waiting on a cut-off card. */
static bool bm_bounce_take(struct bm_request *rq, bool *took)
{
	struct bm_dev *bm = rq->bm;
	struct bm_adapter *ad = &bm->adapter;

	*took = atomic_add_unless(&ad->bounce_used, 1, ad->bounce_slots);
	return *took || READ_ONCE(bm->quarantined) || READ_ONCE(bm->revoked) ||
	       READ_ONCE(rq->stop);
}

/**
 * bm_bounce_get - take one of the card's bounce slots before mapping a
 * chunk, where the card bounces through swiotlb (else a no-op)
 * @rq: the request it is for
 * @wait: else -EAGAIN rather than wait (as bm_mapreg_get())
 *
 * Context: process context, may sleep (interruptible).
 * Return: 0, -EINTR when a signal or bm_request_stop() came first,
 * -ESHUTDOWN when the card was quarantined meanwhile, -EAGAIN, or what
 * bm_revoke() said.
 */
int bm_bounce_get(struct bm_request *rq, bool wait)
{
	struct bm_dev *bm = rq->bm;
	struct bm_adapter *ad = &bm->adapter;
	bool took;

	if (ad->bounce != BUSMASTER_BOUNCE_SWIOTLB)
		return 0;
	/* Not past those who wait. */
	if (!wait)
		return !wq_has_sleeper(&ad->pool_wait) &&
		       atomic_add_unless(&ad->bounce_used, 1, ad->bounce_slots) ?
		       0 : -EAGAIN;
	if (wait_event_interruptible(ad->pool_wait, bm_bounce_take(rq, &took)))
		return -EINTR;
	if (took)
		return 0;
	return READ_ONCE(rq->stop) ? -EINTR : READ_ONCE(bm->revoked) ?: -ESHUTDOWN;
}

/**
 * bm_bounce_put - give back what bm_bounce_get() took, once the chunk is
 * unmapped
 * @bm: the card
 *
 * Context: process context.
 */
void bm_bounce_put(struct bm_dev *bm)
{
	struct bm_adapter *ad = &bm->adapter;

	if (ad->bounce != BUSMASTER_BOUNCE_SWIOTLB)
		return;
	atomic_dec(&ad->bounce_used);
	wake_up(&ad->pool_wait);
}
