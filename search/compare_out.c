/* search/compare_out.c: a comparison of runs (search/compare.h) as a markdown report
 * (groups in columns), as one CSV row per run, and as a box plot of the final
 * hypervolumes. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plots/search.h"
#include "search/compare.h"

static void num(FILE *out, double v)
{
    if (isnan(v)) fprintf(out, " - |");
    else fprintf(out, " %.6g |", v);
}

static void header_row(const sp_comparison *c, FILE *out, const char *corner)
{
    fprintf(out, "| %s |", corner);
    for (int g = 0; g < c->n_groups; g++) fprintf(out, " %s |", c->group_names[g]);
    fprintf(out, "\n|---|");
    for (int g = 0; g < c->n_groups; g++) fprintf(out, "---:|");
    fprintf(out, "\n");
}

static void stat_row(const sp_comparison *c, const sp_compare_col *col, FILE *out,
                     const char *name, size_t offset)
{
    fprintf(out, "| %s |", name);
    for (int g = 0; g < c->n_groups; g++) num(out, *(const double *)((const char *)&col->desc[g] + offset));
    fprintf(out, "\n");
}

static void preamble(const sp_comparison *c, FILE *out)
{
    int n = 0;
    for (int g = 0; g < c->n_groups; g++) n += c->n_runs[g];
    fprintf(out, "# Hypervolume of %d runs in %d groups\n\n", n, c->n_groups);
    fprintf(out, "Hypervolume of the feasible non-dominated set of each run's evaluations "
                 "(evaluations.csv, in order), objectives minimized (");
    for (int j = 0; j < c->n_obj; j++)
        fprintf(out, "%s%s%s", j ? ", " : "", c->maximize[j] ? "-" : "", c->obj_names[j]);
    fprintf(out, "); 0 when none is feasible.\n\nReference point: (");
    for (int j = 0; j < c->n_obj; j++) fprintf(out, "%s%.10g", j ? ", " : "", c->ref[j]);
    fprintf(out, "), %s.\n\n", c->ref_source);
    if (c->n_checked)
        fprintf(out, "Check: the final hypervolume equals summary.json's \"hv\" in %d of the %d "
                     "runs whose hv_ref is this reference (largest difference %.3g).\n\n",
                c->n_agree, c->n_checked, c->max_summary_diff);
    else
        fprintf(out, "Check: no run's summary.json hv_ref is this reference; nothing compared "
                     "with summary.json's \"hv\".\n\n");
}

static void test_text(const sp_comparison *c, const sp_compare_col *col, FILE *out)
{
    if (!col->tested) {
        fprintf(out, "No test: %s (Friedman needs at least 2 groups of equally many runs, at "
                     "least 2 each, paired by seed).\n\n", c->no_test);
        return;
    }
    fprintf(out, "Test: Friedman (%d blocks, by seed:", c->n_blocks);
    for (int b = 0; b < c->n_blocks && b < 20; b++)
        fprintf(out, "%s%lld", b ? ", " : " ", c->block_seeds[b]);
    fprintf(out, "%s; treatments: the %d groups; tie-corrected): chi-square = %.6g, df = %d, "
                 "p = %.4g.\n\n", c->n_blocks > 20 ? ", ..." : "", c->n_groups, col->stat,
            c->n_groups - 1, col->p);
    fprintf(out, "Post-hoc: Dunn (all runs ranked together, two-sided), p-values Holm-adjusted "
                 "over the %d pairs:\n\n", c->n_groups * (c->n_groups - 1) / 2);
    header_row(c, out, "Dunn p");
    for (int a = 0; a < c->n_groups; a++) {
        fprintf(out, "| %s |", c->group_names[a]);
        for (int b = 0; b < c->n_groups; b++)
            if (a == b) fprintf(out, " - |");
            else fprintf(out, " %.4g%s |", col->dunn_p[a * c->n_groups + b],
                         col->dunn_p[a * c->n_groups + b] < 0.05 ? " *" : "");
        fprintf(out, "\n");
    }
    fprintf(out, "\n(* p < 0.05)\n\n");
}

static void column(const sp_comparison *c, const sp_compare_col *col, FILE *out)
{
    if (col->at >= 0) fprintf(out, "## After the first %ld true evaluations\n\n", col->at);
    else fprintf(out, "## At the end (all evaluations of each run)\n\n");
    header_row(c, out, "hypervolume");
    fprintf(out, "| runs |");
    for (int g = 0; g < c->n_groups; g++) fprintf(out, " %d |", col->desc[g].n);
    fprintf(out, "\n");
    stat_row(c, col, out, "median", offsetof(sp_compare_desc, median));
    stat_row(c, col, out, "mean", offsetof(sp_compare_desc, mean));
    stat_row(c, col, out, "sd", offsetof(sp_compare_desc, sd));
    stat_row(c, col, out, "min", offsetof(sp_compare_desc, min));
    stat_row(c, col, out, "max", offsetof(sp_compare_desc, max));
    if (col->tested) {
        fprintf(out, "| mean rank (Friedman) |");
        for (int g = 0; g < c->n_groups; g++) num(out, col->mean_rank[g]);
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
    if (col->short_runs)
        fprintf(out, "%d runs have fewer than %ld evaluations; they count with all of theirs.\n\n",
                col->short_runs, col->at);
    test_text(c, col, out);
}

void sp_compare_markdown(const sp_comparison *c, FILE *out)
{
    preamble(c, out);
    for (int k = 0; k < c->n_cols; k++) column(c, &c->cols[k], out);
}

void sp_compare_csv(const sp_comparison *c, FILE *out)
{
    fprintf(out, "group,run,seed,evaluations");
    for (int k = 0; k + 1 < c->n_cols; k++) fprintf(out, ",hv_at_%ld", c->cols[k].at);
    fprintf(out, ",hv_end,summary_hv\n");
    for (int g = 0; g < c->n_groups; g++)
        for (int i = 0; i < c->n_runs[g]; i++) {
            const sp_compare_run *r = &c->runs[g][i];
            fprintf(out, "%s,%s,", c->group_names[g], r->dir);
            if (r->seed >= 0) fprintf(out, "%lld", r->seed);
            fprintf(out, ",%d", r->n_evals);
            for (int k = 0; k < c->n_cols; k++) fprintf(out, ",%.17g", r->hv[k]);
            if (isnan(r->summary_hv)) fprintf(out, ",\n");
            else fprintf(out, ",%.17g\n", r->summary_hv);
        }
}

int sp_compare_plot(const sp_comparison *c, const char *path, const char *title, em_error *err)
{
    int k = c->n_cols - 1, total = 0;
    for (int g = 0; g < c->n_groups; g++) total += c->n_runs[g];
    double *v = malloc(sizeof(double) * (size_t)total);
    plot_box_group *groups = calloc((size_t)c->n_groups, sizeof *groups);
    if (!v || !groups) {
        free(v), free(groups);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    for (int g = 0, q = 0; g < c->n_groups; g++) {
        groups[g] = (plot_box_group){c->group_names[g], PLOT_VEC(v + q, c->n_runs[g])};
        for (int i = 0; i < c->n_runs[g]; i++) v[q++] = c->runs[g][i].hv[k];
    }
    char ylabel[512];
    size_t n = (size_t)snprintf(ylabel, sizeof ylabel, "hypervolume at the end, reference (");
    for (int j = 0; j < c->n_obj && n < sizeof ylabel; j++)
        n += (size_t)snprintf(ylabel + n, sizeof ylabel - n, "%s%.4g", j ? ", " : "", c->ref[j]);
    if (n < sizeof ylabel) snprintf(ylabel + n, sizeof ylabel - n, ")");
    plot_boxes_spec spec = {.title = title ? title : "Hypervolume per group", .ylabel = ylabel,
                            .groups = groups, .n_groups = c->n_groups};
    int rc = plot_boxes(path, &spec, err);
    free(v), free(groups);
    return rc;
}
