/* tests/test_cli_flags.c: the command line as a user meets it: the one flag parser's
 * errors (unknown flag, missing value, out of range, bad choice), every subcommand's
 * --help naming every flag of its table, optimize --config --help, report/plot/export
 * on a benchmark run directory, estimate --weights (real non-zeros and recorded
 * bits), eval --bits per layer, and the files the README's tour names. Runs the
 * built emomc (EMOMC_BIN). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/weights.h"
#include "tests/testutil.h"

#define RUN(args, expect_rc, needle)                                                     \
    do {                                                                                 \
        char *_out = NULL;                                                               \
        int _rc = tu_run_emomc(args, &_out);                                             \
        if (!_out) _out = strdup("");                                                    \
        ck_assert_msg(_rc == (expect_rc), "emomc %s: exit %d, expected %d; output:\n%s", \
                      args, _rc, expect_rc, _out);                                       \
        ck_assert_msg(strstr(_out, needle) != NULL, "emomc %s: output lacks '%s':\n%s",  \
                      args, needle, _out);                                               \
        free(_out);                                                                      \
    } while (0)

START_TEST(flag_errors)
{
    RUN("estimate --model lenet5 --hw vu9p --frob", 2, "unknown or incomplete option '--frob'");
    RUN("estimate --model lenet5 --hw", 2, "--hw needs a value");
    RUN("optimize --problem zdt1 --out x --pop 1", 2, "--pop: 1 is out of range [2, 1000000]");
    RUN("estimate --model lenet5 --hw vu9p --format xml", 2,
        "--format: 'xml' (expected one of table, csv, json)");
    RUN("train --model lenet5 --data mnist --epochs 1 --out x.emw --optimizer rms", 2,
        "--optimizer: 'rms' (expected one of sgd, adam)");
    RUN("estimate --model lenet5 --hw vu9p stray", 2, "unexpected argument 'stray'");
    RUN("estimate --model lenet5 --hw vu9p --per-layer=yes", 2, "--per-layer takes no value");
    RUN("estimate --model=lenet5 --hw=vu9p --dataflow=xy", 0, "X:Y");
    RUN("report a b", 2, "unexpected argument 'b'");
    RUN("demo --pop x", 2, "--pop: 'x' is not an integer");
    RUN("eval --model lenet5 --weights w.emw --data mnist --quiet -x", 2, "unknown or incomplete option '-x'");
}
END_TEST

/* Required flags are checked in the order each command documents, one message each,
 * before any file is opened; --weights is not needed with an .onnx model. */
