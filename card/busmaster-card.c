/*
 * busmaster card: a PCI bus-master DMA engine with on-card memory.
 *
 * The programming model is docs/card-datasheet.md in the busmaster project;
 * register, descriptor and status names below follow it. In short: BAR0
 * holds 32-bit registers, BAR2 the on-card memory (RAM the CPU can read), and
 * BAR4 the MSI-X table. Each channel walks a descriptor ring in host memory
 * from HEAD to the TAIL doorbell, moves data between host memory and the
 * on-card memory, and writes a status back into each descriptor.
 *
 * DMA runs in a bottom half (never on the vCPU's MMIO path), many
 * descriptors per pass, and copies straight between guest memory and the
 * RAM block behind BAR2. No register or descriptor value can make the model
 * touch memory outside its own RAM block or stop QEMU: guest mistakes
 * complete descriptors with error codes and are logged as LOG_GUEST_ERROR.
 *
 * Capabilities (address width, scatter/gather, segment limits, alignment,
 * channels, memory size) and fault injection are qdev properties.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "hw/pci/pci.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_bus.h"
#include "hw/pci/pcie.h"
#include "hw/qdev-properties.h"
#include "exec/memory.h"
#include "trace.h"
#include "standard-headers/linux/busmaster_card.h"

#define TYPE_BUSMASTER_CARD "busmaster-card"
OBJECT_DECLARE_SIMPLE_TYPE(BusmasterCardState, BUSMASTER_CARD)

/* One engine pass does at most this much per channel before yielding. */
#define BM_BUDGET_DESCS     256
#define BM_BUDGET_BYTES     (16 * MiB)
/* Largest single pci_dma_* call: big enough for memcpy speed. */
#define BM_CHUNK            (1 * MiB)

/*
 * The register map, descriptor and codes come from the header the driver
 * uses (uapi/linux/busmaster_card.h in the busmaster project), which
 * vm/build-qemu.sh copies into include/standard-headers/linux/. Here: each
 * counter's index in cnt[], the counters being 8 bytes apart in BAR0.
 */
enum {
    BM_CNT_BYTES,
    BM_CNT_DESCS,
    BM_CNT_ERRORS,
    BM_CNT_BUSY_NS,
    BM_CNT_XFERS,
    BM_CNT_NUM
};
QEMU_BUILD_BUG_ON(BMC_CNT_BYTES + 8 * BM_CNT_XFERS != BMC_CNT_XFERS);
QEMU_BUILD_BUG_ON(BMC_CNT_BYTES + 8 * BM_CNT_NUM != BMC_CNT_CLEAR);
QEMU_BUILD_BUG_ON(sizeof(struct bmc_desc) != BMC_DESC_BYTES);

typedef struct BMChannel {
    struct BusmasterCardState *card;
    unsigned idx;

    /* Registers */
    uint64_t ring;
    uint32_t ring_size;
    uint32_t ctrl;
    uint32_t head;
    uint32_t tail;
    uint32_t halt_code;
    uint32_t last_err;
    uint32_t err_index;

    /* Engine state */
    uint32_t seg_index;     /* segments done in the current transfer */
    bool xfer_failed;       /* current transfer failed: abort the rest */
    bool waiting;           /* modelled latency running for HEAD */
    bool wait_done;         /* modelled latency over for HEAD */
    bool ran;               /* HEAD's data moved: it completes when its
                               modelled latency is over */
    struct bmc_desc desc;   /* HEAD, as fetched, when ran */
    int64_t until;          /* when HEAD's modelled time is over (virtual
                               ns; 0: it has none), when ran */
    uint32_t ran_status;    /* its completion code, when ran */
    uint32_t ran_done;      /* its bytes moved, when ran */
    int64_t link_free;      /* when the modelled link is done with what it
                               was given (virtual ns); 0: idle since */
    QEMUTimer timer;
} BMChannel;

struct BusmasterCardState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    MemoryRegion mem;
    uint8_t *mem_ptr;
    QEMUBH *bh;

    BMChannel ch[BMC_MAX_CHANNELS];
    uint32_t scratch;
    uint32_t irq_status;
    uint32_t irq_mask;
    uint32_t msg_pending;   /* MSI-X vectors to signal at end of pass */

    uint64_t cnt[BM_CNT_NUM];
    uint32_t cnt_latch[BM_CNT_NUM];
    bool busy;
    int64_t busy_since;

    uint32_t fi_fail_nth;
    uint32_t fi_stall;
    uint32_t fi_lat_xfer_ns;
    uint32_t fi_lat_byte_ps;
    uint32_t fi_phantom_nth;

    bool in_engine;         /* never re-enter the engine */
    uint32_t gen;           /* bumped by reset; the engine checks it */

    /* Properties */
    uint8_t addr_bits;
    uint8_t report_addr_bits;
    uint32_t report_max_segs;   /* 0: the truth */
    uint32_t report_ring_max;   /* 0: the truth */
    bool report_gone_irq;       /* IRQ_STATUS reads all ones */
    bool ignore_stop;           /* stalled: CTRL stop and RESET ignored */
    bool aer;                   /* PCIe endpoint with AER (on a PCIe port) */
    bool boot_dma;              /* left running by a previous kernel */
    bool boot_armed;            /* still running: no RESET written yet */
    uint32_t boot_dma_count;    /* DMA done while left running */
    uint8_t seg_boundary_bits;  /* 0: none */
    bool sg;
    bool msi_on;
    bool msix_on;
    uint32_t max_segs;
    uint32_t max_seg_size;
    uint32_t align;
    uint32_t channels;
    uint64_t mem_size;
    uint32_t prop_fail_nth;
    uint32_t prop_stall_mask;
    uint32_t prop_latency_ns;
    uint32_t prop_byte_latency_ps;
};

