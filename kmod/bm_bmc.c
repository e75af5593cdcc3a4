// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: our emulated busmaster card (PCI 1234:bb01).
 *
 * Unlike edu, the card describes itself: capability registers give the
 * address width, scatter/gather, segment limits, alignment, channels and
 * on-card memory (the DEVICE_DESCRIPTION, read from the hardware). Each
 * channel walks a descriptor ring in host memory, allocated here as a
 * common buffer; on-card memory is visible in BAR2.
 */
#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/slab.h>

#include <linux/busmaster_card.h>
#include "busmaster.h"

#define BMC_RING_MIN		256
#define BMC_SELFTEST_LEN	64

/**
 * struct bmc_chan - one DMA channel
 * @regs: the channel's register block
 * @ring: its descriptor ring, a common buffer
 * @ring_dma: bus address of @ring
 * @tail: next ring index the driver fills
 * @used: descriptors posted and not yet seen written back
 * @queue: the card transfers posted on it (struct bm_xfer), in ring order
 * @recover: the interrupt thread is to start it again (bmc_chan_recover())
 */
struct bmc_chan {
	void __iomem *regs;
	struct bmc_desc *ring;
	dma_addr_t ring_dma;
	u32 tail;
	u32 used;
	struct list_head queue;
	bool recover;
};

/**
 * struct bmc - the card's private state
 * @mem: BAR2, the on-card memory
 * @nchan: channels in use
 * @ring_entries: descriptors per ring, a power of two above max_segments
 * @desc_flags: flags every descriptor gets (HALT_ON_ERROR on a 1.2 card)
 * @lock: protects the channels' rings and queues against the interrupt
 * @chan: the channels
 * @test_buf: a coherent buffer for the probe-time self-test
 * @test_dma: its bus address
 */
struct bmc {
	void __iomem *mem;
	u32 nchan;
	u32 ring_entries;
	u32 desc_flags;
	spinlock_t lock;	/* channels' rings and queues vs the IRQ */
	struct bmc_chan chan[BMC_MAX_CHANNELS];
	void *test_buf;
	dma_addr_t test_dma;
};

static u32 bmc_read(struct bm_dev *bm, u32 reg)
{
	return readl(bm->regs + reg);
}

static void bmc_write(struct bm_dev *bm, u32 reg, u32 val)
{
	writel(val, bm->regs + reg);
}

/* Refuse capability values no correct card reports (datasheet 3.1, 11). */
static int bmc_check_caps(struct bm_dev *bm, u32 addr_bits, u32 nchan,
			  u32 align, u32 max_segs, u32 max_seg, u64 mem,
			  u32 boundary_bits)
{
	const char *bad = NULL;

	if (addr_bits < 16 || addr_bits > 64)
		bad = "ADDR_BITS";
	else if (!nchan || nchan > BMC_MAX_CHANNELS)
		bad = "CHANNELS";
	else if (!is_power_of_2(align) || align > PAGE_SIZE)
		bad = "ALIGN";
	else if (!max_segs || max_segs > BMC_MAX_SEGS_LIMIT)
		bad = "MAX_SEGS";
	else if (max_seg < align || !IS_ALIGNED(max_seg, align))
		bad = "MAX_SEG_SIZE";
	else if (!mem)
		bad = "MEM_SIZE";
	else if (bmc_read(bm, BMC_DESC_SIZE) != sizeof(struct bmc_desc))
		bad = "DESC_SIZE";
	else if (bmc_read(bm, BMC_RING_MAX) != BMC_RING_MAX_VALUE)
		bad = "RING_MAX";
	else if (boundary_bits && (boundary_bits < PAGE_SHIFT || boundary_bits > 63))
		bad = "SEG_BOUNDARY";
	if (bad) {
		pci_err(bm->pdev, "card reports an impossible %s\n", bad);
		return -EIO;
	}
	return 0;
}

