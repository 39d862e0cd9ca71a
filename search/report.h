/* search/report.h: tables of a finished compression search, like the EMOMC paper's
 * Tables II and III: the non-dominated set with both accuracies, the knee, the best
 * AScore for r/tau in {5, 1, 0.2}, the best accuracy under a budget, and for the
 * selected solution its energy under every dataflow and size under every coding
 * with the improvement factors over the dense 32-bit model, or those of the cheapest
 * solution within an accuracy loss of the uncompressed model (--max-loss). Reads the run directory
 * only (config.yaml, final.csv, run.yaml); no inference.
 *
 * Every choice (knee, AScore bests, budget pick, the default Tables II/III solution)
 * is made on the search accuracy, over the solutions non-dominated on (search
 * accuracy, the run's cost): the final accuracy is re-measured to be reported, and
 * selecting on it would bias what is reported. */
#ifndef EMOMC_SEARCH_REPORT_H
#define EMOMC_SEARCH_REPORT_H

#include <stdio.h>
#include "../common/error.h"
#include "../compress/plan.h"
#include "../search/csv.h"
#include "../search/config.h"
#include "../sim/estimate.h"

typedef struct sp_report_opts {
    double budget;   /* energy (mJ) or size (KB) budget for "best under budget"; 0: none */
    int pick;        /* row of the non-dominated set to tabulate; -1: the knee */
    double max_loss; /* with use_max_loss: percentage points of search accuracy below the
                      * uncompressed model's; the cheapest solution within is tabulated
                      * (unless pick >= 0) */
    int use_max_loss;
} sp_report_opts;

/* A finished run's final.csv, parsed. Row 0 is the uncompressed reference when the
 * run had trained weights (has_reference). */
typedef struct sp_final {
    int n;                 /* rows */
    int n_layers;
    bool has_reference;
    double *library_keep, *acc_search, *acc_final, *energy_mj, *size_kb, *nonzero;
    cp_layer_stats *plans; /* n x n_layers, read by cp_stats_parse (nnz unknown, keep) */
} sp_final;

int sp_final_read(const char *rundir, const sp_config *cfg, int n_layers, sp_final *out,
                  em_error *err);
void sp_final_free(sp_final *f);

/* A finished compression run opened for reading: its configuration (config.yaml over
 * the defaults), model (the architecture: no weights), target (has_hw false, hw
 * zero, where the run names none) and final.csv. Open fails as its first step does
 * (sp_config_load_rundir, nn_model_load, hw_load, sp_final_read), holding nothing;
 * close frees what open holds. */
typedef struct sp_rundir {
    sp_config cfg;
    nn_arch *arch;
    hw_target hw;
    bool has_hw;
    int n_layers;
    sp_final final;
} sp_rundir;

int sp_rundir_open(const char *rundir, sp_rundir *r, em_error *err);
void sp_rundir_close(sp_rundir *r);

/* The set choices are made from: the candidates (rows after the reference) that are
 * non-dominated on (accuracy_search, cost), with cost one of the run's cost columns
 * (a pointer to its first candidate). idx: their candidate indices, in row order. */
typedef struct sp_selection {
    int n;
    int *idx;
    double *acc, *cost; /* their search accuracies and costs */
} sp_selection;

/* The cost column choices are made on: the non-zero rate (sbo), the size (emomc-size)
 * or the energy, from the first candidate row on. */
const double *sp_final_cost(const sp_final *f, const sp_config *cfg);

int sp_selection_make(const sp_final *f, const double *cost, sp_selection *s, em_error *err);
void sp_selection_free(sp_selection *s);
/* The knee of the selection set, as a candidate index (-1 when it is empty). */
int sp_selection_knee(const sp_selection *s);

int sp_report(const char *rundir, FILE *out, const sp_report_opts *o, em_error *err);

#endif
