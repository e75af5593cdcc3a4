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
 *   BM_FAKE_ERRNO  fail every TRANSFER with this errno (before any byte)
 *
 * It checks what the driver checks (size, flags, reserved, length,
 * alignment, range, handles), so bmctl's requests are held to the ABI.
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/busmaster.h>

#define MAX_COMMON 8

static struct {
	uint64_t len;
	void *mem;	/* what the process maps, and the card reads */
} commons[MAX_COMMON + 1];	/* by handle; 0 unused */

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
	i->abi_version = BUSMASTER_ABI_VERSION;
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
	return 0;
}

static int fake_transfer(struct busmaster_transfer *t)
{
	uint64_t size, align = env_u64("BM_FAKE_ALIGN", 1);
	uint64_t per = env_u64("BM_FAKE_XFER", 64 << 10);
	uint64_t fail = env_u64("BM_FAKE_FAIL", UINT64_MAX), n;
	uint8_t *mem = card_mem(&size), *host;
	int from = t->flags & BUSMASTER_XFER_FROM_CARD;

	if (t->size < sizeof(*t))
		return -EINVAL;
	t->bytes_done = 0;
	t->card_status = 0;
	t->transfers = 0;
	if (env_u64("BM_FAKE_ERRNO", 0))
		return -(int)env_u64("BM_FAKE_ERRNO", 0);
	if (!mem || t->reserved ||
	    (t->flags & ~(uint32_t)(BUSMASTER_XFER_FROM_CARD |
				    BUSMASTER_XFER_COMMON)) ||
	    (t->handle && !(t->flags & BUSMASTER_XFER_COMMON)) ||
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
	} else {
		host = (uint8_t *)(uintptr_t)t->addr;
	}
	while (t->bytes_done < t->length) {
		uint64_t off = t->card_offset + t->bytes_done;

		n = t->length - t->bytes_done < per ?
		    t->length - t->bytes_done : per;
		t->transfers++;
		if (fail >= off && fail < off + n) {
			n = fail - off;
			t->card_status = 0x86;
		}
		if (from)
			memcpy(host + t->bytes_done, mem + off, n);
		else
			memcpy(mem + off, host + t->bytes_done, n);
		t->bytes_done += n;
		if (t->card_status)
			return -EIO;
	}
	return 0;
}

static int fake_common_alloc(struct busmaster_common_alloc *a)
{
	uint32_t h;

	if (a->size < sizeof(*a) || a->flags || a->reserved || !a->length ||
	    a->length > BUSMASTER_COMMON_MAX)
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
		ret = fake_transfer(arg);
		break;
	case BUSMASTER_IOCTL_COMMON_ALLOC:
		ret = fake_common_alloc(arg);
		break;
	case BUSMASTER_IOCTL_COMMON_FREE:
		ret = fake_common_free(arg);
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
