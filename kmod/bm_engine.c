// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: the queueing engine -- card transfers built, submitted,
 * waited for, and taken back from the card.
 *
 * NT4 ran one DMA request per adapter at a time; Windows 2000 gave each
 * request its own wait block, so many are pending on a device at once.
 * Here each card transfer (struct bm_xfer) is waited for on its own, and the
 * card model queues it behind whatever is already on the card: many
 * threads and processes keep all of a card's channels and their rings
 * busy at once, and nothing serializes them but the card's rings.
 *
 * A request (struct bm_request: one ioctl's transfer) is cut into card
 * transfers that fit the card's limits (bm_feed()); each is posted as soon
 * as it is filled (bm_xfer_submit()), behind the request's earlier ones on
 * the same channel, up to BM_REQUEST_DEPTH of them at once, so the card
 * never waits for the CPU between them. They are reaped in order: waited
 * for -- killably, up to the request's timeout each. On a timeout or a
 * fatal signal the card model takes the transfer back (->cancel()): its
 * channel is stopped and the other transfers queued there are posted
 * again, so one user's timeout fails no one else's transfer; the card
 * model ends the request's later transfers there without running them.
 * The pages are released only after that.
 *
 * Signals: the wait for the card is killable, not interruptible: a card
 * transfer is not abandoned for a signal the process survives. Between
 * card transfers any signal ends the request: one that moved nothing
 * restarts transparently (-ERESTARTSYS), one that moved bytes returns
 * EINTR with bytes_done.
 */
#include <linux/capability.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "busmaster.h"
#include "busmaster_trace.h"

unsigned int bm_timeout_ms = 5000;

BM_PARAM_UINT(timeout_ms, bm_timeout_ms, 1, BUSMASTER_TIMEOUT_MAX_MS, 0644);
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
	struct bm_request *rq = x->rq;
	unsigned long flags;

	trace_busmaster_xfer_done(x);
	if (x->error)
		WRITE_ONCE(rq->xfer_failed, true);
	/* Its waiter sees it over under the lock: after that @rq may be gone. */
	spin_lock_irqsave(&rq->lock, flags);
	x->over = true;
	wake_up(&rq->wait);
	spin_unlock_irqrestore(&rq->lock, flags);
	/* Room on the card for whoever waits for it. */
	if (wq_has_sleeper(&bm->xfer_wait))
		wake_up(&bm->xfer_wait);
}

/**
 * bm_xfer_posted - a card transfer is on the card's queue, about to start
 * @x: the transfer, its channel chosen
 *
 * For the tracepoints: called by the card model before the card can see
 * @x (before its doorbell), so that the event comes before its completion.
 *
 * Context: the card model's lock, interrupts off.
 */
