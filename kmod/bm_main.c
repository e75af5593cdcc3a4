// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: a PCI busmaster DMA driver that ports the Windows NT/2000 DMA
 * model (adapter objects, map registers, common buffers, MDLs,
 * scatter/gather lists) to the Linux DMA API.
 *
 * This file binds the cards: probe() enables the card as a bus master, asks
 * the card model for its limits, sets up the DMA adapter and the interrupt,
 * then creates /dev/busmasterN. remove() undoes it in reverse, and is safe
 * while files are still open: they see ENODEV until they close.
 */
#include <linux/idr.h>
#include <linux/kmemleak.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <linux/busmaster_card.h>

#include "bm_compat.h"
#include "busmaster.h"
#define CREATE_TRACE_POINTS
#include "busmaster_trace.h"

#define BM_MAP_REGISTERS_MIN	2
#define BM_MAP_REGISTERS_MAX	2048	/* the pool holds twice that */

/* 0 (the card's width) or a width the DMA API can set a mask for. */
static int bm_max_addr_bits_set(const char *val, const struct kernel_param *kp)
{
	unsigned int bits;
	int ret = kstrtouint(val, 0, &bits);

	if (ret)
		return ret;
	if (bits && (bits < 24 || bits > 64))
		return -EINVAL;
	*(unsigned int *)kp->arg = bits;
	return 0;
}

static const struct kernel_param_ops bm_max_addr_bits_ops = {
	.set = bm_max_addr_bits_set,
	.get = param_get_uint,
};

static unsigned int max_addr_bits;
module_param_cb(max_addr_bits, &bm_max_addr_bits_ops, &max_addr_bits, 0444);
MODULE_PARM_DESC(max_addr_bits,
		 "Use at most this many DMA address bits (0: the card's width, or 24..64); never wider than the card");

static unsigned int map_registers = 32;
BM_PARAM_UINT(map_registers, map_registers, BM_MAP_REGISTERS_MIN,
	      BM_MAP_REGISTERS_MAX, 0444);
MODULE_PARM_DESC(map_registers,
		 "Most bounce pages one request may hold on a card that cannot reach the swiotlb pool; its pool holds twice that (2..2048, default 32)");

/* irq_mode: which of these the PCI core may give us, by name. */
static const char * const bm_irq_mode_names[] = { "auto", "msix", "msi", "intx" };
static const unsigned int bm_irq_mode_flags[] = {
	PCI_IRQ_MSIX | PCI_IRQ_MSI | PCI_IRQ_INTX, PCI_IRQ_MSIX, PCI_IRQ_MSI,
	PCI_IRQ_INTX,
};

static_assert(ARRAY_SIZE(bm_irq_mode_names) == ARRAY_SIZE(bm_irq_mode_flags));
static unsigned int irq_mode;

static int bm_irq_mode_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(bm_irq_mode_names, val);

	if (i < 0)
		return i;
	*(unsigned int *)kp->arg = i;
	return 0;
}

static int bm_irq_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", bm_irq_mode_names[*(unsigned int *)kp->arg]);
}

static const struct kernel_param_ops bm_irq_mode_ops = {
	.set = bm_irq_mode_set,
	.get = bm_irq_mode_get,
};
module_param_cb(irq_mode, &bm_irq_mode_ops, &irq_mode, 0444);
MODULE_PARM_DESC(irq_mode, "Interrupt mode: auto (MSI-X, MSI, INTx), msix, msi or intx");

unsigned int bm_plant_defects;
module_param_named(plant_defects, bm_plant_defects, uint, 0444);
MODULE_PARM_DESC(plant_defects,
		 "Test only: plant known defects (BM_DEFECT_* mask) so the debug kernel's negative control can show its instruments see them");

#define BM_IRQ_TEST_TIMEOUT	(2 * HZ)

static DEFINE_IDA(bm_ida);

static void bm_dev_release(struct kref *kref)
{
	struct bm_dev *bm = container_of(kref, struct bm_dev, kref);

	bm_quarantine_abandon(bm);
	bm_queue_card_free(bm);
	ida_free(&bm_ida, bm->id);
	ida_destroy(&bm->map_ids);
	kfree(bm);
}

