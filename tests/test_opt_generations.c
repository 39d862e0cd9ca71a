/* tests/test_opt_generations.c: every algorithm counts generations as pymoo does (the
 * initial population is generation 1), checked by counting the rows the problem's
 * callback actually receives for --gens 1, 2 and 5: NSGA-II, C-TAEA and random search
 * spend G x pop evaluations, the surrogate loop N0 + G x k (its generations are
 * iterations). The library and `emomc optimize` are both checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "opt/algorithm.h"
#include "opt/ctaea.h"
#include "opt/sbo.h"
#include "tests/testutil.h"

/* Three objectives of four reals in [0, 1]; counts the rows it evaluates. */
static int count_eval(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    (void)G, (void)err;
    *(long *)user += n;
    for (int r = 0; r < n; r++) {
        const double *x = X + (size_t)r * 4;
        double g = 1.0 + (x[2] - 0.5) * (x[2] - 0.5) + (x[3] - 0.5) * (x[3] - 0.5);
        F[3 * r] = g * x[0];
        F[3 * r + 1] = g * x[1];
        F[3 * r + 2] = g * (2.0 - x[0] - x[1]);
    }
    return EM_OK;
}

typedef struct seen {
    int first, last, calls;
} seen;

static int on_gen(void *user, int gen, int n_gen, long ne, long me, const opt_pop *pop)
{
    (void)n_gen, (void)ne, (void)me, (void)pop;
    seen *s = user;
    if (s->calls++ == 0) s->first = gen;
    s->last = gen;
    return 0;
}

START_TEST(evaluations_per_generation)
{
    struct {
        const char *name;
        opt_algorithm_fn run;
        int pop;
        long per_gen, initial; /* evaluations: initial + G x per_gen (sbo: N0 + G k) */
        int first_gen;         /* generation reported after the initial population */
    } algos[] = {
        {"nsga2", opt_nsga2_run, 20, 20, 0, 1},
        {"ctaea", opt_ctaea_run, 21, 21, 0, 1}, /* 21 = C(6+2, 2) directions for m = 3 */
        {"random", opt_random_run, 20, 20, 0, 1},
        {"sbo", opt_sbo_run, 12, 2, 10, 0},
    };
    const int gens[] = {1, 2, 5};
    for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++)
        for (size_t g = 0; g < 3; g++) {
            long count = 0;
            opt_problem *p;
            ck_assert_int_eq(opt_problem_new("count3", 4, 3, 0, count_eval, &count, &p, NULL), 0);
            opt_options o;
            opt_options_default(&o);
            o.pop_size = algos[a].pop;
            o.n_gen = gens[g];
            o.seed = 3;
            if (!strcmp(algos[a].name, "sbo")) {
                o.n_initial = 10;
                o.n_infill = 2;
                o.variant = "models=knn,folds=2,inner_gens=3";
            }
            seen s = {0, 0, 0};
            o.progress = on_gen;
            o.progress_user = &s;
            opt_result r;
            em_error err = {0};
            ck_assert_msg(algos[a].run(p, &o, &r, &err) == 0, "%s: %s", algos[a].name, err.msg);
            long want = algos[a].initial + gens[g] * algos[a].per_gen;
            ck_assert_msg(count == want, "%s --gens %d: %ld evaluations, expected %ld",
                          algos[a].name, gens[g], count, want);
            ck_assert_int_eq(r.n_evals, want);
            ck_assert_int_eq(r.n_gen, gens[g]);
            ck_assert_int_eq(s.first, algos[a].first_gen);
            ck_assert_int_eq(s.last, gens[g]);
            opt_result_free(&r);
            opt_problem_free(p);
        }
}
END_TEST

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The number of data rows of RUNDIR/evaluations.csv. */
static long csv_rows(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/evaluations.csv", dir);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "%s missing", path);
    long n = 0;
    int c;
    while ((c = fgetc(fp)) != EOF) n += c == '\n';
    fclose(fp);
    return n - 1;
}

/* `emomc optimize --gens 1` of C-TAEA on DTLZ2 (91 directions) evaluates 91 points,
 * not 182; NSGA-II and random search one population. */
START_TEST(cli_gens_one)
{
    const char *algo[] = {"ctaea", "nsga2", "random"};
    const long want[] = {91, 91, 91};
    for (int a = 0; a < 3; a++)
        for (int g = 1; g <= 2; g++) {
            char dir[4096], cmd[8192];
            snprintf(dir, sizeof dir, "%s/gens-%s-%d", tu_tmpdir(), algo[a], g);
            snprintf(cmd, sizeof cmd, "%s optimize --problem dtlz2 --algorithm %s --pop 91 "
                     "--gens %d --out %s --quiet", EMOMC_BIN, algo[a], g, dir);
            ck_assert_int_eq(sh(cmd), 0);
            ck_assert_msg(csv_rows(dir) == g * want[a], "%s --gens %d: %ld rows", algo[a], g,
                          csv_rows(dir));
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("opt_generations");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, evaluations_per_generation);
    tcase_add_test(tc, cli_gens_one);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
