// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: /dev/busmasterN, the file interface to one card.
 *
 * Every ioctl is described once in bm_ioctl_ops[]: the size of its struct
 * and the smallest size an older caller may pass. bm_ioctl() copies the
 * argument in with copy_struct_from_user() and checks the card is still
 * there before any handler runs, and copies the answer back only when the
 * handler succeeded, so a refused call changes nothing. A call that creates
 * something publishes its handle only after that copy succeeded.
 */
#include <linux/error-injection.h>
#include <linux/fs.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "busmaster.h"

static int bm_open(struct inode *inode, struct file *file)
{
	struct bm_dev *bm = container_of(file->private_data, struct bm_dev, misc);
	struct bm_file *bf;

	bf = kzalloc(sizeof(*bf), GFP_KERNEL);
	if (!bf)
		return -ENOMEM;
	/* misc_open() holds misc_mtx, so remove() cannot free @bm meanwhile. */
	bm_dev_get(bm);
	bf->bm = bm;
	xa_init_flags(&bf->commons, XA_FLAGS_ALLOC1);
	xa_init_flags(&bf->regbufs, XA_FLAGS_ALLOC1);
	bm_queue_init(bf);
	bm_copy_buf_init(&bf->copy);
	file->private_data = bf;
	return 0;
}

/* Every close() of a descriptor, and exit: the queue's owner cancels. */
static int bm_flush(struct file *file, fl_owner_t id)
{
	bm_queue_flush(file->private_data);
	return 0;
}

static __poll_t bm_poll(struct file *file, struct poll_table_struct *pt)
{
	return bm_queue_poll(file->private_data, file, pt);
}

static int bm_release(struct inode *inode, struct file *file)
{
	struct bm_file *bf = file->private_data;

	/* First: requests in flight hold the buffers released below. */
	bm_queue_release(bf);
	bm_regbuf_release_all(bf);
	bm_common_release_all(bf);
	bm_copy_buf_release(bf->bm, &bf->copy);
	bm_dev_put(bf->bm);
	kfree(bf);
	return 0;
}

/**
 * bm_handle_reserve - reserve a handle in a file's table, before the object
 * it will name is built (so a full table costs nothing)
 * @handles: the table (XA_FLAGS_ALLOC1)
 * @max: the largest handle allowed
 * @handle: out: the handle; lookups find nothing there until bm_ioctl()
 *	publishes the object, and a failing creator calls xa_release()
 *
 * Context: process context, may sleep.
 * Return: 0, -EMFILE when @max handles are in use, or -ENOMEM.
 */
int bm_handle_reserve(struct xarray *handles, u32 max, u32 *handle)
{
	int ret = xa_alloc(handles, handle, NULL, XA_LIMIT(1, max), GFP_KERNEL);

	return ret == -EBUSY ? -EMFILE : ret;
}

/* fail_function may fail it, so fail-nth tests reach the callers' unwinding. */
ALLOW_ERROR_INJECTION(bm_handle_reserve, ERRNO);

/**
 * bm_handle_take - remove a published object from a file's table
 * @handles: the table
 * @handle: what the caller gave
 *
 * A handle still reserved by a call in progress names nothing and stays
 * reserved: its creator alone publishes or releases it.
 * Context: process context; takes the table's lock.
 * Return: the object (the table's reference now the caller's), or NULL.
 */
void *bm_handle_take(struct xarray *handles, u32 handle)
{
	void *obj;

	xa_lock(handles);
	obj = xa_load(handles, handle);
	if (obj)
		__xa_erase(handles, handle);
	xa_unlock(handles);
	return obj;
}

/*
 * Publish what the call created once the caller holds its handle (or its
 * id, or its records), or, if the answer could not be written back
 * (-EFAULT), release the handle and destroy the object: the call failed,
 * so it leaves nothing behind.
 */
static void bm_ioctl_settle(struct bm_ioctl_ctx *ctx, long ret)
{
	if (!ctx->created)
		return;
	if (ctx->publish) {
		(ret ? ctx->destroy : ctx->publish)(ctx->created);
		return;
	}
	if (!ret) {
		/* The slot is reserved: storing there allocates nothing. */
		void *old = xa_store(ctx->handles, ctx->handle, ctx->created,
				     GFP_KERNEL);

		WARN_ON_ONCE(old);	/* an error, or a published entry */
		return;
	}
	xa_release(ctx->handles, ctx->handle);
	ctx->destroy(ctx->created);
}

