/*
 * QTest conformance tests for the busmaster card (docs/card-datasheet.md).
 *
 * Each test starts a pc machine with one card, programs it through BAR0,
 * pushes descriptors into guest_alloc()'d memory and checks the bytes that
 * arrived both with memread() and through the on-card memory BAR.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "qapi/qmp/qdict.h"
#include "qapi/qmp/qjson.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "libqos/libqos-malloc.h"
#include "libqos/malloc-pc.h"
#include "hw/pci/pci_regs.h"

/* The register map, descriptor and codes: the driver's own header. */
#include "standard-headers/linux/busmaster_card.h"

#define CH_REG(c, r)        (BMC_CHAN(c) + (r))

#define RING_ENTRIES        16
/* Far above the pc machine's RAM: nothing answers there. */
#define NOWHERE             0x4000000000ULL

typedef struct Card {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar regs;
    QPCIBar mem;
    uint64_t mem_size;
    QGuestAllocator alloc;
    uint64_t ring[8];
} Card;

static Card *card_start(const char *props)
{
    Card *c = g_new0(Card, 1);

    c->qts = qtest_initf("-machine pc -m 512 "
                         "-device busmaster-card,addr=04.0%s%s",
                         props ? "," : "", props ? props : "");
    c->bus = qpci_new_pc(c->qts, NULL);
    pc_alloc_init(&c->alloc, c->qts, ALLOC_NO_FLAGS);
    c->dev = qpci_device_find(c->bus, QPCI_DEVFN(0x4, 0x0));
    g_assert(c->dev);
    qpci_device_enable(c->dev);
    /* The big BAR first, so the allocator aligns it without waste. */
    c->mem = qpci_iomap(c->dev, 2, &c->mem_size);
    c->regs = qpci_iomap(c->dev, 0, NULL);
    return c;
}

static void card_stop(Card *c)
{
    alloc_destroy(&c->alloc);
    g_free(c->dev);
    qpci_free_pc(c->bus);
    qtest_quit(c->qts);
    g_free(c);
}

static uint32_t rd(Card *c, uint64_t off)
{
    return qpci_io_readl(c->dev, c->regs, off);
}

static void wr(Card *c, uint64_t off, uint32_t val)
{
    qpci_io_writel(c->dev, c->regs, off, val);
}

static uint64_t rd64(Card *c, uint64_t off)
{
    uint64_t lo = rd(c, off);

    return lo | (uint64_t)rd(c, off + 4) << 32;
}

/* Allocate a ring for channel @ch, program it and enable the channel. */
static void ring_setup(Card *c, unsigned ch)
{
    c->ring[ch] = guest_alloc(&c->alloc, RING_ENTRIES * BMC_DESC_BYTES);
    g_assert_cmphex(c->ring[ch] & (BMC_DESC_BYTES - 1), ==, 0);
    qtest_memset(c->qts, c->ring[ch], 0, RING_ENTRIES * BMC_DESC_BYTES);
    wr(c, CH_REG(ch, BMC_CH_RING_LO), (uint32_t)c->ring[ch]);
    wr(c, CH_REG(ch, BMC_CH_RING_HI), c->ring[ch] >> 32);
    wr(c, CH_REG(ch, BMC_CH_RING_SIZE), RING_ENTRIES);
    wr(c, CH_REG(ch, BMC_CH_HEAD), 0);
    wr(c, CH_REG(ch, BMC_CH_TAIL), 0);
    wr(c, CH_REG(ch, BMC_CH_CTRL), 1);
    g_assert_cmphex(rd(c, CH_REG(ch, BMC_CH_STATUS)) & BMC_CH_STATUS_ENABLED, ==,
                    BMC_CH_STATUS_ENABLED);
}

static void desc_put(Card *c, unsigned ch, unsigned idx, uint64_t host,
                     uint64_t off, uint32_t len, uint32_t flags)
{
    uint8_t d[BMC_DESC_BYTES] = { 0 };
    uint64_t host_le = cpu_to_le64(host), off_le = cpu_to_le64(off);
    uint32_t len_le = cpu_to_le32(len), flags_le = cpu_to_le32(flags);

    memcpy(d + 0x00, &host_le, 8);
    memcpy(d + 0x08, &off_le, 8);
    memcpy(d + 0x10, &len_le, 4);
    memcpy(d + 0x14, &flags_le, 4);
    qtest_memwrite(c->qts, c->ring[ch] + idx * BMC_DESC_BYTES, d, sizeof(d));
}

static uint32_t desc_status(Card *c, unsigned ch, unsigned idx)
{
    return qtest_readl(c->qts, c->ring[ch] + idx * BMC_DESC_BYTES + 0x18);
}

static uint32_t desc_done(Card *c, unsigned ch, unsigned idx)
{
    return qtest_readl(c->qts, c->ring[ch] + idx * BMC_DESC_BYTES + 0x1c);
}

/* Ring the doorbell and wait until the card's HEAD reaches @tail. */
static void kick_wait(Card *c, unsigned ch, uint32_t tail)
{
    int i;

    wr(c, CH_REG(ch, BMC_CH_TAIL), tail);
    for (i = 0; i < 1000 && rd(c, CH_REG(ch, BMC_CH_HEAD)) != tail; i++) {
        qtest_clock_step(c->qts, 1000);
    }
    g_assert_cmpuint(rd(c, CH_REG(ch, BMC_CH_HEAD)), ==, tail);
}

static void fill_pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seed + i * 7 + (i >> 8));
    }
}

/* Read @len bytes of on-card memory through BAR2 (not through DMA). */
static void card_mem_read(Card *c, uint64_t off, void *buf, size_t len)
{
    qpci_memread(c->dev, c->mem, off, buf, len);
}

/* Capabilities */

static void test_caps_default(void)
{
    Card *c = card_start(NULL);

    g_assert_cmphex(qpci_config_readw(c->dev, PCI_VENDOR_ID), ==, 0x1234);
    g_assert_cmphex(qpci_config_readw(c->dev, PCI_DEVICE_ID), ==, 0xbb01);
    g_assert_cmphex(qpci_config_readw(c->dev, PCI_CLASS_DEVICE), ==, 0x0880);
    g_assert_cmphex(rd(c, BMC_ID), ==, 0x424d4331);
    g_assert_cmphex(rd(c, BMC_VERSION), ==, 0x00010002);
    g_assert_cmpuint(rd(c, BMC_ADDR_BITS), ==, 64);
    g_assert_cmpuint(rd(c, BMC_FI_DRIVEN_ADDR_BITS), ==, 64);
    g_assert_cmphex(rd(c, BMC_CAPS), ==, BMC_CAPS_SG | BMC_CAPS_MSIX | BMC_CAPS_MSI |
                    BMC_CAPS_INTX | BMC_CAPS_FAULT | BMC_CAPS_COUNTERS);
    g_assert_cmpuint(rd(c, BMC_MAX_SEGS), ==, 256);
    g_assert_cmpuint(rd(c, BMC_MAX_SEG_SIZE), ==, 1 << 20);
    g_assert_cmpuint(rd(c, BMC_ALIGN), ==, 1);
    g_assert_cmpuint(rd(c, BMC_CHANNELS), ==, 2);
    g_assert_cmpuint(rd64(c, BMC_MEM_SIZE_LO), ==, 1 << 20);
    g_assert_cmpuint(c->mem_size, ==, 1 << 20);
    g_assert_cmpuint(rd(c, BMC_DESC_SIZE), ==, 32);
    g_assert_cmpuint(rd(c, BMC_RING_MAX), ==, 65536);
    g_assert(qpci_find_capability(c->dev, PCI_CAP_ID_MSIX, 0));
    g_assert(qpci_find_capability(c->dev, PCI_CAP_ID_MSI, 0));

    /* Access rules: 8-byte = LO then HI; 1- and 2-byte are rejected. */
    g_assert_cmphex(qpci_io_readq(c->dev, c->regs, BMC_ID), ==,
                    0x00010002424d4331ULL);
    qpci_io_writeq(c->dev, c->regs, BMC_SCRATCH, 0x1122334455667788ULL);
    g_assert_cmphex(rd(c, BMC_SCRATCH), ==, 0x55667788);
    g_assert_cmphex(qpci_io_readb(c->dev, c->regs, BMC_ID), ==, 0);
    g_assert_cmphex(qpci_io_readw(c->dev, c->regs, BMC_ID), ==, 0);
    qpci_io_writeb(c->dev, c->regs, BMC_SCRATCH, 0xff);
    g_assert_cmphex(rd(c, BMC_SCRATCH), ==, 0x55667788);
    card_stop(c);
}

