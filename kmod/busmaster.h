/* SPDX-License-Identifier: GPL-2.0 */
/*
 * busmaster: internal interfaces between the driver's files.
 *
 *   bm_main.c     PCI probe/remove, interrupts, module parameters
 *   bm_adapter.c  the DMA adapter (IoGetDmaAdapter/DEVICE_DESCRIPTION):
 *                 DMA mask, segment limits, bounce strategy, map registers
 *   bm_chardev.c  /dev/busmasterN: open/release, the ioctl table
 *   bm_transfer.c user-buffer DMA (MDL + GetScatterGatherList + splitting):
 *                 chunks pinned, mapped, split into card transfers, released
 *   bm_pin.c      the pinning unit (MmProbeAndLockPages, ib_umem's role):
 *                 pin, RLIMIT_MEMLOCK charge, which mapping holds a page
 *   bm_engine.c   the queueing engine: card transfers built, submitted,
 *                 waited for (killably, with a timeout), taken back
 *   bm_queue.c    asynchronous requests (IRPs that pend): SUBMIT, REAP,
 *                 CANCEL, poll(), a card's workers taking files in turn
 *   bm_mapreg.c   bounce space: the map-register pool for cards below 32
 *                 bits, a share of swiotlb for cards that bounce there
 *   bm_common_buffer.c common buffers (AllocateCommonBuffer), their mmap()
 *   bm_registered.c registered buffers: pinned and mapped once, partial
 *                 ranges, explicit sync; and the kernel-memory path
 *   bm_sysfs.c    /sys/class/misc/busmasterN: the adapter, statistics
 *   bm_debugfs.c  /sys/kernel/debug/busmaster/busmasterN: counters, faults
 *   bm_edu.c      QEMU's "edu" card: its registers, behind struct bm_model_ops
 *   bm_bmc.c      our busmaster card, "bmc" (docs/card-datasheet.md), the same
 *                 way
 *
 * Words: a "card" is any device this driver drives, a "card model" the code
 * for one kind of card (bm_edu.c, bm_bmc.c); "regs" are MMIO registers, a
 * "regbuf" a registered buffer, "map registers" NT's bounce pages
 * (bm_mapreg.c); "common" always means a common buffer.
 */
#ifndef _BUSMASTER_H
#define _BUSMASTER_H

#include <linux/completion.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/busmaster.h>

#define BM_DRV_NAME	"busmaster"
#define BM_DRV_VERSION	"0.6.0"

struct bm_dev;
struct bm_request;
struct bm_worker;

/* A user's share of a card's workers (bm_queue.c). */
struct bm_user_share {
	kuid_t uid;
	unsigned int running;
};

/* One contiguous piece of a card transfer, as the card sees it. */
struct bm_seg {
	dma_addr_t addr;
	u32 len;
};

/**
 * struct bm_xfer - one card transfer: up to max_segments segments moved as
 * one unit (what one AdapterControl callback programs in NT)
 * @from_card: card -> memory
 * @card_offset: where in on-card memory it starts
 * @segs: the segments, in order: room for max_segments, allocated by
 *	bm_feed() when first filled
 * @nsegs: how many
 * @length: their total length
 * @over: set by bm_xfer_done() when the card finished with it, under its
 *	request's @lock (its waiter may free it as soon as it sees it)
 * @bytes_done: out: bytes the card moved, from the start
 * @card_status: out: the card's code for a failing segment, 0 if none
 * @error: out: 0 or a negative errno
 * @node: the card model's: in the queue of the channel it was posted on;
 *	empty when not on the card
 * @chan: the card model's: that channel
 * @first: the card model's: ring index of @segs[@segs_done]
 * @segs_done: the card model's: segments seen written back, counted in
 *	@bytes_done
 * @rq: the request it belongs to: once one of a request's card transfers
 *	fails, the card model runs none of its later ones
 * @follow: post it on @chan, behind its request's transfers there, so
 *	that a request's transfers run in order
 *
 * Many card transfers are on a card at once, from any number of requests,
 * several of each: each request waits for its own (NT: each IRP's own wait
 * block).
 */
struct bm_xfer {
	bool from_card;
	u64 card_offset;
	struct bm_seg *segs;
	unsigned int nsegs;
	u64 length;
	bool over;
	u64 bytes_done;
	u32 card_status;
	int error;
	struct list_head node;
	u32 chan;
	u32 first;
	unsigned int segs_done;
	struct bm_request *rq;
	bool follow;
};

/* Interrupt causes a card's ->irq() reports to the core. */
#define BM_IRQ_CAUSE_TEST	BIT(0)	/* the probe-time self-test interrupt */
#define BM_IRQ_CAUSE_DMA	BIT(1)	/* a DMA transfer finished */
#define BM_IRQ_CAUSE_ERROR	BIT(2)	/* the card reports an error */
#define BM_IRQ_CAUSE_THREAD	BIT(3)	/* ->irq_thread() has work to do */
#define BM_IRQ_CAUSE_OTHER	BIT(31)	/* acknowledged, nothing to do */

/**
 * struct bm_card_counters - what the card itself counts (datasheet 3.4)
 * @busy_ns: nanoseconds during which some channel had work (channels at
 *	work together count once)
 * @bytes: bytes its descriptors moved, either way
 */
struct bm_card_counters {
	u64 busy_ns;
	u64 bytes;
};