/*
 * Not under bm->lifetime: mmap_lock is held here, and transfers take
 * mmap_lock (pinning, faults) under lifetime. A common buffer holds its
 * own device reference.
 */
static int bm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct bm_file *bf = file->private_data;

	if (!READ_ONCE(bf->bm->pdev))
		return -ENODEV;
	return bm_common_mmap(bf, vma);
}

/*
 * BUSMASTER_IOCTL_INFO: report the adapter description.
 * Context: bm->lifetime held for read, the card present.
 */
static int bm_ioctl_info(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_info *info = arg;
	struct bm_dev *bm = bf->bm;
	const struct bm_adapter *ad = &bm->adapter;
	struct pci_dev *pdev = bm->pdev;

	if (info->flags || info->reserved)
		return -EINVAL;

	info->abi_version = BUSMASTER_ABI_VERSION;
	info->card_model = bm->ops->model;
	info->pci_vendor = pdev->vendor;
	info->pci_device = pdev->device;
	info->pci_revision = pdev->revision;
	info->irq_mode = bm->irq_mode;
	info->irq_vectors = bm->irq_vectors;
	strscpy_pad(info->pci_slot, bm->slot, sizeof(info->pci_slot));
	strscpy_pad(info->driver_version, BM_DRV_VERSION,
		    sizeof(info->driver_version));

	info->card_addr_bits = ad->card_addr_bits;
	info->dma_addr_bits = ad->dma_addr_bits;
	info->caps = (ad->scatter_gather ? BUSMASTER_CAP_SCATTER_GATHER : 0) |
		     (ad->card_mem_bar ? BUSMASTER_CAP_CARD_MEM_BAR : 0);
	info->alignment = ad->alignment;
	info->max_segments = ad->max_segments;
	info->dma_channels = ad->dma_channels;
	info->max_segment_size = ad->max_segment_size;
	info->max_transfer_size = ad->max_transfer_size;
	info->card_mem_size = ad->card_mem_size;
	info->bounce = ad->bounce;
	info->map_registers = ad->map_registers;
	info->common_max = ad->common_max;
	info->seg_boundary = ad->seg_boundary;
	return 0;
}

/**
 * struct bm_ioctl_op - one ioctl command
 * @size: sizeof the command's struct as this driver knows it
 * @min_size: offsetofend() of the last field of the command's first version
 * @unlocked: runs without the card's lifetime lock, also after removal
 *	(it touches only the file's queue, and may sleep for long)
 * @execute: the handler; returns 0 or a negative errno. The argument is
 *	copied back on success, and on failure if the handler set
 *	@ctx->respond; what it created is published after that (struct
 *	bm_ioctl_ctx).
 */
struct bm_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	bool unlocked;
	int (*execute)(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
};

#define BM_IOCTL_OP(_nr, _fn, _struct, _last)				\
	[(_nr) - BUSMASTER_CMD_BASE] = {				\
		.size = sizeof(_struct),				\
		.min_size = offsetofend(_struct, _last),		\
		.execute = _fn,						\
	}
#define BM_IOCTL_OP_UNLOCKED(_nr, _fn, _struct, _last)			\
	[(_nr) - BUSMASTER_CMD_BASE] = {				\
		.size = sizeof(_struct),				\
		.min_size = offsetofend(_struct, _last),		\
		.unlocked = true,					\
		.execute = _fn,						\
	}

