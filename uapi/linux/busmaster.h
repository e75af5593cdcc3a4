/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * busmaster: ioctl ABI of the busmaster DMA driver (/dev/busmasterN).
 *
 * Conventions, shared by every command:
 *  - The command number carries no size. The argument is a struct whose
 *    first field, @size, is sizeof() the struct as the caller was built with.
 *    The kernel accepts any @size from the command's minimum up: a shorter
 *    struct (older caller) is served what fits, a longer one (newer caller)
 *    is accepted if the bytes the kernel does not know are all zero.
 *  - Every struct has @flags and reserved fields; unknown flags and
 *    non-zero reserved fields are refused.
 *  - All fields are fixed width and naturally aligned; user pointers and
 *    lengths are 64-bit fields, so 32-bit processes use the same layout. A 32-bit
 *    process maps a common buffer at its @mmap_offset, which is above
 *    4 GiB, with 64-bit file offsets (-D_FILE_OFFSET_BITS=64, or mmap64()).
 *  - No command takes a physical or bus address from userspace.
 *
 * Errors common to every command:
 *  ENOTTY  unknown command number or ioctl type
 *  EFAULT  the argument cannot be read or written
 *  EINVAL  @size below the command's minimum, unknown @flags bits,
 *          non-zero reserved fields
 *  E2BIG   @size larger than the kernel knows and the extra bytes not
 *          zero, or larger than a page
 *  ENODEV  the card was removed; only close() is useful now. A request
 *          in progress at the removal ends at once with it (and its
 *          bytes_done, where it has one)
 *
 * Commands with results that matter on failure (TRANSFER's and TRANSFERV's
 * bytes_done) write their output fields back on failure too, once the
 * request passed its checks; the others write nothing back on failure.
 *
 * Who shares what: a card's on-card memory is one resource for every
 * opener of the card -- any file may read or write any offset of it, and
 * nothing there separates one user's bytes from another's. The device
 * node's permissions are the only boundary between users: give a card
 * only to people who may see and change each other's data on it. Host
 * memory is not shared: handles belong to the file that made them, and a
 * transfer reaches only the caller's own memory.
 */
#ifndef _UAPI_LINUX_BUSMASTER_H
#define _UAPI_LINUX_BUSMASTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define BUSMASTER_ABI_VERSION	3	/* 2: SUBMIT, REAP, CANCEL, QUEUE; 3: XFER_COPY, XFER_PIN */
#define BUSMASTER_IOCTL_TYPE	0xBB

enum {
	BUSMASTER_CMD_BASE = 0x40,
	BUSMASTER_CMD_INFO = BUSMASTER_CMD_BASE,
	BUSMASTER_CMD_TRANSFER,
	BUSMASTER_CMD_COMMON_ALLOC,
	BUSMASTER_CMD_COMMON_FREE,
	BUSMASTER_CMD_REGISTER,
	BUSMASTER_CMD_UNREGISTER,
	BUSMASTER_CMD_SYNC,
	BUSMASTER_CMD_TRANSFERV,
	BUSMASTER_CMD_SUBMIT,
	BUSMASTER_CMD_REAP,
	BUSMASTER_CMD_CANCEL,
	BUSMASTER_CMD_QUEUE,
};

/** enum busmaster_card_model - which card this file drives */
enum busmaster_card_model {
	BUSMASTER_MODEL_EDU = 1,	/* QEMU's stock "edu" device, 1234:11e8 */
	BUSMASTER_MODEL_CARD = 2,	/* our emulated busmaster card, 1234:bb01 */
};

/* busmaster_info.caps */
enum {
	BUSMASTER_CAP_SCATTER_GATHER = 1 << 0,	/* chains of segments */
	BUSMASTER_CAP_CARD_MEM_BAR = 1 << 1,	/* card memory CPU-visible */
};

/** enum busmaster_irq_mode - interrupt mode the driver got */
enum busmaster_irq_mode {
	BUSMASTER_IRQ_NONE = 0,
	BUSMASTER_IRQ_INTX = 1,
	BUSMASTER_IRQ_MSI = 2,
	BUSMASTER_IRQ_MSIX = 3,
};

/**
 * enum busmaster_bounce - how a user buffer reaches a card that cannot
 * address all of memory ("map registers" in the NT model)
 * @BUSMASTER_BOUNCE_NONE: the card reaches all memory; buffers are mapped
 *	directly.
 * @BUSMASTER_BOUNCE_IOMMU: an IOMMU translates; bus addresses are chosen
 *	within the card's reach and nothing is copied.
 * @BUSMASTER_BOUNCE_SWIOTLB: the DMA API copies through the kernel's swiotlb
 *	pool, which lies within the card's reach (cards of 32 bits and more).
 * @BUSMASTER_BOUNCE_MAP_REGISTERS: the card cannot reach the swiotlb pool
 *	either (below 32 bits); the driver copies through its own pool of
 *	@map_registers pages allocated within the card's mask.
 */
