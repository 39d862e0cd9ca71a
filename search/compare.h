/* search/compare.h: comparing groups of finished runs by hypervolume (`emomc stats`).
 *
 * For each run directory (run.yaml for the objectives, their senses and the seed;
 * evaluations.csv for every true evaluation in order; summary.json for hv and hv_ref),
 * the hypervolume of the feasible non-dominated set of its evaluations after the first
 * N true evaluations for each N asked for, and at the end, all at one common reference
 * point. It is computed exactly as summary.json's "hv" is (opt_pareto_set, then
 * opt_hypervolume, objectives minimized: maximized ones negated), so at the same
 * reference the two agree to the bit. A prefix with no feasible evaluation has
 * hypervolume 0 (summary.json writes null there).
 *
 * The reference point, in the minimized sense, is the one given, or else the largest
 * value per objective of every run's summary.json hv_ref. For the compression
 * searches each run's hv_ref is accuracy 0 and 1.1 x the largest cost of its own
 * evaluations (search/run.c), so this is that rule applied to all the runs'
 * evaluations pooled; for the sbo problem every run has (1.1, 0).
 *
 * Per group and per column (each N, then the end): n, median, mean, sample sd, min,
 * max. When there are at least two groups of the same number of runs and at least two
 * runs each, and the runs pair up by seed (run.yaml's seed, else summary.json's, else
 * the directory's "-sN" suffix; runs of one group with the same seed pair up in the
 * order given), the Friedman test (blocks = the seeds, opt/stats.h, tie-corrected)
 * and Dunn's post-hoc test (pooled ranks, two-sided, Holm-adjusted over all pairs);
 * otherwise no test, with the reason. */
#ifndef EMOMC_SEARCH_COMPARE_H
#define EMOMC_SEARCH_COMPARE_H

#include <stdio.h>

#include "../common/error.h"

typedef struct sp_compare_group_spec {
    const char *name;
    const char *const *dirs;
    int n_dirs;
} sp_compare_group_spec;

typedef struct sp_compare_spec {
    const sp_compare_group_spec *groups;
    int n_groups;
    const long *at;     /* columns: after the first at[i] true evaluations (>= 1) ... */
    int n_at;           /* ... then one more column, at the end */
    const double *ref;  /* the reference point (minimized sense), n_ref values; NULL: derived */
    int n_ref;
} sp_compare_spec;

typedef struct sp_compare_run {
    char *dir;
    long long seed;       /* -1: unknown */
    int n_evals;
    double *hv;           /* one per column */
    double summary_hv;    /* summary.json's hv (NaN: no summary, or null) */
    int summary_same_ref; /* summary.json's hv_ref equals the common reference */
} sp_compare_run;

typedef struct sp_compare_desc {
    int n;
    double median, mean, sd, min, max; /* sd: NaN when n < 2 */
} sp_compare_desc;

typedef struct sp_compare_col {
    long at;                 /* N, or -1 for the end */
    sp_compare_desc *desc;   /* one per group */
    int short_runs;          /* runs with fewer than N evaluations (they count with all) */
    int tested;              /* Friedman and Dunn computed */
    double stat, p;          /* Friedman's statistic (chi-square, k-1 df) and p-value */
    double *mean_rank;       /* per group (Friedman, within blocks) */
    double *dunn_p;          /* k x k, Holm-adjusted (diagonal 1) */
} sp_compare_col;

typedef struct sp_comparison {
    int n_groups;
    char **group_names;
    int *n_runs;             /* per group */
    sp_compare_run **runs;   /* runs[g][i], in the order given */
    int n_obj;
    char **obj_names;
    int *maximize;
    double *ref;             /* n_obj, minimized sense */
    char ref_source[256];
    int n_cols;
    sp_compare_col *cols;
    char no_test[256];       /* why there is no test ("" when there is one) */
    int n_blocks;
    long long *block_seeds;  /* the seeds of the blocks, ascending */
    int n_checked, n_agree;  /* runs whose summary.json hv_ref is the reference; of them, equal */
    double max_summary_diff; /* largest |hv - summary hv| over the checked runs */
} sp_comparison;

/* Reads every run and computes the table. Errors name the file (and line or field). */
int sp_compare(const sp_compare_spec *spec, sp_comparison *out, em_error *err);
void sp_comparison_free(sp_comparison *c);

/* The report as markdown, and one CSV row per run (group, run, seed, evaluations,
 * hv_at_N..., hv_end, summary_hv). */
void sp_compare_markdown(const sp_comparison *c, FILE *out);
void sp_compare_csv(const sp_comparison *c, FILE *out);

/* A box plot (gnuplot, plots/search.h) of each group's final hypervolumes; title NULL:
 * "Hypervolume per group". */
int sp_compare_plot(const sp_comparison *c, const char *path, const char *title, em_error *err);

#endif
