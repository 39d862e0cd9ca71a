/* tests/test_search_parallel.c: several candidates measured at once
 * (parallel_candidates, search/parallel.h). The oracle is the serial run (K = 1):
 * LeNet-5 searches (emomc-energy, and sbo for its pruning and dynamic-int8 paths)
 * with K = 2 and 3 leave the same run directory (every file but its timing columns:
 * the CSVs, the JSON without "seconds*", the checkpoint's populations and archive
 * bit for bit, the store's rows in the same order), with and without a store; a batch
 * with two genotypes that share a store key counts one inference and one store hit as
 * the serial run does; the fan-out runs every item once and reports the lowest failing
 * item's error; racing with K > 1 is refused before a run directory is made. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/checkpoint.h"
#include "search/parallel.h"
#include "search/problem.h"
#include "search/run.h"
#include "tests/testutil.h"

static void base_config(sp_config *c, int k)
{
    sp_config_default(c);
    c->kind = SP_EMOMC_ENERGY;
    snprintf(c->model, sizeof c->model, "lenet5");
    snprintf(c->weights, sizeof c->weights, "%s", tu_root_path("models/lenet5-mnist.emw"));
    snprintf(c->library, sizeof c->library, "%s", tu_root_path("models/lenet5-mnist-library"));
    snprintf(c->hw, sizeof c->hw, "emomc2021");
    snprintf(c->data, sizeof c->data, "%s", tu_root_path("data/mnist"));
    c->protocol = SP_PROTO_TEST_HALVES;
    c->eval_images = 300;
    c->pop = 8;
    c->gens = 3;
    c->seed = 5;
    c->threads = 2;
    c->parallel_candidates = k;
}

static char *slurp(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return tu_read_file(path);
}

/* Drops, in place, every line that starts with `prefix`. */
static void drop_lines(char *s, const char *prefix)
{
    char *w = s;
    for (char *line = s; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (strncmp(line, prefix, strlen(prefix))) {
            memmove(w, line, len);
            w += len;
        }
        line += len;
    }
    *w = '\0';
}

/* Drops, in place, the last comma-separated field of every line. */
static void drop_last_field(char *s)
{
    char *w = s;
    for (char *line = s; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *comma = NULL;
        for (char *p = line; p < line + len; p++)
            if (*p == ',') comma = p;
        size_t keep = comma ? (size_t)(comma - line) : len;
        memmove(w, line, keep);
        w += keep;
        *w++ = '\n';
        line += len + (nl ? 1 : 0);
    }
    *w = '\0';
}

static void text_same(const char *a, const char *b, const char *file, const char *drop_prefix,
                      bool drop_last)
{
    char *x = slurp(a, file), *y = slurp(b, file);
    if (drop_prefix) drop_lines(x, drop_prefix), drop_lines(y, drop_prefix);
    drop_lines(x, "# "), drop_lines(y, "# "); /* comments name the run directory */
    if (drop_last) drop_last_field(x), drop_last_field(y);
    ck_assert_msg(!strcmp(x, y), "%s differs between %s and %s", file, a, b);
    free(x);
    free(y);
}

/* Removes every key starting with "seconds", at any depth. */
static void drop_seconds(json_t *j)
{
    if (!json_is_object(j)) return;
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(j, tmp, key, v)
    {
        if (!strncmp(key, "seconds", 7)) json_object_del(j, key);
        else drop_seconds(v);
    }
}

static void json_same(const char *a, const char *b, const char *file)
{
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/%s", a, file);
    snprintf(pb, sizeof pb, "%s/%s", b, file);
    json_t *x = json_load_file(pa, 0, NULL), *y = json_load_file(pb, 0, NULL);
    ck_assert_msg(x && y, "cannot read %s or %s", pa, pb);
    drop_seconds(x);
    drop_seconds(y);
    ck_assert_msg(json_equal(x, y), "%s differs (timing aside) between %s and %s", file, a, b);
    json_decref(x);
    json_decref(y);
}

