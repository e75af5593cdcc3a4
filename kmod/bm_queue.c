// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: asynchronous requests -- the Windows 2000 model of many IRPs
 * pending on a device at once, each completing on its own (IoCallDriver
 * returning STATUS_PENDING, IoCompleteRequest, IoCancelIrp).
 *
 *   SUBMIT   checks a request as TRANSFER does, pins its user memory in
 *            the caller (faults are the caller's own, killable), charges
 *            it to RLIMIT_MEMLOCK and queues it on the file's queue
 *   workers  a card runs card_running requests at once, taken from its
 *            files' queues in turn (round robin), each through the same
 *            engine as TRANSFER, in a workqueue worker
 *   REAP     completion records out, oldest first; poll() says when
 *   CANCEL   queued: completed at once; running: bm_request_stop(), which
 *            ends it as a fatal signal ends a TRANSFER
 *
 * A request (struct bm_async) belongs to its file's queue from SUBMIT to
 * REAP, and is on one of its lists: queued, running (a worker's), done.
 * Between lists -- taken by a worker, or being cancelled -- the queue
 * counts it in @held; the owner's flush (close, exit) and release() wait
 * until @held is 0, so no worker holds a request of a file that is gone.
 * Locks: the card's queue_lock (which files have queued requests), then a
 * queue's lock (its lists and counts); neither is held across sleeping.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "bm_compat.h"
#include "busmaster.h"
#include "busmaster_trace.h"

static unsigned int bm_card_running = 16;

BM_PARAM_UINT(card_running, bm_card_running, 2, 256, 0444);
MODULE_PARM_DESC(card_running,
		 "Asynchronous requests one card runs at once, from all its files (2..256, at most half for one user); the others wait in their queues");

static struct workqueue_struct *bm_wq;

enum bm_async_state {
	BM_ASYNC_NEW,		/* being submitted: not findable yet */
	BM_ASYNC_QUEUED,	/* on @queued */
	BM_ASYNC_RUNNING,	/* on @running, a worker's */
	BM_ASYNC_ENDING,	/* cancelled while queued: its buffers going */
	BM_ASYNC_DONE,		/* on @done, to be reaped */
};

/* One user range of a request, pinned at SUBMIT. */
struct bm_async_range {
	struct page **pages;
	unsigned int npages;
	unsigned int in_page;	/* where its data starts in pages[0] */
	u64 len;
};

/*
 * The user pages a request pinned, and their charge: given back when it
 * ends, or kept while a quarantined card may still write them.
 */
struct bm_async_pins {
	struct bm_kept kept;
	struct bm_dev *bm;
	struct bm_charge charge;
	bool dirty;
	unsigned int nranges;
	struct bm_async_range r[];
};

/**
 * struct bm_async - one asynchronous request (NT: a pending IRP)
 * @node: in its queue's @queued, @running or @done
 * @q: its queue
 * @id: its id in the file
 * @state: enum bm_async_state, under @q->lock
 * @from_card: direction
 * @no_sync: BUSMASTER_XFER_NO_SYNC
 * @kind: enum bm_request_kind
 * @addr: offset in @common or @rbuf
 * @length: bytes
 * @card_offset: where in card memory
 * @timeout_ms: per card transfer, with the caller's floor applied
 * @stop_grace: @rq's stop_grace, decided for the caller
 * @common: the common buffer moved, referenced
 * @rbuf: the registered buffer moved, referenced
 * @pins: the user memory moved
 * @bound: its SUBMIT is counted in @q->binding
 * @started: @rq is initialized: CANCEL stops it (under @q->lock)
 * @cancelled: CANCEL, close or exit asked it to end (under @q->lock)
 * @ioucmd: submitted through io_uring: completed in its CQE, not reaped
 * @rq: the request while it runs
 * @result: its completion record
 */
struct bm_async {
	struct list_head node;
	struct bm_queue *q;
	u32 id;
	enum bm_async_state state;
	bool from_card;
	bool no_sync;
	enum bm_request_kind kind;
	u64 addr;
	u64 length;
	u64 card_offset;
	u64 timeout_ms;
	unsigned long stop_grace;
	struct bm_common *common;
	struct bm_regbuf *rbuf;
	struct bm_async_pins *pins;
	bool bound;
	bool started;
	bool cancelled;
	struct io_uring_cmd *ioucmd;
	struct bm_request rq;
	struct busmaster_completion result;
};

/**
 * struct bm_worker - one of a card's card_running workers: runs queued
 * requests of its card, in turn between files, until none is left
 * @work: on bm_wq while busy
 * @bm: the card; a reference is held while busy
 * @node: in @bm->idle_workers while idle
 */
struct bm_worker {
	struct work_struct work;
	struct bm_dev *bm;
	struct list_head node;
};

static void bm_async_pins_free(struct bm_kept *k)
{
	struct bm_async_pins *p = container_of(k, struct bm_async_pins, kept);
	unsigned int i;

	for (i = 0; i < p->nranges; i++) {
		unpin_user_pages_dirty_lock(p->r[i].pages, p->r[i].npages,
					    p->dirty);
		atomic_sub(p->r[i].npages, &p->bm->stats.pinned_pages);
		kvfree(p->r[i].pages);
	}
	bm_uncharge_pinned(&p->charge);
	kvfree(p);
}

/* Give back what the request holds; a quarantined card keeps pages it had. */
static void bm_async_release(struct bm_async *a, bool on_card)
{
	struct bm_async_pins *p = a->pins;

	if (p && !(on_card && READ_ONCE(p->bm->quarantined) &&
		   bm_keep(p->bm, &p->kept, bm_async_pins_free)))
		bm_async_pins_free(&p->kept);
	a->pins = NULL;
	if (a->common)
		bm_common_put(a->common);
	a->common = NULL;
	if (a->rbuf)
		bm_regbuf_put(a->rbuf);
	a->rbuf = NULL;
}

static void bm_uring_complete(struct io_uring_cmd *ioucmd,
			      unsigned int issue_flags);

/* The request is over: its completion is published and its waiters woken. */
static void bm_async_complete(struct bm_async *a, bool on_card)
{
	struct io_uring_cmd *ioucmd = a->ioucmd;
	struct bm_queue *q = a->q;

	bm_async_release(a, on_card);
	spin_lock(&q->lock);
	a->state = BM_ASYNC_DONE;
	if (ioucmd) {
		/* Its CQE is its completion: it leaves the queue now. */
		list_del_init(&a->node);
		q->in_flight--;
	} else {
		list_move_tail(&a->node, &q->done);
		q->ndone++;
	}
	q->held--;
	/* Under the lock: flush() frees @q once it sees @held at 0 under it. */
	wake_up_all(&q->wait);
	spin_unlock(&q->lock);
	/* The io_uring request holds the file: @q and @a live till then. */
	if (ioucmd)
		io_uring_cmd_complete_in_task(ioucmd, bm_uring_complete);
}

static int bm_async_move(struct bm_async *a)
{
	struct bm_request *rq = &a->rq;
	struct bm_async_pins *p = a->pins;
	enum bm_claim claim = a->from_card ? BM_CLAIM_EXCLUSIVE : BM_CLAIM_SHARED;
	unsigned int i;

	switch (a->kind) {
	case BM_REQ_COMMON:
		bm_transfer_common(rq, a->common, a->addr, a->length);
		break;
	case BM_REQ_REGISTERED:
		bm_transfer_registered(rq, a->rbuf, a->addr, a->length, !a->no_sync);
		break;
	default:
		for (i = 0; i < p->nranges && !rq->error; i++)
			bm_transfer_pages(rq, p->r[i].pages, p->r[i].in_page,
					  p->r[i].len, claim);
		break;
	}
	bm_transfer_finish(rq);
	return rq->error;
}

/*
 * Run one request in a worker, as TRANSFER runs one in its caller: under
 * the card's lifetime lock, on the same engine. A worker gets no signals:
 * CANCEL reaches it through bm_request_stop().
 */
static void bm_async_run(struct bm_async *a)
{
	struct bm_queue *q = a->q;
	struct bm_dev *bm = q->bm;
	struct bm_request *rq = &a->rq;
	bool on_card = false;
	int ret;

	down_read(&bm->lifetime);
	ret = bm->pdev ? 0 : -ENODEV;
	if (!ret && READ_ONCE(bm->quarantined))
		ret = -ESHUTDOWN;
	if (!ret) {
		bm_request_init(rq, bm, a->from_card, a->card_offset,
				a->timeout_ms);
		rq->stop_grace = a->stop_grace;
		spin_lock(&q->lock);
		a->started = true;
		if (a->cancelled)
			bm_request_stop(rq);
		spin_unlock(&q->lock);
		trace_busmaster_request_start(rq, a->kind, a->length);
		ret = bm_async_move(a);
		a->result.bytes_done = rq->bytes_done;
		a->result.card_status = rq->card_status;
		a->result.transfers = rq->transfers;
		on_card = rq->posted;
		spin_lock(&q->lock);
		a->started = false;
		spin_unlock(&q->lock);
		bm_request_fini(rq);
	}
	up_read(&bm->lifetime);
	/* As TRANSFER's: what a worker's signal would say, it cannot get. */
	a->result.error = ret == -ERESTARTSYS || ret == -EINTR ? -ECANCELED : ret;
	bm_async_complete(a, on_card);
}

/*
 * @uid's share of the card's workers, under its queue_lock: the entry
 * counting its running requests, or a free one (there is always one: a
 * worker looking for work runs nothing).
 */
static struct bm_user_share *bm_share(struct bm_dev *bm, kuid_t uid)
{
	struct bm_user_share *free = NULL;
	unsigned int i;

	for (i = 0; i < bm->nworkers; i++) {
		struct bm_user_share *sh = &bm->shares[i];

		if (sh->running && uid_eq(sh->uid, uid))
			return sh;
		if (!sh->running && !free)
			free = sh;
	}
	free->uid = uid;
	return free;
}

/*
 * The next request to run: from the first file in turn whose user runs
 * fewer than user_cap requests on the card (that file goes to the back).
 * @done: the user of the request the worker just finished, or NULL. NULL
 * when there is none: the worker is idle then, and drops its card
 * reference after the lock.
 */
static struct bm_async *bm_next_request(struct bm_worker *w, const kuid_t *done)
{
	struct bm_dev *bm = w->bm;
	struct bm_user_share *sh;
	struct bm_async *a = NULL;
	struct bm_queue *q, *next;

	spin_lock(&bm->queue_lock);
	if (done)
		bm_share(bm, *done)->running--;
	list_for_each_entry_safe(q, next, &bm->queues, card_node) {
		spin_lock(&q->lock);
		a = list_first_entry_or_null(&q->queued, struct bm_async, node);
		sh = a ? bm_share(bm, q->uid) : NULL;
		if (!a || sh->running >= bm->user_cap) {
			/* Empty (a cancel took the rest), or its user has enough. */
			if (!a)
				list_del_init(&q->card_node);
			spin_unlock(&q->lock);
			a = NULL;
			continue;
		}
		sh->running++;
		list_move_tail(&a->node, &q->running);
		a->state = BM_ASYNC_RUNNING;
		q->held++;
		if (list_empty(&q->queued))
			list_del_init(&q->card_node);
		else
			list_move_tail(&q->card_node, &bm->queues);
		spin_unlock(&q->lock);
		break;
	}
	if (!a)
		list_add(&w->node, &bm->idle_workers);
	spin_unlock(&bm->queue_lock);
	return a;
}

static void bm_worker_fn(struct work_struct *work)
{
	struct bm_worker *w = container_of(work, struct bm_worker, work);
	struct bm_dev *bm = w->bm;
	struct bm_async *a = bm_next_request(w, NULL);
	kuid_t uid;

	while (a) {
		/* Read before: once it completes, @a and its file may go. */
		uid = a->q->uid;
		bm_async_run(a);
		a = bm_next_request(w, &uid);
	}
	/* Idle: @w may be freed with @bm after this. */
	bm_dev_put(bm);
}

/* Queue @a on its file's queue, and wake an idle worker of the card. */
static void bm_async_queue(struct bm_async *a)
{
	struct bm_queue *q = a->q;
	struct bm_dev *bm = q->bm;
	struct bm_worker *w;

	spin_lock(&bm->queue_lock);
	spin_lock(&q->lock);
	q->binding--;
	q->owned = true;
	list_add_tail(&a->node, &q->queued);
	a->state = BM_ASYNC_QUEUED;
	if (list_empty(&q->card_node))
		list_add_tail(&q->card_node, &bm->queues);
	spin_unlock(&q->lock);
	w = list_first_entry_or_null(&bm->idle_workers, struct bm_worker, node);
	if (w) {
		list_del(&w->node);
		bm_dev_get(bm);
		queue_work(bm_wq, &w->work);
	}
	spin_unlock(&bm->queue_lock);
}

/*
 * The queue is its owner's (an AIO context is its mm's): the thread group
 * whose SUBMIT first passed its checks. A forked child, or a process the
 * file was passed to, has no claim on it. @bind: make the caller the owner
 * of a queue without one (a SUBMIT that passed its checks), counted in
 * @q->binding until it is queued or undone. Return 0, 1 for a queue
 * without an owner (not bound), or -EPERM.
 */
static int bm_queue_owned(struct bm_queue *q, bool bind)
{
	struct pid *me = task_tgid(current);
	int ret = 0;

	spin_lock(&q->lock);
	if (q->owner && q->owner != me) {
		ret = -EPERM;
	} else if (!q->owner && bind) {
		q->owner = get_pid(me);
		q->uid = current_uid();
	} else if (!q->owner) {
		ret = 1;
	}
	if (!ret && bind)
		q->binding++;
	spin_unlock(&q->lock);
	return ret;
}

/* Pin a user range for a request, all or nothing (bm_pin_user()). */
static int bm_async_pin(struct bm_dev *bm, struct bm_async_range *r, u64 addr,
			u64 len, bool from_card)
{
	int ret;

	r->in_page = offset_in_page(addr);
	r->len = len;
	r->npages = DIV_ROUND_UP(r->in_page + len, PAGE_SIZE);
	r->pages = kvmalloc_array(r->npages, sizeof(*r->pages), GFP_KERNEL_ACCOUNT);
	if (!r->pages)
		return -ENOMEM;
	/* Long-term: it may wait behind others' requests for long (CMA, hot-unplug). */
	ret = bm_pin_user(bm, addr & PAGE_MASK, r->npages,
			  FOLL_LONGTERM | (from_card ? FOLL_WRITE : 0), r->pages,
			  false);
	if (ret) {
		kvfree(r->pages);
		r->npages = 0;
		return ret;
	}
	atomic_add(r->npages, &bm->stats.pinned_pages);
	return 0;
}

/* Pin and charge the user ranges of a request. */
static int bm_async_pin_all(struct bm_async *a, struct bm_dev *bm,
			    const struct busmaster_iovec *iov, unsigned int n)
{
	struct bm_async_pins *p;
	unsigned long pages = 0;
	unsigned int i;
	int ret;

	p = kvzalloc(struct_size(p, r, n), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->bm = bm;
	p->dirty = a->from_card;
	for (i = 0; i < n; i++)
		pages += DIV_ROUND_UP(offset_in_page(iov[i].addr) + iov[i].length,
				      PAGE_SIZE);
	ret = bm_charge_pinned(&p->charge, pages);
	if (ret) {
		kvfree(p);
		return ret;
	}
	a->pins = p;
	for (i = 0; i < n && !ret; i++) {
		ret = bm_async_pin(bm, &p->r[i], iov[i].addr, iov[i].length,
				   a->from_card);
		if (!ret)
			p->nranges++;
	}
	return ret;
}

/* What SUBMIT refuses with EINVAL before anything else (a full queue too). */
static int bm_async_check_fields(const struct busmaster_submit *s)
{
	const u32 known = BUSMASTER_XFER_FROM_CARD | BUSMASTER_XFER_COMMON |
			  BUSMASTER_XFER_REGISTERED | BUSMASTER_XFER_NO_SYNC;

	if (s->timeout_ms > BUSMASTER_TIMEOUT_MAX_MS || s->reserved)
		return -EINVAL;
	if (s->flags & BUSMASTER_XFER_IOVEC)
		return s->flags & ~(BUSMASTER_XFER_IOVEC | BUSMASTER_XFER_FROM_CARD) ||
		       s->length || s->handle ? -EINVAL : 0;
	return s->flags & ~known || s->count ? -EINVAL : 0;
}

/* Check the request as TRANSFER or TRANSFERV would, and take what it moves. */
static int bm_async_prepare(struct bm_file *bf, struct bm_async *a,
			    const struct busmaster_submit *s)
{
	struct busmaster_iovec one = { .addr = s->addr, .length = s->length };
	struct busmaster_iovec *iov = &one;
	unsigned int i, n = 1;
	int ret;

	a->from_card = s->flags & BUSMASTER_XFER_FROM_CARD;
	a->no_sync = s->flags & BUSMASTER_XFER_NO_SYNC;
	a->card_offset = s->card_offset;
	a->timeout_ms = bm_caller_timeout_ms(s->timeout_ms);
	/* A stop waits out the floor of a timeout for those who have one. */
	a->stop_grace = ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN) ? 0 :
			msecs_to_jiffies(BUSMASTER_TIMEOUT_MIN_MS);
	if (s->flags & BUSMASTER_XFER_IOVEC) {
		ret = bm_transferv_check(bf, a->from_card, s->count, s->addr,
					 s->card_offset, true, &iov);
		if (ret)
			return ret;
		n = s->count;
		a->kind = BM_REQ_IOVEC;
	} else {
		ret = bm_transfer_check(bf, s->flags, s->handle, s->addr,
					s->length, s->card_offset, true,
					&a->common, &a->rbuf);
		if (ret)
			return ret;
		a->kind = a->common ? BM_REQ_COMMON :
			  a->rbuf ? BM_REQ_REGISTERED : BM_REQ_USER;
		a->addr = s->addr;
		a->length = s->length;
		if (a->common || a->rbuf)
			return 0;
	}
	for (i = 0, a->length = 0; i < n; i++)
		a->length += iov[i].length;
	ret = bm_async_pin_all(a, bf->bm, iov, n);
	if (iov != &one)
		kvfree(iov);
	return ret;
}

/*
 * Undo bm_async_create(): nothing of it stays, and REAP looks again. The
 * queue's owner too, unless a request of it was queued or another SUBMIT
 * of it is on its way: a SUBMIT whose answer could not be written back
 * (EFAULT) claims nothing.
 */
static void bm_async_abort(void *obj)
{
	struct bm_async *a = obj;
	struct bm_queue *q = a->q;
	struct pid *owner = NULL;

	bm_async_release(a, false);
	if (a->id)
		xa_erase(&q->ids, a->id);
	spin_lock(&q->lock);
	q->in_flight--;
	if (a->bound && !--q->binding && !q->owned) {
		owner = q->owner;
		q->owner = NULL;
	}
	wake_up_all(&q->wait);
	spin_unlock(&q->lock);
	put_pid(owner);
	kfree(a);
}

/*
 * A request ready to queue, reachable by nobody yet: the fields, the
 * caller's claim on the queue, a place in its depth, the checks and pins
 * of bm_async_prepare(), an id (not for io_uring's: its CQE names it).
 * bm_async_queue() publishes it, bm_async_abort() undoes it.
 */
static struct bm_async *bm_async_create(struct bm_file *bf,
					const struct busmaster_submit *s,
					bool uring)
{
	struct bm_queue *q = &bf->queue;
	struct bm_async *a;
	u32 id;
	int ret;

	ret = bm_async_check_fields(s);
	if (!ret)
		ret = min(bm_queue_owned(q, false), 0);
	if (ret)
		return ERR_PTR(ret);
	/* A place in the file's depth first: a full queue costs nothing. */
	spin_lock(&q->lock);
	ret = q->in_flight < q->depth ? 0 : -EAGAIN;
	if (!ret)
		q->in_flight++;
	spin_unlock(&q->lock);
	if (ret)
		return ERR_PTR(ret);

	/* Charged to the caller's memory cgroup, as io_uring's requests are. */
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a) {
		spin_lock(&q->lock);
		q->in_flight--;
		wake_up_all(&q->wait);
		spin_unlock(&q->lock);
		return ERR_PTR(-ENOMEM);
	}
	a->q = q;
	INIT_LIST_HEAD(&a->node);
	ret = bm_async_prepare(bf, a, s);
	if (!ret && !uring) {
		/* 1 when the ids wrapped: fine. */
		ret = min(xa_alloc_cyclic(&q->ids, &id, a, XA_LIMIT(1, U32_MAX),
					  &q->next_id, GFP_KERNEL_ACCOUNT), 0);
		if (!ret)
			a->id = id;
	}
	if (!ret) {
		ret = bm_queue_owned(q, true);
		a->bound = !ret;
	}
	if (ret) {
		bm_async_abort(a);
		return ERR_PTR(ret);
	}
	a->result.id = a->id;
	a->result.tag = s->tag;
	return a;
}

static void bm_async_publish(void *obj)
{
	bm_async_queue(obj);
}

/**
 * bm_ioctl_submit - BUSMASTER_IOCTL_SUBMIT: queue a request, return at once
 * @bf: the file
 * @arg: struct busmaster_submit, copied in
 * @ctx: unused
 *
 * The request is queued only once the answer, with its id, reached the
 * caller: a SUBMIT that fails (EFAULT too) leaves nothing queued.
 *
 * Context: process context, @bf->bm->lifetime held for read, card present;
 * let go while the buffer is pinned.
 * Return: 0 or a negative errno (see uapi/linux/busmaster.h).
 */
int bm_ioctl_submit(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_submit *s = arg;
	struct bm_async *a = bm_async_create(bf, s, false);

	if (IS_ERR(a))
		return PTR_ERR(a);
	/* Queued once the caller has its id (bm_ioctl_settle()). */
	s->id = a->id;
	ctx->created = a;
	ctx->publish = bm_async_publish;
	ctx->destroy = bm_async_abort;
	return 0;
}

/* Take a queued request off its queue: the caller completes it. */
static void bm_async_dequeue(struct bm_async *a)
{
	list_del_init(&a->node);
	a->state = BM_ASYNC_ENDING;
	a->result.error = -ECANCELED;
	a->q->held++;
}

/* Ask a running request to end. */
static void bm_async_stop(struct bm_async *a)
{
	a->cancelled = true;
	if (a->started)
		bm_request_stop(&a->rq);
}

/*
 * CANCEL of one request, for the ioctl and io_uring alike, under its
 * queue's lock: 1 when it was taken off its queue (the caller completes it
 * after the lock), 0 when it was asked to stop, -EALREADY when it is done
 * or already ending.
 */
static int bm_async_cancel(struct bm_async *a)
{
	if (a->state == BM_ASYNC_QUEUED) {
		bm_async_dequeue(a);
		return 1;
	}
	if (a->state == BM_ASYNC_RUNNING && !a->cancelled) {
		bm_async_stop(a);
		return 0;
	}
	return -EALREADY;
}

/**
 * bm_ioctl_cancel - BUSMASTER_IOCTL_CANCEL (IoCancelIrp)
 * @bf: the file
 * @arg: struct busmaster_cancel, copied in
 * @ctx: unused
 *
 * Context: process context, without @bf->bm->lifetime (works after removal).
 * Return: 0 or a negative errno (see uapi/linux/busmaster.h).
 */
int bm_ioctl_cancel(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_cancel *c = arg;
	struct bm_queue *q = &bf->queue;
	struct bm_async *a;
	int ret;

	if (c->flags || c->reserved)
		return -EINVAL;
	ret = bm_queue_owned(q, false);
	if (ret)
		return ret < 0 ? ret : -ENOENT;
	if (!c->id || c->id > U32_MAX)
		return -ENOENT;
	spin_lock(&q->lock);
	a = xa_load(&q->ids, c->id);
	ret = !a || a->state == BM_ASYNC_NEW ? -ENOENT : bm_async_cancel(a);
	spin_unlock(&q->lock);
	if (ret > 0)
		bm_async_complete(a, false);
	return min(ret, 0);
}

/*
 * No worker or canceller holds a request of the queue: read under the
 * lock, so that whoever released the last one is done with @q.
 */
static bool bm_queue_idle(struct bm_queue *q)
{
	bool idle;

	spin_lock(&q->lock);
	idle = !q->held;
	spin_unlock(&q->lock);
	return idle;
}

/*
 * Cancel every request of the file in flight, and wait until no worker
 * holds one: the card is done with their pages when it returns.
 */
static void bm_queue_cancel_all(struct bm_file *bf)
{
	struct bm_queue *q = &bf->queue;
	struct bm_async *a, *next;
	LIST_HEAD(ending);

	spin_lock(&bf->bm->queue_lock);
	spin_lock(&q->lock);
	list_for_each_entry_safe(a, next, &q->queued, node) {
		bm_async_dequeue(a);
		list_add_tail(&a->node, &ending);
	}
	list_del_init(&q->card_node);
	list_for_each_entry(a, &q->running, node)
		if (!a->cancelled)
			bm_async_stop(a);
	spin_unlock(&q->lock);
	spin_unlock(&bf->bm->queue_lock);

	list_for_each_entry_safe(a, next, &ending, node)
		bm_async_complete(a, false);
	wait_event(q->wait, bm_queue_idle(q));
}

/**
 * bm_queue_flush - a descriptor of the file is closed (flush()): when its
 * queue's owner closes one, or exits, every request it has in flight is
 * cancelled, and the card is done with their pages on return
 * @bf: the file
 *
 * Context: process context, may sleep.
 */
void bm_queue_flush(struct bm_file *bf)
{
	struct bm_queue *q = &bf->queue;
	bool owner;

	spin_lock(&q->lock);
	owner = q->owner == task_tgid(current);
	spin_unlock(&q->lock);
	if (owner)
		bm_queue_cancel_all(bf);
}

/**
 * bm_queue_release - the file is released: cancel what is in flight, wait
 * for it, and free every request and record
 * @bf: the file
 *
 * Context: process context, may sleep.
 */
void bm_queue_release(struct bm_file *bf)
{
	struct bm_queue *q = &bf->queue;
	struct bm_async *a;
	unsigned long id;

	bm_queue_cancel_all(bf);
	xa_for_each(&q->ids, id, a)
		kfree(a);
	xa_destroy(&q->ids);
	put_pid(q->owner);
}

/**
 * bm_queue_init - set up a file's queue
 * @bf: the file
 */
void bm_queue_init(struct bm_file *bf)
{
	struct bm_queue *q = &bf->queue;

	q->bm = bf->bm;
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->queued);
	INIT_LIST_HEAD(&q->running);
	INIT_LIST_HEAD(&q->done);
	INIT_LIST_HEAD(&q->card_node);
	xa_init_flags(&q->ids, XA_FLAGS_ALLOC1);
	init_waitqueue_head(&q->wait);
	q->depth = BUSMASTER_DEPTH_DEFAULT;
}

