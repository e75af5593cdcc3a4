// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libbusmaster: names of the ABI's values (models, interrupt modes,
 * bounce strategies, capabilities).
 * Each function is documented in libbusmaster.h.
 */
#include <stdio.h>
#include <string.h>

#include "private.h"

static const char *name_of(const char *const *names, size_t n, uint32_t v)
{
	return v < n ? names[v] : NULL;
}

const char *bm_model_name(uint32_t model)
{
	static const char *const names[] = {
		[BUSMASTER_MODEL_EDU] = "edu",
		[BUSMASTER_MODEL_CARD] = "busmaster",
	};

	return name_of(names, ARRAY_SIZE(names), model);
}

const char *bm_irq_mode_name(uint32_t mode)
{
	static const char *const names[] = {
		[BUSMASTER_IRQ_NONE] = "none",
		[BUSMASTER_IRQ_INTX] = "intx",
		[BUSMASTER_IRQ_MSI] = "msi",
		[BUSMASTER_IRQ_MSIX] = "msix",
	};

	return name_of(names, ARRAY_SIZE(names), mode);
}

const char *bm_bounce_name(uint32_t bounce)
{
	static const char *const names[] = {
		[BUSMASTER_BOUNCE_NONE] = "none",
		[BUSMASTER_BOUNCE_IOMMU] = "iommu",
		[BUSMASTER_BOUNCE_SWIOTLB] = "swiotlb",
		[BUSMASTER_BOUNCE_MAP_REGISTERS] = "map_registers",
	};

	return name_of(names, ARRAY_SIZE(names), bounce);
}

const char *bm_cap_name(uint32_t cap)
{
	switch (cap) {
	case BUSMASTER_CAP_SCATTER_GATHER:
		return "scatter_gather";
	case BUSMASTER_CAP_CARD_MEM_BAR:
		return "card_mem_bar";
	default:
		return NULL;
	}
}

int bm_caps_format(uint32_t caps, char *buf, size_t len)
{
	size_t used = 0;
	uint32_t bit;
	int n;

	if (!buf || !len)
		return set_errno(!buf ? EINVAL : ENOSPC);
	buf[0] = '\0';
	for (bit = 1; caps; bit <<= 1) {
		const char *name = bm_cap_name(bit);

		if (!(caps & bit))
			continue;
		caps &= ~bit;
		if (name)
			n = snprintf(buf + used, len - used, "%s%s",
				     used ? "," : "", name);
		else
			n = snprintf(buf + used, len - used, "%s0x%x",
				     used ? "," : "", bit);
		if (n < 0 || (size_t)n >= len - used)
			return set_errno(ENOSPC);
		used += (size_t)n;
	}
	return 0;
}
