/* opt/rundir.h: the run directory of DESIGN.md 8, written by `emomc optimize` and by
 * the compression search:
 *   run.yaml          the resolved configuration, seed and version
 *   evaluations.csv   every true evaluation in order: variables, objectives,
 *                     constraints, violation, seconds
 *   population.csv    the final population as the algorithm holds it (pymoo's
 *                     res.pop; for random search and sbo, the archive's set)
 *   front.csv         the feasible non-dominated set of the final population
 *                     (pymoo's res.X / res.F)
 *   archive.csv       the feasible non-dominated set of all true evaluations (which
 *                     pymoo does not report)
 *   pareto.csv        deprecated: the same bytes as archive.csv, kept for one release
 *   (the three sets hold variables, objectives, constraints and cv, no timings, so
 *   two runs with the same seed give the same bytes; if nothing is feasible, the
 *   rows of least violation)
 *   summary.json      sizes, counts, and for front and archive each: hypervolume,
 *                     and IGD/IGD+/GD/GD+ against the true front when it is known
 *   checkpoint, checkpoint.archive   written by the algorithm (opt/checkpoint.h)
 * Objectives are written in their natural sense (maximized ones negated back); the
 * hypervolume and distances are computed in the minimized sense. Every file goes
 * through common/atomicfile.h: a reader never sees a partial file. */
#ifndef EMOMC_OPT_RUNDIR_H
#define EMOMC_OPT_RUNDIR_H

#include <stddef.h>

#include "../opt/algorithm.h"

typedef struct opt_rundir_info {
    const char *algorithm;       /* name written to run.yaml and summary.json */
    const opt_options *options;  /* pop size, generations, budget, seed */
    const char *command_line;    /* may be NULL */
    double seconds;              /* wall time of the run (summary.json) */
    const double *ref;           /* hypervolume reference (n_obj, minimized), or NULL */
    const double *front;         /* true front (n_front x n_obj, minimized), or NULL */
    int n_front;
    double true_hv;              /* HV of the true front at ref, NaN when unknown */
    const char *ref_source;      /* how ref was chosen (summary.json), or NULL */
    const char *extra_yaml;      /* optional lines appended verbatim to run.yaml */
} opt_rundir_info;

/* Creates dir (and missing parents); EM_EIO naming the path if it cannot, or if it
 * exists and is not a directory. Removes the stale temporaries of atomic writes that
 * a killed run left there (common/atomicfile.h), so a resumed run leaves no debris. */
int opt_rundir_prepare(const char *dir, em_error *err);

/* Writes "<dir>/<file>" into buf; EM_EINVAL when it does not fit. */
int opt_rundir_path(const char *dir, const char *file, char *buf, size_t size, em_error *err);

int opt_rundir_write_run_yaml(const char *dir, const opt_problem *p, const opt_rundir_info *info,
                              em_error *err);
int opt_rundir_write_evaluations(const char *dir, const opt_problem *p, const opt_pop *evals,
                                 em_error *err);
/* Writes the rows of set as they are, to "<dir>/<file>" (front.csv, archive.csv...). */
int opt_rundir_write_set(const char *dir, const char *file, const opt_problem *p,
                         const opt_pop *set, em_error *err);
/* front: opt_pareto_set of res->pop; archive: opt_pareto_set of res->evals. */
int opt_rundir_write_summary(const char *dir, const opt_problem *p, const opt_result *res,
                             const opt_pop *front, const opt_pop *archive,
                             const opt_rundir_info *info, em_error *err);

/* Every file above (but the checkpoint) for a finished run. */
int opt_rundir_write(const char *dir, const opt_problem *p, const opt_result *res,
                     const opt_rundir_info *info, em_error *err);

#endif