void bm_xfer_posted(const struct bm_xfer *x)
{
	trace_busmaster_xfer_submit(x);
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
 * bm_request_interrupted - what a signal, or bm_request_stop(), ends a
 * request with
 * @rq: the request
 * Return: -ECANCELED when stopped; else -ERESTARTSYS when nothing moved yet
 * (the call restarts, or fails with EINTR if a handler says so), else
 * -EINTR (bytes_done tells).
 */
int bm_request_interrupted(struct bm_request *rq)
{
	if (READ_ONCE(rq->stop))
		return -ECANCELED;
	return rq->bytes_done ? -EINTR : -ERESTARTSYS;
}

/**
 * bm_request_stop - end a request from another thread, as a fatal signal
 * ends one in its caller's: every wait of the request ends, the card
 * transfer it waits for is taken back (->cancel()) -- after @rq->stop_grace,
 * unless it finished first -- and it fails with ECANCELED once the card is
 * done with its pages
 * @rq: the request, initialized; the caller keeps it from being freed
 *
 * Context: any process context.
 */
void bm_request_stop(struct bm_request *rq)
{
	struct bm_dev *bm = rq->bm;
	unsigned long flags;

	spin_lock_irqsave(&rq->lock, flags);
	WRITE_ONCE(rq->stop, true);
	wake_up(&rq->wait);
	spin_unlock_irqrestore(&rq->lock, flags);
	/* Whatever else it may wait for, with others: they look again. */
	wake_up_all(&bm->xfer_wait);
	wake_up_all(&bm->adapter.pool_wait);
	bm_pages_claim_wake();
}

/*
 * Wait until @x is over, or its timeout passed, or the request was stopped
 * and its stop_grace passed since; killable. Return 1 when over, else what
 * ->cancel() is to end it with: -ETIMEDOUT, -EINTR (killed) or -ECANCELED
 * (stopped).
 */
static int bm_xfer_wait(struct bm_request *rq, struct bm_xfer *x)
{
	long left = rq->timeout;
	bool stopping = false;
	DEFINE_WAIT(wait);
	int ret = 1;

	spin_lock_irq(&rq->lock);
	while (!x->over) {
		if (rq->stop && !stopping) {
			stopping = true;
			left = min_t(long, left, rq->stop_grace);
		}
		if (!left) {
			ret = stopping ? -ECANCELED : -ETIMEDOUT;
			break;
		}
		if (prepare_to_wait_event(&rq->wait, &wait, TASK_KILLABLE)) {
			ret = -EINTR;
			break;
		}
		spin_unlock_irq(&rq->lock);
		left = schedule_timeout(left);
		spin_lock_irq(&rq->lock);
	}
	finish_wait(&rq->wait, &wait);
	spin_unlock_irq(&rq->lock);
	return ret;
}

/* Queue @x on the card; false while the card has no room for it. */
static bool bm_xfer_post(struct bm_request *rq, struct bm_xfer *x, int *ret)
{
	struct bm_dev *bm = rq->bm;

	/* Behind the request's own transfers still on the card: in order. */
	x->follow = rq->posted != rq->reaped;
	x->chan = rq->chan;
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

/*
 * Wait for the request's oldest card transfer on the card and count it,
 * unless one before it failed: the card model ends those behind a failed
 * one without running them, as far as it can (->submit()).
 */
static void bm_xfer_reap(struct bm_request *rq)
{
	struct bm_xfer *x = &rq->xfers[rq->reaped % BM_REQUEST_DEPTH];
	struct bm_dev *bm = rq->bm;
	int ret;

	/* The card owns the pages until it is done or stopped. */
	ret = bm_xfer_wait(rq, x);
	if (ret < 0) {
		bm->ops->cancel(bm, x, ret);
		/* Not if it ended meanwhile: then it is over, with its result. */
		if (x->error == -ETIMEDOUT)
			atomic_inc(&bm->stats.timeouts);
		trace_busmaster_xfer_cancel(x, ret);
	}
	rq->reaped++;
	if (rq->failed)
		return;
	rq->transfers++;
	atomic_inc(&bm->stats.transfers);
	atomic64_inc(rq->from_card ? &bm->stats.transfers_from_card :
				     &bm->stats.transfers_to_card);
	atomic64_add(x->bytes_done, rq->from_card ? &bm->stats.bytes_from_card :
						    &bm->stats.bytes_to_card);
	rq->bytes_done += x->bytes_done;
	rq->card_status = x->card_status;
	ret = x->error;
	if (!ret)
		return;
	/* Ended by bm_revoke(): say why. */
	if (ret == -ECANCELED && READ_ONCE(bm->revoked))
		ret = READ_ONCE(bm->revoked);
	rq->failed = true;
	/* It comes before whatever stopped the feeding since: its error counts. */
	rq->error = ret;
}

/**
 * bm_xfer_submit - post the card transfer filled so far on the card
 * @rq: the request; its card offset advances
 *
 * It goes behind the request's transfers still on the card. With
 * BM_REQUEST_DEPTH of them there, or no room on the card, the oldest is
 * reaped first.
 *
 * Context: process context, may sleep; killable.
 */
void bm_xfer_submit(struct bm_request *rq)
{
	struct bm_xfer *x = &rq->xfers[rq->posted % BM_REQUEST_DEPTH];
	struct bm_dev *bm = rq->bm;
	int ret;

	if (!x->nsegs)
		return;
	/* Between card transfers, a signal ends the request. */
	if (!rq->error && (signal_pending(current) || READ_ONCE(rq->stop)))
		rq->error = bm_request_interrupted(rq);
	if (rq->error)
		goto out;
	x->from_card = rq->from_card;
	x->card_offset = rq->card_offset;
	x->bytes_done = 0;
	x->card_status = 0;
	x->error = 0;
	x->segs_done = 0;
	x->over = false;

	while (!bm_xfer_post(rq, x, &ret)) {
		/* No room behind our own transfers: wait for the oldest. */
		if (rq->posted != rq->reaped) {
			bm_xfer_reap(rq);
			if (rq->error)
				goto out;
			continue;
		}
		/* The rings are full of others' work: wait for a completion. */
		if (wait_event_interruptible(bm->xfer_wait,
					     bm_xfer_post(rq, x, &ret) ||
					     READ_ONCE(rq->stop)) || ret == -EBUSY)
			ret = bm_request_interrupted(rq);
		break;
	}
	/* Refused behind a failed one: that one's error is the request's. */
	if (ret == -ECANCELED && READ_ONCE(rq->xfer_failed))
		bm_request_drain(rq, rq->posted);
	if (ret) {
		rq->error = rq->error ?: ret;
		goto out;
	}
	rq->chan = x->chan;
	rq->posted++;
	rq->posted_bytes += x->length;
	rq->card_offset += x->length;
	if (rq->posted - rq->reaped == BM_REQUEST_DEPTH)
		bm_xfer_reap(rq);
	x = &rq->xfers[rq->posted % BM_REQUEST_DEPTH];
out:
	x->nsegs = 0;
	x->length = 0;
}

/**
 * bm_request_drain - wait until the request's first @seq card transfers
 * are over
 * @rq: the request
 * @seq: at most @rq->posted
 *
 * Context: process context, may sleep; killable.
 */
void bm_request_drain(struct bm_request *rq, u32 seq)
{
	while ((s32)(seq - rq->reaped) > 0)
		bm_xfer_reap(rq);
}

/**
 * bm_request_wait - wait until every card transfer of the request is over,
 * and settle its result
 * @rq: the request
 *
 * A request a signal stopped after bytes moved ends with EINTR, not
 * restarted; a short one without an error is a card bug (EIO).
 *
 * Context: process context, may sleep; killable.
 */
void bm_request_wait(struct bm_request *rq)
{
	bm_xfer_submit(rq);
	bm_request_drain(rq, rq->posted);
	if (rq->error == -ERESTARTSYS && rq->bytes_done)
		rq->error = -EINTR;
	if (!rq->error && rq->bytes_done != rq->posted_bytes)
		rq->error = -EIO;
}

/**
 * bm_feed - append a bus address range to the request's card transfers
 * @rq: the request
 * @addr: bus address
 * @len: bytes
 *
 * Cut to the card's limits -- segment size, transfer size, and the address
 * boundary no segment may cross (a run of physically contiguous pages
 * knows nothing of it); each card transfer that fills up is posted. A
 * card transfer's segment array is allocated when first filled: without
 * memory, -ENOMEM is the request's error.
 *
 * Context: process context, may sleep.
 */
void bm_feed(struct bm_request *rq, dma_addr_t addr, u64 len)
{
	const struct bm_adapter *ad = &rq->bm->adapter;

	while (len && !rq->error) {
		struct bm_xfer *x = &rq->xfers[rq->posted % BM_REQUEST_DEPTH];
		u64 piece = min3(len, ad->max_segment_size,
				 ad->max_transfer_size - x->length);

		if (!x->segs) {
			x->segs = kvmalloc_array(ad->max_segments,
						 sizeof(*x->segs), GFP_KERNEL);
			if (!x->segs) {
				rq->error = -ENOMEM;
				break;
			}
		}
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
			bm_xfer_submit(rq);
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

/**
 * bm_caller_timeout_ms - the timeout the calling process gets for its
 * request's card transfers
 * @timeout_ms: what it asked for (0: the module's default)
 *
 * A caller without CAP_SYS_ADMIN gets at least BUSMASTER_TIMEOUT_MIN_MS: a
 * timeout stops a channel and restarts what else was queued on it, which
 * no unprivileged user should be able to do every millisecond. Decided in
 * the caller: a worker running its request later has other credentials.
 *
 * Context: process context, the requesting process.
 * Return: milliseconds, at least 1.
 */
u64 bm_caller_timeout_ms(u64 timeout_ms)
{
	u64 ms = timeout_ms ?: READ_ONCE(bm_timeout_ms);

	if (ms < BUSMASTER_TIMEOUT_MIN_MS &&
	    !ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN))
		ms = BUSMASTER_TIMEOUT_MIN_MS;
	return ms;
}

/**
 * bm_request_init - set up a request
 * @rq: the request
 * @bm: the card
 * @from_card: card -> memory
 * @card_offset: where in card memory it starts
 * @timeout_ms: time one card transfer may take, as bm_caller_timeout_ms()
 *	decided it for the requesting process (a worker running the request
 *	has other credentials)
 *
 * Nothing is allocated yet: a card transfer's segments and a chunk's page
 * array are allocated when first used (most requests use one of each, or
 * none), and kept until bm_request_fini().
 *
 * Context: any context; the request is then moved and finished in process
 * context.
 */
void bm_request_init(struct bm_request *rq, struct bm_dev *bm, bool from_card,
		     u64 card_offset, u64 timeout_ms)
{
	int i;

	memset(rq, 0, sizeof(*rq));
	rq->bm = bm;
	rq->id = atomic_inc_return(&bm->request_ids);
	atomic64_inc(&bm->stats.requests);
	atomic_inc(&bm->stats.requests_in_flight);
	rq->from_card = from_card;
	rq->dir = from_card ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	rq->card_offset = card_offset;
	rq->timeout = msecs_to_jiffies(timeout_ms);
	spin_lock_init(&rq->lock);
	init_waitqueue_head(&rq->wait);
	for (i = 0; i < BM_REQUEST_DEPTH; i++) {
		INIT_LIST_HEAD(&rq->xfers[i].node);
		rq->xfers[i].rq = rq;
	}
}

/**
 * bm_request_fini - free what the request allocated
 * @rq: the request, none of its card transfers on the card
 */
void bm_request_fini(struct bm_request *rq)
{
	int i;

	WARN_ON_ONCE(rq->posted != rq->reaped);
	if (rq->error && rq->error != -ERESTARTSYS)
		atomic64_inc(&rq->bm->stats.requests_failed);
	atomic_dec(&rq->bm->stats.requests_in_flight);
	for (i = 0; i < BM_REQUEST_DEPTH; i++)
		kvfree(rq->xfers[i].segs);
	for (i = 0; i < BM_REQUEST_CHUNKS; i++)
		kvfree(rq->chunks[i].pages);
}
