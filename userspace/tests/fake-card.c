// SPDX-License-Identifier: GPL-2.0-only
/*
 * fake-card.so: an LD_PRELOAD stand-in for the busmaster driver, so the
 * host tests can drive bmctl's transfer loop (chunks, both buffer paths,
 * verify, failures part-way) without a card. It answers the busmaster
 * ioctls and mmap() on the file named by BM_FAKE_CARD, with on-card memory
 * kept in BM_FAKE_MEM (a file, so runs can see each other's writes).
 *
 *   BM_FAKE_CARD   path of the node bmctl is given with -d
 *   BM_FAKE_MEM    file holding the card memory (created, BM_FAKE_SIZE)
 *   BM_FAKE_SIZE   card memory bytes (default 1 MiB)
 *   BM_FAKE_ALIGN  card alignment (default 1)
 *   BM_FAKE_XFER   bytes per card transfer (default 64 KiB)
 *   BM_FAKE_FAIL   card offset at which a transfer fails with EIO and
 *                  card_status 0x86 (ERR_HOST), bytes before it done
 *   BM_FAKE_ERRNO  fail every TRANSFER and TRANSFERV with this errno
 *                  (before any byte)
 *   BM_FAKE_ABI    the ABI version INFO reports (default the uapi's);
 *                  below 3, BUSMASTER_XFER_COPY and _PIN are unknown flags
 *   BM_FAKE_LOG    a file to which each TRANSFER, even a refused one,
 *                  appends "TRANSFER flags=0x<flags> length=<bytes>", so a
 *                  test can check what bmctl asked of the driver
 *
 * It checks what the driver checks (size, flags, reserved, length,
 * alignment, range, handles; BUSMASTER_XFER_COPY and _PIN on plain user
 * memory only, not both, not on SUBMIT), so bmctl's requests are held to
 * the ABI. A copied or pinned request moves the same bytes here.
 *
 * Asynchronous requests (SUBMIT, REAP, CANCEL, QUEUE) run at SUBMIT: their
 * checks fail SUBMIT, a card failure (BM_FAKE_FAIL) is in the completion,
 * which waits for REAP; the depth (QUEUE) is enforced (EAGAIN).
 *
 * Registered buffers (REGISTER, UNREGISTER, SYNC, TRANSFER with
 * BUSMASTER_XFER_REGISTERED) are modelled as the DMA API bounces them: the
 * card reads and writes a shadow copy, which the transfer (or, with
 * BUSMASTER_XFER_NO_SYNC, only SYNC) copies to and from the user's pages,
 * so a missing sync gives stale data, as it would under swiotlb. Handles
 * belong to the file descriptor (close() drops them); pinned pages are
 * charged to RLIMIT_MEMLOCK as for a process without CAP_IPC_LOCK; a
 * buffer must be mapped (writable with BUSMASTER_REG_CARD_WRITES), and a
 * writable shared mapping of a file outside tmpfs is refused with EFAULT
 * (no long-term pin of memory that needs writeback). Plain and vectored
 * transfers check their memory the same way (EFAULT).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/busmaster.h>
#include <linux/busmaster_card.h>
#include <linux/magic.h>

#define MAX_COMMON 8
#define MAX_REG 256
#define PAGE 4096ULL

static struct {
	uint64_t len;
	void *mem;	/* what the process maps, and the card reads */
} commons[MAX_COMMON + 1];	/* by handle; 0 unused */

static struct {
	int fd;		/* the file it belongs to */
	uint32_t flags;	/* BUSMASTER_REG_* */
	uint8_t *user;	/* the caller's pages */
	uint64_t len;
	uint8_t *shadow; /* what the card reads and writes (the bounce copy) */
	uint64_t charged; /* bytes of whole pages, against RLIMIT_MEMLOCK */
} regs[MAX_REG + 1];	/* by handle; 0 unused, shadow NULL: free */

static uint64_t pinned;	/* bytes charged, all files */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static int is_card(int fd)
{
	const char *card = getenv("BM_FAKE_CARD");
	struct stat a, b;

	return card && !fstat(fd, &a) && !stat(card, &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static uint8_t *card_mem(uint64_t *size)
{
	static uint8_t *mem;
	static uint64_t len;
	const char *path = getenv("BM_FAKE_MEM");
	int fd;

	*size = len;
	if (mem || !path)
		return mem;
	len = env_u64("BM_FAKE_SIZE", 1 << 20);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)len))
		return NULL;
	mem = (void *)syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE,
			      MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		mem = NULL;
	*size = len;
	return mem;
}

