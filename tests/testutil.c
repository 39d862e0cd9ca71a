/* tests/testutil.c: suite runner and path helpers for the Check suites. */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>

int tu_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *tu_path(const char *rel)
{
    static char buf[8][4096];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", TEST_DIR, rel);
    return b;
}

const char *tu_root_path(const char *rel)
{
    static char buf[8][4096];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", EMOMC_SOURCE_DIR, rel);
    return b;
}

const char *tu_tmpdir(void)
{
    static char buf[8][256];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "/tmp/emomc-test-XXXXXX");
    if (!mkdtemp(b)) return "/tmp";
    return b;
}