static int bmc_init(struct bm_dev *bm)
{
	struct bm_adapter *ad = &bm->adapter;
	struct pci_dev *pdev = bm->pdev;
	u32 id, version, caps, addr_bits, nchan, align, max_segs, max_seg, bb, c;
	struct bmc *bmc;
	u64 mem;
	int ret;

	id = bmc_read(bm, BMC_ID);
	version = bmc_read(bm, BMC_VERSION);
	if (id != BMC_ID_MAGIC) {
		pci_err(pdev, "ID register reads %#x, not a busmaster card\n", id);
		return -ENODEV;
	}
	if (FIELD_GET(BMC_VERSION_MAJOR, version) != 1) {
		pci_err(pdev, "datasheet version %#x is not supported\n", version);
		return -ENODEV;
	}
	bmc_write(bm, BMC_RESET, BMC_RESET_GO);

	addr_bits = bmc_read(bm, BMC_ADDR_BITS);
	caps = bmc_read(bm, BMC_CAPS);
	nchan = bmc_read(bm, BMC_CHANNELS);
	align = bmc_read(bm, BMC_ALIGN);
	max_segs = bmc_read(bm, BMC_MAX_SEGS);
	max_seg = bmc_read(bm, BMC_MAX_SEG_SIZE);
	mem = lo_hi_readq(bm->regs + BMC_MEM_SIZE_LO);
	bb = bmc_read(bm, BMC_SEG_BOUNDARY);
	ret = bmc_check_caps(bm, addr_bits, nchan, align, max_segs, max_seg, mem,
			     bb);
	if (ret)
		return ret;

	bmc = devm_kzalloc(&pdev->dev, sizeof(*bmc), GFP_KERNEL);
	if (!bmc)
		return -ENOMEM;
	bmc->nchan = nchan;
	/* 1.2: a failed transfer halts its channel before the next one runs. */
	if (FIELD_GET(BMC_VERSION_MINOR, version) >= 2)
		bmc->desc_flags = BMC_DESC_HALT_ON_ERROR;
	/* A whole transfer fits in the ring, with the empty slot to spare. */
	bmc->ring_entries = max_t(u32, BMC_RING_MIN,
				  roundup_pow_of_two(max_segs + 1));
	if (bmc->ring_entries > bmc_read(bm, BMC_RING_MAX)) {
		pci_err(pdev, "MAX_SEGS %u does not fit in a ring of RING_MAX\n",
			max_segs);
		return -EIO;
	}
	spin_lock_init(&bmc->lock);
	for (c = 0; c < BMC_MAX_CHANNELS; c++)
		INIT_LIST_HEAD(&bmc->chan[c].queue);
	/*
	 * Mapped but not claimed: a claimed BAR cannot be mmapped through
	 * sysfs (IO_STRICT_DEVMEM), and tools and tests read card memory
	 * there, independently of the DMA path they check.
	 */
	bmc->mem = pcim_iomap(pdev, BMC_BAR_MEM, 0);
	if (!bmc->mem) {
		pci_err(pdev, "cannot map the card memory (BAR2)\n");
		return -ENOMEM;
	}
	bm->priv = bmc;

	ad->card_addr_bits = addr_bits;
	ad->scatter_gather = caps & BMC_CAPS_SG;
	ad->alignment = align;
	ad->max_segments = ad->scatter_gather ? max_segs : 1;
	ad->max_segment_size = max_seg;
	ad->max_transfer_size = (u64)ad->max_segments * max_seg;
	ad->card_mem_size = mem;
	ad->seg_boundary = bb ? BIT_ULL(bb) : 0;
	ad->card_mem_bar = true;
	ad->dma_channels = nchan;
	/* A vector per channel's DONE cause, and one for ERROR. */
	bm->msix_vectors = nchan + 1;
	return 0;
}

/* Point a disabled channel at its (empty) ring and enable it. */
static int bmc_program_chan(struct bm_dev *bm, struct bmc_chan *ch)
{
	struct bmc *bmc = bm->priv;

	writel(0, ch->regs + BMC_CH_CTRL);
	ch->tail = 0;
	ch->used = 0;
	writel(lower_32_bits(ch->ring_dma), ch->regs + BMC_CH_RING_LO);
	writel(upper_32_bits(ch->ring_dma), ch->regs + BMC_CH_RING_HI);
	writel(bmc->ring_entries, ch->regs + BMC_CH_RING_SIZE);
	writel(0, ch->regs + BMC_CH_HEAD);
	writel(0, ch->regs + BMC_CH_TAIL);
	writel(BMC_CH_CTRL_ENABLE, ch->regs + BMC_CH_CTRL);
	if (readl(ch->regs + BMC_CH_STATUS) & BMC_CH_STATUS_HALTED) {
		dev_err_ratelimited(&bm->pdev->dev, "channel %td refused its ring\n",
				    ch - bmc->chan);
		return -EIO;
	}
	return 0;
}