static int fake_info(struct busmaster_info *i)
{
	uint64_t size;

	if (i->size < sizeof(*i))
		return -EINVAL;
	card_mem(&size);
	memset(&i->abi_version, 0, sizeof(*i) - 16);
	i->abi_version = (uint32_t)env_u64("BM_FAKE_ABI", BUSMASTER_ABI_VERSION);
	i->card_model = BUSMASTER_MODEL_CARD;
	i->pci_vendor = 0x1234;
	i->pci_device = 0xbb01;
	strcpy(i->pci_slot, "0000:00:05.0");
	strcpy(i->driver_version, "fake");
	i->card_addr_bits = 64;
	i->dma_addr_bits = 64;
	i->caps = BUSMASTER_CAP_SCATTER_GATHER;
	i->alignment = (uint32_t)env_u64("BM_FAKE_ALIGN", 1);
	i->max_segments = 16;
	i->max_transfer_size = env_u64("BM_FAKE_XFER", 64 << 10);
	i->max_segment_size = i->max_transfer_size;
	i->card_mem_size = size;
	i->dma_channels = 1;
	i->common_max = env_u64("BM_FAKE_COMMON_MAX", 4 << 20);
	return 0;
}

/*
 * Is [@addr, @addr + @len) mapped, readable, and with @write writable?
 * With @longterm, a writable shared mapping of a file outside tmpfs fails
 * too (the kernel will not pin it long-term for writing). Read from
 * /proc/self/maps; the ranges must follow one another without a hole.
 */
static int mem_ok(uint64_t addr, uint64_t len, int write, int longterm)
{
	unsigned long long lo, hi, ino;
	char line[512], perms[8], path[400];
	uint64_t at = addr, end = addr + len;
	struct statfs sf;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return 0;
	while (at < end && fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%llx-%llx %7s %*s %*s %llu %399s", &lo, &hi,
			   perms, &ino, path) < 4)
			continue;
		if (hi <= at || lo > at)
			continue;
		if (perms[0] != 'r' || (write && perms[1] != 'w'))
			break;
		if (longterm && write && perms[3] == 's' && ino &&
		    path[0] == '/' && strncmp(path, "/dev/shm/", 9) &&
		    (statfs(path, &sf) || sf.f_type != TMPFS_MAGIC))
			break;
		at = hi;
	}
	fclose(f);
	return at >= end;
}

/*
 * Move @len bytes between @host and card memory at @card_off, one card
 * transfer of BM_FAKE_XFER bytes at a time, failing at BM_FAKE_FAIL.
 * Adds to *@done and *@transfers; sets *@status on a failure (-EIO).
 */
static int move(uint8_t *host, uint64_t len, uint64_t card_off, int from,
		__u64 *done, __u32 *status, __u32 *transfers)
{
	uint64_t per = env_u64("BM_FAKE_XFER", 64 << 10);
	uint64_t fail = env_u64("BM_FAKE_FAIL", UINT64_MAX), n, size, k = 0;
	uint8_t *mem = card_mem(&size);

	while (k < len) {
		uint64_t off = card_off + k;

		n = len - k < per ? len - k : per;
		(*transfers)++;
		if (fail >= off && fail < off + n) {
			n = fail - off;
			*status = BMC_ST_ERR_HOST;
		}
		if (from)
			memcpy(host + k, mem + off, n);
		else
			memcpy(mem + off, host + k, n);
		k += n;
		*done += n;
		if (*status)
			return -EIO;
	}
	return 0;
}

/* Is @h a buffer registered on file @fd? */
static int reg_find(int fd, uint32_t h)
{
	return h && h <= MAX_REG && regs[h].shadow && regs[h].fd == fd;
}

/* dma_sync_*_for_device(): the user's bytes to the bounce copy */
static void reg_to_shadow(uint32_t h, uint64_t off, uint64_t len)
{
	memcpy(regs[h].shadow + off, regs[h].user + off, len);
}

