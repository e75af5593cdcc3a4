// SPDX-License-Identifier: GPL-2.0
/*
 * busmaster: the pinning unit -- user pages held for a card (NT:
 * MmProbeAndLockPages / MmUnlockPages, and the quota they charge), the
 * role ib_umem plays for RDMA drivers.
 *
 *   bm_pin_user()        pin_user_pages_fast(), all or nothing, outside
 *                        the card's lifetime lock (a fault may take for
 *                        ever), or only pages present without letting go
 *   bm_user_writable()   may the card write a user range (VMAs checked
 *                        before any DMA)
 *   bm_charge_pinned()   RLIMIT_MEMLOCK, per user, for what stays pinned
 *   bm_pages_claim()     which card mapping holds each page: one writer or
 *                        many readers (the DMA API's rules)
 *
 * Requests (bm_transfer.c) and registered buffers (bm_registered.c) pin
 * through it; nothing here knows about cards' DMA.
 */
#include <linux/backing-dev.h>
#include <linux/cred.h>
#include <linux/error-injection.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/xarray.h>

#include "busmaster.h"

/*
 * May this page stay pinned writable long-term? Anonymous memory, shmem
 * and hugetlb may (GUP-fast's own rule); page cache of a file the kernel
 * writes back may not (the pin defeats dirty tracking). 6.5 and later
 * refuse such a pin in GUP; before, only bm_user_writable()'s look at the
 * VMAs did, and a thread could swap the mapping between that look and the
 * pin. So look at what was pinned.
 */
static bool bm_long_term_writable(struct page *page)
{
	struct folio *folio = page_folio(page);

	return folio_test_anon(folio) || folio_test_swapbacked(folio) ||
	       folio_test_hugetlb(folio);
}

/**
 * bm_pin_user - pin user pages for DMA by a card
 * @bm: the card
 * @start: page-aligned user address
 * @npages: pages
 * @gup_flags: FOLL_WRITE when the card writes them, FOLL_LONGTERM
 * @pages: out: the pages
 * @present: pin only pages present, without faulting, and keep
 *	@bm->lifetime: for a caller that holds DMA resources of the card
 *	(a removal must not free them under it)
 *
 * All or nothing. Else the card's lifetime lock is let go around the pin
 * (bm_user_access_begin()): a fault in a userfaultfd or FUSE mapping may
 * last for ever, and remove() does not wait for it.
 *
 * Context: an ioctl, @bm->lifetime held for read.
 * Return: 0; -EAGAIN with @present when a page was not present; -EFAULT
 * when part of the range cannot be pinned, or, long-term and writable, is
 * not anonymous memory, shmem or hugetlb; -ENODEV when the card was
 * removed meanwhile; -EINTR when killed; -ENOMEM.
 */
int bm_pin_user(struct bm_dev *bm, u64 start, unsigned int npages,
		unsigned int gup_flags, struct page **pages, bool present)
{
	int got, ret = 0;

	if (present) {
		got = pin_user_pages_fast(start, npages, gup_flags | FOLL_NOFAULT,
					  pages);
	} else {
		bm_user_access_begin(bm);
		got = pin_user_pages_fast(start, npages, gup_flags, pages);
		ret = bm_user_access_end(bm);
	}
	if (got >= 0 && (got < npages || ret)) {
		unpin_user_pages(pages, got);
		got = ret ?: -EFAULT;
	}
	if (got < 0)
		return ret ?: present ? -EAGAIN : got;
	if ((gup_flags & (FOLL_LONGTERM | FOLL_WRITE)) == (FOLL_LONGTERM | FOLL_WRITE)) {
		for (got = 0; got < npages; got++)
			if (!bm_long_term_writable(pages[got])) {
				unpin_user_pages(pages, npages);
				return -EFAULT;
			}
	}
	return 0;
}

/**
 * bm_user_writable - may the card write [@addr, @addr + @len) of the
 * caller's memory?
 * @bm: the card
 * @addr: user address
 * @len: bytes
 * @long_term: for a long-term pin: a shared mapping of a file the kernel
 *	writes back does not count as writable either (such a pin defeats
 *	dirty tracking; 6.5 refuses it in GUP, 6.1 does not, so we do)
 * @writable: out: every page is mapped writable
 *
 * Checked before any DMA, so that a request refused for a read-only page
 * part-way has written nothing. A mapping changed by another thread after
 * this check still fails the pin, part-way, with an exact bytes_done.
 *
 * Context: an ioctl, @bm->lifetime held for read; let go while it takes
 * mmap_lock for read (killable), which a thread stuck in a page fault
 * can hold up for ever (bm_user_access_begin()).
 * Return: 0, -EFAULT when part of the range is not mapped or is a mapping
 * without pages to pin (VM_IO, VM_PFNMAP), -EINTR when the caller is being
 * killed, -ENODEV when the card was removed meanwhile.
 */
