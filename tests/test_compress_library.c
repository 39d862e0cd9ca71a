/* tests/test_compress_library.c: the stage-I library: keep grids, both schedules on
 * a tiny network and data set, resume after an interruption, the reader, and bad
 * input (grids, index files, the command line).
 *
 * Oracles: hand-counted grids and step counts (the single pass's geometric steps are
 * counted by hand below), exact mask counts rint(keep*n) per layer, an independent
 * re-evaluation of every member on the validation split, and an uninterrupted build
 * as the oracle of an interrupted-then-resumed one (identical member files, byte for
 * byte; identical index rows except the seconds column). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/rng.h"
#include "compress/library.h"
#include "compress/prune.h"
#include "spec/arch.h"
#include "nn/dataset.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/weights.h"
#include "tests/testutil.h"

/* ---- grids ------------------------------------------------------------------------ */

START_TEST(grid_parse_cases)
{
    double k[CP_LIBRARY_MAX_GRID];
    int n;
    em_error err = {0};
    ck_assert_int_eq(cp_grid_parse("0.8:0.2:0.01", k, CP_LIBRARY_MAX_GRID, &n, &err), 0);
    ck_assert_int_eq(n, 61);
    ck_assert(k[0] == 0.8 && k[3] == 0.77 && k[60] == 0.2);
    ck_assert_int_eq(cp_grid_parse("0.80:0.20:0.05", k, CP_LIBRARY_MAX_GRID, &n, &err), 0);
    ck_assert_int_eq(n, 13);
    ck_assert(k[12] == 0.2 && k[1] == 0.75);
    ck_assert_int_eq(cp_grid_parse("0.5", k, CP_LIBRARY_MAX_GRID, &n, &err), 0);
    ck_assert(n == 1 && k[0] == 0.5);
    ck_assert_int_eq(cp_grid_parse("0.9:0.2:0.3", k, CP_LIBRARY_MAX_GRID, &n, &err), 0);
    ck_assert(n == 3 && k[2] == 0.3); /* 0.2 is not on the grid */
    struct { const char *g, *needle; } bad[] = {
        {"0.2:0.8:0.1", "highest keep down"}, {"0.8:0.2", "hi:lo:step"},
        {"a:0.2:0.1", "'a' is not a number"}, {"0.8:0.2:0", "step must be positive"},
        {"1.5:0.2:0.1", "(0, 1]"}, {"0.8:0:0.1", "(0, 1]"}, {"0.8:0.2:1e-9", "more than"},
        {"0.8:0.2:0.1:0.1", "hi:lo:step"}, {"", "not a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(cp_grid_parse(bad[i].g, k, CP_LIBRARY_MAX_GRID, &n, &err) == EM_EINVAL,
                      "%s accepted", bad[i].g);
        ck_assert_msg(strstr(err.msg, bad[i].needle), "'%s': '%s' lacks '%s'", bad[i].g, err.msg,
                      bad[i].needle);
    }
    char f[64];
    cp_member_filename(0.8, f, sizeof f);
    ck_assert_str_eq(f, "keep-0.800.emw");
    cp_member_filename(0.8125, f, sizeof f);
    ck_assert_str_eq(f, "keep-0.8125.emw");
}
END_TEST

/* ---- a tiny model and data set ----------------------------------------------------- */

static const char *TINY_YAML =
    "name: tiny\n"
    "input: [1, 8, 8]\n"
    "classes: 4\n"
    "layers:\n"
    "  - {name: conv1, type: conv, out: 4, kernel: 3}\n"
    "  - {name: relu1, type: relu}\n"
    "  - {name: pool1, type: maxpool, kernel: 2, stride: 2}\n"
    "  - {name: flatten, type: flatten}\n"
    "  - {name: fc1, type: linear, out: 12}\n"
    "  - {name: relu2, type: relu}\n"
    "  - {name: fc2, type: linear, out: 4}\n";

typedef struct fixture {
    nn_arch *arch;
    nn_weights *trained;
    nn_dataset *train, *val, *test;
} fixture;

