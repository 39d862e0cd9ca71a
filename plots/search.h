/* plots/search.h: figures of search results, drawn by gnuplot from plain arrays.
 *
 * These functions know nothing of run directories or files other than the figure
 * they write: the caller reads its CSVs and passes values. Every array travels with
 * its length (plot_vec), so a mismatch is an error instead of a read past the end.
 * Values are given in their natural units and direction: accuracy as accuracy (not
 * error, not negated), so a maximized objective grows upward or rightward.
 *
 * The output format follows the extension (.png, .svg, .pdf, or .gp for the gnuplot
 * script itself; see plots/gnuplot.h). Bad input (no points, a NaN or infinite value,
 * mismatched lengths, a non-positive value on a log axis, an unwritable path) returns
 * an error naming the function, the field and the index, and leaves no file.
 *
 * Layout: the title is above the plot area and the key sits in a column to the right
 * of it, so neither covers data; labels of marked points are placed where they cover
 * the fewest data points. */
#ifndef EMOMC_PLOTS_SEARCH_H
#define EMOMC_PLOTS_SEARCH_H

#include "../common/error.h"

/* An array and its length. */
typedef struct plot_vec {
    const double *v;
    int n;
} plot_vec;

#define PLOT_VEC(arr, count) ((plot_vec){(arr), (count)})

typedef enum { PLOT_MINIMIZE = 0, PLOT_MAXIMIZE = 1 } plot_sense;

/* One axis: its title and unit ("energy per inference", "mJ"), the direction of the
 * objective on it, a log scale, and a display factor (100 shows fractions as %;
 * 0 means 1). Values are multiplied by scale before they are drawn. */
typedef struct plot_axis {
    const char *label;
    const char *unit;
    plot_sense sense;
    int log_scale;
    double scale;
} plot_axis;

/* A marked point (the uncompressed model, the knee, a chosen solution): drawn with a
 * big marker, listed in the key and labelled next to the point. */
typedef struct plot_mark {
    double x, y;
    const char *label;
} plot_mark;

/* A limit drawn as a line across the plot (an energy budget on the x axis, an
 * accuracy floor on the y axis); the side beyond it is shaded. */
typedef struct plot_limit {
    int on;
    double value;
    const char *label;   /* key entry, e.g. "energy budget 0.3 mJ" */
} plot_limit;

/* 1. Objective space of one search. */
typedef struct plot_objspace_spec {
    const char *title;
    plot_axis x, y;          /* x: cost (energy, size), y: accuracy, by convention */
    plot_vec eval_x, eval_y; /* every evaluation: small grey points */
    /* The non-dominated set: coloured points joined by the staircase of the region they
     * dominate. When front_x.v is NULL it is computed from the evaluations. */
    plot_vec front_x, front_y;
    const plot_mark *reference; /* the uncompressed model, or NULL */
    const plot_mark *picks;     /* highlighted solutions (knee, chosen), n_picks of them */
    int n_picks;
    plot_limit x_limit, y_limit;
    int width, height;       /* pixels; 0: 960 x 620 */
} plot_objspace_spec;

int plot_objective_space(const char *out_path, const plot_objspace_spec *spec, em_error *err);

/* 2. Several fronts in one figure: one per dataflow, per coding, per algorithm. */
typedef struct plot_front {
    const char *name;        /* key entry */
    plot_vec x, y;           /* its points; the staircase joins their non-dominated ones */
    int has_reference;       /* the uncompressed model under this front's dataflow */
    double ref_x, ref_y;
} plot_front;

typedef struct plot_fronts_spec {
    const char *title;
    plot_axis x, y;
    const plot_front *fronts;
    int n_fronts;                /* 1 .. 12 */
    const char *reference_label; /* key entry for the reference markers; NULL: "uncompressed" */
    plot_limit x_limit, y_limit;
    int width, height;           /* 0: 960 x 620 */
} plot_fronts_spec;

int plot_fronts(const char *out_path, const plot_fronts_spec *spec, em_error *err);

