/* plots/curves.c: line figures of search results (plots/search.h 3 and 5): AScore
 * curves along a non-dominated set, and hypervolume against evaluations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_internal.h"

/* EMOMC's aggregation score with tau = 1: r = q rewards a correct answer, tau
 * penalizes an error (the definition and its reasons: search/select.h, sp_ascore,
 * which plots cannot call from below search). */
static double ascore(double acc, double energy, double q)
{
    return (q * acc - (1 - acc)) / energy;
}

int plot_ascore_argmax(int n, const double *accuracy, const double *energy, double q)
{
    int best = -1;
    double bv = -INFINITY;
    for (int i = 0; i < n; i++) {
        double v = ascore(accuracy[i], energy[i], q);
        if (v > bv) {
            bv = v;
            best = i;
        }
    }
    return best;
}

/* A point of the set and its sort key (energy, or accuracy). */
typedef struct {
    double e;
    int i;
} by_energy;

static int cmp_energy(const void *p, const void *q)
{
    const by_energy *a = p, *b = q;
    if (a->e != b->e) return a->e < b->e ? -1 : 1;
    return a->i - b->i;
}

#define FN_AS "plot_ascore"

int plot_ascore(const char *out_path, const plot_ascore_spec *s, em_error *err)
{
    int rc;
    if (!s) return em_fail(err, EM_EINVAL, FN_AS ": no spec");
    if ((rc = pl_check_path(FN_AS, out_path, err))) return rc;
    if ((rc = pl_check_vec(FN_AS, "accuracy", s->accuracy, -1, 0, err)) ||
        (rc = pl_check_vec(FN_AS, "energy", s->energy, s->accuracy.n, 1, err)))
        return rc;
    for (int i = 0; i < s->accuracy.n; i++)
        if (s->accuracy.v[i] < 0 || s->accuracy.v[i] > 1)
            return em_fail(err, EM_EINVAL, FN_AS ": accuracy[%d] = %g is not a fraction in [0, 1]",
                           i, s->accuracy.v[i]);
    static const double default_q[] = {5, 1, 0.2};
    plot_vec q = s->ratios.v ? s->ratios : PLOT_VEC(default_q, 3);
    if ((rc = pl_check_vec(FN_AS, "ratios", q, -1, 1, err))) return rc;
    if (q.n > 8) return em_fail(err, EM_EINVAL, FN_AS ": %d ratios (at most 8)", q.n);
    if (s->energy_axis.scale < 0 || !isfinite(s->energy_axis.scale))
        return em_fail(err, EM_EINVAL, FN_AS ": energy_axis scale %g must be > 0 (or 0 for 1)",
                       s->energy_axis.scale);
    const plot_mark *ref = s->reference;
    if (ref && (!isfinite(ref->x) || ref->x <= 0 || !(ref->y >= 0 && ref->y <= 1)))
        return em_fail(err, EM_EINVAL, FN_AS ": reference (energy %g, accuracy %g) needs energy "
                       "> 0 and accuracy in [0, 1]", ref->x, ref->y);

    const int n = s->accuracy.n, xacc = s->x_accuracy != 0;
    const double es = pl_scale(&s->energy_axis);
    by_energy *ord = malloc((size_t)n * sizeof *ord);
    double *norm = malloc((size_t)q.n * sizeof *norm);
    int *arg = malloc((size_t)q.n * sizeof *arg);
    if (!ord || !norm || !arg) {
        free(ord);
        free(norm);
        free(arg);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        ord[i].e = xacc ? s->accuracy.v[i] : s->energy.v[i];
        ord[i].i = i;
    }
    qsort(ord, (size_t)n, sizeof *ord, cmp_energy);
    /* Each curve is divided by a positive norm (the reference's AScore, or the
     * curve's maximum); a curve with none is left out, and so are values a log axis
     * cannot show. Such values are written as NaN, which gnuplot skips. */
    double ymax = 0, ymin = INFINITY;
    for (int j = 0; j < q.n; j++) {
        arg[j] = plot_ascore_argmax(n, s->accuracy.v, s->energy.v, q.v[j]);
        double best = ascore(s->accuracy.v[arg[j]], s->energy.v[arg[j]], q.v[j]);
        norm[j] = ref ? ascore(ref->y, ref->x, q.v[j]) : best;
        if (!(norm[j] > 0)) continue;
        for (int i = 0; i < n; i++) {
            double v = ascore(s->accuracy.v[i], s->energy.v[i], q.v[j]) / norm[j];
            if (s->log_y && !(v > 0)) continue;
            ymin = fmin(ymin, v);
            ymax = fmax(ymax, v);
        }
    }
    if (!(ymin < INFINITY)) ymin = ymax = 1;

    /* Key texts: each curve says where its maximum is. */
    char unit[64] = "";
    if (s->energy_axis.unit && *s->energy_axis.unit)
        snprintf(unit, sizeof unit, " %s", s->energy_axis.unit);
    char keys[8][160], ref_key[200] = "";
    int longest = 34;
    for (int j = 0; j < q.n; j++) {
        int a = arg[j];
        if (norm[j] > 0)
            snprintf(keys[j], sizeof keys[j], "r/τ = %g: max at %.4g%s, acc %.2f %%", q.v[j],
                     s->energy.v[a] * es, unit, 100 * s->accuracy.v[a]);
        else
            snprintf(keys[j], sizeof keys[j], "r/τ = %g: no positive %s", q.v[j],
                     ref ? "AScore of the reference" : "AScore");
        if ((int)strlen(keys[j]) > longest) longest = (int)strlen(keys[j]);
    }
    if (ref)
        snprintf(ref_key, sizeof ref_key, "%s (= 1)", ref->label && *ref->label ? ref->label
                                                                                   : "reference");
    pl_frame f;
    f.w = s->width > 0 ? s->width : 960;
    f.h = s->height > 0 ? s->height : 560;
    f.left = 80;
    f.top = s->title && *s->title ? 44 : 18;
    f.bottom = f.h - 56;
    int kw = pl_key_width(longest);
    if (kw > f.w / 3) kw = f.w / 3;
    f.right = f.w - kw - 60; /* room for the right-hand axis */

    /* x: energy (log if asked) or accuracy in %; y2: the other one. */
    pl_range rx, r2;
    pl_range_init(&rx, xacc ? 0 : s->energy_axis.log_scale);
    pl_range_init(&r2, xacc ? s->energy_axis.log_scale : 0);
    for (int i = 0; i < n; i++) {
        double e = s->energy.v[i] * es, a = 100 * s->accuracy.v[i];
        pl_range_add(&rx, xacc ? a : e);
        pl_range_add(&r2, xacc ? e : a);
    }
    pl_range_finish(&rx, 0.04, 0.04);
    pl_range_finish(&r2, 0.05, 0.05);
    /* A linear axis stops at -1 (the norm below zero): much lower scores, of models
     * that make more errors than the ratio tolerates, run off the bottom rather than
     * squash the curves' peaks. */
    pl_range ry = {s->log_y ? ymin : fmax(-1.0, fmin(0, ymin)), ymax, s->log_y != 0};
    if (ref) pl_range_add(&ry, 1);
    pl_range_finish(&ry, s->log_y ? 0.03 : 0, 0.08);

    pl_buf b = {0};
    pl_preamble(&b, s->title);
    pl_frame_emit(&b, &f);
    /* The key sits right of the right-hand axis and its labels. */
    pl_printf(&b, "set key at screen %.6f, screen %.6f left top vertical Left reverse samplen 2 "
                  "spacing 1.3 noopaque nobox\n", (double)(f.right + 66) / f.w,
              1 - (double)f.top / f.h);
    char te[512];
    pl_axis_title(te, sizeof te, &s->energy_axis, "energy");
    pl_printf(&b, "set xlabel ");
    pl_quoted(&b, xacc ? "accuracy (%)" : te);
    pl_printf(&b, "\nset y2label ");
    pl_quoted(&b, xacc ? te : "accuracy (%)");
    pl_printf(&b, " textcolor rgb '#777777'\nset y2tics nomirror out scale 0.6 textcolor rgb "
                  "'#777777'\n");
    pl_printf(&b, "set ylabel ");
    pl_quoted(&b, ref ? "AScore / AScore of the reference (τ cancels)"
                      : "AScore / its maximum (τ cancels)");
    pl_printf(&b, "\n");
    pl_range_emit(&b, "x", &rx);
    pl_range_emit(&b, "y", &ry);
    pl_range_emit(&b, "y2", &r2);
    if (!ref && !s->log_y && ymin >= 0) pl_printf(&b, "set ytics 0, 0.2, 1\n");
    pl_printf(&b, "$curves << EOD\n");
    for (int k = 0; k < n; k++) {
        int i = ord[k].i;
        double e = s->energy.v[i] * es, a = 100 * s->accuracy.v[i];
        pl_printf(&b, "%.10g %.10g", xacc ? a : e, xacc ? e : a);
        for (int j = 0; j < q.n; j++) {
            double v = ascore(s->accuracy.v[i], s->energy.v[i], q.v[j]) / norm[j];
            if (!(norm[j] > 0) || (s->log_y && !(v > 0))) pl_printf(&b, " NaN");
            else pl_printf(&b, " %.10g", v);
        }
        pl_printf(&b, "\n");
    }
    pl_printf(&b, "EOD\n$argmax << EOD\n");
    for (int j = 0; j < q.n; j++) {
        int a = arg[j];
        double v = ascore(s->accuracy.v[a], s->energy.v[a], q.v[j]) / norm[j];
        pl_printf(&b, "%.10g ", xacc ? 100 * s->accuracy.v[a] : s->energy.v[a] * es);
        if (!(norm[j] > 0) || (s->log_y && !(v > 0))) pl_printf(&b, "NaN\n");
        else pl_printf(&b, "%.10g\n", v);
    }
    pl_printf(&b, "EOD\n");
    int lp = n <= 80;
    pl_printf(&b, "plot $curves using 1:2 axes x1y2 with lines lw 1.2 dt 3 lc rgb '#888888' "
                  "title ");
    pl_quoted(&b, xacc ? "energy of the set (right axis)" : "accuracy of the set (right axis)");
    if (ref) {
        pl_printf(&b, ", \\\n     1 with lines dt 2 lw 1.2 lc rgb '#111111' title ");
        pl_quoted(&b, ref_key);
    }
    for (int j = 0; j < q.n; j++) {
        pl_printf(&b, ", \\\n     $curves using 1:%d with %s lw 1.8 lc rgb '%s'%s title ", 3 + j,
                  lp ? "linespoints" : "lines", pl_colour(j), lp ? " pt 7 ps 0.6" : "");
        pl_quoted(&b, keys[j]);
        pl_printf(&b, ", \\\n     $argmax every ::%d::%d using 1:2 with points pt 6 ps %.1f lw 2 "
                      "lc rgb '%s' notitle", j, j, 2.2 + 0.8 * j, pl_colour(j));
    }
    pl_printf(&b, "\n");
    rc = pl_render(&b, out_path, f.w, f.h, err);
    pl_free(&b);
    free(ord);
    free(norm);
    free(arg);
    return rc;
}