/** bm_dev_get - take a reference to a card @bm */
void bm_dev_get(struct bm_dev *bm)
{
	kref_get(&bm->kref);
}

/**
 * bm_dev_put - drop a reference to a card
 * @bm: the card
 *
 * The last reference (the PCI binding's or the last open file's) frees it.
 */
void bm_dev_put(struct bm_dev *bm)
{
	kref_put(&bm->kref, bm_dev_release);
}

/**
 * bm_card_reset_seen - count and trace a reset of the whole card
 * @bm: the card
 * @ret: 0 when it stopped, a negative errno when it did not
 *
 * Context: any (a card model's cancel calls it under its lock).
 */
void bm_card_reset_seen(struct bm_dev *bm, int ret)
{
	trace_busmaster_card_reset(bm, ret);
	atomic_inc(&bm->stats.card_resets);
}

/**
 * bm_reset_card - stop every DMA engine of the card
 * @bm: the card, present
 *
 * A card that will not stop is quarantined; one that stops has proved
 * quiet, and a quarantine is lifted. What was on it is over (ECANCELED).
 *
 * Context: process context.
 * Return: 0 or -EIO (quarantined).
 */
int bm_reset_card(struct bm_dev *bm)
{
	int ret = bm->ops->reset(bm);

	bm_card_reset_seen(bm, ret);
	if (ret)
		bm_quarantine(bm, "the card did not stop at its reset");
	else
		bm_quarantine_lift(bm);
	return ret;
}

static irqreturn_t bm_irq(int irq, void *data)
{
	struct bm_vector *v = data;
	struct bm_dev *bm = v->bm;
	u32 causes = bm->ops->irq(bm, v->index);

	if (!causes)
		return IRQ_NONE;
	complete(&bm->irq_seen);
	return causes & BM_IRQ_CAUSE_THREAD && bm->ops->irq_thread ?
	       IRQ_WAKE_THREAD : IRQ_HANDLED;
}

static irqreturn_t bm_irq_thread(int irq, void *data)
{
	struct bm_vector *v = data;

	v->bm->ops->irq_thread(v->bm);
	return IRQ_HANDLED;
}

/**
 * bm_wait_irq - wait for the card's next interrupt (probe-time self-tests)
 * @bm: the card; reinit_completion(&bm->irq_seen) before starting what
 *	should interrupt
 * Return: 0, or -EIO when no interrupt came in time.
 */
int bm_wait_irq(struct bm_dev *bm)
{
	if (!wait_for_completion_timeout(&bm->irq_seen, BM_IRQ_TEST_TIMEOUT)) {
		pci_err(bm->pdev, "self-test: no interrupt within %u ms\n",
			jiffies_to_msecs(BM_IRQ_TEST_TIMEOUT));
		return -EIO;
	}
	return 0;
}

static void bm_irq_teardown(struct bm_dev *bm, struct pci_dev *pdev)
{
	int i;

	for (i = 0; i < bm->irq_vectors; i++)
		free_irq(pci_irq_vector(pdev, i), &bm->vectors[i]);
	pci_free_irq_vectors(pdev);
	kfree(bm->vectors);
	bm->vectors = NULL;
}

/*
 * MSI-X gets every vector the card wires its causes to, or is not used;
 * MSI and INTx get one vector for all causes. Each vector's handler
 * serves its own causes (->irq()); what does not belong in hard interrupt
 * context runs in the vector's thread (->irq_thread()).
 */