static void pop_same(const opt_pop *a, const opt_pop *b)
{
    ck_assert_int_eq(a->n, b->n);
    ck_assert(!memcmp(a->X, b->X, sizeof *a->X * (size_t)a->n * (size_t)a->n_var));
    ck_assert(!memcmp(a->F, b->F, sizeof *a->F * (size_t)a->n * (size_t)a->n_obj));
    if (a->n_con) ck_assert(!memcmp(a->G, b->G, sizeof *a->G * (size_t)a->n * (size_t)a->n_con));
    ck_assert(!memcmp(a->CV, b->CV, sizeof *a->CV * (size_t)a->n));
}

/* The checkpoints' state and archive, bit for bit, but for each row's seconds. */
static void checkpoint_same(const char *a, const char *b)
{
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/checkpoint", a);
    snprintf(pb, sizeof pb, "%s/checkpoint", b);
    opt_checkpoint x, y;
    em_error err = {0};
    ck_assert_msg(opt_checkpoint_read(pa, &x, NULL, &err) == 0, "%s", err.msg);
    ck_assert_msg(opt_checkpoint_read(pb, &y, NULL, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(x.gen, y.gen);
    ck_assert_int_eq(x.cache_hits, y.cache_hits);
    ck_assert(!memcmp(&x.rng, &y.rng, sizeof x.rng));
    ck_assert_int_eq(x.n_pops, y.n_pops);
    for (int i = 0; i < x.n_pops; i++) pop_same(x.pops[i], y.pops[i]);
    pop_same(x.evals, y.evals);
    opt_checkpoint_clear(&x);
    opt_checkpoint_clear(&y);
}

/* The store's rows, in insertion order, without their seconds and dates. */
static char *store_rows(const char *path)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT weights, plan, images, engine, accuracy, "
                                        "n_images FROM accuracy ORDER BY rowid", -1, &st, NULL),
                     SQLITE_OK);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        char row[2048];
        int len = snprintf(row, sizeof row, "%s|%s|%s|%s|%.17g|%d\n", sqlite3_column_text(st, 0),
                           sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
                           sqlite3_column_text(st, 3), sqlite3_column_double(st, 4),
                           sqlite3_column_int(st, 5));
        if (n + (size_t)len + 1 > cap) out = realloc(out, cap *= 2);
        memcpy(out + n, row, (size_t)len + 1);
        n += (size_t)len;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* Every file of run directory b equals a's, timing aside. */
static void rundir_same(const char *a, const char *b, bool store)
{
    const char *plain[] = {"archive.csv", "front.csv", "pareto.csv", "population.csv",
                           "final.csv", "run.yaml"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) text_same(a, b, plain[i], NULL, false);
    text_same(a, b, "evaluations.csv", NULL, true); /* its last column: seconds */
    text_same(a, b, "config.yaml", "parallel_candidates:", false);
    json_same(a, b, "search.json");
    json_same(a, b, "summary.json");
    checkpoint_same(a, b);
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/store.sqlite", a);
    snprintf(pb, sizeof pb, "%s/store.sqlite", b);
    ck_assert_int_eq(tu_file_exists(pa), store);
    ck_assert_int_eq(tu_file_exists(pb), store);
    if (store) {
        char *x = store_rows(pa), *y = store_rows(pb);
        ck_assert_msg(x[0], "the store of %s is empty", a);
        ck_assert_msg(!strcmp(x, y), "the stores of %s and %s differ", a, b);
        free(x);
        free(y);
    }
}

static long json_count(const char *dir, const char *key)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/search.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(j);
    long v = (long)json_integer_value(json_object_get(j, key));
    json_decref(j);
    return v;
}

static void runs_identical_for_k(sp_config *cfg, bool store)
{
    const char *dir[3];
    em_error err = {0};
    snprintf(cfg->store, sizeof cfg->store, "%s", store ? "" : "none");
    for (int k = 1; k <= 3; k++) {
        dir[k - 1] = tu_tmpdir();
        cfg->parallel_candidates = k;
        sp_run_opts o = {.out_dir = dir[k - 1]};
        ck_assert_msg(sp_run(cfg, &o, &err) == 0, "K=%d: %s", k, err.msg);
    }
    ck_assert_int_gt(json_count(dir[0], "inferences"), cfg->pop);
    for (int k = 2; k <= 3; k++) rundir_same(dir[0], dir[k - 1], store);
}

