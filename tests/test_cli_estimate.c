/* tests/test_cli_estimate.c: `emomc estimate`, `compare` and `simulate` as a user runs
 * them: outputs, exit codes, error messages, and no partial output files. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
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

/* Runs emomc and parses its standard output as JSON (standard error apart). */
static json_t *run_json(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", EMOMC_BIN, args);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    json_error_t je;
    json_t *doc = json_loadf(p, 0, &je);
    pclose(p);
    ck_assert_msg(doc != NULL, "emomc %s: not JSON: %s (line %d)", args, je.text, je.line);
    return doc;
}

static const char *write_file(const char *dir, const char *name, const char *text)
{
    static char path[4][1024];
    static int k;
    char *b = path[k++ % 4];
    snprintf(b, 1024, "%s/%s", dir, name);
    FILE *f = fopen(b, "w");
    fputs(text, f);
    fclose(f);
    return b;
}

/* What limits each layer, the ideal cycles, the energy parts summing to the total,
 * and the fit verdict, on targets made to be compute-, buffer- and DRAM-bound, and
 * one too big for its device. */
START_TEST(estimate_explains_the_cost)
{
    const char *dir = tu_tmpdir();
    char args[2048];
    /* vu9p as shipped: LeNet-5's conv1 under X:Y (28x28 outputs on 32x32 PEs). */
    json_t *doc = run_json("estimate --model lenet5 --hw vu9p --dataflow xy --format json --per-layer");
    json_t *r0 = json_array_get(json_object_get(doc, "results"), 0);
    json_t *layers = json_object_get(r0, "layers");
    ck_assert_int_eq(json_array_size(layers), 5);
    double sum = 0;
    for (size_t i = 0; i < json_array_size(layers); i++) {
        json_t *l = json_array_get(layers, i), *e = json_object_get(l, "energy_components_pj");
        double parts = 0;
        const char *keys[] = {"mac", "register", "buffer", "dram", "static"};
        for (int k = 0; k < 5; k++) parts += json_real_value(json_object_get(e, keys[k]));
        double total = json_real_value(json_object_get(l, "energy_pj"));
        ck_assert_msg(fabs(parts - total) <= 1e-9 * total, "layer %zu: parts %g, total %g", i,
                      parts, total);
        sum += total;
        /* Whole counts are integers, everything else reals, always. */
        ck_assert(json_is_integer(json_object_get(l, "macs")));
        ck_assert(json_is_real(json_object_get(l, "cycles")));
        ck_assert(json_is_real(json_object_get(l, "keep")));
    }
    ck_assert(fabs(sum - json_real_value(json_object_get(r0, "energy_pj"))) < 1e-6 * sum);
    /* conv1: 117600 MACs on 1024 PEs: at best ceil(114.84) = 115 cycles. */
    json_t *c1 = json_array_get(layers, 0);
    ck_assert_double_eq(json_real_value(json_object_get(c1, "ideal_cycles")), 115);
    ck_assert(json_is_true(json_object_get(json_object_get(r0, "fit"), "fits")));
    json_decref(doc);

    /* One word per cycle from the buffer: the array waits on it. */
    char hw[8192];
    FILE *f = fopen(tu_root_path("hwconfigs/vu9p.yaml"), "r");
    size_t n = fread(hw, 1, sizeof hw - 1, f);
    hw[n] = '\0';
    fclose(f);
    char slow[8192], big[8192], tiny[8192];
    const char *bw = strstr(hw, "buffer_words_per_cycle:");
    ck_assert_ptr_nonnull(bw);
    snprintf(slow, sizeof slow, "%.*sbuffer_words_per_cycle: 1%s", (int)(bw - hw), hw,
             strchr(bw, '\n'));
    snprintf(args, sizeof args, "estimate --model lenet5 --hw %s --dataflow xy --format json --per-layer",
             write_file(dir, "slow.yaml", slow));
    doc = run_json(args);
    r0 = json_array_get(json_object_get(doc, "results"), 0);
    c1 = json_array_get(json_object_get(r0, "layers"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c1, "bound")), "buffer");
    json_decref(doc);
    /* A 64 GB/s DRAM cut to 1 MB/s: every layer waits on DRAM. */
    const char *dr = strstr(hw, "dram_gbytes_per_s:");
    ck_assert_ptr_nonnull(dr);
    snprintf(tiny, sizeof tiny, "%.*sdram_gbytes_per_s: 0.001%s", (int)(dr - hw), hw, strchr(dr, '\n'));
    snprintf(args, sizeof args, "estimate --model lenet5 --hw %s --dataflow xy --format json --per-layer",
             write_file(dir, "tiny.yaml", tiny));
    doc = run_json(args);
    r0 = json_array_get(json_object_get(doc, "results"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(r0, "bound")), "DRAM");
    json_decref(doc);
    /* A 4096 x 4096 array: far more LUTs than a VU9P has. */
    const char *rows = strstr(hw, "rows:"), *cols = strstr(hw, "cols:");
    ck_assert(rows && cols && rows < cols);
    snprintf(big, sizeof big, "%.*srows: 4096%.*scols: 4096%s", (int)(rows - hw), hw,
             (int)(cols - strchr(rows, '\n')), strchr(rows, '\n'), strchr(cols, '\n'));
    const char *bigp = write_file(dir, "big.yaml", big);
    snprintf(args, sizeof args, "estimate --model lenet5 --hw %s --dataflow xy --format json", bigp);
    doc = run_json(args);
    json_t *fit = json_object_get(json_array_get(json_object_get(doc, "results"), 0), "fit");
    ck_assert(json_is_false(json_object_get(fit, "fits")));
    ck_assert(json_is_false(json_object_get(fit, "luts_fit")));
    ck_assert_int_eq(json_array_size(json_object_get(fit, "reasons")), 1);
    json_decref(doc);
    snprintf(args, sizeof args, "estimate --model lenet5 --hw %s --dataflow xy", bigp);
    RUN(args, 0, "warning: does not fit vu9p under X:Y: the PE array needs");
    RUN(args, 0, "fit on vu9p: NO");
    RUN("estimate --model lenet5 --hw vu9p --dataflow xy", 0, "mac% reg% buf% dram% stat%: shares");
}
END_TEST

