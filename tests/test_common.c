/* tests/test_common.c: common/ helpers against independent oracles: SHA-256 on the
 * FIPS 180-2 test vectors (and any split of the input giving the same digest). */
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sha256_vectors);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
