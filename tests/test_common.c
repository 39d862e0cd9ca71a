/* tests/test_common.c: common/ helpers against independent oracles: SHA-256 on the
 * FIPS 180-2 test vectors (and any split of the input giving the same digest); JSON
 * outputs (common/jsonfile) parsed back by jansson's reader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonfile_internal.h"
#include "common/sha256.h"
#include "tests/testutil.h"

static void digest(const char *msg, size_t n, size_t chunk, char out[65])
{
    em_sha256 s;
    em_sha256_init(&s);
    for (size_t i = 0; i < n; i += chunk) em_sha256_update(&s, msg + i, n - i < chunk ? n - i : chunk);
    em_sha256_hex(&s, out);
}

START_TEST(sha256_vectors)
{
    const struct { const char *msg, *hex; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char out[65];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        for (size_t chunk = 1; chunk <= 70; chunk += 23) {
            size_t n = strlen(v[i].msg);
            digest(v[i].msg, n, chunk, out);
            ck_assert_str_eq(out, v[i].hex);
        }
    /* One million 'a': crosses many blocks; fed in uneven pieces. */
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    digest(a, 1000000, 4093, out);
    ck_assert_str_eq(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}
END_TEST

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *s = calloc(1, 1 << 16);
    ck_assert_uint_lt(fread(s, 1, (1 << 16) - 1, f), (1 << 16) - 1);
    fclose(f);
    return s;
}

/* A name with a tab, quotes, a backslash and a newline, a non-UTF-8 byte, numbers of
 * each kind: the file parses back to the same strings, reals stay reals (a point
 * even on whole values), counts integers, NaN and infinity null; no temporary left. */
START_TEST(json_file_round_trips)
{
    const char *name = "le\tnet \"5\", a\\b\nc";
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/not/yet", tu_tmpdir());
    snprintf(path, sizeof path, "%s/out.json", dir);
    json_t *o = json_object();
    em_json_set(o, "name", em_json_str(name));
    em_json_set(o, "bad", em_json_str("a\xff" "b\xc3"));
    em_json_set(o, "none", em_json_str(NULL));
    em_json_set(o, "whole", em_json_real(9225.0));
    em_json_set(o, "third", em_json_real(1.0 / 3.0));
    em_json_set(o, "nan", em_json_real(NAN));
    em_json_set(o, "inf", em_json_real(-INFINITY));
    em_json_set(o, "count", json_integer(19393));
    em_error err = {0};
    ck_assert_msg(em_json_write_file(path, o, &err) == 0, "%s", err.msg);
    json_decref(o);
    char *text = read_all(path);
    ck_assert_ptr_nonnull(strstr(text, "\"whole\": 9225.0"));
    ck_assert_ptr_nonnull(strstr(text, "\"count\": 19393\n"));
    ck_assert_ptr_null(strchr(text, '\t')); /* escaped, never raw */
    json_error_t je;
    json_t *d = json_loads(text, 0, &je);
    ck_assert_msg(d != NULL, "%s: line %d: %s", path, je.line, je.text);
    ck_assert_str_eq(json_string_value(json_object_get(d, "name")), name);
    ck_assert_ptr_nonnull(strstr(text, "\"le\\tnet \\\"5\\\", a\\\\b\\nc\""));
    ck_assert_str_eq(json_string_value(json_object_get(d, "bad")), "a?b?");
    ck_assert(json_is_null(json_object_get(d, "none")));
    ck_assert(json_is_real(json_object_get(d, "whole")));
    ck_assert(json_real_value(json_object_get(d, "third")) == 1.0 / 3.0);
    ck_assert(json_is_null(json_object_get(d, "nan")) && json_is_null(json_object_get(d, "inf")));
    ck_assert(json_is_integer(json_object_get(d, "count")));
    json_decref(d);
    free(text);
    char ls[1200];
    snprintf(ls, sizeof ls, "ls -a %s | grep -q tmp", dir);
    ck_assert_int_ne(system(ls), 0);
    /* A folder in the way: an error naming the path, nothing written. */
    o = json_object();
    ck_assert_int_ne(em_json_write_file(dir, o, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, dir));
    json_decref(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sha256_vectors);
    tcase_add_test(tc, json_file_round_trips);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
