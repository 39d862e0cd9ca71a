/* search/plotcompare.c: the figures of `emomc plot --compare`. */
#include "search/plotcompare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/search.h"

#define N_RATIOS 41 /* r/tau from 0.05 to 20, geometric */

static void list_add(char *list, size_t cap, size_t *len, const char *path)
{
    if (list && *len < cap) *len += (size_t)snprintf(list + *len, cap - *len, "%s\n", path);
}

/* out without its extension, and the extension (".png"; "" when none). */
static void split_ext(const char *out, char *base, size_t cap, const char **ext)
{
    const char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
    if (!dot || (slash && dot < slash)) dot = out + strlen(out);
    snprintf(base, cap, "%.*s", (int)(dot - out), out);
    *ext = dot;
}

static bool spans_decade(const sp_fronts *f)
{
    double lo = INFINITY, hi = 0;
    for (int k = 0; k < f->n; k++) {
        for (int i = 0; i < f->s[k].n; i++) {
            lo = fmin(lo, f->s[k].cost[i]);
            hi = fmax(hi, f->s[k].cost[i]);
        }
        if (f->s[k].has_ref) hi = fmax(hi, f->s[k].ref_cost);
    }
    return lo > 0 && hi > 10 * lo;
}

static int draw_fronts(const sp_fronts *f, const sp_compare_opts *o, em_error *err)
{
    bool size = f->axis == SP_AXIS_SIZE;
    plot_front *fr = calloc((size_t)f->n, sizeof *fr);
    if (!fr) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int k = 0; k < f->n; k++) {
        const sp_front_series *s = &f->s[k];
        fr[k] = (plot_front){s->name, PLOT_VEC(s->cost, s->n), PLOT_VEC(s->acc, s->n), s->has_ref,
                             s->ref_cost, s->ref_acc};
    }
    char title[256];
    snprintf(title, sizeof title, "accuracy-%s fronts of %d searches (search accuracy)",
             size ? "size" : "energy", f->n);
    plot_fronts_spec fs = {
        .title = o->title ? o->title : title,
        .x = {size ? "model size" : "energy per inference", size ? "KB" : "mJ", PLOT_MINIMIZE,
              spans_decade(f), 1},
        .y = {"search accuracy", "%", PLOT_MAXIMIZE, 0, 100},
        .fronts = fr, .n_fronts = f->n, .reference_label = "dense 32-bit"};
    int rc = plot_fronts(o->out, &fs, err);
    free(fr);
    return rc;
}

/* One curve per front with a reference: the relative AScore of its best pick. */
static int draw_ascore(const sp_fronts *f, const sp_compare_opts *o, const char *path,
                       bool *drawn, em_error *err)
{
    double *buf = malloc(sizeof *buf * 2 * N_RATIOS * (size_t)f->n);
    plot_hv_series *ser = calloc((size_t)f->n, sizeof *ser);
    if (!buf || !ser) {
        free(buf);
        free(ser);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    int ns = 0;
    for (int k = 0; k < f->n && ns < 12; k++) {
        double *q = buf + (size_t)ns * 2 * N_RATIOS, *v = q + N_RATIOS;
        int m = 0;
        for (int i = 0; i < N_RATIOS; i++) {
            double r = 0.05 * pow(400.0, i / (N_RATIOS - 1.0));
            double a = sp_front_best_ascore_rel(&f->s[k], r, NULL);
            if (isfinite(a)) q[m] = r, v[m++] = a;
        }
        if (m > 0)
            ser[ns++] = (plot_hv_series){.name = f->s[k].name, .evals = PLOT_VEC(q, m),
                                         .hv = PLOT_VEC(v, m)};
    }
    /* The caller's title already names the fronts; the suffix stays short so that the
     * whole line fits a 900-pixel figure (a long one was cut at both ends). */
    char title[256];
    if (o->title)
        snprintf(title, sizeof title, "%s: AScore of the best pick", o->title);
    else
        snprintf(title, sizeof title, "AScore of each front's best pick (search accuracy)");
    plot_hv_spec hs = {.title = title, .xlabel = "r/tau (reward per correct answer / penalty per "
                       "error)", .ylabel = "best AScore / uncompressed model's AScore",
                       .series = ser, .n_series = ns, .log_x = 1};
    int rc = ns > 0 ? plot_convergence(path, &hs, err) : EM_OK;
    *drawn = ns > 0;
    free(buf);
    free(ser);
    return rc;
}

int sp_plot_compare(const char *const *dirs, int n_dirs, const sp_compare_opts *o, char *list,
                    size_t list_size, em_error *err)
{
    if (!o->out || !*o->out) return em_fail(err, EM_EINVAL, "--compare needs --out FILE.png|svg");
    size_t len = 0;
    if (list && list_size) list[0] = '\0';
    sp_fronts f;
    int rc = sp_fronts_read(dirs, n_dirs, o->axis, &f, err);
    if (rc) return rc;
    if (f.n > 12) rc = em_fail(err, EM_EINVAL, "%d fronts: at most 12 in one figure", f.n);
    char base[4096], path[4200];
    const char *ext;
    split_ext(o->out, base, sizeof base, &ext);
    snprintf(path, sizeof path, "%s.dat", base);
    if (!rc && !(rc = sp_fronts_write_data(&f, path, err))) list_add(list, list_size, &len, path);
    if (!rc && !(rc = draw_fronts(&f, o, err))) list_add(list, list_size, &len, o->out);
    snprintf(path, sizeof path, "%s-ascore%s", base, ext);
    bool drawn = false;
    if (!rc && !(rc = draw_ascore(&f, o, path, &drawn, err)) && drawn)
        list_add(list, list_size, &len, path);
    sp_fronts_free(&f);
    return rc;
}
