/* plots/boxes.c: box plots of values per group (plots/search.h 6), the box
 * statistics computed here and drawn as gnuplot candlesticks, every value on top. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_internal.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted s[0..n), linear between order statistics (type 7). */
static double quantile(const double *s, int n, double q)
{
    double h = (n - 1) * q;
    int lo = (int)floor(h);
    if (lo >= n - 1) return s[n - 1];
    return s[lo] + (h - lo) * (s[lo + 1] - s[lo]);
}

int plot_box_stats(const double *v, int n, plot_box *out)
{
    if (n < 1) return EM_EINVAL;
    double *s = malloc(sizeof(double) * (size_t)n);
    if (!s) return EM_ENOMEM;
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    out->q1 = quantile(s, n, 0.25);
    out->median = quantile(s, n, 0.5);
    out->q3 = quantile(s, n, 0.75);
    double iqr = out->q3 - out->q1, lo = out->q1 - 1.5 * iqr, hi = out->q3 + 1.5 * iqr;
    out->whisker_lo = out->q1;
    out->whisker_hi = out->q3;
    for (int i = 0; i < n; i++) {
        if (s[i] >= lo && s[i] < out->whisker_lo) out->whisker_lo = s[i];
        if (s[i] <= hi && s[i] > out->whisker_hi) out->whisker_hi = s[i];
    }
    free(s);
    return EM_OK;
}

#define FN_BOX "plot_boxes"

static int check_spec(const char *out_path, const plot_boxes_spec *s, em_error *err)
{
    int rc;
    if (!s) return em_fail(err, EM_EINVAL, FN_BOX ": no spec");
    if ((rc = pl_check_path(FN_BOX, out_path, err))) return rc;
    if (s->n_groups < 1 || s->n_groups > 64 || !s->groups)
        return em_fail(err, EM_EINVAL, FN_BOX ": n_groups = %d (1..64, with groups)", s->n_groups);
    for (int g = 0; g < s->n_groups; g++) {
        char what[96];
        snprintf(what, sizeof what, "groups[%d] (%.40s) values", g,
                 s->groups[g].name ? s->groups[g].name : "?");
        if ((rc = pl_check_vec(FN_BOX, what, s->groups[g].values, -1, 0, err))) return rc;
    }
    return EM_OK;
}

/* $box: x, q1, whisker_lo, whisker_hi, q3, median per group; $pts: x (spread), value. */
static int emit_data(pl_buf *b, const plot_boxes_spec *s, pl_range *ry)
{
    pl_printf(b, "$box << EOD\n");
    for (int g = 0; g < s->n_groups; g++) {
        plot_box st;
        const plot_vec v = s->groups[g].values;
        int rc = plot_box_stats(v.v, v.n, &st);
        if (rc) return rc;
        pl_printf(b, "%d %.10g %.10g %.10g %.10g %.10g\n", g + 1, st.q1, st.whisker_lo,
                  st.whisker_hi, st.q3, st.median);
    }
    pl_printf(b, "EOD\n$pts << EOD\n");
    for (int g = 0; g < s->n_groups; g++) {
        const plot_vec v = s->groups[g].values;
        for (int i = 0; i < v.n; i++) {
            double dx = v.n > 1 ? 0.24 * ((double)(i % 7) / 6.0 - 0.5) : 0.0;
            pl_printf(b, "%.6g %.10g\n", g + 1 + dx, v.v[i]);
            pl_range_add(ry, v.v[i]);
        }
    }
    pl_printf(b, "EOD\n");
    return EM_OK;
}

static void emit_xtics(pl_buf *b, const plot_boxes_spec *s, int rotate)
{
    pl_printf(b, "set xrange [0.4:%.1f]\nset xtics (", s->n_groups + 0.6);
    for (int g = 0; g < s->n_groups; g++) {
        pl_printf(b, "%s", g ? ", " : "");
        pl_quoted(b, s->groups[g].name ? s->groups[g].name : "");
        pl_printf(b, " %d", g + 1);
    }
    pl_printf(b, ")%s\n", rotate ? " rotate by -35" : "");
}

int plot_boxes(const char *out_path, const plot_boxes_spec *s, em_error *err)
{
    int rc = check_spec(out_path, s, err);
    if (rc) return rc;
    int longest = 1;
    for (int g = 0; g < s->n_groups; g++)
        if (s->groups[g].name && (int)strlen(s->groups[g].name) > longest)
            longest = (int)strlen(s->groups[g].name);
    int rotate = s->n_groups > 4 || longest > 14;
    pl_frame f;
    int w = 84 + 80 * s->n_groups;
    f.w = s->width > 0 ? s->width : w < 640 ? 640 : w > 1800 ? 1800 : w;
    f.h = s->height > 0 ? s->height : 560;
    f.left = 84;
    f.right = f.w - 24;
    f.top = s->title && *s->title ? 44 : 18;
    f.bottom = f.h - (rotate ? 36 + 5 * (longest < 30 ? longest : 30) : 56);
    pl_range ry;
    pl_range_init(&ry, 0);
    pl_buf b = {0};
    pl_preamble(&b, s->title);
    pl_frame_emit(&b, &f);
    if ((rc = emit_data(&b, s, &ry))) {
        pl_free(&b);
        return em_fail(err, rc, FN_BOX ": out of memory");
    }
    pl_range_finish(&ry, 0.06, 0.06);
    pl_range_emit(&b, "y", &ry);
    emit_xtics(&b, s, rotate);
    pl_printf(&b, "unset key\nset ylabel ");
    pl_quoted(&b, s->ylabel && *s->ylabel ? s->ylabel : "hypervolume");
    pl_printf(&b, "\nset style fill solid 0.35 border -1\nset boxwidth 0.5\n"
                  "plot $box using 1:2:3:4:5 with candlesticks whiskerbars 0.5 lc rgb '%s', \\\n"
                  "     $box using 1:6:6:6:6 with candlesticks lw 2 lc rgb '#222222', \\\n"
                  "     $pts using 1:2 with points pt 7 ps 0.7 lc rgb '#222222'\n",
              pl_colour(0));
    rc = pl_render(&b, out_path, f.w, f.h, err);
    pl_free(&b);
    return rc;
}
