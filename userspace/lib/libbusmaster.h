/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libbusmaster: the C library of the busmaster DMA driver.
 *
 * It opens cards (/dev/busmasterN), issues the ioctls of
 * <linux/busmaster.h> with their size/flags/reserved conventions filled in,
 * and names the ABI's enums for people.
 *
 * Conventions, shared by every function unless its comment says otherwise:
 *  - Functions returning int return 0 on success, or -1 with errno set.
 *    Functions that open a card return a file descriptor (>= 0) instead
 *    of 0. The errno values listed per function are those the library
 *    itself sets; the errors of open(2), ioctl(2) and of the ioctl
 *    (see <linux/busmaster.h>) are passed through unchanged.
 *  - Pointer arguments may not be NULL unless the comment says so (EINVAL).
 *  - Functions returning a name return a static string, or NULL for a
 *    value this library does not know (a newer driver): print the number.
 *  - No function keeps state between calls; all are thread-safe.
 */
#ifndef LIBBUSMASTER_H
#define LIBBUSMASTER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/busmaster.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where card nodes live, and their name: BM_DEV_DIR "/" BM_DEV_NAME "N" */
#define BM_DEV_DIR	"/dev"
#define BM_DEV_NAME	"busmaster"

/* A buffer this long holds any path bm_dev_path() builds */
#define BM_PATH_LEN	64

/* A buffer this long holds any string bm_format_size() builds */
#define BM_SIZE_STR_LEN	32

/* A buffer this long holds any string bm_caps_format() builds */
#define BM_CAPS_STR_LEN	512

/**
 * struct bm_pci_addr - a PCI address, "dddd:bb:ss.f"
 * @domain: PCI domain (segment), 0 when the address had none
 * @bus: bus number, 0..255
 * @dev: device (slot) number, 0..31
 * @fn: function number, 0..7
 */
struct bm_pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
};

/**
 * bm_version() - version of this library
 *
 * Return: a static string such as "0.6.0"; never fails.
 */
const char *bm_version(void);

/* ---- finding and opening cards ---- */

/**
 * bm_dev_path() - build the path of card @idx, "/dev/busmaster<idx>"
 * @idx: card index, >= 0
 * @buf: where to store the NUL-terminated path
 * @len: size of @buf (BM_PATH_LEN is always enough)
 *
 * Return: 0, or -1 with errno EINVAL (@idx < 0) or ENAMETOOLONG (@buf
 * too short; @buf is left empty).
 */
int bm_dev_path(int idx, char *buf, size_t len);

/**
 * bm_list() - indexes of the cards present, in ascending order
 * @idx: on success, a malloc()ed array of @count indexes (NULL when
 *	@count is 0); the caller free()s it
 * @count: on success, the number of cards
 *
 * Scans BM_DEV_DIR for nodes named busmaster<N>. Having no cards is not an
 * error: it returns 0 with @count 0. The nodes are only named, not opened.
 *
 * Return: 0, or -1 with errno from opendir(3)/readdir(3), or ENOMEM.
 */
int bm_list(int **idx, size_t *count);

/**
 * bm_list_dir() - bm_list() over another directory
 * @dir: directory to scan instead of BM_DEV_DIR (tests, chroots)
 * @idx: as for bm_list()
 * @count: as for bm_list()
 *
 * Return: as for bm_list().
 */
int bm_list_dir(const char *dir, int **idx, size_t *count);

/**
 * bm_open_path() - open a card by path
 * @path: the card's node, such as "/dev/busmaster0"
 * @flags: open(2) flags, usually O_RDWR; O_CLOEXEC is always added
 *
 * Return: a file descriptor, or -1 with errno from open(2).
 */
int bm_open_path(const char *path, int flags);

/**
 * bm_open_index() - open card @idx, "/dev/busmaster<idx>"
 * @idx: card index, >= 0
 * @flags: as for bm_open_path()
 *
 * Return: a file descriptor, or -1 with errno EINVAL (@idx < 0) or from
 * open(2) (ENOENT: no such card, or the module is not loaded).
 */
int bm_open_index(int idx, int flags);

/**
 * bm_open_pci() - open the card at a PCI address
 * @addr: "dddd:bb:ss.f" or "bb:ss.f" (domain 0), hexadecimal
 * @flags: as for bm_open_path()
 *
 * Opens each card in turn and compares the pci_slot its INFO reports.
 *
 * Return: a file descriptor, or -1 with errno EINVAL (@addr does not
 * parse) or ENODEV (no card has this address). When a card could not be
 * opened or asked (EACCES, say) and no other card matched, that error is
 * returned instead of ENODEV.
 */
int bm_open_pci(const char *addr, int flags);

/**
 * bm_open_device() - open a card named the way a person names it
 * @spec: one of
 *	NULL or "": the first card (lowest index);
 *	a path ("/dev/busmaster1", "./node": anything with a '/');
 *	an index ("1") or a node name ("busmaster1");
 *	a PCI address ("0000:00:04.0" or "00:04.0").
 * @flags: as for bm_open_path()
 * @path: NULL, or where to store the path of the node opened or tried
 *	(left empty when no node was tried, e.g. for a PCI address no card
 *	has, or when there are no cards)
 * @len: size of @path
 *
 * Return: a file descriptor, or -1 with errno EINVAL (@spec is none of
 * the forms above), ENOENT with @path empty (@spec is NULL or "" and
 * there are no cards), ENAMETOOLONG (@path too short), or as for
 * bm_open_path(), bm_open_index() and bm_open_pci().
 */