START_TEST(emomc_run_files_identical_for_k_1_2_3)
{
    sp_config cfg;
    base_config(&cfg, 1);
    runs_identical_for_k(&cfg, false);
    runs_identical_for_k(&cfg, true);
}
END_TEST

/* sbo: candidates pruned from the trained weights (L1 and random, seeded) and some
 * measured with dynamic int8 linear layers. */
START_TEST(sbo_run_files_identical_for_k_1_2_3)
{
    sp_config cfg;
    base_config(&cfg, 1);
    cfg.kind = SP_SBO;
    cfg.library[0] = '\0';
    cfg.tau = 0.5;
    cfg.gens = 2;
    runs_identical_for_k(&cfg, true);
}
END_TEST

/* emomc-joint genotypes that differ only in dataflow or coding share the store key
 * (the accuracy depends on neither): in one batch, the serial run measures the first
 * and finds the second in the store; so must K = 2. */
START_TEST(batch_copies_of_a_key_count_as_store_hits)
{
    double F[2][6 * 3], G[2][6];
    sp_timing t[2];
    char *rows[2];
    for (int v = 0; v < 2; v++) {
        sp_config cfg;
        base_config(&cfg, v ? 2 : 1);
        cfg.kind = SP_EMOMC_JOINT;
        snprintf(cfg.hw, sizeof cfg.hw, "vu9p");
        char spath[1024];
        snprintf(spath, sizeof spath, "%s/store.sqlite", tu_tmpdir());
        em_error err = {0};
        sp_context *ctx = NULL;
        sp_store *store = NULL;
        opt_problem *p = NULL;
        ck_assert_msg(sp_context_new(&cfg, true, &ctx, &err) == 0, "%s", err.msg);
        ck_assert_msg(sp_store_open(spath, &store, &err) == 0, "%s", err.msg);
        sp_context_set_store(ctx, store);
        ck_assert_msg(sp_problem_new(ctx, &p, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(p->n_var, 8); /* member, 5 bits, dataflow, coding */
        const double X[6][8] = {{3, 8, 8, 8, 8, 8, 0, 0}, {3, 8, 8, 8, 8, 8, 1, 2},
                                {5, 4, 6, 4, 6, 4, 0, 1}, {3, 8, 8, 8, 8, 8, 2, 1},
                                {9, 2, 3, 4, 5, 6, 3, 0}, {5, 4, 6, 4, 6, 4, 3, 2}};
        ck_assert_msg(opt_problem_evaluate(p, 6, &X[0][0], F[v], G[v], &err) == 0, "%s", err.msg);
        t[v] = sp_context_timing(ctx);
        opt_problem_free(p);
        sp_context_free(ctx);
        sp_store_close(store);
        rows[v] = store_rows(spath);
    }
    ck_assert(!memcmp(F[0], F[1], sizeof F[0]));
    ck_assert_int_eq(t[0].inferences, 3); /* three distinct (member, bits) */
    ck_assert_int_eq(t[0].store_hits, 3);
    ck_assert_int_eq(t[1].inferences, t[0].inferences);
    ck_assert_int_eq(t[1].store_hits, t[0].store_hits);
    ck_assert_str_eq(rows[0], rows[1]);
    /* the copies got their first's accuracy (objective 0, minimized) */
    ck_assert(F[1][3] == F[1][0] && F[1][9] == F[1][0] && F[1][15] == F[1][6]);
    free(rows[0]);
    free(rows[1]);
}
END_TEST

/* ---- sp_parallel_for against a serial loop -------------------------------------- */

typedef struct fan {
    int runs[64];
    int worker[64];
    int n_workers, fail_from; /* items >= fail_from fail (64: none) */
} fan;

static int fan_item(void *user, int w, int i, em_error *err)
{
    fan *f = user;
    __atomic_add_fetch(&f->runs[i], 1, __ATOMIC_SEQ_CST);
    f->worker[i] = w;
    if (i >= f->fail_from) return em_fail(err, EM_EIO, "item %d failed", i);
    return EM_OK;
}

START_TEST(fan_out_runs_each_item_once)
{
    const int workers[] = {1, 2, 3, 8, 70};
    for (size_t k = 0; k < sizeof workers / sizeof *workers; k++) {
        fan f = {.fail_from = 64};
        em_error err = {0};
        ck_assert_int_eq(sp_parallel_for(workers[k], 64, fan_item, &f, &err), 0);
        for (int i = 0; i < 64; i++) {
            ck_assert_int_eq(f.runs[i], 1);
            ck_assert_int_lt(f.worker[i], workers[k] < 64 ? workers[k] : 64);
        }
    }
    fan f = {.fail_from = 64};
    ck_assert_int_eq(sp_parallel_for(4, 0, fan_item, &f, NULL), 0);
}
END_TEST

START_TEST(fan_out_reports_the_lowest_failing_item)
{
    for (int k = 1; k <= 4; k++) {
        fan f = {.fail_from = 17};
        em_error err = {0};
        ck_assert_int_eq(sp_parallel_for(k, 64, fan_item, &f, &err), EM_EIO);
        ck_assert_str_eq(err.msg, "item 17 failed");
        /* items are handed out in order: every lower one ran, none twice */
        for (int i = 0; i <= 17; i++) ck_assert_int_eq(f.runs[i], 1);
        for (int i = 18; i < 64; i++) ck_assert_int_le(f.runs[i], 1);
        if (k == 1)
            for (int i = 18; i < 64; i++) ck_assert_int_eq(f.runs[i], 0);
    }
}
END_TEST

/* ---- configuration and command line --------------------------------------------- */

START_TEST(config_and_flags)
{
    /* (the configuration file's errors: test_search.c, config_errors) saved and read back */
    sp_config c, d;
    base_config(&c, 3);
    char path[1024];
    snprintf(path, sizeof path, "%s/config.yaml", tu_tmpdir());
    em_error err = {0};
    ck_assert_int_eq(sp_config_save(&c, path, &err), 0);
    sp_config_default(&d);
    ck_assert_int_eq(d.parallel_candidates, 1);
    ck_assert_msg(sp_config_load(path, &d, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(d.parallel_candidates, 3);
    /* the command line refuses racing with K > 1 before making a run directory */
    char out[1024], args[8192], *text = NULL;
    snprintf(out, sizeof out, "%s/run", tu_tmpdir());
    snprintf(args, sizeof args, "optimize --problem emomc-energy --model lenet5 --weights %s "
             "--library %s --hw emomc2021 --data %s --protocol test-halves --pop 4 --gens 1 "
             "--racing --parallel-candidates 2 --out %s --quiet",
             c.weights, c.library, c.data, out);
    ck_assert_int_ne(tu_run_emomc(args, &text), 0);
    ck_assert_msg(strstr(text, "parallel_candidates' 2"), "%s", text);
    ck_assert(!tu_file_exists(out));
    free(text);
    snprintf(args, sizeof args, "optimize --problem emomc-energy --model lenet5 "
             "--parallel-candidates 0 --out %s", out);
    ck_assert_int_ne(tu_run_emomc(args, &text), 0);
    ck_assert_msg(strstr(text, "--parallel-candidates"), "%s", text);
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("search_parallel");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fan_out_runs_each_item_once);
    tcase_add_test(tc, fan_out_reports_the_lowest_failing_item);
    tcase_add_test(tc, config_and_flags);
    tcase_add_test(tc, batch_copies_of_a_key_count_as_store_hits);
    tcase_add_test(tc, emomc_run_files_identical_for_k_1_2_3);
    tcase_add_test(tc, sbo_run_files_identical_for_k_1_2_3);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
