/* plots/script.c: the helpers the plot functions share (plots/plot_internal.h): the
 * script buffer, input checks, ranges and log tics, the fixed frame, the palette and
 * the 2-D non-dominated filter. */
#include "plots/plot_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/gnuplot.h"

void pl_printf(pl_buf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len <= (size_t)n) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

void pl_quoted(pl_buf *b, const char *text)
{
    size_t n = 2 * strlen(text ? text : "") + 4;
    char *esc = malloc(n);
    if (!esc) {
        b->oom = 1;
        return;
    }
    plot_escape(esc, n, text ? text : "");
    pl_printf(b, "\"%s\"", esc);
    free(esc);
}

void pl_free(pl_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

int pl_render(pl_buf *b, const char *out_path, int w, int h, em_error *err)
{
    if (b->oom || !b->s) return em_fail(err, EM_ENOMEM, "%s: out of memory writing the plot", out_path);
    return plot_gnuplot(out_path, w, h, b->s, err);
}

int pl_check_vec(const char *fn, const char *what, plot_vec v, int n, int positive,
                 em_error *err)
{
    if (v.n < 1 || !v.v)
        return em_fail(err, EM_EINVAL, "%s: %s has no values", fn, what);
    if (n >= 0 && v.n != n)
        return em_fail(err, EM_EINVAL, "%s: %s has %d values, expected %d (lengths differ)",
                       fn, what, v.n, n);
    for (int i = 0; i < v.n; i++) {
        if (!isfinite(v.v[i]))
            return em_fail(err, EM_EINVAL, "%s: %s[%d] is not a finite number", fn, what, i);
        if (positive && v.v[i] <= 0)
            return em_fail(err, EM_EINVAL, "%s: %s[%d] = %g must be > 0 (log scale)", fn,
                           what, i, v.v[i]);
    }
    return EM_OK;
}

int pl_check_path(const char *fn, const char *out_path, em_error *err)
{
    if (!out_path || !*out_path) return em_fail(err, EM_EINVAL, "%s: no output path", fn);
    return EM_OK;
}

double pl_scale(const plot_axis *a)
{
    return (a->scale > 0 && isfinite(a->scale)) ? a->scale : 1.0;
}

void pl_axis_title(char *buf, size_t n, const plot_axis *a, const char *fallback)
{
    const char *label = a->label && *a->label ? a->label : fallback;
    if (a->unit && *a->unit)
        snprintf(buf, n, "%s (%s)", label, a->unit);
    else
        snprintf(buf, n, "%s", label);
}

void pl_range_init(pl_range *r, int log_scale)
{
    r->lo = INFINITY;
    r->hi = -INFINITY;
    r->log = log_scale;
}

void pl_range_add(pl_range *r, double v)
{
    if (!isfinite(v) || (r->log && v <= 0)) return;
    if (v < r->lo) r->lo = v;
    if (v > r->hi) r->hi = v;
}

void pl_range_finish(pl_range *r, double pad_lo, double pad_hi)
{
    if (!(r->lo <= r->hi)) {
        r->lo = r->log ? 0.1 : 0;
        r->hi = 1;
    }
    if (r->log) {
        double a = log10(r->lo), b = log10(r->hi);
        if (b - a < 1e-9) {
            a -= 0.1;
            b += 0.1;
        }
        double s = b - a;
        r->lo = pow(10, a - pad_lo * s);
        r->hi = pow(10, b + pad_hi * s);
    } else {
        double a = r->lo, b = r->hi;
        if (b - a <= 1e-12 * fmax(1, fabs(a))) {
            double d = a == 0 ? 1 : 0.01 * fabs(a);
            a -= d;
            b += d;
        }
        double s = b - a;
        r->lo = a - pad_lo * s;
        r->hi = b + pad_hi * s;
    }
}

double pl_range_frac(const pl_range *r, double v)
{
    if (r->log) return (log10(v) - log10(r->lo)) / (log10(r->hi) - log10(r->lo));
    return (v - r->lo) / (r->hi - r->lo);
}

void pl_range_emit(pl_buf *b, const char *axis, const pl_range *r)
{
    pl_printf(b, "set %srange [%.10g:%.10g]\n", axis, r->lo, r->hi);
    if (!r->log) return;
    pl_printf(b, "set logscale %s 10\n", axis);
    /* 1-2-5 tics, or only the decades when there are many, or 1..9 when few. */
    static const double m125[] = {1, 2, 5}, m1[] = {1}, m19[] = {1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9};
    const double *sets[] = {m125, m19, m1};
    const int sizes[] = {3, 10, 1};
    int d0 = (int)floor(log10(r->lo)), d1 = (int)ceil(log10(r->hi));
    int pick = 0;
    int span = d1 - d0;
    if (span > 6) pick = 2;
    for (int attempt = 0; attempt < 2; attempt++) {
        int count = 0;
        for (int d = d0; d <= d1; d++)
            for (int k = 0; k < sizes[pick]; k++) {
                double v = sets[pick][k] * pow(10, d);
                if (v >= r->lo * (1 - 1e-9) && v <= r->hi * (1 + 1e-9)) count++;
            }
        if (count >= 3 || pick != 0) break;
        pick = 1;
    }
    pl_printf(b, "set %stics (", axis);
    int first = 1;
    for (int d = d0; d <= d1; d++)
        for (int k = 0; k < sizes[pick]; k++) {
            double v = sets[pick][k] * pow(10, d);
            if (v < r->lo * (1 - 1e-9) || v > r->hi * (1 + 1e-9)) continue;
            pl_printf(b, "%s\"%.4g\" %.10g", first ? "" : ", ", v, v);
            first = 0;
        }
    pl_printf(b, ")\n");
}

int pl_text_px(const char *text)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++)
        if ((*p & 0xc0) != 0x80) chars++;
    return (int)ceil(chars * 7.2);
}

