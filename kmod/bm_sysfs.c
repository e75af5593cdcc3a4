// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: /sys/class/misc/busmasterN/ -- what a card is (its DMA adapter
 * as the driver set it up) and what it has done (statistics/), read-only,
 * for people and tools that cannot or need not open the device.
 * Documented in docs/ABI/sysfs-class-misc-busmaster.
 *
 * The attributes hang off the misc device, which remove() unregisters
 * before the card goes: kernfs waits for a show() in progress. Those that
 * read the card's registers take its lifetime lock all the same, for the
 * resets it survives (remove() takes it only after the unregister).
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "busmaster.h"

static struct bm_dev *bm_from_dev(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct bm_dev, misc);
}

/* The short names tools read, as libbusmaster names these values. */
static const char *bm_bounce_word(enum busmaster_bounce bounce)
{
	static const char *const words[] = {
		[BUSMASTER_BOUNCE_NONE] = "none",
		[BUSMASTER_BOUNCE_IOMMU] = "iommu",
		[BUSMASTER_BOUNCE_SWIOTLB] = "swiotlb",
		[BUSMASTER_BOUNCE_MAP_REGISTERS] = "map_registers",
	};

	return bounce < ARRAY_SIZE(words) ? words[bounce] : "?";
}

static const char *bm_irq_word(unsigned int mode)
{
	static const char *const words[] = {
		[BUSMASTER_IRQ_NONE] = "none",
		[BUSMASTER_IRQ_INTX] = "intx",
		[BUSMASTER_IRQ_MSI] = "msi",
		[BUSMASTER_IRQ_MSIX] = "msix",
	};

	return mode < ARRAY_SIZE(words) ? words[mode] : "?";
}

#define BM_ADAPTER_ATTR(_name, _fmt, _expr)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	const struct bm_dev *bm = bm_from_dev(dev);			\
									\
	return sysfs_emit(buf, _fmt "\n", _expr);			\
}									\
static DEVICE_ATTR_RO(_name)

BM_ADAPTER_ATTR(model, "%s", bm->ops->name);
BM_ADAPTER_ATTR(card_addr_bits, "%u", bm->adapter.card_addr_bits);
BM_ADAPTER_ATTR(dma_addr_bits, "%u", bm->adapter.dma_addr_bits);
BM_ADAPTER_ATTR(dma_mask, "0x%llx", (u64)DMA_BIT_MASK(bm->adapter.dma_addr_bits));
BM_ADAPTER_ATTR(scatter_gather, "%d", bm->adapter.scatter_gather);
BM_ADAPTER_ATTR(alignment, "%u", bm->adapter.alignment);
BM_ADAPTER_ATTR(max_segments, "%u", bm->adapter.max_segments);
BM_ADAPTER_ATTR(max_segment_size, "%llu", bm->adapter.max_segment_size);
BM_ADAPTER_ATTR(max_transfer_size, "%llu", bm->adapter.max_transfer_size);
BM_ADAPTER_ATTR(seg_boundary, "%llu", bm->adapter.seg_boundary);
BM_ADAPTER_ATTR(card_mem_size, "%llu", bm->adapter.card_mem_size);
BM_ADAPTER_ATTR(dma_channels, "%u", bm->adapter.dma_channels);
BM_ADAPTER_ATTR(bounce, "%s", bm_bounce_word(bm->adapter.bounce));
BM_ADAPTER_ATTR(map_registers, "%u", bm->adapter.map_registers);
BM_ADAPTER_ATTR(common_max, "%llu", bm->adapter.common_max);
BM_ADAPTER_ATTR(irq_mode, "%s", bm_irq_word(bm->irq_mode));
BM_ADAPTER_ATTR(irq_vectors, "%u", bm->irq_vectors);

/* Card transfers one request keeps on the card at once. */
static ssize_t request_depth_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", BM_REQUEST_DEPTH);
}
static DEVICE_ATTR_RO(request_depth);

static struct attribute *bm_adapter_attrs[] = {
	&dev_attr_model.attr,
	&dev_attr_card_addr_bits.attr,
	&dev_attr_dma_addr_bits.attr,
	&dev_attr_dma_mask.attr,
	&dev_attr_scatter_gather.attr,
	&dev_attr_alignment.attr,
	&dev_attr_max_segments.attr,
	&dev_attr_max_segment_size.attr,
	&dev_attr_max_transfer_size.attr,
	&dev_attr_seg_boundary.attr,
	&dev_attr_card_mem_size.attr,
	&dev_attr_dma_channels.attr,
	&dev_attr_bounce.attr,
	&dev_attr_map_registers.attr,
	&dev_attr_common_max.attr,
	&dev_attr_irq_mode.attr,
	&dev_attr_irq_vectors.attr,
	&dev_attr_request_depth.attr,
	NULL,
};

