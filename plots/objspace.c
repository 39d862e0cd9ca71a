/* plots/objspace.c: objective-space figures (plots/search.h 1 and 2): all evaluations,
 * the non-dominated staircase, the reference model, picks and limits; and several
 * fronts in one figure. Labels of marked points go where they cover the fewest
 * data points. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_internal.h"

#define MAX_MARKS 16

/* ---- placing labels ------------------------------------------------------------ */

typedef struct {
    double x0, y0, x1, y1;
} pbox;

typedef struct {
    const pl_frame *f;
    const pl_range *rx, *ry;
    int n;               /* data points, in pixels */
    double *px, *py;
    pbox placed[MAX_MARKS];
    int n_placed;
    double mx[MAX_MARKS], my[MAX_MARKS];
    int n_marks;
} placer;

static void to_px(const placer *p, double x, double y, double *px, double *py)
{
    const pl_frame *f = p->f;
    *px = f->left + pl_range_frac(p->rx, x) * (f->right - f->left);
    *py = f->bottom - pl_range_frac(p->ry, y) * (f->bottom - f->top);
}

static int overlap(const pbox *a, const pbox *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

static double box_score(const placer *p, const pbox *b, int self)
{
    const pl_frame *f = p->f;
    double s = 0;
    if (b->x0 < f->left + 2 || b->x1 > f->right - 2 || b->y0 < f->top + 2 || b->y1 > f->bottom - 2)
        s += 10000;
    for (int i = 0; i < p->n_placed; i++)
        if (overlap(b, &p->placed[i])) s += 5000;
    for (int i = 0; i < p->n_marks; i++)
        if (i != self && p->mx[i] > b->x0 - 9 && p->mx[i] < b->x1 + 9 && p->my[i] > b->y0 - 9 &&
            p->my[i] < b->y1 + 9)
            s += 3000;
    for (int i = 0; i < p->n; i++)
        if (p->px[i] > b->x0 - 3 && p->px[i] < b->x1 + 3 && p->py[i] > b->y0 - 3 &&
            p->py[i] < b->y1 + 3)
            s += 1;
    return s;
}

/* A place for a label: side (+1 right or up, -1 left or down, 0 centred) and distance. */
typedef struct {
    int h, v;
    double d;
} lab_cand;

/* Emits a label for mark number self; hx, vy: the preferred side (+1 right / up,
 * -1 left / down), toward the empty corner of the objective space. */
static void place_label(pl_buf *b, placer *p, int self, const char *text, int hx, int vy)
{
    double px = p->mx[self], py = p->my[self];
    const double tw = pl_text_px(text) + 4, th = 15;
    /* Candidates in order of preference: toward the empty corner first, close before
     * far; the first with the lowest score wins. */
    lab_cand cand[40];
    int nc = 0;
    static const double near[] = {1, 1.9, 2.8, 3.7};
    for (int k = 0; k < 4; k++) {
        cand[nc++] = (lab_cand){hx, vy, near[k]};
        cand[nc++] = (lab_cand){0, vy, near[k] + 0.6};
        cand[nc++] = (lab_cand){-hx, vy, near[k]};
        if (k == 0) {
            cand[nc++] = (lab_cand){hx, 0, 1};
            cand[nc++] = (lab_cand){-hx, 0, 1};
        }
    }
    for (int k = 0; k < 3; k++) {
        cand[nc++] = (lab_cand){hx, -vy, near[k]};
        cand[nc++] = (lab_cand){0, -vy, near[k] + 0.6};
        cand[nc++] = (lab_cand){-hx, -vy, near[k]};
    }
    int best = 0;
    double best_s = INFINITY;
    pbox best_box = {0, 0, 0, 0};
    for (int c = 0; c < nc; c++) {
        pbox bx;
        double gx = cand[c].v == 0 ? 15 : 7, gy = 8 * cand[c].d;
        if (cand[c].h > 0) {
            bx.x0 = px + gx;
            bx.x1 = bx.x0 + tw;
        } else if (cand[c].h < 0) {
            bx.x1 = px - gx;
            bx.x0 = bx.x1 - tw;
        } else {
            bx.x0 = px - tw / 2;
            bx.x1 = px + tw / 2;
        }
        if (cand[c].v > 0) {
            bx.y1 = py - gy;
            bx.y0 = bx.y1 - th;
        } else if (cand[c].v < 0) {
            bx.y0 = py + gy;
            bx.y1 = bx.y0 + th;
        } else {
            bx.y0 = py - th / 2;
            bx.y1 = py + th / 2;
        }
        double s = box_score(p, &bx, self);
        if (s < best_s) {
            best_s = s;
            best = c;
            best_box = bx;
        }
    }
    if (p->n_placed < MAX_MARKS) p->placed[p->n_placed++] = best_box;
    const pl_frame *f = p->f;
    int right = cand[best].h < 0, centre = cand[best].h == 0;
    double ax = centre ? (best_box.x0 + best_box.x1) / 2 : right ? best_box.x1 - 2 : best_box.x0 + 2;
    double ay = (best_box.y0 + best_box.y1) / 2;
    pl_printf(b, "set label ");
    pl_quoted(b, text);
    pl_printf(b, " at screen %.6f, screen %.6f %s front boxed textcolor rgb '#222222'\n",
              ax / f->w, 1 - ay / f->h, centre ? "center" : right ? "right" : "left");
}

static int placer_init(placer *p, const pl_frame *f, const pl_range *rx, const pl_range *ry,
                       int cap)
{
    memset(p, 0, sizeof *p);
    p->f = f;
    p->rx = rx;
    p->ry = ry;
    p->px = malloc((size_t)(cap > 0 ? cap : 1) * sizeof(double));
    p->py = malloc((size_t)(cap > 0 ? cap : 1) * sizeof(double));
    return p->px && p->py ? 0 : -1;
}

static void placer_add_points(placer *p, plot_vec x, plot_vec y, double xs, double ys)
{
    for (int i = 0; i < x.n; i++, p->n++) to_px(p, x.v[i] * xs, y.v[i] * ys, &p->px[p->n], &p->py[p->n]);
}

static void placer_add_mark(placer *p, double x, double y)
{
    if (p->n_marks < MAX_MARKS) {
        to_px(p, x, y, &p->mx[p->n_marks], &p->my[p->n_marks]);
        p->n_marks++;
    }
}

static void placer_free(placer *p)
{
    free(p->px);
    free(p->py);
}

/* ---- shared pieces ------------------------------------------------------------- */

static int check_axis(const char *fn, const char *name, const plot_axis *a, em_error *err)
{
    if (a->sense != PLOT_MINIMIZE && a->sense != PLOT_MAXIMIZE)
        return em_fail(err, EM_EINVAL, "%s: %s axis: sense must be PLOT_MINIMIZE or PLOT_MAXIMIZE",
                       fn, name);
    if (a->scale < 0 || !isfinite(a->scale))
        return em_fail(err, EM_EINVAL, "%s: %s axis: scale %g must be > 0 (or 0 for 1)", fn,
                       name, a->scale);
    return EM_OK;
}

static int check_point(const char *fn, const char *what, double x, double y,
                       const plot_axis *ax, const plot_axis *ay, em_error *err)
{
    if (!isfinite(x) || !isfinite(y))
        return em_fail(err, EM_EINVAL, "%s: %s is not a finite point (%g, %g)", fn, what, x, y);
    if ((ax->log_scale && x <= 0) || (ay->log_scale && y <= 0))
        return em_fail(err, EM_EINVAL, "%s: %s (%g, %g) must be > 0 on a log axis", fn, what, x, y);
    return EM_OK;
}

static int check_limit(const char *fn, const char *what, const plot_limit *l,
                       const plot_axis *a, em_error *err)
{
    if (!l->on) return EM_OK;
    if (!isfinite(l->value) || (a->log_scale && l->value <= 0))
        return em_fail(err, EM_EINVAL, "%s: %s value %g is not usable on its axis", fn, what,
                       l->value);
    return EM_OK;
}

static void emit_points(pl_buf *b, const char *name, plot_vec x, plot_vec y, const int *idx,
                        int n, double xs, double ys)
{
    pl_printf(b, "$%s << EOD\n", name);
    for (int k = 0; k < n; k++) {
        int i = idx ? idx[k] : k;
        pl_printf(b, "%.10g %.10g\n", x.v[i] * xs, y.v[i] * ys);
    }
    pl_printf(b, "EOD\n");
}

/* A limit: its line, the shading of the side beyond it, and a key entry. */
static void emit_limit(pl_buf *b, pl_buf *plot, const plot_limit *l, int vertical,
                       const plot_axis *a, double scale, int *first)
{
    if (!l->on) return;
    double v = l->value * scale;
    if (vertical) {
        pl_printf(b, "set arrow from first %.10g, graph 0 to first %.10g, graph 1 nohead "
                     "back dt 2 lw 1.6 lc rgb '#CC3311'\n", v, v);
        if (a->sense == PLOT_MINIMIZE)
            pl_printf(b, "set object rect from first %.10g, graph 0 to graph 1, graph 1 behind "
                         "fc rgb '#f4f0ee' fs solid 1.0 noborder\n", v);
        else
            pl_printf(b, "set object rect from graph 0, graph 0 to first %.10g, graph 1 behind "
                         "fc rgb '#f4f0ee' fs solid 1.0 noborder\n", v);
    } else {
        pl_printf(b, "set arrow from graph 0, first %.10g to graph 1, first %.10g nohead "
                     "back dt 2 lw 1.6 lc rgb '#CC3311'\n", v, v);
        if (a->sense == PLOT_MAXIMIZE)
            pl_printf(b, "set object rect from graph 0, graph 0 to graph 1, first %.10g behind "
                         "fc rgb '#f4f0ee' fs solid 1.0 noborder\n", v);
        else
            pl_printf(b, "set object rect from graph 0, first %.10g to graph 1, graph 1 behind "
                         "fc rgb '#f4f0ee' fs solid 1.0 noborder\n", v);
    }
    pl_printf(plot, "%skeyentry with lines dt 2 lw 1.6 lc rgb '#CC3311' title ",
              *first ? "plot " : ", \\\n     ");
    pl_quoted(plot, l->label && *l->label ? l->label : vertical ? "budget" : "limit");
    *first = 0;
}

static void sep(pl_buf *plot, int *first)
{
    pl_printf(plot, "%s", *first ? "plot " : ", \\\n     ");
    *first = 0;
}

/* Point size and colour of the grey cloud of evaluations, by how many there are. */
static void cloud_style(int n, double *ps, const char **colour)
{
    *ps = n <= 100 ? 0.75 : n <= 500 ? 0.55 : 0.42;
    *colour = n <= 300 ? "#9a9a9a" : "#70808080";
}

static double front_ps(int n)
{
    return n <= 60 ? 1.0 : n <= 300 ? 0.75 : 0.55;
}

static void setup_frame(pl_frame *f, int w, int h, int dw, int dh, int has_title, int key_chars)
{
    f->w = w > 0 ? w : dw;
    f->h = h > 0 ? h : dh;
    f->left = 80;
    f->top = has_title ? 44 : 18;
    f->bottom = f->h - 56;
    int kw = pl_key_width(key_chars);
    if (kw > f->w / 3) kw = f->w / 3;
    f->right = f->w - kw;
}

static void emit_axes(pl_buf *b, const plot_axis *ax, const plot_axis *ay, const pl_range *rx,
                      const pl_range *ry)
{
    char t[512];
    pl_axis_title(t, sizeof t, ax, "x");
    pl_printf(b, "set xlabel ");
    pl_quoted(b, t);
    pl_printf(b, "\n");
    pl_axis_title(t, sizeof t, ay, "y");
    pl_printf(b, "set ylabel ");
    pl_quoted(b, t);
    pl_printf(b, "\n");
    pl_range_emit(b, "x", rx);
    pl_range_emit(b, "y", ry);
    pl_printf(b, "set style textbox opaque noborder margins 1,1\n");
}

static int max_len(int n, const char *const *s)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        int l = s[i] ? (int)strlen(s[i]) : 0;
        if (l > m) m = l;
    }
    return m;
}