static int bm_irq_setup(struct bm_dev *bm)
{
	struct pci_dev *pdev = bm->pdev;
	unsigned int flags = bm_irq_mode_flags[irq_mode];
	int nvec = -ENODEV, i, ret;

	if (flags & PCI_IRQ_MSIX)
		nvec = pci_alloc_irq_vectors(pdev, bm->msix_vectors,
					     bm->msix_vectors, PCI_IRQ_MSIX);
	if (nvec < 0 && (flags & ~PCI_IRQ_MSIX))
		nvec = pci_alloc_irq_vectors(pdev, 1, 1, flags & ~PCI_IRQ_MSIX);
	if (nvec < 0) {
		pci_err(pdev, "no interrupt in mode %s: %d\n",
			bm_irq_mode_names[irq_mode], nvec);
		return nvec;
	}
	if (pdev->msix_enabled)
		bm->irq_mode = BUSMASTER_IRQ_MSIX;
	else if (pdev->msi_enabled)
		bm->irq_mode = BUSMASTER_IRQ_MSI;
	else
		bm->irq_mode = BUSMASTER_IRQ_INTX;

	bm->vectors = kcalloc(nvec, sizeof(*bm->vectors), GFP_KERNEL);
	if (!bm->vectors) {
		pci_free_irq_vectors(pdev);
		return -ENOMEM;
	}
	for (i = 0; i < nvec; i++) {
		bm->vectors[i] = (struct bm_vector){ .bm = bm, .index = i };
		ret = request_threaded_irq(pci_irq_vector(pdev, i), bm_irq,
					   bm->ops->irq_thread ? bm_irq_thread : NULL,
					   bm->irq_mode == BUSMASTER_IRQ_INTX ? IRQF_SHARED : 0,
					   bm->name, &bm->vectors[i]);
		if (ret) {
			bm->irq_vectors = i;
			bm_irq_teardown(bm, pdev);
			return ret;
		}
	}
	bm->irq_vectors = nvec;
	return 0;
}

static struct bm_dev *bm_dev_alloc(struct pci_dev *pdev,
				   const struct bm_model_ops *ops)
{
	struct bm_dev *bm = kzalloc(sizeof(*bm), GFP_KERNEL);

	if (!bm)
		return NULL;
	bm->id = ida_alloc(&bm_ida, GFP_KERNEL);
	if (bm->id < 0 || bm_queue_card_init(bm)) {
		if (bm->id >= 0)
			ida_free(&bm_ida, bm->id);
		kfree(bm);
		return NULL;
	}
	kref_init(&bm->kref);
	init_rwsem(&bm->lifetime);
	init_completion(&bm->irq_seen);
	ida_init(&bm->map_ids);
	INIT_LIST_HEAD(&bm->common_list);
	mutex_init(&bm->common_lock);
	INIT_LIST_HEAD(&bm->regbuf_list);
	mutex_init(&bm->regbuf_list_lock);
	INIT_LIST_HEAD(&bm->copy_bufs);
	mutex_init(&bm->copy_bufs_lock);
	INIT_LIST_HEAD(&bm->kept);
	spin_lock_init(&bm->kept_lock);
	/* Woken by bm_quarantine() whether or not the card has map registers. */
	init_waitqueue_head(&bm->adapter.pool_wait);
	init_waitqueue_head(&bm->xfer_wait);
	spin_lock_init(&bm->submit_lock);
	bm->pdev = pdev;
	bm->ops = ops;
	snprintf(bm->name, sizeof(bm->name), BM_DRV_NAME "%d", bm->id);
	strscpy(bm->slot, pci_name(pdev), sizeof(bm->slot));
	return bm;
}

static int bm_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	const struct bm_model_ops *ops = (const void *)id->driver_data;
	struct bm_dev *bm;
	int ret;

	bm = bm_dev_alloc(pdev, ops);
	if (!bm)
		return -ENOMEM;

	ret = pcim_enable_device(pdev);
	if (ret)
		goto err_put;

	bm->regs = bm_iomap_bar(pdev, 0, BM_DRV_NAME);
	if (IS_ERR(bm->regs)) {
		ret = PTR_ERR(bm->regs);
		pci_err(pdev, "cannot map BAR0: %d\n", ret);
		goto err_put;
	}

	ret = ops->init(bm);
	if (ret)
		goto err_put;
	/*
	 * Bus mastering only now that ->init() reset the card: a card left
	 * running by the kernel before (kexec, kdump) must not resume DMA
	 * into memory that kernel gave it.
	 */
	pci_set_master(pdev);
	ret = bm_adapter_setup(bm, max_addr_bits, map_registers);
	if (ret)
		goto err_put;
	if (ops->start) {
		ret = ops->start(bm);
		if (ret)
			goto err_reset;
	}
	ret = bm_irq_setup(bm);
	if (ret)
		goto err_reset;
	/* Prove the interrupt path in the mode we got before promising it. */
	ret = ops->selftest(bm);
	if (ret)
		goto err_irq;

	pci_set_drvdata(pdev, bm);
	/* What error recovery restores after a link reset (bm_slot_reset()). */
	pci_save_state(pdev);
	bm_debugfs_add(bm);
	/* Last: from here on userspace can open the card. */
	ret = bm_chardev_register(bm);
	if (ret)
		goto err_debugfs;

	pci_info(pdev, "%s: %s card, %u-bit DMA (card %u), %s, bounce: %s, %u map registers\n",
		 bm->name, ops->name, bm->adapter.dma_addr_bits,
		 bm->adapter.card_addr_bits,
		 bm->irq_mode == BUSMASTER_IRQ_MSIX ? "MSI-X" :
		 bm->irq_mode == BUSMASTER_IRQ_MSI ? "MSI" : "INTx",
		 bm_bounce_name(bm->adapter.bounce), bm->adapter.map_registers);
	return 0;

