/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels busmaster supports
 * (Debian's 6.1 and 6.12). Keep this file small: one entry per API that
 * moved, each saying when. In a kernel tree this file goes away, which is
 * why checkpatch's LINUX_VERSION_CODE rule is waived for it alone.
 */
#ifndef _BM_COMPAT_H
#define _BM_COMPAT_H

#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/version.h>

/* 6.8 renamed PCI_IRQ_LEGACY to PCI_IRQ_INTX; 6.10 dropped the old name. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX PCI_IRQ_LEGACY
#endif

/*
 * 6.11 added pcim_iomap_region() and deprecated the pcim_iomap_regions()
 * + pcim_iomap_table() pair that 6.1 offers.
 */
static inline void __iomem *bm_iomap_bar(struct pci_dev *pdev, int bar,
					 const char *name)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return pcim_iomap_region(pdev, bar, name);
#else
	int ret = pcim_iomap_regions(pdev, BIT(bar), name);

	if (ret)
		return IOMEM_ERR_PTR(ret);
	return pcim_iomap_table(pdev)[bar];
#endif
}

/* The largest order the page allocator gives: 6.4 and 6.8 renamed it. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define BM_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define BM_MAX_PAGE_ORDER	MAX_ORDER
#else
#define BM_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/* 6.3 made vma->vm_flags read-only outside vm_flags_set() and friends. */
static inline void bm_vm_flags_set(struct vm_area_struct *vma,
				   unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * io_uring's uring_cmd: 6.7 moved it to <linux/io_uring/cmd.h>, reads the
 * command from the SQE (io_uring_sqe_cmd()) rather than a copy in
 * ioucmd->cmd, and lets a driver mark a command cancelable, so that ring
 * teardown calls ->uring_cmd() with IO_URING_F_CANCEL; 6.1 has neither, and
 * a ring's teardown waits for the command to complete (the owner's close()
 * of the card still cancels it).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <linux/io_uring/cmd.h>
#define bm_uring_cmd_bytes(ioucmd)	io_uring_sqe_cmd((ioucmd)->sqe)
#define BM_URING_F_CANCEL		IO_URING_F_CANCEL
static inline void bm_uring_mark_cancelable(struct io_uring_cmd *ioucmd,
					    unsigned int issue_flags)
{
	io_uring_cmd_mark_cancelable(ioucmd, issue_flags);
}
#else
#include <linux/io_uring.h>
#define bm_uring_cmd_bytes(ioucmd)	((ioucmd)->cmd)
#define BM_URING_F_CANCEL		0
static inline void bm_uring_mark_cancelable(struct io_uring_cmd *ioucmd,
					    unsigned int issue_flags)
{
}
#endif

#endif /* _BM_COMPAT_H */