int bm_open_device(const char *spec, int flags, char *path, size_t len);

/* ---- ioctls ---- */

/**
 * bm_info() - BUSMASTER_IOCTL_INFO: the card's adapter description
 * @fd: an open card
 * @info: filled on success; its size field is set and the rest zeroed
 *	before the call, so fields a (older) driver does not know read 0
 *
 * pci_slot and driver_version are always NUL-terminated on success.
 *
 * Return: 0, or -1 with errno from ioctl(2) (ENOTTY: @fd is not a
 * busmaster card; ENODEV: the card was removed).
 */
int bm_info(int fd, struct busmaster_info *info);

/* ---- transfers ---- */

/**
 * struct bm_result - what a transfer did, also when it failed
 * @size: in: sizeof(struct bm_result) as the caller was built with
 *	(BM_RESULT_INIT sets it); the library writes only the fields that fit
 *	in @size, so newer libraries can append fields. Below
 *	BM_RESULT_SIZE_V1 the call fails with EINVAL before any ioctl.
 * @card_status: the card's completion code for the failing segment (card
 *	model specific, see bm_card_status_name(); 0 when the card reported
 *	no error)
 * @bytes_done: bytes moved, in order from the start of the request
 * @transfers: card transfers the request was split into
 *
 * Fields are only ever appended.
 */
struct bm_result {
	uint32_t size;
	uint32_t card_status;
	uint64_t bytes_done;
	uint64_t transfers;
};

#define BM_RESULT_SIZE_V1	24
#define BM_RESULT_INIT		{ .size = sizeof(struct bm_result) }

/* A buffer this long holds any message bm_strerror_transfer() builds */
#define BM_ERR_STR_LEN		256

/**
 * bm_transfer() - BUSMASTER_IOCTL_TRANSFER as it is: move a buffer to or
 * from on-card memory and wait for it
 * @fd: an open card (O_RDWR)
 * @t: the request; this function sets @t->size, the caller the rest
 *	(flags, handle, addr, length, card_offset, timeout_ms; reserved 0).
 *	The kernel writes bytes_done, card_status and transfers back, also
 *	on failure.
 *
 * Return: 0, or -1 with errno from ioctl(2) (see <linux/busmaster.h>:
 * EINVAL, ERANGE, ENOENT, EFAULT, EIO, ETIMEDOUT, EINTR, ...).
 */
int bm_transfer(int fd, struct busmaster_transfer *t);

/**
 * bm_write() - move @len bytes at @buf to on-card memory at @card_offset
 * @fd: an open card (O_RDWR)
 * @buf: the bytes; with a card alignment above 1 (INFO), @buf, @len and
 *	@card_offset must be multiples of it
 * @len: bytes to move, at least 1
 * @card_offset: byte offset in on-card memory
 * @res: NULL, or filled with what was done, also on failure (when the
 *	ioctl was issued; on EINVAL for @res itself it is left alone)
 *
 * One BUSMASTER_IOCTL_TRANSFER with the driver's default timeout; the
 * driver splits it into card transfers. The driver chooses how the bytes
 * reach the card: from ABI 3 on, it copies requests of up to its copy_max
 * bytes (64 KiB unless set) through the file's kernel buffer and pins
 * larger ones. To choose per request, issue bm_transfer() with
 * BUSMASTER_XFER_COPY or BUSMASTER_XFER_PIN (a staging buffer:
 * BM_STAGE_COPY or BM_STAGE_PIN).
 *
 * Return: 0, or -1 with errno as for bm_transfer(); EINVAL also for a
 * @res whose size is below BM_RESULT_SIZE_V1.
 */
int bm_write(int fd, const void *buf, uint64_t len, uint64_t card_offset,
	     struct bm_result *res);

/**
 * bm_read() - move @len bytes of on-card memory at @card_offset to @buf
 * @fd: an open card (O_RDWR)
 * @buf: where to store them; must be writable memory (EFAULT otherwise,
 *	before any DMA)
 * @len: as for bm_write()
 * @card_offset: as for bm_write()
 * @res: as for bm_write()
 *
 * Return: as for bm_write().
 */
int bm_read(int fd, void *buf, uint64_t len, uint64_t card_offset,
	    struct bm_result *res);

/**
 * bm_common_alloc() - BUSMASTER_IOCTL_COMMON_ALLOC: a common buffer
 * (AllocateCommonBuffer), memory the CPU and the card share
 * @fd: an open card
 * @len: bytes, 1 to INFO's common_max; the driver rounds up to pages
 * @handle: on success, names the buffer in this file (never 0)
 * @mmap_offset: on success, what to give bm_common_map()
 *
 * The buffer belongs to @fd: bm_common_free() or close() frees it.
 *
 * Return: 0, or -1 with errno from ioctl(2): ENOMEM (no contiguous memory
 * within the card's reach), EMFILE (BUSMASTER_COMMON_PER_FILE buffers
 * already), EINVAL (@len 0 or above INFO's common_max).
 */
int bm_common_alloc(int fd, uint64_t len, uint32_t *handle,
		    uint64_t *mmap_offset);

