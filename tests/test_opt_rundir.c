/* tests/test_opt_rundir.c: the run directory files (contents checked against the
 * result they were written from), and `emomc optimize` end to end: a run stopped after
 * generation g and resumed gives the same archive.csv and front.csv byte for byte,
 * with the same cumulative cache_hits; bad flags exit 2
 * with a message and leave no output. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "opt/algorithm.h"
#include "opt/benchmarks.h"
#include "opt/indicators.h"
#include "opt/rundir.h"
#include "tests/testutil.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, fp);
    s[got] = 0;
    fclose(fp);
    if (len) *len = got;
    return s;
}

/* Brute force: feasible rows of pop that no feasible row dominates, distinct F. */
static int nd_count(const opt_pop *pop)
{
    int m = pop->n_obj, k = 0;
    for (int i = 0; i < pop->n; i++) {
        if (pop->CV[i] > 0) continue;
        const double *a = pop->F + (size_t)i * m;
        int dominated = 0, repeat = 0;
        for (int j = 0; j < pop->n && !dominated; j++) {
            if (j == i || pop->CV[j] > 0) continue;
            const double *b = pop->F + (size_t)j * m;
            int le = 1, lt = 0;
            for (int d = 0; d < m; d++) le &= b[d] <= a[d], lt |= b[d] < a[d];
            dominated = le && lt;
            repeat |= j < i && !memcmp(a, b, sizeof(double) * m);
        }
        k += !dominated && !repeat;
    }
    return k;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* maximize f1 = x1, minimize f2 = x1^2 + x2, with one constraint x2 >= 0.1 */
static int mm_eval(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)user, (void)err;
    for (int r = 0; r < n; r++) {
        F[2 * r] = X[2 * r];
        F[2 * r + 1] = X[2 * r] * X[2 * r] + X[2 * r + 1];
        G[r] = 0.1 - X[2 * r + 1];
    }
    return EM_OK;
}