/* Give each channel a ring (a common buffer within the DMA mask) and enable it. */
static int bmc_start(struct bm_dev *bm)
{
	struct bmc *bmc = bm->priv;
	size_t ring_bytes = bmc->ring_entries * sizeof(struct bmc_desc);
	u32 c;
	int ret;

	bmc->test_buf = bm_dmam_alloc_coherent(bm, PAGE_SIZE, &bmc->test_dma);
	if (!bmc->test_buf)
		return -ENOMEM;

	for (c = 0; c < bmc->nchan; c++) {
		struct bmc_chan *ch = &bmc->chan[c];

		ch->regs = bm->regs + BMC_CHAN(c);
		ch->ring = bm_dmam_alloc_coherent(bm, ring_bytes, &ch->ring_dma);
		if (!ch->ring)
			return -ENOMEM;
		ret = bmc_program_chan(bm, ch);
		if (ret)
			return ret;
	}
	return 0;
}

static struct bmc_desc *bmc_desc(struct bmc *bmc, struct bmc_chan *ch, u32 i)
{
	return &ch->ring[i & (bmc->ring_entries - 1)];
}

/*
 * Count what the card wrote back for @x since the last look: the bytes of
 * the segments that completed in order, and the first error (the rest of
 * a failed transfer completes ERR_ABORTED, moving nothing). True once
 * every segment is written back. Context: bmc->lock held.
 */
static bool bmc_harvest(struct bmc *bmc, struct bmc_chan *ch,
			struct bm_xfer *x)
{
	while (x->segs_done < x->nsegs) {
		struct bmc_desc *d = bmc_desc(bmc, ch, x->first);
		u32 status = le32_to_cpu(READ_ONCE(d->status));

		if (status == BMC_ST_PENDING)
			return false;
		dma_rmb();	/* the status word before what it vouches for */
		if (!x->error) {
			x->bytes_done += le32_to_cpu(d->bytes_done);
			if (status != BMC_ST_OK) {
				x->card_status = status;
				x->error = -EIO;
			}
		}
		x->segs_done++;
		x->first++;
		ch->used--;
	}
	/* A short transfer without an error is a card bug. */
	if (!x->error && x->bytes_done != x->length)
		x->error = -EIO;
	return true;
}

/* @x is off the card: its results stand. Context: bmc->lock held. */
static void bmc_finish(struct bm_dev *bm, struct bm_xfer *x)
{
	list_del_init(&x->node);
	bm_xfer_done(bm, x);
}

/*
 * Write the descriptors of @x's segments not yet done at the ring's tail
 * and queue it; the caller rings the doorbell. Context: bmc->lock held,
 * room for them checked.
 */
static void bmc_post(struct bmc *bmc, struct bmc_chan *ch, struct bm_xfer *x)
{
	u32 flags = bmc->desc_flags | (x->from_card ? BMC_DESC_FROM_CARD : 0);
	u64 card_off = x->card_offset;
	unsigned int i;

	x->first = ch->tail;
	for (i = 0; i < x->nsegs; card_off += x->segs[i++].len) {
		struct bmc_desc *d;

		if (i < x->segs_done)
			continue;
		d = bmc_desc(bmc, ch, ch->tail++);
		d->host_addr = cpu_to_le64(x->segs[i].addr);
		d->card_off = cpu_to_le64(card_off);
		d->len = cpu_to_le32(x->segs[i].len);
		d->flags = cpu_to_le32(flags | (i == x->nsegs - 1 ? BMC_DESC_IRQ :
							       BMC_DESC_CHAIN));
		d->status = 0;
		d->bytes_done = 0;
	}
	ch->tail &= bmc->ring_entries - 1;
	ch->used += x->nsegs - x->segs_done;
	list_add_tail(&x->node, &ch->queue);
}

static void bmc_doorbell(struct bmc_chan *ch)
{
	dma_wmb();	/* the descriptors before the doorbell */
	writel(ch->tail, ch->regs + BMC_CH_TAIL);
}

/*
 * @x failed: its request's later transfers queued on @ch must not run.
 * True if there are any. Context: bmc->lock held.
 */