/* dma_sync_*_for_cpu(): what the card wrote, to the user's pages */
static void reg_to_user(uint32_t h, uint64_t off, uint64_t len)
{
	if (regs[h].flags & BUSMASTER_REG_CARD_WRITES)
		memcpy(regs[h].user + off, regs[h].shadow + off, len);
}

/* BM_FAKE_LOG: one line per TRANSFER, as it came */
static void log_transfer(const struct busmaster_transfer *t)
{
	const char *path = getenv("BM_FAKE_LOG");
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (t->size < sizeof(*t))
		dprintf(fd, "TRANSFER size=%u\n", t->size);
	else
		dprintf(fd, "TRANSFER flags=0x%x length=%llu\n", t->flags,
			(unsigned long long)t->length);
	syscall(SYS_close, fd);
}

static int fake_transfer(int fd, struct busmaster_transfer *t)
{
	const uint32_t chosen = BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN;
	const uint32_t known = BUSMASTER_XFER_FROM_CARD |
			       BUSMASTER_XFER_COMMON |
			       BUSMASTER_XFER_REGISTERED |
			       BUSMASTER_XFER_NO_SYNC |
			       (env_u64("BM_FAKE_ABI", BUSMASTER_ABI_VERSION) >= 3 ?
				chosen : 0);
	uint64_t size, align = env_u64("BM_FAKE_ALIGN", 1);
	uint8_t *mem = card_mem(&size), *host;
	int from = t->flags & BUSMASTER_XFER_FROM_CARD;
	int reg = t->flags & BUSMASTER_XFER_REGISTERED;
	int sync = reg && !(t->flags & BUSMASTER_XFER_NO_SYNC);
	int ret;

	if (t->size < sizeof(*t))
		return -EINVAL;
	t->bytes_done = 0;
	t->card_status = 0;
	t->transfers = 0;
	if (env_u64("BM_FAKE_ERRNO", 0))
		return -(int)env_u64("BM_FAKE_ERRNO", 0);
	if (!mem || t->reserved || (t->flags & ~known) ||
	    ((t->flags & BUSMASTER_XFER_COMMON) && reg) ||
	    ((t->flags & BUSMASTER_XFER_NO_SYNC) && !reg) ||
	    (t->flags & chosen) == chosen ||
	    ((t->flags & chosen) &&
	     (t->flags & (BUSMASTER_XFER_COMMON | BUSMASTER_XFER_REGISTERED))) ||
	    (t->handle && !(t->flags & BUSMASTER_XFER_COMMON) && !reg) ||
	    !t->length || t->addr + t->length < t->addr ||
	    t->addr % align || t->length % align || t->card_offset % align)
		return -EINVAL;
	if (t->card_offset > size || t->length > size - t->card_offset)
		return -ERANGE;
	if (t->flags & BUSMASTER_XFER_COMMON) {
		if (!t->handle || t->handle > MAX_COMMON ||
		    !commons[t->handle].mem)
			return -ENOENT;
		if (t->addr > commons[t->handle].len ||
		    t->length > commons[t->handle].len - t->addr)
			return -ERANGE;
		host = (uint8_t *)commons[t->handle].mem + t->addr;
	} else if (reg) {
		if (!reg_find(fd, t->handle))
			return -ENOENT;
		if (from && !(regs[t->handle].flags & BUSMASTER_REG_CARD_WRITES))
			return -EPERM;
		if (t->addr > regs[t->handle].len ||
		    t->length > regs[t->handle].len - t->addr)
			return -ERANGE;
		host = regs[t->handle].shadow + t->addr;
		if (sync)
			reg_to_shadow(t->handle, t->addr, t->length);
	} else {
		if (!mem_ok(t->addr, t->length, from, 0))
			return -EFAULT;
		host = (uint8_t *)(uintptr_t)t->addr;
	}
	ret = move(host, t->length, t->card_offset, from, &t->bytes_done,
		   &t->card_status, &t->transfers);
	if (sync && from)
		reg_to_user(t->handle, t->addr, t->bytes_done);
	return ret;
}