static void test_caps_props(void)
{
    Card *c = card_start("addr_bits=24,sg=off,max_segs=8,max_seg_size=65536,"
                         "align=8,channels=4,mem_size=4M,msix=off");

    g_assert_cmpuint(rd(c, BMC_ADDR_BITS), ==, 24);
    g_assert_cmphex(rd(c, BMC_CAPS), ==, BMC_CAPS_MSI | BMC_CAPS_INTX | BMC_CAPS_FAULT |
                    BMC_CAPS_COUNTERS);
    g_assert_cmpuint(rd(c, BMC_MAX_SEGS), ==, 1);
    g_assert_cmpuint(rd(c, BMC_MAX_SEG_SIZE), ==, 65536);
    g_assert_cmpuint(rd(c, BMC_ALIGN), ==, 8);
    g_assert_cmpuint(rd(c, BMC_CHANNELS), ==, 4);
    g_assert_cmpuint(rd64(c, BMC_MEM_SIZE_LO), ==, 4 << 20);
    g_assert_cmpuint(c->mem_size, ==, 4 << 20);
    g_assert(!qpci_find_capability(c->dev, PCI_CAP_ID_MSIX, 0));
    /* Channel 3 exists, channel 4 does not. */
    wr(c, CH_REG(3, BMC_CH_RING_SIZE), 8);
    g_assert_cmpuint(rd(c, CH_REG(3, BMC_CH_RING_SIZE)), ==, 8);
    wr(c, CH_REG(4, BMC_CH_RING_SIZE), 8);
    g_assert_cmpuint(rd(c, CH_REG(4, BMC_CH_RING_SIZE)), ==, 0);
    card_stop(c);
}

static void test_caps_lying(void)
{
    Card *c = card_start("addr_bits=32,report_addr_bits=48,max_segs=17");

    g_assert_cmpuint(rd(c, BMC_ADDR_BITS), ==, 48);
    g_assert_cmpuint(rd(c, BMC_FI_DRIVEN_ADDR_BITS), ==, 32);
    g_assert_cmpuint(rd(c, BMC_MAX_SEGS), ==, 17);
    card_stop(c);

    /* Segment and ring limits no real card has: the driver must refuse. */
    c = card_start("report_max_segs=2147483648,report_ring_max=4294967295");
    g_assert_cmpuint(rd(c, BMC_MAX_SEGS), ==, 0x80000000u);
    g_assert_cmpuint(rd(c, BMC_RING_MAX), ==, 0xffffffffu);
    card_stop(c);

    /* IRQ_STATUS reads as a card that has gone; nothing else changes. */
    c = card_start("report_gone_irq=on");
    g_assert_cmpuint(rd(c, BMC_IRQ_STATUS), ==, 0xffffffffu);
    g_assert_cmphex(rd(c, BMC_ID), ==, 0x424d4331);
    card_stop(c);
}

/* Out-of-range properties make the device fail to realize; QEMU lives. */
static void test_caps_bad_props(void)
{
    static const char *bad[] = {
        "'addr_bits': 8", "'addr_bits': 65", "'report_addr_bits': 70",
        "'channels': 0", "'channels': 9", "'align': 3", "'align': 8192",
        "'mem_size': 3145728", "'mem_size': 2147483648", "'seg_boundary_bits': 11",
        "'max_seg_size': 12, 'align': 8", "'max_segs': 0",
        "'aer': true",      /* on the root bus: AER needs a PCIe port */
    };
    QTestState *qts = qtest_init("-machine pc");
    QDict *resp;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *args = g_strdup_printf(
            "{'driver': 'busmaster-card', 'id': 'bad%u', %s}", i, bad[i]);

        resp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments': %p}",
                         qobject_from_json(args, &error_abort));
        g_assert(qdict_haskey(resp, "error"));
        qobject_unref(resp);
    }
    resp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments':"
                     " {'driver': 'busmaster-card', 'id': 'good',"
                     " 'addr_bits': 36, 'mem_size': 268435456}}");
    g_assert(qdict_haskey(resp, "return"));
    qobject_unref(resp);
    qtest_quit(qts);
}

/* DMA */

static void test_dma_to_card(void)
{
    Card *c = card_start(NULL);
    const size_t len = 8192;
    g_autofree uint8_t *src = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t buf = guest_alloc(&c->alloc, len);

    fill_pattern(src, len, 0x11);
    qtest_memwrite(c->qts, buf, src, len);
    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0x3000, len, BMC_DESC_IRQ);
    kick_wait(c, 0, 1);

    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_OK);
    g_assert_cmpuint(desc_done(c, 0, 0), ==, len);
    card_mem_read(c, 0x3000, got, len);
    g_assert(memcmp(src, got, len) == 0);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 1);
    g_assert_cmpuint(rd64(c, BMC_CNT_BYTES), ==, len);
    g_assert_cmpuint(rd64(c, BMC_CNT_DESCS), ==, 1);
    g_assert_cmpuint(rd64(c, BMC_CNT_XFERS), ==, 1);
    g_assert_cmpuint(rd64(c, BMC_CNT_ERRORS), ==, 0);
    g_assert_cmphex(rd(c, BMC_ENGINE_STATUS), ==, 0);
    card_stop(c);
}

static void test_dma_from_card(void)
{
    Card *c = card_start("mem_size=16M");
    const size_t len = 12288;
    const uint64_t off = (16 << 20) - len;     /* ends exactly at the end */
    g_autofree uint8_t *src = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t buf = guest_alloc(&c->alloc, len);

    fill_pattern(src, len, 0x5a);
    qpci_memwrite(c->dev, c->mem, off, src, len);
    qtest_memset(c->qts, buf, 0xee, len);
    ring_setup(c, 1);
    desc_put(c, 1, 0, buf, off, len, BMC_DESC_FROM_CARD | BMC_DESC_IRQ);
    kick_wait(c, 1, 1);

    g_assert_cmphex(desc_status(c, 1, 0), ==, BMC_ST_OK);
    g_assert_cmpuint(desc_done(c, 1, 0), ==, len);
    qtest_memread(c->qts, buf, got, len);
    g_assert(memcmp(src, got, len) == 0);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 1u << 1);
    card_stop(c);
}

/* A scatter/gather chain: four host pieces to four card places, one transfer. */
static void test_dma_chain(void)
{
    static const uint32_t lens[] = { 4096, 100, 5000, 1 };
    static const uint64_t offs[] = { 0x10000, 0x500, 0x80001, 0x7 };
    Card *c = card_start(NULL);
    uint64_t bufs[4];
    unsigned i;

    ring_setup(c, 0);
    for (i = 0; i < 4; i++) {
        g_autofree uint8_t *p = g_malloc(lens[i]);

        bufs[i] = guest_alloc(&c->alloc, lens[i]);
        fill_pattern(p, lens[i], i * 40);
        qtest_memwrite(c->qts, bufs[i], p, lens[i]);
        desc_put(c, 0, i, bufs[i], offs[i], lens[i],
                 i < 3 ? BMC_DESC_CHAIN : BMC_DESC_IRQ);
    }
    /* Post the chain in two doorbells: the card waits for the rest. */
    kick_wait(c, 0, 2);
    kick_wait(c, 0, 4);
    for (i = 0; i < 4; i++) {
        g_autofree uint8_t *want = g_malloc(lens[i]);
        g_autofree uint8_t *got = g_malloc(lens[i]);

        g_assert_cmphex(desc_status(c, 0, i), ==, BMC_ST_OK);
        g_assert_cmpuint(desc_done(c, 0, i), ==, lens[i]);
        fill_pattern(want, lens[i], i * 40);
        card_mem_read(c, offs[i], got, lens[i]);
        g_assert(memcmp(want, got, lens[i]) == 0);
    }
    g_assert_cmpuint(rd64(c, BMC_CNT_DESCS), ==, 4);
    g_assert_cmpuint(rd64(c, BMC_CNT_XFERS), ==, 1);
    g_assert_cmpuint(rd64(c, BMC_CNT_BYTES), ==, 4096 + 100 + 5000 + 1);

    /* And back: gather the card pieces into one host buffer. */
    {
        const uint32_t total = 4096 + 100 + 5000 + 1;
        g_autofree uint8_t *want = g_malloc(total);
        g_autofree uint8_t *got = g_malloc(total);
        uint64_t dst = guest_alloc(&c->alloc, total);
        uint32_t pos = 0;

        for (i = 0; i < 4; i++) {
            fill_pattern(want + pos, lens[i], i * 40);
            desc_put(c, 0, 4 + i, dst + pos, offs[i], lens[i],
                     BMC_DESC_FROM_CARD | (i < 3 ? BMC_DESC_CHAIN : 0));
            pos += lens[i];
        }
        kick_wait(c, 0, 8);
        qtest_memread(c->qts, dst, got, total);
        g_assert(memcmp(want, got, total) == 0);
    }
    card_stop(c);
}

