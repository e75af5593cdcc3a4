// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: the queueing engine -- card transfers built, submitted,
 * waited for, and taken back from the card.
 *
 * NT4 ran one DMA request per adapter at a time; Windows 2000 gave each
 * request its own wait block, so many are pending on a device at once.
 * Here each card transfer (struct bm_xfer) has its own completion, and the
 * card model queues it behind whatever is already on the card: many
 * threads and processes keep all of a card's channels and their rings
 * busy at once, and nothing serializes them but the card's rings.
 *
 * A request (struct bm_request: one ioctl's transfer) is cut into card
 * transfers that fit the card's limits (bm_feed()); each is run in turn
 * (bm_xfer_run()): submitted, then waited for -- killably, up to the
 * request's timeout. On a timeout or a fatal signal the card model takes
 * the transfer back (->cancel()): its channel is stopped and the other
 * transfers queued there are posted again, so one user's timeout fails
 * no one else's transfer. The pages are released only after that.
 *
 * Signals: the wait for the card is killable, not interruptible: a card
 * transfer is not abandoned for a signal the process survives. Between
 * card transfers any signal ends the request: one that moved nothing
 * restarts transparently (-ERESTARTSYS), one that moved bytes returns
 * EINTR with bytes_done.
 */
#include <linux/capability.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "busmaster.h"

unsigned int bm_timeout_ms = 5000;

static int bm_timeout_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, BUSMASTER_TIMEOUT_MAX_MS);
}

static const struct kernel_param_ops bm_timeout_ops = {
	.set = bm_timeout_set,
	.get = param_get_uint,
};
module_param_cb(timeout_ms, &bm_timeout_ops, &bm_timeout_ms, 0644);
MODULE_PARM_DESC(timeout_ms,
		 "Default time one card transfer may take before its channel is stopped (ms, 1..600000)");

/**
 * bm_xfer_done - the card finished with a card transfer
 * @bm: the card
 * @x: the transfer, its results filled in, off the card
 *
 * Context: any; called by the card model, usually from its interrupt.
 */
void bm_xfer_done(struct bm_dev *bm, struct bm_xfer *x)
{
	complete(&x->done);
	/* Room on the card for whoever waits for it. */
	if (wq_has_sleeper(&bm->xfer_wait))
		wake_up(&bm->xfer_wait);
}

/* Queue @x on the card; false while the card has no room for it. */
static bool bm_xfer_post(struct bm_dev *bm, struct bm_xfer *x, int *ret)
{
	spin_lock(&bm->submit_lock);
	if (bm->revoked)
		*ret = bm->revoked;
	else if (READ_ONCE(bm->quarantined))
		*ret = -ESHUTDOWN;	/* cut off the bus: nothing more for it */
	else
		*ret = bm->ops->submit(bm, x);
	spin_unlock(&bm->submit_lock);
	return *ret != -EBUSY;
}

/**
 * bm_revoke - refuse new card transfers, and end those on the card
 * @bm: the card, present
 * @error: what they fail with: -ENODEV (remove()), -ECANCELED (a reset
 *	of the function), 0 to take transfers again
 *
 * Before remove() or a reset waits for the file operations in progress:
 * none of them is then left waiting on the card, for room on it or for
 * map registers. The card's ->reset() ends what is on it (ECANCELED,
 * reported as @error).
 *
 * Context: process context, @bm->lifetime not held for write.
 */
void bm_revoke(struct bm_dev *bm, int error)
{
	spin_lock(&bm->submit_lock);
	bm->revoked = error;
	spin_unlock(&bm->submit_lock);
	if (!error)
		return;
	wake_up_all(&bm->xfer_wait);
	wake_up_all(&bm->adapter.pool_wait);
	bm_reset_card(bm);
}

/**
 * bm_request_interrupted - what a signal ends a request with
 * @rq: the request
 * Return: -ERESTARTSYS when nothing moved yet (the call restarts, or fails
 * with EINTR if a handler says so), else -EINTR (bytes_done tells).
 */
int bm_request_interrupted(struct bm_request *rq)
{
	return rq->bytes_done ? -EINTR : -ERESTARTSYS;
}

/**
 * bm_xfer_run - submit the card transfer filled so far and wait until it
 * is over: done, failed, or timed out or abandoned and taken back from the
 * card
 * @rq: the request; its results and card offset advance
 *
 * Context: process context, may sleep; killable.
 */
