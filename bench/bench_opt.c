/* bench/bench_opt.c: speed of opt/: NSGA-II generations per second on ZDT1 (30
 * variables, pop 100 and 40), and exact hypervolume time for 10^3..10^5 mutually
 * non-dominated points in 2-D and 3-D. For 3-D the O(n log n) sweep is timed side by
 * side with the slicing reference (2-D sweeps over every f3 slice, O(n^2 log n)) on
 * the sizes where that finishes, and their ratio is printed. Above 3-D (points uniform
 * in the cube, most dominated) WFG after the non-dominated filter is timed against the
 * old dimension sweep (a copy kept here), with the speed-up. The checkpoint: time per
 * NSGA-II generation near generation 100 and 3,000 with the append-only archive and
 * with the old whole-file rewrite, and their totals. Medians of repeats. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/progress.h"
#include "common/rng.h"
#include "opt/algorithm.h"
#include "opt/benchmarks.h"
#include "opt/checkpoint.h"
#include "opt/indicators.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void bench_nsga2(int pop, int gens, int reps)
{
    opt_problem *p;
    em_error err = {0};
    if (opt_benchmark_new("zdt1", 30, 2, &p, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    double t[16];
    for (int r = 0; r < reps; r++) {
        opt_options o;
        opt_options_default(&o);
        o.pop_size = pop;
        o.n_gen = gens;
        o.seed = (uint64_t)r + 1;
        opt_result res;
        double t0 = em_now_seconds();
        if (opt_nsga2_run(p, &o, &res, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        t[r] = em_now_seconds() - t0;
        opt_result_free(&res);
    }
    double m = median(t, reps);
    printf("nsga2 zdt1 n_var=30 pop=%-4d gens=%-4d  %8.3f s  %9.1f generations/s\n", pop, gens, m,
           gens / m);
    opt_problem_free(p);
}

/* n points, all mutually non-dominated: on the line f1 + f2 = 1 (2-D) or the unit
 * sphere's positive octant (3-D), in random order. */
static double *front_points(int n, int m, em_rng *rng)
{
    double *A = malloc(sizeof(double) * (size_t)n * m);
    for (int i = 0; i < n; i++) {
        double *a = A + (size_t)i * m;
        if (m == 2) {
            a[0] = em_rng_uniform(rng);
            a[1] = 1.0 - a[0];
        } else {
            double s = 0;
            for (int j = 0; j < m; j++) a[j] = fabs(em_rng_normal(rng)), s += a[j] * a[j];
            for (int j = 0; j < m; j++) a[j] /= sqrt(s);
        }
    }
    return A;
}

static double hv3_by_slices(const double *A, int n, const double *ref)
{
    double *z = malloc(sizeof(double) * (n + 1)), *S = malloc(sizeof(double) * 2 * n);
    for (int i = 0; i < n; i++) z[i] = A[3 * i + 2];
    qsort(z, (size_t)n, sizeof *z, cmp_d);
    z[n] = ref[2];
    double v = 0;
    for (int s = 0; s < n; s++) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (A[3 * i + 2] <= z[s]) S[2 * k] = A[3 * i], S[2 * k + 1] = A[3 * i + 1], k++;
        v += opt_hv(S, k, 2, ref) * (z[s + 1] - z[s]);
    }
    free(z), free(S);
    return v;
}

static void bench_hv(int m, int n, int reps)
{
    em_rng rng;
    em_rng_seed(&rng, (uint64_t)n * 31 + (uint64_t)m);
    double *A = front_points(n, m, &rng), ref[3] = {1.1, 1.1, 1.1};
    double t[16], tr[16], v = 0, vr = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = em_now_seconds();
        v = opt_hv(A, n, m, ref);
        t[r] = em_now_seconds() - t0;
    }
    double mt = median(t, reps);
    if (m == 3 && n <= 10000) {
        int rr = n <= 1000 ? reps : 1;
        for (int r = 0; r < rr; r++) {
            double t0 = em_now_seconds();
            vr = hv3_by_slices(A, n, ref);
            tr[r] = em_now_seconds() - t0;
        }
        double mr = median(tr, rr);
        printf("hypervolume m=%d n=%-7d %10.3f ms   slicing reference %10.3f ms   ratio %7.1fx"
               "   |diff| %.1e\n", m, n, mt * 1e3, mr * 1e3, mr / mt, fabs(v - vr));
    } else {
        printf("hypervolume m=%d n=%-7d %10.3f ms   (hv %.6f)\n", m, n, mt * 1e3, v);
    }
    free(A);
}

/* The hypervolume above 3-D as it was before WFG, kept here as the reference to time
 * against: a dimension sweep over the last coordinate that recurses on every prefix
 * of the sorted points, dominated ones included, down to the 3-D sweep. */
static int cmp_last_m;
static int cmp_last(const void *a, const void *b)
{
    double x = ((const double *)a)[cmp_last_m - 1], y = ((const double *)b)[cmp_last_m - 1];
    return (x > y) - (x < y);
}

static double hv_old_sweep(const double *P, int n, int m, const double *ref)
{
    if (m == 3) return opt_hv(P, n, 3, ref);
    double *S = malloc(sizeof(double) * (size_t)n * m), *Q = malloc(sizeof(double) * (size_t)n * (m - 1));
    memcpy(S, P, sizeof(double) * (size_t)n * m);
    cmp_last_m = m;
    qsort(S, (size_t)n, sizeof(double) * (size_t)m, cmp_last);
    double v = 0.0;
    for (int s = 0; s < n; s++) {
        memcpy(Q + (size_t)s * (m - 1), S + (size_t)s * m, sizeof(double) * (m - 1));
        double z = S[(size_t)s * m + m - 1];
        double z_next = s + 1 < n ? S[(size_t)(s + 1) * m + m - 1] : ref[m - 1];
        if (z_next == z) continue;
        v += hv_old_sweep(Q, s + 1, m - 1, ref) * (z_next - z);
    }
    free(S), free(Q);
    return v;
}