START_TEST(files_match_result)
{
    opt_problem *p;
    ck_assert_int_eq(opt_problem_new("mm", 2, 2, 1, mm_eval, NULL, &p, NULL), 0);
    p->maximize[0] = true;
    snprintf(p->obj_names[0], 32, "gain");
    opt_options o;
    opt_options_default(&o);
    o.pop_size = 12;
    o.n_gen = 10;
    opt_result r;
    em_error err = {0};
    ck_assert_int_eq(opt_nsga2_run(p, &o, &r, &err), 0);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/run1/nested", tu_tmpdir());
    ck_assert_int_eq(opt_rundir_prepare(dir, &err), 0);
    double ref[] = {0.0, 2.0};
    opt_rundir_info info = {.algorithm = "nsga2", .options = &o, .ref = ref, .true_hv = NAN};
    ck_assert_msg(opt_rundir_write(dir, p, &r, &info, &err) == 0, "%s", err.msg);

    char path[4200];
    snprintf(path, sizeof path, "%s/evaluations.csv", dir);
    char *ev = slurp(path, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(count_lines(ev), r.n_evals + 1);
    ck_assert(!strncmp(ev, "eval,x1,x2,gain,f2,g1,cv,seconds\n", 33));
    /* the first row's objective is written back in its maximized sense */
    double x1, x2, f1, f2, g1, cv;
    ck_assert_int_eq(sscanf(strchr(ev, '\n') + 1, "1,%lf,%lf,%lf,%lf,%lf,%lf", &x1, &x2, &f1, &f2, &g1, &cv), 6);
    ck_assert(x1 == r.evals->X[0] && x2 == r.evals->X[1]); /* %.17g round-trips */
    ck_assert(f1 == -r.evals->F[0] && f1 == x1);
    ck_assert(cv == r.evals->CV[0]);
    free(ev);

    /* archive.csv: the non-dominated set of every evaluation; pareto.csv its
     * deprecated alias (same bytes); front.csv: of the final population only;
     * population.csv: the final population */
    snprintf(path, sizeof path, "%s/archive.csv", dir);
    size_t la, lp;
    char *pa = slurp(path, &la);
    opt_pop *ps = opt_pareto_set(r.evals);
    ck_assert_int_eq(count_lines(pa), ps->n + 1);
    ck_assert_int_eq(ps->n, nd_count(r.evals));
    ck_assert(!strncmp(pa, "x1,x2,gain,f2,g1,cv\n", 20));
    snprintf(path, sizeof path, "%s/pareto.csv", dir);
    char *alias = slurp(path, &lp);
    ck_assert(la == lp && !memcmp(pa, alias, la));
    free(pa), free(alias);
    snprintf(path, sizeof path, "%s/front.csv", dir);
    char *fr = slurp(path, NULL);
    int n_front = nd_count(r.pop);
    ck_assert_int_eq(count_lines(fr), n_front + 1);
    free(fr);
    snprintf(path, sizeof path, "%s/population.csv", dir);
    char *pop = slurp(path, NULL);
    ck_assert_int_eq(count_lines(pop), r.pop->n + 1);
    ck_assert_int_eq(r.pop->n, 12);
    free(pop);

    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *js = slurp(path, NULL);
    char want[128];
    snprintf(want, sizeof want, "\"evaluations\": %ld,", r.n_evals);
    ck_assert_ptr_nonnull(strstr(js, want));
    snprintf(want, sizeof want, "\"pareto_size\": %d,", ps->n);
    ck_assert_ptr_nonnull(strstr(js, want));
    ck_assert_ptr_nonnull(strstr(js, "\"igd\": null"));
    ck_assert_ptr_nonnull(strstr(js, "\"true_hv\": null"));
    double hv = opt_hv(ps->F, ps->n, 2, ref);
    ck_assert(hv > 0);
    char *h = strstr(js, "\"hv\": ");
    ck_assert_ptr_nonnull(h);
    ck_assert(strtod(h + 6, NULL) == hv);
    /* the front's and the archive's own entries: their files, sizes and hypervolumes
     * (parsed as JSON: summary.json is written through jansson) */
    opt_pop *fs = opt_pareto_set(r.pop);
    json_error_t je;
    json_t *doc = json_loads(js, 0, &je);
    ck_assert_msg(doc != NULL, "summary.json: %s", je.text);
    json_t *jf = json_object_get(doc, "front"), *ar = json_object_get(doc, "archive");
    ck_assert_str_eq(json_string_value(json_object_get(jf, "file")), "front.csv");
    ck_assert_str_eq(json_string_value(json_object_get(jf, "of")), "final population");
    ck_assert_int_eq(json_integer_value(json_object_get(jf, "size")), n_front);
    ck_assert(json_is_true(json_object_get(jf, "feasible")));
    ck_assert(json_real_value(json_object_get(jf, "hv")) == opt_hv(fs->F, fs->n, 2, ref));
    ck_assert_str_eq(json_string_value(json_object_get(ar, "file")), "archive.csv");
    ck_assert_str_eq(json_string_value(json_object_get(ar, "of")), "all evaluations");
    ck_assert_int_eq(json_integer_value(json_object_get(ar, "size")), ps->n);
    ck_assert(json_real_value(json_object_get(ar, "hv")) == hv);
    ck_assert(json_is_null(json_object_get(ar, "igd")));
    ck_assert(json_is_integer(json_object_get(doc, "evaluations")));
    json_decref(doc);
    opt_pop_free(fs);
    free(js);

    snprintf(path, sizeof path, "%s/run.yaml", dir);
    char *y = slurp(path, NULL);
    ck_assert_ptr_nonnull(strstr(y, "problem: \"mm\""));
    ck_assert_ptr_nonnull(strstr(y, "sense: maximize"));
    ck_assert_ptr_nonnull(strstr(y, "seed: 1\n"));
    free(y);
    /* no temporary file is left behind */
    snprintf(path, sizeof path, "ls %s | grep -c tmp > /dev/null", dir);
    ck_assert_int_ne(system(path), 0);

    /* a run directory path that is a file is refused */
    snprintf(path, sizeof path, "%s/evaluations.csv", dir);
    ck_assert_int_eq(opt_rundir_prepare(path, &err), EM_EIO);
    opt_pop_free(ps);
    opt_result_free(&r);
    opt_problem_free(p);
}
END_TEST

/* summary.json through jansson: a problem, algorithm and reference source named with
 * a tab, quotes and a backslash read back unchanged; counts are integers, seconds and
 * indicators reals (null where unknown). */
START_TEST(summary_names_round_trip)
{
    const char *pname = "m\tm \"q\" \\", *aname = "ns\tga\"2", *src = "given\tby \"hand\"";
    opt_problem *p;
    ck_assert_int_eq(opt_problem_new(pname, 2, 2, 1, mm_eval, NULL, &p, NULL), 0);
    opt_options o;
    opt_options_default(&o);
    o.pop_size = 8;
    o.n_gen = 2;
    opt_result r;
    em_error err = {0};
    ck_assert_int_eq(opt_nsga2_run(p, &o, &r, &err), 0);
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/odd", tu_tmpdir());
    ck_assert_int_eq(opt_rundir_prepare(dir, &err), 0);
    double ref[] = {10.0, 10.0};
    opt_rundir_info info = {.algorithm = aname, .options = &o, .ref = ref, .ref_source = src,
                            .true_hv = NAN, .seconds = 1.5};
    ck_assert_msg(opt_rundir_write(dir, p, &r, &info, &err) == 0, "%s", err.msg);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    ck_assert_msg(doc != NULL, "%s: line %d: %s", path, je.line, je.text);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "problem")), pname);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "algorithm")), aname);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "hv_ref_source")), src);
    ck_assert(json_is_integer(json_object_get(doc, "evaluations")));
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "evaluations")), r.n_evals);
    ck_assert(json_is_real(json_object_get(doc, "seconds")));
    ck_assert(json_real_value(json_object_get(doc, "seconds")) == 1.5);
    ck_assert(json_is_real(json_array_get(json_object_get(doc, "hv_ref"), 0)));
    ck_assert(json_is_null(json_object_get(doc, "true_hv")));
    json_decref(doc);
    opt_result_free(&r);
    opt_problem_free(p);
}
END_TEST