static uint32_t bm_max_segs(BusmasterCardState *s)
{
    return s->sg ? s->max_segs : 1;
}

static uint32_t bm_irq_valid(BusmasterCardState *s)
{
    return BMC_IRQ_ERROR | MAKE_64BIT_MASK(0, s->channels);
}

static uint64_t bm_addr_mask(BusmasterCardState *s)
{
    return MAKE_64BIT_MASK(0, s->addr_bits);
}

/* Interrupts */

static void bm_irq_update(BusmasterCardState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    bool level = false;

    if (msix_enabled(pdev)) {
        uint32_t v;
        for (v = 0; v <= s->channels; v++) {
            if (s->msg_pending & (1u << v)) {
                trace_busmaster_card_irq_msix(v);
                msix_notify(pdev, v);
            }
        }
    } else if (msi_enabled(pdev)) {
        if (s->msg_pending) {
            trace_busmaster_card_irq_msi();
            msi_notify(pdev, 0);
        }
    } else {
        level = (s->irq_status & ~s->irq_mask) != 0;
    }
    s->msg_pending = 0;
    pci_set_irq(pdev, level);
}

/* Latch @bits in IRQ_STATUS; queue a message for each unmasked one. */
static void bm_irq_raise(BusmasterCardState *s, uint32_t bits)
{
    uint32_t fire = bits & ~s->irq_mask;
    unsigned c;

    s->irq_status |= bits;
    for (c = 0; c < s->channels; c++) {
        if (fire & (1u << c)) {
            s->msg_pending |= 1u << c;
        }
    }
    if (fire & BMC_IRQ_ERROR) {
        s->msg_pending |= 1u << s->channels;
    }
    trace_busmaster_card_irq_raise(bits, s->irq_status, s->irq_mask);
}

/* Busy time: the engine is busy while any channel has work it owns. */

static bool bm_channel_active(BusmasterCardState *s, BMChannel *ch)
{
    return (ch->ctrl & BMC_CH_CTRL_ENABLE) && ch->head != ch->tail;
}

static void bm_busy_update(BusmasterCardState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    bool busy = false;
    unsigned c;

    for (c = 0; c < s->channels; c++) {
        busy |= bm_channel_active(s, &s->ch[c]);
    }
    if (busy && !s->busy) {
        s->busy_since = now;
    } else if (!busy && s->busy) {
        s->cnt[BM_CNT_BUSY_NS] += now - s->busy_since;
    }
    s->busy = busy;
}

static uint64_t bm_counter(BusmasterCardState *s, unsigned i)
{
    uint64_t v = s->cnt[i];

    if (i == BM_CNT_BUSY_NS && s->busy) {
        v += qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->busy_since;
    }
    return v;
}

/* Channel state changes */

static void bm_channel_stop_wait(BMChannel *ch)
{
    timer_del(&ch->timer);
    ch->waiting = false;
    ch->wait_done = false;
    ch->ran = false;
    ch->link_free = 0;
}

static void bm_channel_halt(BusmasterCardState *s, BMChannel *ch,
                            uint32_t code)
{
    trace_busmaster_card_halt(ch->idx, code, ch->head, ch->tail);
    bm_channel_stop_wait(ch);
    ch->ctrl &= ~BMC_CH_CTRL_ENABLE;
    ch->halt_code = code;
    ch->err_index = ch->head;
    s->cnt[BM_CNT_ERRORS]++;
    bm_irq_raise(s, BMC_IRQ_ERROR);
}

static void bm_channel_enable(BusmasterCardState *s, BMChannel *ch)
{
    ch->halt_code = BMC_HALT_NONE;
    ch->seg_index = 0;
    ch->xfer_failed = false;
    bm_channel_stop_wait(ch);
    ch->ctrl |= BMC_CH_CTRL_ENABLE;

    if (ch->ring_size < 2 || ch->ring_size > BMC_RING_MAX_VALUE ||
        !is_power_of_2(ch->ring_size) ||
        (ch->ring & (BMC_DESC_BYTES - 1)) ||
        ch->head >= ch->ring_size) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "busmaster-card: ch%u: bad ring (base 0x%" PRIx64
                      " size %u head %u)\n",
                      ch->idx, ch->ring, ch->ring_size, ch->head);
        bm_channel_halt(s, ch, BMC_HALT_RING_CONFIG);
        return;
    }
    qemu_bh_schedule(s->bh);
}

static void bm_channel_disable(BMChannel *ch)
{
    bm_channel_stop_wait(ch);
    ch->ctrl &= ~BMC_CH_CTRL_ENABLE;
    ch->halt_code = BMC_HALT_NONE;
}

/* The engine */

/*
 * Move one descriptor's data. Returns the completion code; *done gets the
 * bytes moved.
 */
