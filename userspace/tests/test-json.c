// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side tests of bmctl's JSON writer: escaping and layout.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "test.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in;
	const char *out;
	const char *what;
} escape_cases[] = {
	{ "", "\"\"", "empty string" },
	{ "plain 0000:00:04.0", "\"plain 0000:00:04.0\"", "plain ASCII" },
	{ "a\"b\\c", "\"a\\\"b\\\\c\"", "quote and backslash" },
	{ "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"", "short escapes" },
	{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "other controls" },
	{ "/", "\"/\"", "slash kept" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"", "2-byte UTF-8 kept" },
	{ "\xe2\x82\xac", "\"\xe2\x82\xac\"", "3-byte UTF-8 kept" },
	{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "4-byte UTF-8 kept" },
	{ "\xff", "\"\\ufffd\"", "invalid byte replaced" },
	{ "a\x80z", "\"a\\ufffdz\"", "stray continuation replaced" },
	{ "\xc3", "\"\\ufffd\"", "truncated sequence at the end" },
	{ "\xe2\x82z", "\"\\ufffd\\ufffdz\"", "truncated 3-byte sequence" },
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong form replaced" },
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "surrogate replaced" },
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	  "above U+10FFFF replaced" },
};

/* Run @fn on a memory stream and compare what it wrote with @want */
static int writes(void (*fn)(FILE *f, const void *arg), const void *arg,
		  const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int same;

	f = open_memstream(&buf, &len);
	if (!f)
		return 0;
	fn(f, arg);
	fclose(f);
	same = !strcmp(buf, want);
	if (!same)
		printf("# got:  %s\n# want: %s\n", buf, want);
	free(buf);
	return same;
}

static void escape(FILE *f, const void *arg)
{
	json_escape(f, arg);
}

static void nested(FILE *f, const void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "device", "/dev/busmaster0");
	json_u64(&j, "max", 18446744073709551615ULL);
	json_int(&j, "neg", -2);
	json_bool(&j, "yes", true);
	json_null(&j, "nothing");
	json_string(&j, "null_string", NULL);
	json_array_begin(&j, "empty");
	json_array_end(&j);
	json_object_begin(&j, "empty_object");
	json_object_end(&j);
	json_array_begin(&j, "list");
	json_u64(&j, NULL, 1);
	json_object_begin(&j, NULL);
	json_string(&j, "k\"ey", "v");
	json_object_end(&j);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

static void empty_array(FILE *f, const void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, f);
	json_array_begin(&j, NULL);
	json_array_end(&j);
	json_finish(&j);
}

static const char nested_want[] =
	"{\n"
	"  \"device\": \"/dev/busmaster0\",\n"
	"  \"max\": 18446744073709551615,\n"
	"  \"neg\": -2,\n"
	"  \"yes\": true,\n"
	"  \"nothing\": null,\n"
	"  \"null_string\": null,\n"
	"  \"empty\": [],\n"
	"  \"empty_object\": {},\n"
	"  \"list\": [\n"
	"    1,\n"
	"    {\n"
	"      \"k\\\"ey\": \"v\"\n"
	"    }\n"
	"  ]\n"
	"}\n";

int main(void)
{
	struct test_state t = { 0, 0 };
	size_t k;

	for (k = 0; k < ARRAY_SIZE(escape_cases); k++)
		CHECK(&t, writes(escape, escape_cases[k].in,
				 escape_cases[k].out),
		      "json_escape: %s", escape_cases[k].what);
	CHECK(&t, writes(nested, NULL, nested_want),
	      "json writer: nesting, commas, keys, scalars");
	CHECK(&t, writes(empty_array, NULL, "[]\n"),
	      "json writer: empty top-level array");
	return test_done(&t);
}