static bool bmc_fail_followers(struct bmc_chan *ch, struct bm_xfer *x)
{
	struct bm_xfer *y = x;
	bool any = false;

	list_for_each_entry_continue(y, &ch->queue, node) {
		if (y->rq == x->rq && !y->error) {
			y->error = -ECANCELED;
			any = true;
		}
	}
	return any;
}

/*
 * @ch is stopped (disabled or halted): finish what is over and @victim
 * (with @error, and what it completed), give the channel its ring back
 * empty, and post the rest again, each from its first segment not done:
 * they lose nothing but time. Context: bmc->lock held.
 */
static void bmc_chan_restart(struct bm_dev *bm, struct bmc_chan *ch,
			     struct bm_xfer *victim, int error)
{
	struct bmc *bmc = bm->priv;
	struct bm_xfer *x, *next;
	LIST_HEAD(again);

	list_for_each_entry_safe(x, next, &ch->queue, node) {
		bool over = bmc_harvest(bmc, ch, x);

		if (x == victim && !over) {
			x->error = error;
			over = true;
		}
		/*
		 * A failed segment ends a transfer, and a failed transfer its
		 * request: the rest must not run.
		 */
		if (over || x->error) {
			if (x->error)
				bmc_fail_followers(ch, x);
			bmc_finish(bm, x);
		}
	}
	list_splice_init(&ch->queue, &again);
	if (bmc_program_chan(bm, ch)) {
		/* The channel refuses its ring: nothing on it can run. */
		list_for_each_entry_safe(x, next, &again, node) {
			x->error = -EIO;
			bmc_finish(bm, x);
		}
		return;
	}
	list_for_each_entry_safe(x, next, &again, node) {
		list_del_init(&x->node);
		bmc_post(bmc, ch, x);
	}
	if (!list_empty(&ch->queue))
		bmc_doorbell(ch);
}

/*
 * Finish every transfer the card wrote back, in ring order. True when the
 * channel needs the interrupt thread (bmc_chan_recover()): it halted, or
 * was stopped here because a failed transfer's request has more queued --
 * at once, as few of them as possible run on a card that goes on after a
 * failed transfer (before datasheet 1.2, 7.1). Context: hard interrupt
 * (or the thread), bmc->lock held.
 */
static bool bmc_chan_reap(struct bm_dev *bm, struct bmc_chan *ch)
{
	struct bmc *bmc = bm->priv;
	struct bm_xfer *x, *next;
	bool stop = false;
	u32 st;

	list_for_each_entry_safe(x, next, &ch->queue, node) {
		if (!bmc_harvest(bmc, ch, x))
			break;
		if (x->error)
			stop |= bmc_fail_followers(ch, x);
		bmc_finish(bm, x);
	}
	if (list_empty(&ch->queue))
		return ch->recover;
	st = readl(ch->regs + BMC_CH_STATUS);
	if (stop && !(st & BMC_CH_STATUS_HALTED)) {
		writel(0, ch->regs + BMC_CH_CTRL);
		st = readl(ch->regs + BMC_CH_STATUS);	/* flushes the write */
	}
	if (st != U32_MAX && !(st & BMC_CH_STATUS_ENABLED))
		ch->recover = true;
	return ch->recover;
}

/*
 * Start a stopped @ch again without what must not run. A halted channel
 * fails the transfer it halted in, unless a 1.2 card halted after a
 * failed transfer (HALT_ON_ERROR), finished already; one stopped by
 * bmc_chan_reap() fails nothing more. Context: the interrupt thread,
 * bmc->lock held.
 */
static void bmc_chan_recover(struct bm_dev *bm, struct bmc_chan *ch)
{
	u32 st;

	bmc_chan_reap(bm, ch);
	ch->recover = false;
	if (list_empty(&ch->queue))
		return;
	st = readl(ch->regs + BMC_CH_STATUS);
	/* Gone (all ones), or running again (a cancel restarted it). */
	if (st == U32_MAX || st & BMC_CH_STATUS_ENABLED)
		return;
	if ((st & BMC_CH_STATUS_HALTED) &&
	    FIELD_GET(BMC_CH_STATUS_HALT_CODE, st) != BMC_HALT_ERROR)
		bmc_chan_restart(bm, ch, list_first_entry(&ch->queue,
							  struct bm_xfer, node),
				 -EIO);
	else
		bmc_chan_restart(bm, ch, NULL, 0);
}