static const struct bm_ioctl_op bm_ioctl_ops[] = {
	BM_IOCTL_OP(BUSMASTER_CMD_INFO, bm_ioctl_info, struct busmaster_info,
		    map_registers),
	BM_IOCTL_OP(BUSMASTER_CMD_TRANSFER, bm_ioctl_transfer,
		    struct busmaster_transfer, transfers),
	BM_IOCTL_OP(BUSMASTER_CMD_COMMON_ALLOC, bm_ioctl_common_alloc,
		    struct busmaster_common_alloc, mmap_offset),
	BM_IOCTL_OP(BUSMASTER_CMD_COMMON_FREE, bm_ioctl_common_free,
		    struct busmaster_common_free, reserved),
	BM_IOCTL_OP(BUSMASTER_CMD_REGISTER, bm_ioctl_register,
		    struct busmaster_register, reserved),
	BM_IOCTL_OP(BUSMASTER_CMD_UNREGISTER, bm_ioctl_unregister,
		    struct busmaster_unregister, reserved),
	BM_IOCTL_OP(BUSMASTER_CMD_SYNC, bm_ioctl_sync, struct busmaster_sync,
		    length),
	BM_IOCTL_OP(BUSMASTER_CMD_TRANSFERV, bm_ioctl_transferv,
		    struct busmaster_transferv, transfers),
	BM_IOCTL_OP(BUSMASTER_CMD_SUBMIT, bm_ioctl_submit,
		    struct busmaster_submit, id),
	BM_IOCTL_OP_UNLOCKED(BUSMASTER_CMD_REAP, bm_ioctl_reap,
			     struct busmaster_reap, in_flight),
	BM_IOCTL_OP_UNLOCKED(BUSMASTER_CMD_CANCEL, bm_ioctl_cancel,
			     struct busmaster_cancel, reserved),
	BM_IOCTL_OP_UNLOCKED(BUSMASTER_CMD_QUEUE, bm_ioctl_queue,
			     struct busmaster_queue, in_flight),
};

/* Big enough for the argument of any command. */
union bm_ioctl_buffer {
	struct busmaster_info info;
	struct busmaster_transfer transfer;
	struct busmaster_common_alloc common_alloc;
	struct busmaster_common_free common_free;
	struct busmaster_register reg;
	struct busmaster_unregister unreg;
	struct busmaster_sync sync;
	struct busmaster_transferv transferv;
	struct busmaster_submit submit;
	struct busmaster_reap reap;
	struct busmaster_cancel cancel;
	struct busmaster_queue queue;
};

static long bm_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	struct bm_file *bf = file->private_data;
	struct bm_dev *bm = bf->bm;
	void __user *argp = (void __user *)uarg;
	const struct bm_ioctl_op *op;
	union bm_ioctl_buffer buf;
	struct bm_ioctl_ctx ctx = { };
	unsigned int nr;
	u32 usize;
	long ret;

	if (_IOC_TYPE(cmd) != BUSMASTER_IOCTL_TYPE || _IOC_SIZE(cmd) ||
	    _IOC_DIR(cmd) != _IOC_NONE)
		return -ENOTTY;
	nr = _IOC_NR(cmd);
	if (nr < BUSMASTER_CMD_BASE ||
	    nr - BUSMASTER_CMD_BASE >= ARRAY_SIZE(bm_ioctl_ops))
		return -ENOTTY;
	op = &bm_ioctl_ops[array_index_nospec(nr - BUSMASTER_CMD_BASE,
					      ARRAY_SIZE(bm_ioctl_ops))];
	if (!op->execute)
		return -ENOTTY;

	if (get_user(usize, (u32 __user *)argp))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(&buf, op->size, argp, usize);
	if (ret)
		return ret;

	if (op->unlocked) {
		ret = op->execute(bf, &buf, &ctx);
	} else {
		down_read(&bm->lifetime);
		if (!bm->pdev)
			ret = -ENODEV;
		else
			ret = op->execute(bf, &buf, &ctx);
		up_read(&bm->lifetime);
	}

	if ((!ret || ctx.respond) && copy_to_user(argp, &buf, min(usize, op->size)))
		ret = -EFAULT;
	bm_ioctl_settle(&ctx, ret);
	return ret;
}

static const struct file_operations bm_fops = {
	.owner = THIS_MODULE,
	.open = bm_open,
	.flush = bm_flush,
	.release = bm_release,
	.poll = bm_poll,
	.uring_cmd = bm_uring_cmd,
	.unlocked_ioctl = bm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = bm_mmap,
	.llseek = noop_llseek,
};

/**
 * bm_chardev_register - create /dev/busmasterN
 * @bm: the card, fully set up
 * Return: 0 or a negative errno.
 */
int bm_chardev_register(struct bm_dev *bm)
{
	bm->misc.minor = MISC_DYNAMIC_MINOR;
	bm->misc.name = bm->name;
	bm->misc.fops = &bm_fops;
	bm->misc.parent = &bm->pdev->dev;
	bm->misc.groups = bm_sysfs_groups;
	return misc_register(&bm->misc);
}

/**
 * bm_chardev_unregister - remove /dev/busmasterN; open files stay valid
 * @bm: the card
 */
void bm_chardev_unregister(struct bm_dev *bm)
{
	misc_deregister(&bm->misc);
}