static uint32_t bm_desc_copy(BusmasterCardState *s, BMChannel *ch,
                             const struct bmc_desc *d, uint32_t *done)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t mask = bm_addr_mask(s);
    uint64_t addr = d->host_addr & mask;
    bool from_card = d->flags & BMC_DESC_FROM_CARD;
    uint32_t left = d->len;

    *done = 0;
    while (left) {
        uint64_t chunk = MIN(left, BM_CHUNK);
        uint8_t *card = s->mem_ptr + d->card_off + *done;
        MemTxResult r;

        /* The card drives only addr_bits lines: wrap at 2^addr_bits. */
        if (s->addr_bits < 64) {
            chunk = MIN(chunk, mask - addr + 1);
        }
        if (from_card) {
            r = pci_dma_write(pdev, addr, card, chunk);
        } else {
            r = pci_dma_read(pdev, addr, card, chunk);
            memory_region_set_dirty(&s->mem, d->card_off + *done, chunk);
        }
        if (r != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "busmaster-card: ch%u: DMA %s host 0x%" PRIx64
                          " len 0x%" PRIx64 " failed (%d)\n", ch->idx,
                          from_card ? "to" : "from", addr, chunk, (int)r);
            return BMC_ST_ERR_HOST;
        }
        *done += chunk;
        left -= chunk;
        addr = (addr + chunk) & mask;
    }
    return BMC_ST_OK;
}

/* Check a descriptor and run it. Returns the completion code. */
static uint32_t bm_desc_run(BusmasterCardState *s, BMChannel *ch,
                            const struct bmc_desc *d, uint32_t *done)
{
    uint32_t amask = s->align - 1;

    *done = 0;
    if (ch->xfer_failed) {
        return BMC_ST_ERR_ABORTED;
    }
    if (s->fi_fail_nth && --s->fi_fail_nth == 0) {
        return BMC_ST_ERR_INJECTED;
    }
    if (d->flags & ~BMC_DESC_FLAGS_VALID) {
        return BMC_ST_ERR_FLAGS;
    }
    if ((d->flags & BMC_DESC_CHAIN) && ch->seg_index + 1 >= bm_max_segs(s)) {
        return BMC_ST_ERR_SEGS;
    }
    if (d->len == 0 || d->len > s->max_seg_size) {
        return BMC_ST_ERR_LENGTH;
    }
    if ((d->host_addr & amask) || (d->card_off & amask) || (d->len & amask)) {
        return BMC_ST_ERR_ALIGN;
    }
    /* The host range stays within one aligned 2^seg_boundary_bits block. */
    if (s->seg_boundary_bits && s->seg_boundary_bits < 64 &&
        (d->host_addr >> s->seg_boundary_bits) !=
        ((d->host_addr + d->len - 1) >> s->seg_boundary_bits)) {
        return BMC_ST_ERR_BOUNDARY;
    }
    if (d->card_off >= s->mem_size || d->len > s->mem_size - d->card_off) {
        return BMC_ST_ERR_RANGE;
    }
    /* A card that reports what it never did: no byte moves. */
    if (s->fi_phantom_nth && --s->fi_phantom_nth == 0) {
        *done = d->len;
        return BMC_ST_OK;
    }
    return bm_desc_copy(s, ch, d, done);
}

static int64_t bm_desc_latency(BusmasterCardState *s, BMChannel *ch,
                               const struct bmc_desc *d)
{
    int64_t ns = (int64_t)d->len * s->fi_lat_byte_ps / 1000;

    if (ch->seg_index == 0) {
        ns += s->fi_lat_xfer_ns;
    }
    return ns;
}

/*
 * Process up to a budget of descriptors on one channel. Returns true if the
 * channel still has work it could do right away.
 */
