/* search/plotrun.h: the figures of a finished compression search (`emomc plot`),
 * drawn with plots/search.h into RUNDIR/plots/: objective space (every evaluation,
 * the non-dominated set, the uncompressed model, the knee), one front per dataflow
 * (energy problems) or per coding (size problems), AScore curves, and the per-layer
 * bit depths and keep ratios of the knee. */
#ifndef EMOMC_SEARCH_PLOTRUN_H
#define EMOMC_SEARCH_PLOTRUN_H

#include "../common/error.h"

/* ext: "png" or "svg". Writes the paths of the figures, one per line, into
 * list (may be NULL). */
int sp_plot_run(const char *rundir, const char *ext, char *list, size_t list_size,
                em_error *err);

#endif