/* Enough completions wait for REAP, or no more will come. */
static bool bm_reap_ready(struct bm_queue *q, u32 min)
{
	u32 ndone = READ_ONCE(q->ndone);

	return ndone >= min || ndone == READ_ONCE(q->in_flight);
}

/* Records REAP took off the done list, until its answer reached the caller. */
struct bm_reaped {
	struct bm_queue *q;
	struct list_head list;
	u32 n;
};

/* The answer reached the caller: the requests go. */
static void bm_reap_finish(void *obj)
{
	struct bm_reaped *rp = obj;
	struct bm_queue *q = rp->q;
	struct bm_async *a, *next;

	/* Under the lock: CANCEL looks a request up and at it under it. */
	spin_lock(&q->lock);
	list_for_each_entry(a, &rp->list, node)
		xa_erase(&q->ids, a->id);
	q->in_flight -= rp->n;
	wake_up_all(&q->wait);
	spin_unlock(&q->lock);
	list_for_each_entry_safe(a, next, &rp->list, node)
		kfree(a);
	kfree(rp);
}

/* It did not: nothing is lost, the records go back to the head, in order. */
static void bm_reap_undo(void *obj)
{
	struct bm_reaped *rp = obj;
	struct bm_queue *q = rp->q;

	spin_lock(&q->lock);
	list_splice(&rp->list, &q->done);
	q->ndone += rp->n;
	wake_up_all(&q->wait);
	spin_unlock(&q->lock);
	kfree(rp);
}