err_debugfs:
	bm_debugfs_remove(bm);
	pci_set_drvdata(pdev, NULL);
err_irq:
	bm_reset_card(bm);
	bm_irq_teardown(bm, pdev);
	goto err_put;
err_reset:
	bm_reset_card(bm);
err_put:
	bm_dev_put(bm);
	return ret;
}

static void bm_remove(struct pci_dev *pdev)
{
	struct bm_dev *bm = pci_get_drvdata(pdev);

	/*
	 * No new opens and no new card transfers; end those on the card, then
	 * wait out the file operations in progress: none waits on the card
	 * now, and none holds lifetime across a user page fault.
	 */
	bm_chardev_unregister(bm);
	bm_debugfs_remove(bm);
	bm_revoke(bm, -ENODEV);
	down_write(&bm->lifetime);
	bm_reset_card(bm);
	/*
	 * What open files still hold loses its DMA side with the device:
	 * registered and copy buffers their mapping, common buffers their
	 * memory -- unless the card is quarantined: then it keeps both, for
	 * good (never released: its buffers keep it; not a leak to report).
	 */
	if (!READ_ONCE(bm->quarantined)) {
		bm_regbuf_unmap_all(bm);
		bm_copy_unmap_all(bm);
	} else {
		kmemleak_not_leak(bm);
	}
	bm_common_free_all(bm);
	/* No interrupt thread may find pdev gone. */
	bm_irq_teardown(bm, pdev);
	bm->pdev = NULL;
	up_write(&bm->lifetime);

	bm_dev_put(bm);
}

/*
 * A reset of the function (sysfs "reset", or error recovery) loses what
 * the card was programmed with. No file operation may run across it: wait
 * for those in progress (they hold lifetime), stop the card, and after the
 * reset program it again. Context: the PCI core holds the device lock.
 */
static void bm_reset_prepare(struct pci_dev *pdev)
{
	struct bm_dev *bm = pci_get_drvdata(pdev);

	bm_revoke(bm, -ECANCELED);
	down_write(&bm->lifetime);
	bm_reset_card(bm);
}

/*
 * After a reset of the function: a reset that failed is called done all
 * the same, so the card's own reset proves it quiet first. Then program
 * it again, and save the config space for the next link reset to restore
 * (pci_restore_state() may use a saved state up). Return 0 or -EIO.
 */
static int bm_reprogram(struct bm_dev *bm)
{
	if (bm_reset_card(bm))
		return -EIO;
	if (bm->ops->restart)
		bm->ops->restart(bm);
	pci_save_state(bm->pdev);
	pci_info(bm->pdev, "%s: programmed again after a reset\n", bm->name);
	return 0;
}

static void bm_reset_done(struct pci_dev *pdev)
{
	struct bm_dev *bm = pci_get_drvdata(pdev);

	bm_reprogram(bm);
	bm_revoke(bm, 0);
	up_write(&bm->lifetime);
}

/*
 * PCI error recovery (AER): the link reported an error, so the card may be
 * in any state, its DMA engines included. It is quarantined at once
 * (bm_quarantine.c): new requests fail, what it was given is kept. The
 * reset that recovery then asks for proves it quiet. Context: the PCI
 * core holds the device lock.
 */