/**
 * struct bm_model_ops - what differs from one card model to the next
 * @name: model name for messages
 * @model: enum busmaster_card_model
 * @init: check the card is what its ID says, reset it, and fill in
 *	@bm->adapter's card limits (the DEVICE_DESCRIPTION fields) and
 *	@bm->msix_vectors; no DMA yet
 * @start: after the DMA mask is set: allocate and program what the card
 *	reads from host memory (descriptor rings); may be NULL
 * @irq: read and acknowledge the causes of the card's interrupt that
 *	@vector serves (with MSI-X, each vector its own causes; else vector
 *	0, all of them), and complete the card transfers they finished;
 *	return the BM_IRQ_CAUSE_* bits seen, 0 when none was ours
 * @irq_thread: what @irq left for the interrupt thread (it said
 *	BM_IRQ_CAUSE_THREAD): restarting a halted channel, say; may be NULL
 * @selftest: with the interrupt handler installed, prove the card
 *	interrupts (and, where it can, moves data) in the mode we got
 * @reset: stop every DMA engine: 0 when the card touches no memory
 *	afterwards (or has left the bus), a negative errno when it will not
 *	stop (bm_reset_card() then quarantines it)
 * @restart: after a reset of the PCI function (through sysfs, or error
 *	recovery), program the card again as ->start() and the self-test
 *	left it (rings, interrupt mask); may be NULL
 * @submit: queue @xfer on the card behind the transfers already there
 *	(choosing a channel unless @xfer->follow), and call bm_xfer_done()
 *	when it is over (from the interrupt handler); -EBUSY when the card
 *	has no room for it now: the core tries again after the next
 *	bm_xfer_done(). It calls bm_xfer_posted() before the card can see
 *	@xfer. After a transfer fails, the later ones of its
 *	request on the card end with -ECANCELED without running, as far as
 *	the card allows (some may have started), and later ones are refused
 *	with -ECANCELED (bm_xfer_doomed())
 * @cancel: the caller stops waiting for @xfer (its timeout, or the caller
 *	is being killed): take it off the card whatever its state, so that
 *	the card does not touch its memory afterwards; unless it was over
 *	already, its error is @error and its bytes_done what completed. Other
 *	transfers carry on (they may be stopped and posted again, never
 *	failed); only a card that ignores a channel stop is reset, failing
 *	the transfers that reset interrupts with -ECANCELED, and one that
 *	ignores its reset too is quarantined
 * @debugfs_init: add the card's own debugfs files (fault injection) to
 *	@dir; may be NULL
 * @counters: read the card's own busy-time and byte counters, for
 *	statistics/card_busy_ns and card_bytes; NULL for a card without them
 *
 * Context: all but @irq run in process context; @irq runs in hard
 * interrupt context, @irq_thread in the interrupt's thread; @submit and
 * @cancel under @bm->lifetime held for read.
 */
struct bm_model_ops {
	const char *name;
	u32 model;
	int (*init)(struct bm_dev *bm);
	int (*start)(struct bm_dev *bm);
	u32 (*irq)(struct bm_dev *bm, unsigned int vector);
	void (*irq_thread)(struct bm_dev *bm);
	int (*selftest)(struct bm_dev *bm);
	int (*reset)(struct bm_dev *bm);
	void (*restart)(struct bm_dev *bm);
	int (*submit)(struct bm_dev *bm, struct bm_xfer *xfer);
	void (*cancel)(struct bm_dev *bm, struct bm_xfer *xfer, int error);
	void (*debugfs_init)(struct bm_dev *bm, struct dentry *dir);
	void (*counters)(struct bm_dev *bm, struct bm_card_counters *c);
};

/* What an interrupt vector's handler gets: the card, and which vector. */
struct bm_vector {
	struct bm_dev *bm;
	unsigned int index;
};

extern const struct bm_model_ops bm_edu_ops;
extern const struct bm_model_ops bm_bmc_ops;

/**
 * struct bm_budget - a card's share of something every device of the
 * machine shares (swiotlb, ZONE_DMA), so that no user of one card can take
 * it all
 * @used: pages taken
 * @max: pages the card may take (INT_MAX: no limit)
 */
struct bm_budget {
	atomic_t used;
	unsigned int max;
};

/**
 * struct bm_adapter - the DMA adapter: what the card can do, and what the
 * kernel gave it (NT: DEVICE_DESCRIPTION in, DMA_ADAPTER out)
 * @card_addr_bits: address bits the card drives (card capability)
 * @scatter_gather: the card takes chains of segments
 * @alignment: address/length alignment the card needs, bytes
 * @max_segments: segments per card transfer (1 without scatter/gather)
 * @max_segment_size: bytes per segment
 * @max_transfer_size: bytes per card transfer
 * @seg_boundary: no segment may cross a multiple of it (a power of two,
 *	bytes; 0: no such rule)
 * @card_mem_size: on-card memory, bytes
 * @card_mem_bar: on-card memory is visible in a BAR
 * @dma_channels: DMA engines on the card
 * @dma_addr_bits: width of the DMA mask set (<= @card_addr_bits)
 * @bounce: enum busmaster_bounce, see bm_adapter_setup()
 * @map_registers: pages one transfer may map at once (NumberOfMapRegisters)
 * @common_max: bytes a common buffer may have: one contiguous block
 * @pool_cpu: the map-register pool (BUSMASTER_BOUNCE_MAP_REGISTERS only):
 *	2 x @map_registers pages of coherent memory within the card's mask
 * @pool_dma: bus address of @pool_cpu
 * @pool_pages: pages in the pool
 * @pool_map: which of them are in use
 * @pool_waiters: requests waiting for map registers, in order
 * @pool_lock: protects @pool_map and @pool_waiters
 * @pool_wait: where those requests sleep, and those waiting for a bounce
 *	slot; woken when granted, and by bm_quarantine() and bm_revoke()
 * @bounce_slots: chunks the card may have mapped through swiotlb at once
 *	(BUSMASTER_BOUNCE_SWIOTLB: two per channel)
 * @bounce_used: how many it has
 * @registered_bounce: registered buffers mapped through swiotlb for as
 *	long as they live (BUSMASTER_BOUNCE_SWIOTLB; module parameter
 *	registered_bounce_mb)
 * @zone_dma: common buffers allocated in ZONE_DMA (a card below 32 bits
 *	without an IOMMU; module parameter zone_dma_kb)
 * @copy_bufs: files' copy buffers above 64 KiB (BM_COPY_BUDGET_KB)
 */