int bm_user_writable(struct bm_dev *bm, u64 addr, u64 len, bool long_term,
		     bool *writable)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u64 end = addr + len;
	int ret = 0;

	*writable = true;
	bm_user_access_begin(bm);
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out;
	}
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		/* No struct pages to pin (a common buffer's mapping, a BAR). */
		if (!vma || vma->vm_flags & (VM_IO | VM_PFNMAP)) {
			ret = -EFAULT;
			break;
		}
		if (!(vma->vm_flags & VM_WRITE) ||
		    (long_term && vma->vm_file && (vma->vm_flags & VM_SHARED) &&
		     mapping_can_writeback(vma->vm_file->f_mapping)))
			*writable = false;
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
out:
	return bm_user_access_end(bm) ?: ret;
}

/*
 * User pages mapped for a card, by page frame. Two rules of the DMA API
 * make a page's mappings exclusive: no two device-writable mappings of the
 * same memory at once (on non-coherent systems the cache maintenance for
 * one undoes the other's data), and a partial sync must name one mapping
 * (DMA-API debug cannot tell two apart, and neither can the reader). So:
 *  - a registered buffer the card writes holds its pages alone for as long
 *    as it lives (BM_CLAIM_LONG_TERM, marked XA_MARK_0): it alone syncs
 *    parts of its mapping;
 *  - a card -> memory request holds one chunk's pages alone while the card
 *    writes them (BM_CLAIM_EXCLUSIVE);
 *  - what only has the card read them shares them: memory -> card requests
 *    (BM_CLAIM_SHARED) and registered buffers the card only reads
 *    (BM_CLAIM_LONG_TERM_SHARED). A value entry counts them, and apart
 *    the long-term ones among them. Their mappings are all DMA_TO_DEVICE:
 *    a partial sync of one names a mapping of the same direction.
 * An exclusive entry is its owner. A claim waits for requests, which
 * finish soon, and fails with EBUSY on a long-term claim, which may never
 * go. So a registration that only reads a page (a file any user may map
 * to read, 6.1's shared zero page) stops no one else from reading it.
 */
static DEFINE_XARRAY(bm_claims);
static DECLARE_WAIT_QUEUE_HEAD(bm_claims_wait);
#define BM_CLAIM_MARK_LONG_TERM	XA_MARK_0
/* A shared entry's value: claimants, and long-term ones << this. */
#define BM_CLAIM_LONG_SHIFT	(BITS_PER_LONG / 2 - 1)
/* Pages claimed or released per hold of the lock (a registered buffer: up to 262144). */
#define BM_CLAIM_BATCH		256

/* Pages claimed now, for debugfs (claimed_pages): back at 0 when idle. */
atomic_t bm_claimed_pages = ATOMIC_INIT(0);

static bool bm_claim_is_shared(enum bm_claim mode)
{
	return mode == BM_CLAIM_SHARED || mode == BM_CLAIM_LONG_TERM_SHARED;
}

/* What a shared claim of @mode adds to its page's entry. */
static unsigned long bm_claim_share(enum bm_claim mode)
{
	return mode == BM_CLAIM_LONG_TERM_SHARED ? 1 + (1UL << BM_CLAIM_LONG_SHIFT) : 1;
}

/* Does entry @cur, where @xas points, belong to a claim that may never go? */
static bool bm_claim_is_long(struct xa_state *xas, void *cur)
{
	if (xa_is_value(cur))
		return xa_to_value(cur) >> BM_CLAIM_LONG_SHIFT;
	return xas_get_mark(xas, BM_CLAIM_MARK_LONG_TERM);
}

/*
 * The entry for @pfn, the next page of a walk: the next slot when the
 * page frame follows the one before (a folio's pages do), else a walk from
 * the root. *@walked: @xas points at *@last.
 */
static void *bm_claim_next(struct xa_state *xas, unsigned long pfn,
			   unsigned long *last, bool *walked)
{
	bool next = *walked && pfn == *last + 1;

	*walked = true;
	*last = pfn;
	if (next)
		return xas_next(xas);
	xas_set(xas, pfn);
	return xas_load(xas);
}

/*
 * Take pages *@taken to @end - 1 in order, in one walk under the tree's
 * lock, counting them in *@taken, until one is in the way: 0; -EBUSY with
 * the entry in the way in *@held and whether it is a registered buffer's
 * in *@held_long; -ENOMEM when a node cannot be had without sleeping.
 * Never inlined, so that fail_function can fail it (fail-nth tests; only
 * with -ENOMEM: -EBUSY would name no entry in the way).
 */