/* ---- 1. objective space -------------------------------------------------------- */

#define FN_OS "plot_objective_space"

int plot_objective_space(const char *out_path, const plot_objspace_spec *s, em_error *err)
{
    int rc;
    if (!s) return em_fail(err, EM_EINVAL, FN_OS ": no spec");
    if ((rc = pl_check_path(FN_OS, out_path, err))) return rc;
    if ((rc = check_axis(FN_OS, "x", &s->x, err)) || (rc = check_axis(FN_OS, "y", &s->y, err)))
        return rc;
    if ((rc = pl_check_vec(FN_OS, "eval_x", s->eval_x, -1, s->x.log_scale, err)) ||
        (rc = pl_check_vec(FN_OS, "eval_y", s->eval_y, s->eval_x.n, s->y.log_scale, err)))
        return rc;
    int given_front = s->front_x.v != NULL || s->front_y.v != NULL;
    if (given_front &&
        ((rc = pl_check_vec(FN_OS, "front_x", s->front_x, -1, s->x.log_scale, err)) ||
         (rc = pl_check_vec(FN_OS, "front_y", s->front_y, s->front_x.n, s->y.log_scale, err))))
        return rc;
    if (s->reference &&
        (rc = check_point(FN_OS, "reference", s->reference->x, s->reference->y, &s->x, &s->y, err)))
        return rc;
    if (s->n_picks < 0 || s->n_picks > 8 || (s->n_picks > 0 && !s->picks))
        return em_fail(err, EM_EINVAL, FN_OS ": n_picks = %d (0..8, with picks)", s->n_picks);
    for (int i = 0; i < s->n_picks; i++) {
        char what[32];
        snprintf(what, sizeof what, "picks[%d]", i);
        if ((rc = check_point(FN_OS, what, s->picks[i].x, s->picks[i].y, &s->x, &s->y, err)))
            return rc;
    }
    if ((rc = check_limit(FN_OS, "x_limit", &s->x_limit, &s->x, err)) ||
        (rc = check_limit(FN_OS, "y_limit", &s->y_limit, &s->y, err)))
        return rc;

    const double xs = pl_scale(&s->x), ys = pl_scale(&s->y);
    plot_vec fx = s->front_x, fy = s->front_y;
    int *all_idx = NULL, *nd = NULL;
    int n_front, n_nd;
    if (given_front) {
        n_front = fx.n;
    } else {
        fx = s->eval_x;
        fy = s->eval_y;
        all_idx = malloc((size_t)fx.n * sizeof *all_idx);
        if (!all_idx) return em_fail(err, EM_ENOMEM, "out of memory");
        n_front = pl_nondominated(fx.n, fx.v, fy.v, s->x.sense, s->y.sense, all_idx);
    }
    nd = malloc((size_t)fx.n * sizeof *nd);
    if (!nd || n_front < 0) {
        free(all_idx);
        free(nd);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    if (given_front) {
        n_nd = pl_nondominated(fx.n, fx.v, fy.v, s->x.sense, s->y.sense, nd);
    } else {
        memcpy(nd, all_idx, (size_t)n_front * sizeof *nd);
        n_nd = n_front;
    }

    /* Key texts, and the frame they need. */
    char k_eval[64], k_front[64];
    snprintf(k_eval, sizeof k_eval, "all evaluations (%d)", s->eval_x.n);
    snprintf(k_front, sizeof k_front, "non-dominated set (%d)", n_front);
    const char *keys[16];
    int nk = 0;
    keys[nk++] = k_eval;
    keys[nk++] = k_front;
    if (s->reference) keys[nk++] = s->reference->label;
    for (int i = 0; i < s->n_picks; i++) keys[nk++] = s->picks[i].label;
    if (s->x_limit.on) keys[nk++] = s->x_limit.label;
    if (s->y_limit.on) keys[nk++] = s->y_limit.label;
    pl_frame f;
    setup_frame(&f, s->width, s->height, 960, 620, s->title && *s->title, max_len(nk, keys));

    /* Ranges: everything drawn, with room on the empty (better) side for labels. */
    pl_range rx, ry;
    pl_range_init(&rx, s->x.log_scale);
    pl_range_init(&ry, s->y.log_scale);
    for (int i = 0; i < s->eval_x.n; i++) {
        pl_range_add(&rx, s->eval_x.v[i] * xs);
        pl_range_add(&ry, s->eval_y.v[i] * ys);
    }
    for (int i = 0; i < fx.n; i++) {
        pl_range_add(&rx, fx.v[i] * xs);
        pl_range_add(&ry, fy.v[i] * ys);
    }
    if (s->reference) {
        pl_range_add(&rx, s->reference->x * xs);
        pl_range_add(&ry, s->reference->y * ys);
    }
    for (int i = 0; i < s->n_picks; i++) {
        pl_range_add(&rx, s->picks[i].x * xs);
        pl_range_add(&ry, s->picks[i].y * ys);
    }
    if (s->x_limit.on) pl_range_add(&rx, s->x_limit.value * xs);
    if (s->y_limit.on) pl_range_add(&ry, s->y_limit.value * ys);
    int hx = s->x.sense == PLOT_MINIMIZE ? -1 : 1, vy = s->y.sense == PLOT_MAXIMIZE ? 1 : -1;
    pl_range_finish(&rx, hx < 0 ? 0.06 : 0.04, hx < 0 ? 0.04 : 0.06);
    pl_range_finish(&ry, vy < 0 ? 0.10 : 0.04, vy < 0 ? 0.04 : 0.10);

    pl_buf b = {0}, plot = {0};
    pl_preamble(&b, s->title);
    pl_frame_emit(&b, &f);
    emit_axes(&b, &s->x, &s->y, &rx, &ry);
    emit_points(&b, "evals", s->eval_x, s->eval_y, NULL, s->eval_x.n, xs, ys);
    emit_points(&b, "front", fx, fy, given_front ? NULL : all_idx, n_front, xs, ys);
    emit_points(&b, "stair", fx, fy, nd, n_nd, xs, ys);
    if (s->reference) {
        pl_printf(&b, "$ref << EOD\n%.10g %.10g\nEOD\n", s->reference->x * xs,
                  s->reference->y * ys);
    }
    for (int i = 0; i < s->n_picks; i++)
        pl_printf(&b, "$pick%d << EOD\n%.10g %.10g\nEOD\n", i, s->picks[i].x * xs,
                  s->picks[i].y * ys);

    /* Labels of the marks, placed clear of the data. */
    placer p;
    if (placer_init(&p, &f, &rx, &ry, s->eval_x.n + fx.n) == 0) {
        placer_add_points(&p, s->eval_x, s->eval_y, xs, ys);
        placer_add_points(&p, fx, fy, xs, ys);
        if (s->reference) placer_add_mark(&p, s->reference->x * xs, s->reference->y * ys);
        for (int i = 0; i < s->n_picks; i++) placer_add_mark(&p, s->picks[i].x * xs, s->picks[i].y * ys);
        int m = 0;
        if (s->reference && s->reference->label && *s->reference->label)
            place_label(&b, &p, m, s->reference->label, hx, vy);
        m += s->reference != NULL;
        for (int i = 0; i < s->n_picks; i++, m++)
            if (s->picks[i].label && *s->picks[i].label)
                place_label(&b, &p, m, s->picks[i].label, hx, vy);
    } else {
        b.oom = 1;
    }
    placer_free(&p);

    double ps;
    const char *grey;
    cloud_style(s->eval_x.n, &ps, &grey);
    int first = 1;
    sep(&plot, &first);
    pl_printf(&plot, "$evals using 1:2 with points pt 7 ps %.2f lc rgb '%s' title ", ps, grey);
    pl_quoted(&plot, k_eval);
    const char *steps = s->x.sense == PLOT_MINIMIZE ? "steps" : "fsteps";
    sep(&plot, &first);
    pl_printf(&plot, "$stair using 1:2 with %s lw 1.6 lc rgb '%s' notitle", steps, pl_colour(0));
    sep(&plot, &first);
    pl_printf(&plot, "$front using 1:2 with points pt 7 ps %.2f lc rgb '%s' notitle",
              front_ps(n_front), pl_colour(0));
    sep(&plot, &first);
    pl_printf(&plot, "keyentry with linespoints pt 7 ps 1 lw 1.6 lc rgb '%s' title ", pl_colour(0));
    pl_quoted(&plot, k_front);
    static const char *pick_col[] = {"#EE6677", "#AA3377", "#228833", "#CCBB44"};
    static const int pick_pt[] = {6, 4, 8, 12};
    for (int i = 0; i < s->n_picks; i++) {
        sep(&plot, &first);
        pl_printf(&plot, "$pick%d using 1:2 with points pt %d ps 3.0 lw 2.2 lc rgb '%s' title ", i,
                  pick_pt[i % 4], pick_col[i % 4]);
        pl_quoted(&plot, s->picks[i].label ? s->picks[i].label : "pick");
    }
    if (s->reference) {
        sep(&plot, &first);
        pl_printf(&plot, "$ref using 1:2 with points pt 13 ps 3.0 lc rgb 'white' notitle");
        sep(&plot, &first);
        pl_printf(&plot, "$ref using 1:2 with points pt 13 ps 2.4 lc rgb '#111111' title ");
        pl_quoted(&plot, s->reference->label ? s->reference->label : "reference");
    }
    emit_limit(&b, &plot, &s->x_limit, 1, &s->x, xs, &first);
    emit_limit(&b, &plot, &s->y_limit, 0, &s->y, ys, &first);
    pl_printf(&plot, "\n");
    if (plot.oom) b.oom = 1;
    else pl_printf(&b, "%s", plot.s);
    rc = pl_render(&b, out_path, f.w, f.h, err);
    pl_free(&b);
    pl_free(&plot);
    free(all_idx);
    free(nd);
    return rc;
}

/* ---- 2. several fronts --------------------------------------------------------- */

#define FN_FR "plot_fronts"

int plot_fronts(const char *out_path, const plot_fronts_spec *s, em_error *err)
{
    int rc;
    if (!s) return em_fail(err, EM_EINVAL, FN_FR ": no spec");
    if ((rc = pl_check_path(FN_FR, out_path, err))) return rc;
    if (s->n_fronts < 1 || s->n_fronts > 12 || !s->fronts)
        return em_fail(err, EM_EINVAL, FN_FR ": n_fronts = %d (1..12, with fronts)", s->n_fronts);
    if ((rc = check_axis(FN_FR, "x", &s->x, err)) || (rc = check_axis(FN_FR, "y", &s->y, err)))
        return rc;
    int total = 0, any_ref = 0;
    for (int k = 0; k < s->n_fronts; k++) {
        const plot_front *fr = &s->fronts[k];
        char what[96];
        const char *nm = fr->name ? fr->name : "?";
        snprintf(what, sizeof what, "fronts[%d] (%.40s) x", k, nm);
        if ((rc = pl_check_vec(FN_FR, what, fr->x, -1, s->x.log_scale, err))) return rc;
        snprintf(what, sizeof what, "fronts[%d] (%.40s) y", k, nm);
        if ((rc = pl_check_vec(FN_FR, what, fr->y, fr->x.n, s->y.log_scale, err))) return rc;
        if (fr->has_reference) {
            snprintf(what, sizeof what, "fronts[%d] (%.40s) reference", k, nm);
            if ((rc = check_point(FN_FR, what, fr->ref_x, fr->ref_y, &s->x, &s->y, err))) return rc;
            any_ref = 1;
        }
        total += fr->x.n;
    }
    if ((rc = check_limit(FN_FR, "x_limit", &s->x_limit, &s->x, err)) ||
        (rc = check_limit(FN_FR, "y_limit", &s->y_limit, &s->y, err)))
        return rc;

    const double xs = pl_scale(&s->x), ys = pl_scale(&s->y);
    const char *ref_label = s->reference_label && *s->reference_label ? s->reference_label
                                                                       : "uncompressed";
    char ref_key[256];
    snprintf(ref_key, sizeof ref_key, "%s (in its front's colour)", ref_label);
    const char *keys[16];
    char names[12][96];
    int nk = 0;
    for (int k = 0; k < s->n_fronts; k++) {
        snprintf(names[k], sizeof names[k], "%s (%d)", s->fronts[k].name ? s->fronts[k].name : "",
                 s->fronts[k].x.n);
        keys[nk++] = names[k];
    }
    if (any_ref) keys[nk++] = ref_key;
    if (s->x_limit.on) keys[nk++] = s->x_limit.label;
    if (s->y_limit.on) keys[nk++] = s->y_limit.label;
    pl_frame f;
    setup_frame(&f, s->width, s->height, 960, 620, s->title && *s->title, max_len(nk, keys));

    pl_range rx, ry;
    pl_range_init(&rx, s->x.log_scale);
    pl_range_init(&ry, s->y.log_scale);
    for (int k = 0; k < s->n_fronts; k++) {
        const plot_front *fr = &s->fronts[k];
        for (int i = 0; i < fr->x.n; i++) {
            pl_range_add(&rx, fr->x.v[i] * xs);
            pl_range_add(&ry, fr->y.v[i] * ys);
        }
        if (fr->has_reference) {
            pl_range_add(&rx, fr->ref_x * xs);
            pl_range_add(&ry, fr->ref_y * ys);
        }
    }
    if (s->x_limit.on) pl_range_add(&rx, s->x_limit.value * xs);
    if (s->y_limit.on) pl_range_add(&ry, s->y_limit.value * ys);
    pl_range_finish(&rx, 0.04, 0.04);
    pl_range_finish(&ry, 0.05, 0.05);

    pl_buf b = {0}, plot = {0};
    pl_preamble(&b, s->title);
    pl_frame_emit(&b, &f);
    emit_axes(&b, &s->x, &s->y, &rx, &ry);
    int *nd = malloc((size_t)(total > 0 ? total : 1) * sizeof *nd);
    if (!nd) b.oom = 1;
    const char *steps = s->x.sense == PLOT_MINIMIZE ? "steps" : "fsteps";
    double ps = front_ps(total / s->n_fronts);
    int first = 1;
    for (int k = 0; k < s->n_fronts && nd; k++) {
        const plot_front *fr = &s->fronts[k];
        char name[32];
        snprintf(name, sizeof name, "front%d", k);
        emit_points(&b, name, fr->x, fr->y, NULL, fr->x.n, xs, ys);
        int n_nd = pl_nondominated(fr->x.n, fr->x.v, fr->y.v, s->x.sense, s->y.sense, nd);
        if (n_nd < 0) {
            b.oom = 1;
            break;
        }
        snprintf(name, sizeof name, "stair%d", k);
        emit_points(&b, name, fr->x, fr->y, nd, n_nd, xs, ys);
        const char *col = pl_colour(k);
        int dt = 1 + k / 6;
        sep(&plot, &first);
        pl_printf(&plot, "$stair%d using 1:2 with %s lw 1.5 dt %d lc rgb '%s' notitle", k, steps,
                  dt, col);
        sep(&plot, &first);
        pl_printf(&plot, "$front%d using 1:2 with points pt %d ps %.2f lc rgb '%s' notitle", k,
                  pl_point_type(k), ps, col);
        sep(&plot, &first);
        pl_printf(&plot, "keyentry with linespoints pt %d ps 1 lw 1.5 dt %d lc rgb '%s' title ",
                  pl_point_type(k), dt, col);
        pl_quoted(&plot, names[k]);
    }
    for (int k = 0; k < s->n_fronts; k++) {
        const plot_front *fr = &s->fronts[k];
        if (!fr->has_reference) continue;
        pl_printf(&b, "$ref%d << EOD\n%.10g %.10g\nEOD\n", k, fr->ref_x * xs, fr->ref_y * ys);
        sep(&plot, &first);
        pl_printf(&plot, "$ref%d using 1:2 with points pt 13 ps 2.4 lc rgb '%s' notitle", k,
                  pl_colour(k));
        sep(&plot, &first);
        pl_printf(&plot, "$ref%d using 1:2 with points pt 12 ps 2.4 lw 1.2 lc rgb '#111111' notitle", k);
    }
    if (any_ref) {
        sep(&plot, &first);
        pl_printf(&plot, "keyentry with points pt 12 ps 2.0 lw 1.2 lc rgb '#111111' title ");
        pl_quoted(&plot, ref_key);
    }
    emit_limit(&b, &plot, &s->x_limit, 1, &s->x, xs, &first);
    emit_limit(&b, &plot, &s->y_limit, 0, &s->y, ys, &first);
    pl_printf(&plot, "\n");
    if (plot.oom) b.oom = 1;
    else pl_printf(&b, "%s", plot.s);
    rc = pl_render(&b, out_path, f.w, f.h, err);
    pl_free(&b);
    pl_free(&plot);
    free(nd);
    return rc;
}