struct bm_adapter {
	u32 card_addr_bits;
	bool scatter_gather;
	u32 alignment;
	u32 max_segments;
	u64 max_segment_size;
	u64 max_transfer_size;
	u64 seg_boundary;
	u64 card_mem_size;
	bool card_mem_bar;
	u32 dma_channels;

	u32 dma_addr_bits;
	enum busmaster_bounce bounce;
	u32 map_registers;
	u64 common_max;
	void *pool_cpu;
	dma_addr_t pool_dma;
	u32 pool_pages;
	unsigned long *pool_map;
	struct list_head pool_waiters;
	spinlock_t pool_lock;		/* pool_map, pool_waiters */
	wait_queue_head_t pool_wait;
	int bounce_slots;
	atomic_t bounce_used;
	struct bm_budget registered_bounce;
	struct bm_budget zone_dma;
	struct bm_budget copy_bufs;
};

/**
 * struct bm_stats - what the driver holds right now, and totals; the
 * tests check what it holds is back at zero (debugfs), users read the
 * totals in sysfs (statistics/)
 * @bytes_to_card: bytes card transfers moved memory -> card
 * @bytes_from_card: and card -> memory
 * @bytes_bounced: bytes of requests copied through swiotlb or map registers
 *	on the way (registered buffers, mapped once, are not counted)
 * @transfers_to_card: card transfers that moved memory -> card
 * @transfers_from_card: and card -> memory
 * @requests: requests begun (TRANSFER, TRANSFERV, kernel memory)
 * @requests_failed: requests that ended with an error (not a transparent
 *	restart after a signal)
 * @requests_copied: TRANSFERs of user memory copied, not pinned (bm_copy.c)
 * @bytes_copied: the bytes they moved
 * @requests_in_flight: requests begun and not ended
 * @timeouts: card transfers that timed out (their channel was stopped)
 * @card_resets: times the driver reset the whole card: a transfer whose
 *	channel would not stop, removal, a reset of the PCI function, error
 *	recovery, probe (one of these may reset it more than once)
 * @pinned_pages: user pages pinned by transfers in progress
 * @map_registers_used: map registers handed out
 * @map_register_waits: times a transfer slept for map registers (total)
 * @common_buffers: common buffers allocated (freed on the last reference)
 * @common_mappers: (buffer, mm) pairs remembered for remove(): one per
 *	process that has a buffer mapped now
 * @transfers: card transfers completed or failed (total)
 * @kept: releases a quarantined card is kept from (bm_keep())
 */
struct bm_stats {
	atomic64_t bytes_to_card;
	atomic64_t bytes_from_card;
	atomic64_t bytes_bounced;
	atomic64_t transfers_to_card;
	atomic64_t transfers_from_card;
	atomic64_t requests;
	atomic64_t requests_failed;
	atomic64_t requests_copied;
	atomic64_t bytes_copied;
	atomic_t requests_in_flight;
	atomic_t timeouts;
	atomic_t card_resets;
	atomic_t pinned_pages;
	atomic_t map_registers_used;
	atomic_t map_register_waits;
	atomic_t common_buffers;
	atomic_t common_mappers;
	atomic_t transfers;
	atomic_t kept;
};

/**
 * struct bm_kept - a release put off while the card is quarantined
 * @node: in @bm->kept
 * @release: runs when the quarantine is lifted
 */
struct bm_kept {
	struct list_head node;
	void (*release)(struct bm_kept *k);
};