enum busmaster_bounce {
	BUSMASTER_BOUNCE_NONE = 0,
	BUSMASTER_BOUNCE_IOMMU = 1,
	BUSMASTER_BOUNCE_SWIOTLB = 2,
	BUSMASTER_BOUNCE_MAP_REGISTERS = 3,
};

/**
 * struct busmaster_info - BUSMASTER_IOCTL_INFO: the adapter description
 * (the NT DEVICE_DESCRIPTION and what IoGetDmaAdapter returned for it)
 * @size: in: sizeof(struct busmaster_info)
 * @flags: in: must be 0
 * @reserved: in: must be 0
 * @abi_version: BUSMASTER_ABI_VERSION of the driver
 * @card_model: enum busmaster_card_model
 * @pci_vendor: PCI vendor ID
 * @pci_device: PCI device ID
 * @pci_revision: PCI revision ID
 * @irq_mode: enum busmaster_irq_mode in use
 * @irq_vectors: number of interrupt vectors allocated
 * @pci_slot: PCI address, "dddd:bb:ss.f", NUL-terminated
 * @driver_version: driver version string, NUL-terminated
 * @card_addr_bits: address bits the card says it drives
 * @dma_addr_bits: width of the DMA mask in use (<= @card_addr_bits; narrower
 *	when the max_addr_bits module parameter says so)
 * @caps: BUSMASTER_CAP_* bits
 * @alignment: address and length alignment the card needs, in bytes
 * @max_segments: segments the card takes in one transfer (1: no
 *	scatter/gather, the driver feeds one segment at a time)
 * @max_segment_size: bytes in one segment
 * @max_transfer_size: bytes in one card transfer; larger requests are split
 * @card_mem_size: bytes of on-card memory
 * @dma_channels: independent DMA engines on the card
 * @bounce: enum busmaster_bounce, chosen at probe
 * @map_registers: pages one transfer may map at once (NumberOfMapRegisters):
 *	the smaller of what the card's limits span and what the bounce
 *	strategy can hold
 * @common_max: bytes one common buffer may have on this card, at most
 *	BUSMASTER_COMMON_MAX: without an IOMMU a common buffer is one
 *	physically contiguous block, and the page allocator gives at most
 *	4 MiB (PAGE_SIZE << MAX_PAGE_ORDER; the driver does not count on CMA,
 *	which Debian's kernels lack); behind an IOMMU, pages joined under one
 *	bus address range, up to a quarter of the card's coherent reach
 * @seg_boundary: no segment the card is given crosses a multiple of this
 *	many bytes (a power of two; ISA-era engines cannot cross 64 KiB, some
 *	others 4 GiB), 0 when the card has no such rule; the driver cuts
 *	segments there, so callers need not care
 *
 * Newer drivers append fields; @size tells which ones the caller gets.
 */
struct busmaster_info {
	__u32 size;
	__u32 flags;
	__u64 reserved;

	__u32 abi_version;
	__u32 card_model;
	__u16 pci_vendor;
	__u16 pci_device;
	__u8 pci_revision;
	__u8 irq_mode;
	__u16 irq_vectors;
	char pci_slot[16];
	char driver_version[16];

	__u32 card_addr_bits;
	__u32 dma_addr_bits;
	__u32 caps;
	__u32 alignment;
	__u32 max_segments;
	__u32 dma_channels;
	__u64 max_segment_size;
	__u64 max_transfer_size;
	__u64 card_mem_size;
	__u32 bounce;
	__u32 map_registers;
	__u64 common_max;
	__u64 seg_boundary;
};

#define BUSMASTER_TIMEOUT_MAX_MS	600000	/* 10 minutes */
/* Shorter timeouts are raised to this for callers without CAP_SYS_ADMIN. */
#define BUSMASTER_TIMEOUT_MIN_MS	100

/* busmaster_transfer.flags */
enum {
	BUSMASTER_XFER_FROM_CARD = 1 << 0,	/* card -> memory; else memory -> card */
	BUSMASTER_XFER_COMMON = 1 << 1,		/* @addr is an offset in common buffer @handle */
	BUSMASTER_XFER_REGISTERED = 1 << 2,	/* @addr is an offset in registered @handle */
	BUSMASTER_XFER_NO_SYNC = 1 << 3,	/* registered only: the caller syncs (SYNC) */
	BUSMASTER_XFER_COPY = 1 << 4,		/* TRANSFER, user memory: copy, never pin */
	BUSMASTER_XFER_PIN = 1 << 5,		/* TRANSFER, user memory: pin, never copy */
	BUSMASTER_XFER_IOVEC = 1 << 8,		/* SUBMIT only: @addr is an iovec */
};

