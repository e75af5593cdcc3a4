// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: QEMU's stock "edu" card (hw/misc/edu.c, PCI 1234:11e8).
 *
 * A card nobody here designed: one DMA engine without scatter/gather, a
 * 4 KiB on-card window, no capability registers. Its address width is set
 * on the QEMU side (the dma_mask property, 28 bits by default) and cannot be
 * read back, so the driver is told it by the edu_addr_bits parameter.
 */
#include <linux/io.h>

#include "busmaster.h"

#define EDU_REG_IDENT		0x00	/* 0xRRrr00ed: major, minor, 0xed */
#define EDU_REG_LIVENESS	0x04	/* reads back the inverse of a write */
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64

#define EDU_IDENT_MAGIC		0xed
#define EDU_IRQ_TEST		BIT(0)	/* the value we raise for the self-test */
#define EDU_IRQ_DMA		BIT(8)	/* the card's own "DMA done" cause */

/* The on-card DMA window. */
#define EDU_WINDOW_SIZE		4096
/*
 * QEMU 7.2's edu_check_range() treats a transfer that ends exactly at the
 * window's end as out of range and stops the emulator, so one transfer
 * carries at most 4095 bytes.
 */
#define EDU_MAX_TRANSFER	(EDU_WINDOW_SIZE - 1)

static unsigned int edu_addr_bits = 28;
module_param(edu_addr_bits, uint, 0444);
MODULE_PARM_DESC(edu_addr_bits,
		 "Address bits edu cards drive: their QEMU dma_mask width (default 28)");

static int bm_edu_init(struct bm_dev *bm)
{
	struct bm_adapter *ad = &bm->adapter;
	u32 ident = readl(bm->regs + EDU_REG_IDENT);
	u32 probe = 0x5a5aa5a5;

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
	if (edu_addr_bits < 24 || edu_addr_bits > 64) {
		pci_err(bm->pdev, "edu_addr_bits=%u: must be 24..64\n",
			edu_addr_bits);
		return -EINVAL;
	}

	ad->card_addr_bits = edu_addr_bits;
	ad->scatter_gather = false;
	ad->alignment = 1;
	ad->max_segments = 1;
	ad->max_segment_size = EDU_MAX_TRANSFER;
	ad->max_transfer_size = EDU_MAX_TRANSFER;
	ad->card_mem_size = EDU_WINDOW_SIZE;
	ad->card_mem_bar = false;
	ad->dma_channels = 1;
	bm->msix_vectors = 1;	/* edu has no MSI-X; MSI or INTx */
	return 0;
}

static u32 bm_edu_irq(struct bm_dev *bm)
{
	u32 status = readl(bm->regs + EDU_REG_IRQ_STATUS);

	if (!status)
		return 0;	/* a shared INTx line raised by someone else */
	writel(status, bm->regs + EDU_REG_IRQ_ACK);
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

static void bm_edu_reset(struct bm_dev *bm)
{
	/* edu cannot abort a DMA; clear whatever interrupt is pending. */
	writel(readl(bm->regs + EDU_REG_IRQ_STATUS), bm->regs + EDU_REG_IRQ_ACK);
}

const struct bm_card_ops bm_edu_ops = {
	.name = "edu",
	.model = BUSMASTER_MODEL_EDU,
	.init = bm_edu_init,
	.irq = bm_edu_irq,
	.selftest = bm_edu_selftest,
	.reset = bm_edu_reset,
};