static int fake_transferv(struct busmaster_transferv *t)
{
	uint64_t size, align = env_u64("BM_FAKE_ALIGN", 1), total = 0;
	const struct busmaster_iovec *iov;
	int from = t->flags & BUSMASTER_XFER_FROM_CARD;
	uint32_t k;
	int ret = 0;

	if (t->size < sizeof(*t))
		return -EINVAL;
	t->bytes_done = 0;
	t->card_status = 0;
	t->transfers = 0;
	if (env_u64("BM_FAKE_ERRNO", 0))
		return -(int)env_u64("BM_FAKE_ERRNO", 0);
	if (!card_mem(&size) || t->reserved ||
	    (t->flags & ~(uint32_t)BUSMASTER_XFER_FROM_CARD) || !t->count ||
	    t->count > BUSMASTER_IOV_MAX || t->card_offset % align)
		return -EINVAL;
	iov = (const void *)(uintptr_t)t->iov;
	if (!mem_ok(t->iov, (uint64_t)t->count * sizeof(*iov), 0, 0))
		return -EFAULT;
	for (k = 0; k < t->count; k++) {
		if (!iov[k].length || iov[k].addr + iov[k].length < iov[k].addr ||
		    iov[k].addr % align || iov[k].length % align)
			return -EINVAL;
		total += iov[k].length;
	}
	if (t->card_offset > size || total > size - t->card_offset)
		return -ERANGE;
	for (k = 0; k < t->count; k++)
		if (!mem_ok(iov[k].addr, iov[k].length, from, 0))
			return -EFAULT;
	for (k = 0; k < t->count && !ret; k++)
		ret = move((uint8_t *)(uintptr_t)iov[k].addr, iov[k].length,
			   t->card_offset + t->bytes_done, from,
			   &t->bytes_done, &t->card_status, &t->transfers);
	return ret;
}

static int fake_register(int fd, struct busmaster_register *r)
{
	uint64_t align = env_u64("BM_FAKE_ALIGN", 1), charge;
	int write = r->flags & BUSMASTER_REG_CARD_WRITES;
	struct rlimit rl;
	uint32_t h, mine = 0;

	if (r->size < sizeof(*r) || r->reserved ||
	    (r->flags & ~(uint32_t)BUSMASTER_REG_CARD_WRITES) || !r->length ||
	    r->length > BUSMASTER_REGISTER_MAX ||
	    r->addr + r->length < r->addr || r->addr % align ||
	    r->length % align)
		return -EINVAL;
	for (h = 1; h <= MAX_REG; h++)
		if (regs[h].shadow && regs[h].fd == fd)
			mine++;
	if (mine >= BUSMASTER_REGISTER_PER_FILE)
		return -EMFILE;
	if (!mem_ok(r->addr, r->length, write, 1))
		return -EFAULT;
	charge = ((r->addr + r->length + PAGE - 1) & ~(PAGE - 1)) -
		 (r->addr & ~(PAGE - 1));
	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    pinned + charge > rl.rlim_cur)
		return -ENOMEM;
	for (h = 1; h <= MAX_REG && regs[h].shadow; h++)
		;
	if (h > MAX_REG)
		return -ENOMEM;
	regs[h].shadow = malloc(r->length);
	if (!regs[h].shadow)
		return -ENOMEM;
	regs[h].fd = fd;
	regs[h].flags = r->flags;
	regs[h].user = (uint8_t *)(uintptr_t)r->addr;
	regs[h].len = r->length;
	regs[h].charged = charge;
	pinned += charge;
	reg_to_shadow(h, 0, r->length);	/* dma_map_sgtable() bounces */
	r->handle = h;
	return 0;
}

static void reg_drop(uint32_t h)
{
	pinned -= regs[h].charged;
	free(regs[h].shadow);
	memset(&regs[h], 0, sizeof(regs[h]));
}

static int fake_unregister(int fd, struct busmaster_unregister *u)
{
	if (u->size < sizeof(*u) || u->flags || u->reserved)
		return -EINVAL;
	if (!reg_find(fd, u->handle))
		return -ENOENT;
	/* dma_unmap_sgtable(): what the card wrote reaches the pages */
	reg_to_user(u->handle, 0, regs[u->handle].len);
	reg_drop(u->handle);
	return 0;
}