/* ---- the command line ---------------------------------------------------------------- */
static char exe[4200];

static void find_exe(void)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert(n > 0);
    self[n] = 0;
    char *slash = strrchr(self, '/');
    *slash = 0; /* build/tests */
    snprintf(exe, sizeof exe, "%s/../emomc", self);
    ck_assert_msg(access(exe, X_OK) == 0, "%s not built", exe);
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd, fmt, exe, a, b);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(cli_resume_byte_identical)
{
    find_exe();
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/cli-a", tu_tmpdir());
    snprintf(b, sizeof b, "%s/cli-b", tu_tmpdir());
    /* uninterrupted: 25 generations; interrupted: 9 generations, then resumed to 25 */
    ck_assert_int_eq(sh("%s optimize --problem c2dtlz2 --pop 32 --gens 25 --seed 4 --out %s --quiet%s", a, ""), 0);
    ck_assert_int_eq(sh("%s optimize --problem c2dtlz2 --pop 32 --gens 9 --seed 4 --out %s --quiet%s", b, ""), 0);
    ck_assert_int_eq(sh("%s optimize --problem c2dtlz2 --pop 32 --gens 25 --seed 4 --out %s --resume --quiet%s", b, ""), 0);
    char pa[4200], pb[4200];
    const char *sets[] = {"archive.csv", "front.csv", "population.csv", "evaluations.csv"};
    for (int i = 0; i < 3; i++) { /* evaluations.csv differs in its timings */
        snprintf(pa, sizeof pa, "%s/%s", a, sets[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, sets[i]);
        size_t la, lb;
        char *A = slurp(pa, &la), *B = slurp(pb, &lb);
        ck_assert_ptr_nonnull(A);
        ck_assert_ptr_nonnull(B);
        ck_assert_int_eq(la, lb);
        ck_assert(la > 100);
        ck_assert_msg(!memcmp(A, B, la), "%s differs", sets[i]);
        free(A), free(B);
    }
    /* summary reports an IGD against the true front */
    snprintf(pa, sizeof pa, "%s/summary.json", a);
    char *js = slurp(pa, NULL);
    ck_assert_ptr_nonnull(strstr(js, "\"igd\": 0."));
    free(js);
}
END_TEST

/* A number after "key": in a JSON text (the first occurrence). */
static double json_value(const char *js, const char *key)
{
    char k[128];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *h = strstr(js, k);
    ck_assert_msg(h != NULL, "no %s", key);
    return strtod(h + strlen(k), NULL);
}

/* `emomc optimize --problem mixed`: integer and categorical variables, a maximized
 * objective and a 165-genotype space, against brute force over every genotype. */
START_TEST(cli_mixed_problem)
{
    find_exe();
    char a[4096], b[4096], path[4200];
    snprintf(a, sizeof a, "%s/cli-mixed-a", tu_tmpdir());
    snprintf(b, sizeof b, "%s/cli-mixed-b", tu_tmpdir());
    ck_assert_int_eq(sh("%s optimize --problem mixed --pop 20 --gens 30 --seed 2 --out %s --quiet%s", a, ""), 0);
    /* brute force: the natural-sense non-dominated set (max gain, min cost) */
    double G[165], C[165];
    int X[165][3], n = 0;
    for (int x1 = 0; x1 <= 10; x1++)
        for (int x2 = 0; x2 <= 4; x2++)
            for (int x3 = 0; x3 < 3; x3++, n++) {
                double q = (x2 - 2) * (x2 - 2) + (x3 != 1);
                X[n][0] = x1, X[n][1] = x2, X[n][2] = x3;
                G[n] = x1 / 10.0 - q;
                C[n] = (x1 / 10.0) * (x1 / 10.0) + q;
            }
    int nd[165], n_nd = 0;
    for (int i = 0; i < 165; i++) {
        int dom = 0;
        for (int j = 0; j < 165 && !dom; j++)
            dom = G[j] >= G[i] && C[j] <= C[i] && (G[j] > G[i] || C[j] < C[i]);
        if (!dom) nd[n_nd++] = i;
    }
    ck_assert_int_eq(n_nd, 11);
    /* archive.csv holds exactly those rows, objectives in their natural sense */
    snprintf(path, sizeof path, "%s/archive.csv", a);
    char *ar = slurp(path, NULL);
    ck_assert(!strncmp(ar, "x1,x2,x3,gain,cost,cv\n", 22));
    ck_assert_int_eq(count_lines(ar), 11 + 1);
    for (int k = 0; k < n_nd; k++) {
        int i = nd[k];
        char row[128];
        snprintf(row, sizeof row, "\n%d,%d,%d,", X[i][0], X[i][1], X[i][2]);
        const char *r = strstr(ar, row);
        ck_assert_msg(r != NULL, "missing front row %s", row + 1);
        double g, c;
        ck_assert_int_eq(sscanf(r + strlen(row), "%lf,%lf", &g, &c), 2);
        ck_assert(g == G[i] && c == C[i]);
    }
    free(ar);
    /* evaluations.csv: integral values in range, valid categories, no genotype twice */
    snprintf(path, sizeof path, "%s/evaluations.csv", a);
    FILE *fp = fopen(path, "r");
    char line[512];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, fp));
    int seen[165] = {0}, rows = 0;
    while (fgets(line, sizeof line, fp)) {
        double x1, x2, x3, g, c;
        int e;
        ck_assert_int_eq(sscanf(line, "%d,%lf,%lf,%lf,%lf,%lf", &e, &x1, &x2, &x3, &g, &c), 6);
        ck_assert(x1 == (int)x1 && x2 == (int)x2 && x3 == (int)x3);
        ck_assert(x1 >= 0 && x1 <= 10 && x2 >= 0 && x2 <= 4 && x3 >= 0 && x3 <= 2);
        int id = ((int)x1 * 5 + (int)x2) * 3 + (int)x3;
        ck_assert_msg(!seen[id]++, "genotype %d evaluated twice", id);
        ck_assert(g == G[id] && c == C[id]);
        rows++;
    }
    fclose(fp);
    ck_assert(rows <= 165 && rows < 20 * 30);
    /* summary.json: the cache served repeats; the hypervolume equals the front's, by
     * hand: sum over k of (0.1 + k/10) ((k+1)^2/100 or 1.1 for k = 10, less k^2/100) */
    snprintf(path, sizeof path, "%s/summary.json", a);
    char *js = slurp(path, NULL);
    double hv = 0;
    for (int k = 0; k <= 10; k++)
        hv += (0.1 + k / 10.0) * ((k < 10 ? (k + 1) * (k + 1) / 100.0 : 1.1) - k * k / 100.0);
    ck_assert_close(json_value(js, "true_hv"), hv, 1e-12, 0);
    ck_assert_close(json_value(js, "hv"), hv, 1e-12, 0);
    ck_assert(json_value(js, "igd") == 0.0);
    ck_assert(json_value(js, "evaluations") == rows);
    double hits = json_value(js, "cache_hits");
    ck_assert(hits > 0);
    /* stopped after 6 generations and resumed: same sets, and cache_hits cumulative */
    ck_assert_int_eq(sh("%s optimize --problem mixed --pop 20 --gens 6 --seed 2 --out %s --quiet%s", b, ""), 0);
    snprintf(path, sizeof path, "%s/summary.json", b);
    char *js6 = slurp(path, NULL);
    ck_assert(json_value(js6, "cache_hits") > 0); /* hits before the resume count too */
    free(js6);
    ck_assert_int_eq(sh("%s optimize --problem mixed --pop 20 --gens 30 --seed 2 --out %s --resume --quiet%s", b, ""), 0);
    char *jb = slurp(path, NULL);
    ck_assert(json_value(jb, "cache_hits") == hits);
    ck_assert(json_value(jb, "evaluations") == rows);
    free(jb);
    const char *sets[] = {"archive.csv", "front.csv", "population.csv"};
    for (int i = 0; i < 3; i++) {
        char pa[4200], pb[4200];
        snprintf(pa, sizeof pa, "%s/%s", a, sets[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, sets[i]);
        char *A = slurp(pa, NULL), *B = slurp(pb, NULL);
        ck_assert_str_eq(A, B);
        free(A), free(B);
    }
    free(js);
}
END_TEST