/**
 * struct bm_dev - one card
 * @pdev: the PCI device; NULL once remove() ran (files may outlive it)
 * @ops: the card model's operations
 * @regs: BAR0 registers
 * @adapter: the DMA adapter description
 * @priv: the card model's private state
 * @msix_vectors: vectors the card uses with MSI-X (its causes are wired to
 *	fixed vectors, so it is all of them or no MSI-X)
 * @irq_mode: enum busmaster_irq_mode in use
 * @irq_vectors: vectors allocated
 * @vectors: each vector's handler data, @irq_vectors of them
 * @irq_seen: completed by every interrupt that was ours; the probe-time
 *	self-tests wait on it
 * @id: N in /dev/busmasterN
 * @name: "busmasterN"
 * @slot: PCI address, kept for INFO after @pdev is gone
 * @xfer_wait: submitters waiting for room on the card's rings, woken by
 *	every bm_xfer_done(), by bm_quarantine() and by bm_revoke()
 * @revoked: 0, or what every new card transfer fails with: -ENODEV once
 *	remove() began, -ECANCELED while the PCI function is reset
 * @submit_lock: orders @revoked against submissions: a transfer submitted
 *	after bm_revoke() set it is never on the card
 * @request_ids: the last request's number (struct bm_request.id)
 * @stats: counters, see struct bm_stats
 * @kselftest_verified: bytes the last in-kernel self-test verified
 * @map_ids: the common buffers' map_ids
 * @common_list: common buffers of all files, for remove() to free
 * @common_lock: protects @common_list and each buffer's memory (cpu,
 *	mapping, mappers, revoked) against remove() and mmap()
 * @regbuf_list: registered buffers of all files, for remove() to unmap
 * @regbuf_list_lock: protects @regbuf_list and each buffer's @mapped
 * @copy_bufs: files' copy buffers with memory, for remove() to unmap
 * @copy_bufs_lock: protects @copy_bufs and each buffer's mapping
 * @debugfs: this card's debugfs folder
 * @misc: the char device
 * @quarantined: a transfer or reset could not stop the card, or its link
 *	reported an error: bus mastering is off, new requests fail, nothing
 *	the card was given is given back (bm_quarantine.c)
 * @page_descriptors: debugfs, for a benchmark's peer design: a scatterlist
 *	entry, so a descriptor, per page, contiguous pages never merged
 * @kept: the releases put off meanwhile, struct bm_kept
 * @kept_lock: protects @quarantined and @kept
 * @err_link_reset: PCI error recovery reset the link (a fatal error); else
 *	slot_reset() stops the card with its own reset
 * @queue_lock: protects @queues, @idle_workers and @shares
 * @queues: files with asynchronous requests queued, in turn (bm_queue.c)
 * @idle_workers: the card's workers with nothing to run
 * @workers: its card_running workers
 * @nworkers: how many
 * @shares: each user's running requests (at most @nworkers users run some)
 * @user_cap: requests one user may run at once on the card: half of them
 * @kref: one reference for the PCI binding, one per open file, one per
 *	busy worker
 * @lifetime: held for read by every file operation that touches the card,
 *	for write by remove() while it marks the card gone; a holder for read
 *	sees @pdev valid or NULL, never half torn down. Dropped around what
 *	may fault on user memory (bm_user_access_begin()), so that a fault
 *	that never ends (userfaultfd, FUSE) holds no one else up
 */
struct bm_dev {
	struct pci_dev *pdev;
	const struct bm_model_ops *ops;
	void __iomem *regs;
	struct bm_adapter adapter;
	void *priv;
	u16 msix_vectors;
	u8 irq_mode;
	u16 irq_vectors;
	struct bm_vector *vectors;
	struct completion irq_seen;
	int id;
	char name[16];
	char slot[16];
	wait_queue_head_t xfer_wait;
	int revoked;
	spinlock_t submit_lock;		/* revoked vs submissions */
	atomic_t request_ids;
	struct bm_stats stats;
	u64 kselftest_verified;
	struct ida map_ids;
	struct list_head common_list;
	struct mutex common_lock;	/* common_list, bm_common memory and mappings */
	struct list_head regbuf_list;
	struct mutex regbuf_list_lock;	/* regbuf_list, and bm_reg.mapped */
	struct list_head copy_bufs;
	struct mutex copy_bufs_lock;	/* copy_bufs, and their mappings */
	struct dentry *debugfs;
	struct miscdevice misc;
	bool quarantined;
	bool page_descriptors;
	struct list_head kept;
	spinlock_t kept_lock;		/* quarantined, kept */
	bool err_link_reset;
	spinlock_t queue_lock;		/* queues, idle_workers, shares */
	struct list_head queues;
	struct list_head idle_workers;
	struct bm_worker *workers;
	unsigned int nworkers;
	struct bm_user_share *shares;
	unsigned int user_cap;
	struct kref kref;
	struct rw_semaphore lifetime;
};

/**
 * struct bm_charge - memory pinned or locked on a process's behalf,
 * charged to RLIMIT_MEMLOCK (bm_charge_pinned())
 * @user: whose limit it counts against (user->locked_vm); a reference is
 *	held; NULL when a caller with CAP_IPC_LOCK went past the limit
 * @mm: whose VmPin (pinned_vm) shows it; mmgrab()ed
 * @npages: pages
 */
struct bm_charge {
	struct user_struct *user;
	struct mm_struct *mm;
	unsigned long npages;
};

/**
 * struct bm_common - a common buffer (NT: AllocateCommonBuffer)
 * @kref: the file's handle, each mapping and each transfer on it hold one
 * @bm: the card (a reference is held)
 * @dev: the device it was allocated for (a reference is held, so the
 *	memory can be freed after remove())
 * @charge: its charge under RLIMIT_MEMLOCK
 * @cpu: kernel address; NULL once remove() freed it
 * @dma: bus address, within the card's reach
 * @size: bytes, whole pages
 * @map_id: names it on the card, unique among all files' buffers: the
 *	mmap offset is @map_id << 32
 * @mapping: the device file's address_space once mapped, to zap on remove()
 * @mappers: how many mappings of it each mm has, keyed by the mm's
 *	address (mmgrab()ed while it has any): remove() waits for their
 *	mmap() calls before it zaps
 * @revoked: remove() began: no new mappings
 * @revoke_node: in remove()'s list of buffers it holds while it waits
 * @node: in @bm->common_list
 */