/**
 * bm_common_map() - map a common buffer into this process
 * @fd: the card the buffer was allocated on
 * @mmap_offset: what bm_common_alloc() returned
 * @len: bytes to map, 1 up to the buffer's rounded-up size
 *
 * Maps it readable, writable and shared. The mapping keeps the memory
 * until bm_common_unmap(), even after bm_common_free().
 *
 * Return: the address, or NULL with errno from mmap(2) (EINVAL for @len 0
 * or beyond the buffer).
 */
void *bm_common_map(int fd, uint64_t mmap_offset, size_t len);

/**
 * bm_common_unmap() - undo bm_common_map()
 * @addr: what bm_common_map() returned
 * @len: the length given to bm_common_map()
 *
 * Return: 0, or -1 with errno from munmap(2).
 */
int bm_common_unmap(void *addr, size_t len);

/**
 * bm_common_free() - BUSMASTER_IOCTL_COMMON_FREE
 * @fd: the card the buffer was allocated on
 * @handle: what bm_common_alloc() returned
 *
 * Return: 0, or -1 with errno ENOENT (no such buffer in this file) or
 * EBUSY (a transfer on it is in progress).
 */
int bm_common_free(int fd, uint32_t handle);

/**
 * bm_common_write() - move @len bytes of common buffer @handle, from
 * @buf_offset on, to on-card memory at @card_offset
 * @fd: the card the buffer was allocated on (O_RDWR)
 * @handle: what bm_common_alloc() returned
 * @buf_offset: byte offset in the common buffer
 * @len: bytes to move, at least 1
 * @card_offset: byte offset in on-card memory
 * @res: as for bm_write()
 *
 * Return: as for bm_write(); ENOENT (no buffer @handle), ERANGE also for
 * @buf_offset + @len beyond the buffer.
 */
int bm_common_write(int fd, uint32_t handle, uint64_t buf_offset,
		    uint64_t len, uint64_t card_offset, struct bm_result *res);

/**
 * bm_common_read() - move @len bytes of on-card memory at @card_offset to
 * common buffer @handle at @buf_offset
 * @fd: as for bm_common_write()
 * @handle: as for bm_common_write()
 * @buf_offset: as for bm_common_write()
 * @len: as for bm_common_write()
 * @card_offset: as for bm_common_write()
 * @res: as for bm_write()
 *
 * Return: as for bm_common_write().
 */
int bm_common_read(int fd, uint32_t handle, uint64_t buf_offset,
		   uint64_t len, uint64_t card_offset, struct bm_result *res);

/* ---- registered buffers and vectored transfers ---- */

/**
 * bm_register() - BUSMASTER_IOCTL_REGISTER: pin and map a buffer once,
 * for many transfers (BuildScatterGatherList's reuse)
 * @fd: an open card
 * @addr: the buffer; with a card alignment above 1 (INFO), @addr and @len
 *	must be multiples of it
 * @len: bytes, 1 to BUSMASTER_REGISTER_MAX
 * @flags: 0, or BUSMASTER_REG_CARD_WRITES to let the card write it (needed
 *	for bm_reg_read(); the pages are pinned writable)
 * @handle: on success, names the buffer in this file (never 0); untouched
 *	on failure
 *
 * The pages stay pinned, charged to RLIMIT_MEMLOCK (unless the process has
 * CAP_IPC_LOCK), and mapped for the card until bm_unregister() or close().
 * Do not free or unmap the buffer before then.
 *
 * Return: 0, or -1 with errno EINVAL (@handle NULL) or from ioctl(2):
 * EINVAL (flags, length, a wrapping range, alignment), EFAULT (not
 * mapped, not writable with BUSMASTER_REG_CARD_WRITES, or memory the
 * kernel will not pin long-term), ENOMEM (over RLIMIT_MEMLOCK, or no
 * bounce space), EMFILE (BUSMASTER_REGISTER_PER_FILE buffers already).
 * bm_strerror_register() says which for a person.
 */
int bm_register(int fd, void *addr, uint64_t len, uint32_t flags,
		uint32_t *handle);

/**
 * bm_unregister() - BUSMASTER_IOCTL_UNREGISTER: undo bm_register()
 * @fd: the card the buffer was registered on
 * @handle: what bm_register() returned
 *
 * The handle goes at once; a transfer on the buffer already running keeps
 * the pages until it finishes.
 *
 * Return: 0, or -1 with errno ENOENT (no such buffer in this file).
 */
int bm_unregister(int fd, uint32_t handle);

/**
 * bm_sync() - BUSMASTER_IOCTL_SYNC: hand a range of a registered buffer to
 * the card or back to the CPU (KeFlushIoBuffers / FlushAdapterBuffers)
 * @fd: the card the buffer was registered on
 * @handle: what bm_register() returned
 * @offset: where the range starts in the buffer
 * @len: bytes, at least 1
 * @flags: exactly one of BUSMASTER_SYNC_FOR_DEVICE (the CPU is done with
 *	the range; the card uses it next) or BUSMASTER_SYNC_FOR_CPU (the card
 *	is done; the CPU reads or writes it next)
 *
 * Only callers of BUSMASTER_XFER_NO_SYNC need it: FOR_DEVICE before each
 * such transfer, FOR_CPU after it. The driver syncs whole pages.
 *
 * Return: 0, or -1 with errno from ioctl(2): EINVAL (flags, @len 0),
 * ERANGE (beyond the buffer), ENOENT (no such buffer in this file).
 */