/* Both directions at once on two channels, the ring wrapping around. */
static void test_dma_duplex(void)
{
    Card *c = card_start(NULL);
    const size_t len = 4096;
    g_autofree uint8_t *a = g_malloc(len);
    g_autofree uint8_t *b = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t src = guest_alloc(&c->alloc, len);
    uint64_t dst = guest_alloc(&c->alloc, len);
    unsigned i, idx = 0;

    fill_pattern(a, len, 1);
    fill_pattern(b, len, 2);
    qtest_memwrite(c->qts, src, a, len);
    qpci_memwrite(c->dev, c->mem, 0x40000, b, len);
    ring_setup(c, 0);
    ring_setup(c, 1);
    /* 3 rounds of 7 descriptors per ring of 16: wraps once. */
    for (i = 0; i < 3; i++) {
        unsigned k;

        for (k = 0; k < 7; k++, idx++) {
            desc_put(c, 0, idx % RING_ENTRIES, src, 0x1000 * k, len, 0);
            desc_put(c, 1, idx % RING_ENTRIES, dst, 0x40000, len,
                     BMC_DESC_FROM_CARD);
        }
        wr(c, CH_REG(0, BMC_CH_TAIL), idx % RING_ENTRIES);
        kick_wait(c, 1, idx % RING_ENTRIES);
        kick_wait(c, 0, idx % RING_ENTRIES);
    }
    for (i = 0; i < 7; i++) {
        card_mem_read(c, 0x1000 * i, got, len);
        g_assert(memcmp(a, got, len) == 0);
    }
    qtest_memread(c->qts, dst, got, len);
    g_assert(memcmp(b, got, len) == 0);
    g_assert_cmpuint(rd64(c, BMC_CNT_DESCS), ==, 42);
    g_assert_cmpuint(rd64(c, BMC_CNT_BYTES), ==, 42 * len);
    card_stop(c);
}

/* Errors: each completes with its own status and raises ERROR */

static void expect_error(Card *c, unsigned ch, unsigned idx, uint32_t st)
{
    g_assert_cmphex(desc_status(c, ch, idx), ==, st);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS) & BMC_IRQ_ERROR, ==, BMC_IRQ_ERROR);
    g_assert_cmphex((rd(c, CH_REG(ch, BMC_CH_STATUS)) >> 16) & 0xff, ==, st);
    g_assert_cmpuint(rd(c, CH_REG(ch, BMC_CH_ERR_INDEX)), ==, idx);
    wr(c, BMC_IRQ_STATUS, BMC_IRQ_ERROR);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS) & BMC_IRQ_ERROR, ==, 0);
}

/* The channel goes on with the next transfer after a failed one. */
static void expect_next_ok(Card *c, unsigned ch, unsigned idx, uint64_t buf)
{
    desc_put(c, ch, idx, buf, 0, 64, 0);
    kick_wait(c, ch, idx + 1);
    g_assert_cmphex(desc_status(c, ch, idx), ==, BMC_ST_OK);
}

static void test_err_flags(void)
{
    Card *c = card_start(NULL);
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 64, 1u << 9);
    kick_wait(c, 0, 1);
    expect_error(c, 0, 0, BMC_ST_ERR_FLAGS);
    g_assert_cmpuint(desc_done(c, 0, 0), ==, 0);
    expect_next_ok(c, 0, 1, buf);
    card_stop(c);
}

static void test_err_segs(void)
{
    Card *c = card_start("max_segs=2");
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 64, BMC_DESC_CHAIN);
    desc_put(c, 0, 1, buf, 64, 64, BMC_DESC_CHAIN);
    desc_put(c, 0, 2, buf, 128, 64, 0);
    kick_wait(c, 0, 3);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_OK);
    g_assert_cmphex(desc_status(c, 0, 1), ==, BMC_ST_ERR_SEGS);
    /* The rest of the failed transfer is aborted, untouched. */
    expect_error(c, 0, 2, BMC_ST_ERR_ABORTED);
    g_assert_cmpuint(rd64(c, BMC_CNT_ERRORS), ==, 2);
    g_assert_cmpuint(rd64(c, BMC_CNT_XFERS), ==, 1);
    expect_next_ok(c, 0, 3, buf);
    card_stop(c);
}

static void test_err_segs_nosg(void)
{
    Card *c = card_start("sg=off");
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 64, BMC_DESC_CHAIN);
    desc_put(c, 0, 1, buf, 64, 64, 0);
    kick_wait(c, 0, 2);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_ERR_SEGS);
    expect_error(c, 0, 1, BMC_ST_ERR_ABORTED);
    expect_next_ok(c, 0, 2, buf);
    card_stop(c);
}

static void test_err_length(void)
{
    Card *c = card_start("max_seg_size=4096");
    uint64_t buf = guest_alloc(&c->alloc, 8192);

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 0, 0);
    kick_wait(c, 0, 1);
    expect_error(c, 0, 0, BMC_ST_ERR_LENGTH);
    desc_put(c, 0, 1, buf, 0, 4097, 0);
    kick_wait(c, 0, 2);
    expect_error(c, 0, 1, BMC_ST_ERR_LENGTH);
    desc_put(c, 0, 2, buf, 0, 4096, 0);
    kick_wait(c, 0, 3);
    g_assert_cmphex(desc_status(c, 0, 2), ==, BMC_ST_OK);
    card_stop(c);
}

static void test_err_align(void)
{
    Card *c = card_start("align=8");
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf + 4, 0, 64, 0);
    kick_wait(c, 0, 1);
    expect_error(c, 0, 0, BMC_ST_ERR_ALIGN);
    desc_put(c, 0, 1, buf, 4, 64, 0);
    kick_wait(c, 0, 2);
    expect_error(c, 0, 1, BMC_ST_ERR_ALIGN);
    desc_put(c, 0, 2, buf, 0, 60, 0);
    kick_wait(c, 0, 3);
    expect_error(c, 0, 2, BMC_ST_ERR_ALIGN);
    expect_next_ok(c, 0, 3, buf);
    card_stop(c);
}

/* seg_boundary_bits=12: no descriptor's host range may cross a 4 KiB line. */
static void test_err_boundary(void)
{
    Card *c = card_start("seg_boundary_bits=12");
    uint64_t buf = (guest_alloc(&c->alloc, 3 * 4096) + 4095) & ~4095ULL;

    g_assert_cmpuint(rd(c, BMC_SEG_BOUNDARY), ==, 12);
    ring_setup(c, 0);
    desc_put(c, 0, 0, buf + 4096 - 32, 0, 64, 0);
    kick_wait(c, 0, 1);
    expect_error(c, 0, 0, BMC_ST_ERR_BOUNDARY);
    g_assert_cmpuint(desc_done(c, 0, 0), ==, 0);
    /* Up to the line, and from it, are fine. */
    desc_put(c, 0, 1, buf + 4096 - 64, 0, 64, 0);
    kick_wait(c, 0, 2);
    g_assert_cmphex(desc_status(c, 0, 1), ==, BMC_ST_OK);
    desc_put(c, 0, 2, buf + 4096, 0, 4096, 0);
    kick_wait(c, 0, 3);
    g_assert_cmphex(desc_status(c, 0, 2), ==, BMC_ST_OK);
    card_stop(c);

    c = card_start(NULL);
    g_assert_cmpuint(rd(c, BMC_SEG_BOUNDARY), ==, 0);
    card_stop(c);
}

