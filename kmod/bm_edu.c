// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: QEMU's stock "edu" card (hw/misc/edu.c, PCI 1234:11e8).
 *
 * A card nobody here designed: one DMA engine without scatter/gather, a
 * 4 KiB on-card window, no capability registers. Its address width is set
 * on the QEMU side (the dma_mask property, 28 bits by default) and cannot be
 * read back, so the driver is told it by the edu_addr_bits parameter.
 */
#include <linux/error-injection.h>
#include <linux/io.h>
#include <linux/iopoll.h>

#include "busmaster.h"

#define EDU_REG_IDENT		0x00	/* 0xRRrr00ed: major, minor, 0xed */
#define EDU_REG_LIVENESS	0x04	/* reads back the inverse of a write */
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80	/* 64-bit registers: 8-byte writes */
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define  EDU_DMA_RUN		BIT(0)
#define  EDU_DMA_TO_HOST	BIT(1)
#define  EDU_DMA_IRQ		BIT(2)

#define EDU_IDENT_MAGIC		0xed
#define EDU_IRQ_TEST		BIT(0)	/* the value we raise for the self-test */
#define EDU_IRQ_DMA		BIT(8)	/* the card's own "DMA done" cause */

/* The on-card DMA window, at this address on the card's side. */
#define EDU_WINDOW		0x40000
#define EDU_WINDOW_SIZE		4096
/*
 * QEMU 7.2's edu_check_range() treats a transfer that ends exactly at the
 * window's end as out of range and stops the emulator: its last byte is
 * unusable, so the card offers 4095 bytes and no transfer is longer.
 */
#define EDU_USABLE		(EDU_WINDOW_SIZE - 1)
/* edu finishes a DMA 100 ms of virtual time after it starts. */
#define EDU_DMA_POLL_US		1000
#define EDU_DMA_STOP_US		(2 * USEC_PER_SEC)

/**
 * struct bm_edu - edu's private state
 * @lock: protects the rest against the interrupt handler
 * @queue: the card transfers submitted (struct bm_xfer), in order. edu
 *	has one engine and no ring, so the queue is the driver's: each
 *	completion starts the next.
 * @running: the one the card runs (first in @queue), NULL when idle
 * @stopping: a reset is waiting for the card to go idle: start nothing
 */
struct bm_edu {
	spinlock_t lock;	/* queue, running, stopping vs the IRQ */
	struct list_head queue;
	struct bm_xfer *running;
	bool stopping;
};

static unsigned int edu_addr_bits = 28;
BM_PARAM_UINT(edu_addr_bits, edu_addr_bits, 24, 64, 0444);
MODULE_PARM_DESC(edu_addr_bits,
		 "Address bits edu cards drive: their QEMU dma_mask width (24..64, default 28)");