static const struct attribute_group bm_adapter_group = {
	.attrs = bm_adapter_attrs,
};

/* One counter of struct bm_stats, an atomic_t or (@wide) an atomic64_t. */
struct bm_stat_attr {
	struct device_attribute dev_attr;
	size_t offset;
	bool wide;
};

static ssize_t bm_stat_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	const struct bm_stat_attr *sa = container_of(attr, struct bm_stat_attr,
						     dev_attr);
	void *counter = (char *)&bm_from_dev(dev)->stats + sa->offset;

	return sysfs_emit(buf, "%lld\n", sa->wide ?
			  (long long)atomic64_read(counter) :
			  (long long)atomic_read(counter));
}

#define BM_STAT(_name, _wide) {						\
	.dev_attr = { .attr = { .name = #_name, .mode = 0444 },		\
		      .show = bm_stat_show },				\
	.offset = offsetof(struct bm_stats, _name),			\
	.wide = _wide,							\
}

static struct bm_stat_attr bm_stat_attrs[] = {
	BM_STAT(bytes_to_card, true),
	BM_STAT(bytes_from_card, true),
	BM_STAT(bytes_bounced, true),
	BM_STAT(transfers_to_card, true),
	BM_STAT(transfers_from_card, true),
	BM_STAT(requests, true),
	BM_STAT(requests_failed, true),
	BM_STAT(requests_copied, true),
	BM_STAT(bytes_copied, true),
	BM_STAT(requests_in_flight, false),
	BM_STAT(timeouts, false),
	BM_STAT(card_resets, false),
	BM_STAT(pinned_pages, false),
};

/*
 * The card's own counters, beside the driver's in statistics/: what the
 * card was busy for and moved, whoever asked it to (the benchmarks' limit).
 * Only on cards that count (->counters()). Unlike the driver's, they are
 * read from the card: not while a reset of its function holds lifetime,
 * nor on a link that error recovery froze.
 */
static int bm_card_counters_read(struct bm_dev *bm, struct bm_card_counters *c)
{
	int ret = down_read_killable(&bm->lifetime);

	if (ret)
		return ret;
	if (!bm->pdev || pci_channel_offline(bm->pdev))
		ret = -ENODEV;
	else
		bm->ops->counters(bm, c);
	up_read(&bm->lifetime);
	return ret;
}

#define BM_CARD_COUNTER(_name)						\
static ssize_t card_##_name##_show(struct device *dev,			\
				   struct device_attribute *attr,	\
				   char *buf)				\
{									\
	struct bm_card_counters c;					\
	int ret = bm_card_counters_read(bm_from_dev(dev), &c);		\
									\
	return ret ?: sysfs_emit(buf, "%llu\n", c._name);		\
}									\
static DEVICE_ATTR_RO(card_##_name)

BM_CARD_COUNTER(busy_ns);
BM_CARD_COUNTER(bytes);

static struct attribute *bm_stats_attrs[] = {
	&bm_stat_attrs[0].dev_attr.attr,
	&bm_stat_attrs[1].dev_attr.attr,
	&bm_stat_attrs[2].dev_attr.attr,
	&bm_stat_attrs[3].dev_attr.attr,
	&bm_stat_attrs[4].dev_attr.attr,
	&bm_stat_attrs[5].dev_attr.attr,
	&bm_stat_attrs[6].dev_attr.attr,
	&bm_stat_attrs[7].dev_attr.attr,
	&bm_stat_attrs[8].dev_attr.attr,
	&bm_stat_attrs[9].dev_attr.attr,
	&bm_stat_attrs[10].dev_attr.attr,
	&bm_stat_attrs[11].dev_attr.attr,
	&bm_stat_attrs[12].dev_attr.attr,
	&dev_attr_card_busy_ns.attr,
	&dev_attr_card_bytes.attr,
	NULL,
};

static_assert(ARRAY_SIZE(bm_stats_attrs) == ARRAY_SIZE(bm_stat_attrs) + 3);

static umode_t bm_stats_visible(struct kobject *kobj, struct attribute *attr,
				int n)
{
	const struct bm_dev *bm = bm_from_dev(kobj_to_dev(kobj));

	if ((attr == &dev_attr_card_busy_ns.attr ||
	     attr == &dev_attr_card_bytes.attr) && !bm->ops->counters)
		return 0;
	return attr->mode;
}

static const struct attribute_group bm_stats_group = {
	.name = "statistics",
	.attrs = bm_stats_attrs,
	.is_visible = bm_stats_visible,
};

/* The misc device's attribute groups (bm_chardev_register()). */
const struct attribute_group *bm_sysfs_groups[] = {
	&bm_adapter_group,
	&bm_stats_group,
	NULL,
};
