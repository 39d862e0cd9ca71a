/* opt/benchrun.c: a benchmark problem run into its run directory (opt/benchrun.h). */
#include "opt/benchrun.h"

#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "opt/benchmarks.h"
#include "opt/ctaea.h"
#include "opt/rundir.h"
#include "opt/sbo.h"

opt_algorithm_fn opt_algorithm_by_name(const char *name)
{
    if (!strcmp(name, "nsga2")) return opt_nsga2_run;
    if (!strcmp(name, "random")) return opt_random_run;
    if (!strcmp(name, "ctaea")) return opt_ctaea_run;
    if (!strcmp(name, "sbo")) return opt_sbo_run;
    return NULL;
}

/* The run directory, with the true front and reference point for summary.json. */
static int write_dir(const opt_problem *p, const opt_bench_run *run, const opt_options *o,
                     const opt_result *res, double secs, em_error *err)
{
    double *front = NULL, ref[16];
    int n_front = 0;
    if (p->front && p->front(p, 1000, &front, &n_front, err)) return err->code;
    opt_benchmark_ref_point(p, ref);
    opt_rundir_info info = {
        .algorithm = run->algorithm,
        .options = o,
        .command_line = run->command_line,
        .seconds = secs,
        .ref = ref,
        .front = front,
        .n_front = n_front,
        .true_hv = opt_benchmark_true_hv(p, ref),
        .ref_source = opt_benchmark_ref_source(p),
    };
    int rc = opt_rundir_write(run->out_dir, p, res, &info, err);
    free(front);
    return rc;
}

int opt_bench_run_go(const opt_problem *p, const opt_bench_run *run, opt_bench_result *out,
                     em_error *err)
{
    opt_algorithm_fn fn = opt_algorithm_by_name(run->algorithm);
    if (!fn) return em_fail(err, EM_EINVAL, "algorithm: unknown '%s' (nsga2, ctaea, random, sbo)",
                            run->algorithm);
    char ckpt[4096];
    opt_options o = run->options;
    int rc = opt_rundir_path(run->out_dir, "checkpoint", ckpt, sizeof ckpt, err);
    if (!rc) rc = opt_rundir_prepare(run->out_dir, err);
    if (rc) return rc;
    o.checkpoint_path = ckpt;
    double t0 = em_now_seconds();
    opt_result res;
    memset(&res, 0, sizeof res);
    if ((rc = fn(p, &o, &res, err))) return rc;
    double secs = em_now_seconds() - t0;
    rc = write_dir(p, run, &o, &res, secs, err);
    if (!rc && out) *out = (opt_bench_result){res.n_gen, res.n_evals, res.cache_hits, secs};
    opt_result_free(&res);
    return rc;
}