int bm_sync(int fd, uint32_t handle, uint64_t offset, uint64_t len,
	    uint32_t flags);

/**
 * bm_reg_write() - move @len bytes of registered buffer @handle, from
 * @buf_offset on, to on-card memory at @card_offset
 * @fd: the card the buffer was registered on (O_RDWR)
 * @handle: what bm_register() returned
 * @buf_offset: byte offset in the buffer (any sub-range: IoBuildPartialMdl)
 * @len: bytes to move, at least 1
 * @card_offset: byte offset in on-card memory
 * @xfer_flags: 0 (the driver syncs the range), or BUSMASTER_XFER_NO_SYNC
 *	(the caller does, with bm_sync()); other bits are EINVAL
 * @res: as for bm_write()
 *
 * Return: as for bm_write(); ENOENT (no buffer @handle), ERANGE also for
 * @buf_offset + @len beyond the buffer.
 */
int bm_reg_write(int fd, uint32_t handle, uint64_t buf_offset, uint64_t len,
		 uint64_t card_offset, uint32_t xfer_flags,
		 struct bm_result *res);

/**
 * bm_reg_read() - move @len bytes of on-card memory at @card_offset to
 * registered buffer @handle at @buf_offset
 * @fd: as for bm_reg_write()
 * @handle: as for bm_reg_write(); registered with
 *	BUSMASTER_REG_CARD_WRITES (EPERM otherwise)
 * @buf_offset: as for bm_reg_write()
 * @len: as for bm_reg_write()
 * @card_offset: as for bm_reg_write()
 * @xfer_flags: as for bm_reg_write()
 * @res: as for bm_write()
 *
 * Return: as for bm_reg_write(); EPERM for a buffer the card may not
 * write.
 */
int bm_reg_read(int fd, uint32_t handle, uint64_t buf_offset, uint64_t len,
		uint64_t card_offset, uint32_t xfer_flags,
		struct bm_result *res);

/**
 * bm_transferv() - BUSMASTER_IOCTL_TRANSFERV as it is: several user ranges
 * to or from one contiguous card range (chained MDLs)
 * @fd: an open card (O_RDWR)
 * @t: the request; this function sets @t->size, the caller the rest
 *	(flags, count, iov, card_offset, timeout_ms; reserved 0). The kernel
 *	writes bytes_done, card_status and transfers back, also on failure.
 *
 * Return: 0, or -1 with errno from ioctl(2), as for bm_transfer(); EINVAL
 * also for a count of 0 or above BUSMASTER_IOV_MAX, or a piece of length 0.
 */
int bm_transferv(int fd, struct busmaster_transferv *t);

/**
 * bm_writev() - move the pieces @iov[0..@count-1], in order, to on-card
 * memory from @card_offset on
 * @fd: an open card (O_RDWR)
 * @iov: the pieces (addr: a user pointer as an integer; length at least
 *	1; both aligned as for bm_write())
 * @count: pieces, 1 to BUSMASTER_IOV_MAX
 * @card_offset: where the first piece goes; the others follow it
 * @res: as for bm_write(); bytes_done counts across the pieces
 *
 * One BUSMASTER_IOCTL_TRANSFERV with the driver's default timeout.
 *
 * Return: as for bm_transferv(); EINVAL also for @iov NULL or a @res
 * below BM_RESULT_SIZE_V1.
 */
int bm_writev(int fd, const struct busmaster_iovec *iov, unsigned int count,
	      uint64_t card_offset, struct bm_result *res);

/**
 * bm_readv() - move on-card memory from @card_offset on into the pieces
 * @iov[0..@count-1], in order
 * @fd: as for bm_writev()
 * @iov: as for bm_writev(); each piece must be writable memory
 * @count: as for bm_writev()
 * @card_offset: as for bm_writev()
 * @res: as for bm_writev()
 *
 * Return: as for bm_writev().
 */
int bm_readv(int fd, const struct busmaster_iovec *iov, unsigned int count,
	     uint64_t card_offset, struct bm_result *res);

/**
 * bm_strerror_transfer() - say for a person why a transfer failed
 * @err: the errno of bm_transfer(), bm_write(), bm_read(),
 *	bm_common_write(), bm_common_read(), bm_reg_write(), bm_reg_read(),
 *	bm_transferv(), bm_writev() or bm_readv()
 * @t: NULL, or the request as issued: flags, handle, addr, length,
 *	card_offset and card_status are used (for bm_write() and friends,
 *	fill those from the arguments and struct bm_result; for a vectored
 *	transfer, the flags, the total length and the card offset)
 * @info: NULL, or the card's INFO (bm_info()): names the card's memory
 *	size, alignment and completion codes
 * @buf: where to store the NUL-terminated message, such as "beyond the
 *	card's memory (the card has 1 MiB)"; it names neither the device
 *	nor the operation, which the caller knows better
 * @len: size of @buf (BM_ERR_STR_LEN is always enough)
 *
 * Each errno <linux/busmaster.h> documents for TRANSFER gets a message
 * that names the problem; other values get strerror(@err).
 *
 * Return: 0, or -1 with errno ENOSPC (@buf too short; it holds a
 * truncated message).
 */
int bm_strerror_transfer(int err, const struct busmaster_transfer *t,
			 const struct busmaster_info *info, char *buf,
			 size_t len);

