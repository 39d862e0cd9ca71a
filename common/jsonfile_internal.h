/* common/jsonfile_internal.h: JSON outputs through jansson, in one style: counts are JSON
 * integers, measured quantities JSON reals (always with a point or exponent, up to
 * 17 significant digits so they read back to the same double), unknown or infinite
 * values null, strings escaped by jansson (tabs, quotes, control characters) and
 * made valid UTF-8. Files are written through common/atomicfile (temporary, then
 * rename). Not installed: it exposes jansson's types. */
#ifndef EMOMC_COMMON_JSONFILE_H
#define EMOMC_COMMON_JSONFILE_H

#include <stdio.h>

#include <jansson.h>

#include "../common/error.h"

/* The dump flags every emomc JSON output uses. */
#define EM_JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(17))

/* A real, or null where v is NaN or infinite. */
json_t *em_json_real(double v);
/* A string; bytes that are not valid UTF-8 become '?'. NULL s gives null. */
json_t *em_json_str(const char *s);
/* Sets key of obj to value (stolen); a NULL value (jansson out of memory) sets null. */
void em_json_set(json_t *obj, const char *key, json_t *value);

/* Writes doc, newline-terminated, to path atomically; EM_ENOMEM or EM_EIO naming it. */
int em_json_write_file(const char *path, const json_t *doc, em_error *err);
/* Prints doc, newline-terminated, to fp; EM_EIO on a write error. */
int em_json_print(FILE *fp, const json_t *doc, em_error *err);

#endif