struct bm_common {
	struct kref kref;
	struct bm_dev *bm;
	struct device *dev;
	struct bm_charge charge;
	u32 map_id;
	struct address_space *mapping;
	struct xarray mappers;
	bool revoked;
	struct list_head revoke_node;
	struct list_head node;
	void *cpu;
	dma_addr_t dma;
	size_t size;
};

/**
 * struct bm_regbuf - a registered buffer: user pages pinned long-term and,
 * where the DMA API can, mapped once (NT: an MDL kept with its
 * scatter/gather list built once, BuildScatterGatherList)
 * @kref: the file's handle and each transfer on it hold one
 * @bm: the card (a reference is held)
 * @dev: the device it is mapped for (a reference is held)
 * @charge: its charge under RLIMIT_MEMLOCK
 * @pages: the pinned pages
 * @npages: how many
 * @offset: where the buffer starts in @pages[0]
 * @length: bytes
 * @card_writes: pinned writable: the card may write it
 * @mapped: @sgt is mapped (not for cards that bounce through map
 *	registers, nor after remove())
 * @runs: each entry of @sgt is a single mapping of its own, synced in
 *	part; else @sgt is mapped as one and never needs a sync
 * @dir: DMA_BIDIRECTIONAL, or DMA_TO_DEVICE when the card may not write it
 * @sgt: the pages as an sg_table, mapped when @mapped
 * @node: in @bm->regbuf_list, so remove() can unmap what files still hold
 * @kept: its release, put off while the card is quarantined
 */
struct bm_regbuf {
	struct kref kref;
	struct bm_dev *bm;
	struct device *dev;
	struct bm_charge charge;
	struct page **pages;
	unsigned int npages;
	unsigned int offset;
	u64 length;
	bool card_writes;
	bool mapped;
	bool runs;
	enum dma_data_direction dir;
	struct sg_table sgt;
	struct list_head node;
	struct bm_kept kept;
};

/* How a mapping by a card holds its user pages (bm_pages_claim()). */
enum bm_claim {
	BM_CLAIM_SHARED,	/* a memory -> card request: with other such */
	BM_CLAIM_EXCLUSIVE,	/* a card -> memory request: alone, briefly */
	/* a registered buffer the card writes: alone, until released */
	BM_CLAIM_LONG_TERM,
	/* a registered buffer the card only reads: with readers, until released */
	BM_CLAIM_LONG_TERM_SHARED,
	BM_CLAIM_NONE,		/* not claimed (yet) */
};

/* What a request moves, for the tracepoints (busmaster_trace.h). */
enum bm_request_kind {
	BM_REQ_USER,		/* TRANSFER of user memory */
	BM_REQ_IOVEC,		/* TRANSFERV */
	BM_REQ_COMMON,		/* TRANSFER of a common buffer */
	BM_REQ_REGISTERED,	/* TRANSFER of a registered buffer */
	BM_REQ_KERNEL,		/* bm_transfer_kernel() */
	BM_REQ_COPY,		/* TRANSFER of user memory, copied (bm_copy.c) */
};

/* Card transfers of one request on the card at once. */
#define BM_REQUEST_DEPTH	4
/* Chunks of one request mapped at once: one on the card, the next ready. */
#define BM_REQUEST_CHUNKS	2

/**
 * struct bm_chunk - what one chunk of a request holds (NT: an MDL's share
 * of map registers) until the card is done with its card transfers
 * @pages: room for the pages of a chunk pinned (map_registers entries),
 *	allocated by its first user
 * @src: its pages: @pages, or those of the caller (registered, kernel)
 * @in_page: where its data starts in @src[0]
 * @len: its bytes
 * @start: bytes of the request before it
 * @npages: pages pinned for it into @pages (0: the caller holds them)
 * @claim: how they are claimed (bm_pages_claim())
 * @sgt: its pages as an sg_table, while @sgt.sgl
 * @mapped: @sgt is mapped for the card
 * @bounce: it holds one of the card's bounce slots
 * @first: its first map register
 * @nregs: its map registers (0: none)
 * @first_seq: the request's card transfers posted before it
 * @last_seq: and after it: [@first_seq, @last_seq) are its own
 */
struct bm_chunk {
	struct page **pages;
	struct page **src;
	unsigned int in_page;
	u64 len;
	u64 start;
	unsigned int npages;
	enum bm_claim claim;
	struct sg_table sgt;
	bool mapped;
	bool bounce;
	long first;
	unsigned int nregs;
	u32 first_seq;
	u32 last_seq;
};

/**
 * struct bm_request - one transfer request in progress (NT: one IRP)
 * @bm: the card
 * @id: its number on the card, for the tracepoints
 * @from_card: card -> memory
 * @dir: the DMA API direction for the host side
 * @card_offset: where the next card transfer starts in card memory
 * @timeout: jiffies one card transfer may take, from the time the request
 *	waits for it (those before it done)
 * @bytes_done: bytes completed in order, from the start of the request
 * @card_status: the card's code for a failing segment
 * @transfers: card transfers that ran
 * @error: the first error; nothing more is submitted after it
 * @failed: a card transfer failed: those after it do not count
 * @xfer_failed: one of its card transfers ended with an error, seen by
 *	bm_xfer_done() under the card model's lock: the card takes no more
 * @posted_bytes: bytes in card transfers posted so far
 * @xfers: its card transfers: @xfers[@posted % BM_REQUEST_DEPTH] is
 *	being filled, those from @reaped on are on the card
 * @posted: card transfers posted so far
 * @reaped: of those, how many are over and counted
 * @chan: the channel its card transfers on the card were posted on
 * @chunks: the chunks mapped: @chunks_ended up to @chunks_begun
 * @chunks_begun: chunks begun so far
 * @chunks_ended: of those, how many were released
 * @lock: orders @xfers[].over and @stop against their waiter
 * @wait: where the request waits for its card transfers
 * @stop: set by bm_request_stop(): every wait of the request ends, and it
 *	fails with ECANCELED as it would for a fatal signal (an asynchronous
 *	request, run by a worker that gets no signals, is cancelled so)
 * @stop_grace: jiffies the card transfer on the card may still take after
 *	@stop before it is taken back: 0, or for a requester without
 *	CAP_SYS_ADMIN the floor of a timeout, so that cancelling stops a
 *	shared channel no more often than a timeout can
 *
 * The request moves in order: its card transfers are queued on one
 * channel, up to BM_REQUEST_DEPTH at once, and the next chunk is pinned
 * and mapped while the card moves the one before (bm_transfer.c).
 */