static bool bm_channel_run(BusmasterCardState *s, BMChannel *ch)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t mask = bm_addr_mask(s);
    uint32_t gen = s->gen;
    uint64_t bytes = 0;
    unsigned n;

    for (n = 0; n < BM_BUDGET_DESCS && bytes < BM_BUDGET_BYTES; n++) {
        uint64_t daddr;
        uint32_t status, done;
        uint32_t wb[2];
        struct bmc_desc d;

        if (!(ch->ctrl & BMC_CH_CTRL_ENABLE) || ch->waiting) {
            return false;
        }
        if (s->fi_stall & (1u << ch->idx)) {
            ch->link_free = 0;      /* the link idles while stalled */
            return false;
        }
        if (ch->tail >= ch->ring_size) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "busmaster-card: ch%u: tail %u >= ring size %u\n",
                          ch->idx, ch->tail, ch->ring_size);
            bm_channel_halt(s, ch, BMC_HALT_BAD_TAIL);
            return false;
        }
        if (ch->head == ch->tail) {
            /* TAIL moved back over a descriptor that ran: abandoned. */
            bm_channel_stop_wait(ch);
            return false;
        }

        daddr = (ch->ring + (uint64_t)ch->head * BMC_DESC_BYTES) & mask;
        if (ch->ran) {
            d = ch->desc;
        } else {
            if (pci_dma_read(pdev, daddr, &d, sizeof(d)) != MEMTX_OK) {
                qemu_log_mask(LOG_GUEST_ERROR,
                              "busmaster-card: ch%u: cannot read descriptor %u"
                              " at 0x%" PRIx64 "\n", ch->idx, ch->head, daddr);
                bm_channel_halt(s, ch, BMC_HALT_DESC_FETCH);
                return false;
            }
            if (s->gen != gen || !(ch->ctrl & BMC_CH_CTRL_ENABLE)) {
                return false;
            }
            d.host_addr = le64_to_cpu(d.host_addr);
            d.card_off = le64_to_cpu(d.card_off);
            d.len = le32_to_cpu(d.len);
            d.flags = le32_to_cpu(d.flags);
            /*
             * The link takes it now, or when it is done with the one
             * before; its data moves while its modelled time runs.
             */
            ch->until = 0;
            if (!ch->xfer_failed && (s->fi_lat_xfer_ns || s->fi_lat_byte_ps)) {
                int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

                ch->until = (ch->link_free ? ch->link_free : now) +
                            bm_desc_latency(s, ch, &d);
                ch->link_free = ch->until;
            }
            ch->ran_status = bm_desc_run(s, ch, &d, &ch->ran_done);
            if (s->gen != gen || !(ch->ctrl & BMC_CH_CTRL_ENABLE)) {
                return false;
            }
            ch->desc = d;
            ch->ran = true;
        }

        /*
         * Complete when its modelled time has passed. Its data moved
         * during that time (above), as a card's does on the wire: fed back
         * to back, the channel is busy for the modelled time, not that
         * plus the emulator's copies, which show only where they are
         * slower than the link.
         */
        if (!ch->wait_done && ch->until) {
            int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

            if (ch->until > now) {
                ch->waiting = true;
                timer_mod(&ch->timer, ch->until);
                trace_busmaster_card_wait(ch->idx, ch->head, ch->until - now);
                return false;
            }
        }
        ch->wait_done = false;
        ch->ran = false;
        status = ch->ran_status;
        done = ch->ran_done;
        trace_busmaster_card_desc(ch->idx, ch->head, d.host_addr, d.card_off,
                                  d.len, d.flags, status, done);
        if (status != BMC_ST_OK && status != BMC_ST_ERR_ABORTED) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "busmaster-card: ch%u: descriptor %u failed: "
                          "status 0x%x (host 0x%" PRIx64 " card 0x%" PRIx64
                          " len 0x%x flags 0x%x)\n", ch->idx, ch->head,
                          status, d.host_addr, d.card_off, d.len, d.flags);
        }

        /* Write back bytes_done, then status: data, done, status order. */
        wb[0] = cpu_to_le32(done);
        wb[1] = cpu_to_le32(status);
        if (pci_dma_write(pdev, (daddr + offsetof(struct bmc_desc, bytes_done)) & mask,
                          &wb[0], 4) != MEMTX_OK ||
            pci_dma_write(pdev, (daddr + offsetof(struct bmc_desc, status)) & mask,
                          &wb[1], 4) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "busmaster-card: ch%u: cannot write back "
                          "descriptor %u at 0x%" PRIx64 "\n",
                          ch->idx, ch->head, daddr);
            if (s->gen == gen) {
                bm_channel_halt(s, ch, BMC_HALT_WRITEBACK);
            }
            return false;
        }
        if (s->gen != gen || !(ch->ctrl & BMC_CH_CTRL_ENABLE)) {
            return false;
        }

        s->cnt[BM_CNT_DESCS]++;
        s->cnt[BM_CNT_BYTES] += done;
        bytes += done;
        if (status != BMC_ST_OK) {
            s->cnt[BM_CNT_ERRORS]++;
            ch->last_err = status;
            ch->err_index = ch->head;
            ch->xfer_failed = true;
            bm_irq_raise(s, BMC_IRQ_ERROR);
        }
        if (d.flags & BMC_DESC_IRQ) {
            bm_irq_raise(s, 1u << ch->idx);
        }
        ch->head = (ch->head + 1) & (ch->ring_size - 1);
        if (d.flags & BMC_DESC_CHAIN) {
            ch->seg_index++;
        } else {
            bool halt = ch->xfer_failed && (d.flags & BMC_DESC_HALT_ON_ERROR);

            s->cnt[BM_CNT_XFERS]++;
            ch->seg_index = 0;
            ch->xfer_failed = false;
            /* The driver's next transfers must not run after this one. */
            if (halt) {
                uint32_t failed = ch->err_index;

                bm_channel_halt(s, ch, BMC_HALT_ERROR);
                ch->err_index = failed;     /* the last one that failed */
                return false;
            }
        }
    }
    return true;
}

static void bm_engine_run(BusmasterCardState *s)
{
    bool more = false;
    unsigned c;

    if (s->in_engine) {
        return;
    }
    s->in_engine = true;
    for (c = 0; c < s->channels; c++) {
        more |= bm_channel_run(s, &s->ch[c]);
    }
    s->in_engine = false;

    bm_busy_update(s);
    bm_irq_update(s);
    if (more) {
        qemu_bh_schedule(s->bh);
    }
}

static void bm_bh(void *opaque)
{
    bm_engine_run(opaque);
}

static void bm_latency_timer(void *opaque)
{
    BMChannel *ch = opaque;

    ch->waiting = false;
    ch->wait_done = true;
    /* Run in the (re-entrancy guarded) bottom half, not here. */
    qemu_bh_schedule(ch->card->bh);
}

/* Reset */

