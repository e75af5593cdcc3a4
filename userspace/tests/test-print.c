// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side tests of bmctl's output backends, fed a made-up INFO.
 * With a directory argument, also leaves each JSON document there
 * (*.json) for a JSON parser to check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bmctl.h"
#include "test.h"

static const struct bmctl_opt opts[] = {
	{ "--json", "-j", "print JSON" },
};

static int cmd_none(struct bmctl_ctx *ctx, const struct bmctl_args *a)
{
	(void)ctx;
	(void)a;
	return 0;
}

static const int no_opts[] = { 0 };

static const struct bmctl_cmd cmds[] = {
	{ "info", "[DEVICE]", "show \"a\" card", "details\n", no_opts, cmd_none },
};

static void edu_card(struct bmctl_card *c, const char *path)
{
	struct busmaster_info *i = &c->info;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	i->size = sizeof(*i);
	i->abi_version = BUSMASTER_ABI_VERSION;
	i->card_model = BUSMASTER_MODEL_EDU;
	i->pci_vendor = 0x1234;
	i->pci_device = 0x11e8;
	i->pci_revision = 0x10;
	i->irq_mode = BUSMASTER_IRQ_MSI;
	i->irq_vectors = 1;
	strcpy(i->pci_slot, "0000:00:04.0");
	strcpy(i->driver_version, "0.1.0");
	i->card_addr_bits = 28;
	i->dma_addr_bits = 28;
	i->caps = BUSMASTER_CAP_CARD_MEM_BAR;
	i->alignment = 1;
	i->max_segments = 1;
	i->max_segment_size = 4095;
	i->max_transfer_size = 4095;
	i->card_mem_size = 4096;
	i->dma_channels = 1;
	i->bounce = BUSMASTER_BOUNCE_MAP_REGISTERS;
	i->map_registers = 2;
}

struct output {
	char *buf;
	size_t len;
	FILE *f;
	struct bmctl_ctx ctx;
};

static void out_begin(struct output *o, const struct bmctl_print_ops *ops)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->len);
	o->ctx = (struct bmctl_ctx) {
		.ops = ops, .out = o->f, .err = o->f,
		.cmds = cmds, .ncmds = 1, .opts = opts, .nopts = 1,
	};
}

/* Close the stream; save it as @dir/@name when @dir is given */
static char *out_end(struct output *o, const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	fclose(o->f);
	if (!dir)
		return o->buf;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(o->buf, f);
		fclose(f);
	}
	return o->buf;
}

static int has(const char *s, const char *want)
{
	if (s && strstr(s, want))
		return 1;
	printf("# missing: %s\n# in:\n%s\n", want, s ? s : "(null)");
	return 0;
}

/* Does the line "@label: <padding>@value" appear in @s? */
static int row_is(const char *s, const char *label, const char *value)
{
	size_t n = strlen(label);
	const char *p;

	for (p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *v;

		if (strncmp(p, label, n) || p[n] != ':')
			continue;
		for (v = p + n + 1; *v == ' '; v++)
			;
		if (!strncmp(v, value, strlen(value)) &&
		    v[strlen(value)] == '\n')
			return 1;
	}
	printf("# missing: %s: %s\n", label, value);
	return 0;
}

static void test_text(struct test_state *t)
{
	struct bmctl_card cards[2];
	struct output o;
	char *s;

	edu_card(&cards[0], "/dev/busmaster0");
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.info(&o.ctx, &cards[0]);
	s = out_end(&o, NULL, NULL);
	CHECK(t, row_is(s, "map registers (NumberOfMapRegisters)", "2"),
	      "text info: map registers line");
	CHECK(t, row_is(s, "card model", "edu") &&
		 row_is(s, "PCI address", "0000:00:04.0") &&
		 row_is(s, "max transfer size (MaximumLength)", "4095 bytes"),
	      "text info: rows are label, colon, aligned value");
	CHECK(t, has(s, "device:") && has(s, " /dev/busmaster0\n"),
	      "text info: device line");
	CHECK(t, has(s, " edu\n") && has(s, " 0x1234\n") &&
		 has(s, " 0x10\n") && has(s, " 28 bits\n") &&
		 has(s, " 4096 bytes (4 KiB)\n") && has(s, " 4095 bytes\n") &&
		 has(s, " 1 byte\n") && has(s, " 0x2 (card_mem_bar)\n") &&
		 has(s, " map_registers\n") && has(s, " msi\n"),
	      "text info: values formatted for a person");
	free(s);

	cards[0].info.bounce = 9;
	cards[0].info.caps = 0;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.info(&o.ctx, &cards[0]);
	s = out_end(&o, NULL, NULL);
	CHECK(t, has(s, " unknown (9)\n") && has(s, " 0x0 (none)\n"),
	      "text info: unknown enum value and no caps");
	free(s);

	edu_card(&cards[0], "/dev/busmaster0");
	edu_card(&cards[1], "/dev/busmaster1");
	cards[1].err = EACCES;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.list(&o.ctx, cards, 2);
	s = out_end(&o, NULL, NULL);
	CHECK(t, has(s, "/dev/busmaster0  0000:00:04.0  edu        28-bit DMA  no S/G  bounce: map_registers\n"),
	      "text list: one line per card");
	CHECK(t, has(s, "bmctl: /dev/busmaster1: Permission denied (run as root"),
	      "text list: a card that cannot be opened is named");
	free(s);
}