START_TEST(required_flags)
{
    static const char *const cases[][2] = {
        {"eval", "emomc eval: --model is required"},
        {"eval --model lenet5", "--weights is required (except with an .onnx model)"},
        {"eval --model m.onnx", "--data is required"},
        {"eval --model lenet5 --weights w.emw --data mnist --val-split 1.5",
         "--val-split: 1.5 is neither a count nor a fraction below 1"},
        {"library --model m.onnx --data d", "--keep is required (e.g. 0.8:0.2:0.01)"},
        {"library --model m --weights w --data d --keep 0.8:0.2:0.1", "--out is required"},
        {"library --model m --weights w --data d --keep 0.8:0.2:0.1 --out o --val-split 2.5",
         "--val-split: 2.5 is neither"},
        {"train --model m", "emomc train: --data is required"},
        {"train --model m --data d", "--epochs is required"},
        {"train --model m --data d --epochs 1", "--out is required"},
        {"optimize --problem zdt1", "emomc optimize: --out is required"},
        {"estimate --model lenet5", "emomc estimate: --hw is required"},
        {"compare", "emomc compare: --model is required"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) RUN(cases[i][0], 2, cases[i][1]);
}
END_TEST

/* Every flag of a subcommand's table (--help-flags) is named in its --help. */
static void check_help(const char *cmd)
{
    char args[256], *flags = NULL, *help = NULL;
    snprintf(args, sizeof args, "%s --help-flags", cmd);
    ck_assert_int_eq(tu_run_emomc(args, &flags), 0);
    snprintf(args, sizeof args, "%s --help", cmd);
    ck_assert_int_eq(tu_run_emomc(args, &help), 0);
    ck_assert_msg(strstr(help, "usage: emomc"), "%s --help: %s", cmd, help);
    int n = 0;
    for (char *line = strtok(flags, "\n"); line; line = strtok(NULL, "\n"), n++) {
        line[strcspn(line, "\t,")] = '\0';
        ck_assert_msg(strstr(help, line), "emomc %s --help does not mention %s:\n%s", cmd, line, help);
    }
    ck_assert_msg(n > 0, "%s --help-flags listed nothing", cmd);
    free(flags);
    free(help);
}

START_TEST(help_matches_tables)
{
    const char *cmds[] = {"estimate", "compare", "simulate", "train", "eval", "library",
                          "optimize", "optimize --config x.yaml", "report", "export", "plot", "stats",
                          "demo"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) check_help(cmds[i]);
    RUN("optimize --config --help", 0, "usage: emomc optimize --config RUN.yaml");
    RUN("optimize --help", 0, "see --config --help");
}
END_TEST

START_TEST(benchmark_rundir)
{
    char args[1024], dir[512];
    snprintf(dir, sizeof dir, "%s/zdt1", tu_tmpdir());
    snprintf(args, sizeof args, "optimize --problem zdt1 --pop 8 --gens 3 --quiet --out %s", dir);
    ck_assert_int_eq(tu_run_emomc(args, NULL), 0);
    const char *cmds[] = {"report %s", "plot %s", "export %s --out /tmp/never-written.onnx"};
    for (int i = 0; i < 3; i++) {
        char c[600];
        snprintf(c, sizeof c, cmds[i], dir);
        RUN(c, 1, "is a benchmark run");
        RUN(c, 1, "front.csv");
    }
    ck_assert(!tu_file_exists("/tmp/never-written.onnx"));
}
END_TEST

/* The zoo's LeNet-5 with conv1 pruned to its first 30 weights and bits recorded for
 * conv1 only: estimate --weights reads the non-zeros and conv1's bits. */
START_TEST(estimate_weights)
{
    const char *dir = tu_tmpdir();
    char path[512], args[1024];
    snprintf(path, sizeof path, "%s/sparse.emw", dir);
    nn_weights *w = NULL;
    em_error err = {0};
    ck_assert_int_eq(nn_weights_load(tu_root_path("models/lenet5-mnist.emw"), &w, &err), 0);
    nn_wtensor *t = (nn_wtensor *)nn_weights_find(w, "conv1.weight");
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 30; i < t->numel; i++) ((float *)t->data)[i] = 0;
    ((float *)t->data)[0] = 0.5f; /* surely non-zero */
    ck_assert_int_eq(nn_weights_set_meta(w, "emomc.bits.conv1", "4", &err), 0);
    ck_assert_int_eq(nn_weights_save(w, path, &err), 0);
    int64_t n1 = t->numel, nnz1 = 0;
    for (int64_t i = 0; i < 30; i++) nnz1 += ((float *)t->data)[i] != 0;
    nn_weights_free(w);

    snprintf(args, sizeof args, "'%s' estimate --model lenet5 --hw vu9p --dataflow xy "
             "--format json --per-layer --weights %s 2>/dev/null", EMOMC_BIN, path);
    FILE *p = popen(args, "r");
    json_error_t je;
    json_t *doc = json_loadf(p, 0, &je);
    pclose(p);
    ck_assert_msg(doc != NULL, "not JSON: %s", je.text);
    json_t *layers = json_object_get(json_array_get(json_object_get(doc, "results"), 0), "layers");
    json_t *c1 = json_array_get(layers, 0), *c2 = json_array_get(layers, 1);
    ck_assert_double_eq_tol(json_real_value(json_object_get(c1, "keep")), (double)nnz1 / n1, 1e-12);
    ck_assert_int_eq(json_integer_value(json_object_get(c1, "bits")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(c2, "bits")), 16);
    ck_assert(json_real_value(json_object_get(c2, "keep")) > 0.99);
    json_decref(doc);
    /* --bits overrides what the file records. */
    snprintf(args, sizeof args, "estimate --model lenet5 --hw vu9p --weights %s --bits 8 "
             "--dataflow xy --per-layer", path);
    RUN(args, 0, "conv1");
    snprintf(args, sizeof args, "estimate --model lenet5 --hw vu9p --weights %s --keep 0.5", path);
    RUN(args, 2, "give --weights or --keep, not both");
    RUN("estimate --model lenet5 --hw vu9p --weights /nonexistent.emw", 1, "/nonexistent.emw");
    snprintf(args, sizeof args, "estimate --model vgg16 --hw vu9p --weights %s", path);
    RUN(args, 1, "has no float tensor");
}
END_TEST