/* 3. AScore along a non-dominated set. For each ratio q = r/tau (r rewards a correct
 *    answer, tau penalizes an error: search/select.h),
 *    AScore = (acc*r - (1-acc)*tau) / energy = tau * (q*acc - (1 - acc)) / energy,
 * one curve per ratio along the set sorted by energy (or by accuracy, as in EMOMC's
 * Figure 7). tau cancels because each curve is normalized: by its own maximum (so all
 * curves peak at 1), or, when a reference model is given, by the reference's AScore
 * for the same ratio (so 1 means "as good as the uncompressed model" and the curves
 * show how many times better a solution is). The argmax of each curve is circled and
 * its energy and accuracy given in the key; the other quantity (accuracy, or energy)
 * is drawn on the right-hand axis for reference. Scores can be negative (more errors
 * than r/tau allows): a curve whose norm is not positive is left out (its key says
 * so), and a log axis leaves out the values it cannot show.
 * accuracy: fractions in [0, 1]; energy: > 0. */
typedef struct plot_ascore_spec {
    const char *title;
    plot_vec accuracy, energy;
    plot_vec ratios;            /* r/tau values > 0; v NULL: {5, 1, 0.2} */
    plot_axis energy_axis;      /* label, unit, log_scale, scale (sense is ignored) */
    int x_accuracy;             /* 0: energy on the x axis; 1: accuracy (in %) on it */
    const plot_mark *reference; /* x = energy, y = accuracy of the uncompressed model, or NULL */
    int log_y;                  /* log scale for the AScore axis */
    int width, height;          /* 0: 960 x 560 */
} plot_ascore_spec;

int plot_ascore(const char *out_path, const plot_ascore_spec *spec, em_error *err);

/* Index into the arrays of the maximum of AScore for ratio q (the first one on a
 * tie), or -1 when n < 1. Exposed for reports and tests. */
int plot_ascore_argmax(int n, const double *accuracy, const double *energy, double q);

/* 4. Per-layer bit depths of one solution as bars (left axis), with the keep ratios as
 * a second set of bars (right axis, 0..1) when given. Names are drawn literally;
 * they are rotated when there are many. */
typedef struct plot_layers_spec {
    const char *title;
    const char *const *names;
    int n_names;
    plot_vec bits;           /* one per name, 1..32 */
    plot_vec keep;           /* one per name in [0, 1], or v NULL for none */
    int width, height;       /* 0: grows with the number of layers, height 520 */
} plot_layers_spec;

int plot_layers(const char *out_path, const plot_layers_spec *spec, em_error *err);

/* 5. Convergence: hypervolume against the number of true evaluations, one line per
 * run or algorithm, with an optional band (lo..hi, e.g. the quartiles over seeds). */
typedef struct plot_hv_series {
    const char *name;
    plot_vec evals;          /* non-decreasing */
    plot_vec hv;
    plot_vec lo, hi;         /* both or neither (v NULL); lo <= hv <= hi not required */
} plot_hv_series;

typedef struct plot_hv_spec {
    const char *title;
    const char *xlabel;      /* NULL: "true evaluations" */
    const char *ylabel;      /* NULL: "hypervolume" */
    const plot_hv_series *series;
    int n_series;            /* 1 .. 12 */
    const char *band_label;  /* key entry for the bands; NULL: "shaded: lo..hi" */
    int log_x;               /* log scale on x (then every x must be > 0) */
    int width, height;       /* 0: 900 x 540 */
} plot_hv_spec;

int plot_convergence(const char *out_path, const plot_hv_spec *spec, em_error *err);

/* 6. Box plots: one box per group (a hypervolume per run, say), drawn from statistics
 * computed here (plot_box_stats): the box spans the quartiles, the bar is the median,
 * the whiskers reach the furthest values within 1.5 IQR of the box (Tukey), and every
 * value is drawn over its box as a point (spread sideways a little so equal values
 * stay visible). Group names label the x axis, rotated when there are many. */
typedef struct plot_box_group {
    const char *name;
    plot_vec values;         /* at least one, all finite */
} plot_box_group;

typedef struct plot_boxes_spec {
    const char *title;
    const char *ylabel;      /* NULL: "hypervolume" */
    const plot_box_group *groups;
    int n_groups;            /* 1 .. 64 */
    int width, height;       /* 0: 80 px a group (640 to 1800) x 560 */
} plot_boxes_spec;

int plot_boxes(const char *out_path, const plot_boxes_spec *spec, em_error *err);

/* The box of n values (n >= 1): quartiles by linear interpolation between order
 * statistics (numpy's default, Hyndman-Fan type 7), median, and the whisker ends. */
typedef struct plot_box {
    double q1, median, q3, whisker_lo, whisker_hi;
} plot_box;

int plot_box_stats(const double *v, int n, plot_box *out);

#endif
