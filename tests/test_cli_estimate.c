/* tests/test_cli_estimate.c: `emomc estimate`, `compare` and `simulate` as a user runs
 * them: outputs, exit codes, error messages, and no partial output files. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testutil.h"

#define RUN(args, expect_rc, needle)                                                     \
    do {                                                                                 \
        char *_out = NULL;                                                               \
        int _rc = tu_run_emomc(args, &_out);                                             \
        if (!_out) _out = strdup("");                                                    \
        ck_assert_msg(_rc == (expect_rc), "emomc %s: exit %d, expected %d; output:\n%s", \
                      args, _rc, expect_rc, _out);                                       \
        const char *_needle = (needle);                                                  \
        int _found = strstr(_out, _needle) != NULL;                                      \
        ck_assert_msg(_found, "emomc %s: output lacks '%s':\n%s", args, _needle, _out);   \
        free(_out);                                                                      \
    } while (0)

START_TEST(estimate_outputs)
{
    RUN("estimate --model lenet5 --hw vu9p", 0, "CI:CO");
    RUN("estimate --model lenet5 --hw emomc2021 --dataflow xy --bits 16", 0, "X:Y");
    RUN("estimate --model lenet5 --hw vu9p --dataflow co:x --per-layer", 0, "conv3");
    RUN("estimate --model lenet5 --hw vu9p --format json --per-layer", 0, "\"buffer_reads\"");
    RUN("estimate --model lenet5 --hw vu9p --format csv --coding all", 0,
        "model,hw,cost_model,dataflow,coding,layer");
    RUN("estimate --model lenet5 --hw vu9p --keep 0.9,0.5,0.3,0.3,0.8 --bits 8,6,5,5,8", 0, "X:FX");
    RUN("estimate --help", 0, "usage: emomc estimate");
}
END_TEST

extern char **environ;

/* Runs emomc with argv, standard output to out_path, standard error to err_path;
 * returns the exit status. */
static int run_redirected(char *const argv[], const char *out_path, const char *err_path)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int e = posix_spawn(&pid, EMOMC_BIN, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ck_assert_int_eq(e, 0);
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A write error on standard output (a full device, made with mknod here; root only)
 * fails the command with a message, for tables, JSON, CSV and --help alike. */
START_TEST(stdout_write_errors_fail)
{
    const char *dir = tu_tmpdir();
    char full[512], errf[512];
    snprintf(full, sizeof full, "%s/full", dir);
    snprintf(errf, sizeof errf, "%s/err.txt", dir);
    if (mknod(full, S_IFCHR | 0666, makedev(1, 7)) != 0) {
        fprintf(stderr, "stdout_write_errors_fail: mknod: %s (not root?): skipped\n",
                strerror(errno));
        return;
    }
    char *cases[][9] = {
        {"emomc", "estimate", "--model", "lenet5", "--hw", "vu9p", NULL},
        {"emomc", "estimate", "--model", "lenet5", "--hw", "vu9p", "--format", "json", NULL},
        {"emomc", "estimate", "--model", "lenet5", "--hw", "vu9p", "--format", "csv", NULL},
        {"emomc", "estimate", "--help", NULL},
        {"emomc", "--help", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run_redirected(cases[i], full, errf);
        ck_assert_msg(rc == 1, "case %zu: exit %d, expected 1", i, rc);
        FILE *f = fopen(errf, "r");
        char msg[512] = "";
        size_t n = fread(msg, 1, sizeof msg - 1, f);
        msg[n] = '\0';
        fclose(f);
        ck_assert_msg(strstr(msg, "write error on standard output"), "case %zu: %s", i, msg);
    }
}
END_TEST

/* Long commands check their outputs before the work (no epoch is spent on a path that
 * cannot be written), and targets that are not files say what they are. */
START_TEST(outputs_checked_before_work)
{
    const char *dir = tu_tmpdir();
    char args[2048];
    snprintf(args, sizeof args, "train --model lenet5 --data mnist --epochs 1 --out %s/", dir);
    RUN(args, 1, "names a folder");
    snprintf(args, sizeof args, "train --model lenet5 --data mnist --epochs 1 --out %s", dir);
    RUN(args, 1, "is a directory");
    snprintf(args, sizeof args, "estimate --model lenet5 --hw vu9p --out %s", dir);
    RUN(args, 1, "is a directory");
    RUN("estimate --model lenet5 --hw /tmp", 1, "'/tmp' is a directory");
    snprintf(args, sizeof args, "estimate --model %s --hw vu9p", dir);
    RUN(args, 1, "is a directory");
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    snprintf(args, sizeof args, "estimate --model lenet5 --hw %s", fifo);
    RUN(args, 1, "is not a regular file");
    /* A device as --out of train: its checkpoint has no place beside it. */
    char full[512];
    snprintf(full, sizeof full, "%s/full", dir);
    if (mknod(full, S_IFCHR | 0666, makedev(1, 7)) == 0) {
        snprintf(args, sizeof args, "train --model lenet5 --data mnist --epochs 1 --out %s", full);
        RUN(args, 2, "give --checkpoint PATH");
        /* estimate --out a full device: the error is reported, the device stays. */
        snprintf(args, sizeof args, "estimate --model lenet5 --hw vu9p --out %s", full);
        RUN(args, 1, "No space left on device");
        struct stat st;
        ck_assert_int_eq(stat(full, &st), 0);
        ck_assert(S_ISCHR(st.st_mode));
    }
    /* Nothing but what the test made is left in the folder (no checkpoint, no temporary). */
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))) n++;
    closedir(d);
    ck_assert_int_eq(n, tu_file_exists(full) ? 2 : 1);
}
END_TEST

