/* plots/layers.c: per-layer bit depths (and keep ratios) of one solution as a bar
 * chart with the layer names under the bars (plots/search.h 4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_internal.h"

#define FN_LY "plot_layers"

int plot_layers(const char *out_path, const plot_layers_spec *s, em_error *err)
{
    int rc;
    if (!s) return em_fail(err, EM_EINVAL, FN_LY ": no spec");
    if ((rc = pl_check_path(FN_LY, out_path, err))) return rc;
    if (s->n_names < 1 || !s->names)
        return em_fail(err, EM_EINVAL, FN_LY ": no layer names");
    if (s->n_names > 2000)
        return em_fail(err, EM_EINVAL, FN_LY ": %d layers (at most 2000)", s->n_names);
    int longest = 0;
    for (int i = 0; i < s->n_names; i++) {
        if (!s->names[i] || !*s->names[i])
            return em_fail(err, EM_EINVAL, FN_LY ": names[%d] is empty", i);
        int l = pl_text_px(s->names[i]);
        if (l > longest) longest = l;
    }
    if ((rc = pl_check_vec(FN_LY, "bits", s->bits, s->n_names, 0, err))) return rc;
    for (int i = 0; i < s->n_names; i++)
        if (s->bits.v[i] < 0 || s->bits.v[i] > 64)
            return em_fail(err, EM_EINVAL, FN_LY ": bits[%d] (%s) = %g is outside 0..64", i,
                           s->names[i], s->bits.v[i]);
    int has_keep = s->keep.v != NULL;
    if (has_keep) {
        if ((rc = pl_check_vec(FN_LY, "keep", s->keep, s->n_names, 0, err))) return rc;
        for (int i = 0; i < s->n_names; i++)
            if (s->keep.v[i] < 0 || s->keep.v[i] > 1)
                return em_fail(err, EM_EINVAL, FN_LY ": keep[%d] (%s) = %g is outside [0, 1]", i,
                               s->names[i], s->keep.v[i]);
    }

    const int n = s->n_names;
    /* Names side by side when they fit under their bars, rotated by 45 degrees
     * otherwise; the canvas grows with the layers so bars stay readable. */
    int w = s->width > 0 ? s->width : (int)fmin(3000, fmax(640, 150 + 210 + 28.0 * n));
    int h = s->height > 0 ? s->height : 520;
    int plot_w = w - 90 - 210;
    double slot = (double)plot_w / n;
    int rotate = longest + 6 > slot;
    int name_px = rotate ? (int)ceil(longest * 0.72) + 14 : 18;
    if (name_px > h / 3) name_px = h / 3;
    pl_frame f = {w, h, 80, w - 210, 0, 0};
    f.top = s->title && *s->title ? 44 : 18;
    f.bottom = h - 40 - name_px;
    if (f.bottom - f.top < 120) f.bottom = f.top + 120;

    double bmax = 1;
    for (int i = 0; i < n; i++) bmax = fmax(bmax, s->bits.v[i]);
    double ytop = ceil(bmax * 1.15);
    if (ytop < bmax + 1) ytop = bmax + 1;

    pl_buf b = {0};
    pl_preamble(&b, s->title);
    pl_frame_emit(&b, &f);
    pl_printf(&b, "set xrange [-0.6:%.1f]\nset yrange [0:%g]\nset ylabel \"weight bits\"\n"
                  "set xlabel \"layer\"\nset grid noxtics ytics\nset style fill solid 0.85 "
                  "border -1\nset xtics scale 0 %s\n",
              n - 0.4, ytop, rotate ? "rotate by 45 right offset 0.5,0" : "");
    if (ytop <= 24) pl_printf(&b, "set ytics 0, %d\n", ytop <= 12 ? 1 : 2);
    if (has_keep)
        pl_printf(&b, "set y2range [0:1.15]\nset y2tics 0, 0.2, 1 nomirror out scale 0.6\n"
                      "set y2label \"keep ratio (fraction of weights kept)\"\n");
    /* Tic labels from the names, literally. */
    pl_printf(&b, "set xtics (");
    for (int i = 0; i < n; i++) {
        if (i) pl_printf(&b, ", ");
        pl_quoted(&b, s->names[i]);
        pl_printf(&b, " %d", i);
    }
    pl_printf(&b, ")\n$layers << EOD\n");
    for (int i = 0; i < n; i++)
        pl_printf(&b, "%d %.10g %.10g\n", i, s->bits.v[i], has_keep ? s->keep.v[i] : 0.0);
    pl_printf(&b, "EOD\n");
    double bw = has_keep ? 0.38 : 0.6, off = has_keep ? 0.2 : 0;
    int values = slot >= 16;   /* value labels above the bars when there is room */
    pl_printf(&b, "plot $layers using ($1-%g):2:(%g) with boxes lc rgb '%s' title \"weight bits "
                  "(left axis)\"", off, bw, pl_colour(0));
    if (values)
        pl_printf(&b, ", \\\n     $layers using ($1-%g):2:(sprintf('%%g', $2)) with labels "
                      "offset 0,0.7 font ',%d' notitle", off, slot >= 24 ? 9 : 7);
    if (has_keep) {
        pl_printf(&b, ", \\\n     $layers using ($1+%g):3:(%g) axes x1y2 with boxes lc rgb '%s' "
                      "title \"keep ratio (right axis)\"", off, bw, pl_colour(2));
        if (values && slot >= 56)
            pl_printf(&b, ", \\\n     $layers using ($1+%g):3:(sprintf('%%.2f', $3)) axes x1y2 "
                          "with labels offset 0,0.7 font ',7' notitle", off);
    }
    pl_printf(&b, "\n");
    rc = pl_render(&b, out_path, f.w, f.h, err);
    pl_free(&b);
    return rc;
}