#define FN_HV "plot_convergence"

int plot_convergence(const char *out_path, const plot_hv_spec *s, em_error *err)
{
    int rc;
    if (!s) return em_fail(err, EM_EINVAL, FN_HV ": no spec");
    if ((rc = pl_check_path(FN_HV, out_path, err))) return rc;
    if (s->n_series < 1 || s->n_series > 12 || !s->series)
        return em_fail(err, EM_EINVAL, FN_HV ": n_series = %d (1..12, with series)", s->n_series);
    int longest = 10, any_band = 0;
    for (int k = 0; k < s->n_series; k++) {
        const plot_hv_series *r = &s->series[k];
        const char *nm = r->name ? r->name : "?";
        char what[96];
        snprintf(what, sizeof what, "series[%d] (%.40s) evals", k, nm);
        if ((rc = pl_check_vec(FN_HV, what, r->evals, -1, s->log_x, err))) return rc;
        for (int i = 1; i < r->evals.n; i++)
            if (r->evals.v[i] < r->evals.v[i - 1])
                return em_fail(err, EM_EINVAL, FN_HV ": %s[%d] = %g decreases (must be "
                               "non-decreasing)", what, i, r->evals.v[i]);
        snprintf(what, sizeof what, "series[%d] (%.40s) hv", k, nm);
        if ((rc = pl_check_vec(FN_HV, what, r->hv, r->evals.n, 0, err))) return rc;
        if ((r->lo.v != NULL) != (r->hi.v != NULL))
            return em_fail(err, EM_EINVAL, FN_HV ": series[%d] (%.40s): give both lo and hi or "
                           "neither", k, nm);
        if (r->lo.v) {
            any_band = 1;
            snprintf(what, sizeof what, "series[%d] (%.40s) lo", k, nm);
            if ((rc = pl_check_vec(FN_HV, what, r->lo, r->evals.n, 0, err))) return rc;
            snprintf(what, sizeof what, "series[%d] (%.40s) hi", k, nm);
            if ((rc = pl_check_vec(FN_HV, what, r->hi, r->evals.n, 0, err))) return rc;
        }
        if (r->name && (int)strlen(r->name) > longest) longest = (int)strlen(r->name);
    }
    if (any_band && s->band_label && (int)strlen(s->band_label) > longest)
        longest = (int)strlen(s->band_label);
    pl_frame f;
    f.w = s->width > 0 ? s->width : 900;
    f.h = s->height > 0 ? s->height : 540;
    f.left = 84;
    f.top = s->title && *s->title ? 44 : 18;
    f.bottom = f.h - 56;
    int kw = pl_key_width(longest);
    if (kw > f.w / 3) kw = f.w / 3;
    f.right = f.w - kw;

    pl_range rx, ry;
    pl_range_init(&rx, s->log_x);
    pl_range_init(&ry, 0);
    for (int k = 0; k < s->n_series; k++) {
        const plot_hv_series *r = &s->series[k];
        for (int i = 0; i < r->evals.n; i++) {
            pl_range_add(&rx, r->evals.v[i]);
            pl_range_add(&ry, r->hv.v[i]);
            if (r->lo.v) {
                pl_range_add(&ry, r->lo.v[i]);
                pl_range_add(&ry, r->hi.v[i]);
            }
        }
    }
    pl_range_finish(&rx, 0.02, 0.02);
    pl_range_finish(&ry, 0.05, 0.05);

    pl_buf b = {0};
    pl_preamble(&b, s->title);
    pl_frame_emit(&b, &f);
    pl_printf(&b, "set xlabel ");
    pl_quoted(&b, s->xlabel && *s->xlabel ? s->xlabel : "true evaluations");
    pl_printf(&b, "\nset ylabel ");
    pl_quoted(&b, s->ylabel && *s->ylabel ? s->ylabel : "hypervolume");
    pl_printf(&b, "\nset style fill transparent solid 0.18 noborder\n");
    pl_range_emit(&b, "x", &rx);
    pl_range_emit(&b, "y", &ry);
    for (int k = 0; k < s->n_series; k++) {
        const plot_hv_series *r = &s->series[k];
        pl_printf(&b, "$hv%d << EOD\n", k);
        for (int i = 0; i < r->evals.n; i++) {
            pl_printf(&b, "%.10g %.10g", r->evals.v[i], r->hv.v[i]);
            if (r->lo.v) pl_printf(&b, " %.10g %.10g", r->lo.v[i], r->hi.v[i]);
            pl_printf(&b, "\n");
        }
        pl_printf(&b, "EOD\n");
    }
    pl_printf(&b, "plot ");
    int first = 1;
    for (int k = 0; k < s->n_series; k++) {
        const plot_hv_series *r = &s->series[k];
        if (!r->lo.v) continue;
        pl_printf(&b, "%s$hv%d using 1:3:4 with filledcurves lc rgb '%s' notitle",
                  first ? "" : ", \\\n     ", k, pl_colour(k));
        first = 0;
    }
    for (int k = 0; k < s->n_series; k++) {
        const plot_hv_series *r = &s->series[k];
        int lp = r->evals.n <= 40;
        pl_printf(&b, "%s$hv%d using 1:2 with %s lw 1.8 dt %d lc rgb '%s'", first ? "" : ", \\\n     ",
                  k, lp ? "linespoints" : "lines", 1 + k / 6, pl_colour(k));
        if (lp) pl_printf(&b, " pt %d ps 0.8", pl_point_type(k));
        pl_printf(&b, " title ");
        pl_quoted(&b, r->name ? r->name : "");
        first = 0;
    }
    if (any_band) {
        pl_printf(&b, ", \\\n     keyentry with filledcurves lc rgb '#999999' title ");
        pl_quoted(&b, s->band_label && *s->band_label ? s->band_label : "shaded: lo..hi");
    }
    pl_printf(&b, "\n");
    rc = pl_render(&b, out_path, f.w, f.h, err);
    pl_free(&b);
    return rc;
}