START_TEST(estimate_bad_input)
{
    RUN("estimate --model lenet5", 2, "--hw is required");
    RUN("estimate --model lenet5 --hw vu9p --keep 1.5", 2, "--keep: 1.5 is out of range");
    RUN("estimate --model lenet5 --hw vu9p --bits 0", 2, "--bits: 0 is out of range");
    RUN("estimate --model lenet5 --hw vu9p --dataflow zz", 2, "--dataflow");
    RUN("estimate --model lenet5 --hw vu9p --coding zip", 2, "--coding");
    RUN("estimate --model lenet5 --hw vu9p --keep 0.5,0.5", 2, "lists 2 values but lenet5 has 5");
    RUN("estimate --model lenet5 --hw vu9p --frobnicate", 2, "unknown or incomplete option");
    RUN("estimate --model nosuchmodel --hw vu9p", 1, "model 'nosuchmodel'");
    RUN("estimate --model lenet5 --hw emomc2021 --dataflow co:x", 1, "emomc2021");

    /* A malformed target names the file, line and key, and --out is not created. */
    const char *dir = tu_tmpdir();
    char hw[512], out[512], args[2048];
    snprintf(hw, sizeof hw, "%s/bad.yaml", dir);
    snprintf(out, sizeof out, "%s/out.txt", dir);
    FILE *f = fopen(hw, "w");
    fputs("name: bad\ncost_model: emomc2021\nemomc2021: {mac: 0.102, read: 0.728, write: 0.447, "
          "weight_ref_bits: 16}\nfrobs: 3\n", f);
    fclose(f);
    snprintf(args, sizeof args, "estimate --model lenet5 --hw %s --out %s", hw, out);
    RUN(args, 1, "bad.yaml:4");
    ck_assert(!tu_file_exists(out));
    snprintf(args, sizeof args, "estimate --model lenet5 --hw vu9p --keep 0.5,0.5 --out %s", out);
    RUN(args, 2, "lists 2 values");
    ck_assert(!tu_file_exists(out));
    snprintf(args, sizeof args, "estimate --model lenet5 --hw vu9p --out %s", out);
    char *quiet_out = NULL;
    ck_assert_int_eq(tu_run_emomc(args, &quiet_out), 0);
    ck_assert_str_eq(quiet_out, ""); /* the table went to the file */
    free(quiet_out);
    ck_assert(tu_file_exists(out));
}
END_TEST

