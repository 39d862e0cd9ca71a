/* tests/test_search_compare.c: `emomc stats` and search/compare.h on hand-made run
 * directories: hypervolumes of a hand-computed 2-D case (DESIGN.md 10: 38) and 3-D
 * case (5), with a maximized objective, after the first N evaluations, infeasible and
 * dominated rows; the reference point derived from summary.json; agreement with the
 * summary.json "hv" of the committed LeNet-5 SBO runs; Friedman and Dunn on
 * hypervolumes built to equal DESIGN.md's pulse example and opt/stats' hand cases;
 * seed pairing; malformed files named with their line; the command's files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "search/compare.h"
#include "tests/testutil.h"

/* ---- hand-made run directories ---------------------------------------------------- */
typedef struct fake_run {
    int m;
    const char *const *names;
    const int *maximize;
    const double *F;        /* n x m, natural sense (as evaluations.csv holds them) */
    const double *cv;       /* n, or NULL: all feasible */
    int n;
    long seed;              /* < 0: no seed in run.yaml */
    const double *hv_ref;   /* summary.json hv_ref, or NULL: no summary.json */
    double summary_hv;
} fake_run;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* dir/file opened for writing. */
static FILE *open_in(const char *dir, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    return f;
}

static void write_run_yaml(const char *dir, const fake_run *r)
{
    FILE *f = open_in(dir, "run.yaml");
    fprintf(f, "problem: \"fake\"\nalgorithm: \"hand\"\n");
    if (r->seed >= 0) fprintf(f, "seed: %ld\n", r->seed);
    fprintf(f, "n_obj: %d\nobjectives:\n", r->m);
    for (int j = 0; j < r->m; j++)
        fprintf(f, "  - {name: \"%s\", sense: %s}\n", r->names[j],
                r->maximize[j] ? "maximize" : "minimize");
    fclose(f);
}

static void write_evaluations(const char *dir, const fake_run *r)
{
    FILE *f = open_in(dir, "evaluations.csv");
    fprintf(f, "eval,x");
    for (int j = 0; j < r->m; j++) fprintf(f, ",%s", r->names[j]);
    fprintf(f, ",cv,seconds\n");
    for (int i = 0; i < r->n; i++) {
        fprintf(f, "%d,0.5", i + 1);
        for (int j = 0; j < r->m; j++) fprintf(f, ",%.17g", r->F[i * r->m + j]);
        fprintf(f, ",%.17g,0.01\n", r->cv ? r->cv[i] : 0.0);
    }
    fclose(f);
}

