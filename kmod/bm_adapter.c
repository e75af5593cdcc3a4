// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: the DMA adapter.
 *
 * NT drivers fill a DEVICE_DESCRIPTION (address width, scatter/gather,
 * maximum length) and call IoGetDmaAdapter(), which answers with an adapter
 * object and the NumberOfMapRegisters one transfer may use. Here the card
 * model fills struct bm_adapter with its limits, and this file turns them
 * into what the Linux DMA API needs: the DMA mask, the segment size limit,
 * and the choice of how buffers the card cannot reach get bounced.
 */
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/swiotlb.h>

#include "bm_compat.h"
#include "busmaster.h"

/*
 * The kernel's default swiotlb pool is allocated from low memory, below
 * 4 GiB on x86, so a card of 32 address bits or more reaches it and the DMA
 * API bounces for it. A narrower card (24 or 28 bits) does not: mapping for
 * it fails with a kernel warning. Such cards get their own pool of bounce
 * pages inside their mask: the NT HAL's map registers, literally. So does a
 * limited card when swiotlb is not there to bounce (swiotlb=noforce): the
 * DMA API would warn and fail on the first page beyond its reach.
 */
#define BM_SWIOTLB_MIN_BITS	32

static unsigned int registered_bounce_mb = 16;
module_param(registered_bounce_mb, uint, 0444);
MODULE_PARM_DESC(registered_bounce_mb,
		 "Registered buffers a card that bounces through swiotlb may keep mapped, all its files together (MiB, default 16; 0: no limit)");

static unsigned int zone_dma_kb = 4096;
module_param(zone_dma_kb, uint, 0444);
MODULE_PARM_DESC(zone_dma_kb,
		 "Common buffers a card below 32 bits without an IOMMU may take from the 16 MiB ZONE_DMA, all its files together (KiB, default 4096; 0: no limit)");

/* A budget of @kb KiB, or none. */
static void bm_budget_init(struct bm_budget *b, u64 kb)
{
	atomic_set(&b->used, 0);
	b->max = kb ? min_t(u64, DIV_ROUND_UP_ULL(kb, PAGE_SIZE >> 10), INT_MAX) :
		      INT_MAX;
}

/**
 * bm_budget_take - take @pages of a card's budget
 * @b: the budget
 * @pages: how many
 *
 * Context: any.
 * Return: 0, or -ENOMEM when the card's share is used up.
 */
int bm_budget_take(struct bm_budget *b, unsigned int pages)
{
	int cur = atomic_read(&b->used);

	do {
		if (pages > b->max || cur > b->max - pages)
			return -ENOMEM;
	} while (!atomic_try_cmpxchg(&b->used, &cur, cur + pages));
	return 0;
}

/**
 * bm_budget_give - give back what bm_budget_take() took
 * @b: the budget
 * @pages: how many
 *
 * Context: any.
 */
void bm_budget_give(struct bm_budget *b, unsigned int pages)
{
	atomic_sub(pages, &b->used);
}

static enum busmaster_bounce bm_choose_bounce(struct device *dev,
					      unsigned int bits)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (domain && domain->type != IOMMU_DOMAIN_IDENTITY)
		return BUSMASTER_BOUNCE_IOMMU;
	/* swiotlb=force, or an encrypted guest: every mapping bounces. */
	if (!dma_addressing_limited(dev) && !is_swiotlb_force_bounce(dev))
		return BUSMASTER_BOUNCE_NONE;
	/*
	 * A limit on one mapping's size is swiotlb's, there to bounce for
	 * us; none means swiotlb is off (is_swiotlb_active() is not exported
	 * everywhere).
	 */
	if (bits >= BM_SWIOTLB_MIN_BITS && dma_max_mapping_size(dev) != SIZE_MAX)
		return BUSMASTER_BOUNCE_SWIOTLB;
	return BUSMASTER_BOUNCE_MAP_REGISTERS;
}

/* The bounce strategy, and why the card got it, for the probe message. */
const char *bm_bounce_name(enum busmaster_bounce bounce)
{
	switch (bounce) {
	case BUSMASTER_BOUNCE_NONE:
		return "none (the card reaches all memory)";
	case BUSMASTER_BOUNCE_IOMMU:
		return "none (an IOMMU translates)";
	case BUSMASTER_BOUNCE_SWIOTLB:
		return "swiotlb (memory beyond the card's reach, or swiotlb=force)";
	case BUSMASTER_BOUNCE_MAP_REGISTERS:
		return "map registers (swiotlb beyond the card's reach, or off)";
	}
	return "?";
}

/*
 * Pages one request pins at a time, whatever the card could take: 16 MiB,
 * so one ioctl cannot hold gigabytes of a process's memory pinned.
 */
#define BM_PIN_PAGES_MAX	4096

/**
 * bm_sg_max_segment - the longest scatterlist entry to build from pages
 * @bm: the card
 *
 * The DMA layer's segment limit, whole pages (scatterlists hold pages;
 * edu's segments are 4095 bytes: bm_feed() cuts). Where the card has an
 * address boundary, one page: a longer run of contiguous pages may cross
 * it, and without an IOMMU the DMA API maps entries as they are.
 * Return: bytes, a multiple of PAGE_SIZE.
 */