START_TEST(compare_plot)
{
    const char *dir = tu_tmpdir();
    char png[512], args[1024];
    snprintf(png, sizeof png, "%s/chart.png", dir);
    snprintf(args, sizeof args, "compare --model lenet5 --hw zcu102 --plot %s", png);
    RUN(args, 0, "FX:FY");
    FILE *f = fopen(png, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char sig[8] = {0};
    ck_assert_int_eq(fread(sig, 1, 8, f), 8);
    fclose(f);
    ck_assert(sig[1] == 'P' && sig[2] == 'N' && sig[3] == 'G');
    snprintf(args, sizeof args, "compare --model lenet5 --hw zcu102 --plot %s/chart.gif", dir);
    RUN(args, 1, "must end in .png, .svg or .pdf");
}
END_TEST

START_TEST(simulate_layer)
{
    /* Dense: simulated and analytic counts agree exactly (diff 0). */
    RUN("simulate --model lenet5 --layer conv2 --hw zcu102 --dataflow xfx", 0, "dense");
    char *out = NULL;
    ck_assert_int_eq(tu_run_emomc("simulate --model lenet5 --layer conv2 --hw zcu102 "
                                  "--dataflow cico --format json", &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"cycles\""));
    /* The two objects print the same numbers on a dense layer. */
    char *sim = strstr(out, "\"simulated\""), *an = strstr(out, "\"analytic\"");
    ck_assert(sim && an);
    ck_assert_int_eq(strncmp(strchr(sim, '{'), strchr(an, '{'), (size_t)(an - sim) - 16), 0);
    free(out);
    RUN("simulate --model lenet5 --layer conv3 --hw vu9p --dataflow xy --keep 0.3 --seed 7", 0,
        "random mask");
    RUN("simulate --model lenet5 --layer relu1 --hw vu9p --dataflow xy", 2, "no conv or linear layer");
    RUN("simulate --model lenet5 --layer conv1 --hw emomc2021 --dataflow xy", 2, "no PE array");
    RUN("simulate --model lenet5 --layer conv1 --hw vu9p", 2, "required");
}
END_TEST

/* emomc eval --keep/--bits: the compressed model is evaluated (fewer correct than
 * dense at 2 bits), and bad values are usage errors. */
START_TEST(eval_compressed)
{
    char args[2048], *out = NULL;
    double dense, two_bit;
    snprintf(args, sizeof args, "eval --model lenet5 --weights %s --data %s --limit 500 --quiet",
             tu_root_path("models/lenet5-mnist.emw"), tu_root_path("data/mnist"));
    ck_assert_int_eq(tu_run_emomc(args, &out), 0);
    ck_assert_int_eq(sscanf(out, "%lf", &dense), 1);
    free(out);
    strcat(args, " --keep 0.3 --bits 2");
    ck_assert_int_eq(tu_run_emomc(args, &out), 0);
    ck_assert_int_eq(sscanf(out, "%lf", &two_bit), 1);
    free(out);
    ck_assert(dense > 97.0);
    ck_assert(two_bit < dense - 10.0);
    RUN("eval --model lenet5 --weights x.emw --data mnist --bits 40", 2, "--bits");
    RUN("eval --model lenet5 --weights x.emw --data mnist --keep -1", 2, "--keep");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_estimate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, estimate_outputs);
    tcase_add_test(tc, estimate_bad_input);
    tcase_add_test(tc, stdout_write_errors_fail);
    tcase_add_test(tc, outputs_checked_before_work);
    tcase_add_test(tc, compare_plot);
    tcase_add_test(tc, simulate_layer);
    tcase_add_test(tc, eval_compressed);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
