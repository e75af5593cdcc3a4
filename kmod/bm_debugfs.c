// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: /sys/kernel/debug/busmaster/busmasterN/
 *
 * What the driver holds right now (pinned pages, map registers in use,
 * common buffers) and a few totals, so a test can prove nothing leaked;
 * the in-kernel self-test; and the card model's fault injection. Debug
 * interface: no ABI promise.
 */
#include <linux/debugfs.h>
#include <linux/random.h>
#include <linux/vmalloc.h>

#include "busmaster.h"

static struct dentry *bm_debugfs_root;

void bm_debugfs_module_init(void)
{
	bm_debugfs_root = debugfs_create_dir(BM_DRV_NAME, NULL);
	/* User pages mapped for some card now (bm_pages_claim()). */
	debugfs_create_atomic_t("claimed_pages", 0444, bm_debugfs_root,
				&bm_claimed_pages);
}

void bm_debugfs_module_exit(void)
{
	debugfs_remove_recursive(bm_debugfs_root);
}

/*
 * kernel_selftest: writing N moves N random bytes of vmalloc()ed memory to
 * card offset 0 and back through the transfer engine (the kernel-memory
 * path) and fails with EIO unless they come back equal; reading gives the
 * length the last successful run verified.
 */
static int bm_kselftest_get(void *data, u64 *val)
{
	struct bm_dev *bm = data;

	*val = READ_ONCE(bm->kselftest_verified);
	return 0;
}

struct bm_kept_vmalloc {
	struct bm_kept kept;
	void *buf;
};

static void bm_kept_vmalloc_release(struct bm_kept *k)
{
	struct bm_kept_vmalloc *kv = container_of(k, typeof(*kv), kept);

	vfree(kv->buf);
	kfree(kv);
}

/* vfree(), unless a quarantined card may yet write @buf. */
static void bm_kselftest_free(struct bm_dev *bm, void *buf)
{
	struct bm_kept_vmalloc *kv;

	if (buf && READ_ONCE(bm->quarantined)) {
		kv = kmalloc(sizeof(*kv), GFP_KERNEL);
		if (!kv)
			return;	/* leaked */
		kv->buf = buf;
		if (bm_keep(bm, &kv->kept, bm_kept_vmalloc_release))
			return;
		kfree(kv);
	}
	vfree(buf);
}

static int bm_kselftest_set(void *data, u64 len)
{
	struct bm_dev *bm = data;
	u8 *src, *dst;
	int ret;

	len = round_down(min_t(u64, len, bm->adapter.card_mem_size),
			 bm->adapter.alignment);
	if (!len || len > SZ_64M)
		return -EINVAL;
	src = vmalloc(len);
	dst = vzalloc(len);
	ret = -ENOMEM;
	if (src && dst) {
		get_random_bytes(src, len);
		ret = bm_transfer_kernel(bm, src, len, 0, false);
		if (!ret)
			ret = bm_transfer_kernel(bm, dst, len, 0, true);
		if (!ret && memcmp(src, dst, len))
			ret = -EIO;
	}
	WRITE_ONCE(bm->kselftest_verified, ret ? 0 : len);
	bm_kselftest_free(bm, dst);
	bm_kselftest_free(bm, src);
	return ret;
}
DEFINE_DEBUGFS_ATTRIBUTE(bm_kselftest_fops, bm_kselftest_get,
			 bm_kselftest_set, "%llu\n");

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
	debugfs_create_atomic_t("common_mappers", 0444, dir,
				&st->common_mappers);
	debugfs_create_atomic_t("common_buffers", 0444, dir,
				&st->common_buffers);
	debugfs_create_atomic_t("registered_bounce_pages", 0444, dir,
				&bm->adapter.registered_bounce.used);
	debugfs_create_atomic_t("zone_dma_pages", 0444, dir,
				&bm->adapter.zone_dma.used);
	debugfs_create_atomic_t("copy_buffer_pages", 0444, dir,
				&bm->adapter.copy_bufs.used);
	debugfs_create_atomic_t("transfers", 0444, dir, &st->transfers);
	debugfs_create_bool("quarantined", 0444, dir, &bm->quarantined);
	debugfs_create_atomic_t("kept", 0444, dir, &st->kept);
	/* A benchmark's peer design: a descriptor per page, none merged. */
	debugfs_create_bool("page_descriptors", 0600, dir, &bm->page_descriptors);
	debugfs_create_file_unsafe("kernel_selftest", 0600, dir, bm,
				   &bm_kselftest_fops);
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
