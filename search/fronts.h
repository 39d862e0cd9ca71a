/* search/fronts.h: several finished compression runs side by side, for figures like
 * EMOMC's Fig. 5 (the four dataflows' accuracy-energy fronts), Fig. 6 (the three
 * codings' accuracy-size fronts) and Fig. 7 (AScore against r/tau), and the joint
 * 3-objective search against the separate bi-objective searches by hypervolume at the
 * same number of evaluations. Reads run directories only (config.yaml, final.csv,
 * evaluations.csv); no inference.
 *
 * Every front is non-dominated on (search accuracy, cost), like every choice of
 * search/report.h; the final accuracy travels beside it. A joint run (dataflow and
 * coding are variables) is cut into one slice per dataflow (energy axis) or per coding
 * (size axis): the rows of its final.csv (its 3-objective archive) with that dataflow
 * or coding, then their 2-D non-dominated set. */
#ifndef EMOMC_SEARCH_FRONTS_H
#define EMOMC_SEARCH_FRONTS_H

#include <stdbool.h>
#include <stdio.h>

#include "../common/error.h"

typedef enum { SP_AXIS_AUTO, SP_AXIS_ENERGY, SP_AXIS_SIZE } sp_cost_axis;

/* One front: a run, or one slice of a joint run. */
typedef struct sp_front_series {
    char name[96];          /* "X:Y", "csr", "joint X:Y" */
    char dir[1024];         /* its run directory */
    int n;                  /* its non-dominated points, by cost ascending */
    double *cost, *acc, *acc_final;
    bool has_ref;           /* the dense 32-bit model under this dataflow / coding */
    double ref_cost, ref_acc; /* ref_acc: search accuracy */
} sp_front_series;

typedef struct sp_fronts {
    int n;
    sp_front_series *s;
    sp_cost_axis axis;      /* resolved: energy (mJ) or size (KB) */
} sp_fronts;

/* The fronts of n_dirs runs on one cost axis. AUTO: the axis of the bi-objective
 * runs (they must agree), energy when all are joint. sbo runs are refused. */
int sp_fronts_read(const char *const *dirs, int n_dirs, sp_cost_axis axis, sp_fronts *out,
                   em_error *err);
void sp_fronts_free(sp_fronts *f);

/* A gnuplot data file of the fronts: per series a "# NAME (DIR)" comment, then lines
 * "cost accuracy_search accuracy_final", series separated by two blank lines (gnuplot's
 * `index`). Written atomically. */
int sp_fronts_write_data(const sp_fronts *f, const char *path, em_error *err);

/* The joint run against one separate run, for the separate run's dataflow (energy) or
 * coding (size): hypervolume of (search accuracy maximized, cost minimized) with the
 * same reference point (accuracy 0, the dense 32-bit model's cost under that dataflow
 * or coding, from the separate run's final.csv), of
 *  - the joint archive's slice: the non-dominated set, on (accuracy, energy, size), of
 *    all n_joint evaluations of the joint run, restricted to that dataflow or coding;
 *  - the separate run's front after its first min(n_joint, its total) evaluations.
 * Only feasible evaluations (cv <= 0) count. */
typedef struct sp_joint_row {
    char name[64];          /* the dataflow or coding */
    char dir[1024];         /* the separate run */
    bool energy;            /* cost is energy (mJ); else size (KB) */
    long n_joint;           /* the joint run's evaluations (all of them) */
    long n_separate, n_separate_total; /* used, and the separate run's total */
    int n_slice;            /* joint archive points with this dataflow / coding */
    double ref_cost;
    double hv_joint, hv_separate;
} sp_joint_row;

int sp_joint_vs_separate(const char *joint_dir, const char *const *sep_dirs, int n_sep,
                         sp_joint_row *rows, em_error *err);

/* The comparison as a table, with what the numbers mean. */
void sp_joint_print(FILE *out, const char *joint_dir, const sp_joint_row *rows, int n);

/* AScore of a front's best pick at ratio q = r/tau, relative to the series' reference
 * (search/select.h: sp_ascore_rel); NaN without a reference, an empty front or a
 * reference whose AScore is not positive at q. The pick's index into the series in
 * *pick (may be NULL; -1 when none). */
double sp_front_best_ascore_rel(const sp_front_series *s, double q, int *pick);

#endif