/* Names with a tab, quotes and a comma come out as valid JSON and quoted CSV. */
START_TEST(outputs_escape_names)
{
    const char *dir = tu_tmpdir();
    char text[4096], args[2048];
    FILE *f = fopen(tu_root_path("models/lenet5.yaml"), "r");
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    char *name = strstr(text, "name: lenet5");
    ck_assert_ptr_nonnull(name);
    char yaml[4200];
    snprintf(yaml, sizeof yaml, "%.*sname: \"le\\tnet \\\"5\\\", odd\"%s", (int)(name - text), text,
             name + strlen("name: lenet5"));
    const char *path = write_file(dir, "odd.yaml", yaml);
    snprintf(args, sizeof args, "estimate --model %s --hw vu9p --dataflow xy --format json", path);
    json_t *doc = run_json(args);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "model")), "le\tnet \"5\", odd");
    json_decref(doc);
    snprintf(args, sizeof args, "simulate --model %s --layer conv2 --hw zcu102 --dataflow cico "
             "--format json", path);
    doc = run_json(args);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "model")), "le\tnet \"5\", odd");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "layer")), "conv2");
    json_decref(doc);
    snprintf(args, sizeof args, "estimate --model %s --hw vu9p --dataflow xy --format csv", path);
    RUN(args, 0, "\"le\tnet \"\"5\"\", odd\",vu9p,fpga,X:Y,normal,total,");
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
    /* The two objects hold the same numbers on a dense layer; counts are reals, the
     * array's size integers. */
    json_t *doc = run_json("simulate --model lenet5 --layer conv2 --hw zcu102 --dataflow cico "
                           "--format json");
    json_t *sim = json_object_get(doc, "simulated"), *an = json_object_get(doc, "analytic");
    ck_assert(json_is_real(json_object_get(sim, "cycles")));
    ck_assert(json_real_value(json_object_get(sim, "cycles")) > 0);
    ck_assert_int_eq(json_object_size(sim), 11);
    ck_assert(json_equal(sim, an));
    ck_assert(json_is_integer(json_object_get(doc, "rows")));
    ck_assert_str_eq(json_string_value(json_object_get(doc, "dataflow")), "CI:CO");
    json_decref(doc);
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
    tcase_add_test(tc, estimate_explains_the_cost);
    tcase_add_test(tc, outputs_escape_names);
    tcase_add_test(tc, compare_plot);
    tcase_add_test(tc, simulate_layer);
    tcase_add_test(tc, eval_compressed);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