static void bm_reset(BusmasterCardState *s)
{
    unsigned c;

    trace_busmaster_card_reset();
    s->gen++;
    for (c = 0; c < BMC_MAX_CHANNELS; c++) {
        BMChannel *ch = &s->ch[c];

        bm_channel_stop_wait(ch);
        ch->ring = 0;
        ch->ring_size = 0;
        ch->ctrl = 0;
        ch->head = 0;
        ch->tail = 0;
        ch->halt_code = BMC_HALT_NONE;
        ch->last_err = 0;
        ch->err_index = 0;
        ch->seg_index = 0;
        ch->xfer_failed = false;
    }
    s->scratch = 0;
    s->irq_status = 0;
    s->irq_mask = bm_irq_valid(s);
    s->msg_pending = 0;
    memset(s->cnt, 0, sizeof(s->cnt));
    memset(s->cnt_latch, 0, sizeof(s->cnt_latch));
    s->busy = false;
    s->busy_since = 0;
    s->fi_fail_nth = s->prop_fail_nth;
    s->fi_stall = s->prop_stall_mask;
    s->fi_lat_xfer_ns = s->prop_latency_ns;
    s->fi_lat_byte_ps = s->prop_byte_latency_ps;
    s->fi_phantom_nth = 0;
    pci_set_irq(PCI_DEVICE(s), 0);
}

/* Registers */

static uint32_t bm_channel_status(BusmasterCardState *s, BMChannel *ch)
{
    uint32_t v = 0;

    if (ch->ctrl & BMC_CH_CTRL_ENABLE) {
        v |= BMC_CH_STATUS_ENABLED;
        if (ch->head != ch->tail) {
            v |= BMC_CH_STATUS_ACTIVE;
        }
    }
    if (ch->halt_code) {
        v |= BMC_CH_STATUS_HALTED;
    }
    if (s->fi_stall & (1u << ch->idx)) {
        v |= BMC_CH_STATUS_STALLED;
    }
    if (ch->waiting) {
        v |= BMC_CH_STATUS_WAITING;
    }
    v |= (ch->halt_code & 0xff) << BMC_CH_STATUS_HALT_SHIFT;
    v |= (ch->last_err & 0xff) << BMC_CH_STATUS_ERR_SHIFT;
    return v;
}

static uint64_t bm_channel_read(BusmasterCardState *s, BMChannel *ch,
                                hwaddr reg)
{
    switch (reg) {
    case BMC_CH_RING_LO:
        return (uint32_t)ch->ring;
    case BMC_CH_RING_HI:
        return ch->ring >> 32;
    case BMC_CH_RING_SIZE:
        return ch->ring_size;
    case BMC_CH_CTRL:
        return ch->ctrl;
    case BMC_CH_STATUS:
        return bm_channel_status(s, ch);
    case BMC_CH_HEAD:
        return ch->head;
    case BMC_CH_TAIL:
        return ch->tail;
    case BMC_CH_ERR_INDEX:
        return ch->err_index;
    default:
        return 0;
    }
}

static void bm_channel_write(BusmasterCardState *s, BMChannel *ch,
                             hwaddr reg, uint32_t val)
{
    bool enabled = ch->ctrl & BMC_CH_CTRL_ENABLE;

    switch (reg) {
    case BMC_CH_RING_LO:
    case BMC_CH_RING_HI:
    case BMC_CH_RING_SIZE:
    case BMC_CH_HEAD:
        if (enabled) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "busmaster-card: ch%u: register 0x%" HWADDR_PRIx
                          " written while enabled: ignored\n", ch->idx, reg);
            return;
        }
        if (reg == BMC_CH_RING_LO) {
            ch->ring = deposit64(ch->ring, 0, 32, val);
        } else if (reg == BMC_CH_RING_HI) {
            ch->ring = deposit64(ch->ring, 32, 32, val);
        } else if (reg == BMC_CH_RING_SIZE) {
            ch->ring_size = val;
        } else {
            ch->head = val;
        }
        break;
    case BMC_CH_CTRL:
        if (val & ~BMC_CH_CTRL_ENABLE) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "busmaster-card: ch%u: reserved CTRL bits 0x%x\n",
                          ch->idx, val & ~BMC_CH_CTRL_ENABLE);
        }
        if (!(val & BMC_CH_CTRL_ENABLE) && s->ignore_stop &&
            (s->fi_stall & (1u << ch->idx))) {
            qemu_log_mask(LOG_GUEST_ERROR, "busmaster-card: ch%u: stop "
                          "ignored (ignore_stop, stalled)\n", ch->idx);
        } else if (!(val & BMC_CH_CTRL_ENABLE)) {
            bm_channel_disable(ch);     /* also clears a halt */
        } else if (!enabled) {
            bm_channel_enable(s, ch);
        }
        break;
    case BMC_CH_TAIL:
        ch->tail = val;
        if (enabled) {
            qemu_bh_schedule(s->bh);
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "busmaster-card: ch%u: write to read-only or unknown "
                      "register 0x%" HWADDR_PRIx "\n", ch->idx, reg);
        break;
    }
}

