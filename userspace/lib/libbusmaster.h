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
 * Return: a static string such as "0.1.0"; never fails.
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

#ifdef __cplusplus
}
#endif

#endif /* LIBBUSMASTER_H */