static void test_err_range(void)
{
    Card *c = card_start(NULL);
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, (1 << 20) - 16, 32, 0);
    kick_wait(c, 0, 1);
    expect_error(c, 0, 0, BMC_ST_ERR_RANGE);
    /* card_off + len wrapping around 2^64 */
    desc_put(c, 0, 1, buf, UINT64_MAX - 15, 32, BMC_DESC_FROM_CARD);
    kick_wait(c, 0, 2);
    expect_error(c, 0, 1, BMC_ST_ERR_RANGE);
    desc_put(c, 0, 2, buf, 1 << 20, 1, 0);
    kick_wait(c, 0, 3);
    expect_error(c, 0, 2, BMC_ST_ERR_RANGE);
    expect_next_ok(c, 0, 3, buf);
    card_stop(c);
}

static void test_err_host(void)
{
    Card *c = card_start(NULL);
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    desc_put(c, 0, 0, NOWHERE, 0, 4096, 0);
    kick_wait(c, 0, 1);
    expect_error(c, 0, 0, BMC_ST_ERR_HOST);
    g_assert_cmpuint(desc_done(c, 0, 0), ==, 0);
    desc_put(c, 0, 1, NOWHERE, 0, 4096, BMC_DESC_FROM_CARD);
    kick_wait(c, 0, 2);
    expect_error(c, 0, 1, BMC_ST_ERR_HOST);
    /* Into the card's own registers: the bus refuses re-entrant I/O. */
    desc_put(c, 0, 2, c->regs.addr, 0, 64, BMC_DESC_FROM_CARD);
    kick_wait(c, 0, 3);
    expect_error(c, 0, 2, BMC_ST_ERR_HOST);
    g_assert_cmphex(rd(c, BMC_ID), ==, 0x424d4331);
    expect_next_ok(c, 0, 3, buf);
    card_stop(c);
}

static void test_err_injected(void)
{
    Card *c = card_start(NULL);
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    wr(c, BMC_FI_FAIL_NTH, 2);
    desc_put(c, 0, 0, buf, 0, 64, 0);
    desc_put(c, 0, 1, buf, 0, 64, 0);
    desc_put(c, 0, 2, buf, 0, 64, 0);
    kick_wait(c, 0, 3);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_OK);
    g_assert_cmphex(desc_status(c, 0, 1), ==, BMC_ST_ERR_INJECTED);
    g_assert_cmphex(desc_status(c, 0, 2), ==, BMC_ST_OK);
    g_assert_cmpuint(rd(c, BMC_FI_FAIL_NTH), ==, 0);
    g_assert_cmpuint(rd64(c, BMC_CNT_ERRORS), ==, 1);
    card_stop(c);

    /* The property arms it at reset. */
    c = card_start("fail_nth=1");
    buf = guest_alloc(&c->alloc, 4096);
    g_assert_cmpuint(rd(c, BMC_FI_FAIL_NTH), ==, 1);
    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 64, 0);
    kick_wait(c, 0, 1);
    expect_error(c, 0, 0, BMC_ST_ERR_INJECTED);
    card_stop(c);
}

/* FI_PHANTOM_NTH: reported done, every byte, and nothing moved. */
static void test_fault_phantom(void)
{
    Card *c = card_start(NULL);
    const size_t len = 4096;
    g_autofree uint8_t *src = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    g_autofree uint8_t *old = g_malloc(len);
    uint64_t buf = guest_alloc(&c->alloc, len);

    fill_pattern(src, len, 0x3c);
    memset(old, 0xee, len);
    qpci_memwrite(c->dev, c->mem, 0, src, len);
    qtest_memset(c->qts, buf, 0xee, len);
    ring_setup(c, 0);
    wr(c, BMC_FI_PHANTOM_NTH, 2);
    g_assert_cmpuint(rd(c, BMC_FI_PHANTOM_NTH), ==, 2);
    /* The first runs (into buf+0 .. the first 64 bytes), the second lies. */
    desc_put(c, 0, 0, buf, 0, 64, BMC_DESC_FROM_CARD);
    desc_put(c, 0, 1, buf + 64, 64, len - 64, BMC_DESC_FROM_CARD);
    kick_wait(c, 0, 2);
    g_assert_cmphex(desc_status(c, 0, 1), ==, BMC_ST_OK);
    g_assert_cmpuint(desc_done(c, 0, 1), ==, len - 64);
    g_assert_cmpuint(rd(c, BMC_FI_PHANTOM_NTH), ==, 0);
    qtest_memread(c->qts, buf, got, len);
    g_assert(memcmp(got, src, 64) == 0);
    g_assert(memcmp(got + 64, old + 64, len - 64) == 0);
    /* Disarmed: the next one moves its data. */
    desc_put(c, 0, 2, buf + 64, 64, len - 64, BMC_DESC_FROM_CARD);
    kick_wait(c, 0, 3);
    qtest_memread(c->qts, buf, got, len);
    g_assert(memcmp(got, src, len) == 0);
    card_stop(c);
}

static void expect_halt(Card *c, unsigned ch, uint32_t code)
{
    uint32_t st = rd(c, CH_REG(ch, BMC_CH_STATUS));

    g_assert_cmphex(st & (BMC_CH_STATUS_HALTED | BMC_CH_STATUS_ENABLED), ==, BMC_CH_STATUS_HALTED);
    g_assert_cmphex((st >> 8) & 0xff, ==, code);
    g_assert_cmphex(rd(c, CH_REG(ch, BMC_CH_CTRL)), ==, 0);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS) & BMC_IRQ_ERROR, ==, BMC_IRQ_ERROR);
    wr(c, BMC_IRQ_STATUS, BMC_IRQ_ERROR);
}

/*
 * 1.2: a failed transfer flagged HALT_ON_ERROR halts the channel after its
 * last descriptor, so the next transfer (the same request's, queued
 * behind) does not run until the driver enables the channel again.
 */
static void test_err_halt_on_error(void)
{
    Card *c = card_start(NULL);
    uint64_t buf = guest_alloc(&c->alloc, 4096);
    unsigned i;

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 0, BMC_DESC_CHAIN | BMC_DESC_HALT_ON_ERROR);  /* length 0 */
    desc_put(c, 0, 1, buf, 64, 64, BMC_DESC_HALT_ON_ERROR);
    desc_put(c, 0, 2, buf, 128, 64, BMC_DESC_HALT_ON_ERROR);
    wr(c, CH_REG(0, BMC_CH_TAIL), 3);
    for (i = 0; i < 100 && rd(c, CH_REG(0, BMC_CH_CTRL)); i++) {
        qtest_clock_step(c->qts, 1000);
    }
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_ERR_LENGTH);
    g_assert_cmphex(desc_status(c, 0, 1), ==, BMC_ST_ERR_ABORTED);
    expect_halt(c, 0, BMC_HALT_ERROR);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 2);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_ERR_INDEX)), ==, 1);  /* ABORTED */
    g_assert_cmphex(desc_status(c, 0, 2), ==, BMC_ST_PENDING);
    /* Enabled again, it goes on from HEAD. */
    wr(c, CH_REG(0, BMC_CH_CTRL), 1);
    for (i = 0; i < 100 && rd(c, CH_REG(0, BMC_CH_HEAD)) != 3; i++) {
        qtest_clock_step(c->qts, 1000);
    }
    g_assert_cmphex(desc_status(c, 0, 2), ==, BMC_ST_OK);
    card_stop(c);
}