/**
 * bm_ioctl_reap - BUSMASTER_IOCTL_REAP: take completion records
 * @bf: the file
 * @arg: struct busmaster_reap, copied in
 * @ctx: takes the records until the answer reached the caller
 *	(bm_ioctl_settle()): a REAP that fails loses no completion
 *
 * Context: process context, without @bf->bm->lifetime (works after
 * removal); sleeps (interruptible) with BUSMASTER_REAP_WAIT.
 * Return: 0 or a negative errno (see uapi/linux/busmaster.h).
 */
int bm_ioctl_reap(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_reap *r = arg;
	struct bm_queue *q = &bf->queue;
	struct busmaster_completion *rec;
	bool wait = r->flags & BUSMASTER_REAP_WAIT;
	struct bm_reaped *rp;
	struct bm_async *a, *next;
	long left = 1;
	u32 cap, n = 0;
	int ret;

	if (r->flags & ~BUSMASTER_REAP_WAIT || r->reserved || !r->max ||
	    r->max > BUSMASTER_DEPTH_MAX ||
	    (wait ? !r->min_complete || r->min_complete > r->max ||
		    r->timeout_ms > BUSMASTER_TIMEOUT_MAX_MS :
		    r->min_complete || r->timeout_ms))
		return -EINVAL;
	ret = bm_queue_owned(q, false);
	if (ret < 0)
		return ret;
	if (ret) {
		/* Nobody has submitted: nothing in flight, nothing to wait for. */
		r->count = 0;
		r->in_flight = 0;
		return 0;
	}
	if (wait) {
		left = r->timeout_ms ? msecs_to_jiffies(r->timeout_ms) :
				       MAX_SCHEDULE_TIMEOUT;
		left = wait_event_interruptible_timeout(q->wait,
							bm_reap_ready(q, r->min_complete),
							left);
	}
	/* Only this call takes records off; another REAP may take fewer. */
	cap = min(r->max, READ_ONCE(q->ndone));
	rec = cap ? kvmalloc_array(cap, sizeof(*rec), GFP_KERNEL) : NULL;
	rp = cap ? kmalloc(sizeof(*rp), GFP_KERNEL) : NULL;
	if (cap && (!rec || !rp)) {
		kvfree(rec);
		kfree(rp);
		return -ENOMEM;
	}

	spin_lock(&q->lock);
	if (rp) {
		INIT_LIST_HEAD(&rp->list);
		list_for_each_entry_safe(a, next, &q->done, node) {
			if (n == cap)
				break;
			rec[n++] = a->result;
			list_move_tail(&a->node, &rp->list);
		}
		q->ndone -= n;
	}
	r->in_flight = q->in_flight - n;
	spin_unlock(&q->lock);
	r->count = n;
	if (!n) {
		kvfree(rec);
		kfree(rp);
		return wait && left <= 0 ? (left ? -EINTR : -ETIME) : 0;
	}
	rp->q = q;
	rp->n = n;
	ret = copy_to_user(u64_to_user_ptr(r->records), rec,
			   array_size(n, sizeof(*rec))) ? -EFAULT : 0;
	kvfree(rec);
	if (ret) {
		bm_reap_undo(rp);
		return ret;
	}
	ctx->created = rp;
	ctx->publish = bm_reap_finish;
	ctx->destroy = bm_reap_undo;
	return 0;
}