void bm_xfer_run(struct bm_request *rq)
{
	struct bm_dev *bm = rq->bm;
	struct bm_xfer *x = &rq->xfer;
	long left;
	int ret;

	if (!x->nsegs || rq->error)
		return;
	/* Between card transfers, a signal ends the request. */
	if (signal_pending(current)) {
		rq->error = bm_request_interrupted(rq);
		return;
	}
	x->from_card = rq->from_card;
	x->card_offset = rq->card_offset;
	x->bytes_done = 0;
	x->card_status = 0;
	x->error = 0;
	x->segs_done = 0;
	reinit_completion(&x->done);

	/* The rings are full: wait for a completion to make room. */
	if (wait_event_interruptible(bm->xfer_wait, bm_xfer_post(bm, x, &ret)))
		ret = bm_request_interrupted(rq);
	if (!ret) {
		rq->given = true;
		/* The card owns the pages until it is done or stopped. */
		left = wait_for_completion_killable_timeout(&x->done, rq->timeout);
		if (left <= 0)
			bm->ops->cancel(bm, x, left ? -EINTR : -ETIMEDOUT);
		ret = x->error;
		/* Ended by bm_revoke(): say why. */
		if (ret == -ECANCELED && READ_ONCE(bm->revoked))
			ret = READ_ONCE(bm->revoked);
		rq->bytes_done += x->bytes_done;
		rq->card_status = x->card_status;
		rq->transfers++;
		atomic_inc(&bm->stats.transfers);
	}
	rq->card_offset += x->length;
	x->nsegs = 0;
	x->length = 0;
	rq->error = ret;
}

/**
 * bm_feed - append a bus address range to the request's card transfers
 * @rq: the request
 * @addr: bus address
 * @len: bytes
 *
 * Cut to the card's limits -- segment size, transfer size, and the address
 * boundary no segment may cross (a run of physically contiguous pages
 * knows nothing of it); each card transfer that fills up is run.
 */
void bm_feed(struct bm_request *rq, dma_addr_t addr, u64 len)
{
	const struct bm_adapter *ad = &rq->bm->adapter;
	struct bm_xfer *x = &rq->xfer;

	while (len && !rq->error) {
		u64 piece = min3(len, ad->max_segment_size,
				 ad->max_transfer_size - x->length);

		if (ad->seg_boundary)
			piece = min(piece, ad->seg_boundary -
					   (addr & (ad->seg_boundary - 1)));

		x->segs[x->nsegs].addr = addr;
		x->segs[x->nsegs].len = piece;
		x->nsegs++;
		x->length += piece;
		addr += piece;
		len -= piece;
		if (x->nsegs == ad->max_segments ||
		    x->length == ad->max_transfer_size)
			bm_xfer_run(rq);
	}
}

/**
 * bm_feed_sgtable - feed [@offset, @offset + @len) of a mapped sg_table
 * @rq: the request
 * @sgt: mapped for the card
 * @offset: bytes into it
 * @len: bytes
 */
void bm_feed_sgtable(struct bm_request *rq, struct sg_table *sgt, u64 offset,
		     u64 len)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 seg = sg_dma_len(sg), n;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		n = min(seg - offset, len);
		bm_feed(rq, sg_dma_address(sg) + offset, n);
		offset = 0;
		len -= n;
		if (!len)
			break;
	}
}

/*
 * The shortest timeout a caller without CAP_SYS_ADMIN gets: a timeout
 * stops a channel and restarts what else was queued on it, which no
 * unprivileged user should be able to do every millisecond.
 */
static unsigned long bm_timeout(u64 timeout_ms)
{
	u64 ms = timeout_ms ?: READ_ONCE(bm_timeout_ms);

	if (ms < BUSMASTER_TIMEOUT_MIN_MS &&
	    !ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN))
		ms = BUSMASTER_TIMEOUT_MIN_MS;
	return msecs_to_jiffies(ms);
}

/**
 * bm_request_init - set up a request
 * @rq: the request
 * @bm: the card
 * @from_card: card -> memory
 * @card_offset: where in card memory it starts
 * @timeout_ms: time one card transfer may take (0: the module's default;
 *	raised to BUSMASTER_TIMEOUT_MIN_MS for callers without CAP_SYS_ADMIN)
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM; bm_request_fini() in either case.
 */
int bm_request_init(struct bm_request *rq, struct bm_dev *bm, bool from_card,
		    u64 card_offset, u64 timeout_ms)
{
	const struct bm_adapter *ad = &bm->adapter;

	memset(rq, 0, sizeof(*rq));
	rq->bm = bm;
	rq->from_card = from_card;
	rq->dir = from_card ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	rq->card_offset = card_offset;
	rq->timeout = bm_timeout(timeout_ms);
	init_completion(&rq->xfer.done);
	INIT_LIST_HEAD(&rq->xfer.node);
	rq->pages = kvmalloc_array(ad->map_registers, sizeof(*rq->pages),
				   GFP_KERNEL);
	rq->xfer.segs = kvmalloc_array(ad->max_segments, sizeof(*rq->xfer.segs),
				       GFP_KERNEL);
	return rq->pages && rq->xfer.segs ? 0 : -ENOMEM;
}

/**
 * bm_request_fini - free what bm_request_init() allocated
 * @rq: the request, no card transfer of it on the card
 */
void bm_request_fini(struct bm_request *rq)
{
	kvfree(rq->xfer.segs);
	kvfree(rq->pages);
}