static double eval_quiet(const char *extra)
{
    char args[2048], *out = NULL;
    double v = -1;
    snprintf(args, sizeof args, "eval --model lenet5 --weights %s --data %s --limit 300 --quiet %s",
             tu_root_path("models/lenet5-mnist.emw"), tu_root_path("data/mnist"), extra);
    int rc = tu_run_emomc(args, &out);
    ck_assert_msg(rc == 0, "eval %s: exit %d: %s", extra, rc, out);
    ck_assert_int_eq(sscanf(out, "%lf", &v), 1);
    free(out);
    return v;
}

START_TEST(eval_bits_per_layer)
{
    ck_assert_double_eq(eval_quiet("--bits 3"), eval_quiet("--bits 3,3,3,3,3"));
    ck_assert_double_eq(eval_quiet("--keep 0.4 --bits 4"), eval_quiet("--keep 0.4,0.4,0.4,0.4,0.4 --bits 4,4,4,4,4"));
    /* Two bits in conv1 alone hurt less than two bits everywhere. */
    ck_assert(eval_quiet("--bits 2,12,12,12,12") > eval_quiet("--bits 2"));
    char args[2048];
    snprintf(args, sizeof args, "eval --model lenet5 --weights %s --data %s --bits 8,8",
             tu_root_path("models/lenet5-mnist.emw"), tu_root_path("data/mnist"));
    RUN(args, 2, "--bits lists 2 values but lenet5 has 5");
    RUN("eval --model lenet5 --weights x.emw --data mnist --bits 4.5", 2, "not a whole number");
}
END_TEST

/* The README's tour runs from a fresh clone: every --model/--weights file it names
 * exists there, unless a tour command writes it first (out/...). */
START_TEST(readme_tour_files)
{
    FILE *f = fopen(tu_root_path("README.md"), "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int in_tour = 0, in_block = 0, checked = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "## A short tour", 15)) in_tour = 1;
        else if (in_tour && !strncmp(line, "```", 3) && (in_block = !in_block) == 0) break;
        else if (in_block) {
            const char *keys[] = {"--model ", "--weights "};
            for (int k = 0; k < 2; k++) {
                const char *m = strstr(line, keys[k]);
                if (!m) continue;
                char path[512];
                if (sscanf(m + strlen(keys[k]), "%511s", path) != 1) continue;
                if (!strchr(path, '/') && !strstr(path, ".onnx")) continue; /* a zoo name */
                if (!strncmp(path, "out/", 4)) continue;
                ck_assert_msg(tu_file_exists(tu_root_path(path)), "README tour names %s", path);
                checked++;
            }
        }
    }
    fclose(f);
    ck_assert_int_ge(checked, 2);
    char args[1024];
    snprintf(args, sizeof args, "estimate --model %s --hw zcu102 --per-layer",
             tu_root_path("tests/fixtures/onnx/lenet5.onnx"));
    RUN(args, 0, "lenet5 on zcu102");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_flags");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, flag_errors);
    tcase_add_test(tc, required_flags);
    tcase_add_test(tc, help_matches_tables);
    tcase_add_test(tc, benchmark_rundir);
    tcase_add_test(tc, estimate_weights);
    tcase_add_test(tc, eval_bits_per_layer);
    tcase_add_test(tc, readme_tour_files);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
