/* search/run.h: one compression search from configuration to run directory: builds
 * the context and problem, runs the chosen algorithm with a checkpoint (resumable),
 * writes the run directory of opt/rundir.h plus
 *   config.yaml   the resolved search configuration (reloadable with --config)
 *   final.csv     the uncompressed reference and every non-dominated solution,
 *                 re-measured on the final data of the protocol: both accuracies,
 *                 energy, size, non-zero rate and the plan
 *   search.json   protocol, reference, timing shares (inference, cost, compress,
 *                 optimizer), evaluation counts. */
#ifndef EMOMC_SEARCH_RUN_H
#define EMOMC_SEARCH_RUN_H

#include "../opt/algorithm.h"
#include "../search/config.h"

typedef struct sp_run_opts {
    const char *out_dir;
    bool resume;
    opt_progress_fn progress;   /* may be NULL */
    void *progress_user;
    const char *command_line;   /* recorded in run.yaml; may be NULL */
} sp_run_opts;

int sp_run(const sp_config *cfg, const sp_run_opts *o, em_error *err);

/* Writes cfg as YAML that sp_config_load reads back. */
int sp_config_save(const sp_config *cfg, const char *path, em_error *err);

#endif