static const char *const keys[] = {
	"\"device\": ", "\"pci_slot\": ", "\"card_model\": ",
	"\"card_model_name\": ", "\"pci_vendor\": ", "\"pci_device\": ",
	"\"pci_revision\": ", "\"driver_version\": ", "\"abi_version\": ",
	"\"irq_mode\": ", "\"irq_mode_name\": ", "\"irq_vectors\": ",
	"\"card_addr_bits\": ", "\"dma_addr_bits\": ", "\"caps\": ",
	"\"caps_names\": ", "\"alignment\": ", "\"max_segments\": ",
	"\"max_segment_size\": ", "\"max_transfer_size\": ",
	"\"card_mem_size\": ", "\"dma_channels\": ", "\"bounce\": ",
	"\"bounce_name\": ", "\"map_registers\": ",
};

static void test_json(struct test_state *t, const char *dir)
{
	struct bmctl_error e = { "/dev/busmaster3", ENOENT, NULL,
				 "is the \"busmaster\" module loaded?" };
	struct bmctl_card cards[2];
	struct output o;
	int all = 1;
	size_t k;
	char *s;

	edu_card(&cards[0], "/dev/busmaster0");
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.info(&o.ctx, &cards[0]);
	s = out_end(&o, dir, "info.json");
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		all &= has(s, keys[k]);
	CHECK(t, all, "json info: every INFO field under its uapi name");
	CHECK(t, has(s, "\"map_registers\": 2") &&
		 has(s, "\"pci_vendor\": 4660") &&
		 has(s, "\"card_model_name\": \"edu\"") &&
		 has(s, "\"bounce_name\": \"map_registers\"") &&
		 has(s, "\"max_segment_size\": 4095"),
	      "json info: values are raw numbers, names beside enums");
	free(s);

	cards[1] = cards[0];
	cards[1].info.card_model = 77;
	cards[1].info.caps = 3;
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.list(&o.ctx, cards, 2);
	s = out_end(&o, dir, "list.json");
	CHECK(t, s && s[0] == '[' && has(s, "\"card_model_name\": null") &&
		 has(s, "\"scatter_gather\",\n"),
	      "json list: array; unknown enum is null; caps named");
	free(s);

	cards[0].err = EACCES;
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.list(&o.ctx, cards, 1);
	s = out_end(&o, dir, "list-error.json");
	CHECK(t, has(s, "\"error\": {") && has(s, "\"errno\": 13") &&
		 !strstr(s, "\"pci_slot\""),
	      "json list: a failed card carries its error, not fields");
	free(s);

	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.list(&o.ctx, cards, 0);
	s = out_end(&o, dir, "list-empty.json");
	CHECK(t, s && !strcmp(s, "[]\n"), "json list: no cards is []");
	free(s);

	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.error(&o.ctx, &e);
	s = out_end(&o, dir, "error.json");
	CHECK(t, has(s, "\"message\": \"/dev/busmaster3: No such file or directory (is the \\\"busmaster\\\" module loaded?)\"") &&
		 has(s, "\"errno\": 2"),
	      "json error: message escaped, errno given");
	free(s);

	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.help(&o.ctx, NULL);
	s = out_end(&o, dir, "help.json");
	CHECK(t, has(s, "\"usage\": \"bmctl [--json] info [DEVICE]\"") &&
		 has(s, "\"help\": \"show \\\"a\\\" card\""),
	      "json help: commands with usage lines");
	free(s);

	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.version(&o.ctx);
	s = out_end(&o, dir, "version.json");
	/* The ABI this bmctl was built for: 3 added XFER_COPY and XFER_PIN. */
	CHECK(t, has(s, "\"libbusmaster\": \"") && has(s, "\"abi_version\": 3"),
	      "json version");
	free(s);
}