struct bm_request {
	struct bm_dev *bm;
	u32 id;
	bool from_card;
	enum dma_data_direction dir;
	u64 card_offset;
	unsigned long timeout;
	u64 bytes_done;
	u32 card_status;
	u32 transfers;
	int error;
	bool failed;
	bool xfer_failed;
	u64 posted_bytes;
	struct bm_xfer xfers[BM_REQUEST_DEPTH];
	u32 posted;
	u32 reaped;
	u32 chan;
	struct bm_chunk chunks[BM_REQUEST_CHUNKS];
	u32 chunks_begun;
	u32 chunks_ended;
	spinlock_t lock;		/* xfers[].over, stop */
	wait_queue_head_t wait;
	bool stop;
	unsigned long stop_grace;
};

/**
 * struct bm_ioctl_ctx - what an ioctl handler tells bm_ioctl() besides its
 * errno
 * @respond: copy the argument back although the handler failed (a
 *	transfer's bytes_done and card_status)
 * @handles: set by a handler that created an object: the file's table in
 *	which it reserved @handle (bm_handle_reserve())
 * @handle: the reserved handle, already written into the answer
 * @created: the object, finished but reachable by no other call yet
 * @publish: makes @created reachable, instead of storing it under @handle
 *	(an asynchronous request queued, completion records given up)
 * @destroy: drops @created when the caller cannot be told its handle
 *
 * A created object is published only after the answer reached the caller:
 * until then no other thread can find it, and a call whose answer cannot
 * be written back leaves nothing behind.
 */
struct bm_ioctl_ctx {
	bool respond;
	struct xarray *handles;
	u32 handle;
	void *created;
	void (*publish)(void *obj);
	void (*destroy)(void *obj);
};

/**
 * struct bm_queue - a file's asynchronous requests (bm_queue.c)
 * @bm: the card
 * @lock: protects what follows but @ids' own locking
 * @owner: the thread group whose SUBMIT first passed its checks
 *	(get_pid()), or NULL
 * @uid: @owner's user then: its requests count in that user's share
 * @binding: SUBMITs past that check not yet queued or undone: when the
 *	last is undone and none was queued, @owner is let go
 * @owned: a request of @owner was queued: @owner stays
 * @queued: requests waiting for a worker, in order
 * @running: requests a worker runs
 * @done: completions to reap, in order
 * @ids: every request in flight, by id
 * @next_id: for xa_alloc_cyclic()
 * @depth: requests it may have in flight (BUSMASTER_IOCTL_QUEUE)
 * @in_flight: submitted and not reaped
 * @ndone: on @done
 * @held: requests off every list (taken by a worker, being cancelled)
 * @wait: poll(), REAP and flush() wait here; woken by every completion
 * @card_node: in @bm->queues while it has requests queued
 */
struct bm_queue {
	struct bm_dev *bm;
	spinlock_t lock;		/* lists, counts, owner */
	struct pid *owner;
	kuid_t uid;
	u32 binding;
	bool owned;
	struct list_head queued;
	struct list_head running;
	struct list_head done;
	struct xarray ids;
	u32 next_id;
	u32 depth;
	u32 in_flight;
	u32 ndone;
	u32 held;
	wait_queue_head_t wait;
	struct list_head card_node;
};

/*
 * The file's copy buffer (bm_copy.c): up to BM_COPY_SLOTS pieces of
 * BM_COPY_PIECE bytes, one copied while the card moves the others.
 */
#define BM_COPY_PIECE	SZ_256K
#define BM_COPY_SLOTS	4
#define BM_COPY_SIZE	(BM_COPY_PIECE * BM_COPY_SLOTS)
/* The files of one card hold at most this much in copy buffers above 64 KiB. */
#define BM_COPY_BUDGET_KB	(64 << 10)

struct bm_copy_mem;

/**
 * struct bm_copy_buf - kernel memory a file's requests are copied through
 * @lock: one request at a time uses it
 * @mem: the memory and its mapping, or NULL until first use
 * @node: in the card's @copy_bufs while @mem is set, so that remove()
 *	unmaps it
 */
struct bm_copy_buf {
	struct mutex lock;	/* the buffer's user, and @mem */
	struct bm_copy_mem *mem;
	struct list_head node;
};

/**
 * struct bm_file - one open file of /dev/busmasterN
 * @bm: the card; the file holds a reference
 * @commons: this file's common buffers by handle
 * @regbufs: this file's registered buffers by handle
 * @queue: its asynchronous requests
 * @copy: its buffer for requests copied, not pinned (bm_copy.c)
 *
 * Per-file state lives here so that many files, and later many requests
 * per file, proceed independently; a handle means nothing in another file.
 */
