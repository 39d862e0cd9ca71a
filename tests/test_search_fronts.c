/* tests/test_search_fronts.c: several hand-made run directories side by side
 * (search/fronts.h, search/plotcompare.h): the data file of `plot --compare` holds
 * exactly each run's non-dominated set (against a brute-force filter written here),
 * a joint run is cut per dataflow, the x axis turns logarithmic past a 10x span, the
 * relative AScore of a front's best pick by hand, and joint vs separate hypervolumes
 * by hand at the joint run's number of evaluations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/fronts.h"
#include "search/plotcompare.h"
#include "tests/testutil.h"

static void put(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void config(const char *dir, const char *problem, const char *dataflow)
{
    char text[2048];
    snprintf(text, sizeof text, "problem: %s\nmodel: lenet5\nhw: emomc2021\nweights: \"%s\"\n"
             "library: \"%s\"\ndata: \"%s\"\nprotocol: val\ndataflow: \"%s\"\n", problem,
             tu_root_path("models/lenet5-mnist.emw"), tu_root_path("models/lenet5-mnist-library"),
             tu_root_path("data/mnist"), dataflow);
    put(dir, "config.yaml", text);
}

#define HEAD "member,b1,b2,b3,b4,b5,kind,library_keep,accuracy_search,accuracy_final,energy_mj,size_kb,nonzero_rate,plan\n"
#define REF ",,,,,,uncompressed,1,0.99,0.99,1.0,240,1,1:32;1:32;1:32;1:32;1:32\n"
#define ROW(a, e) "0,4,4,4,4,4,candidate,0.5," #a ",0.5," #e ",20,0.5,0.5:4;0.5:4;0.5:4;0.5:4;0.5:4\n"
#define JHEAD "member,b1,b2,b3,b4,b5,dataflow,coding,kind,library_keep,accuracy_search,accuracy_final,energy_mj,size_kb,nonzero_rate,plan\n"
#define JREF ",,,,,,,,uncompressed,1,0.99,0.99,1.0,240,1,1:32;1:32;1:32;1:32;1:32\n"
#define JROW(d, c, a, e, s) "0,4,4,4,4,4," #d "," #c ",candidate,0.5," #a ",0.5," #e "," #s ",0.5,0.5:4;0.5:4;0.5:4;0.5:4;0.5:4\n"

/* Three runs: X:Y (a dominated row and a repeat), CI:CO (a dominated row), joint (the
 * archive of the evaluations below: X:Y rows 1, 2, 5 and CI:CO row 3). */
static const char *xy_rows[][2] = {{"0.9", "0.3"}, {"0.85", "0.35"}, {"0.95", "0.5"},
                                   {"0.95", "0.5"}, {"0.99", "0.9"}};
static const char *cc_rows[][2] = {{"0.9", "3.0"}, {"0.99", "9.0"}, {"0.8", "5.0"}};