static pci_ers_result_t bm_error_detected(struct pci_dev *pdev,
					  pci_channel_state_t state)
{
	struct bm_dev *bm = pci_get_drvdata(pdev);

	bm_quarantine(bm, "the link reported an error");
	if (state == pci_channel_io_perm_failure)
		return PCI_ERS_RESULT_DISCONNECT;
	/* Fatal (frozen): the core resets the link; else nothing is reset. */
	bm->err_link_reset = state == pci_channel_io_frozen;
	return PCI_ERS_RESULT_NEED_RESET;
}

/*
 * After a fatal error the core reset the link, and with it the card's
 * config space: restore it (saved at probe). After a non-fatal one the
 * link is up and nothing was reset. Either way the card's own reset must
 * then prove it quiet (a card that ignores it stays quarantined), and it
 * is programmed again. Not under @bm->lifetime, nor through
 * pci_reset_function_locked() (whose reset_prepare takes it): the core
 * holds pci_bus_sem here, which a reset through sysfs takes with lifetime
 * held (lockdep saw the cycle). New requests fail on the quarantined card
 * before they reach it; the card's ops serialize on its own lock.
 */
static pci_ers_result_t bm_slot_reset(struct pci_dev *pdev)
{
	struct bm_dev *bm = pci_get_drvdata(pdev);
	int ret;

	if (bm->err_link_reset)
		pci_restore_state(pdev);
	/* No transfer reaches the card between the lift and ->restart(). */
	bm_revoke(bm, -ECANCELED);
	ret = bm_reprogram(bm);
	bm_revoke(bm, 0);
	if (ret) {
		pci_err(pdev, "%s: did not stop after the error: it stays cut off\n",
			bm->name);
		return PCI_ERS_RESULT_DISCONNECT;
	}
	return PCI_ERS_RESULT_RECOVERED;
}

static void bm_resume(struct pci_dev *pdev)
{
	struct bm_dev *bm = pci_get_drvdata(pdev);

	pci_info(pdev, "%s: recovered from the error\n", bm->name);
}

static const struct pci_error_handlers bm_err_handlers = {
	.error_detected = bm_error_detected,
	.slot_reset = bm_slot_reset,
	.resume = bm_resume,
	.reset_prepare = bm_reset_prepare,
	.reset_done = bm_reset_done,
};

/*
 * Reboot, kexec, kdump: the next kernel must not inherit a card that is
 * still moving data into memory it now owns.
 */
static void bm_shutdown(struct pci_dev *pdev)
{
	struct bm_dev *bm = pci_get_drvdata(pdev);

	bm_reset_card(bm);
	pci_clear_master(pdev);
}

static const struct pci_device_id bm_pci_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8), .driver_data = (kernel_ulong_t)&bm_edu_ops },
	{ PCI_DEVICE(BMC_PCI_VENDOR, BMC_PCI_DEVICE),
	  .driver_data = (kernel_ulong_t)&bm_bmc_ops },
	{ }
};
MODULE_DEVICE_TABLE(pci, bm_pci_ids);

static struct pci_driver bm_pci_driver = {
	.name = BM_DRV_NAME,
	.id_table = bm_pci_ids,
	.probe = bm_probe,
	.remove = bm_remove,
	.shutdown = bm_shutdown,
	.err_handler = &bm_err_handlers,
};

static int __init bm_init(void)
{
	int ret;

	ret = bm_queue_module_init();
	if (ret)
		return ret;
	bm_debugfs_module_init();
	ret = pci_register_driver(&bm_pci_driver);
	if (ret) {
		bm_debugfs_module_exit();
		bm_queue_module_exit();
	}
	return ret;
}
module_init(bm_init);

static void __exit bm_exit(void)
{
	pci_unregister_driver(&bm_pci_driver);
	bm_debugfs_module_exit();
	bm_queue_module_exit();
}
module_exit(bm_exit);

MODULE_DESCRIPTION("Busmaster DMA: the Windows NT DMA model on the Linux DMA API");
MODULE_VERSION(BM_DRV_VERSION);
MODULE_LICENSE("GPL");