struct bm_file {
	struct bm_dev *bm;
	struct xarray commons;
	struct xarray regbufs;
	struct bm_queue queue;
	struct bm_copy_buf copy;
};

/*
 * Known defects the debug lane's negative control plants (module parameter
 * plant_defects, a mask; 0 in every other lane): each is a bug the stock
 * suite cannot see and one of the debug kernel's instruments must report.
 */
#define BM_DEFECT_USE_AFTER_FREE BIT(0) /* COMMON_FREE reads the freed buffer: KASAN */
#define BM_DEFECT_LEAK		BIT(1)	/* a registered buffer's pages array is lost: kmemleak */
#define BM_DEFECT_LOCK_ORDER	BIT(2)	/* both orders of the buffer-list locks: lockdep */
#define BM_DEFECT_DMA_DIRECTION	BIT(3)	/* unmap in the wrong direction: DMA-API debug */

extern unsigned int bm_plant_defects;

static inline bool bm_planted(unsigned int defect)
{
	return unlikely(READ_ONCE(bm_plant_defects) & defect);
}

/**
 * bm_user_access_begin - let go of the card around what may fault on user
 * memory (pinning, copying in): such a fault can take forever (userfaultfd,
 * FUSE), and remove() or a reset must not wait for it
 * @bm: the card; the caller holds nothing of its DMA side (no mapping, no
 *	map register, no card transfer) until bm_user_access_end() -- but
 *	for the file's copy buffer, which stays mapped and which remove()
 *	unmaps meanwhile (bm_copy_unmap_all())
 *
 * Context: an ioctl, @bm->lifetime held for read; released.
 */
static inline void bm_user_access_begin(struct bm_dev *bm)
{
	up_read(&bm->lifetime);
}

/**
 * bm_user_access_end - hold the card again after bm_user_access_begin()
 * @bm: the card
 *
 * Context: @bm->lifetime taken for read again.
 * Return: 0, or -ENODEV when the card was removed meanwhile.
 */
static inline int bm_user_access_end(struct bm_dev *bm)
{
	down_read(&bm->lifetime);
	return bm->pdev ? 0 : -ENODEV;
}

/**
 * BM_PARAM_UINT - a module parameter of unsigned int checked against a range
 * when it is set (at load, and through sysfs when writable): a value out of
 * range fails with EINVAL there, never later at probe
 * @name: the parameter's name
 * @var: the variable behind it
 * @min: smallest value
 * @max: largest value
 * @perm: its sysfs permissions
 */
