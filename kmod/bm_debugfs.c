// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: /sys/kernel/debug/busmaster/busmasterN/
 *
 * What the driver holds right now (pinned pages, map registers in use,
 * common buffers) and a few totals, so a test can prove nothing leaked;
 * and the card model's fault injection. Debug interface: no ABI promise.
 */
#include <linux/debugfs.h>

#include "busmaster.h"

static struct dentry *bm_debugfs_root;

void bm_debugfs_module_init(void)
{
	bm_debugfs_root = debugfs_create_dir(BM_DRV_NAME, NULL);
}

void bm_debugfs_module_exit(void)
{
	debugfs_remove_recursive(bm_debugfs_root);
}

/* Context: probe, after the card is set up. */
void bm_debugfs_add(struct bm_dev *bm)
{
	struct bm_stats *st = &bm->stats;
	struct dentry *dir;

	dir = debugfs_create_dir(bm->name, bm_debugfs_root);
	bm->debugfs = dir;
	debugfs_create_atomic_t("pinned_pages", 0444, dir, &st->pinned_pages);
	debugfs_create_atomic_t("map_registers_used", 0444, dir,
				&st->map_registers_used);
	debugfs_create_atomic_t("map_register_waits", 0444, dir,
				&st->map_register_waits);
	debugfs_create_atomic_t("common_buffers", 0444, dir,
				&st->common_buffers);
	debugfs_create_atomic_t("transfers", 0444, dir, &st->transfers);
	if (bm->ops->debugfs_init)
		bm->ops->debugfs_init(bm, dir);
}

/*
 * Context: remove(), before the registers go; debugfs waits for file
 * operations in progress.
 */
void bm_debugfs_remove(struct bm_dev *bm)
{
	debugfs_remove_recursive(bm->debugfs);
	bm->debugfs = NULL;
}