/**
 * struct busmaster_transfer - BUSMASTER_IOCTL_TRANSFER: move a user buffer
 * to or from on-card memory by busmaster DMA, and wait for it
 * (IoAllocateMdl + MmProbeAndLockPages + GetScatterGatherList, the
 * AdapterControl callback, FlushAdapterBuffers and MmUnlockPages, in one)
 * @size: in: sizeof(struct busmaster_transfer)
 * @flags: in: BUSMASTER_XFER_* bits
 * @handle: in: with BUSMASTER_XFER_COMMON or _REGISTERED, the buffer; else 0
 * @reserved: in: must be 0
 * @addr: in: user virtual address of the buffer, or with
 *	BUSMASTER_XFER_COMMON or _REGISTERED the byte offset in that buffer
 *	(IoBuildPartialMdl: any sub-range)
 * @length: in: bytes to move, at least 1
 * @card_offset: in: byte offset in on-card memory
 * @timeout_ms: in: time one card transfer may take, at most
 *	BUSMASTER_TIMEOUT_MAX_MS (0: the driver's default, the timeout_ms
 *	module parameter); counted from the time the driver starts waiting
 *	for it (after the request's card transfers before it), so it includes time
 *	queued behind other users' transfers on its channel; past it the
 *	transfer's channel is stopped and the others queued there go on.
 *	Below BUSMASTER_TIMEOUT_MIN_MS it is raised to that for callers
 *	without CAP_SYS_ADMIN
 * @bytes_done: out: bytes moved, in order from the start, also on failure.
 *	Bytes past it may have moved too; they do not count: those of the
 *	card transfer a timeout, CANCEL or reset took off the card, whose
 *	data was on the wire, and, on a card that cannot halt after a failed
 *	transfer (our card before datasheet 1.2), those of the ones after it
 * @card_status: out: the card's completion code for the failing segment
 *	(card model specific, 0 when the card reported no error)
 * @transfers: out: card transfers the request was split into that ran
 *
 * The request is split into card transfers that fit the card's limits and
 * the map-register budget (INFO), queued in order on one channel, several
 * at once, its next chunk pinned and mapped while the card moves one.
 * With BUSMASTER_XFER_FROM_CARD every page of the range is checked
 * writable before the first byte moves, so a read-only or unmapped page
 * anywhere in it fails the call with nothing written; only a mapping
 * another thread changes during the call can fail it part-way (EFAULT
 * with an exact @bytes_done).
 *
 * User memory of at most copy_max bytes (module parameter, 64 KiB unless
 * set; 0 to 1 MiB) that fits the file's kernel buffer is copied through
 * it instead of pinned and mapped: up to that size copying costs no more
 * (NT's DO_BUFFERED_IO against DO_DIRECT_IO). The buffer grows to what a
 * request needs, from 64 KiB up to 1 MiB, mapped for the card once, for a
 * card that reaches all memory (or is behind an IOMMU; 64 KiB once the
 * card's files hold 64 MiB in larger buffers); 64 KiB, mapped per piece,
 * for one that does not. Larger
 * requests are pinned. Per request, BUSMASTER_XFER_PIN always pins, and
 * BUSMASTER_XFER_COPY always copies, in pieces of up to 256 KiB: several
 * on the card while the next is copied where the buffer stays mapped,
 * one at a time where not.
 * When another thread of the file has the buffer, or there is no memory
 * for it, a request the driver chose to copy is pinned instead (it never
 * waits); a forced copy waits its turn (interruptibly) or fails with
 * ENOMEM. A copied request never maps the user's pages, so the EBUSY
 * cases below are for pinned requests only.
 *
 * On a registered buffer the transfer syncs the range it moves (for the
 * device before, for the CPU after), as FlushAdapterBuffers would; with
 * BUSMASTER_XFER_NO_SYNC it does not, and the caller owns the syncs
 * (BUSMASTER_IOCTL_SYNC). Skipping a needed sync is the seed thread's bug:
 * where the DMA API bounces (a 32-bit card, memory above 4 GiB), what the
 * card wrote stays in the bounce buffer and the CPU reads stale data.
 *
 * Errors, besides the common ones (bytes_done tells what completed):
 *  EINVAL     @length 0, @addr + @length overflows, @timeout_ms over
 *             BUSMASTER_TIMEOUT_MAX_MS, @addr, @length or
 *             @card_offset not a multiple of the card's alignment,
 *             @handle set without BUSMASTER_XFER_COMMON or _REGISTERED,
 *             both of those, BUSMASTER_XFER_NO_SYNC without _REGISTERED,
 *             both BUSMASTER_XFER_COPY and _PIN, or either with
 *             BUSMASTER_XFER_COMMON or _REGISTERED (or on SUBMIT)
 *  ERANGE     @card_offset + @length beyond on-card memory, or @addr +
 *             @length beyond the common buffer
 *  ENOENT     no common or registered buffer @handle in this file
 *  EPERM      card -> memory into a buffer registered without
 *             BUSMASTER_REG_CARD_WRITES
 *  EBUSY      a page of the buffer is registered (BUSMASTER_IOCTL_REGISTER:
 *             use its handle), or card -> memory through a range that
 *             maps the same page twice, or into a page a card cut off
 *             the bus still holds (see ESHUTDOWN)
 *  EFAULT     the buffer is not mapped (writable, for FROM_CARD); also a
 *             user address inside a mapping of a common buffer: that is
 *             the card's own DMA memory, mapped without struct pages to
 *             pin -- use BUSMASTER_XFER_COMMON with its handle instead
 *  ENOMEM     no bounce space (swiotlb full, a 32-bit card) for a chunk,
 *             no memory for the copy buffer (BUSMASTER_XFER_COPY), or
 *             none for the request's bookkeeping as it goes (@bytes_done
 *             says how many moved before)
 *  EIO        the card failed a segment (@card_status says how), or its
 *             channel halted (@card_status 0)
 *  ETIMEDOUT  a card transfer did not finish in time; it was taken off
 *             its channel (other users' transfers, on that channel or
 *             others, run on)
 *  ECANCELED  the card was reset under this request: another request's
 *             channel would not stop, or the card's PCI function was
 *             reset (sysfs, error recovery); not this request's fault,
 *             @bytes_done exact, retrying is safe
 *  ESHUTDOWN  the card is cut off the bus: a transfer on it timed out and
 *             not even a reset of the card stopped it, or its PCIe link
 *             reported an error; bus mastering is off and what the card
 *             was given stays with it (pages pinned, bounce space held)
 *             until a reset of its PCI function (/sys/bus/pci/devices/
 *             .../reset, or error recovery's) proves it quiet. The request
 *             that timed out got ETIMEDOUT; every later one gets this
 *             before anything is pinned or mapped for it
 *  EINTR      a signal arrived after some bytes moved (@bytes_done says
 *             how many): the request ends after the card transfers
 *             already queued. A signal before any byte moved restarts the call
 *             transparently (EINTR only where a handler without
 *             SA_RESTART ran). A fatal signal takes the transfer in
 *             progress off the card at once
 */