/**
 * bm_strerror_common() - say for a person why bm_common_alloc() or
 * bm_common_free() failed
 * @err: its errno
 *
 * Return: a static message, such as "no contiguous memory within the
 * card's reach"; strerror(@err) for errors without a special meaning.
 */
const char *bm_strerror_common(int err);

/**
 * bm_strerror_register() - say for a person why bm_register(),
 * bm_unregister() or bm_sync() failed
 * @err: its errno
 * @buf: where to store the NUL-terminated message, such as "over
 *	RLIMIT_MEMLOCK (ulimit -l): 64 KiB allowed ..." (ENOMEM reads the
 *	process's limit with getrlimit(2))
 * @len: size of @buf (BM_ERR_STR_LEN is always enough)
 *
 * Return: 0, or -1 with errno ENOSPC (@buf too short; it holds a
 * truncated message).
 */
int bm_strerror_register(int err, char *buf, size_t len);

/**
 * bm_card_status_name() - name of a card completion code (card_status)
 * @model: enum busmaster_card_model, such as busmaster_info.card_model
 * @status: the code
 *
 * Return: the datasheet's name ("ERR_HOST"), or NULL for a code this
 * library does not know for @model (edu reports no codes).
 */
const char *bm_card_status_name(uint32_t model, uint32_t status);

/* ---- asynchronous requests (many in flight from one thread) ---- */

/*
 * SUBMIT queues a request and returns at once; the file descriptor polls
 * readable (POLLIN) while completions wait; REAP takes them. The queue
 * belongs to the process whose SUBMIT first passed its checks (a forked
 * child gets EPERM), and its close of any descriptor of the file (a dup()
 * too) cancels what is in flight. A request's buffer is the request's
 * until its completion. Thread-safe: several threads may submit and reap
 * on one descriptor. See <linux/busmaster.h> for the rules,
 * docs/async.md for a walk-through, libbusmaster-uring.h for io_uring.
 */

/**
 * bm_submit() - queue one request (IoCallDriver of an IRP that pends)
 * @fd: an open card
 * @s: the request, as struct busmaster_submit; @s->size is filled in; its
 *	id is in @s->id on success
 *
 * Return: 0, or -1 with errno: EAGAIN when the file has its depth of
 * requests in flight (reap some), ENOMEM past RLIMIT_MEMLOCK for user
 * memory, EPERM when another process owns the file's queue, EINTR when a
 * signal came while the buffer was pinned, and TRANSFER's errors for what
 * can be checked before the request runs.
 */
int bm_submit(int fd, struct busmaster_submit *s);

/**
 * bm_reap() - take completion records, oldest first (io_getevents)
 * @fd: an open card
 * @recs: room for @max records
 * @max: 1 to BUSMASTER_DEPTH_MAX
 * @min: 0: do not wait; else wait until @min completions wait (or none is
 *	in flight any more), 1 to @max
 * @timeout_ms: with @min, the longest wait, at most
 *	BUSMASTER_TIMEOUT_MAX_MS (0: no limit); else 0
 *
 * Return: the records written (0 when none waits), or -1 with errno:
 * EINVAL (@max, @min or @timeout_ms out of range), ETIME when @timeout_ms
 * passed with none, EINTR on a signal (also with SA_RESTART: call again),
 * EPERM, EFAULT (@recs not writable; nothing is lost).
 */
int bm_reap(int fd, struct busmaster_completion *recs, unsigned int max,
	    unsigned int min, uint64_t timeout_ms);

/**
 * bm_cancel() - end a request in flight (IoCancelIrp); its completion,
 * with error -ECANCELED unless it completed first, is still to be reaped
 * @fd: an open card
 * @id: bm_submit()'s id
 *
 * Return: 0, or -1 with errno ENOENT (no such request in flight), EALREADY
 * (it completed, or is being cancelled), EPERM.
 */
int bm_cancel(int fd, uint64_t id);

/**
 * bm_queue_get() - the file's queue limits and use
 * @fd: an open card
 * @q: out: depth, requests in flight, the card's card_running
 *
 * Return: 0, or -1 with errno EINVAL (@q NULL) or EPERM.
 */
int bm_queue_get(int fd, struct busmaster_queue *q);

/**
 * bm_queue_set_depth() - set how many requests the file may have in flight
 * @fd: an open card
 * @depth: 1 to BUSMASTER_DEPTH_MAX, not below those in flight now
 *
 * Return: 0, or -1 with errno EINVAL or EPERM.
 */
int bm_queue_set_depth(int fd, unsigned int depth);

/* ---- test patterns ---- */

/**
 * bm_pattern_word() - word @index of the pattern of @seed
 * @seed: any value; different seeds give unrelated patterns
 * @index: byte offset / 8
 *
 * The pattern is defined on absolute byte offsets, so any sub-range can be
 * regenerated on its own: byte o of the pattern is byte (o % 8) of
 * bm_pattern_word(@seed, o / 8) in little-endian order. A word is
 * splitmix64's output function applied to k + (@index + 1) *
 * 0x9e3779b97f4a7c15, where k is that function applied to @seed.
 *
 * Return: the word.
 */
uint64_t bm_pattern_word(uint64_t seed, uint64_t index);