static const char *make_run(const char *root, const char *name, const fake_run *r)
{
    static char dirs[64][512];
    static int k;
    char *dir = dirs[k++ % 64];
    snprintf(dir, sizeof dirs[0], "%s/%s", root, name);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    write_run_yaml(dir, r);
    write_evaluations(dir, r);
    if (r->hv_ref) {
        char path[600], text[1024];
        size_t n = (size_t)snprintf(text, sizeof text, "{\"seed\": %ld, \"hv\": %.17g, \"hv_ref\": [",
                                    r->seed, r->summary_hv);
        for (int j = 0; j < r->m; j++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s%.17g", j ? ", " : "", r->hv_ref[j]);
        snprintf(text + n, sizeof text - n, "]}\n");
        snprintf(path, sizeof path, "%s/summary.json", dir);
        write_file(path, text);
    }
    return dir;
}

static const char *const names2[] = {"f1", "f2"};
static const int min2[] = {0, 0};

/* One group of one run, the columns after at[0..n_at). */
static void compare_one(const char *dir, const long *at, int n_at, const double *ref, int m,
                        sp_comparison *c)
{
    const char *dirs[] = {dir};
    sp_compare_group_spec g = {"g", dirs, 1};
    sp_compare_spec s = {&g, 1, at, n_at, ref, m};
    em_error err = {0};
    ck_assert_msg(sp_compare(&s, c, &err) == 0, "%s", err.msg);
}

/* ---- hypervolume ------------------------------------------------------------------ */
START_TEST(hv_2d_after_n)
{
    /* DESIGN.md 10: {(5,5),(4,6),(2,7),(7,4)} at (10,10) -> 38. Added, after them: a
     * dominated row (6,6) and an infeasible row (1,1) that would dominate them all.
     * By hand, in order: (5,5) alone 25; + (4,6) adds (5-4)(10-6) = 4 -> 29;
     * + (2,7) adds (4-2)(10-7) = 6 -> 35; + (7,4) adds (10-7)(5-4) = 3 -> 38. */
    const char *root = tu_tmpdir();
    const double F[] = {5, 5, 4, 6, 2, 7, 7, 4, 6, 6, 1, 1};
    const double cv[] = {0, 0, 0, 0, 0, 0.5};
    fake_run r = {2, names2, min2, F, cv, 6, 1, NULL, 0};
    const long at[] = {1, 2, 3, 4, 5, 6, 50};
    const double ref[] = {10, 10};
    sp_comparison c;
    compare_one(make_run(root, "a-s1", &r), at, 7, ref, 2, &c);
    const double want[] = {25, 29, 35, 38, 38, 38, 38, 38};
    ck_assert_int_eq(c.n_cols, 8);
    for (int k = 0; k < 8; k++) ck_assert_close(c.runs[0][0].hv[k], want[k], 0, 1e-12);
    ck_assert_int_eq(c.cols[6].short_runs, 1); /* 50 > 6 evaluations: counted with all */
    ck_assert_int_eq(c.cols[5].short_runs, 0);
    ck_assert_int_eq(c.runs[0][0].n_evals, 6);
    ck_assert_int_eq((int)c.runs[0][0].seed, 1);
    sp_comparison_free(&c);

    /* nothing feasible in the first two rows: hypervolume 0 there */
    const double cv2[] = {1, 2, 0, 0, 0, 3};
    fake_run r2 = {2, names2, min2, F, cv2, 6, 1, NULL, 0};
    const long at2[] = {2, 3};
    compare_one(make_run(root, "b-s1", &r2), at2, 2, ref, 2, &c);
    ck_assert_close(c.runs[0][0].hv[0], 0.0, 0, 0);
    ck_assert_close(c.runs[0][0].hv[1], 3.0 * 8.0, 0, 1e-12); /* (2,7) alone */
    /* end: (2,7), (7,4), (6,6): 8x3 = 24, (6,6) adds [6,10]x[6,7] = 4, (7,4) adds
     * [7,10]x[4,6] = 6 -> 34 */
    ck_assert_close(c.runs[0][0].hv[2], 34.0, 0, 1e-12);
    sp_comparison_free(&c);
}
END_TEST

START_TEST(hv_maximized_and_3d)
{
    /* cost minimized, accuracy maximized; reference (1, 0) in the minimized sense
     * (accuracy 0). Staircase by cost: 0.1 holds 0.8 over [0.1, 1]: 0.72; 0.2 adds
     * 0.1 over [0.2, 1]: 0.08; 0.5 adds 0.05 over [0.5, 1]: 0.025 -> 0.825. */
    const char *root = tu_tmpdir();
    const char *const names[] = {"cost", "accuracy"};
    const int sense[] = {0, 1};
    const double F[] = {0.2, 0.9, 0.5, 0.95, 0.1, 0.8, 0.6, 0.85};
    fake_run r = {2, names, sense, F, NULL, 4, 3, NULL, 0};
    const double ref[] = {1, 0};
    sp_comparison c;
    compare_one(make_run(root, "max", &r), NULL, 0, ref, 2, &c);
    ck_assert_close(c.runs[0][0].hv[0], 0.825, 0, 1e-12);
    ck_assert_int_eq(c.maximize[1], 1);
    sp_comparison_free(&c);
    /* DESIGN.md 10: 3-D {(1,0,1),(0,1,0)} at (2,2,2) -> 5: boxes 1x2x1 = 2 and
     * 2x1x2 = 4, overlapping in [1,2]^3 = 1. */
    const char *const names3[] = {"a", "b", "c"};
    const int min3[] = {0, 0, 0};
    const double F3[] = {1, 0, 1, 0, 1, 0};
    fake_run r3 = {3, names3, min3, F3, NULL, 2, 4, NULL, 0};
    const double ref3[] = {2, 2, 2};
    compare_one(make_run(root, "three", &r3), NULL, 0, ref3, 3, &c);
    ck_assert_close(c.runs[0][0].hv[0], 5.0, 0, 1e-12);
    sp_comparison_free(&c);
}
END_TEST

/* The derived reference is the largest hv_ref per objective; the check against
 * summary.json's hv counts only runs whose hv_ref is that reference. */
START_TEST(reference_from_summaries)
{
    const char *root = tu_tmpdir();
    const double F[] = {5, 5, 4, 6, 2, 7, 7, 4};
    const double ref_a[] = {10, 8}, ref_b[] = {9, 10}, ref_c[] = {10, 10};
    fake_run a = {2, names2, min2, F, NULL, 4, 1, ref_a, 0.5};
    fake_run b = {2, names2, min2, F, NULL, 4, 2, ref_b, 0.5};
    fake_run d = {2, names2, min2, F, NULL, 4, 3, ref_c, 38.0};
    const char *dirs[] = {make_run(root, "a", &a), make_run(root, "b", &b), make_run(root, "c", &d)};
    sp_compare_group_spec g = {"all", dirs, 3};
    sp_compare_spec s = {&g, 1, NULL, 0, NULL, 0};
    sp_comparison c;
    em_error err = {0};
    ck_assert_msg(sp_compare(&s, &c, &err) == 0, "%s", err.msg);
    ck_assert_close(c.ref[0], 10, 0, 0);
    ck_assert_close(c.ref[1], 10, 0, 0);
    ck_assert_int_eq(c.n_checked, 1); /* only c's hv_ref is (10, 10) */
    ck_assert_int_eq(c.n_agree, 1);
    ck_assert_ptr_nonnull(strstr(c.ref_source, "hv_ref"));
    sp_comparison_free(&c);
    /* a run without summary.json: no reference to derive, a clear error */
    fake_run e = {2, names2, min2, F, NULL, 4, 4, NULL, 0};
    const char *dirs2[] = {dirs[0], make_run(root, "e", &e)};
    sp_compare_group_spec g2 = {"all", dirs2, 2};
    s.groups = &g2;
    ck_assert_int_ne(sp_compare(&s, &c, &err), 0);
    ck_assert_msg(strstr(err.msg, "e/summary.json") && strstr(err.msg, "--ref"), "%s", err.msg);
}
END_TEST

/* The committed LeNet-5 SBO runs: at their own reference, the final hypervolume is
 * summary.json's "hv" to the bit (the same set and the same opt_hypervolume). */
START_TEST(agrees_with_committed_summaries)
{
    static const char *const names[] = {"sbo-mse-mse-s1", "sbo-mse-mape-s1", "sbo-mape-mape-s1",
                                        "sbo-mape-mse-s1", "sbo-mse-random-s1",
                                        "sbo-mse-spearman-s1"};
    char paths[6][1024];
    const char *dirs[6];
    int n = 0;
    for (int i = 0; i < 6; i++) {
        snprintf(paths[n], sizeof paths[n], "%s/experiments/runs/sbo-lenet5/%s", tu_root_path("."),
                 names[i]);
        char s[1100];
        snprintf(s, sizeof s, "%s/evaluations.csv", paths[n]);
        if (tu_file_exists(s)) dirs[n] = paths[n], n++;
    }
    ck_assert_msg(n >= 1, "no committed SBO run found under experiments/runs/sbo-lenet5");
    sp_compare_group_spec g = {"sbo", dirs, n};
    sp_compare_spec s = {&g, 1, NULL, 0, NULL, 0};
    sp_comparison c;
    em_error err = {0};
    ck_assert_msg(sp_compare(&s, &c, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(c.n_checked, n);
    ck_assert_int_eq(c.n_agree, n);
    ck_assert(c.max_summary_diff == 0.0);
    ck_assert_close(c.ref[0], 1.1, 0, 1e-15); /* the sbo problem's (1.1, 0) */
    ck_assert_close(c.ref[1], 0.0, 0, 0);
    sp_comparison_free(&c);
}
END_TEST

/* ---- statistics ------------------------------------------------------------------- */
static const char *const names1[] = {"loss"};
static const int min1[] = {0};

/* A one-objective run whose hypervolume at reference 1000 is hv (1000 - f). */
static const char *hv_run(const char *root, const char *name, double hv, long seed, double *store)
{
    *store = 1000.0 - hv;
    fake_run r = {1, names1, min1, store, NULL, 1, seed, NULL, 0};
    return make_run(root, name, &r);
}

START_TEST(friedman_pulse_by_seed)
{
    /* DESIGN.md 10's pulse example as hypervolumes: 7 seeds (blocks) x 3 groups ->
     * 10.5714, p = 0.005063; rank sums 10, 21, 11 (opt/stats tests). Group "after"
     * lists its runs in reverse seed order: pairing must go by seed. */
    const double v[3][7] = {{72, 96, 88, 92, 74, 76, 82}, {120, 120, 132, 120, 101, 96, 112},
                            {76, 95, 104, 96, 84, 72, 76}};
    const char *gname[3] = {"before", "after", "later"};
    const char *root = tu_tmpdir();
    static double store[21];
    const char *dirs[3][7];
    for (int g = 0; g < 3; g++)
        for (int i = 0; i < 7; i++) {
            int seed = g == 1 ? 7 - i : i + 1;
            char name[64];
            snprintf(name, sizeof name, "%s-s%d", gname[g], seed);
            dirs[g][i] = hv_run(root, name, v[g][seed - 1], seed, &store[g * 7 + i]);
        }
    sp_compare_group_spec gs[3];
    for (int g = 0; g < 3; g++) gs[g] = (sp_compare_group_spec){gname[g], dirs[g], 7};
    const double ref[] = {1000};
    sp_compare_spec s = {gs, 3, NULL, 0, ref, 1};
    sp_comparison c;
    em_error err = {0};
    ck_assert_msg(sp_compare(&s, &c, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(c.cols[0].tested, 1);
    ck_assert_int_eq(c.n_blocks, 7);
    ck_assert_close(c.cols[0].stat, 10.5714, 0, 5e-5);
    ck_assert_close(c.cols[0].p, 0.005063, 0, 5e-7);
    ck_assert_close(c.cols[0].mean_rank[0] * 7, 10, 0, 1e-12);
    ck_assert_close(c.cols[0].mean_rank[1] * 7, 21, 0, 1e-12);
    ck_assert_close(c.cols[0].mean_rank[2] * 7, 11, 0, 1e-12);
    /* descriptive statistics of "after", by hand: sorted 96 101 112 120 120 120 132,
     * median 120, mean 801/7, min 96, max 132 */
    ck_assert_close(c.cols[0].desc[1].median, 120, 0, 1e-12);
    ck_assert_close(c.cols[0].desc[1].mean, 801.0 / 7, 1e-14, 0);
    ck_assert_close(c.cols[0].desc[1].min, 96, 0, 0);
    ck_assert_close(c.cols[0].desc[1].max, 132, 0, 0);
    sp_comparison_free(&c);
}
END_TEST

START_TEST(dunn_and_sd_hand)
{
    /* opt/stats' hand case: groups {1,2}, {3,4}, {5,6} (seeds 1, 2). Friedman: both
     * blocks rank 1, 2, 3: R = 2, 4, 6; Q = 12/(2*3*4) * 56 - 3*2*4 = 4, p = exp(-2).
     * Dunn: z = 2/sqrt(3.5) (p 0.285049) and 4/sqrt(3.5) (p 0.032509); Holm:
     * 3 * 0.032509 for the outer pair, 2 * 0.285049 for the others. sd of {1, 2}:
     * sqrt(0.5). */
    const char *root = tu_tmpdir();
    static double store[6];
    const char *dirs[3][2];
    const char *gname[3] = {"A", "B", "C"};
    for (int g = 0; g < 3; g++)
        for (int i = 0; i < 2; i++) {
            char name[32];
            snprintf(name, sizeof name, "%s-s%d", gname[g], i + 1);
            dirs[g][i] = hv_run(root, name, 2 * g + i + 1, i + 1, &store[2 * g + i]);
        }
    sp_compare_group_spec gs[3];
    for (int g = 0; g < 3; g++) gs[g] = (sp_compare_group_spec){gname[g], dirs[g], 2};
    const double ref[] = {1000};
    sp_compare_spec s = {gs, 3, NULL, 0, ref, 1};
    sp_comparison c;
    em_error err = {0};
    ck_assert_msg(sp_compare(&s, &c, &err) == 0, "%s", err.msg);
    const sp_compare_col *col = &c.cols[0];
    ck_assert(col->tested);
    ck_assert_close(col->stat, 4.0, 1e-12, 0);
    ck_assert_close(col->p, exp(-2.0), 1e-10, 0);
    ck_assert_close(col->dunn_p[0 * 3 + 2], 3 * 0.032509444645719546, 1e-9, 0);
    ck_assert_close(col->dunn_p[2 * 3 + 0], 3 * 0.032509444645719546, 1e-9, 0);
    ck_assert_close(col->dunn_p[0 * 3 + 1], 2 * 0.28504940740261275, 1e-9, 0);
    ck_assert_close(col->dunn_p[1 * 3 + 2], 2 * 0.28504940740261275, 1e-9, 0);
    ck_assert_close(col->desc[0].sd, sqrt(0.5), 1e-12, 0);
    ck_assert_close(col->desc[0].median, 1.5, 0, 1e-12);
    /* the report names the tests and holds the p-values */
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    sp_compare_markdown(&c, m);
    fclose(m);
    ck_assert_ptr_nonnull(strstr(buf, "Test: Friedman (2 blocks, by seed: 1, 2;"));
    ck_assert_ptr_nonnull(strstr(buf, "p = 0.1353"));
    ck_assert_ptr_nonnull(strstr(buf, "Dunn"));
    ck_assert_ptr_nonnull(strstr(buf, "| A | - | 0.5701 | 0.09753 |"));
    free(buf);
    sp_comparison_free(&c);
}
END_TEST

START_TEST(no_test_when_unpaired)
{
    const char *root = tu_tmpdir();
    static double store[6];
    const char *a[] = {hv_run(root, "a1", 1, 1, &store[0]), hv_run(root, "a2", 2, 2, &store[1])};
    const char *b[] = {hv_run(root, "b1", 3, 1, &store[2]), hv_run(root, "b3", 4, 3, &store[3])};
    const char *d[] = {hv_run(root, "d1", 5, 1, &store[4])};
    sp_compare_group_spec gs[] = {{"a", a, 2}, {"b", b, 2}, {"d", d, 1}};
    const double ref[] = {1000};
    sp_compare_spec s = {gs, 2, NULL, 0, ref, 1};
    sp_comparison c;
    em_error err = {0};
    ck_assert_msg(sp_compare(&s, &c, &err) == 0, "%s", err.msg);
    ck_assert(!c.cols[0].tested);
    ck_assert_msg(strstr(c.no_test, "seeds"), "%s", c.no_test);
    sp_comparison_free(&c);
    s.n_groups = 3; /* d has one run */
    gs[1].n_dirs = 1;
    ck_assert_msg(sp_compare(&s, &c, &err) == 0, "%s", err.msg);
    ck_assert_msg(strstr(c.no_test, "different numbers"), "%s", c.no_test);
    sp_comparison_free(&c);
    /* a group given twice is an error */
    gs[1].name = "a";
    ck_assert_int_ne(sp_compare(&s, &c, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
}
END_TEST

/* ---- bad input -------------------------------------------------------------------- */
START_TEST(malformed_evaluations)
{
    const char *root = tu_tmpdir();
    const double F[] = {5, 5, 4, 6};
    fake_run r = {2, names2, min2, F, NULL, 2, 1, NULL, 0};
    const char *dir = make_run(root, "bad", &r);
    char path[600];
    snprintf(path, sizeof path, "%s/evaluations.csv", dir);
    write_file(path, "eval,x,f1,f2,cv,seconds\n1,0.5,5,5,0,0.1\n2,0.5,4,oops,0,0.1\n");
    const double ref[] = {10, 10};
    const char *dirs[] = {dir};
    sp_compare_group_spec g = {"g", dirs, 1};
    sp_compare_spec s = {&g, 1, NULL, 0, ref, 2};
    sp_comparison c;
    em_error err = {0};
    ck_assert_int_ne(sp_compare(&s, &c, &err), 0);
    ck_assert_msg(strstr(err.msg, "bad/evaluations.csv:3") && strstr(err.msg, "'f2'"), "%s", err.msg);
    write_file(path, "eval,x,f1,f2,cv,seconds\n1,0.5,5,5,0,0.1\n2,0.5,4\n");
    ck_assert_int_ne(sp_compare(&s, &c, &err), 0);
    ck_assert_msg(strstr(err.msg, "bad/evaluations.csv:3: 3 fields"), "%s", err.msg);
    write_file(path, "eval,x,f1,cv,seconds\n1,0.5,5,0,0.1\n");
    ck_assert_int_ne(sp_compare(&s, &c, &err), 0);
    ck_assert_msg(strstr(err.msg, "evaluations.csv:1: no column 'f2'"), "%s", err.msg);
    write_file(path, "eval,x,f1,f2,cv,seconds\n1,0.5,5,5,0,0.1\n");
    /* a broken summary.json is named with its line */
    char sj[600];
    snprintf(sj, sizeof sj, "%s/summary.json", dir);
    write_file(sj, "{\n  \"hv\": 1,\n  oops\n}\n");
    ck_assert_int_ne(sp_compare(&s, &c, &err), 0);
    ck_assert_msg(strstr(err.msg, "bad/summary.json:3"), "%s", err.msg);
    remove(sj);
    /* a wrong number of reference values */
    s.n_ref = 1;
    ck_assert_int_ne(sp_compare(&s, &c, &err), 0);
    ck_assert_msg(strstr(err.msg, "1 values for 2 objectives"), "%s", err.msg);
    /* the command: a clear error, exit 1, no report file */
    char args[2048], *out = NULL, md[700];
    snprintf(path, sizeof path, "%s/evaluations.csv", dir);
    write_file(path, "eval,x,f1,f2,cv,seconds\n1,0.5,5,5,0,0.1\n2,0.5,4,oops,0,0.1\n");
    snprintf(md, sizeof md, "%s/report.md", root);
    snprintf(args, sizeof args, "stats --ref 10,10 --out '%s' g='%s'", md, dir);
    ck_assert_int_eq(tu_run_emomc(args, &out), 1);
    ck_assert_msg(strstr(out, "evaluations.csv:3"), "%s", out);
    ck_assert(!tu_file_exists(md));
    free(out);
}
END_TEST

/* ---- the command ------------------------------------------------------------------ */
START_TEST(command_files)
{
    const char *root = tu_tmpdir();
    static double store[4];
    const char *a1 = hv_run(root, "a-s1", 10, 1, &store[0]), *a2 = hv_run(root, "a-s2", 20, 2, &store[1]);
    const char *b1 = hv_run(root, "b-s1", 30, 1, &store[2]), *b2 = hv_run(root, "b-s2", 40, 2, &store[3]);
    char args[4096], *out = NULL, md[600], csv[600], png[600];
    snprintf(md, sizeof md, "%s/t.md", root);
    snprintf(csv, sizeof csv, "%s/t.csv", root);
    snprintf(png, sizeof png, "%s/box.png", root);
    snprintf(args, sizeof args, "stats --ref 1000 --at 1 --out '%s' --csv '%s' --plot '%s' "
             "A='%s,%s' B='%s,%s'", md, csv, png, a1, a2, b1, b2);
    ck_assert_msg(tu_run_emomc(args, &out) == 0, "%s", out);
    ck_assert_msg(strstr(out, "reference point (1000)"), "%s", out);
    free(out);
    ck_assert(tu_file_exists(md) && tu_file_exists(csv) && tu_file_exists(png));
    FILE *f = fopen(csv, "r");
    char line[1024];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "group,run,seed,evaluations,hv_at_1,hv_end,summary_hv\n");
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_ptr_nonnull(strstr(line, ",1,1,10,10,\n"));
    fclose(f);
    /* without gnuplot: a clear error and no file at all */
    snprintf(png, sizeof png, "%s/none.png", root);
    snprintf(md, sizeof md, "%s/none.md", root);
    snprintf(args, sizeof args, "EMOMC_GNUPLOT=/nonexistent/gnuplot '%s' stats --ref 1000 --out '%s' "
             "--plot '%s' A='%s,%s' B='%s,%s' 2>&1", EMOMC_BIN, md, png, a1, a2, b1, b2);
    FILE *p = popen(args, "r");
    char msg[2048] = "";
    size_t got = fread(msg, 1, sizeof msg - 1, p);
    msg[got] = '\0';
    ck_assert_int_ne(pclose(p), 0);
    ck_assert_msg(strstr(msg, "cannot run gnuplot"), "%s", msg);
    ck_assert(!tu_file_exists(png) && !tu_file_exists(md));
    /* usage errors */
    ck_assert_int_eq(tu_run_emomc("stats", &out), 2);
    free(out);
    ck_assert_int_eq(tu_run_emomc("stats nogroup", &out), 2);
    ck_assert_msg(strstr(out, "GROUP=RUNDIR"), "%s", out);
    free(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("search_compare");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hv_2d_after_n);
    tcase_add_test(tc, hv_maximized_and_3d);
    tcase_add_test(tc, reference_from_summaries);
    tcase_add_test(tc, agrees_with_committed_summaries);
    tcase_add_test(tc, friedman_pulse_by_seed);
    tcase_add_test(tc, dunn_and_sd_hand);
    tcase_add_test(tc, no_test_when_unpaired);
    tcase_add_test(tc, malformed_evaluations);
    tcase_add_test(tc, command_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