static void test_err_halts(void)
{
    Card *c = card_start(NULL);
    uint64_t ring = guest_alloc(&c->alloc, 4096);
    unsigned i;

    /* Bad ring sizes and a misaligned base do not start. */
    static const uint32_t sizes[] = { 0, 1, 3, 65537, 0x80000000u };
    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        wr(c, CH_REG(0, BMC_CH_RING_LO), ring);
        wr(c, CH_REG(0, BMC_CH_RING_SIZE), sizes[i]);
        wr(c, CH_REG(0, BMC_CH_CTRL), 1);
        expect_halt(c, 0, BMC_HALT_RING_CONFIG);
    }
    wr(c, CH_REG(0, BMC_CH_RING_LO), ring + 8);
    wr(c, CH_REG(0, BMC_CH_RING_SIZE), 16);
    wr(c, CH_REG(0, BMC_CH_CTRL), 1);
    expect_halt(c, 0, BMC_HALT_RING_CONFIG);
    wr(c, CH_REG(0, BMC_CH_RING_LO), ring);
    wr(c, CH_REG(0, BMC_CH_HEAD), 16);
    wr(c, CH_REG(0, BMC_CH_CTRL), 1);
    expect_halt(c, 0, BMC_HALT_RING_CONFIG);
    wr(c, CH_REG(0, BMC_CH_HEAD), 0);

    /* TAIL past the ring. */
    wr(c, CH_REG(0, BMC_CH_CTRL), 1);
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)) & BMC_CH_STATUS_HALTED, ==, 0);
    wr(c, CH_REG(0, BMC_CH_TAIL), 16);
    for (i = 0; i < 100 && rd(c, CH_REG(0, BMC_CH_CTRL)); i++) {
        qtest_clock_step(c->qts, 1000);
    }
    expect_halt(c, 0, BMC_HALT_BAD_TAIL);

    /* A ring where nothing answers: the descriptor fetch fails. */
    wr(c, CH_REG(1, BMC_CH_RING_LO), (uint32_t)NOWHERE);
    wr(c, CH_REG(1, BMC_CH_RING_HI), NOWHERE >> 32);
    wr(c, CH_REG(1, BMC_CH_RING_SIZE), 16);
    wr(c, CH_REG(1, BMC_CH_CTRL), 1);
    wr(c, CH_REG(1, BMC_CH_TAIL), 1);
    for (i = 0; i < 100 && rd(c, CH_REG(1, BMC_CH_CTRL)); i++) {
        qtest_clock_step(c->qts, 1000);
    }
    expect_halt(c, 1, BMC_HALT_DESC_FETCH);
    g_assert_cmpuint(rd(c, CH_REG(1, BMC_CH_HEAD)), ==, 0);

    /* Bus mastering off: same. */
    c->ring[0] = ring;
    qtest_memset(c->qts, ring, 0, 4096);
    qpci_config_writew(c->dev, PCI_COMMAND,
                       PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    wr(c, CH_REG(0, BMC_CH_TAIL), 0);
    wr(c, CH_REG(0, BMC_CH_CTRL), 1);
    desc_put(c, 0, 0, ring + 1024, 0, 64, 0);
    wr(c, CH_REG(0, BMC_CH_TAIL), 1);
    for (i = 0; i < 100 && rd(c, CH_REG(0, BMC_CH_CTRL)); i++) {
        qtest_clock_step(c->qts, 1000);
    }
    expect_halt(c, 0, BMC_HALT_DESC_FETCH);
    /* Writing ENABLE = 0 clears the halt; re-enabling resumes at HEAD. */
    wr(c, CH_REG(0, BMC_CH_CTRL), 0);
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)), ==, 0);
    qpci_device_enable(c->dev);
    wr(c, CH_REG(0, BMC_CH_CTRL), 1);
    kick_wait(c, 0, 1);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_OK);
    g_assert_cmpuint(rd64(c, BMC_CNT_ERRORS), ==, 10);
    card_stop(c);
}

/* Reset */

static void test_reset(void)
{
    Card *c = card_start("stall_mask=0,latency_ns=5");
    uint64_t buf = guest_alloc(&c->alloc, 4096);
    unsigned ch;

    ring_setup(c, 0);
    ring_setup(c, 1);
    desc_put(c, 0, 0, buf, 0, 64, BMC_DESC_IRQ);
    wr(c, BMC_FI_LAT_XFER_NS, 0);
    kick_wait(c, 0, 1);
    /* Stall channel 1 with work queued: reset must stop it. */
    wr(c, BMC_FI_STALL, 2);
    desc_put(c, 1, 0, buf, 0, 64, BMC_DESC_IRQ);
    wr(c, CH_REG(1, BMC_CH_TAIL), 1);
    qtest_clock_step(c->qts, 100000);
    g_assert_cmphex(rd(c, CH_REG(1, BMC_CH_STATUS)), ==,
                    BMC_CH_STATUS_ENABLED | BMC_CH_STATUS_ACTIVE | BMC_CH_STATUS_STALLED);
    g_assert_cmphex(rd(c, BMC_ENGINE_STATUS), ==, 1);
    wr(c, BMC_SCRATCH, 0xdeadbeef);
    wr(c, BMC_IRQ_MASK, 0);
    wr(c, BMC_FI_FAIL_NTH, 7);
    wr(c, BMC_FI_LAT_BYTE_PS, 9);
    g_assert_cmpuint(rd64(c, BMC_CNT_BYTES), ==, 64);

    wr(c, BMC_RESET, 1);

    for (ch = 0; ch < 2; ch++) {
        unsigned r;

        for (r = 0; r < 0x20; r += 4) {
            g_assert_cmphex(rd(c, CH_REG(ch, r)), ==, 0);
        }
    }
    g_assert_cmphex(rd(c, BMC_SCRATCH), ==, 0);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 0);
    g_assert_cmphex(rd(c, BMC_IRQ_MASK), ==, BMC_IRQ_ERROR | 3);
    g_assert_cmphex(rd(c, BMC_ENGINE_STATUS), ==, 0);
    g_assert_cmpuint(rd64(c, BMC_CNT_BYTES), ==, 0);
    g_assert_cmpuint(rd64(c, BMC_CNT_DESCS), ==, 0);
    g_assert_cmpuint(rd64(c, BMC_CNT_ERRORS), ==, 0);
    g_assert_cmpuint(rd64(c, BMC_CNT_BUSY_NS), ==, 0);
    g_assert_cmpuint(rd64(c, BMC_CNT_XFERS), ==, 0);
    g_assert_cmpuint(rd(c, BMC_FI_FAIL_NTH), ==, 0);
    g_assert_cmpuint(rd(c, BMC_FI_STALL), ==, 0);
    g_assert_cmpuint(rd(c, BMC_FI_LAT_XFER_NS), ==, 5);   /* property */
    g_assert_cmpuint(rd(c, BMC_FI_LAT_BYTE_PS), ==, 0);
    g_assert_cmphex(rd(c, BMC_ID), ==, 0x424d4331);
    /* The stalled descriptor stays pending; the card touches nothing. */
    qtest_clock_step(c->qts, 1000000);
    g_assert_cmphex(desc_status(c, 1, 0), ==, BMC_ST_PENDING);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_OK);

    /* The card works again after reprogramming. */
    ring_setup(c, 0);
    wr(c, BMC_FI_LAT_XFER_NS, 0);
    expect_next_ok(c, 0, 0, buf);
    card_stop(c);
}

/* Address width: a 32-bit card sends 0x1_xxxx_xxxx to 0xxxxx_xxxx. */
static void test_addr_width(void)
{
    Card *c = card_start("addr_bits=32,report_addr_bits=64");
    const size_t len = 4096;
    g_autofree uint8_t *src = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t buf = guest_alloc(&c->alloc, len);
    uint64_t ring;

    g_assert_cmpuint(rd(c, BMC_ADDR_BITS), ==, 64);     /* it lies */
    fill_pattern(src, len, 0x77);
    qpci_memwrite(c->dev, c->mem, 0x2000, src, len);
    qtest_memset(c->qts, buf, 0, len);

    /* The ring itself given with bit 32 set: also truncated. */
    ring_setup(c, 0);
    ring = c->ring[0];
    wr(c, CH_REG(0, BMC_CH_CTRL), 0);
    wr(c, CH_REG(0, BMC_CH_RING_HI), 1);
    wr(c, CH_REG(0, BMC_CH_CTRL), 1);
    desc_put(c, 0, 0, buf | (1ULL << 32), 0x2000, len, BMC_DESC_FROM_CARD);
    kick_wait(c, 0, 1);
    g_assert_cmphex(qtest_readl(c->qts, ring + 0x18), ==, BMC_ST_OK);
    qtest_memread(c->qts, buf, got, len);
    g_assert(memcmp(src, got, len) == 0);
    card_stop(c);

    /* A 24-bit card: 0x100_0000 + x lands at x, and a segment wraps. */
    c = card_start("addr_bits=24");
    buf = guest_alloc(&c->alloc, 2 * len);
    g_assert_cmphex(buf + 2 * len, <, 1 << 24);
    fill_pattern(src, len, 0x99);
    qtest_memwrite(c->qts, buf, src, len);
    ring_setup(c, 0);
    desc_put(c, 0, 0, (1ULL << 24) + buf, 0, len, 0);
    kick_wait(c, 0, 1);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_OK);
    card_mem_read(c, 0, got, len);
    g_assert(memcmp(src, got, len) == 0);
    /* 16 bytes below 2^24 then wrap to 0. */
    qtest_memwrite(c->qts, 0, src, 16);
    desc_put(c, 0, 1, (1ULL << 24) - 16, 0x8000, 32, 0);
    kick_wait(c, 0, 2);
    g_assert_cmphex(desc_status(c, 0, 1), ==, BMC_ST_OK);
    card_mem_read(c, 0x8010, got, 16);
    g_assert(memcmp(src, got, 16) == 0);
    card_stop(c);
}