#define BM_PARAM_UINT(name, var, min, max, perm)				\
	static int bm_param_set_##name(const char *val,			\
				       const struct kernel_param *kp)	\
	{								\
		return param_set_uint_minmax(val, kp, min, max);		\
	}								\
	static const struct kernel_param_ops bm_param_ops_##name = {	\
		.set = bm_param_set_##name,				\
		.get = param_get_uint,					\
	};								\
	module_param_cb(name, &bm_param_ops_##name, &(var), perm)

/* bm_main.c */
int bm_reset_card(struct bm_dev *bm);
void bm_card_reset_seen(struct bm_dev *bm, int ret);
void bm_dev_get(struct bm_dev *bm);
void bm_dev_put(struct bm_dev *bm);
int bm_wait_irq(struct bm_dev *bm);

/* bm_adapter.c */
int bm_adapter_setup(struct bm_dev *bm, unsigned int max_addr_bits,
		     unsigned int pool_pages);
const char *bm_bounce_name(enum busmaster_bounce bounce);
int bm_budget_take(struct bm_budget *b, unsigned int pages);
void bm_budget_give(struct bm_budget *b, unsigned int pages);
unsigned int bm_sg_max_segment(struct bm_dev *bm);

/* bm_engine.c */
extern unsigned int bm_timeout_ms;
void bm_xfer_done(struct bm_dev *bm, struct bm_xfer *x);
void bm_xfer_posted(const struct bm_xfer *x);

/**
 * bm_xfer_doomed - may the card model not run @x?
 * @x: a card transfer being submitted
 *
 * Context: the card model's lock, the one bm_xfer_done() is called under.
 * Return: true when a card transfer of its request before it failed.
 */
static inline bool bm_xfer_doomed(const struct bm_xfer *x)
{
	return READ_ONCE(x->rq->xfer_failed);
}

u64 bm_caller_timeout_ms(u64 timeout_ms);
void bm_request_init(struct bm_request *rq, struct bm_dev *bm, bool from_card,
		     u64 card_offset, u64 timeout_ms);
void bm_request_fini(struct bm_request *rq);
int bm_request_interrupted(struct bm_request *rq);
void bm_request_stop(struct bm_request *rq);
void bm_feed(struct bm_request *rq, dma_addr_t addr, u64 len);
void bm_feed_sgtable(struct bm_request *rq, struct sg_table *sgt, u64 offset,
		     u64 len);
void bm_xfer_submit(struct bm_request *rq);
void bm_request_drain(struct bm_request *rq, u32 seq);
void bm_request_wait(struct bm_request *rq);
void bm_revoke(struct bm_dev *bm, int error);

/* bm_pin.c */
int bm_pin_user(struct bm_dev *bm, u64 start, unsigned int npages,
		unsigned int gup_flags, struct page **pages, bool present);
int bm_user_writable(struct bm_dev *bm, u64 addr, u64 len, bool long_term,
		     bool *writable);
int bm_charge_pinned(struct bm_charge *ch, unsigned long npages);
void bm_uncharge_pinned(struct bm_charge *ch);
extern atomic_t bm_claimed_pages;
int bm_pages_claim(struct page **pages, unsigned int npages, void *owner,
		   enum bm_claim mode, bool wait, const bool *stop);
void bm_pages_claim_wake(void);
void bm_pages_release(struct page **pages, unsigned int npages, void *owner,
		      enum bm_claim mode);
void bm_pages_claim_move(struct page **pages, unsigned int npages,
			 void *from, void *to, enum bm_claim *mode);

/* bm_transfer.c */
void bm_transfer_pages(struct bm_request *rq, struct page **pages, u64 off,
		       u64 len, enum bm_claim claim);
void bm_transfer_drain(struct bm_request *rq);
void bm_transfer_finish(struct bm_request *rq);
void bm_transfer_common(struct bm_request *rq, struct bm_common *c,
			u64 offset, u64 length);
int bm_transfer_check(struct bm_file *bf, u32 flags, u32 handle, u64 addr,
		      u64 length, u64 card_offset, bool long_term,
		      struct bm_common **common, struct bm_regbuf **rbuf);
int bm_transferv_check(struct bm_file *bf, bool from_card, u32 count,
		       u64 uiov, u64 card_offset, bool long_term,
		       struct busmaster_iovec **iovp);
int bm_ioctl_transfer(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
int bm_ioctl_transferv(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);

/* bm_copy.c */
bool bm_copy_wanted(struct bm_dev *bm, u32 flags, u64 length);
int bm_transfer_copy(struct bm_file *bf, struct busmaster_transfer *t,
		     bool *declined);
void bm_copy_buf_init(struct bm_copy_buf *cb);
void bm_copy_buf_release(struct bm_dev *bm, struct bm_copy_buf *cb);
void bm_copy_unmap_all(struct bm_dev *bm);

/* bm_registered.c */
int bm_ioctl_register(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
int bm_ioctl_unregister(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
int bm_ioctl_sync(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
struct bm_regbuf *bm_regbuf_get(struct bm_file *bf, u32 handle);
void bm_regbuf_put(struct bm_regbuf *reg);
void bm_regbuf_release_all(struct bm_file *bf);
void bm_regbuf_unmap_all(struct bm_dev *bm);
void bm_transfer_registered(struct bm_request *rq, struct bm_regbuf *reg,
			    u64 offset, u64 len, bool sync);
int bm_transfer_kernel(struct bm_dev *bm, void *buf, size_t len,
		       u64 card_offset, bool from_card);

/* bm_queue.c */
int bm_ioctl_submit(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
int bm_ioctl_reap(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
int bm_ioctl_cancel(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
int bm_ioctl_queue(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
struct io_uring_cmd;
int bm_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
void bm_queue_init(struct bm_file *bf);
void bm_queue_flush(struct bm_file *bf);
void bm_queue_release(struct bm_file *bf);
__poll_t bm_queue_poll(struct bm_file *bf, struct file *file,
		       struct poll_table_struct *pt);
int bm_queue_card_init(struct bm_dev *bm);
void bm_queue_card_free(struct bm_dev *bm);
int bm_queue_module_init(void);
void bm_queue_module_exit(void);

/* bm_mapreg.c */
int bm_mapreg_init(struct bm_dev *bm, unsigned int share);
long bm_mapreg_get(struct bm_request *rq, unsigned int pages, bool wait);
void bm_mapreg_put(struct bm_dev *bm, unsigned long first, unsigned int pages);
int bm_bounce_get(struct bm_request *rq, bool wait);
void bm_bounce_put(struct bm_dev *bm);

/* bm_common_buffer.c */
int bm_ioctl_common_alloc(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
int bm_ioctl_common_free(struct bm_file *bf, void *arg, struct bm_ioctl_ctx *ctx);
struct bm_common *bm_common_get(struct bm_file *bf, u32 handle);
void bm_common_put(struct bm_common *c);
void bm_common_release_all(struct bm_file *bf);
void bm_common_free_all(struct bm_dev *bm);
int bm_common_mmap(struct bm_file *bf, struct vm_area_struct *vma);

/* bm_quarantine.c */
void bm_quarantine(struct bm_dev *bm, const char *why);
bool bm_keep(struct bm_dev *bm, struct bm_kept *k,
	     void (*release)(struct bm_kept *k));
void bm_quarantine_lift(struct bm_dev *bm);
void bm_quarantine_abandon(struct bm_dev *bm);
void bm_free_coherent(struct bm_dev *bm, struct device *dev, size_t size,
		      void *cpu, dma_addr_t dma);
void *bm_dmam_alloc_coherent(struct bm_dev *bm, size_t size, dma_addr_t *dma);

/* bm_debugfs.c */
void bm_debugfs_module_init(void);
void bm_debugfs_module_exit(void);
void bm_debugfs_add(struct bm_dev *bm);
void bm_debugfs_remove(struct bm_dev *bm);

/* bm_sysfs.c */
extern const struct attribute_group *bm_sysfs_groups[];

/* bm_chardev.c */
int bm_handle_reserve(struct xarray *handles, u32 max, u32 *handle);
void *bm_handle_take(struct xarray *handles, u32 handle);
int bm_chardev_register(struct bm_dev *bm);
void bm_chardev_unregister(struct bm_dev *bm);

#endif /* _BUSMASTER_H */