static int bm_edu_init(struct bm_dev *bm)
{
	struct bm_adapter *ad = &bm->adapter;
	u32 ident = readl(bm->regs + EDU_REG_IDENT);
	u32 probe = 0x5a5aa5a5;
	struct bm_edu *edu;

	if ((ident & 0xff) != EDU_IDENT_MAGIC) {
		pci_err(bm->pdev, "edu: identification register reads %#x\n",
			ident);
		return -ENODEV;
	}
	writel(probe, bm->regs + EDU_REG_LIVENESS);
	if (readl(bm->regs + EDU_REG_LIVENESS) != ~probe) {
		pci_err(bm->pdev, "edu: liveness check failed\n");
		return -EIO;
	}

	edu = devm_kzalloc(&bm->pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	spin_lock_init(&edu->lock);
	INIT_LIST_HEAD(&edu->queue);
	bm->priv = edu;

	ad->card_addr_bits = edu_addr_bits;
	ad->scatter_gather = false;
	ad->alignment = 1;
	ad->max_segments = 1;
	ad->max_segment_size = EDU_USABLE;
	ad->max_transfer_size = EDU_USABLE;
	ad->card_mem_size = EDU_USABLE;
	ad->card_mem_bar = false;
	ad->dma_channels = 1;
	bm->msix_vectors = 1;	/* edu has no MSI-X; MSI or INTx */
	return 0;
}

/* Program the first queued transfer if edu is idle. Context: edu->lock held. */
static void bm_edu_start(struct bm_dev *bm)
{
	struct bm_edu *edu = bm->priv;
	struct bm_xfer *x = list_first_entry_or_null(&edu->queue,
						     struct bm_xfer, node);
	u64 card, host;

	if (!x || edu->running || edu->stopping)
		return;
	edu->running = x;
	card = EDU_WINDOW + x->card_offset;
	host = x->segs[0].addr;
	writeq(x->from_card ? card : host, bm->regs + EDU_REG_DMA_SRC);
	writeq(x->from_card ? host : card, bm->regs + EDU_REG_DMA_DST);
	writeq(x->segs[0].len, bm->regs + EDU_REG_DMA_COUNT);
	writeq(EDU_DMA_RUN | EDU_DMA_IRQ | (x->from_card ? EDU_DMA_TO_HOST : 0),
	       bm->regs + EDU_REG_DMA_CMD);
}

/* The running transfer finished: complete it, start the next. */
static void bm_edu_finish(struct bm_dev *bm, struct bm_xfer *x)
{
	struct bm_edu *edu = bm->priv;

	edu->running = NULL;
	list_del_init(&x->node);
	/* edu reports no errors: a finished DMA moved it all. */
	x->bytes_done = x->length;
	bm_xfer_done(bm, x);
	bm_edu_start(bm);
}

static u32 bm_edu_irq(struct bm_dev *bm, unsigned int vector)
{
	u32 status = readl(bm->regs + EDU_REG_IRQ_STATUS);
	struct bm_edu *edu = bm->priv;
	struct bm_xfer *x;

	/* A shared INTx line raised by someone else, or edu has gone (all ones). */
	if (!status || status == U32_MAX)
		return 0;
	writel(status, bm->regs + EDU_REG_IRQ_ACK);
	if (status & EDU_IRQ_DMA) {
		spin_lock(&edu->lock);
		x = edu->running;
		/* A late interrupt of a cancelled DMA must not complete the next. */
		if (x && !(readl(bm->regs + EDU_REG_DMA_CMD) & EDU_DMA_RUN))
			bm_edu_finish(bm, x);
		spin_unlock(&edu->lock);
	}
	return (status & EDU_IRQ_TEST ? BM_IRQ_CAUSE_TEST : 0) |
	       (status & EDU_IRQ_DMA ? BM_IRQ_CAUSE_DMA : 0) |
	       (status & ~(EDU_IRQ_TEST | EDU_IRQ_DMA) ? BM_IRQ_CAUSE_OTHER : 0);
}

/* edu cannot DMA to memory we can check cheaply here: prove the interrupt. */
static int bm_edu_selftest(struct bm_dev *bm)
{
	reinit_completion(&bm->irq_seen);
	writel(EDU_IRQ_TEST, bm->regs + EDU_REG_IRQ_RAISE);
	return bm_wait_irq(bm);
}

/*
 * edu cannot abort a DMA: wait until the one running has finished. Never
 * inlined, so that fail_function can fail it (busmaster_fault_test).
 */
static noinline int bm_edu_wait_idle(struct bm_dev *bm)
{
	u32 cmd;

	return readl_poll_timeout(bm->regs + EDU_REG_DMA_CMD, cmd,
				  !(cmd & EDU_DMA_RUN), EDU_DMA_POLL_US,
				  EDU_DMA_STOP_US);
}
ALLOW_ERROR_INJECTION(bm_edu_wait_idle, ERRNO);

/*
 * Fail what waits in the queue (never given to the card, so it may go at
 * once) with @error. Context: edu->lock held.
 */
static void bm_edu_fail_queued(struct bm_dev *bm, int error)
{
	struct bm_edu *edu = bm->priv;
	struct bm_xfer *x, *next;

	list_for_each_entry_safe(x, next, &edu->queue, node) {
		if (x == edu->running)
			continue;
		list_del_init(&x->node);
		x->error = error;
		bm_xfer_done(bm, x);
	}
}

/*
 * Start nothing more, fail what waits (ECANCELED), and wait for the
 * running DMA to end: it then counts as done. An edu that never goes idle
 * stays stopped (bm_reset_card() quarantines it).
 */
static int bm_edu_reset(struct bm_dev *bm)
{
	struct bm_edu *edu = bm->priv;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&edu->lock, flags);
	edu->stopping = true;
	bm_edu_fail_queued(bm, -ECANCELED);
	spin_unlock_irqrestore(&edu->lock, flags);

	/* A card that reads all ones has left the bus: it does no DMA. */
	ret = readl(bm->regs + EDU_REG_IDENT) == U32_MAX ? 0 :
	      bm_edu_wait_idle(bm);

	spin_lock_irqsave(&edu->lock, flags);
	writel(readl(bm->regs + EDU_REG_IRQ_STATUS), bm->regs + EDU_REG_IRQ_ACK);
	if (!ret) {
		if (edu->running)
			bm_edu_finish(bm, edu->running);
		/* Submitted while we waited. */
		bm_edu_fail_queued(bm, -ECANCELED);
		edu->stopping = false;
	}
	spin_unlock_irqrestore(&edu->lock, flags);
	return ret;
}