struct busmaster_transfer {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 reserved;
	__u64 addr;
	__u64 length;
	__u64 card_offset;
	__u64 timeout_ms;

	__u64 bytes_done;
	__u32 card_status;
	__u32 transfers;
};

/**
 * struct busmaster_common_alloc - BUSMASTER_IOCTL_COMMON_ALLOC: a common
 * buffer (AllocateCommonBuffer), memory the CPU and the card share, to
 * mmap() and to move to and from the card with BUSMASTER_XFER_COMMON
 * @size: in: sizeof(struct busmaster_common_alloc)
 * @flags: in: must be 0
 * @length: in: bytes, 1 to INFO's @common_max (at most
 *	BUSMASTER_COMMON_MAX); rounded up to whole pages
 * @handle: out: names the buffer in this file (never 0)
 * @reserved: in: must be 0
 * @mmap_offset: out: the offset to give mmap() to map the buffer (length
 *	up to the rounded-up size, MAP_SHARED); opaque, and valid only for
 *	this file
 *
 * The buffer belongs to the file: freed by COMMON_FREE or on close. A
 * mapping keeps the memory until it is unmapped, even after the free.
 * It is locked memory, charged to the user's RLIMIT_MEMLOCK as a
 * registered buffer is. Errors: ENOMEM (over RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK, or no such contiguous memory within the card's reach, or
 * on a card below 32 bits without an IOMMU, past the card's share of the
 * 16 MiB ZONE_DMA: module parameter zone_dma_kb, all files together),
 * EMFILE (BUSMASTER_COMMON_PER_FILE buffers already: checked before
 * anything is allocated), EINVAL (length 0 or over @common_max), EFAULT
 * (the answer could not be written back), ESHUTDOWN (the card is cut off
 * the bus: see TRANSFER). The handle and offset are usable once the call
 * returned them; a failed call leaves no buffer and no charge behind.
 */
struct busmaster_common_alloc {
	__u32 size;
	__u32 flags;
	__u64 length;
	__u32 handle;
	__u32 reserved;
	__u64 mmap_offset;
};

#define BUSMASTER_COMMON_MAX		(64ULL << 20)
#define BUSMASTER_COMMON_PER_FILE	64

