/* search/plotcompare.h: `emomc plot --compare`: the fronts of several runs in one
 * figure (EMOMC's Fig. 5 or Fig. 6 kind), the gnuplot data file of those fronts, and
 * the AScore of each front's best pick against r/tau (Fig. 7 kind), from
 * search/fronts.h. */
#ifndef EMOMC_SEARCH_PLOTCOMPARE_H
#define EMOMC_SEARCH_PLOTCOMPARE_H

#include <stddef.h>

#include "../common/error.h"
#include "../search/fronts.h"

typedef struct sp_compare_opts {
    const char *out;        /* FILE.png or FILE.svg (or .gp) */
    const char *title;      /* NULL: made from the runs */
    sp_cost_axis axis;
} sp_compare_opts;

/* Writes out (the fronts), FILE.dat (their data: sp_fronts_write_data) and, when a
 * front has its uncompressed reference, FILE-ascore.EXT; their paths one per line
 * into list (may be NULL). The x axis is logarithmic when the costs drawn span more
 * than 10x. */
int sp_plot_compare(const char *const *dirs, int n_dirs, const sp_compare_opts *o, char *list,
                    size_t list_size, em_error *err);

#endif