/**
 * bm_ioctl_queue - BUSMASTER_IOCTL_QUEUE: the file's queue limits
 * @bf: the file
 * @arg: struct busmaster_queue, copied in
 * @ctx: unused
 *
 * Context: process context, without @bf->bm->lifetime.
 * Return: 0 or a negative errno (see uapi/linux/busmaster.h).
 */
int bm_ioctl_queue(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx)
{
	struct busmaster_queue *qa = arg;
	struct bm_queue *q = &bf->queue;
	int ret;

	if (qa->flags & ~BUSMASTER_QUEUE_SET_DEPTH || qa->reserved ||
	    (qa->flags & BUSMASTER_QUEUE_SET_DEPTH &&
	     (!qa->depth || qa->depth > BUSMASTER_DEPTH_MAX)))
		return -EINVAL;
	ret = bm_queue_owned(q, false);
	if (ret < 0)
		return ret;
	ret = 0;
	spin_lock(&q->lock);
	if (qa->flags & BUSMASTER_QUEUE_SET_DEPTH) {
		if (qa->depth < q->in_flight)
			ret = -EINVAL;
		else
			q->depth = qa->depth;
	}
	qa->depth = q->depth;
	qa->in_flight = q->in_flight;
	spin_unlock(&q->lock);
	qa->card_running = bm_card_running;
	return ret;
}

