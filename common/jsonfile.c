/* common/jsonfile.c: JSON values in emomc's one number style and their atomic
 * output (see jsonfile.h). */
#include "common/jsonfile_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"

json_t *em_json_real(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

json_t *em_json_str(const char *s)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    /* Invalid UTF-8 (or an overlong/surrogate form jansson refuses): replace bytes. */
    size_t len = strlen(s);
    char *c = malloc(len + 1);
    if (!c) return NULL;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len((const unsigned char *)s + i);
        if (n == 0 || n > len - i) {
            c[i++] = '?';
            continue;
        }
        memcpy(c + i, s + i, n);
        i += n;
    }
    c[len] = '\0';
    j = json_string(c);
    if (!j)
        for (size_t i = 0; i < len; i++) c[i] = (unsigned char)c[i] < 0x80 ? c[i] : '?';
    if (!j) j = json_string(c);
    free(c);
    return j;
}

void em_json_set(json_t *obj, const char *key, json_t *value)
{
    json_object_set_new(obj, key, value ? value : json_null());
}

static char *dump(const json_t *doc, const char *what, em_error *err)
{
    char *text = doc ? json_dumps(doc, EM_JSON_FLAGS) : NULL;
    if (!text) em_fail(err, EM_ENOMEM, "%s: out of memory writing JSON", what);
    return text;
}

int em_json_write_file(const char *path, const json_t *doc, em_error *err)
{
    char *text = dump(doc, path, err);
    if (!text) return EM_ENOMEM;
    em_atomic_file af;
    int rc = em_atomic_open(&af, path, err);
    if (!rc) {
        fputs(text, af.fp);
        fputc('\n', af.fp);
        rc = em_atomic_commit(&af, err);
    }
    free(text);
    return rc;
}

int em_json_print(FILE *fp, const json_t *doc, em_error *err)
{
    char *text = dump(doc, "JSON output", err);
    if (!text) return EM_ENOMEM;
    int bad = fputs(text, fp) < 0 || fputc('\n', fp) == EOF;
    free(text);
    return bad ? em_fail(err, EM_EIO, "write error writing JSON") : EM_OK;
}