static void test_transfer(struct test_state *t, const char *dir)
{
	struct bmctl_error e = { "/dev/busmaster0", 110,
				 "write of 64 MiB at card offset 0x0: the card did not finish in time; its DMA channel was stopped, after 1.5 MiB",
				 NULL };
	struct bmctl_xfer_report r = {
		.op = BMCTL_OP_WRITE, .device = "/dev/busmaster0",
		.pci_slot = "0000:00:05.0", .offset = 0, .length = 64 << 20,
		.bytes = 64 << 20, .transfers = 17, .seconds = 0.082643,
		.elapsed = 0.1, .file = "fw.bin",
	};
	struct output o;
	char *s;

	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.transfer(&o.ctx, &r);
	s = out_end(&o, NULL, NULL);
	CHECK(t, has(s, "wrote 64 MiB to card 0000:00:05.0 at offset 0 in 17 card transfers, 812 MB/s\n"),
	      "text write summary");
	free(s);

	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.transfer(&o.ctx, &r);
	s = out_end(&o, dir, "write.json");
	CHECK(t, has(s, "\"bytes\": 67108864") && has(s, "\"transfers\": 17") &&
		 has(s, "\"seconds\": 0.082643") &&
		 has(s, "\"mb_per_s\": 812.") &&
		 has(s, "\"device\": \"/dev/busmaster0\"") &&
		 has(s, "\"offset\": 0") &&
		 has(s, "\"direction\": \"to_card\"") &&
		 has(s, "\"buffer\": \"user\"") && !strstr(s, "\"error\"") &&
		 has(s, "\"user_path\": \"driver\""),
	      "json write: bytes, transfers, seconds, mb_per_s, device, offset, direction, user_path");
	free(s);

	/* --copy and --pin: said where the buffer is described */
	r.user_path = BMCTL_USER_COPY;
	r.buffer_size = 4 << 20;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.transfer(&o.ctx, &r);
	s = out_end(&o, NULL, NULL);
	CHECK(t, has(s, "wrote 64 MiB to card 0000:00:05.0 at offset 0 through a user buffer of 4 MiB (copied through the driver's buffer: --copy) in 17 card transfers, 812 MB/s\n"),
	      "text write --copy: the user buffer, copied by the driver");
	free(s);
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.transfer(&o.ctx, &r);
	s = out_end(&o, dir, "write-copy.json");
	CHECK(t, has(s, "\"buffer\": \"user\"") &&
		 has(s, "\"user_path\": \"copy\""),
	      "json write --copy: buffer user, user_path copy");
	free(s);
	r.user_path = BMCTL_USER_PIN;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.transfer(&o.ctx, &r);
	s = out_end(&o, NULL, NULL);
	CHECK(t, has(s, "wrote 64 MiB to card 0000:00:05.0 at offset 0 through a user buffer of 4 MiB (pinned and mapped for each request: --pin) in 17 card transfers"),
	      "text write --pin: the user buffer, pinned");
	free(s);
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.transfer(&o.ctx, &r);
	s = out_end(&o, dir, "write-pin.json");
	CHECK(t, has(s, "\"user_path\": \"pin\""), "json write --pin: user_path pin");
	free(s);
	r.user_path = BMCTL_USER_DRIVER;
	r.buffer_size = 0;

	r.op = BMCTL_OP_VERIFY;
	r.pattern = BMCTL_PATTERN_SEED;
	r.seed = 7;
	r.mismatches = 12;
	r.first_mismatch = 0x1234;
	r.expected = 0x5a;
	r.transfers = 1;
	r.common = true;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.transfer(&o.ctx, &r);
	s = out_end(&o, NULL, NULL);
	CHECK(t, has(s, "mismatch: 12 of 64 MiB of card 0000:00:05.0 at offset 0 differ from seed 7; the first at card offset 0x1234 (expected 0x5a, read 0x00)\n"),
	      "text verify mismatch: first offset and count");
	free(s);
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.transfer(&o.ctx, &r);
	s = out_end(&o, dir, "verify-mismatch.json");
	CHECK(t, has(s, "\"match\": false") &&
		 has(s, "\"mismatched_bytes\": 12") &&
		 has(s, "\"first_mismatch_offset\": 4660") &&
		 has(s, "\"direction\": \"from_card\"") &&
		 has(s, "\"buffer\": \"common\"") && has(s, "\"seed\": 7") &&
		 !strstr(s, "user_path"),
	      "json verify mismatch (a common buffer: no user_path)");
	free(s);

	r.op = BMCTL_OP_READ;
	r.pattern = BMCTL_PATTERN_NONE;
	r.data_on_stdout = true;
	r.file = "-";
	out_begin(&o, &bmctl_text_ops);
	o.ctx.out = stdout;	/* must stay empty: the data goes there */
	bmctl_text_ops.transfer(&o.ctx, &r);
	s = out_end(&o, NULL, NULL);
	CHECK(t, has(s, "read 64 MiB from card 0000:00:05.0 at offset 0 in 1 card transfer, "),
	      "text read to stdout: summary on the error stream, 1 transfer");
	free(s);

	r.op = BMCTL_OP_WRITE;
	r.bytes = 3 << 19;
	r.card_status = 0x86;
	r.card_model = BUSMASTER_MODEL_CARD;
	r.error = &e;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.transfer(&o.ctx, &r);
	s = out_end(&o, NULL, NULL);
	CHECK(t, s && !strcmp(s, "bmctl: /dev/busmaster0: write of 64 MiB at card offset 0x0: the card did not finish in time; its DMA channel was stopped, after 1.5 MiB\n"),
	      "text failure: device, operation, reason, bytes before");
	free(s);
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.transfer(&o.ctx, &r);
	s = out_end(&o, dir, "write-error.json");
	CHECK(t, has(s, "\"bytes\": 1572864") && has(s, "\"errno\": 110") &&
		 has(s, "\"card_status_name\": \"ERR_HOST\"") &&
		 has(s, "\"error\": {"),
	      "json failure: bytes moved, errno, card status");
	free(s);

	r.op = BMCTL_OP_FILL;
	r.error = NULL;
	r.data_on_stdout = false;
	r.pattern = BMCTL_PATTERN_BYTE;
	r.byte = 0;
	r.common = false;
	r.registered = true;
	r.no_sync = true;
	r.buffer_size = 4 << 20;
	r.requests = 16;
	r.bytes = 64 << 20;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.transfer(&o.ctx, &r);
	s = out_end(&o, NULL, NULL);
	CHECK(t, has(s, "filled 64 MiB of card 0000:00:05.0 at offset 0 with byte 0x00 through a registered buffer of 4 MiB (pinned and mapped once for 16 requests, synced by bmctl) in 1 card transfer, "),
	      "text fill through a registered buffer");
	free(s);
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.transfer(&o.ctx, &r);
	s = out_end(&o, dir, "fill-registered.json");
	CHECK(t, has(s, "\"buffer\": \"registered\"") &&
		 has(s, "\"buffer_size\": 4194304") &&
		 has(s, "\"sync\": \"explicit\"") &&
		 has(s, "\"requests\": 16") && !strstr(s, "user_path"),
	      "json fill through a registered buffer: buffer, size, sync, requests; no user_path");
	free(s);
}