/**
 * bm_queue_poll - poll(): readable while completions wait
 * @bf: the file
 * @file: its struct file
 * @pt: the poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM when REAP would return a completion.
 */
__poll_t bm_queue_poll(struct bm_file *bf, struct file *file, poll_table *pt)
{
	poll_wait(file, &bf->queue.wait, pt);
	return READ_ONCE(bf->queue.ndone) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * io_uring: SUBMIT as a uring_cmd (IORING_OP_URING_CMD, cmd_op
 * BUSMASTER_IOCTL_SUBMIT, struct busmaster_submit in a 128-byte SQE), the
 * same request on the same queue, completed in its CQE: res 0 or the
 * negative errno, and with 32-byte CQEs big_cqe[0] = bytes_done and the
 * card's status (BUSMASTER_URING_RES2_*).
 */

/* The request's CQE, posted in its submitter's task (task work). */
static void bm_uring_complete(struct io_uring_cmd *ioucmd,
			      unsigned int issue_flags)
{
	struct bm_async *a = ((struct bm_async **)ioucmd->pdu)[0];
	struct bm_queue *q = a->q;
	struct busmaster_completion r;

	spin_lock(&q->lock);
	((struct bm_async **)ioucmd->pdu)[0] = NULL;
	r = a->result;
	spin_unlock(&q->lock);
	kfree(a);
	io_uring_cmd_done(ioucmd, r.error,
			  BUSMASTER_URING_RES2(r.bytes_done, r.card_status),
			  issue_flags);
}

/* The ring is going (6.7 on): end the request as CANCEL would. */
static void bm_uring_cancel(struct bm_queue *q, struct io_uring_cmd *ioucmd)
{
	struct bm_async *a;
	int ret;

	spin_lock(&q->lock);
	a = ((struct bm_async **)ioucmd->pdu)[0];
	ret = a ? bm_async_cancel(a) : 0;
	spin_unlock(&q->lock);
	if (ret > 0)
		bm_async_complete(a, false);
}

/**
 * bm_uring_cmd - ->uring_cmd(): SUBMIT through io_uring
 * @ioucmd: the command
 * @issue_flags: io_uring's IO_URING_F_*
 *
 * User memory is pinned in a blocking context only: issued non-blocking,
 * such a request goes back to io_uring (-EAGAIN), which issues it again
 * from its worker (a thread of the submitter, with its mm).
 *
 * Context: process context (the submitter, or its io_uring worker).
 * Return: -EIOCBQUEUED once queued (the CQE follows), else the errno for
 * the CQE: those of SUBMIT, with EBUSY for a full queue (EAGAIN means
 * "issue again" to io_uring), ENOTTY for another cmd_op, EINVAL without
 * IORING_SETUP_SQE128.
 */
int bm_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct bm_file *bf = ioucmd->file->private_data;
	struct bm_dev *bm = bf->bm;
	struct busmaster_submit s;
	struct bm_async *a;
	const u8 *cmd;
	unsigned int i;

	if (issue_flags & BM_URING_F_CANCEL) {
		bm_uring_cancel(&bf->queue, ioucmd);
		return 0;
	}
	if (ioucmd->cmd_op != BUSMASTER_IOCTL_SUBMIT)
		return -ENOTTY;
	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	/* Read once: the SQE is the process's memory. */
	cmd = bm_uring_cmd_bytes(ioucmd);
	memcpy(&s, cmd, sizeof(s));
	if (s.size < sizeof(s) || s.size > BUSMASTER_URING_CMD_MAX)
		return -EINVAL;
	for (i = sizeof(s); i < s.size; i++)
		if (READ_ONCE(cmd[i]))
			return -E2BIG;
	if (issue_flags & IO_URING_F_NONBLOCK &&
	    !(s.flags & (BUSMASTER_XFER_COMMON | BUSMASTER_XFER_REGISTERED)))
		return -EAGAIN;

	down_read(&bm->lifetime);
	a = bm->pdev ? bm_async_create(bf, &s, true) : ERR_PTR(-ENODEV);
	up_read(&bm->lifetime);
	if (IS_ERR(a))
		return PTR_ERR(a) == -EAGAIN ? -EBUSY : PTR_ERR(a);
	a->ioucmd = ioucmd;
	((struct bm_async **)ioucmd->pdu)[0] = a;
	/*
	 * Before anyone can complete it (io_uring unlists it then), and
	 * outside the card's lifetime lock: this takes the ring's lock.
	 */
	bm_uring_mark_cancelable(ioucmd, issue_flags);
	bm_async_queue(a);
	return -EIOCBQUEUED;
}