/**
 * bm_pattern_fill() - fill @buf with bytes @offset .. @offset + @len - 1
 * of the pattern of @seed
 * @buf: where to store them
 * @len: bytes
 * @seed: as for bm_pattern_word()
 * @offset: pattern offset of @buf[0] (usually the card offset)
 */
void bm_pattern_fill(void *buf, size_t len, uint64_t seed, uint64_t offset);

/**
 * bm_pattern_check() - compare @buf with bytes @offset .. of the pattern
 * of @seed
 * @buf: the bytes to check
 * @len: their number
 * @seed: as for bm_pattern_word()
 * @offset: as for bm_pattern_fill()
 * @first: NULL, or set to the index in @buf of the first differing byte
 *	(@len when none differs)
 *
 * Return: the number of bytes that differ (0: @buf holds the pattern).
 */
uint64_t bm_pattern_check(const void *buf, size_t len, uint64_t seed,
			  uint64_t offset, uint64_t *first);

/**
 * bm_pattern_check_byte() - compare @buf with the constant byte @byte
 * (the pattern of memset())
 * @buf: as for bm_pattern_check()
 * @len: as for bm_pattern_check()
 * @byte: the expected value of every byte
 * @first: as for bm_pattern_check()
 *
 * Return: as for bm_pattern_check().
 */
uint64_t bm_pattern_check_byte(const void *buf, size_t len, uint8_t byte,
			       uint64_t *first);

/**
 * bm_buf_compare() - compare two buffers byte by byte
 * @a: one
 * @b: the other
 * @len: bytes in each
 * @first: as for bm_pattern_check()
 *
 * Return: as for bm_pattern_check().
 */
uint64_t bm_buf_compare(const void *a, const void *b, size_t len,
			uint64_t *first);

/* ---- parsing and naming ---- */

/**
 * bm_parse_size() - parse a byte count: "4096", "4k", "64M", "1G", "0x1000"
 * @str: decimal digits with an optional binary unit (k, m, g, t, p or e,
 *	either case, times 1024^n, optionally followed by "iB": "64MiB"),
 *	or "0x" and hexadecimal digits with no unit. No sign, no spaces.
 * @size: on success, the byte count; untouched on failure
 *
 * Return: 0, or -1 with errno EINVAL (empty, not a number, unknown unit,
 * trailing characters) or ERANGE (more than UINT64_MAX bytes).
 */
int bm_parse_size(const char *str, uint64_t *size);

/**
 * bm_format_size() - name a byte count for a person: "64 MiB", "4095 B"
 * @size: the byte count
 * @buf: where to store the NUL-terminated string
 * @len: size of @buf (BM_SIZE_STR_LEN is always enough)
 *
 * Uses the largest binary unit that divides @size exactly, so the number
 * is exact and, without its space, parses back with bm_parse_size().
 *
 * Return: 0, or -1 with errno ENOSPC (@buf too short; it holds a
 * truncated string).
 */
int bm_format_size(uint64_t size, char *buf, size_t len);

/**
 * bm_parse_pci_addr() - parse "dddd:bb:ss.f" or "bb:ss.f" (hexadecimal)
 * @str: the address
 * @addr: on success, the parsed address; untouched on failure
 *
 * Return: 0, or -1 with errno EINVAL (malformed, or a field out of range).
 */
int bm_parse_pci_addr(const char *str, struct bm_pci_addr *addr);

/**
 * bm_model_name() - name of an enum busmaster_card_model value
 * @model: the value, such as busmaster_info.card_model
 *
 * Return: "edu" or "busmaster", or NULL for an unknown value.
 */
const char *bm_model_name(uint32_t model);

/**
 * bm_irq_mode_name() - name of an enum busmaster_irq_mode value
 * @mode: the value, such as busmaster_info.irq_mode
 *
 * Return: "none", "intx", "msi" or "msix", or NULL for an unknown value.
 */
const char *bm_irq_mode_name(uint32_t mode);

/**
 * bm_bounce_name() - name of an enum busmaster_bounce value
 * @bounce: the value, such as busmaster_info.bounce
 *
 * Return: "none", "iommu", "swiotlb" or "map_registers", or NULL for an
 * unknown value.
 */
const char *bm_bounce_name(uint32_t bounce);

/**
 * bm_cap_name() - name of one BUSMASTER_CAP_* bit
 * @cap: a single bit
 *
 * Return: "scatter_gather" or "card_mem_bar", or NULL when @cap is not
 * exactly one known bit.
 */
const char *bm_cap_name(uint32_t cap);

/**
 * bm_caps_format() - name a set of BUSMASTER_CAP_* bits
 * @caps: the bits, such as busmaster_info.caps
 * @buf: where to store the NUL-terminated, comma-separated names, lowest
 *	bit first; unknown bits appear as hexadecimal ("0x80"); no bits
 *	give ""
 * @len: size of @buf (BM_CAPS_STR_LEN is always enough)
 *
 * Return: 0, or -1 with errno ENOSPC (@buf too short; it holds a
 * truncated string).
 */
int bm_caps_format(uint32_t caps, char *buf, size_t len);