/* n points uniform in the unit cube (most of them dominated), ref 1.1: WFG after the
 * non-dominated filter (opt_hv) against the old dimension sweep, in one run. */
static void bench_hv_high(int m, int n, int reps)
{
    em_rng rng;
    em_rng_seed(&rng, (uint64_t)n * 131 + (uint64_t)m);
    double *A = malloc(sizeof(double) * (size_t)n * m), ref[8];
    for (int i = 0; i < n * m; i++) A[i] = em_rng_uniform(&rng);
    for (int j = 0; j < m; j++) ref[j] = 1.1;
    double t[16], v = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = em_now_seconds();
        v = opt_hv(A, n, m, ref);
        t[r] = em_now_seconds() - t0;
    }
    double mt = median(t, reps);
    double t0 = em_now_seconds(); /* the old code once: it takes seconds to minutes */
    double vo = hv_old_sweep(A, n, m, ref);
    double to = em_now_seconds() - t0;
    printf("hypervolume m=%d n=%-5d uniform  wfg %9.3f ms   old sweep %10.3f ms   speed-up %8.1fx"
           "   |rel diff| %.1e\n", m, n, mt * 1e3, to * 1e3, to / mt, fabs(v - vo) / vo);
    free(A);
}

/* ---- checkpoint cost per generation ------------------------------------------------ */
typedef struct gen_clock {
    double *t; /* t[g] = time when generation g was done (checkpoint written) */
    int n;
} gen_clock;

static int on_gen(void *user, int gen, int n_gen, long ne, long me, const opt_pop *pop)
{
    (void)n_gen, (void)ne, (void)me, (void)pop;
    gen_clock *c = user;
    if (gen < c->n) c->t[gen] = em_now_seconds();
    return 0;
}

/* Median time of one generation over generations [g - 50, g + 50], clipped. */
static double gen_time(const gen_clock *c, int g)
{
    double d[128];
    int k = 0;
    for (int i = g - 50; i <= g + 50 && k < 128; i++)
        if (i >= 2 && i < c->n) d[k++] = c->t[i] - c->t[i - 1];
    return median(d, k);
}

/* NSGA-II on ZDT1 (30 variables, pop 100) for `gens` generations, once without a
 * checkpoint, once with the append-only checkpoint and once with the old whole-file
 * rewrite (the old path, kept callable for this benchmark), all in one run: per
 * generation time near generation 100 and near the end, and the totals. */
static void bench_checkpoint(int gens, int with_old)
{
    opt_problem *p;
    em_error err = {0};
    if (opt_benchmark_new("zdt1", 30, 2, &p, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    char dir[] = "/tmp/bench_opt_ckpt_XXXXXX", path[64];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    const char *label[3] = {"no checkpoint", "append-only (new)", "whole-file rewrite (old)"};
    double at100[3], atend[3], total[3];
    for (int mode = 0; mode < (with_old ? 3 : 2); mode++) {
        gen_clock c = {calloc((size_t)gens + 1, sizeof(double)), gens + 1};
        opt_options o;
        opt_options_default(&o);
        o.pop_size = 100;
        o.n_gen = gens;
        o.seed = 1;
        o.checkpoint_path = mode ? path : NULL;
        o.progress = on_gen;
        o.progress_user = &c;
        opt_checkpoint_bench_full_rewrite(mode == 2);
        opt_result res;
        double t0 = em_now_seconds();
        if (opt_nsga2_run(p, &o, &res, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        total[mode] = em_now_seconds() - t0;
        at100[mode] = gen_time(&c, 100);
        atend[mode] = gen_time(&c, gens - 50);
        opt_result_free(&res);
        free(c.t);
        printf("checkpoint zdt1 pop=100 gens=%d  %-25s total %8.2f s   per generation: "
               "~100 %7.3f ms  ~%d %7.3f ms  ratio %5.2f\n", gens, label[mode], total[mode],
               at100[mode] * 1e3, gens - 50, atend[mode] * 1e3, atend[mode] / at100[mode]);
    }
    opt_checkpoint_bench_full_rewrite(0);
    if (with_old)
        printf("checkpoint cost over the whole run (total less the no-checkpoint run): new "
               "%.2f s, old %.2f s, old/new %.1fx\n", total[1] - total[0], total[2] - total[0],
               (total[2] - total[0]) / (total[1] - total[0]));
    char arch[96];
    snprintf(arch, sizeof arch, "%s.archive", path);
    remove(path), remove(arch), rmdir(dir);
    opt_problem_free(p);
}

/* With arguments, only the named parts run: nsga2, hv, hv-high, checkpoint,
 * checkpoint-new. */
static int want(int argc, char **argv, const char *part)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], part)) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    printf("# bench_opt: medians of repeats; one thread\n");
    if (want(argc, argv, "nsga2")) {
        bench_nsga2(100, 300, 5);
        bench_nsga2(40, 250, 5);
    }
    if (want(argc, argv, "hv"))
        for (int m = 2; m <= 3; m++)
            for (int n = 1000; n <= 100000; n *= 10) bench_hv(m, n, 5);
    if (want(argc, argv, "hv-high")) {
        bench_hv_high(4, 1000, 5);
        bench_hv_high(5, 1000, 5);
        bench_hv_high(6, 400, 5);
    }
    /* checkpoint-new: without the old path (which writes ~130 GB over 3,000 generations) */
    if (want(argc, argv, "checkpoint")) bench_checkpoint(3000, 1);
    else if (want(argc, argv, "checkpoint-new")) bench_checkpoint(3000, 0);
    return 0;
}