/*
 * With MSI-X each vector has its own causes (datasheet 6.1): vector c a
 * channel's DONE(c), the last one ERROR; a vector acknowledges and serves
 * only those, and leaves the others to their own messages. MSI and INTx
 * have one vector for all.
 */
static u32 bmc_irq(struct bm_dev *bm, unsigned int vector)
{
	u32 status = bmc_read(bm, BMC_IRQ_STATUS);
	struct bmc *bmc = bm->priv;
	bool recover = false;
	u32 c;

	/*
	 * 0: not ours, or the card's spurious-interrupt test. All ones: the
	 * card has gone (a read that no device answered); nothing to
	 * acknowledge, and no cause is real.
	 */
	if (!status || status == U32_MAX)
		return 0;
	if (bm->irq_mode == BUSMASTER_IRQ_MSIX)
		status &= vector < bmc->nchan ? BIT(vector) : BMC_IRQ_ERROR;
	if (!status)
		return 0;
	/* Acknowledge first: a completion racing us raises a new interrupt. */
	bmc_write(bm, BMC_IRQ_STATUS, status);
	spin_lock(&bmc->lock);
	for (c = 0; c < bmc->nchan; c++)
		if (status & (BIT(c) | BMC_IRQ_ERROR))
			recover |= bmc_chan_reap(bm, &bmc->chan[c]);
	spin_unlock(&bmc->lock);
	return (status & ~BMC_IRQ_ERROR ? BM_IRQ_CAUSE_DMA : 0) |
	       (status & BMC_IRQ_ERROR ? BM_IRQ_CAUSE_ERROR : 0) |
	       (recover ? BM_IRQ_CAUSE_THREAD : 0);
}

/* What bmc_irq() left: channels to start again. */
static void bmc_irq_thread(struct bm_dev *bm)
{
	struct bmc *bmc = bm->priv;
	unsigned long irqflags;
	u32 c;

	spin_lock_irqsave(&bmc->lock, irqflags);
	for (c = 0; c < bmc->nchan; c++)
		if (bmc->chan[c].recover)
			bmc_chan_recover(bm, &bmc->chan[c]);
	spin_unlock_irqrestore(&bmc->lock, irqflags);
}

/*
 * The channel with the least work queued that has room for @need more
 * descriptors, or NULL. Ties go to channel 0 up for memory -> card and to
 * the last channel down for card -> memory, so that two streams in
 * opposite directions run duplex. Context: bmc->lock held.
 */
static struct bmc_chan *bmc_pick_chan(struct bmc *bmc, bool from_card,
				      u32 need)
{
	struct bmc_chan *best = NULL;
	u32 i;

	for (i = 0; i < bmc->nchan; i++) {
		struct bmc_chan *ch = &bmc->chan[from_card ? bmc->nchan - 1 - i : i];

		if (ch->used + need < bmc->ring_entries &&
		    (!best || ch->used < best->used))
			best = ch;
	}
	return best;
}

static int bmc_submit(struct bm_dev *bm, struct bm_xfer *x)
{
	struct bmc *bmc = bm->priv;
	struct bmc_chan *ch;
	unsigned long irqflags;
	int ret = 0;

	spin_lock_irqsave(&bmc->lock, irqflags);
	if (x->follow && bm_xfer_doomed(x)) {
		ret = -ECANCELED;
		goto out;
	}
	if (x->follow)
		ch = bmc->chan[x->chan].used + x->nsegs < bmc->ring_entries ?
		     &bmc->chan[x->chan] : NULL;
	else
		ch = bmc_pick_chan(bmc, x->from_card, x->nsegs);
	if (!ch) {
		ret = -EBUSY;
		goto out;
	}
	/* A halted channel that nothing waits on starts over, empty. */
	if (list_empty(&ch->queue) &&
	    readl(ch->regs + BMC_CH_STATUS) & BMC_CH_STATUS_HALTED) {
		ret = bmc_program_chan(bm, ch);
		if (ret)
			goto out;
	}
	x->chan = ch - bmc->chan;
	bmc_post(bmc, ch, x);
	bm_xfer_posted(x);
	bmc_doorbell(ch);
out:
	spin_unlock_irqrestore(&bmc->lock, irqflags);
	return ret;
}