/* Interrupts */

static void test_irq_status_ack(void)
{
    Card *c = card_start(NULL);
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    ring_setup(c, 1);
    /* No IRQ flag: no cause. */
    desc_put(c, 0, 0, buf, 0, 64, 0);
    kick_wait(c, 0, 1);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 0);
    desc_put(c, 0, 1, buf, 0, 64, BMC_DESC_IRQ);
    desc_put(c, 1, 0, buf, 0, 64, BMC_DESC_IRQ);
    kick_wait(c, 0, 2);
    kick_wait(c, 1, 1);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 3);
    /* Write-1-to-clear, bit by bit; writing 0 changes nothing. */
    wr(c, BMC_IRQ_STATUS, 0);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 3);
    wr(c, BMC_IRQ_STATUS, 1);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 2);
    wr(c, BMC_IRQ_STATUS, 2);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 0);
    /* Mask keeps only implemented bits. */
    wr(c, BMC_IRQ_MASK, 0xffffffff);
    g_assert_cmphex(rd(c, BMC_IRQ_MASK), ==, BMC_IRQ_ERROR | 3);
    /* A failing descriptor with IRQ sets both its channel bit and ERROR. */
    desc_put(c, 1, 1, buf, 0, 0, BMC_DESC_IRQ);
    kick_wait(c, 1, 2);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, BMC_IRQ_ERROR | 2);
    card_stop(c);
}

/*
 * MSI-X: one vector per channel plus one for errors. The vectors stay
 * masked in the MSI-X table, so each message shows as a PBA bit, which
 * stays set: check each vector once, in order.
 */
static void test_irq_msix(void)
{
    Card *c = card_start("channels=3");
    uint64_t buf = guest_alloc(&c->alloc, 4096);
    unsigned v;

    qpci_msix_enable(c->dev);
    g_assert_cmpuint(qpci_msix_table_size(c->dev), ==, 4);
    ring_setup(c, 0);
    ring_setup(c, 1);

    /* Masked in IRQ_MASK (the reset state): latched, no message. */
    desc_put(c, 1, 0, buf, 0, 64, BMC_DESC_IRQ);
    kick_wait(c, 1, 1);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 2);
    for (v = 0; v < 4; v++) {
        g_assert(!qpci_msix_pending(c->dev, v));
    }
    /* Unmasking a latched cause signals it at once. */
    wr(c, BMC_IRQ_MASK, 0);
    g_assert(qpci_msix_pending(c->dev, 1));
    g_assert(!qpci_msix_pending(c->dev, 0));
    wr(c, BMC_IRQ_STATUS, 0xffffffff);

    /* Channel 0's completion on vector 0. */
    desc_put(c, 0, 0, buf, 0, 64, BMC_DESC_IRQ);
    kick_wait(c, 0, 1);
    g_assert(qpci_msix_pending(c->dev, 0));
    g_assert(!qpci_msix_pending(c->dev, 2));
    g_assert(!qpci_msix_pending(c->dev, 3));
    wr(c, BMC_IRQ_STATUS, 0xffffffff);

    /* An error (no IRQ flag: error only) on vector N = 3. */
    desc_put(c, 0, 1, buf, 0, 0, 0);
    kick_wait(c, 0, 2);
    g_assert(qpci_msix_pending(c->dev, 3));
    g_assert(!qpci_msix_pending(c->dev, 2));
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, BMC_IRQ_ERROR);
    wr(c, BMC_IRQ_STATUS, 0xffffffff);

    /* Spurious: a message on the chosen vector with no cause bit. */
    wr(c, BMC_FI_SPURIOUS, 2);
    g_assert(qpci_msix_pending(c->dev, 2));
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, 0);
    qpci_msix_disable(c->dev);
    card_stop(c);
}

/* MSI: one vector for every cause; the message is a write we can see. */
static void test_irq_msi(void)
{
    Card *c = card_start(NULL);
    uint64_t buf = guest_alloc(&c->alloc, 4096);
    uint64_t msg = guest_alloc(&c->alloc, 4096);
    uint8_t cap = qpci_find_capability(c->dev, PCI_CAP_ID_MSI, 0);
    uint16_t flags;

    g_assert(cap);
    flags = qpci_config_readw(c->dev, cap + PCI_MSI_FLAGS);
    g_assert(flags & PCI_MSI_FLAGS_64BIT);
    /* Point the message at RAM: the card's MSI write lands there. */
    qpci_config_writel(c->dev, cap + PCI_MSI_ADDRESS_LO, (uint32_t)msg);
    qpci_config_writel(c->dev, cap + PCI_MSI_ADDRESS_HI, msg >> 32);
    qpci_config_writew(c->dev, cap + PCI_MSI_DATA_64, 0x4321);
    qpci_config_writew(c->dev, cap + PCI_MSI_FLAGS,
                       flags | PCI_MSI_FLAGS_ENABLE);
    qtest_writel(c->qts, msg, 0);
    ring_setup(c, 0);

    /* Masked: no message. */
    desc_put(c, 0, 0, buf, 0, 64, BMC_DESC_IRQ);
    kick_wait(c, 0, 1);
    g_assert_cmphex(qtest_readl(c->qts, msg), ==, 0);
    /* Unmasking sends one. */
    wr(c, BMC_IRQ_MASK, 0);
    g_assert_cmphex(qtest_readl(c->qts, msg), ==, 0x4321);
    qtest_writel(c->qts, msg, 0);
    wr(c, BMC_IRQ_STATUS, 1);
    /* A completion and an error each send one. */
    desc_put(c, 0, 1, buf, 0, 64, BMC_DESC_IRQ);
    kick_wait(c, 0, 2);
    g_assert_cmphex(qtest_readl(c->qts, msg), ==, 0x4321);
    qtest_writel(c->qts, msg, 0);
    desc_put(c, 0, 2, buf, 0, 0, 0);
    kick_wait(c, 0, 3);
    g_assert_cmphex(qtest_readl(c->qts, msg), ==, 0x4321);
    g_assert_cmphex(rd(c, BMC_IRQ_STATUS), ==, BMC_IRQ_ERROR | 1);
    card_stop(c);
}

/* INTx: INTA# is a level, high while IRQ_STATUS & ~IRQ_MASK is non-zero. */
static void test_irq_intx(void)
{
    Card *c = card_start("msix=off,msi=off");
    uint64_t buf = guest_alloc(&c->alloc, 4096);
    QPCIDevice *isa = qpci_device_find(c->bus, QPCI_DEVFN(0x1, 0x0));
    const int gsi = 11;

    /* Route all four PCI interrupt links (PIIX3 PIRQA..D) to IRQ 11. */
    g_assert(isa);
    qpci_config_writel(isa, 0x60, 0x0b0b0b0b);
    qtest_irq_intercept_in(c->qts, "ioapic");
    ring_setup(c, 0);

    desc_put(c, 0, 0, buf, 0, 64, BMC_DESC_IRQ);
    kick_wait(c, 0, 1);
    g_assert(!qtest_get_irq(c->qts, gsi));           /* masked */
    wr(c, BMC_IRQ_MASK, 0);
    g_assert(qtest_get_irq(c->qts, gsi));
    wr(c, BMC_IRQ_MASK, 1);
    g_assert(!qtest_get_irq(c->qts, gsi));
    wr(c, BMC_IRQ_MASK, 0);
    g_assert(qtest_get_irq(c->qts, gsi));
    wr(c, BMC_IRQ_STATUS, 1);                        /* acknowledge */
    g_assert(!qtest_get_irq(c->qts, gsi));
    /* Interrupt Disable in the PCI command register holds it low. */
    qpci_config_writew(c->dev, PCI_COMMAND, PCI_COMMAND_MEMORY |
                       PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    desc_put(c, 0, 1, buf, 0, 64, BMC_DESC_IRQ);
    kick_wait(c, 0, 2);
    g_assert(!qtest_get_irq(c->qts, gsi));
    qpci_config_writew(c->dev, PCI_COMMAND, PCI_COMMAND_MEMORY |
                       PCI_COMMAND_MASTER);
    g_assert(qtest_get_irq(c->qts, gsi));
    /* Reset deasserts. */
    wr(c, BMC_RESET, 1);
    g_assert(!qtest_get_irq(c->qts, gsi));
    g_free(isa);
    card_stop(c);
}

/* Fault injection */

static void test_fault_stall(void)
{
    Card *c = card_start("stall_mask=1");
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    g_assert_cmphex(rd(c, BMC_FI_STALL), ==, 1);
    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 64, BMC_DESC_IRQ);
    wr(c, CH_REG(0, BMC_CH_TAIL), 1);
    qtest_clock_step(c->qts, 10 * 1000 * 1000);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 0);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_PENDING);
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)), ==,
                    BMC_CH_STATUS_ENABLED | BMC_CH_STATUS_ACTIVE | BMC_CH_STATUS_STALLED);
    /* Stalled time is busy time. */
    g_assert_cmpuint(rd64(c, BMC_CNT_BUSY_NS), >=, 10 * 1000 * 1000);
    wr(c, BMC_FI_STALL, 0);
    kick_wait(c, 0, 1);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_OK);
    card_stop(c);
}