unsigned int bm_sg_max_segment(struct bm_dev *bm)
{
	/* Or as drivers that never merge pages do (debugfs, benchmarks). */
	if (bm->adapter.seg_boundary || READ_ONCE(bm->page_descriptors))
		return PAGE_SIZE;
	return max_t(unsigned int, PAGE_SIZE,
		     round_down(dma_get_max_seg_size(&bm->pdev->dev), PAGE_SIZE));
}

/* Pages a transfer of the card's maximum length spans at worst. */
static u32 bm_span_pages(const struct bm_adapter *ad)
{
	u64 pages = DIV_ROUND_UP_ULL(ad->max_transfer_size, PAGE_SIZE) + 1;

	/* Without merging, each segment is at most one page of a user buffer. */
	if (ad->scatter_gather)
		pages = min_t(u64, pages, ad->max_segments);
	return min_t(u64, pages, BM_PIN_PAGES_MAX);
}

/**
 * bm_adapter_setup - set up DMA for a card whose limits ->init() filled in
 * @bm: the card
 * @max_addr_bits: narrower address width to use (0: the card's own); a
 *	wider one is refused, as KMDF's AddressWidthOverride refuses it
 * @pool_pages: map registers to allocate if the card needs its own pool
 *
 * Context: probe, process context. Everything allocated is device-managed
 * and released after remove() (PutDmaAdapter's place).
 * Return: 0 or a negative errno.
 */
int bm_adapter_setup(struct bm_dev *bm, unsigned int max_addr_bits,
		     unsigned int pool_pages)
{
	struct bm_adapter *ad = &bm->adapter;
	struct device *dev = &bm->pdev->dev;
	unsigned int bits = ad->card_addr_bits;
	u64 max_seg;
	u32 span;
	int ret;

	if (max_addr_bits && max_addr_bits < bits)
		bits = max_addr_bits;
	else if (max_addr_bits > bits)
		dev_warn(dev, "max_addr_bits=%u is wider than the card's %u bits: ignored\n",
			 max_addr_bits, bits);

	/*
	 * Rings and common buffers stay below 4 GiB even for wider cards: a
	 * card that overstates its width then still fetches its descriptors
	 * (and only its data lands "somewhere else", which the tests show).
	 */
	ret = dma_set_mask(dev, DMA_BIT_MASK(bits));
	if (!ret)
		ret = dma_set_coherent_mask(dev, DMA_BIT_MASK(min(bits, 32U)));
	if (ret) {
		dev_err(dev, "no usable DMA configuration for a %u-bit card\n",
			bits);
		return ret;
	}
	ad->dma_addr_bits = bits;

	/* swiotlb keeps bounce addresses as aligned as the card needs. */
	if (ad->alignment > 1)
		dma_set_min_align_mask(dev, ad->alignment - 1);

	/*
	 * Neither can fail for a PCI device (6.11 made them return void). The
	 * DMA layer gets whole pages (scatterlists hold pages; edu's segments
	 * are 4095 bytes); bm_feed() cuts to the card's own limit. No segment
	 * is longer than one bounce mapping may be (256 KiB where swiotlb
	 * bounces, swiotlb=force included): a longer run of contiguous pages
	 * would fail to map.
	 */
	max_seg = min_t(u64, ad->max_segment_size, dma_max_mapping_size(dev));
	/* The DMA layer keeps IOVAs and bounce slots within the boundary too. */
	if (ad->seg_boundary) {
		dma_set_seg_boundary(dev, ad->seg_boundary - 1);
		max_seg = min(max_seg, ad->seg_boundary);
	}
	dma_set_max_seg_size(dev, max_t(u64, PAGE_SIZE,
					round_down(min_t(u64, max_seg, UINT_MAX),
						   PAGE_SIZE)));

	ad->bounce = bm_choose_bounce(dev, bits);
	span = bm_span_pages(ad);

	switch (ad->bounce) {
	case BUSMASTER_BOUNCE_SWIOTLB:
		span = min_t(u32, span, dma_max_mapping_size(dev) >> PAGE_SHIFT);
		ad->bounce_slots = 2 * ad->dma_channels;
		break;
	case BUSMASTER_BOUNCE_MAP_REGISTERS:
		span = min(span, pool_pages);
		ret = bm_mapreg_init(bm, span);
		if (ret)
			return ret;
		break;
	default:
		break;
	}
	ad->map_registers = span;
	bm_budget_init(&ad->registered_bounce,
		       ad->bounce == BUSMASTER_BOUNCE_SWIOTLB ?
		       (u64)registered_bounce_mb << 10 : 0);
	bm_budget_init(&ad->zone_dma, ad->bounce != BUSMASTER_BOUNCE_IOMMU &&
		       bits < 32 ? zone_dma_kb : 0);
	bm_budget_init(&ad->copy_bufs, BM_COPY_BUDGET_KB);
	/*
	 * dma_alloc_coherent() gives one block of the largest order at most,
	 * unless an IOMMU joins pages under one IOVA range: then a quarter of
	 * the coherent mask's space, so that such a range is found (4 MiB
	 * for a 24-bit card, all 64 MiB from 28 bits on).
	 */
	if (ad->bounce == BUSMASTER_BOUNCE_IOMMU)
		ad->common_max = min_t(u64, BUSMASTER_COMMON_MAX,
				       BIT_ULL(min(bits, 32U)) / 4);
	else
		ad->common_max = min_t(u64, BUSMASTER_COMMON_MAX,
				       PAGE_SIZE << BM_MAX_PAGE_ORDER);
	return 0;
}