/*
 * Every channel reads disabled: the card touches no host memory. So does a
 * card that reads all ones: it has left the bus (surprise removal).
 */
static bool bmc_stopped(struct bm_dev *bm)
{
	struct bmc *bmc = bm->priv;
	u32 c, st;

	for (c = 0; c < bmc->nchan; c++) {
		st = readl(bm->regs + BMC_CHAN(c) + BMC_CH_STATUS);
		if (st != U32_MAX && st & BMC_CH_STATUS_ENABLED)
			return false;
	}
	return true;
}

/*
 * The card was reset and has stopped: every transfer on it is over, with
 * what it completed; those not finished fail with @error, and @victim
 * with @victim_error. Context: bmc->lock held.
 */
static void bmc_fail_all(struct bm_dev *bm, struct bm_xfer *victim,
			 int victim_error, int error)
{
	struct bmc *bmc = bm->priv;
	struct bm_xfer *x, *next;
	u32 c;

	for (c = 0; c < bmc->nchan; c++) {
		struct bmc_chan *ch = &bmc->chan[c];

		list_for_each_entry_safe(x, next, &ch->queue, node) {
			if (!bmc_harvest(bmc, ch, x) && !x->error)
				x->error = x == victim ? victim_error : error;
			bmc_finish(bm, x);
		}
	}
}

/* Every channel's ring, empty, and the interrupts. Context: bmc->lock held. */
static void bmc_program_all(struct bm_dev *bm)
{
	struct bmc *bmc = bm->priv;
	u32 c;

	for (c = 0; c < bmc->nchan; c++)
		bmc_program_chan(bm, &bmc->chan[c]);
	bmc_write(bm, BMC_IRQ_MASK, 0);
}

/*
 * Take @x off the card: stop its channel alone (datasheet 5.4: once
 * CTRL.ENABLE reads 0 the channel touches no host memory), keep what @x
 * completed, and post the channel's other transfers again: one user's
 * timeout is no other user's failure. Only a card that ignores the stop is
 * reset whole, and the transfers that reset interrupts fail with
 * ECANCELED, not with a card error that was not theirs.
 */
static void bmc_cancel(struct bm_dev *bm, struct bm_xfer *x, int error)
{
	struct bmc *bmc = bm->priv;
	struct bmc_chan *ch;
	unsigned long irqflags;

	spin_lock_irqsave(&bmc->lock, irqflags);
	/* Over while we gave up waiting: nothing to stop. */
	if (list_empty(&x->node)) {
		spin_unlock_irqrestore(&bmc->lock, irqflags);
		return;
	}
	ch = &bmc->chan[x->chan];
	writel(0, ch->regs + BMC_CH_CTRL);
	/* The read flushes the posted write: the channel has stopped. */
	if (!(readl(ch->regs + BMC_CH_STATUS) & BMC_CH_STATUS_ENABLED)) {
		bmc_chan_restart(bm, ch, x, error);
		spin_unlock_irqrestore(&bmc->lock, irqflags);
		/* Any user can cause this at will: rate-limited. */
		if (error == -ETIMEDOUT)
			dev_warn_ratelimited(&bm->pdev->dev, "channel %u: a transfer timed out: channel stopped\n",
					     x->chan);
		return;
	}

	bmc_write(bm, BMC_RESET, BMC_RESET_GO);
	bm_card_reset_seen(bm, bmc_stopped(bm) ? 0 : -EIO);
	if (!bmc_stopped(bm)) {
		/* Not even the reset stops it: nothing it has may come back. */
		list_del_init(&x->node);
		x->error = error;
		spin_unlock_irqrestore(&bmc->lock, irqflags);
		bm_quarantine(bm, "neither a channel nor the card stops");
		/* Cut off now, it keeps what it was given: end the rest at once. */
		spin_lock_irqsave(&bmc->lock, irqflags);
		bmc_fail_all(bm, NULL, 0, -ESHUTDOWN);
		spin_unlock_irqrestore(&bmc->lock, irqflags);
		return;
	}
	bmc_fail_all(bm, x, error, -ECANCELED);
	bmc_program_all(bm);
	spin_unlock_irqrestore(&bmc->lock, irqflags);
	dev_warn_ratelimited(&bm->pdev->dev, "a transfer was cancelled and its channel did not stop: card reset\n");
}