/**
 * struct busmaster_common_free - BUSMASTER_IOCTL_COMMON_FREE
 * @size: in: sizeof(struct busmaster_common_free)
 * @flags: in: must be 0
 * @handle: in: what COMMON_ALLOC returned
 * @reserved: in: must be 0
 *
 * The handle goes at once; the memory stays while a transfer on it runs or
 * a mapping of it exists. Errors: ENOENT (no such buffer in this file).
 */
struct busmaster_common_free {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 reserved;
};

/* busmaster_register.flags */
enum {
	BUSMASTER_REG_CARD_WRITES = 1 << 0,	/* the card may write it: pinned writable */
};

/**
 * struct busmaster_register - BUSMASTER_IOCTL_REGISTER: pin and map a user
 * buffer once for many transfers (BuildScatterGatherList's reuse: the
 * scatter/gather list is built once, in the driver's memory)
 * @size: in: sizeof(struct busmaster_register)
 * @flags: in: BUSMASTER_REG_* bits
 * @addr: in: user virtual address
 * @length: in: bytes, 1 to BUSMASTER_REGISTER_MAX
 * @handle: out: names the buffer in this file (never 0)
 * @reserved: in: must be 0
 *
 * The pages are pinned long-term (FOLL_LONGTERM) and charged to
 * RLIMIT_MEMLOCK unless the caller has CAP_IPC_LOCK: the limit is the
 * user's, shared by all of its processes (user->locked_vm, as io_uring
 * and iommufd charge), and the pages show in the process's VmPin. They
 * are mapped for the card once. The
 * kernel refuses long-term pins of some memory: file mappings that need
 * writeback (kernels from 6.5 on, writable pins), fsdax; such a buffer
 * fails with EFAULT. Anonymous memory, shmem/tmpfs and hugetlbfs work;
 * with BUSMASTER_REG_CARD_WRITES the buffer must be one of them, on every
 * kernel (else EFAULT).
 *
 * A page the card writes is one mapping's alone, on every card: the DMA
 * API forbids two device-writable mappings of the same memory (their
 * cache maintenance would undo each other's data on non-coherent systems)
 * and a partial sync must name one mapping. So a page registered with
 * BUSMASTER_REG_CARD_WRITES is its registration's alone: registering it
 * again (any file, any card, either direction), or a range that maps the
 * same page twice, is EBUSY, and so is a TRANSFER of it as plain user
 * memory (use the registered buffer's handle). A page registered without
 * it is shared with everything that has a card read it -- other such
 * registrations and plain memory -> card requests, of any user -- and
 * only having a card write it is EBUSY meanwhile. Plain requests share
 * pages to read; requests that have the card write the same page take
 * turns.
 *
 * The handle is usable only once the call has returned it: until then no
 * other call, on any thread, can find or free the buffer.
 *
 * Errors: EINVAL (flags, length, overflow, alignment), EFAULT (not mapped,
 * not writable with BUSMASTER_REG_CARD_WRITES, or no long-term pin allowed
 * there; or the answer could not be written back), EBUSY (see above),
 * ENOMEM (over RLIMIT_MEMLOCK, or no bounce space for the mapping: where
 * the card bounces through swiotlb (INFO bounce), its registered buffers
 * together, whoever opened them, may be at most module parameter
 * registered_bounce_mb long, as all of them may bounce), EMFILE
 * (BUSMASTER_REGISTER_PER_FILE buffers already: checked before anything is
 * pinned), ESHUTDOWN (the card is cut off the bus: see TRANSFER). Nothing
 * stays pinned, charged or registered after a failure.
 */
struct busmaster_register {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__u64 length;
	__u32 handle;
	__u32 reserved;
};

#define BUSMASTER_REGISTER_MAX		0x40000000ULL	/* 1 GiB */
#define BUSMASTER_REGISTER_PER_FILE	64

/**
 * struct busmaster_unregister - BUSMASTER_IOCTL_UNREGISTER
 * @size: in: sizeof(struct busmaster_unregister)
 * @flags: in: must be 0
 * @handle: in: what REGISTER returned
 * @reserved: in: must be 0
 *
 * The handle goes at once; a transfer on the buffer already running keeps
 * it until it finishes, then the pages are unmapped, unpinned and
 * uncharged. Closing the file unregisters everything. Errors: ENOENT.
 */
struct busmaster_unregister {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 reserved;
};

/* busmaster_sync.flags: exactly one */
enum {
	BUSMASTER_SYNC_FOR_DEVICE = 1 << 0,	/* the CPU wrote; the card reads next */
	BUSMASTER_SYNC_FOR_CPU = 1 << 1,	/* the card wrote; the CPU reads next */
};