static uint64_t bm_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    BusmasterCardState *s = opaque;
    uint64_t val = 0;

    if (addr >= BMC_CHAN_BASE) {
        unsigned c = (addr - BMC_CHAN_BASE) / BMC_CHAN_STRIDE;

        if (c < s->channels) {
            val = bm_channel_read(s, &s->ch[c],
                                  (addr - BMC_CHAN_BASE) % BMC_CHAN_STRIDE);
        }
        goto out;
    }
    if (addr >= BMC_CNT_BYTES && addr < BMC_CNT_BYTES + 8 * BM_CNT_NUM) {
        unsigned i = (addr - BMC_CNT_BYTES) / 8;

        if (addr & 4) {
            val = s->cnt_latch[i];
        } else {
            uint64_t v = bm_counter(s, i);

            s->cnt_latch[i] = v >> 32;
            val = (uint32_t)v;
        }
        goto out;
    }

    switch (addr) {
    case BMC_ID:
        val = BMC_ID_MAGIC;
        break;
    case BMC_VERSION:
        val = BMC_VERSION_CURRENT;
        break;
    case BMC_ADDR_BITS:
        val = s->report_addr_bits ? s->report_addr_bits : s->addr_bits;
        break;
    case BMC_CAPS:
        val = BMC_CAPS_INTX | BMC_CAPS_FAULT | BMC_CAPS_COUNTERS;
        val |= s->sg ? BMC_CAPS_SG : 0;
        val |= s->msix_on ? BMC_CAPS_MSIX : 0;
        val |= s->msi_on ? BMC_CAPS_MSI : 0;
        break;
    case BMC_MAX_SEGS:
        val = s->report_max_segs ? s->report_max_segs : bm_max_segs(s);
        break;
    case BMC_MAX_SEG_SIZE:
        val = s->max_seg_size;
        break;
    case BMC_ALIGN:
        val = s->align;
        break;
    case BMC_CHANNELS:
        val = s->channels;
        break;
    case BMC_MEM_SIZE_LO:
        val = (uint32_t)s->mem_size;
        break;
    case BMC_MEM_SIZE_HI:
        val = s->mem_size >> 32;
        break;
    case BMC_DESC_SIZE:
        val = BMC_DESC_BYTES;
        break;
    case BMC_RING_MAX:
        val = s->report_ring_max ? s->report_ring_max : BMC_RING_MAX_VALUE;
        break;
    case BMC_SEG_BOUNDARY:
        val = s->seg_boundary_bits;
        break;
    case BMC_ENGINE_STATUS:
        val = s->busy ? BMC_ENGINE_STATUS_BUSY : 0;
        break;
    case BMC_SCRATCH:
        val = s->scratch;
        break;
    case BMC_IRQ_STATUS:
        /* What a vanished card reads as; the causes still latch. */
        val = s->report_gone_irq ? UINT32_MAX : s->irq_status;
        break;
    case BMC_IRQ_MASK:
        val = s->irq_mask;
        break;
    case BMC_FI_FAIL_NTH:
        val = s->fi_fail_nth;
        break;
    case BMC_FI_STALL:
        val = s->fi_stall;
        break;
    case BMC_FI_LAT_XFER_NS:
        val = s->fi_lat_xfer_ns;
        break;
    case BMC_FI_LAT_BYTE_PS:
        val = s->fi_lat_byte_ps;
        break;
    case BMC_FI_DRIVEN_ADDR_BITS:
        val = s->addr_bits;
        break;
    case BMC_FI_BOOT_DMA:
        val = s->boot_dma_count;
        break;
    case BMC_FI_PHANTOM_NTH:
        val = s->fi_phantom_nth;
        break;
    default:
        break;
    }
out:
    trace_busmaster_card_mmio_read(addr, val);
    return val;
}

static void bm_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                          unsigned size)
{
    BusmasterCardState *s = opaque;
    uint32_t val = val64;

    trace_busmaster_card_mmio_write(addr, val);

    if (addr >= BMC_CHAN_BASE) {
        unsigned c = (addr - BMC_CHAN_BASE) / BMC_CHAN_STRIDE;

        if (c < s->channels) {
            bm_channel_write(s, &s->ch[c],
                             (addr - BMC_CHAN_BASE) % BMC_CHAN_STRIDE, val);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "busmaster-card: write to absent channel %u\n", c);
        }
        goto out;
    }

    switch (addr) {
    case BMC_RESET:
        /* Only a reset of the PCI function stops an ignore_stop card. */
        if ((val & BMC_RESET_GO) && s->ignore_stop && s->fi_stall) {
            qemu_log_mask(LOG_GUEST_ERROR, "busmaster-card: RESET ignored "
                          "(ignore_stop, a channel stalled)\n");
        } else if (val & BMC_RESET_GO) {
            bm_reset(s);
            s->boot_armed = false;
        }
        break;
    case BMC_SCRATCH:
        s->scratch = val;
        break;
    case BMC_IRQ_STATUS:
        s->irq_status &= ~val;
        break;
    case BMC_IRQ_MASK: {
        uint32_t unmasked = s->irq_mask & ~val;

        s->irq_mask = val & bm_irq_valid(s);
        /* Causes already latched and now unmasked signal at once. */
        bm_irq_raise(s, s->irq_status & unmasked);
        break;
    }
    case BMC_CNT_CLEAR:
        if (val & 1) {
            memset(s->cnt, 0, sizeof(s->cnt));
            s->busy_since = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        }
        break;
    case BMC_FI_FAIL_NTH:
        s->fi_fail_nth = val;
        break;
    case BMC_FI_STALL:
        s->fi_stall = val;
        qemu_bh_schedule(s->bh);
        break;
    case BMC_FI_LAT_XFER_NS:
        s->fi_lat_xfer_ns = val;
        break;
    case BMC_FI_LAT_BYTE_PS:
        s->fi_lat_byte_ps = val;
        break;
    case BMC_FI_PHANTOM_NTH:
        s->fi_phantom_nth = val;
        break;
    case BMC_FI_SPURIOUS:
        trace_busmaster_card_spurious(val);
        if (msix_enabled(PCI_DEVICE(s))) {
            msix_notify(PCI_DEVICE(s), val % (s->channels + 1));
        } else if (msi_enabled(PCI_DEVICE(s))) {
            msi_notify(PCI_DEVICE(s), 0);
        } else {
            pci_irq_pulse(PCI_DEVICE(s));
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "busmaster-card: write 0x%x to read-only or unknown "
                      "register 0x%" HWADDR_PRIx "\n", val, addr);
        break;
    }