/*
 * Post one descriptor on @c and wait for its interrupt.
 * Context: probe, no other user of the channel.
 */
static int bmc_selftest_one(struct bm_dev *bm, u32 c, u32 len, bool from_card)
{
	struct bmc *bmc = bm->priv;
	struct bmc_chan *ch = &bmc->chan[c];
	struct bmc_desc *d = bmc_desc(bmc, ch, ch->tail);
	u32 status;
	int ret;

	d->host_addr = cpu_to_le64(bmc->test_dma);
	d->card_off = 0;
	d->len = cpu_to_le32(len);
	d->flags = cpu_to_le32(BMC_DESC_IRQ | (from_card ? BMC_DESC_FROM_CARD : 0));
	d->status = 0;
	d->bytes_done = 0;
	ch->tail = (ch->tail + 1) & (bmc->ring_entries - 1);

	reinit_completion(&bm->irq_seen);
	dma_wmb();	/* the descriptor before the doorbell */
	writel(ch->tail, ch->regs + BMC_CH_TAIL);
	ret = bm_wait_irq(bm);
	dma_rmb();	/* status before the data and bytes_done */
	status = le32_to_cpu(READ_ONCE(d->status));
	if (!ret && (status != BMC_ST_OK || le32_to_cpu(d->bytes_done) != len)) {
		pci_err(bm->pdev, "self-test: channel %u status %#x, %u of %u bytes\n",
			c, status, le32_to_cpu(d->bytes_done), len);
		ret = -EIO;
	}
	return ret;
}

/*
 * On every channel, move a pattern to the card and back, checking it in the
 * card's memory through BAR2 and in host memory: proves the rings, bus
 * mastering and the interrupt in the mode we got. Overwrites the first
 * bytes of card memory.
 */
static int bmc_selftest(struct bm_dev *bm)
{
	struct bmc *bmc = bm->priv;
	u32 len = max_t(u32, BMC_SELFTEST_LEN, bm->adapter.alignment);
	u8 *buf = bmc->test_buf, seen[BMC_SELFTEST_LEN];
	u32 c, i;
	int ret;

	len = min_t(u64, len, bm->adapter.max_segment_size);
	bmc_write(bm, BMC_IRQ_MASK, 0);
	for (c = 0; c < bmc->nchan; c++) {
		for (i = 0; i < len; i++)
			buf[i] = (u8)(i * 7 + c + 1);
		ret = bmc_selftest_one(bm, c, len, false);
		if (ret)
			return ret;
		memcpy_fromio(seen, bmc->mem, min_t(u32, len, sizeof(seen)));
		if (memcmp(seen, buf, min_t(u32, len, sizeof(seen)))) {
			pci_err(bm->pdev, "self-test: channel %u wrote wrong bytes to card memory\n",
				c);
			return -EIO;
		}
		memset(buf, 0, len);
		ret = bmc_selftest_one(bm, c, len, true);
		if (ret)
			return ret;
		if (memcmp(seen, buf, min_t(u32, len, sizeof(seen)))) {
			pci_err(bm->pdev, "self-test: channel %u read back wrong bytes\n",
				c);
			return -EIO;
		}
	}
	return 0;
}

/*
 * After a function reset lost them: every channel's ring, and the
 * interrupts. Nothing is queued then (bmc_reset() ended it all, and new
 * transfers are refused meanwhile); if something were, it would end too.
 */
static void bmc_restart(struct bm_dev *bm)
{
	struct bmc *bmc = bm->priv;
	unsigned long irqflags;

	spin_lock_irqsave(&bmc->lock, irqflags);
	bmc_fail_all(bm, NULL, 0, -ECANCELED);
	bmc_program_all(bm);
	spin_unlock_irqrestore(&bmc->lock, irqflags);
}

/*
 * Stop every channel and mask the card: it touches no host memory
 * afterwards, and whatever was queued on it is over (ECANCELED, with what
 * it completed) rather than left to time out. A card that does not stop
 * is cut off first, so that the pages of what it had stay kept, and what
 * it had ends at once (ESHUTDOWN): a removal waits for no timeout.
 */