/**
 * struct bm_card_stats - a card's statistics: totals since it was probed,
 * and what it holds now (the driver's /sys/class/misc/busmasterN/
 * statistics/, documented in docs/ABI/sysfs-class-misc-busmaster)
 * @bytes_to_card: bytes card transfers moved memory -> card
 * @bytes_from_card: bytes card transfers moved card -> memory
 * @bytes_bounced: bytes of requests copied through swiotlb or map registers
 * @transfers_to_card: card transfers memory -> card
 * @transfers_from_card: card transfers card -> memory
 * @requests: requests (TRANSFER, TRANSFERV, the driver's own)
 * @requests_failed: of those, the ones that ended with an error
 * @requests_in_flight: requests now in progress
 * @timeouts: card transfers that timed out
 * @card_resets: times the driver reset the whole card
 * @pinned_pages: user pages pinned for DMA now
 */
struct bm_card_stats {
	uint64_t bytes_to_card;
	uint64_t bytes_from_card;
	uint64_t bytes_bounced;
	uint64_t transfers_to_card;
	uint64_t transfers_from_card;
	uint64_t requests;
	uint64_t requests_failed;
	uint64_t requests_in_flight;
	uint64_t timeouts;
	uint64_t card_resets;
	uint64_t pinned_pages;
};

/**
 * bm_card_stats() - read a card's statistics from sysfs
 * @node: the card's node ("/dev/busmaster0"), or its name ("busmaster0")
 * @st: where to store them
 *
 * Reads /sys/class/misc/NAME/statistics/ (the environment variable
 * BM_SYSFS_ROOT, when set, replaces /sys: for tests). Needs no access to
 * the node itself.
 *
 * Return: 0, or -1 with errno EINVAL (@node or @st NULL, no name),
 * ENOENT (no such card, or a driver without statistics), EIO (a file
 * that is not a number), or what open(2) or read(2) failed with.
 */
int bm_card_stats(const char *node, struct bm_card_stats *st);

/**
 * struct bm_card_counters - what a card counts itself, whoever used it,
 * since it was powered on or last reset (datasheet 3.4; the busmaster
 * card has them, QEMU's edu card does not)
 * @busy_ns: nanoseconds during which some channel had work (channels at
 *	work together count once): its change over wall time is how busy
 *	the card was kept
 * @bytes: bytes its descriptors moved, either way
 */
struct bm_card_counters {
	uint64_t busy_ns;
	uint64_t bytes;
};

/**
 * struct bm_copy_stats - the driver's count of user requests it copied
 * rather than pinned, since the card was probed (statistics/
 * requests_copied and bytes_copied, ABI 3 drivers on; a struct of its own
 * because struct bm_card_stats, which callers allocate, never grows)
 * @requests_copied: TRANSFER requests of user memory copied through the
 *	file's kernel buffer (up to the driver's copy_max, or
 *	BUSMASTER_XFER_COPY); of struct bm_card_stats's @requests
 * @bytes_copied: bytes that reached the card or the caller that way
 */
struct bm_copy_stats {
	uint64_t requests_copied;
	uint64_t bytes_copied;
};

/**
 * bm_copy_stats() - read how many requests and bytes a card's driver
 * copied rather than pinned, from sysfs
 * @node: the card's node ("/dev/busmaster0"), or its name ("busmaster0")
 * @st: where to store them (zeroed first)
 *
 * Reads statistics/requests_copied and bytes_copied as bm_card_stats()
 * reads the others (BM_SYSFS_ROOT too); needs no access to the node. New
 * in 0.6.
 *
 * Return: 0, or -1 with errno EINVAL (@node or @st NULL, no name), ENOENT
 * (no such card, or a driver without these counters: one older than ABI
 * 3, which never copies), EIO (a file that is not a number), or what
 * open(2) or read(2) failed with.
 */
int bm_copy_stats(const char *node, struct bm_copy_stats *st);

/**
 * bm_card_counters() - read a card's own counters from sysfs
 * @node: the card's node ("/dev/busmaster0"), or its name ("busmaster0")
 * @c: where to store them
 *
 * Reads statistics/card_busy_ns and card_bytes as bm_card_stats() reads
 * the driver's (BM_SYSFS_ROOT too). New in 0.5.
 *
 * Return: 0, or -1 with errno EINVAL, ENOENT (no such card, or a card
 * that does not count), EIO, or what open(2) or read(2) failed with.
 */
int bm_card_counters(const char *node, struct bm_card_counters *c);

/*
 * A staging buffer: a program that moves a file, a pipe or a pattern
 * through a card in chunks fills (or reads) one buffer and moves it, by any
 * of the three buffer paths. bmctl's write, read, fill and verify use it.
 */

/* How a staging buffer reaches the card */
enum bm_stage_kind {
	BM_STAGE_USER,		/* plain memory, copied or pinned for each
				 * transfer (bm_write(); BM_STAGE_COPY, _PIN) */
	BM_STAGE_COMMON,	/* a common buffer, mapped (bm_common_alloc()) */
	BM_STAGE_REGISTERED,	/* memory registered once (bm_register()) */
};

/* bm_stage_open() flags */
#define BM_STAGE_CARD_WRITES	(1U << 0)	/* registered: bm_stage_read() too */
#define BM_STAGE_NO_SYNC	(1U << 1)	/* registered: BUSMASTER_XFER_NO_SYNC,
						 * the library syncs around each */
#define BM_STAGE_COPY		(1U << 2)	/* user: BUSMASTER_XFER_COPY, always
						 * copied by the driver (0.6) */