static void make_runs(char dirs[3][512])
{
    for (int i = 0; i < 3; i++) snprintf(dirs[i], 512, "%s", tu_tmpdir());
    config(dirs[0], "emomc-energy", "X:Y");
    config(dirs[1], "emomc-energy", "CI:CO");
    config(dirs[2], "emomc-joint", "X:Y");
    put(dirs[0], "final.csv", HEAD REF ROW(0.9, 0.3) ROW(0.85, 0.35) ROW(0.95, 0.5) ROW(0.95, 0.5)
        ROW(0.99, 0.9));
    put(dirs[1], "final.csv", HEAD REF ROW(0.9, 3.0) ROW(0.99, 9.0) ROW(0.8, 5.0));
    put(dirs[2], "final.csv", JHEAD JREF JROW(0, 0, 0.90, 0.4, 10) JROW(0, 2, 0.95, 0.6, 5)
        JROW(1, 0, 0.97, 0.5, 20) JROW(0, 1, 0.99, 0.9, 30));
    /* Joint evaluations: row 4 is dominated by row 1 on all three objectives. */
    put(dirs[2], "evaluations.csv",
        "eval,member,b1,b2,b3,b4,b5,dataflow,coding,accuracy,energy_mj,size_kb,cv,seconds\n"
        "1,0,4,4,4,4,4,0,0,0.90,0.4,10,0,0\n2,0,4,4,4,4,4,0,2,0.95,0.6,5,0,0\n"
        "3,0,4,4,4,4,4,1,0,0.97,0.5,20,0,0\n4,0,4,4,4,4,4,0,0,0.85,0.5,12,0,0\n"
        "5,0,4,4,4,4,4,0,1,0.99,0.9,30,0,0\n");
    /* Separate X:Y: row 3 infeasible, row 6 beyond the joint run's 5 evaluations. */
    put(dirs[0], "evaluations.csv",
        "eval,member,b1,b2,b3,b4,b5,accuracy,energy_mj,cv,seconds\n"
        "1,0,4,4,4,4,4,0.92,0.5,0,0\n2,0,4,4,4,4,4,0.80,0.3,0,0\n3,0,4,4,4,4,4,0.99,0.8,1,0\n"
        "4,0,4,4,4,4,4,0.96,0.7,0,0\n5,0,4,4,4,4,4,0.50,0.1,0,0\n6,0,4,4,4,4,4,0.999,0.05,0,0\n");
}

/* Brute force: (a[i], c[i]) kept when no other point is at least as good on both and
 * better on one, and no earlier point equals it. */
static int brute_nd(const double *a, const double *c, int n, double *ka, double *kc)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        int keep = 1;
        for (int j = 0; j < n && keep; j++) {
            if (j == i) continue;
            int dom = a[j] >= a[i] && c[j] <= c[i] && (a[j] > a[i] || c[j] < c[i]);
            int dup = j < i && a[j] == a[i] && c[j] == c[i];
            if (dom || dup) keep = 0;
        }
        if (keep) ka[m] = a[i], kc[m++] = c[i];
    }
    for (int i = 1; i < m; i++) /* by cost */
        for (int j = i; j > 0 && kc[j] < kc[j - 1]; j--) {
            double t = kc[j]; kc[j] = kc[j - 1]; kc[j - 1] = t;
            t = ka[j]; ka[j] = ka[j - 1]; ka[j - 1] = t;
        }
    return m;
}

/* Series k of a data file: its (cost, accuracy_search) lines. */
static int read_series(const char *path, int k, double *a, double *c)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int series = -1, n = 0, blank = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n') { blank++; continue; }
        if (line[0] == '#') {
            if (strstr(line, " accuracy_search ") == NULL && (series < 0 || blank >= 2)) series++;
            blank = 0;
            continue;
        }
        blank = 0;
        double x, y, z;
        ck_assert_int_eq(sscanf(line, "%lf %lf %lf", &x, &y, &z), 3);
        if (series == k) c[n] = x, a[n++] = y;
    }
    fclose(f);
    return n;
}

static void check_series(const char *dat, int k, const double *a, const double *c, int n)
{
    double ka[16], kc[16], ga[16], gc[16];
    int m = brute_nd(a, c, n, ka, kc), g = read_series(dat, k, ga, gc);
    ck_assert_int_eq(g, m);
    for (int i = 0; i < m; i++) {
        ck_assert_double_eq(ga[i], ka[i]);
        ck_assert_double_eq(gc[i], kc[i]);
    }
}


