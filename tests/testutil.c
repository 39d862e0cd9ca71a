/* tests/testutil.c: suite runner and path helpers for the Check suites. */
#include "tests/testutil.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "plots/gnuplot.h"

int tu_run_suite(Suite *s)
{
    /* What the emomc command sets at startup (cli/main.c): the library leaves the
     * BLAS threads and the gnuplot settings to its caller. */
    openblas_set_num_threads(1);
    plot_gnuplot_config(getenv("EMOMC_GNUPLOT"), getenv("TMPDIR"));
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

int tu_run_emomc(const char *args, char **output)
{
    size_t n = strlen(args) + strlen(EMOMC_BIN) + 32;
    char *cmd = malloc(n);
    snprintf(cmd, n, "'%s' %s 2>&1", EMOMC_BIN, args);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) {
        if (output) *output = strdup("(popen failed)");
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 2) buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int st = pclose(p);
    if (output) *output = buf;
    else free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tu_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *tu_read_file(const char *path)
{
    size_t n;
    return tu_read_file_len(path, &n);
}

char *tu_read_file_len(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "missing %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}