/* Images with a bright 4x4 block in one of four quadrants (the label), plus noise. */
static nn_dataset *quadrants(int n, uint64_t seed)
{
    em_rng r;
    em_rng_seed(&r, seed);
    uint8_t *px = malloc((size_t)n * 64), *lab = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        int q = (int)em_rng_below(&r, 4);
        lab[i] = (uint8_t)q;
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) {
                bool on = (y / 4) == q / 2 && (x / 4) == q % 2;
                px[(size_t)i * 64 + y * 8 + x] = (uint8_t)((on ? 150 : 0) + em_rng_below(&r, 100));
            }
    }
    nn_dataset *ds = NULL;
    em_error err = {0};
    ck_assert_int_eq(nn_dataset_from_arrays(NN_DS_MNIST, n, 1, 8, 8, 4, px, lab, &ds, &err), 0);
    free(px);
    free(lab);
    return ds;
}

static fixture make_fixture(void)
{
    fixture f = {0};
    em_error err = {0};
    ck_assert_msg(nn_arch_parse(TINY_YAML, "tiny.yaml", &f.arch, &err) == 0, "%s", err.msg);
    f.train = quadrants(96, 1);
    f.val = quadrants(40, 2);
    f.test = quadrants(40, 3);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(f.arch, &net, &err), 0);
    nn_net_init(net, 5);
    nn_net_set_threads(net, 1);
    nn_train_cfg c;
    nn_train_cfg_default(&c);
    c.epochs = 3;
    c.batch = 16;
    c.optim.lr = 0.05;
    c.optim.momentum = 0.9;
    nn_train_result r;
    ck_assert_msg(nn_train(net, f.train, NULL, &c, NULL, &r, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(nn_weights_from_net(net, &f.trained, &err), 0);
    nn_net_free(net);
    return f;
}

static void free_fixture(fixture *f)
{
    nn_arch_free(f->arch);
    nn_weights_free(f->trained);
    nn_dataset_free(f->train);
    nn_dataset_free(f->val);
    nn_dataset_free(f->test);
}

static cp_library_cfg tiny_cfg(cp_schedule s)
{
    cp_library_cfg c;
    cp_library_cfg_default(&c);
    c.schedule = s;
    c.steps = 4;
    c.train.batch = 16;
    c.threads = 1;
    c.source = "/somewhere/tiny.emw";
    c.dataset_name = "quadrants";
    return c;
}

static const double KEEPS[3] = {0.5, 0.8, 0.3}; /* any order: built descending */

static void build(const fixture *f, const char *dir, cp_library_cfg *c)
{
    em_error err = {0};
    int rc = cp_library_build(dir, f->arch, f->trained, KEEPS, 3, f->train, f->val, f->test, c,
                              &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
}

static void same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = tu_read_file_len(a, &la), *y = tu_read_file_len(b, &lb);
    ck_assert_msg(la == lb && !memcmp(x, y, la), "%s and %s differ", a, b);
    free(x);
    free(y);
}

/* index.csv without its last column (seconds). */
static char *index_sans_seconds(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/index.csv", dir);
    size_t n;
    char *s = tu_read_file_len(p, &n), *out = malloc(n + 1), *o = out;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        char *c = strrchr(line, ',');
        if (c) *c = 0;
        o += sprintf(o, "%s\n", line);
    }
    free(s);
    return out;
}

static void same_library(const char *a, const char *b)
{
    const char *files[3] = {"keep-0.800.emw", "keep-0.500.emw", "keep-0.300.emw"};
    for (int i = 0; i < 3; i++) {
        char pa[512], pb[512];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        same_file(pa, pb);
    }
    char *x = index_sans_seconds(a), *y = index_sans_seconds(b);
    ck_assert_str_eq(x, y);
    free(x);
    free(y);
}

