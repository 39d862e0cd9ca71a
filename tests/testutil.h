/* tests/testutil.h: helpers shared by the Check suites. */
#ifndef EMOMC_TESTUTIL_H
#define EMOMC_TESTUTIL_H

#include <check.h>
#include <math.h>

/* Runs one suite; returns the process exit code (0 when all pass). */
int tu_run_suite(Suite *s);

/* Relative/absolute closeness: |a-b| <= atol + rtol*|b|. */
#define ck_assert_close(a, b, rtol, atol)                                                  \
    do {                                                                                   \
        double _a = (double)(a), _b = (double)(b);                                         \
        ck_assert_msg(fabs(_a - _b) <= (atol) + (rtol)*fabs(_b),                            \
                      "%s = %.10g, expected %s = %.10g", #a, _a, #b, _b);                  \
    } while (0)

/* Path of a file under tests/ or the repository root. */
const char *tu_path(const char *rel);       /* TEST_DIR/rel */
const char *tu_root_path(const char *rel);  /* source root/rel */
/* A fresh temporary directory for the test (removed by the OS on reboot). */
const char *tu_tmpdir(void);

/* Runs `emomc <args>` (args is a shell-quoted string), capturing stdout+stderr into
 * *output (caller frees); returns the exit status (or -1). */
int tu_run_emomc(const char *args, char **output);

/* The whole file as a NUL-terminated string (caller frees); fails the test when it
 * cannot be read. tu_read_file_len also gives its length (it may hold NULs). */
char *tu_read_file(const char *path);
char *tu_read_file_len(const char *path, size_t *len);

/* Whether a file exists. */
int tu_file_exists(const char *path);

#endif