static int bmc_reset(struct bm_dev *bm)
{
	struct bmc *bmc = bm->priv;
	unsigned long irqflags;
	bool stopped;

	spin_lock_irqsave(&bmc->lock, irqflags);
	bmc_write(bm, BMC_RESET, BMC_RESET_GO);
	/* The reads flush the posted write. */
	stopped = bmc_stopped(bm);
	if (stopped)
		bmc_fail_all(bm, NULL, 0, -ECANCELED);
	spin_unlock_irqrestore(&bmc->lock, irqflags);
	if (stopped)
		return 0;
	bm_quarantine(bm, "the card did not stop at its reset");
	spin_lock_irqsave(&bmc->lock, irqflags);
	bmc_fail_all(bm, NULL, 0, -ESHUTDOWN);
	spin_unlock_irqrestore(&bmc->lock, irqflags);
	return -EIO;
}

/*
 * Fault injection, for the reliability tests (datasheet section 9): each
 * file is one card register. fail_nth fails the Nth descriptor the card
 * starts from now on; stall holds channels (a bit each) so transfers time
 * out; latency_ns delays each transfer, on the emulator's virtual clock;
 * phantom_nth has the Nth descriptor reported done without its data moved.
 */
#define BMC_FI_ATTR(_name, _reg, _fmt)					\
enum { bmc_##_name##_reg = (_reg) };					\
static int bmc_##_name##_get(void *data, u64 *val)			\
{									\
	*val = bmc_read(data, bmc_##_name##_reg);			\
	return 0;							\
}									\
static int bmc_##_name##_set(void *data, u64 val)			\
{									\
	if (val > U32_MAX)						\
		return -EINVAL;						\
	bmc_write(data, bmc_##_name##_reg, val);			\
	return 0;							\
}									\
DEFINE_DEBUGFS_ATTRIBUTE(bmc_##_name##_fops, bmc_##_name##_get,		\
			 bmc_##_name##_set, _fmt)

BMC_FI_ATTR(fail_nth, BMC_FI_FAIL_NTH, "%llu\n");
BMC_FI_ATTR(stall, BMC_FI_STALL, "%#llx\n");
BMC_FI_ATTR(latency_ns, BMC_FI_LAT_XFER_NS, "%llu\n");
BMC_FI_ATTR(phantom_nth, BMC_FI_PHANTOM_NTH, "%llu\n");

/* What a card left running (model property boot_dma) moved before our reset. */
static int bmc_boot_dma_get(void *data, u64 *val)
{
	*val = bmc_read(data, BMC_FI_BOOT_DMA);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(bmc_boot_dma_fops, bmc_boot_dma_get, NULL, "%llu\n");

/*
 * The card's own counters (datasheet 3.4). Reading LO latches HI: one
 * consistent 64-bit value each.
 */
static void bmc_counters(struct bm_dev *bm, struct bm_card_counters *c)
{
	c->busy_ns = lo_hi_readq(bm->regs + BMC_CNT_BUSY_NS);
	c->bytes = lo_hi_readq(bm->regs + BMC_CNT_BYTES);
}

static void bmc_debugfs_init(struct bm_dev *bm, struct dentry *dir)
{
	debugfs_create_file_unsafe("fail_nth", 0600, dir, bm, &bmc_fail_nth_fops);
	debugfs_create_file_unsafe("stall", 0600, dir, bm, &bmc_stall_fops);
	debugfs_create_file_unsafe("latency_ns", 0600, dir, bm,
				   &bmc_latency_ns_fops);
	debugfs_create_file_unsafe("phantom_nth", 0600, dir, bm,
				   &bmc_phantom_nth_fops);
	debugfs_create_file_unsafe("boot_dma", 0400, dir, bm, &bmc_boot_dma_fops);
}

const struct bm_model_ops bm_bmc_ops = {
	.name = "busmaster",
	.model = BUSMASTER_MODEL_CARD,
	.init = bmc_init,
	.start = bmc_start,
	.irq = bmc_irq,
	.irq_thread = bmc_irq_thread,
	.selftest = bmc_selftest,
	.reset = bmc_reset,
	.restart = bmc_restart,
	.submit = bmc_submit,
	.cancel = bmc_cancel,
	.debugfs_init = bmc_debugfs_init,
	.counters = bmc_counters,
};
