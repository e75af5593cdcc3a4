/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small streaming JSON writer: values are written as they come, with
 * two-space indentation, and strings are escaped so that any C string
 * (control characters, invalid UTF-8) gives valid JSON.
 */
#ifndef BMCTL_JSON_H
#define BMCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/**
 * struct json - writer state
 * @f: the stream written to
 * @depth: number of open objects and arrays
 * @need_comma: the current container already has a member
 */
struct json {
	FILE *f;
	int depth;
	bool need_comma;
};

void json_init(struct json *j, FILE *f);
/* End the top-level value with a newline */
void json_finish(struct json *j);

/*
 * @key names the member inside an object and must be NULL inside an
 * array and for the top-level value.
 */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
/* @val NULL writes null */
void json_string(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_int(struct json *j, const char *key, long long val);
/* A finite number, 6 decimals; NaN and infinities as null */
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

/* Write @s as a quoted, escaped JSON string */
void json_escape(FILE *f, const char *s);

#endif /* BMCTL_JSON_H */