/**
 * struct busmaster_sync - BUSMASTER_IOCTL_SYNC: KeFlushIoBuffers /
 * FlushAdapterBuffers for a range of a registered buffer:
 * dma_sync_*_for_device() or dma_sync_*_for_cpu()
 * @size: in: sizeof(struct busmaster_sync)
 * @flags: in: one BUSMASTER_SYNC_* bit
 * @handle: in: the registered buffer
 * @reserved: in: must be 0
 * @offset: in: where the range starts in the buffer
 * @length: in: bytes, at least 1
 *
 * Only callers of BUSMASTER_XFER_NO_SYNC need it. Exactly the bytes of the
 * range are synced. Errors: EINVAL, ERANGE (beyond the buffer), ENOENT,
 * EPERM (FOR_CPU on a buffer registered without BUSMASTER_REG_CARD_WRITES).
 */
struct busmaster_sync {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 reserved;
	__u64 offset;
	__u64 length;
};

/** struct busmaster_iovec - one piece of a vectored transfer (chained MDLs) */
struct busmaster_iovec {
	__u64 addr;
	__u64 length;
};

#define BUSMASTER_IOV_MAX	1024

/**
 * struct busmaster_transferv - BUSMASTER_IOCTL_TRANSFERV: one request over
 * several user ranges (chained MDLs) to or from one contiguous card range
 * @size: in: sizeof(struct busmaster_transferv)
 * @flags: in: BUSMASTER_XFER_FROM_CARD or 0
 * @count: in: entries at @iov, 1 to BUSMASTER_IOV_MAX
 * @reserved: in: must be 0
 * @iov: in: user pointer to @count struct busmaster_iovec; each length at
 *	least 1, aligned as a TRANSFER's
 * @card_offset: in: where the first piece goes in card memory; the pieces
 *	follow one another
 * @timeout_ms: in: as for TRANSFER
 * @bytes_done: out: bytes moved, in order across the pieces, also on failure
 * @card_status: out: as for TRANSFER
 * @transfers: out: card transfers the request took
 *
 * Errors: as TRANSFER; EINVAL also for a @count out of range or a piece of
 * length 0; ERANGE when the pieces together pass the end of card memory.
 */
struct busmaster_transferv {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 reserved;
	__u64 iov;
	__u64 card_offset;
	__u64 timeout_ms;

	__u64 bytes_done;
	__u32 card_status;
	__u32 transfers;
};

/*
 * Asynchronous requests (the Windows 2000 model: many IRPs pending on a
 * device, each completing on its own; Linux: AIO, io_uring, NVMe's
 * passthrough). A file has one queue: SUBMIT queues a request and returns
 * at once with its id; the file polls readable (POLLIN) while completions
 * wait; REAP copies them out, waiting for some if asked; CANCEL ends one.
 * A request moves exactly what the same TRANSFER or TRANSFERV would, with
 * the same checks and the same errors, which SUBMIT reports at once for
 * what it can check (ranges, handles, an unmapped buffer) and a completion
 * reports for the rest.
 *
 * The queue belongs to the process (thread group) whose SUBMIT first
 * passed its checks and whose answer was written back: a child after
 * fork, or a process the file was passed to, gets EPERM from SUBMIT, REAP,
 * CANCEL and QUEUE (as an AIO context belongs to its mm). Before that,
 * REAP finds nothing and CANCEL ENOENT.
 * When that process closes any descriptor of the file -- a dup() of it
 * too, and the close of an O_CLOEXEC descriptor at exec -- or exits, every
 * request it has queued or running is cancelled, and close() returns once
 * the card is done with their pages (a request in flight when the process
 * dies is never left to write into memory given back).
 *
 * User memory is pinned (long-term) at SUBMIT, by the caller (faults are
 * its own), and charged to RLIMIT_MEMLOCK until the request completes
 * (memory the card writes must be as a registered buffer's: anonymous,
 * shmem/tmpfs or hugetlbfs, else EFAULT): a
 * buffer the process unmaps meanwhile stays pinned, so the card never
 * writes memory reused by anyone else. Common and registered buffers were
 * charged once, for their whole size, when made, and a request on them
 * charges nothing more. Either way a request's buffer belongs to it until
 * its completion: the caller neither changes what goes to the card nor
 * reads what comes from it before then.
 */

/* Requests in flight per file: default, and the most QUEUE sets. */
#define BUSMASTER_DEPTH_DEFAULT	64
#define BUSMASTER_DEPTH_MAX	1024