/* One segment: edu has no scatter/gather, so max_segments is 1. */
static int bm_edu_submit(struct bm_dev *bm, struct bm_xfer *x)
{
	struct bm_edu *edu = bm->priv;
	unsigned long flags;
	bool idle;

	if (WARN_ON_ONCE(x->nsegs != 1))
		return -EINVAL;
	spin_lock_irqsave(&edu->lock, flags);
	if (bm_xfer_doomed(x)) {
		spin_unlock_irqrestore(&edu->lock, flags);
		return -ECANCELED;
	}
	idle = list_empty(&edu->queue);
	list_add_tail(&x->node, &edu->queue);
	bm_xfer_posted(x);
	if (idle)
		bm_edu_start(bm);
	spin_unlock_irqrestore(&edu->lock, flags);
	return 0;
}

/*
 * A transfer still queued is simply dropped, with its request's later
 * ones. edu cannot abort the one it
 * runs: wait for it to end (it then counts as done), and if it never
 * does, edu may write memory at any time: quarantine it, and fail what
 * waits behind it (never given to the card).
 */
static void bm_edu_cancel(struct bm_dev *bm, struct bm_xfer *x, int error)
{
	struct bm_edu *edu = bm->priv;
	unsigned long flags;
	bool running;
	int ret;

	spin_lock_irqsave(&edu->lock, flags);
	running = x == edu->running;
	if (!running && !list_empty(&x->node)) {
		struct bm_xfer *y, *next;

		/* Its request's transfers behind it must not run either. */
		y = x;
		list_for_each_entry_safe_continue(y, next, &edu->queue, node) {
			if (y->rq != x->rq)
				continue;
			list_del_init(&y->node);
			y->error = -ECANCELED;
			bm_xfer_done(bm, y);
		}
		list_del_init(&x->node);
		x->error = error;
	}
	spin_unlock_irqrestore(&edu->lock, flags);
	if (!running)
		return;

	ret = bm_edu_wait_idle(bm);
	if (ret)
		bm_quarantine(bm, "a DMA did not finish");
	spin_lock_irqsave(&edu->lock, flags);
	/* Unless the interrupt handler finished it meanwhile. */
	if (x == edu->running) {
		if (!ret) {
			bm_edu_finish(bm, x);
		} else {
			edu->running = NULL;
			edu->stopping = true;	/* until a reset proves it idle */
			list_del_init(&x->node);
			x->error = error;
			bm_edu_fail_queued(bm, -ESHUTDOWN);
		}
	}
	spin_unlock_irqrestore(&edu->lock, flags);
}

const struct bm_model_ops bm_edu_ops = {
	.name = "edu",
	.model = BUSMASTER_MODEL_EDU,
	.init = bm_edu_init,
	.irq = bm_edu_irq,
	.selftest = bm_edu_selftest,
	.reset = bm_edu_reset,
	.submit = bm_edu_submit,
	.cancel = bm_edu_cancel,
};