static int fake_sync(int fd, struct busmaster_sync *y)
{
	uint64_t lo, hi, base;

	if (y->size < sizeof(*y) || y->reserved || !y->length ||
	    (y->flags != BUSMASTER_SYNC_FOR_DEVICE &&
	     y->flags != BUSMASTER_SYNC_FOR_CPU) ||
	    y->offset + y->length < y->offset)
		return -EINVAL;
	if (!reg_find(fd, y->handle))
		return -ENOENT;
	if (y->offset > regs[y->handle].len ||
	    y->length > regs[y->handle].len - y->offset)
		return -ERANGE;
	/* whole pages of the range, within the buffer */
	base = (uint64_t)(uintptr_t)regs[y->handle].user;
	lo = (base + y->offset) & ~(PAGE - 1);
	hi = (base + y->offset + y->length + PAGE - 1) & ~(PAGE - 1);
	lo = lo < base ? 0 : lo - base;
	hi = hi - base > regs[y->handle].len ? regs[y->handle].len : hi - base;
	if (y->flags == BUSMASTER_SYNC_FOR_DEVICE)
		reg_to_shadow(y->handle, lo, hi - lo);
	else
		reg_to_user(y->handle, lo, hi - lo);
	return 0;
}

static int fake_common_alloc(struct busmaster_common_alloc *a)
{
	uint32_t h;

	if (a->size < sizeof(*a) || a->flags || a->reserved || !a->length ||
	    a->length > env_u64("BM_FAKE_COMMON_MAX", 4 << 20))
		return -EINVAL;
	for (h = 1; h <= MAX_COMMON && commons[h].mem; h++)
		;
	if (h > MAX_COMMON)
		return -EMFILE;
	commons[h].len = (a->length + 4095) & ~4095ULL;
	commons[h].mem = (void *)syscall(SYS_mmap, NULL, commons[h].len,
					 PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (commons[h].mem == MAP_FAILED) {
		commons[h].mem = NULL;
		return -ENOMEM;
	}
	a->handle = h;
	a->mmap_offset = (uint64_t)h << 32;
	return 0;
}

static int fake_common_free(struct busmaster_common_free *f)
{
	if (f->size < sizeof(*f) || f->flags || f->reserved)
		return -EINVAL;
	if (!f->handle || f->handle > MAX_COMMON || !commons[f->handle].mem)
		return -ENOENT;
	/* the mapping keeps the memory: here, it is never unmapped */
	commons[f->handle].mem = NULL;
	return 0;
}

/* Asynchronous requests: one queue (the fake serves one file at a time). */
static struct busmaster_completion done[BUSMASTER_DEPTH_MAX];
static uint32_t ndone, in_flight, depth = BUSMASTER_DEPTH_DEFAULT, next_id;

static int fake_submit(int fd, struct busmaster_submit *s)
{
	struct busmaster_transfer t = {
		.size = sizeof(t), .flags = s->flags, .handle = s->handle,
		.addr = s->addr, .length = s->length,
		.card_offset = s->card_offset, .timeout_ms = s->timeout_ms,
	};
	struct busmaster_transferv tv = {
		.size = sizeof(tv), .flags = s->flags & BUSMASTER_XFER_FROM_CARD,
		.count = s->count, .iov = s->addr, .card_offset = s->card_offset,
		.timeout_ms = s->timeout_ms,
	};
	struct busmaster_completion *c;
	int ret;

	if (s->size < sizeof(*s) || s->reserved ||
	    (s->flags & (BUSMASTER_XFER_COPY | BUSMASTER_XFER_PIN)))
		return -EINVAL;
	if (in_flight == depth)
		return -EAGAIN;
	if (s->flags & BUSMASTER_XFER_IOVEC) {
		if (s->flags & ~(uint32_t)(BUSMASTER_XFER_IOVEC | BUSMASTER_XFER_FROM_CARD) ||
		    s->length)
			return -EINVAL;
		ret = fake_transferv(&tv);
		t.bytes_done = tv.bytes_done;
		t.card_status = tv.card_status;
		t.transfers = tv.transfers;
	} else {
		if (s->count)
			return -EINVAL;
		ret = fake_transfer(fd, &t);
	}
	/* What the driver checks before the request runs fails SUBMIT. */
	if (ret && ret != -EIO)
		return ret;
	c = &done[ndone++];
	in_flight++;
	s->id = ++next_id;
	*c = (struct busmaster_completion){ .id = s->id, .tag = s->tag,
		.bytes_done = t.bytes_done, .error = ret,
		.card_status = t.card_status, .transfers = t.transfers };
	return 0;
}

static int fake_reap(struct busmaster_reap *r)
{
	uint32_t n;

	if (r->size < sizeof(*r) || r->reserved || r->flags & ~(uint32_t)BUSMASTER_REAP_WAIT ||
	    !r->max || r->max > BUSMASTER_DEPTH_MAX ||
	    (r->flags ? !r->min_complete || r->min_complete > r->max :
			r->min_complete || r->timeout_ms))
		return -EINVAL;
	n = r->max < ndone ? r->max : ndone;
	if (n && !mem_ok(r->records, n * sizeof(*done), 1, 0))
		return -EFAULT;
	memcpy((void *)(uintptr_t)r->records, done, n * sizeof(*done));
	memmove(done, done + n, (ndone - n) * sizeof(*done));
	ndone -= n;
	in_flight -= n;
	r->count = n;
	r->in_flight = in_flight;
	return 0;
}

static int fake_cancel(struct busmaster_cancel *c)
{
	if (c->size < sizeof(*c) || c->flags || c->reserved)
		return -EINVAL;
	for (uint32_t i = 0; i < ndone; i++)
		if (done[i].id == c->id)
			return -EALREADY;
	return -ENOENT;
}

static int fake_queue(struct busmaster_queue *q)
{
	if (q->size < sizeof(*q) || q->flags & ~(uint32_t)BUSMASTER_QUEUE_SET_DEPTH ||
	    q->reserved)
		return -EINVAL;
	if (q->flags) {
		if (!q->depth || q->depth > BUSMASTER_DEPTH_MAX || q->depth < in_flight)
			return -EINVAL;
		depth = q->depth;
	}
	q->depth = depth;
	q->in_flight = in_flight;
	q->card_running = 16;
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(req) != BUSMASTER_IOCTL_TYPE || !is_card(fd))
		return (int)syscall(SYS_ioctl, fd, req, arg);
	switch (req) {
	case BUSMASTER_IOCTL_INFO:
		ret = fake_info(arg);
		break;
	case BUSMASTER_IOCTL_TRANSFER:
		log_transfer(arg);
		ret = fake_transfer(fd, arg);
		break;
	case BUSMASTER_IOCTL_TRANSFERV:
		ret = fake_transferv(arg);
		break;
	case BUSMASTER_IOCTL_REGISTER:
		ret = fake_register(fd, arg);
		break;
	case BUSMASTER_IOCTL_UNREGISTER:
		ret = fake_unregister(fd, arg);
		break;
	case BUSMASTER_IOCTL_SYNC:
		ret = fake_sync(fd, arg);
		break;
	case BUSMASTER_IOCTL_COMMON_ALLOC:
		ret = fake_common_alloc(arg);
		break;
	case BUSMASTER_IOCTL_COMMON_FREE:
		ret = fake_common_free(arg);
		break;
	case BUSMASTER_IOCTL_SUBMIT:
		ret = fake_submit(fd, arg);
		break;
	case BUSMASTER_IOCTL_REAP:
		ret = fake_reap(arg);
		break;
	case BUSMASTER_IOCTL_CANCEL:
		ret = fake_cancel(arg);
		break;
	case BUSMASTER_IOCTL_QUEUE:
		ret = fake_queue(arg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	uint64_t h = (uint64_t)off >> 32;

	if (fd < 0 || !is_card(fd))
		return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd,
				       off);
	if (!h || h > MAX_COMMON || !commons[h].mem ||
	    len > commons[h].len || !(flags & MAP_SHARED)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return commons[h].mem;
}

int munmap(void *addr, size_t len)
{
	uint32_t h;

	for (h = 1; h <= MAX_COMMON; h++)
		if (commons[h].mem == addr)
			return 0;
	return (int)syscall(SYS_munmap, addr, len);
}

/* Closing the file unregisters its buffers */
int close(int fd)
{
	uint32_t h;

	if (fd >= 0 && is_card(fd))
		for (h = 1; h <= MAX_REG; h++)
			if (regs[h].shadow && regs[h].fd == fd)
				reg_drop(h);
	return (int)syscall(SYS_close, fd);
}