/*
 * ignore_stop: a stalled channel ignores its stop and the RESET register,
 * as a card that cannot be stopped does. Bus mastering off keeps it from
 * memory when it runs on; a reset of the function stops it.
 */
static void test_fault_ignore_stop(void)
{
    Card *c = card_start("ignore_stop=on,stall_mask=1");
    uint64_t buf = guest_alloc(&c->alloc, 4096);
    uint8_t got[64];
    int i;

    qtest_memset(c->qts, buf, 0x5a, sizeof(got));   /* card memory: 0 */
    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, sizeof(got), BMC_DESC_FROM_CARD | BMC_DESC_IRQ);
    wr(c, CH_REG(0, BMC_CH_TAIL), 1);
    wr(c, CH_REG(0, BMC_CH_CTRL), 0);
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)) & BMC_CH_STATUS_ENABLED, ==,
                    BMC_CH_STATUS_ENABLED);
    wr(c, BMC_RESET, 1);
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)) & BMC_CH_STATUS_ENABLED, ==,
                    BMC_CH_STATUS_ENABLED);
    g_assert_cmphex(rd(c, BMC_FI_STALL), ==, 1);

    /* Released with bus mastering off: it runs, and reaches nothing. */
    qpci_config_writew(c->dev, PCI_COMMAND, PCI_COMMAND_MEMORY);
    wr(c, BMC_FI_STALL, 0);
    for (i = 0; i < 100 && rd(c, CH_REG(0, BMC_CH_CTRL)); i++) {
        qtest_clock_step(c->qts, 1000);
    }
    expect_halt(c, 0, BMC_HALT_DESC_FETCH);
    qtest_memread(c->qts, buf, got, sizeof(got));
    for (i = 0; i < (int)sizeof(got); i++) {
        g_assert_cmphex(got[i], ==, 0x5a);
    }

    /* Unstalled, it obeys RESET again (which stalls it anew: stall_mask). */
    wr(c, BMC_RESET, 1);
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)) & BMC_CH_STATUS_ENABLED, ==, 0);
    card_stop(c);
}

/* boot_dma: DMA as soon as bus mastering is on, until RESET; counted. */
static void test_fault_boot_dma(void)
{
    Card *c = card_start("boot_dma=on");       /* card_start: BME on */
    uint32_t before = rd(c, BMC_FI_BOOT_DMA);

    g_assert_cmpuint(before, >=, 1);           /* one per config write */
    wr(c, BMC_RESET, 1);
    qpci_config_writew(c->dev, PCI_COMMAND, PCI_COMMAND_MEMORY);
    qpci_device_enable(c->dev);
    g_assert_cmpuint(rd(c, BMC_FI_BOOT_DMA), ==, before);  /* stopped */
    card_stop(c);

    c = card_start(NULL);
    g_assert_cmpuint(rd(c, BMC_FI_BOOT_DMA), ==, 0);
    card_stop(c);
}

static void test_fault_latency(void)
{
    Card *c = card_start("latency_ns=1000000");
    uint64_t buf = guest_alloc(&c->alloc, 4096);
    uint64_t busy;
    int i;

    ring_setup(c, 0);
    wr(c, BMC_FI_LAT_BYTE_PS, 1000000);           /* 1 us per byte */
    desc_put(c, 0, 0, buf, 0, 1000, BMC_DESC_CHAIN);      /* 1 ms + 1 ms */
    desc_put(c, 0, 1, buf, 0, 1000, 0);            /* 1 ms */
    wr(c, CH_REG(0, BMC_CH_TAIL), 2);
    qtest_clock_step(c->qts, 1999000);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 0);
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)) & BMC_CH_STATUS_WAITING, ==,
                    BMC_CH_STATUS_WAITING);
    qtest_clock_step(c->qts, 2000);
    for (i = 0; i < 10 && rd(c, CH_REG(0, BMC_CH_HEAD)) != 1; i++) {
        qtest_clock_step(c->qts, 0);
    }
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 1);
    qtest_clock_step(c->qts, 998000);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 1);
    kick_wait(c, 0, 2);
    busy = rd64(c, BMC_CNT_BUSY_NS);
    g_assert_cmpuint(busy, >=, 3000000);
    g_assert_cmpuint(busy, <, 4000000);
    card_stop(c);
}

/*
 * The modelled link takes a channel's next descriptor when it is done with
 * the one before (its data moving during its own time); a channel that ran
 * dry starts afresh: a descriptor posted after an idle time waits its whole
 * modelled time, with no credit from the idle time.
 */
static void test_fault_latency_idle(void)
{
    Card *c = card_start("latency_ns=500000");     /* 0.5 ms a transfer */
    uint64_t buf = guest_alloc(&c->alloc, 4096);

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 64, 0);
    kick_wait(c, 0, 1);
    qtest_clock_step(c->qts, 5000000);              /* 5 ms idle */
    desc_put(c, 0, 1, buf, 0, 64, 0);
    wr(c, CH_REG(0, BMC_CH_TAIL), 2);
    qtest_clock_step(c->qts, 499000);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 1);
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)) & BMC_CH_STATUS_WAITING, ==,
                    BMC_CH_STATUS_WAITING);
    kick_wait(c, 0, 2);
    card_stop(c);
}

/*
 * A descriptor's data moves when the link takes it, during its modelled
 * time; it completes (is written back) when that time is over. Before,
 * the data moved only after the wait, so a lone descriptor took its
 * modelled time plus the emulator's copy.
 */
static void test_fault_latency_data_first(void)
{
    Card *c = card_start("latency_ns=1000000");   /* 1 ms a transfer */
    const size_t len = 4096;
    g_autofree uint8_t *src = g_malloc(len);
    g_autofree uint8_t *got = g_malloc(len);
    uint64_t buf = guest_alloc(&c->alloc, len);
    int i;

    fill_pattern(src, len, 0x5a);
    qpci_memwrite(c->dev, c->mem, 0, src, len);
    qtest_memset(c->qts, buf, 0, len);
    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, len, BMC_DESC_FROM_CARD);
    wr(c, CH_REG(0, BMC_CH_TAIL), 1);
    for (i = 0; i < 10; i++) {
        qtest_clock_step(c->qts, 0);
    }
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)) & BMC_CH_STATUS_WAITING, ==,
                    BMC_CH_STATUS_WAITING);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 0);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_PENDING);
    qtest_memread(c->qts, buf, got, len);
    g_assert(memcmp(got, src, len) == 0);
    /* Disabled now: abandoned without its write-back, its data moved. */
    wr(c, CH_REG(0, BMC_CH_CTRL), 0);
    qtest_clock_step(c->qts, 2000000);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 0);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_PENDING);
    /* Enabled again, it runs again, whole, and completes. */
    qtest_memset(c->qts, buf, 0, len);
    wr(c, CH_REG(0, BMC_CH_CTRL), BMC_CH_CTRL_ENABLE);
    qtest_clock_step(c->qts, 2000000);
    kick_wait(c, 0, 1);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_OK);
    g_assert_cmpuint(desc_done(c, 0, 0), ==, len);
    qtest_memread(c->qts, buf, got, len);
    g_assert(memcmp(got, src, len) == 0);
    card_stop(c);
}