static void test_human(struct test_state *t)
{
	static const struct { uint64_t v; const char *s; } cases[] = {
		{ 0, "0 bytes" }, { 1, "1 byte" }, { 1023, "1023 bytes" },
		{ 1024, "1 KiB" }, { 1536 << 10, "1.5 MiB" },
		{ 64ULL << 20, "64 MiB" }, { 3000000, "2.9 MiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};
	char buf[BM_SIZE_STR_LEN];
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		bmctl_human_size(cases[k].v, buf, sizeof(buf));
		CHECK(t, !strcmp(buf, cases[k].s), "bmctl_human_size(%llu) = %s",
		      (unsigned long long)cases[k].v, cases[k].s);
	}
}

/* bmctl stats: the driver's copy counters, when it has them (ABI 3 on) */
static void test_stats(struct test_state *t, const char *dir)
{
	struct bmctl_card card;
	struct output o;
	char *s;

	edu_card(&card, "/dev/busmaster0");
	card.stats.requests = 9;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.stats(&o.ctx, &card);
	s = out_end(&o, NULL, NULL);
	CHECK(t, row_is(s, "requests", "9") && !strstr(s, "copied"),
	      "text stats, driver without copy counters: no rows for them");
	free(s);
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.stats(&o.ctx, &card);
	s = out_end(&o, dir, "stats-abi2.json");
	CHECK(t, has(s, "\"requests\": 9") && !strstr(s, "_copied"),
	      "json stats, driver without copy counters: no keys for them");
	free(s);

	card.has_copy_stats = true;
	card.copy.requests_copied = 7;
	card.copy.bytes_copied = 3 << 19;
	out_begin(&o, &bmctl_text_ops);
	bmctl_text_ops.stats(&o.ctx, &card);
	s = out_end(&o, NULL, NULL);
	CHECK(t, row_is(s, "requests copied (not pinned)", "7") &&
		 row_is(s, "bytes copied", "1572864 (1.5 MiB)"),
	      "text stats: requests and bytes copied");
	free(s);
	out_begin(&o, &bmctl_json_ops);
	bmctl_json_ops.stats(&o.ctx, &card);
	s = out_end(&o, dir, "stats.json");
	CHECK(t, has(s, "\"requests_copied\": 7") &&
		 has(s, "\"bytes_copied\": 1572864"),
	      "json stats: requests_copied, bytes_copied");
	free(s);
}

int main(int argc, char **argv)
{
	struct test_state t = { 0, 0 };

	test_text(&t);
	test_json(&t, argc > 1 ? argv[1] : NULL);
	test_transfer(&t, argc > 1 ? argv[1] : NULL);
	test_stats(&t, argc > 1 ? argv[1] : NULL);
	test_human(&t);
	return test_done(&t);
}