/* Checks a finished library: rows, exact masks, accuracies re-measured, epochs. */
static void check_library(const fixture *f, const char *dir, const int *epochs)
{
    cp_library *lib = NULL;
    em_error err = {0};
    ck_assert_msg(cp_library_open(dir, &lib, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(cp_library_count(lib), 3);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(f->arch, &net, &err), 0);
    nn_net_set_threads(net, 1);
    nn_eval_result *ev = malloc(sizeof *ev);
    const double want[3] = {0.8, 0.5, 0.3};
    for (int i = 0; i < 3; i++) {
        const cp_library_member *m = cp_library_member_at(lib, i);
        ck_assert(m->keep == want[i]);
        ck_assert_int_eq(m->epochs, epochs[i]);
        ck_assert_msg(cp_library_load(lib, i, net, &err) == 0, "%s", err.msg);
        const char *w[3] = {"conv1.weight", "fc1.weight", "fc2.weight"};
        for (int j = 0; j < 3; j++) {
            nn_param *p = nn_net_find_param(net, w[j]);
            ck_assert_ptr_nonnull(p->mask);
            int64_t kept = 0;
            for (int64_t e = 0; e < p->numel; e++) {
                kept += p->mask[e] != 0;
                if (p->mask[e] == 0) ck_assert(p->data[e] == 0);
            }
            ck_assert_int_eq(kept, cp_keep_count(want[i], p->numel));
        }
        ck_assert_ptr_null(nn_net_find_param(net, "fc1.bias")->mask); /* weights only */
        ck_assert_int_eq(nn_evaluate(net, f->val, 7, 0, ev, &err), 0);
        ck_assert_close(m->val_acc, ev->accuracy, 0, 1e-6);
        ck_assert_int_eq(nn_evaluate(net, f->test, 7, 0, ev, &err), 0);
        ck_assert_close(m->test_acc, ev->accuracy, 0, 1e-6);
    }
    ck_assert_int_eq(cp_library_nearest(lib, 0.45), 1);
    ck_assert_int_eq(cp_library_nearest(lib, 0.99), 0);
    ck_assert_int_eq(cp_library_nearest(lib, 0.01), 2);
    ck_assert_int_eq(cp_library_find(lib, 0.5), 1);
    ck_assert_int_eq(cp_library_find(lib, 0.45), -1);
    /* Metadata of a member. */
    nn_weights *w = NULL;
    ck_assert_int_eq(nn_weights_load(cp_library_member_at(lib, 1)->path, &w, &err), 0);
    ck_assert_str_eq(nn_weights_meta(w, "kind"), "library-member");
    ck_assert_str_eq(nn_weights_meta(w, "keep"), "0.5");
    ck_assert_str_eq(nn_weights_meta(w, "source"), "tiny.emw");
    ck_assert_str_eq(nn_weights_meta(w, "model"), "tiny");
    nn_weights_free(w);
    free(ev);
    nn_net_free(net);
    cp_library_free(lib);
}

START_TEST(single_schedule_builds_and_resumes)
{
    fixture f = make_fixture();
    const char *a = tu_tmpdir(), *b = tu_tmpdir();
    cp_library_cfg c = tiny_cfg(CP_SCHED_SINGLE);
    build(&f, a, &c);
    /* Step ratio 0.3^(1/4) = 0.740: 1 -> 0.8 one step (0.8 >= 0.740), 0.8 -> 0.5
     * two (0.625 < 0.740 but >= 0.740^2 = 0.548), 0.5 -> 0.3 two (0.6 >= 0.548). */
    const int epochs[3] = {1, 2, 2};
    check_library(&f, a, epochs);
    /* Interrupted after one member, then resumed: the same library. */
    c.stop_after = 1;
    build(&f, b, &c);
    cp_library *lib = NULL;
    em_error err = {0};
    ck_assert_int_eq(cp_library_open(b, &lib, &err), 0);
    ck_assert_int_eq(cp_library_count(lib), 1);
    cp_library_free(lib);
    c.stop_after = 0;
    ck_assert_int_eq(cp_library_build(b, f.arch, f.trained, KEEPS, 3, f.train, f.val, f.test, &c,
                                      &err), EM_EINVAL); /* not without resume */
    ck_assert_ptr_nonnull(strstr(err.msg, "already holds"));
    c.resume = true;
    build(&f, b, &c);
    same_library(a, b);
    /* A lost member file: resume rebuilds from the last member before it. */
    char p[512];
    snprintf(p, sizeof p, "%s/keep-0.500.emw", b);
    ck_assert_int_eq(remove(p), 0);
    build(&f, b, &c);
    same_library(a, b);
    /* The other schedule does not resume this folder. */
    c.schedule = CP_SCHED_EMOMC;
    ck_assert_int_eq(cp_library_build(b, f.arch, f.trained, KEEPS, 3, f.train, f.val, f.test, &c,
                                      &err), EM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "single schedule"));
    free_fixture(&f);
}
END_TEST