int pl_key_width(int max_chars)
{
    int w = 70 + (int)ceil(max_chars * 7.2);
    return w < 150 ? 150 : w > 420 ? 420 : w;
}

void pl_frame_emit(pl_buf *b, const pl_frame *f)
{
    pl_printf(b,
              "set lmargin at screen %.6f\nset rmargin at screen %.6f\n"
              "set tmargin at screen %.6f\nset bmargin at screen %.6f\n"
              "set key at screen %.6f, screen %.6f left top vertical Left reverse "
              "samplen 2 spacing 1.3 width 1 noopaque nobox\n",
              (double)f->left / f->w, (double)f->right / f->w, 1 - (double)f->top / f->h,
              1 - (double)f->bottom / f->h, (double)(f->right + 14) / f->w,
              1 - (double)f->top / f->h);
}

void pl_preamble(pl_buf *b, const char *title)
{
    pl_printf(b, "set termoption noenhanced\nset encoding utf8\n"
                 "set border 3 lw 1 lc rgb '#444444'\nset tics nomirror out scale 0.6\n"
                 "set grid back lw 1 lc rgb '#e4e4e4'\n");
    if (title && *title) {
        pl_printf(b, "set title ");
        pl_quoted(b, title);
        pl_printf(b, " font ',12'\n");
    }
}

const char *pl_colour(int i)
{
    static const char *pal[] = {"#4477AA", "#EE6677", "#228833", "#AA3377", "#EE7733",
                                "#33BBEE", "#332288", "#117733", "#882255", "#44AA99",
                                "#999933", "#CCBB44"};
    int n = (int)(sizeof pal / sizeof pal[0]);
    return pal[((i % n) + n) % n];
}

int pl_point_type(int i)
{
    /* filled circle, square, triangle up, diamond, triangle down, pentagon */
    static const int pt[] = {7, 5, 9, 13, 11, 15};
    return pt[((i % 6) + 6) % 6];
}

typedef struct {
    double a, b;
    int i;
} nd_item;

static int cmp_ab(const void *p, const void *q)
{
    const nd_item *u = p, *v = q;
    if (u->a != v->a) return u->a < v->a ? -1 : 1;
    if (u->b != v->b) return u->b < v->b ? -1 : 1;
    return u->i - v->i;
}

int pl_nondominated(int n, const double *x, const double *y, plot_sense sx, plot_sense sy,
                    int *idx)
{
    if (n < 1) return 0;
    nd_item *it = malloc((size_t)n * sizeof *it);
    if (!it) return -1;
    for (int i = 0; i < n; i++) {
        it[i].a = sx == PLOT_MAXIMIZE ? -x[i] : x[i];
        it[i].b = sy == PLOT_MAXIMIZE ? -y[i] : y[i];
        it[i].i = i;
    }
    qsort(it, (size_t)n, sizeof *it, cmp_ab);
    /* Sweep by a ascending: a point is non-dominated when its b beats every b seen so
     * far (strictly: an equal b at a smaller or equal a dominates or duplicates it). */
    int k = 0;
    double best = INFINITY;
    for (int i = 0; i < n; i++)
        if (it[i].b < best) {
            best = it[i].b;
            idx[k++] = it[i].i;
        }
    /* Then by x ascending for drawing (the same order when x is minimized). */
    for (int j = 0; j < k; j++) {
        it[j].a = x[idx[j]];
        it[j].b = 0;
        it[j].i = idx[j];
    }
    qsort(it, (size_t)k, sizeof *it, cmp_ab);
    for (int j = 0; j < k; j++) idx[j] = it[j].i;
    free(it);
    return k;
}