START_TEST(compare_data_is_each_runs_nondominated_set)
{
    char dirs[3][512], out[600], dat[600], path[600];
    make_runs(dirs);
    const char *d[3] = {dirs[0], dirs[1], dirs[2]};
    const char *o = tu_tmpdir();
    snprintf(out, sizeof out, "%s/fig.gp", o);
    snprintf(dat, sizeof dat, "%s/fig.dat", o);
    sp_compare_opts so = {out, NULL, SP_AXIS_AUTO};
    char list[4096];
    em_error err = {0};
    ck_assert_msg(sp_plot_compare(d, 3, &so, list, sizeof list, &err) == 0, "%s", err.msg);
    double a[8], c[8];
    for (int i = 0; i < 5; i++) a[i] = atof(xy_rows[i][0]), c[i] = atof(xy_rows[i][1]);
    check_series(dat, 0, a, c, 5);
    for (int i = 0; i < 3; i++) a[i] = atof(cc_rows[i][0]), c[i] = atof(cc_rows[i][1]);
    check_series(dat, 1, a, c, 3);
    /* The joint run: its X:Y slice (archive rows 1, 2, 4), then CI:CO (row 3). */
    const double jxa[] = {0.90, 0.95, 0.99}, jxc[] = {0.4, 0.6, 0.9}, jca[] = {0.97}, jcc[] = {0.5};
    check_series(dat, 2, jxa, jxc, 3);
    check_series(dat, 3, jca, jcc, 1);
    char *txt = tu_read_file(dat);
    ck_assert_msg(strstr(txt, "# joint X:Y (") && strstr(txt, "# joint CI:CO ("), "%s", txt);
    ck_assert_ptr_null(strstr(txt, "# joint FX:FY"));
    free(txt);
    txt = tu_read_file(out); /* costs 0.3 .. 9 (and the dense model): a log axis */
    ck_assert_msg(strstr(txt, "set logscale x"), "%s", txt);
    free(txt);
    snprintf(path, sizeof path, "%s/fig-ascore.gp", o);
    ck_assert(tu_file_exists(path));
    /* X:Y alone spans 0.3 .. 1.0: linear. */
    ck_assert_msg(sp_plot_compare(d, 1, &so, list, sizeof list, &err) == 0, "%s", err.msg);
    txt = tu_read_file(out);
    ck_assert_ptr_null(strstr(txt, "set logscale x"));
    free(txt);
}
END_TEST

/* X:Y front {(0.9, 0.3), (0.95, 0.5), (0.99, 0.9)}, reference (0.99, 1.0).
 * q = 1: (2a - 1)/c = 2.667, 1.8, 1.089; the reference 0.98: pick 0, 2.7211.
 * q = 0.2: (1.2a - 1)/c = 0.2667, 0.28, 0.2089; the reference 0.188: pick 1, 1.4894. */
