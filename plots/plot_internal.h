/* plots/plot_internal.h: what the plot functions of plots/ share and nobody else
 * needs: a growing script buffer, input checks that name the field at fault, axis
 * ranges and tics, the layout of the plot area in pixels, and the colour palette. */
#ifndef EMOMC_PLOTS_PLOT_INTERNAL_H
#define EMOMC_PLOTS_PLOT_INTERNAL_H

#include <stddef.h>

#include "../common/error.h"
#include "../plots/search.h"

/* A gnuplot script being written; oom is set (and later writes ignored) when an
 * allocation failed. */
typedef struct pl_buf {
    char *s;
    size_t len, cap;
    int oom;
} pl_buf;

void pl_printf(pl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends text as a gnuplot double-quoted string, quotes included. */
void pl_quoted(pl_buf *b, const char *text);
void pl_free(pl_buf *b);
/* Runs gnuplot on the buffer (EM_ENOMEM when it overflowed memory); frees nothing. */
int pl_render(pl_buf *b, const char *out_path, int w, int h, em_error *err);

/* Checks that v has exactly n values (n < 0: any count >= 1), all finite, and > 0
 * when positive is set; the message names what ("front energy") and the index. */
int pl_check_vec(const char *fn, const char *what, plot_vec v, int n, int positive,
                 em_error *err);
/* Checks an output path (non-empty) before any work. */
int pl_check_path(const char *fn, const char *out_path, em_error *err);

/* "label (unit)" or "label" into buf; unit and label may be NULL. */
void pl_axis_title(char *buf, size_t n, const plot_axis *a, const char *fallback);
/* The factor values are multiplied by for display (axis scale, 1 when unset). */
double pl_scale(const plot_axis *a);

/* A data range, widened so that it is never empty, padded by lo/hi fractions of its
 * span (of its decades on a log axis). */
typedef struct pl_range {
    double lo, hi;
    int log;
} pl_range;

void pl_range_init(pl_range *r, int log_scale);
void pl_range_add(pl_range *r, double v);
void pl_range_finish(pl_range *r, double pad_lo, double pad_hi);
/* Where v falls in the range, from 0 to 1 (log-aware). */
double pl_range_frac(const pl_range *r, double v);
/* "set Xrange [..]" and, on a log axis, "set logscale X" with 1-2-5 tics. */
void pl_range_emit(pl_buf *b, const char *axis, const pl_range *r);

/* The plot area inside the canvas, in pixels from the top-left corner; the margins
 * are fixed in screen coordinates so that labels can be placed with care. */
typedef struct pl_frame {
    int w, h;              /* canvas */
    int left, right;       /* plot area x from left to right */
    int top, bottom;       /* plot area y from top to bottom */
} pl_frame;

/* Writes the margins for frame and a key in the right-hand column. */
void pl_frame_emit(pl_buf *b, const pl_frame *f);
/* Width in pixels of the key column needed for labels of at most max_chars. */
int pl_key_width(int max_chars);
/* Width in pixels of text at the 10-point font, a little generous: DejaVu Sans
 * averages about 7 px a character over digits, letters and punctuation. */
int pl_text_px(const char *text);

/* Common settings: no enhanced text (names are literal), grid, borders. */
void pl_preamble(pl_buf *b, const char *title);

/* The palette (from Paul Tol's colour-blind safe schemes), cycled. */
const char *pl_colour(int i);
/* Point types that stay distinguishable in print, cycled. */
int pl_point_type(int i);

/* Indices of the non-dominated points of (x, y) under the senses, sorted by x
 * ascending, into idx (room for n); returns their count. Ties: equal points are
 * kept once. */
int pl_nondominated(int n, const double *x, const double *y, plot_sense sx, plot_sense sy,
                    int *idx);

#endif