START_TEST(cli_bad_flags)
{
    find_exe();
    char d[4096];
    snprintf(d, sizeof d, "%s/cli-bad", tu_tmpdir());
    const char *bad[] = {
        "%s optimize --problem nope --out %s 2>/dev/null%s",
        "%s optimize --problem zdt1 --pop 0 --out %s 2>/dev/null%s",
        "%s optimize --problem zdt1 --gens x --out %s 2>/dev/null%s",
        "%s optimize --problem zdt1 --algorithm sa --out %s 2>/dev/null%s",
        "%s optimize --problem zdt1 --n-obj 3 --out %s 2>/dev/null%s",
        "%s optimize --problem zdt1 --out %s --resume 2>/dev/null%s",
        "%s optimize --problem zdt1 --out %s --frobnicate 2>/dev/null%s",
        "%s optimize --problem zdt1 --seed -1 --out %s 2>/dev/null%s",
        "%s optimize --out %s 2>/dev/null%s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sh(bad[i], d, "") == 2, "case %zu did not exit 2", i);
    ck_assert_int_ne(access(d, F_OK), 0); /* nothing was created */
    /* the message names the flag */
    char msg[4200];
    snprintf(msg, sizeof msg, "%s/msg.txt", tu_tmpdir());
    char fmt[] = "%s optimize --problem zdt1 --pop 1 --out %s 2> %s";
    ck_assert_int_eq(sh(fmt, d, msg), 2);
    char *m = slurp(msg, NULL);
    ck_assert_ptr_nonnull(strstr(m, "--pop"));
    free(m);
    ck_assert_int_eq(sh("%s optimize --help > /dev/null%s%s", "", ""), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("opt_rundir");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, files_match_result);
    tcase_add_test(tc, summary_names_round_trip);
    tcase_add_test(tc, cli_resume_byte_identical);
    tcase_add_test(tc, cli_mixed_problem);
    tcase_add_test(tc, cli_bad_flags);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