/**
 * bm_queue_card_init - give a card its workers
 * @bm: the card, being probed
 * Return: 0 or -ENOMEM.
 */
int bm_queue_card_init(struct bm_dev *bm)
{
	unsigned int i, n = bm_card_running;

	spin_lock_init(&bm->queue_lock);
	INIT_LIST_HEAD(&bm->queues);
	INIT_LIST_HEAD(&bm->idle_workers);
	bm->nworkers = n;
	/* No user takes more than half: another always gets workers. */
	bm->user_cap = max(1U, n / 2);
	bm->workers = kcalloc(n, sizeof(*bm->workers), GFP_KERNEL);
	bm->shares = kcalloc(n, sizeof(*bm->shares), GFP_KERNEL);
	if (!bm->workers || !bm->shares) {
		kfree(bm->workers);
		kfree(bm->shares);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		INIT_WORK(&bm->workers[i].work, bm_worker_fn);
		bm->workers[i].bm = bm;
		list_add_tail(&bm->workers[i].node, &bm->idle_workers);
	}
	return 0;
}

/**
 * bm_queue_card_free - free a card's workers, all idle: a busy one holds
 * a reference to the card
 * @bm: the card, its last reference gone
 */
void bm_queue_card_free(struct bm_dev *bm)
{
	kfree(bm->workers);
	kfree(bm->shares);
}

/**
 * bm_queue_module_init - the workqueue every card's workers run on
 * Return: 0 or -ENOMEM.
 */
int bm_queue_module_init(void)
{
	/*
	 * Unbound: a request sleeps on its card, and needs no CPU of its own;
	 * as many as every card's workers; frozen for suspend between requests.
	 */
	bm_wq = alloc_workqueue("busmaster", WQ_UNBOUND | WQ_FREEZABLE,
				WQ_UNBOUND_MAX_ACTIVE);
	return bm_wq ? 0 : -ENOMEM;
}

/** bm_queue_module_exit - every worker has finished (no card is left) */
void bm_queue_module_exit(void)
{
	destroy_workqueue(bm_wq);
}
