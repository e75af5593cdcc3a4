/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Register map of the busmaster card (PCI 1234:bb01), datasheet version 1
 * (docs/card-datasheet.md; section numbers below refer to it).
 */
#ifndef _BM_CARD_REGS_H
#define _BM_CARD_REGS_H

#include <linux/bits.h>
#include <linux/types.h>

#define BMC_PCI_VENDOR		0x1234
#define BMC_PCI_DEVICE		0xbb01

#define BMC_BAR_REGS		0
#define BMC_BAR_MEM		2

/* 3.1 Identification and capabilities */
#define BMC_ID			0x000
#define  BMC_ID_MAGIC		0x424d4331	/* "BMC1" */
#define BMC_VERSION		0x004
#define  BMC_VERSION_MAJOR	GENMASK(31, 16)
#define  BMC_VERSION_MINOR	GENMASK(15, 0)
#define BMC_ADDR_BITS		0x008
#define BMC_CAPS		0x00c
#define  BMC_CAPS_SG		BIT(0)
#define  BMC_CAPS_MSIX		BIT(1)
#define  BMC_CAPS_MSI		BIT(2)
#define BMC_MAX_SEGS		0x010
#define BMC_MAX_SEG_SIZE	0x014
#define BMC_ALIGN		0x018
#define BMC_CHANNELS		0x01c
#define BMC_MEM_SIZE_LO		0x020
#define BMC_MEM_SIZE_HI		0x024
#define BMC_DESC_SIZE		0x028
#define BMC_RING_MAX		0x02c
#define BMC_SEG_BOUNDARY	0x030	/* 1.1: log2 of it, 0 for none */

/* 3.2 Control and interrupts */
#define BMC_RESET		0x040
#define  BMC_RESET_GO		BIT(0)
#define BMC_ENGINE_STATUS	0x044
#define BMC_SCRATCH		0x048
#define BMC_IRQ_STATUS		0x050
#define BMC_IRQ_MASK		0x054
#define  BMC_IRQ_DONE(c)	BIT(c)
#define  BMC_IRQ_ERROR		BIT(31)

/* 3.3 Channel registers */
#define BMC_CHAN(c)		(0x100 + 0x40 * (c))
#define BMC_CH_RING_LO		0x00
#define BMC_CH_RING_HI		0x04
#define BMC_CH_RING_SIZE	0x08
#define BMC_CH_CTRL		0x0c
#define  BMC_CH_CTRL_ENABLE	BIT(0)
#define BMC_CH_STATUS		0x10
#define  BMC_CH_STATUS_ENABLED	BIT(0)
#define  BMC_CH_STATUS_HALTED	BIT(2)
#define  BMC_CH_STATUS_HALT_CODE GENMASK(15, 8)
#define   BMC_HALT_ERROR	0x05	/* 1.2: after a HALT_ON_ERROR transfer failed */
#define BMC_CH_HEAD		0x14
#define BMC_CH_TAIL		0x18
#define BMC_CH_ERR_INDEX	0x1c

#define BMC_MAX_CHANNELS	8
#define BMC_MAX_SEGS_LIMIT	65535	/* MAX_SEGS never reads more */
#define BMC_RING_MAX_VALUE	65536	/* what RING_MAX reads */

/* 3.4 Counters, 64-bit LO/HI: read LO first, it latches HI */
#define BMC_CNT_BYTES		0x080
#define BMC_CNT_DESCS		0x088
#define BMC_CNT_ERRORS		0x090
#define BMC_CNT_BUSY_NS		0x098
#define BMC_CNT_XFERS		0x0a0

/* 3.5 Fault injection */
#define BMC_FI_FAIL_NTH		0x0c0
#define BMC_FI_STALL		0x0c4
#define BMC_FI_LAT_XFER_NS	0x0c8
#define BMC_FI_BOOT_DMA		0x0d8	/* RO: DMA done before the first RESET */

/* 4. Descriptor, 32 bytes, little-endian, in a ring in host memory */
struct bmc_desc {
	__le64 host_addr;
	__le64 card_off;
	__le32 len;
	__le32 flags;
	__le32 status;
	__le32 bytes_done;
};

#define BMC_DESC_FROM_CARD	BIT(0)
#define BMC_DESC_CHAIN		BIT(1)
#define BMC_DESC_IRQ		BIT(2)
#define BMC_DESC_HALT_ON_ERROR	BIT(3)	/* 1.2 */

/* 7.1 Completion codes */
#define BMC_ST_PENDING		0x00
#define BMC_ST_OK		0x01
#define BMC_ST_ERR_FLAGS	0x81
#define BMC_ST_ERR_SEGS		0x82
#define BMC_ST_ERR_LENGTH	0x83
#define BMC_ST_ERR_ALIGN	0x84
#define BMC_ST_ERR_RANGE	0x85
#define BMC_ST_ERR_HOST		0x86
#define BMC_ST_ERR_INJECTED	0x87
#define BMC_ST_ERR_ABORTED	0x88

#endif /* _BM_CARD_REGS_H */