/**
 * struct busmaster_submit - BUSMASTER_IOCTL_SUBMIT: queue one request and
 * return at once (IoCallDriver of an IRP that will pend)
 * @size: in: sizeof(struct busmaster_submit)
 * @flags: in: BUSMASTER_XFER_* as TRANSFER's but for _COPY and _PIN (a
 *	request in flight is always pinned), or BUSMASTER_XFER_IOVEC with
 *	at most BUSMASTER_XFER_FROM_CARD (TRANSFERV's request)
 * @handle: in: as TRANSFER's
 * @count: in: with BUSMASTER_XFER_IOVEC, entries at @addr (1 to
 *	BUSMASTER_IOV_MAX); else 0
 * @addr: in: as TRANSFER's; with BUSMASTER_XFER_IOVEC a user pointer to
 *	@count struct busmaster_iovec
 * @length: in: as TRANSFER's; with BUSMASTER_XFER_IOVEC, 0
 * @card_offset: in: as TRANSFER's
 * @timeout_ms: in: as TRANSFER's, per card transfer, from the time the
 *	request runs
 * @tag: in: anything; returned in the request's completion
 * @reserved: in: must be 0
 * @id: out: the request's id in this file, for CANCEL (never 0; ids are
 *	reused only after 2^32 requests)
 *
 * SUBMIT queues the request only once this struct, with @id, has been
 * written back: a SUBMIT that fails, EFAULT included, leaves nothing
 * queued. The request runs when the card has room: a card runs a bounded
 * number of requests at once (QUEUE's @card_running), at most half of
 * them for one user, taken from its files' queues in turn, so a file with
 * many requests queued does not hold up one with a few; a file's own
 * requests start in the order submitted, and more than one may run at
 * once (use one card range per request in flight if order on the card
 * matters).
 *
 * Errors, besides TRANSFER's checks (EINVAL, ERANGE, ENOENT, EPERM,
 * EFAULT, ESHUTDOWN), reported here with nothing queued:
 *  EAGAIN  the file has @depth requests in flight (QUEUE): reap some
 *  ENOMEM  pinning the buffer would pass RLIMIT_MEMLOCK (without
 *          CAP_IPC_LOCK), or no memory
 *  EPERM   the queue belongs to another process (see above)
 *  EINTR   a signal came while the buffer was being pinned
 */
struct busmaster_submit {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 count;
	__u64 addr;
	__u64 length;
	__u64 card_offset;
	__u64 timeout_ms;
	__u64 tag;
	__u64 reserved;

	__u64 id;
};

/**
 * struct busmaster_completion - what REAP returns for one request
 * @id: SUBMIT's id
 * @tag: SUBMIT's tag
 * @bytes_done: as TRANSFER's: bytes moved, in order from the start
 * @error: 0, or the negative errno TRANSFER would have failed with;
 *	-ECANCELED when CANCEL, close() or exit ended it (@bytes_done
 *	says what moved first); -ENODEV when the card was removed
 * @card_status: as TRANSFER's
 * @transfers: as TRANSFER's
 * @reserved: 0
 */
struct busmaster_completion {
	__u64 id;
	__u64 tag;
	__u64 bytes_done;
	__s32 error;
	__u32 card_status;
	__u32 transfers;
	__u32 reserved;
};

/* busmaster_reap.flags */
enum {
	BUSMASTER_REAP_WAIT = 1 << 0,	/* wait for @min_complete */
};

/**
 * struct busmaster_reap - BUSMASTER_IOCTL_REAP: take completions
 * (io_getevents, io_uring's completion queue)
 * @size: in: sizeof(struct busmaster_reap)
 * @flags: in: BUSMASTER_REAP_* bits
 * @max: in: room at @records, 1 to BUSMASTER_DEPTH_MAX
 * @min_complete: in: with BUSMASTER_REAP_WAIT, wait until this many
 *	completions wait (1 to @max), or until none is in flight; else 0
 * @records: in: user pointer to @max struct busmaster_completion
 * @timeout_ms: in: with BUSMASTER_REAP_WAIT, the longest wait, at most
 *	BUSMASTER_TIMEOUT_MAX_MS (0: no limit); else 0
 * @reserved: in: must be 0
 * @count: out: completions written, oldest first
 * @in_flight: out: requests submitted and not yet reaped, after this call
 *
 * Works after the card was removed (the completions say ENODEV).
 * Errors: EINVAL; EFAULT (@records, or this struct, not writable: no
 * completion is lost, they stay to be reaped); EPERM; with
 * BUSMASTER_REAP_WAIT and nothing to return, ETIME when @timeout_ms passed
 * and EINTR on a signal (also with SA_RESTART: call again).
 */
struct busmaster_reap {
	__u32 size;
	__u32 flags;
	__u32 max;
	__u32 min_complete;
	__u64 records;
	__u64 timeout_ms;
	__u64 reserved;

	__u32 count;
	__u32 in_flight;
};