START_TEST(emomc_schedule_builds_and_resumes)
{
    fixture f = make_fixture();
    const char *a = tu_tmpdir(), *b = tu_tmpdir();
    cp_library_cfg c = tiny_cfg(CP_SCHED_EMOMC);
    build(&f, a, &c);
    const int epochs[3] = {4, 4, 4}; /* every member: 4 steps from the trained model */
    check_library(&f, a, epochs);
    c.stop_after = 2;
    build(&f, b, &c);
    c.stop_after = 0;
    c.resume = true;
    build(&f, b, &c);
    same_library(a, b);
    /* The middle member lost: rebuilt alone, from the trained model. */
    char p[512];
    snprintf(p, sizeof p, "%s/keep-0.500.emw", b);
    ck_assert_int_eq(remove(p), 0);
    build(&f, b, &c);
    same_library(a, b);
    free_fixture(&f);
}
END_TEST

/* ---- reader: bad index files --------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

START_TEST(reader_bad_index)
{
    const char *d = tu_tmpdir();
    char ip[512], mp[512];
    snprintf(ip, sizeof ip, "%s/index.csv", d);
    snprintf(mp, sizeof mp, "%s/keep-0.500.emw", d);
    write_text(mp, "not really weights");
    struct { const char *text, *needle; } bad[] = {
        {"", "empty file"},
        {"keep,member,acc\n", ":1: header"},
        {"keep,member,val_acc,test_acc,epochs,seconds\n0.5,keep-0.500.emw,0.9\n", ":2: 3 fields"},
        {"keep,member,val_acc,test_acc,epochs,seconds\n1.5,keep-0.500.emw,0.9,,1,1\n", ":2: keep '1.5'"},
        {"keep,member,val_acc,test_acc,epochs,seconds\n0.5,../x.emw,0.9,,1,1\n", "not a .emw"},
        {"keep,member,val_acc,test_acc,epochs,seconds\n0.5,keep-0.500.emw,90,,1,1\n", "fractions"},
        {"keep,member,val_acc,test_acc,epochs,seconds\n0.5,keep-0.500.emw,0.9,,1.5,1\n", "whole number"},
        {"keep,member,val_acc,test_acc,epochs,seconds\n0.5,keep-0.500.emw,0.9,,1,1\n"
         "0.5,keep-0.500.emw,0.9,,1,1\n", ":3: keep 0.5 listed twice"},
        {"keep,member,val_acc,test_acc,epochs,seconds\n0.4,keep-0.400.emw,0.9,,1,1\n", "missing"},
        {"keep,member,val_acc,test_acc,epochs,seconds\n", "lists no member"},
    };
    em_error err = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(ip, bad[i].text);
        cp_library *lib = NULL;
        ck_assert_msg(cp_library_open(d, &lib, &err) != 0, "case %zu accepted", i);
        ck_assert_ptr_null(lib);
        ck_assert_msg(strstr(err.msg, bad[i].needle), "case %zu: '%s' lacks '%s'", i, err.msg,
                      bad[i].needle);
    }
    /* A good index whose member is not a weights file: open works, load says why. */
    write_text(ip, "keep,member,val_acc,test_acc,epochs,seconds\n0.5,keep-0.500.emw,0.9,,1,1\n");
    cp_library *lib = NULL;
    ck_assert_int_eq(cp_library_open(d, &lib, &err), 0);
    ck_assert(cp_library_member_at(lib, 0)->test_acc < 0);
    nn_arch *a = NULL;
    ck_assert_int_eq(nn_arch_parse(TINY_YAML, "tiny.yaml", &a, &err), 0);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    ck_assert_int_ne(cp_library_load(lib, 0, net, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "keep-0.500.emw"));
    cp_library_free(lib);
    ck_assert_int_ne(cp_library_open("/nonexistent/lib", &lib, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/lib"));
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

/* ---- command line ------------------------------------------------------------------- */

START_TEST(cli_bad_input)
{
    char *out = NULL;
    const char *d = tu_tmpdir();
    char lib[512], args[2048];
    snprintf(lib, sizeof lib, "%s/lib", d);
    /* Missing flag: usage error, exit 2. */
    ck_assert_int_eq(tu_run_emomc("library --model lenet5 --data mnist --keep 0.8:0.2:0.1 "
                                  "--out /tmp/x", &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "--weights is required"));
    free(out);
    /* Bad grid: exit 2, names the grid; nothing created. */
    snprintf(args, sizeof args, "library --model lenet5 --weights w.emw --data mnist "
             "--keep 0.2:0.8:0.1 --out '%s'", lib);
    ck_assert_int_eq(tu_run_emomc(args, &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "0.2:0.8:0.1"));
    free(out);
    ck_assert(!tu_file_exists(lib));
    /* Missing weights: exit 1, names the file; nothing created. */
    snprintf(args, sizeof args, "library --model lenet5 --weights '%s/none.emw' --data mnist "
             "--keep 0.8:0.2:0.1 --out '%s'", d, lib);
    ck_assert_int_eq(tu_run_emomc(args, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "none.emw"));
    free(out);
    ck_assert(!tu_file_exists(lib));
    /* Weights of another model: refused before any work. */
    snprintf(args, sizeof args, "library --model vgg16 --weights '%s' --data mnist "
             "--keep 0.5 --out '%s'", tu_root_path("models/lenet5-mnist.emw"), lib);
    if (tu_file_exists(tu_root_path("models/lenet5-mnist.emw"))) {
        ck_assert_int_eq(tu_run_emomc(args, &out), 1);
        free(out);
        ck_assert(!tu_file_exists(lib));
    }
    ck_assert_int_eq(tu_run_emomc("library --schedule fast", &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "fast"));
    free(out);
}
END_TEST


/* ---- the committed demo library ---------------------------------------------------- */

START_TEST(demo_library_is_valid)
{
    /* models/lenet5-mnist-library: 13 members 0.80..0.20, each a lenet5 with exact
     * per-layer L1 masks (rint(keep*n) of the conv/linear weights), built by the
     * single schedule from the zoo model. */
    const char *dir = tu_root_path("models/lenet5-mnist-library");
    cp_library *lib = NULL;
    em_error err = {0};
    ck_assert_msg(cp_library_open(dir, &lib, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(cp_library_count(lib), 13);
    char path[4096];
    nn_arch *a = NULL;
    ck_assert_int_eq(nn_arch_resolve("lenet5", path, sizeof path, &err), 0);
    ck_assert_int_eq(nn_arch_load(path, &a, &err), 0);
    nn_net *net = NULL;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    for (int i = 0; i < 13; i++) {
        const cp_library_member *m = cp_library_member_at(lib, i);
        ck_assert_close(m->keep, 0.8 - 0.05 * i, 0, 1e-9);
        ck_assert(m->val_acc > 0.97 && m->test_acc > 0.97);
        ck_assert_msg(cp_library_load(lib, i, net, &err) == 0, "%s", err.msg);
        for (int j = 0; j < a->n_layers; j++) {
            if (!nn_layer_is_compute(&a->layers[j])) continue;
            nn_param *p = cp_layer_param(net, j, false);
            ck_assert_ptr_nonnull(p->mask);
            ck_assert_int_eq(cp_count_nonzero(p->mask, p->numel), cp_keep_count(m->keep, p->numel));
        }
        nn_weights *w = NULL;
        ck_assert_int_eq(nn_weights_load(m->path, &w, &err), 0);
        ck_assert_str_eq(nn_weights_meta(w, "kind"), "library-member");
        ck_assert_str_eq(nn_weights_meta(w, "schedule"), "single");
        ck_assert_str_eq(nn_weights_meta(w, "source"), "lenet5-mnist.emw");
        nn_weights_free(w);
    }
    ck_assert_int_eq(cp_library_find(lib, 0.35), 9);
    nn_net_free(net);
    nn_arch_free(a);
    cp_library_free(lib);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("compress_library");
    TCase *t = tcase_create("library");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, grid_parse_cases);
    tcase_add_test(t, single_schedule_builds_and_resumes);
    tcase_add_test(t, emomc_schedule_builds_and_resumes);
    tcase_add_test(t, reader_bad_index);
    tcase_add_test(t, cli_bad_input);
    tcase_add_test(t, demo_library_is_valid);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
