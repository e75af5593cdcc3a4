// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: a card that cannot be stopped is cut off, and keeps its memory.
 *
 * A timeout stops the transfer's channel, or else resets the card
 * (->cancel()). A card that ignores both -- edu cannot abort a DMA, a broken
 * card ignores its reset -- may still write any page it was given; so may
 * a card whose link reported an error (PCI error recovery). The HAL has no
 * answer to that; here such a card is quarantined:
 *
 *   - bus mastering is disabled (pci_clear_master()): a function that obeys
 *     the PCI specification issues no more memory requests;
 *   - whatever it may have been given -- mappings, pinned pages, map
 *     registers, coherent memory -- is not given back while it is
 *     quarantined: each release is kept on a list instead (bm_keep());
 *   - every new request fails with ESHUTDOWN before anything is pinned,
 *     mapped or allocated for it.
 *
 * The next time the driver resets the card -- a reset of its PCI function
 * through sysfs, error recovery, removal -- and the card's own reset then
 * reports every engine stopped, it has proved quiet: the quarantine is
 * lifted (bm_reset_card()), the kept releases run, bus mastering comes
 * back. A card removed still quarantined never gets its memory back: it
 * is leaked, on purpose, and kmemleak is told so.
 */
#include <linux/dma-mapping.h>
#include <linux/kmemleak.h>
#include <linux/slab.h>

#include "busmaster.h"

/**
 * bm_quarantine - cut off a card that may still be writing host memory
 * @bm: the card, present
 * @why: for the log, once: what makes it untrusted
 *
 * Context: process context (a card's ->cancel(), bm_reset_card(), PCI
 * error recovery); any lock but @bm->kept_lock.
 */
void bm_quarantine(struct bm_dev *bm, const char *why)
{
	bool first;

	spin_lock(&bm->kept_lock);
	first = !bm->quarantined;
	WRITE_ONCE(bm->quarantined, true);
	/*
	 * Whatever the card does now, it does not reach memory. Under the
	 * lock, so that a lift cannot turn it back on in between; not on a
	 * frozen link (error recovery), where config space is out of reach.
	 */
	if (!pci_channel_offline(bm->pdev))
		pci_clear_master(bm->pdev);
	spin_unlock(&bm->kept_lock);
	/* Whoever waits for map registers or ring room gets none now. */
	wake_up_all(&bm->adapter.pool_wait);
	wake_up_all(&bm->xfer_wait);
	if (first)
		pci_err(bm->pdev, "%s: %s: bus mastering off, its memory kept until a reset of the function\n",
			bm->name, why);
}

/**
 * bm_keep - put off a release while the card is quarantined
 * @bm: the card
 * @k: the release, embedded in what it releases
 * @release: what releases it, later, in process context
 *
 * Releases run in the order they were kept (a mapping before the pages
 * under it). Context: process context; takes @bm->kept_lock.
 * Return: true when kept (the caller must not release now); false when
 * the card is not quarantined.
 */
bool bm_keep(struct bm_dev *bm, struct bm_kept *k,
	     void (*release)(struct bm_kept *k))
{
	bool keep;

	spin_lock(&bm->kept_lock);
	keep = bm->quarantined;
	if (keep) {
		k->release = release;
		list_add_tail(&k->node, &bm->kept);
		atomic_inc(&bm->stats.kept);
	}
	spin_unlock(&bm->kept_lock);
	return keep;
}

/**
 * bm_quarantine_lift - the card proved quiet (its reset stopped every
 * engine): give back what it was kept from
 * @bm: the card, present
 *
 * Context: process context, from bm_reset_card() (probe, remove, reset,
 * error recovery: the PCI core holds the device lock).
 */