/**
 * struct busmaster_cancel - BUSMASTER_IOCTL_CANCEL: end a request (IoCancelIrp)
 * @size: in: sizeof(struct busmaster_cancel)
 * @flags: in: 0
 * @id: in: SUBMIT's id
 * @reserved: in: must be 0
 *
 * A queued request completes with ECANCELED without running; a running
 * one has its card transfer taken off the card (other users' go on), and
 * completes with ECANCELED once the card no longer touches its pages
 * (@bytes_done exact); CANCEL returns at once, its completion follows.
 * Errors: ENOENT (no request @id in flight in this file), EALREADY (it
 * completed -- reap it -- or is being cancelled), EPERM.
 *
 * For a caller without CAP_SYS_ADMIN, the card transfer on the card is
 * given up to BUSMASTER_TIMEOUT_MIN_MS to finish before it is taken off
 * (stopping its channel, which other users share): cancelling stops a
 * channel no more often than a timeout can.
 */
struct busmaster_cancel {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u64 reserved;
};

/*
 * io_uring: IORING_OP_URING_CMD with cmd_op BUSMASTER_IOCTL_SUBMIT and
 * struct busmaster_submit at sqe->cmd, on a ring set up with
 * IORING_SETUP_SQE128 (its @size at most BUSMASTER_URING_CMD_MAX, bytes
 * past the struct zero). The request is the one SUBMIT queues, on the same
 * queue and depth; no id, tag or REAP: the CQE's user_data names it and
 * the CQE completes it. cqe->res is 0, or the negative errno its REAP
 * record would carry (EBUSY for a full queue, not EAGAIN); with
 * IORING_SETUP_CQE32, big_cqe[0] is BUSMASTER_URING_RES2(bytes_done,
 * card_status): bytes_done in 48 bits, card_status in 16 (every status
 * of the cards this driver knows fits). A command cannot be cancelled one
 * by one (it has no id; IORING_OP_ASYNC_CANCEL does not reach it). A full
 * queue (EBUSY) cannot be told from a request that failed with EBUSY
 * (a page another registration holds): keep no more commands in flight
 * than the depth. REAP's @in_flight counts io_uring's commands too.
 * The owner's close() of the card, or exit, cancels them
 * as it cancels SUBMIT's; a ring torn down while the card stays open
 * cancels its requests on 6.7 and later, and on 6.1 waits for them (each
 * card transfer at most its timeout).
 */
#define BUSMASTER_URING_CMD_MAX		80
#define BUSMASTER_URING_RES2(bytes_done, card_status) \
	((__u64)(bytes_done) | (__u64)((card_status) & 0xffff) << 48)
#define BUSMASTER_URING_BYTES_DONE(res2)	((res2) & ((1ULL << 48) - 1))
#define BUSMASTER_URING_CARD_STATUS(res2)	((__u32)((res2) >> 48))

/* busmaster_queue.flags */
enum {
	BUSMASTER_QUEUE_SET_DEPTH = 1 << 0,	/* set @depth */
};

/**
 * struct busmaster_queue - BUSMASTER_IOCTL_QUEUE: the file's queue limits
 * @size: in: sizeof(struct busmaster_queue)
 * @flags: in: BUSMASTER_QUEUE_* bits
 * @depth: in with BUSMASTER_QUEUE_SET_DEPTH: requests this file may have
 *	in flight (submitted, not yet reaped), 1 to BUSMASTER_DEPTH_MAX,
 *	not below those in flight now; out: the depth
 * @card_running: out: requests the card runs at once, from all files
 *	(module parameter card_running); the others wait in their queues
 * @in_flight: out: this file's requests in flight
 * @reserved: in: 0
 *
 * Errors: EINVAL (a depth out of range, or below @in_flight); EPERM.
 */
struct busmaster_queue {
	__u32 size;
	__u32 flags;
	__u32 depth;
	__u32 reserved;

	__u32 card_running;
	__u32 in_flight;
};

#define BUSMASTER_IOCTL_INFO	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_INFO)
#define BUSMASTER_IOCTL_TRANSFER _IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_TRANSFER)
#define BUSMASTER_IOCTL_COMMON_ALLOC \
	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_COMMON_ALLOC)
#define BUSMASTER_IOCTL_COMMON_FREE \
	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_COMMON_FREE)
#define BUSMASTER_IOCTL_REGISTER _IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_REGISTER)
#define BUSMASTER_IOCTL_UNREGISTER \
	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_UNREGISTER)
#define BUSMASTER_IOCTL_SYNC	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_SYNC)
#define BUSMASTER_IOCTL_TRANSFERV \
	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_TRANSFERV)
#define BUSMASTER_IOCTL_SUBMIT	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_SUBMIT)
#define BUSMASTER_IOCTL_REAP	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_REAP)
#define BUSMASTER_IOCTL_CANCEL	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_CANCEL)
#define BUSMASTER_IOCTL_QUEUE	_IO(BUSMASTER_IOCTL_TYPE, BUSMASTER_CMD_QUEUE)

#endif /* _UAPI_LINUX_BUSMASTER_H */