static noinline int bm_claim_batch(struct xa_state *xas, struct page **pages,
				   unsigned int end, void *owner,
				   enum bm_claim mode, unsigned int *taken,
				   void **held, bool *held_long)
{
	unsigned long last = 0;
	bool walked = false;
	int ret = 0;

	xas_lock(xas);
	for (; *taken < end; (*taken)++) {
		void *cur, *new;

		cur = bm_claim_next(xas, page_to_pfn(pages[*taken]), &last,
				    &walked);
		if (cur && !(bm_claim_is_shared(mode) && xa_is_value(cur))) {
			*held = cur;
			*held_long = bm_claim_is_long(xas, cur);
			ret = -EBUSY;
			break;
		}
		new = !bm_claim_is_shared(mode) ? owner :
		      xa_mk_value((cur ? xa_to_value(cur) : 0) + bm_claim_share(mode));
		xas_store(xas, new);
		ret = xas_error(xas);
		if (ret)
			break;
		if (!cur)
			atomic_inc(&bm_claimed_pages);
		if (mode == BM_CLAIM_LONG_TERM)
			xas_set_mark(xas, BM_CLAIM_MARK_LONG_TERM);
	}
	xas_unlock(xas);
	return ret;
}
ALLOW_ERROR_INJECTION(bm_claim_batch, ERRNO);

/*
 * Take @pages in order, BM_CLAIM_BATCH at a time, until one is in the way
 * (as bm_claim_batch()); *@taken: how many were taken.
 */
static int bm_claim_take(struct page **pages, unsigned int npages,
			 void *owner, enum bm_claim mode, unsigned int *taken,
			 void **held, bool *held_long)
{
	XA_STATE(xas, &bm_claims, 0);
	int ret;

	*taken = 0;
	for (;;) {
		ret = bm_claim_batch(&xas, pages, min(npages, *taken + BM_CLAIM_BATCH),
				     owner, mode, taken, held, held_long);
		/*
		 * A node the batch could not have: allocate it here, where we
		 * may sleep, and go on. Without an ENOMEM, xas_nomem() frees
		 * what it allocated before.
		 */
		if (xas_nomem(&xas, GFP_KERNEL))
			continue;
		if (ret || *taken == npages)
			return ret;
		cond_resched();
	}
}

/**
 * bm_pages_claim - claim user pages for a mapping by a card
 * @pages: pinned pages
 * @npages: how many
 * @owner: the registered buffer or request claiming them
 * @mode: enum bm_claim
 * @wait: else -EAGAIN on a conflict with a request (the caller holds the
 *	claim of a chunk on the card: it may be ours, or wanted by the one
 *	we would wait for)
 * @stop: when not NULL, the wait ends once *@stop is true
 *	(bm_request_stop())
 *
 * All or nothing: on a conflict what was claimed is given back before
 * waiting, so two claimants never hold each other's pages.
 *
 * Context: process context, may sleep (killable).
 * Return: 0; -EBUSY when a long-term claim (a registered buffer, a
 * quarantined card's) that @mode may not share holds one of the pages, or
 * an exclusive claim meets the same page twice in @pages (one memory
 * mapped at two addresses); -EAGAIN; -EINTR when killed or stopped while
 * waiting; -ENOMEM.
 */
int bm_pages_claim(struct page **pages, unsigned int npages, void *owner,
		   enum bm_claim mode, bool wait, const bool *stop)
{
	for (;;) {
		unsigned int taken;
		bool held_long = false;
		void *held = NULL;
		unsigned long pfn;
		int ret;

		ret = bm_claim_take(pages, npages, owner, mode, &taken, &held,
				    &held_long);
		if (!ret)
			return 0;
		bm_pages_release(pages, taken, owner, mode);
		if (ret != -EBUSY)
			return ret;
		pfn = page_to_pfn(pages[taken]);
		/* A registration may never let go; our own page repeats. */
		if (held_long)
			return -EBUSY;
		if (!wait)
			return -EAGAIN;
		if (held == owner)
			return -EBUSY;
		if (wait_event_killable(bm_claims_wait,
					xa_load(&bm_claims, pfn) != held ||
					(stop && READ_ONCE(*stop))) ||
		    (stop && READ_ONCE(*stop)))
			return -EINTR;
	}
}

/**
 * bm_pages_claim_wake - have every waiter in bm_pages_claim() look again
 * (a request was stopped)
 *
 * Context: any process context.
 */
void bm_pages_claim_wake(void)
{
	wake_up_all(&bm_claims_wait);
}

/**
 * bm_pages_release - end a claim of bm_pages_claim()
 * @pages: the pages claimed
 * @npages: how many
 * @owner: the claimant
 * @mode: as claimed
 *
 * Context: process context, may sleep.
 */
