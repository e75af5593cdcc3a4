// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: sizes ("64M") and PCI addresses ("0000:00:04.0"), parsed
 * and formatted.
 * Each function is documented in libbusmaster.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hexadecimal digits after "0x": at least one, at most 64 bits */
static int parse_hex_u64(const char *s, uint64_t *v)
{
	uint64_t r = 0;
	int d;

	if (!*s)
		return set_errno(EINVAL);
	for (; *s; s++) {
		d = hex_digit(*s);
		if (d < 0)
			return set_errno(EINVAL);
		if (r > (UINT64_MAX >> 4))
			return set_errno(ERANGE);
		r = (r << 4) | (uint64_t)d;
	}
	*v = r;
	return 0;
}

/* Shift of a binary unit letter, or -1 */
static int unit_shift(char c)
{
	static const char units[] = "kmgtpe";
	const char *p;

	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	p = c ? strchr(units, c) : NULL;
	return p ? 10 * (int)(p - units + 1) : -1;
}

int bm_parse_size(const char *str, uint64_t *size)
{
	const char *s = str;
	uint64_t v = 0;
	int shift = 0;

	if (!str || !size)
		return set_errno(EINVAL);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_hex_u64(s + 2, size);
	if (*s < '0' || *s > '9')
		return set_errno(EINVAL);
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return set_errno(ERANGE);
		v = v * 10 + d;
	}
	if (*s) {
		shift = unit_shift(*s++);
		if (shift < 0)
			return set_errno(EINVAL);
		if (s[0] == 'i' && s[1] == 'B')
			s += 2;
		if (*s)
			return set_errno(EINVAL);
		if (v > (UINT64_MAX >> shift))
			return set_errno(ERANGE);
	}
	*size = v << shift;
	return 0;
}

int bm_format_size(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned int u = 0;
	int n;

	if (!buf)
		return set_errno(EINVAL);
	while (size && u + 1 < ARRAY_SIZE(units) && !(size & 1023)) {
		size >>= 10;
		u++;
	}
	n = snprintf(buf, len, "%llu %s", (unsigned long long)size, units[u]);
	if (n < 0 || (size_t)n >= len)
		return set_errno(ENOSPC);
	return 0;
}

/*
 * Parse 1 to @max hexadecimal digits at *@s, at most @limit, and advance
 * *@s past them. The caller checks the character that follows.
 */
static int pci_field(const char **s, int max, uint32_t limit, uint32_t *v)
{
	const char *p = *s;
	uint32_t r = 0;
	int n, d;

	for (n = 0; (d = hex_digit(p[n])) >= 0; n++) {
		if (n == max)
			return -1;
		r = (r << 4) | (uint32_t)d;
	}
	if (!n || r > limit)
		return -1;
	*s = p + n;
	*v = r;
	return 0;
}

int bm_parse_pci_addr(const char *str, struct bm_pci_addr *addr)
{
	uint32_t f[4], fn;
	const char *s = str;
	int n = 0;

	if (!str || !addr)
		return set_errno(EINVAL);
	/* up to three colon-separated fields: [domain:]bus:dev */
	for (;;) {
		if (pci_field(&s, 8, UINT32_MAX, &f[n]))
			return set_errno(EINVAL);
		n++;
		if (*s != ':' || n == 3)
			break;
		s++;
	}
	if (n < 2 || *s++ != '.' || pci_field(&s, 1, 7, &fn) || *s)
		return set_errno(EINVAL);
	if (f[n - 2] > 0xff || f[n - 1] > 0x1f || (n == 3 && f[0] > 0xffff))
		return set_errno(EINVAL);
	addr->domain = n == 3 ? f[0] : 0;
	addr->bus = (uint8_t)f[n - 2];
	addr->dev = (uint8_t)f[n - 1];
	addr->fn = (uint8_t)fn;
	return 0;
}