START_TEST(best_ascore_by_hand)
{
    char dirs[3][512];
    make_runs(dirs);
    const char *d[1] = {dirs[0]};
    sp_fronts f;
    em_error err = {0};
    ck_assert_msg(sp_fronts_read(d, 1, SP_AXIS_AUTO, &f, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(f.n, 1);
    ck_assert_int_eq(f.s[0].n, 3);
    int pick;
    ck_assert_double_eq_tol(sp_front_best_ascore_rel(&f.s[0], 1, &pick), (0.8 / 0.3) / 0.98, 1e-12);
    ck_assert_int_eq(pick, 0);
    ck_assert_double_eq_tol(sp_front_best_ascore_rel(&f.s[0], 0.2, &pick), (0.14 / 0.5) / 0.188, 1e-12);
    ck_assert_int_eq(pick, 1);
    sp_fronts_free(&f);
}
END_TEST

/* Reference (accuracy 0, 1.0 mJ: the separate run's dense model). Joint X:Y slice of
 * the archive {(0.90, 0.4), (0.95, 0.6), (0.99, 0.9)}: 0.6*0.90 + 0.4*0.05 + 0.1*0.04
 * = 0.564. Separate, first 5 evaluations, feasible {(0.5, 0.1), (0.8, 0.3), (0.92, 0.5),
 * (0.96, 0.7)}: 0.9*0.5 + 0.7*0.3 + 0.5*0.12 + 0.3*0.04 = 0.732. */
START_TEST(joint_vs_separate_by_hand)
{
    char dirs[3][512];
    make_runs(dirs);
    const char *sep[1] = {dirs[0]};
    sp_joint_row r;
    em_error err = {0};
    ck_assert_msg(sp_joint_vs_separate(dirs[2], sep, 1, &r, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(r.name, "X:Y");
    ck_assert(r.energy);
    ck_assert_int_eq(r.n_joint, 5);
    ck_assert_int_eq(r.n_separate, 5);
    ck_assert_int_eq(r.n_separate_total, 6);
    ck_assert_int_eq(r.n_slice, 3);
    ck_assert_double_eq_tol(r.ref_cost, 1.0, 1e-15);
    ck_assert_double_eq_tol(r.hv_joint, 0.564, 1e-12);
    ck_assert_double_eq_tol(r.hv_separate, 0.732, 1e-12);
    /* A joint run is not a separate one, and the other way round. */
    ck_assert_int_ne(sp_joint_vs_separate(dirs[0], sep, 1, &r, &err), 0);
    ck_assert_msg(strstr(err.msg, "not an emomc-joint"), "%s", err.msg);
    const char *bad[1] = {dirs[2]};
    ck_assert_int_ne(sp_joint_vs_separate(dirs[2], bad, 1, &r, &err), 0);
    ck_assert_msg(strstr(err.msg, "not a separate"), "%s", err.msg);
}
END_TEST

/* Bad input names the file, line and column. */
START_TEST(bad_rows_are_named)
{
    char dirs[3][512];
    make_runs(dirs);
    put(dirs[2], "final.csv", JHEAD JREF JROW(7, 0, 0.9, 0.4, 10));
    const char *d[1] = {dirs[2]};
    sp_fronts f;
    em_error err = {0};
    ck_assert_int_ne(sp_fronts_read(d, 1, SP_AXIS_AUTO, &f, &err), 0);
    ck_assert_msg(strstr(err.msg, "final.csv:3: column 'dataflow'"), "%s", err.msg);
    const char *mixed[2] = {dirs[0], dirs[1]};
    config(dirs[1], "emomc-size", "X:Y");
    ck_assert_int_ne(sp_fronts_read(mixed, 2, SP_AXIS_AUTO, &f, &err), 0);
    ck_assert_msg(strstr(err.msg, "one cost"), "%s", err.msg);
}
END_TEST

/* The command line: plot --compare with several runs, report --joint-vs, and their
 * usage errors. */
START_TEST(command_line)
{
    char dirs[3][512], args[4096], path[700];
    make_runs(dirs);
    const char *o = tu_tmpdir();
    char *out = NULL;
    snprintf(args, sizeof args, "plot --compare '%s' '%s' '%s' --out '%s/f.png' --title T", dirs[0],
             dirs[1], dirs[2], o);
    ck_assert_msg(tu_run_emomc(args, &out) == 0, "%s", out);
    const char *made[] = {"f.png", "f.dat", "f-ascore.png"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", o, made[i]);
        ck_assert_msg(tu_file_exists(path) && strstr(out, path), "%s: %s", path, out);
    }
    free(out);
    snprintf(args, sizeof args, "report --joint-vs '%s' '%s'", dirs[2], dirs[0]);
    ck_assert_int_eq(tu_run_emomc(args, &out), 0);
    ck_assert_msg(strstr(out, "at the joint run's 5 evaluations") && strstr(out, "\nX:Y "), "%s", out);
    free(out);
    ck_assert_int_eq(tu_run_emomc("plot --compare --out x.png", &out), 2);
    ck_assert_msg(strstr(out, "at least one run directory"), "%s", out);
    free(out);
    snprintf(args, sizeof args, "report --joint-vs '%s'", dirs[2]);
    ck_assert_int_ne(tu_run_emomc(args, &out), 0);
    ck_assert_msg(strstr(out, "give the joint run, then separate runs"), "%s", out);
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("search_fronts");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, compare_data_is_each_runs_nondominated_set);
    tcase_add_test(tc, best_ascore_by_hand);
    tcase_add_test(tc, joint_vs_separate_by_hand);
    tcase_add_test(tc, bad_rows_are_named);
    tcase_add_test(tc, command_line);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
