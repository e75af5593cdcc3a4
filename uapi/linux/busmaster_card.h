/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The busmaster card's programming model (PCI 1234:bb01), datasheet 1.2:
 * docs/card-datasheet.md, whose section numbers are given below.
 *
 * The one source of these numbers for everything that speaks to the card:
 * the driver (kmod/bm_bmc.c), the card's QEMU model and its qtests (they get
 * it as include/standard-headers/linux/, the way QEMU keeps pvpanic.h) and
 * libbusmaster, which names the completion codes the driver reports in
 * struct busmaster_transfer's card_status. `make check` compares it with the
 * datasheet (vm/check-datasheet.py).
 *
 * Plain constants only: no kernel macros, so that QEMU and userspace can
 * include it as it is.
 */
#ifndef _UAPI_LINUX_BUSMASTER_CARD_H
#define _UAPI_LINUX_BUSMASTER_CARD_H

#include <linux/types.h>

/* 1. PCI identity, 2. BARs */
#define BMC_PCI_VENDOR		0x1234
#define BMC_PCI_DEVICE		0xbb01
#define BMC_PCI_REVISION	0x01
#define BMC_BAR_REGS		0	/* registers, BMC_REGS_SIZE bytes */
#define BMC_BAR_MEM		2	/* on-card memory */
#define BMC_BAR_MSIX		4	/* MSI-X table and PBA */
#define BMC_REGS_SIZE		0x1000

/* 3.1 Identification and capabilities (read only) */
#define BMC_ID			0x000
#define  BMC_ID_MAGIC		0x424d4331	/* "BMC1" */
#define BMC_VERSION		0x004
#define  BMC_VERSION_MAJOR	0xffff0000
#define  BMC_VERSION_MINOR	0x0000ffff
#define  BMC_VERSION_CURRENT	0x00010002	/* 1.2 */
#define BMC_ADDR_BITS		0x008
#define BMC_CAPS		0x00c
#define  BMC_CAPS_SG		0x00000001
#define  BMC_CAPS_MSIX		0x00000002
#define  BMC_CAPS_MSI		0x00000004
#define  BMC_CAPS_INTX		0x00000008
#define  BMC_CAPS_FAULT		0x00000010
#define  BMC_CAPS_COUNTERS	0x00000020
#define BMC_MAX_SEGS		0x010
#define BMC_MAX_SEG_SIZE	0x014
#define BMC_ALIGN		0x018
#define BMC_CHANNELS		0x01c
#define BMC_MEM_SIZE_LO		0x020
#define BMC_MEM_SIZE_HI		0x024
#define BMC_DESC_SIZE		0x028
#define BMC_RING_MAX		0x02c
#define BMC_SEG_BOUNDARY	0x030	/* 1.1: log2 of it, 0 for none */

/* 3.2 Control, interrupts */
#define BMC_RESET		0x040
#define  BMC_RESET_GO		0x00000001
#define BMC_ENGINE_STATUS	0x044
#define  BMC_ENGINE_STATUS_BUSY	0x00000001
#define BMC_SCRATCH		0x048
#define BMC_IRQ_STATUS		0x050
#define BMC_IRQ_MASK		0x054
#define  BMC_IRQ_DONE(c)	(1U << (c))	/* channel c, MSI-X vector c */
#define  BMC_IRQ_ERROR		0x80000000	/* MSI-X vector N (channels) */

/* 3.3 Channel registers: channel c's at BMC_CHAN(c) + BMC_CH_* */
#define BMC_CHAN_BASE		0x100
#define BMC_CHAN_STRIDE		0x40
#define BMC_CHAN(c)		(BMC_CHAN_BASE + BMC_CHAN_STRIDE * (c))
#define BMC_CH_RING_LO		0x00
#define BMC_CH_RING_HI		0x04
#define BMC_CH_RING_SIZE	0x08
#define BMC_CH_CTRL		0x0c
#define  BMC_CH_CTRL_ENABLE	0x00000001
#define BMC_CH_STATUS		0x10
#define  BMC_CH_STATUS_ENABLED	0x00000001
#define  BMC_CH_STATUS_ACTIVE	0x00000002
#define  BMC_CH_STATUS_HALTED	0x00000004
#define  BMC_CH_STATUS_STALLED	0x00000008
#define  BMC_CH_STATUS_WAITING	0x00000010
#define  BMC_CH_STATUS_HALT_CODE 0x0000ff00	/* 7.2 */
#define  BMC_CH_STATUS_HALT_SHIFT 8
#define  BMC_CH_STATUS_ERR_CODE	0x00ff0000	/* 7.1, the last error */
#define  BMC_CH_STATUS_ERR_SHIFT 16
#define BMC_CH_HEAD		0x14
#define BMC_CH_TAIL		0x18
#define BMC_CH_ERR_INDEX	0x1c

/* Limits of every card of this datasheet */
#define BMC_MAX_CHANNELS	8
#define BMC_MAX_SEGS_LIMIT	65535	/* MAX_SEGS never reads more */
#define BMC_RING_MAX_VALUE	65536	/* what RING_MAX reads */

/* 3.4 Counters: 64-bit, LO at the offset, HI 4 above; reading LO latches HI */
#define BMC_CNT_BYTES		0x080
#define BMC_CNT_DESCS		0x088
#define BMC_CNT_ERRORS		0x090
#define BMC_CNT_BUSY_NS		0x098
#define BMC_CNT_XFERS		0x0a0
#define BMC_CNT_CLEAR		0x0a8
#define  BMC_CNT_CLEAR_GO	0x00000001

/* 3.5 Fault injection (9.) */
#define BMC_FI_FAIL_NTH		0x0c0
#define BMC_FI_STALL		0x0c4
#define BMC_FI_LAT_XFER_NS	0x0c8
#define BMC_FI_LAT_BYTE_PS	0x0cc
#define BMC_FI_SPURIOUS		0x0d0
#define BMC_FI_DRIVEN_ADDR_BITS	0x0d4
#define BMC_FI_BOOT_DMA		0x0d8
#define BMC_FI_PHANTOM_NTH	0x0dc

/* 4. Descriptor: little-endian, in a ring in host memory */
struct bmc_desc {
	__le64 host_addr;
	__le64 card_off;
	__le32 len;
	__le32 flags;
	__le32 status;		/* 7.1, written by the card */
	__le32 bytes_done;	/* written by the card */
};

#define BMC_DESC_BYTES		32	/* what DESC_SIZE reads */
#define BMC_DESC_FROM_CARD	0x00000001
#define BMC_DESC_CHAIN		0x00000002
#define BMC_DESC_IRQ		0x00000004
#define BMC_DESC_HALT_ON_ERROR	0x00000008	/* 1.2 */
#define BMC_DESC_FLAGS_VALID	0x0000000f

/* 7.1 Descriptor completion codes (status) */
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
#define BMC_ST_ERR_BOUNDARY	0x89	/* 1.1 */

/* 7.2 Channel halt codes (BMC_CH_STATUS_HALT_CODE) */
#define BMC_HALT_NONE		0x00
#define BMC_HALT_RING_CONFIG	0x01
#define BMC_HALT_BAD_TAIL	0x02
#define BMC_HALT_DESC_FETCH	0x03
#define BMC_HALT_WRITEBACK	0x04
#define BMC_HALT_ERROR		0x05	/* 1.2 */

#endif /* _UAPI_LINUX_BUSMASTER_CARD_H */