void bm_pages_release(struct page **pages, unsigned int npages, void *owner,
		      enum bm_claim mode)
{
	XA_STATE(xas, &bm_claims, 0);
	unsigned long last = 0;
	bool walked = false;
	unsigned int i;

	xas_lock(&xas);
	for (i = 0; i < npages; i++) {
		void *cur, *new = NULL;

		if (i && !(i % BM_CLAIM_BATCH)) {
			xas_unlock(&xas);
			cond_resched();
			xas_lock(&xas);
			walked = false;
		}
		cur = bm_claim_next(&xas, page_to_pfn(pages[i]), &last, &walked);

		if (bm_claim_is_shared(mode)) {
			unsigned long share = bm_claim_share(mode);

			if (WARN_ON_ONCE(!xa_is_value(cur) || xa_to_value(cur) < share))
				continue;
			if (xa_to_value(cur) != share)
				new = xa_mk_value(xa_to_value(cur) - share);
		} else if (WARN_ON_ONCE(cur != owner)) {
			continue;
		}
		/* Replacing or erasing an entry allocates nothing. */
		xas_store(&xas, new);
		if (!new)
			atomic_dec(&bm_claimed_pages);
	}
	xas_unlock(&xas);
	wake_up_all(&bm_claims_wait);
}

/**
 * bm_pages_claim_move - hand a request's claim of @pages over to a
 * quarantined card's keeping, as a claim that may never go: other
 * claimants get EBUSY at once rather than wait
 * @pages: the pages
 * @npages: how many
 * @from: the claimant
 * @to: the new one
 * @mode: in: the claim's mode (BM_CLAIM_EXCLUSIVE or BM_CLAIM_SHARED); out:
 *	the mode to release it with
 *
 * Context: any process context.
 */
void bm_pages_claim_move(struct page **pages, unsigned int npages,
			 void *from, void *to, enum bm_claim *mode)
{
	unsigned int i;

	xa_lock(&bm_claims);
	for (i = 0; i < npages; i++) {
		unsigned long pfn = page_to_pfn(pages[i]);
		void *cur = xa_load(&bm_claims, pfn);

		/* Replacing an entry allocates nothing. */
		if (*mode == BM_CLAIM_SHARED) {
			if (WARN_ON_ONCE(!xa_is_value(cur)))
				continue;
			__xa_store(&bm_claims, pfn, xa_mk_value(xa_to_value(cur) +
				   (1UL << BM_CLAIM_LONG_SHIFT)), 0);
			continue;
		}
		if (WARN_ON_ONCE(cur != from))
			continue;
		__xa_store(&bm_claims, pfn, to, 0);
		__xa_set_mark(&bm_claims, pfn, BM_CLAIM_MARK_LONG_TERM);
	}
	xa_unlock(&bm_claims);
	if (*mode == BM_CLAIM_SHARED)
		*mode = BM_CLAIM_LONG_TERM_SHARED;
	wake_up_all(&bm_claims_wait);
}

/**
 * bm_charge_pinned - charge memory the caller's process pins or locks for
 * DMA to RLIMIT_MEMLOCK, as io_uring and iommufd do
 * @ch: out: the charge, for bm_uncharge_pinned()
 * @npages: pages
 *
 * The limit is the user's (user->locked_vm): one limit for all of a
 * user's processes, so forking does not multiply it. The pages also show
 * in the process's VmPin (mm->pinned_vm). A caller with CAP_IPC_LOCK past
 * the limit is charged to no user.
 *
 * Context: process context.
 * Return: 0, or -ENOMEM past the limit.
 */
int bm_charge_pinned(struct bm_charge *ch, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user = current_user();
	long cur = atomic_long_read(&user->locked_vm);

	ch->user = NULL;
	do {
		if (cur + npages > limit) {
			if (!capable(CAP_IPC_LOCK))
				return -ENOMEM;
			goto charged;
		}
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, cur + npages));
	ch->user = get_uid(user);
charged:
	ch->npages = npages;
	ch->mm = current->mm;
	mmgrab(ch->mm);
	atomic64_add(npages, &ch->mm->pinned_vm);
	return 0;
}

/**
 * bm_uncharge_pinned - give back what bm_charge_pinned() charged
 * @ch: the charge
 *
 * Context: any process context; the charging process may be gone.
 */
void bm_uncharge_pinned(struct bm_charge *ch)
{
	if (ch->user) {
		atomic_long_sub(ch->npages, &ch->user->locked_vm);
		free_uid(ch->user);
	}
	atomic64_sub(ch->npages, &ch->mm->pinned_vm);
	mmdrop(ch->mm);
}