out:
    bm_busy_update(s);
    bm_irq_update(s);
}

static const MemoryRegionOps bm_mmio_ops = {
    .read = bm_mmio_read,
    .write = bm_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* Device */

static bool bm_check_props(BusmasterCardState *s, Error **errp)
{
    if (s->addr_bits < 16 || s->addr_bits > 64) {
        error_setg(errp, "addr_bits must be 16..64 (got %u)", s->addr_bits);
        return false;
    }
    if (s->report_addr_bits &&
        (s->report_addr_bits < 16 || s->report_addr_bits > 64)) {
        error_setg(errp, "report_addr_bits must be 0 or 16..64 (got %u)",
                   s->report_addr_bits);
        return false;
    }
    if (s->channels < 1 || s->channels > BMC_MAX_CHANNELS) {
        error_setg(errp, "channels must be 1..%d (got %u)", BMC_MAX_CHANNELS,
                   s->channels);
        return false;
    }
    if (s->max_segs < 1 || s->max_segs > 65535) {
        error_setg(errp, "max_segs must be 1..65535 (got %u)", s->max_segs);
        return false;
    }
    if (!is_power_of_2(s->align) || s->align > 4096) {
        error_setg(errp, "align must be a power of two up to 4096 (got %u)",
                   s->align);
        return false;
    }
    if (s->max_seg_size < s->align || s->max_seg_size > 0x80000000u ||
        (s->max_seg_size & (s->align - 1))) {
        error_setg(errp, "max_seg_size must be a multiple of align in "
                   "align..2^31 (got %u)", s->max_seg_size);
        return false;
    }
    if (s->seg_boundary_bits &&
        (s->seg_boundary_bits < 12 || s->seg_boundary_bits > 63)) {
        error_setg(errp, "seg_boundary_bits must be 0 or 12..63 (got %u)",
                   s->seg_boundary_bits);
        return false;
    }
    if (!is_power_of_2(s->mem_size) || s->mem_size < 4 * KiB ||
        s->mem_size > 1 * GiB) {
        error_setg(errp, "mem_size must be a power of two in 4K..1G "
                   "(got 0x%" PRIx64 ")", s->mem_size);
        return false;
    }
    return true;
}

static void bm_realize(PCIDevice *pdev, Error **errp)
{
    ERRP_GUARD();
    BusmasterCardState *s = BUSMASTER_CARD(pdev);
    DeviceState *dev = DEVICE(pdev);
    unsigned c;

    if (!bm_check_props(s, errp)) {
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 1);

    /* A PCIe endpoint with Advanced Error Reporting, on a PCIe port only. */
    if (s->aer) {
        PCIBus *bus = pci_get_bus(pdev);

        if (!pci_bus_is_express(bus) || pci_bus_is_root(bus)) {
            error_setg(errp, "aer=on needs a PCIe port (bus=<pcie-root-port>)");
            return;
        }
        pcie_endpoint_cap_init(pdev, 0);
        pcie_cap_deverr_init(pdev);
        if (pcie_aer_init(pdev, PCI_ERR_VER, PCI_CONFIG_SPACE_SIZE,
                          PCI_ERR_SIZEOF, errp) < 0) {
            return;
        }
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &bm_mmio_ops, s,
                          "busmaster-card-regs", BMC_REGS_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);

    memory_region_init_ram(&s->mem, OBJECT(s), "busmaster-card-mem",
                           s->mem_size, errp);
    if (*errp) {
        return;
    }
    s->mem_ptr = memory_region_get_ram_ptr(&s->mem);
    pci_register_bar(pdev, 2, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->mem);

    if (s->msix_on) {
        if (msix_init_exclusive_bar(pdev, s->channels + 1, BMC_BAR_MSIX,
                                    errp)) {
            return;
        }
        for (c = 0; c <= s->channels; c++) {
            msix_vector_use(pdev, c);
        }
    }
    if (s->msi_on && msi_init(pdev, 0, 1, true, false, errp)) {
        if (s->msix_on) {
            msix_uninit_exclusive_bar(pdev);
        }
        return;
    }

    /* As a kexec'd kernel finds it: running, until its driver resets it. */
    s->boot_armed = s->boot_dma;

    s->bh = qemu_bh_new_guarded(bm_bh, s, &dev->mem_reentrancy_guard);
    for (c = 0; c < BMC_MAX_CHANNELS; c++) {
        s->ch[c].card = s;
        s->ch[c].idx = c;
        timer_init_ns(&s->ch[c].timer, QEMU_CLOCK_VIRTUAL, bm_latency_timer,
                      &s->ch[c]);
    }
    bm_reset(s);
}

static void bm_exit(PCIDevice *pdev)
{
    BusmasterCardState *s = BUSMASTER_CARD(pdev);
    unsigned c;

    for (c = 0; c < BMC_MAX_CHANNELS; c++) {
        timer_del(&s->ch[c].timer);
    }
    qemu_bh_delete(s->bh);
    if (s->msix_on) {
        msix_unuse_all_vectors(pdev);
        msix_uninit_exclusive_bar(pdev);
    }
    msi_uninit(pdev);
    if (s->aer) {
        pcie_aer_exit(pdev);
    }
}

/*
 * boot_dma: a card the previous kernel left running (kexec, kdump) moves
 * data the moment bus mastering is on, until its RESET is written. One
 * read from bus address 0 stands for that DMA; FI_BOOT_DMA counts them.
 */
static void bm_config_write(PCIDevice *pdev, uint32_t addr, uint32_t val,
                            int len)
{
    BusmasterCardState *s = BUSMASTER_CARD(pdev);
    uint32_t word;

    pci_default_write_config(pdev, addr, val, len);
    if (s->boot_armed &&
        (pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MASTER) &&
        pci_dma_read(pdev, 0, &word, sizeof(word)) == MEMTX_OK) {
        s->boot_dma_count++;
    }
}

static DeviceRealize bm_parent_dc_realize;

/* Config space is sized before realize: PCIe's 4 KiB with aer=on. */
static void bm_dc_realize(DeviceState *dev, Error **errp)
{
    if (BUSMASTER_CARD(dev)->aer) {
        PCI_DEVICE(dev)->cap_present |= QEMU_PCI_CAP_EXPRESS;
    }
    bm_parent_dc_realize(dev, errp);
}

static void bm_qdev_reset(DeviceState *dev)
{
    bm_reset(BUSMASTER_CARD(dev));
}

static Property bm_properties[] = {
    DEFINE_PROP_UINT8("addr_bits", BusmasterCardState, addr_bits, 64),
    DEFINE_PROP_UINT8("report_addr_bits", BusmasterCardState,
                      report_addr_bits, 0),
    DEFINE_PROP_UINT32("report_max_segs", BusmasterCardState,
                       report_max_segs, 0),
    DEFINE_PROP_UINT32("report_ring_max", BusmasterCardState,
                       report_ring_max, 0),
    DEFINE_PROP_BOOL("report_gone_irq", BusmasterCardState,
                     report_gone_irq, false),
    DEFINE_PROP_BOOL("ignore_stop", BusmasterCardState, ignore_stop, false),
    DEFINE_PROP_BOOL("aer", BusmasterCardState, aer, false),
    DEFINE_PROP_BOOL("boot_dma", BusmasterCardState, boot_dma, false),
    DEFINE_PROP_UINT8("seg_boundary_bits", BusmasterCardState,
                      seg_boundary_bits, 0),
    DEFINE_PROP_BOOL("sg", BusmasterCardState, sg, true),
    DEFINE_PROP_UINT32("max_segs", BusmasterCardState, max_segs, 256),
    DEFINE_PROP_UINT32("max_seg_size", BusmasterCardState, max_seg_size,
                       1 * MiB),
    DEFINE_PROP_UINT32("align", BusmasterCardState, align, 1),
    DEFINE_PROP_UINT32("channels", BusmasterCardState, channels, 2),
    DEFINE_PROP_SIZE("mem_size", BusmasterCardState, mem_size, 1 * MiB),
    DEFINE_PROP_BOOL("msi", BusmasterCardState, msi_on, true),
    DEFINE_PROP_BOOL("msix", BusmasterCardState, msix_on, true),
    DEFINE_PROP_UINT32("fail_nth", BusmasterCardState, prop_fail_nth, 0),
    DEFINE_PROP_UINT32("stall_mask", BusmasterCardState, prop_stall_mask, 0),
    DEFINE_PROP_UINT32("latency_ns", BusmasterCardState, prop_latency_ns, 0),
    DEFINE_PROP_UINT32("byte_latency_ps", BusmasterCardState,
                       prop_byte_latency_ps, 0),
    DEFINE_PROP_END_OF_LIST(),
};

static void bm_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = bm_realize;
    k->exit = bm_exit;
    k->config_write = bm_config_write;
    k->vendor_id = PCI_VENDOR_ID_QEMU;
    k->device_id = BMC_PCI_DEVICE;
    k->revision = BMC_PCI_REVISION;
    k->class_id = PCI_CLASS_SYSTEM_OTHER;
    dc->desc = "busmaster DMA card (busmaster project)";
    dc->reset = bm_qdev_reset;
    device_class_set_parent_realize(dc, bm_dc_realize, &bm_parent_dc_realize);
    device_class_set_props(dc, bm_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static void bm_register_types(void)
{
    static InterfaceInfo interfaces[] = {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { INTERFACE_PCIE_DEVICE },      /* hybrid: PCIe with aer=on */
        { },
    };
    static const TypeInfo bm_info = {
        .name          = TYPE_BUSMASTER_CARD,
        .parent        = TYPE_PCI_DEVICE,
        .instance_size = sizeof(BusmasterCardState),
        .class_init    = bm_class_init,
        .interfaces    = interfaces,
    };

    type_register_static(&bm_info);
}

type_init(bm_register_types)