void bm_quarantine_lift(struct bm_dev *bm)
{
	struct bm_kept *k, *next;
	LIST_HEAD(kept);

	spin_lock(&bm->kept_lock);
	if (!bm->quarantined) {
		spin_unlock(&bm->kept_lock);
		return;
	}
	WRITE_ONCE(bm->quarantined, false);
	list_splice_init(&bm->kept, &kept);
	pci_set_master(bm->pdev);
	spin_unlock(&bm->kept_lock);

	list_for_each_entry_safe(k, next, &kept, node) {
		atomic_dec(&bm->stats.kept);
		k->release(k);
	}
	pci_info(bm->pdev, "%s: quiet after its reset: memory given back, bus mastering on\n",
		 bm->name);
}

/**
 * bm_quarantine_abandon - the card goes for good while quarantined: what
 * it was kept from is never released
 * @bm: the card, its last reference going
 */
void bm_quarantine_abandon(struct bm_dev *bm)
{
	struct bm_kept *k;

	/*
	 * Reachable from nowhere now, by design: not a leak to report. Each
	 * struct bm_kept here starts its allocation (a registered buffer's
	 * holds the card, which then never gets here: bm_remove() marks it).
	 */
	list_for_each_entry(k, &bm->kept, node)
		kmemleak_not_leak(k);
}

struct bm_kept_coherent {
	struct bm_kept kept;
	struct device *dev;
	size_t size;
	void *cpu;
	dma_addr_t dma;
};

static void bm_kept_coherent_release(struct bm_kept *k)
{
	struct bm_kept_coherent *kc = container_of(k, typeof(*kc), kept);

	dma_free_coherent(kc->dev, kc->size, kc->cpu, kc->dma);
	put_device(kc->dev);
	kfree(kc);
}

/**
 * bm_free_coherent - dma_free_coherent(), unless the card is quarantined
 * @bm: the card
 * @dev: the device it was allocated for
 * @size: bytes
 * @cpu: kernel address
 * @dma: bus address
 *
 * Context: process context.
 */
void bm_free_coherent(struct bm_dev *bm, struct device *dev, size_t size,
		      void *cpu, dma_addr_t dma)
{
	struct bm_kept_coherent *kc;

	if (READ_ONCE(bm->quarantined)) {
		kc = kmalloc(sizeof(*kc), GFP_KERNEL);
		if (!kc)
			return;	/* leaked: still never given back */
		*kc = (struct bm_kept_coherent){
			.dev = get_device(dev), .size = size, .cpu = cpu, .dma = dma,
		};
		if (bm_keep(bm, &kc->kept, bm_kept_coherent_release))
			return;
		put_device(dev);
		kfree(kc);
	}
	dma_free_coherent(dev, size, cpu, dma);
}

struct bm_dmam {
	struct bm_dev *bm;
	struct device *dev;
	size_t size;
	void *cpu;
	dma_addr_t dma;
};

static void bm_dmam_release(void *data)
{
	struct bm_dmam *m = data;

	bm_free_coherent(m->bm, m->dev, m->size, m->cpu, m->dma);
	bm_dev_put(m->bm);
	kfree(m);
}

/**
 * bm_dmam_alloc_coherent - dmam_alloc_coherent() for memory the card uses
 * on its own (rings, the map-register pool): freed after remove(), unless
 * the card is quarantined then
 * @bm: the card, being probed
 * @size: bytes
 * @dma: out: bus address
 *
 * Context: probe.
 * Return: kernel address, or NULL.
 */
void *bm_dmam_alloc_coherent(struct bm_dev *bm, size_t size, dma_addr_t *dma)
{
	struct device *dev = &bm->pdev->dev;
	struct bm_dmam *m = kmalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return NULL;
	m->cpu = dma_alloc_coherent(dev, size, &m->dma, GFP_KERNEL);
	if (!m->cpu) {
		kfree(m);
		return NULL;
	}
	m->bm = bm;
	m->dev = dev;
	m->size = size;
	bm_dev_get(bm);
	if (devm_add_action_or_reset(dev, bm_dmam_release, m))
		return NULL;
	*dma = m->dma;
	return m->cpu;
}