/*
 * TAIL moved back over a descriptor waiting out its modelled time abandons
 * it, as a disable does: the descriptor posted next in its slot runs as
 * itself and gets its own status, not the abandoned one's.
 */
static void test_fault_latency_tail_back(void)
{
    Card *c = card_start("latency_ns=1000000");   /* 1 ms a transfer */
    uint64_t buf = guest_alloc(&c->alloc, 4096);
    int i;

    ring_setup(c, 0);
    desc_put(c, 0, 0, buf, 0, 64, 0);
    wr(c, CH_REG(0, BMC_CH_TAIL), 1);
    for (i = 0; i < 10; i++) {
        qtest_clock_step(c->qts, 0);
    }
    g_assert_cmphex(rd(c, CH_REG(0, BMC_CH_STATUS)) & BMC_CH_STATUS_WAITING, ==,
                    BMC_CH_STATUS_WAITING);
    wr(c, CH_REG(0, BMC_CH_TAIL), 0);
    qtest_clock_step(c->qts, 2000000);
    g_assert_cmpuint(rd(c, CH_REG(0, BMC_CH_HEAD)), ==, 0);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_PENDING);
    /* Another descriptor in the slot: a bad length, ERR_LENGTH, its own. */
    desc_put(c, 0, 0, buf, 0, 0, 0);
    wr(c, CH_REG(0, BMC_CH_TAIL), 1);
    qtest_clock_step(c->qts, 0);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_PENDING);
    qtest_clock_step(c->qts, 2000000);
    kick_wait(c, 0, 1);
    g_assert_cmphex(desc_status(c, 0, 0), ==, BMC_ST_ERR_LENGTH);
    wr(c, BMC_IRQ_STATUS, BMC_IRQ_ERROR);
    card_stop(c);
}

/* No register or descriptor value may crash or hang the card. */
static void test_robust_garbage(void)
{
    Card *c = card_start("channels=3,mem_size=64K,align=4,max_segs=4");
    uint64_t area = guest_alloc(&c->alloc, 64 * 1024);
    GRand *r = g_rand_new_with_seed(0xb05);
    int i;

    for (i = 0; i < 64 * 1024; i += 4) {
        qtest_writel(c->qts, area + i, g_rand_int(r));
    }
    for (i = 0; i < 3000; i++) {
        uint32_t off = g_rand_int_range(r, 0, 0x200) & ~3u;
        uint32_t val = g_rand_int(r);

        if (off == BMC_FI_STALL) {
            continue;
        }
        switch (g_rand_int_range(r, 0, 6)) {
        case 0:     /* a ring somewhere in the random area */
            val = area + (val & 0xffe0);
            off = CH_REG(val % 3, BMC_CH_RING_LO);
            break;
        case 1:
            val &= 0x3f;
            break;
        case 2:
            wr(c, CH_REG(val % 3, BMC_CH_CTRL), 1);
            off = CH_REG(val % 3, BMC_CH_TAIL);
            val = (val >> 8) & 0x3f;
            break;
        default:
            break;
        }
        wr(c, off, val);
        if (!(i % 64)) {
            qtest_clock_step(c->qts, 1000000);
        }
    }
    /* Still alive and still a card. */
    wr(c, BMC_RESET, 1);
    g_assert_cmphex(rd(c, BMC_ID), ==, 0x424d4331);
    ring_setup(c, 0);
    expect_next_ok(c, 0, 0, area);
    g_rand_free(r);
    card_stop(c);
}

/*
 * A 256 MiB card moving 64 MiB segments both ways. Prints the copy rate
 * (a figure, not a pass/fail criterion) and checks bytes at the edges.
 */
static void test_bulk(void)
{
    const uint32_t seg = 64 << 20;
    Card *c = card_start("mem_size=256M,max_seg_size=67108864");
    uint64_t buf;
    uint8_t pat[64], got[64];
    unsigned i, round;

    g_assert_cmpuint(c->mem_size, ==, 256 << 20);
    buf = guest_alloc(&c->alloc, seg);
    fill_pattern(pat, sizeof(pat), 0x3c);
    qtest_memwrite(c->qts, buf, pat, sizeof(pat));
    qtest_memwrite(c->qts, buf + seg - sizeof(pat), pat, sizeof(pat));
    ring_setup(c, 0);
    /* Round 0 touches every page first; round 1 is the copy rate. */
    for (round = 0; round < 2; round++) {
        unsigned base = round * 8;
        gint64 t0, t1;

        for (i = 0; i < 4; i++) {
            desc_put(c, 0, base + i, buf, (uint64_t)i * seg, seg, 0);
            desc_put(c, 0, base + 4 + i, buf, (uint64_t)(3 - i) * seg, seg,
                     BMC_DESC_FROM_CARD);
        }
        t0 = g_get_monotonic_time();
        kick_wait(c, 0, (base + 8) % RING_ENTRIES);
        t1 = g_get_monotonic_time();
        for (i = 0; i < 8; i++) {
            g_assert_cmphex(desc_status(c, 0, base + i), ==, BMC_ST_OK);
        }
        g_test_message("round %u: 512 MiB in %" PRId64 " us: %.0f MiB/s",
                       round, t1 - t0, 512.0 * 1e6 / MAX(t1 - t0, 1));
    }
    card_mem_read(c, 3ULL * seg + seg - sizeof(got), got, sizeof(got));
    g_assert(memcmp(pat, got, sizeof(got)) == 0);
    g_assert_cmpuint(rd64(c, BMC_CNT_BYTES), ==, 16ULL * seg);
    card_stop(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/busmaster-card/caps/default", test_caps_default);
    qtest_add_func("/busmaster-card/caps/properties", test_caps_props);
    qtest_add_func("/busmaster-card/caps/lying-width", test_caps_lying);
    qtest_add_func("/busmaster-card/caps/bad-properties", test_caps_bad_props);
    qtest_add_func("/busmaster-card/dma/to-card", test_dma_to_card);
    qtest_add_func("/busmaster-card/dma/from-card", test_dma_from_card);
    qtest_add_func("/busmaster-card/dma/chain", test_dma_chain);
    qtest_add_func("/busmaster-card/dma/duplex", test_dma_duplex);
    qtest_add_func("/busmaster-card/error/flags", test_err_flags);
    qtest_add_func("/busmaster-card/error/segs", test_err_segs);
    qtest_add_func("/busmaster-card/error/segs-nosg", test_err_segs_nosg);
    qtest_add_func("/busmaster-card/error/length", test_err_length);
    qtest_add_func("/busmaster-card/error/align", test_err_align);
    qtest_add_func("/busmaster-card/error/range", test_err_range);
    qtest_add_func("/busmaster-card/error/boundary", test_err_boundary);
    qtest_add_func("/busmaster-card/error/host", test_err_host);
    qtest_add_func("/busmaster-card/error/injected", test_err_injected);
    qtest_add_func("/busmaster-card/error/halts", test_err_halts);
    qtest_add_func("/busmaster-card/error/halt-on-error",
                   test_err_halt_on_error);
    qtest_add_func("/busmaster-card/reset", test_reset);
    qtest_add_func("/busmaster-card/addr-width", test_addr_width);
    qtest_add_func("/busmaster-card/irq/status-ack", test_irq_status_ack);
    qtest_add_func("/busmaster-card/irq/msix", test_irq_msix);
    qtest_add_func("/busmaster-card/irq/msi", test_irq_msi);
    qtest_add_func("/busmaster-card/irq/intx", test_irq_intx);
    qtest_add_func("/busmaster-card/fault/stall", test_fault_stall);
    qtest_add_func("/busmaster-card/fault/latency", test_fault_latency);
    qtest_add_func("/busmaster-card/fault/latency-idle", test_fault_latency_idle);
    qtest_add_func("/busmaster-card/fault/latency-data-first",
                   test_fault_latency_data_first);
    qtest_add_func("/busmaster-card/fault/latency-tail-back",
                   test_fault_latency_tail_back);
    qtest_add_func("/busmaster-card/fault/ignore-stop", test_fault_ignore_stop);
    qtest_add_func("/busmaster-card/fault/boot-dma", test_fault_boot_dma);
    qtest_add_func("/busmaster-card/fault/phantom", test_fault_phantom);
    qtest_add_func("/busmaster-card/robust/garbage", test_robust_garbage);
    qtest_add_func("/busmaster-card/dma/bulk-256M", test_bulk);

    return g_test_run();
}