#define BM_STAGE_PIN		(1U << 3)	/* user: BUSMASTER_XFER_PIN, always
						 * pinned (0.6) */

/* The largest and, after ENOMEM, the smallest staging buffer */
#define BM_STAGE_MAX_LEN	(4ULL << 20)
#define BM_STAGE_MIN_LEN	4096

struct bm_stage;

/**
 * bm_stage_open() - a staging buffer for moving bytes through a card
 * @fd: an open card (O_RDWR)
 * @info: its INFO (bm_info()): the alignment the buffer's length keeps
 * @kind: how the buffer reaches the card
 * @flags: BM_STAGE_CARD_WRITES (registered: the card may write it, for
 *	bm_stage_read()), BM_STAGE_NO_SYNC (registered: transfers skip the
 *	driver's sync and the library calls bm_sync() around each, as a
 *	program that reuses the bytes in place would), BM_STAGE_COPY (user:
 *	every transfer carries BUSMASTER_XFER_COPY, so the driver copies it
 *	through the file's kernel buffer, in pieces of up to 256 KiB,
 *	however long),
 *	BM_STAGE_PIN (user: BUSMASTER_XFER_PIN, the driver pins and maps the
 *	pages however short). Without either the driver chooses per request
 *	(see bm_write()). Both need a driver of ABI 3 or later: an older
 *	one fails each transfer with EINVAL.
 * @want: bytes the program means to move in all; the buffer holds
 *	min(@want, BM_STAGE_MAX_LEN) rounded down to the card's alignment
 * @why: on failure, what failed in words ("registering a 4 MiB buffer, or
 *	one down to 4 KiB: over RLIMIT_MEMLOCK ..."); may be NULL
 * @why_len: size of @why (BM_ERR_STR_LEN is enough)
 *
 * A common buffer the card cannot have (ENOMEM), or a registration over
 * RLIMIT_MEMLOCK, is tried again at half the size, down to
 * BM_STAGE_MIN_LEN: bm_stage_len() tells what was had.
 *
 * Return: the buffer, or NULL with errno: EINVAL (@info NULL, @want 0,
 * unknown @kind or @flags, BM_STAGE_NO_SYNC without BM_STAGE_REGISTERED,
 * BM_STAGE_COPY or BM_STAGE_PIN without BM_STAGE_USER, or both of them),
 * ENOMEM, or what bm_common_alloc(), bm_common_map() or bm_register()
 * failed with.
 */
struct bm_stage *bm_stage_open(int fd, const struct busmaster_info *info,
			       enum bm_stage_kind kind, uint32_t flags,
			       uint64_t want, char *why, size_t why_len);

/**
 * bm_stage_buf() - the staging buffer's memory, for the program to fill or
 * read
 * @s: from bm_stage_open()
 *
 * Return: bm_stage_len() bytes of memory, page aligned.
 */
void *bm_stage_buf(const struct bm_stage *s);

/**
 * bm_stage_len() - the staging buffer's length
 * @s: from bm_stage_open()
 *
 * Return: bytes, a multiple of the card's alignment.
 */
size_t bm_stage_len(const struct bm_stage *s);

/**
 * bm_stage_write() - move the first @len bytes of the buffer to on-card
 * memory at @card_offset, and wait for it
 * @s: from bm_stage_open()
 * @len: bytes, 1 to bm_stage_len()
 * @card_offset: byte offset in on-card memory
 * @res: what moved, also on failure (as for bm_write()); may be NULL
 *
 * Return: 0, or -1 with errno: EINVAL (@len 0 or past the buffer), or as
 * for bm_write() (bm_transfer() with BM_STAGE_COPY or BM_STAGE_PIN),
 * bm_common_write() or bm_reg_write() and bm_sync().
 * bm_stage_strerror() says which for a person.
 */
int bm_stage_write(struct bm_stage *s, size_t len, uint64_t card_offset,
		   struct bm_result *res);

/**
 * bm_stage_read() - move @len bytes of on-card memory at @card_offset into
 * the start of the buffer, and wait for it
 * @s: from bm_stage_open(), registered with BM_STAGE_CARD_WRITES if it is
 *	a registered buffer
 * @len: as for bm_stage_write()
 * @card_offset: as for bm_stage_write()
 * @res: as for bm_stage_write()
 *
 * Return: as for bm_stage_write().
 */
int bm_stage_read(struct bm_stage *s, size_t len, uint64_t card_offset,
		  struct bm_result *res);

/**
 * bm_stage_strerror() - say for a person why the last bm_stage_write() or
 * bm_stage_read() failed
 * @s: the buffer
 * @err: the errno it failed with
 * @buf: where to store the NUL-terminated message
 * @len: size of @buf (BM_ERR_STR_LEN is enough)
 *
 * A failed sync (BM_STAGE_NO_SYNC) says so; else the message is
 * bm_strerror_transfer()'s for the request as it was made.
 *
 * Return: 0, or -1 with errno ENOSPC (truncated).
 */
int bm_stage_strerror(const struct bm_stage *s, int err, char *buf, size_t len);

/**
 * bm_stage_close() - let the buffer go: unregister or free the common
 * buffer, free the memory
 * @s: from bm_stage_open(), or NULL
 *
 * errno is kept as it was.
 */
void bm_stage_close(struct bm_stage *s);

#ifdef __cplusplus
}
#endif

#endif /* LIBBUSMASTER_H */
