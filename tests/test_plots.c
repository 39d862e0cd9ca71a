/* tests/test_plots.c: the search-result figures of plots/search.h and the gnuplot
 * runner. Each figure is written as PNG (signature, IHDR size, non-trivial length) and
 * SVG (well-formed tags, the key labels present); the data a figure draws is read back
 * from its .gp script and checked against independent oracles: a brute-force O(n^2)
 * non-dominated filter, hand-computed AScore maxima, and the pixel geometry of the
 * labels against the data points. Bad inputs must fail with a message naming the
 * field and leave the output directory empty.
 *
 * With EMOMC_PLOT_EXAMPLES=DIR set, the realistic figures are also written to DIR as
 * PNG (how docs/img/ is made). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "common/rng.h"
#include "plots/gnuplot.h"
#include "plots/search.h"
#include "tests/testutil.h"

/* ---- helpers ------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = '\0';
    if (len) *len = got;
    return s;
}

static const char *in_dir(const char *dir, const char *name)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", dir, name);
    return b;
}

static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Removes the files of a test's temporary directory and the directory (one level). */
static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) remove(in_dir(dir, e->d_name));
    closedir(d);
    rmdir(dir);
}

static unsigned be32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* A PNG: signature, IHDR first with the canvas size, IEND last, non-trivial size. */
static void check_png(const char *path, unsigned w, unsigned h)
{
    size_t n;
    unsigned char *s = (unsigned char *)slurp(path, &n);
    ck_assert_msg(s != NULL, "%s was not written", path);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ck_assert_msg(n > 8000, "%s: only %zu bytes", path, n);
    ck_assert(memcmp(s, sig, 8) == 0);
    ck_assert(memcmp(s + 12, "IHDR", 4) == 0);
    ck_assert_uint_eq(be32(s + 16), w);
    ck_assert_uint_eq(be32(s + 20), h);
    ck_assert(memcmp(s + n - 8, "IEND", 4) == 0);
    free(s);
}

/* Balanced tags (a small XML well-formedness check: every element closed in order). */
static int xml_balanced(const char *s)
{
    char stack[256][64];
    int depth = 0, root_seen = 0;
    for (const char *p = strchr(s, '<'); p; p = strchr(p, '<')) {
        if (!strncmp(p, "<?", 2)) {
            p = strstr(p, "?>");
        } else if (!strncmp(p, "<!--", 4)) {
            p = strstr(p, "-->");
        } else if (!strncmp(p, "<![CDATA[", 9)) {
            p = strstr(p, "]]>");
        } else if (!strncmp(p, "<!", 2)) {
            p = strchr(p, '>');
        } else if (p[1] == '/') {
            size_t l = strcspn(p + 2, " \t\n>");
            if (depth == 0 || strlen(stack[depth - 1]) != l || strncmp(stack[depth - 1], p + 2, l))
                return 0;
            depth--;
            p = strchr(p, '>');
        } else {
            const char *e = p + 1;
            char q = 0;
            for (; *e && (q || *e != '>'); e++)
                if (q ? *e == q : (*e == '"' || *e == '\'')) q = q ? 0 : *e;
            if (!*e) return 0;
            if (e[-1] != '/') {
                if (depth == 256) return 0;
                size_t l = strcspn(p + 1, " \t\n/>");
                if (l >= 64) return 0;
                memcpy(stack[depth], p + 1, l);
                stack[depth++][l] = '\0';
                root_seen = 1;
            }
            p = e;
        }
        if (!p) return 0;
    }
    return depth == 0 && root_seen;
}

static void check_svg(const char *path, const char *const *labels, int n_labels)
{
    size_t n;
    char *s = slurp(path, &n);
    ck_assert_msg(s != NULL, "%s was not written", path);
    ck_assert_msg(!strncmp(s, "<?xml", 5), "%s does not start as XML", path);
    ck_assert(strstr(s, "<svg") != NULL);
    ck_assert_msg(xml_balanced(s), "%s: tags are not balanced", path);
    for (int i = 0; i < n_labels; i++)
        ck_assert_msg(strstr(s, labels[i]) != NULL, "%s: label \"%s\" missing", path, labels[i]);
    free(s);
}

/* Rows of the inline data block $name in a .gp script, as doubles (row-major). */
static int gp_block(const char *script, const char *name, int cols, double *out, int cap)
{
    char head[64];
    snprintf(head, sizeof head, "$%s << EOD\n", name);
    const char *p = strstr(script, head);
    if (!p) return -1;
    p += strlen(head);
    int rows = 0;
    while (strncmp(p, "EOD\n", 4)) {
        char *end;
        for (int c = 0; c < cols; c++) {
            double v = strtod(p, &end);
            ck_assert(end != p);
            if (rows < cap) out[rows * cols + c] = v;
            p = end;
        }
        p = strchr(p, '\n') + 1;
        rows++;
    }
    return rows;
}

/* The LeNet-5-like search used throughout: accuracy 0.95..0.992 against energy
 * 0.05..0.8 mJ, a saturating front with most evaluations below it. */
static void lenet_search(int n, uint64_t seed, double *e, double *acc)
{
    em_rng r;
    em_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        double u = em_rng_uniform(&r);
        e[i] = 0.05 * pow(16.0, u * u);
        double f = 0.992 - 0.042 * exp(-(e[i] - 0.05) / 0.06);
        double drop = 0.006 * fabs(em_rng_normal(&r)) + (em_rng_uniform(&r) < 0.06 ? 0.04 * em_rng_uniform(&r) : 0);
        acc[i] = fmax(0.90, f - drop);
    }
}

/* Brute force: i is non-dominated when no j is at least as good in both (min x,
 * max y) and better in one; duplicates kept once (the first). */
static int brute_front(int n, const double *x, const double *y, int sx_max, int sy_max, int *keep)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        int dom = 0;
        for (int j = 0; j < n && !dom; j++) {
            if (j == i) continue;
            double xi = sx_max ? -x[i] : x[i], xj = sx_max ? -x[j] : x[j];
            double yi = sy_max ? -y[i] : y[i], yj = sy_max ? -y[j] : y[j];
            if (xj <= xi && yj <= yi && (xj < xi || yj < yi)) dom = 1;
            if (xj == xi && yj == yi && j < i) dom = 1;
        }
        keep[i] = !dom;
        k += !dom;
    }
    return k;
}

static const char *examples_dir(void)
{
    const char *d = getenv("EMOMC_PLOT_EXAMPLES");
    return d && *d ? d : NULL;
}

/* ---- 1. objective space -------------------------------------------------------- */

#define N_EVAL 1000

static void lenet_objspace(plot_objspace_spec *s, double *e, double *acc, plot_mark *ref,
                           plot_mark *picks)
{
    lenet_search(N_EVAL, 7, e, acc);
    memset(s, 0, sizeof *s);
    s->title = "LeNet-5 on MNIST, X:Y dataflow on VU9P: accuracy against energy";
    s->x = (plot_axis){"energy per inference", "mJ", PLOT_MINIMIZE, 0, 0};
    s->y = (plot_axis){"top-1 accuracy", "%", PLOT_MAXIMIZE, 0, 100};
    s->eval_x = PLOT_VEC(e, N_EVAL);
    s->eval_y = PLOT_VEC(acc, N_EVAL);
    *ref = (plot_mark){0.86, 0.9915, "uncompressed (0.86 mJ, 99.15 %)"};
    s->reference = ref;
    /* Picks: the knee (the front point farthest from the chord between the front's
     * ends, in normalized coordinates) and the most accurate one under 0.3 mJ. */
    static int keep[N_EVAL];
    brute_front(N_EVAL, e, acc, 0, 1, keep);
    int lo = -1, hi = -1, bi = -1, bb = -1;
    for (int i = 0; i < N_EVAL; i++) {
        if (!keep[i]) continue;
        if (lo < 0 || e[i] < e[lo]) lo = i;
        if (hi < 0 || e[i] > e[hi]) hi = i;
        if (e[i] <= 0.3 && (bb < 0 || acc[i] > acc[bb])) bb = i;
    }
    double best = -1;
    for (int i = 0; i < N_EVAL; i++) {
        if (!keep[i]) continue;
        double u = (e[i] - e[lo]) / (e[hi] - e[lo]), v = (acc[i] - acc[lo]) / (acc[hi] - acc[lo]);
        if (v - u > best) {
            best = v - u;
            bi = i;
        }
    }
    picks[0] = (plot_mark){e[bi], acc[bi], "knee"};
    picks[1] = (plot_mark){e[bb], acc[bb], "best under 0.3 mJ"};
    s->picks = picks;
    s->n_picks = 2;
    s->x_limit = (plot_limit){1, 0.3, "energy budget 0.3 mJ"};
}

START_TEST(objspace_png_svg)
{
    const char *dir = tu_tmpdir();
    double e[N_EVAL], acc[N_EVAL];
    plot_mark ref, picks[2];
    plot_objspace_spec s;
    lenet_objspace(&s, e, acc, &ref, picks);
    em_error err = {0};
    int rc = plot_objective_space(in_dir(dir, "os.png"), &s, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    check_png(in_dir(dir, "os.png"), 960, 620);
    ck_assert_int_eq(plot_objective_space(in_dir(dir, "os.svg"), &s, &err), 0);
    int keep[N_EVAL];
    char nd_label[64];
    snprintf(nd_label, sizeof nd_label, "non-dominated set (%d)",
             brute_front(N_EVAL, e, acc, 0, 1, keep));
    const char *labels[] = {"all evaluations (1000)", nd_label, "uncompressed (0.86 mJ, 99.15 %)",
                            "knee", "best under 0.3 mJ", "energy budget 0.3 mJ",
                            "energy per inference (mJ)", "top-1 accuracy (%)"};
    check_svg(in_dir(dir, "os.svg"), labels, 8);
    ck_assert_int_eq(dir_entries(dir), 2); /* no temporaries left behind */
    if (examples_dir()) {
        ck_assert_int_eq(plot_objective_space(in_dir(examples_dir(), "objective-space.png"), &s, &err), 0);
        s.x.log_scale = 1;
        s.title = "The same search with a log energy axis";
        ck_assert_int_eq(plot_objective_space(in_dir(examples_dir(), "objective-space-log.png"), &s, &err), 0);
        /* 10 points only. */
        plot_objspace_spec t = s;
        t.x.log_scale = 0;
        t.eval_x = PLOT_VEC(e, 10);
        t.eval_y = PLOT_VEC(acc, 10);
        t.n_picks = 0;
        t.x_limit.on = 0;
        t.title = "Ten evaluations";
        ck_assert_int_eq(plot_objective_space(in_dir(examples_dir(), "objective-space-10.png"), &t, &err), 0);
    }
    rm_dir(dir);
}
END_TEST

/* The front drawn is the brute-force non-dominated set, for every pair of senses,
 * with ties and duplicates; the staircase follows the x sense. */
START_TEST(objspace_front_oracle)
{
    const char *dir = tu_tmpdir();
    enum { N = 400 };
    double x[N], y[N], got[2 * N];
    int keep[N];
    em_rng r;
    em_rng_seed(&r, 11);
    for (int i = 0; i < N; i++) {
        x[i] = (double)em_rng_below(&r, 60) / 4;   /* many ties */
        y[i] = (double)em_rng_below(&r, 80) / 8;
    }
    x[5] = x[6], y[5] = y[6];                       /* an exact duplicate */
    for (int sense = 0; sense < 4; sense++) {
        int sx = sense & 1, sy = sense >> 1;
        plot_objspace_spec s = {0};
        s.x = (plot_axis){"x", NULL, sx ? PLOT_MAXIMIZE : PLOT_MINIMIZE, 0, 0};
        s.y = (plot_axis){"y", NULL, sy ? PLOT_MAXIMIZE : PLOT_MINIMIZE, 0, 0};
        s.eval_x = PLOT_VEC(x, N);
        s.eval_y = PLOT_VEC(y, N);
        em_error err = {0};
        const char *gp = in_dir(dir, "front.gp");
        ck_assert_msg(plot_objective_space(gp, &s, &err) == 0, "%s", err.msg);
        char *script = slurp(gp, NULL);
        int want = brute_front(N, x, y, sx, sy, keep);
        int n = gp_block(script, "front", 2, got, N);
        ck_assert_int_eq(n, want);
        ck_assert_int_eq(gp_block(script, "evals", 2, got + 0, N), N);
        n = gp_block(script, "front", 2, got, N);
        for (int k = 0; k < n; k++) {
            int found = 0;
            for (int i = 0; i < N && !found; i++)
                found = keep[i] && x[i] == got[2 * k] && y[i] == got[2 * k + 1];
            ck_assert_msg(found, "front point (%g, %g) is not non-dominated", got[2 * k], got[2 * k + 1]);
            if (k) ck_assert(got[2 * k] > got[2 * k - 2]); /* sorted by x, no duplicates */
        }
        ck_assert(strstr(script, sx ? "with fsteps" : "with steps") != NULL);
        free(script);
    }
    rm_dir(dir);
}
END_TEST

/* A given front is drawn as given; the staircase joins its non-dominated points only.
 * The display scale multiplies values; a log axis gets 1-2-5 tics. */
START_TEST(objspace_given_front_scale_log)
{
    const char *dir = tu_tmpdir();
    double ex[] = {0.1, 0.2, 0.4, 0.8, 0.3}, ey[] = {0.95, 0.97, 0.98, 0.99, 0.96};
    double fx[] = {0.1, 0.2, 0.4, 0.8, 0.5}, fy[] = {0.95, 0.97, 0.98, 0.99, 0.975};
    plot_objspace_spec s = {0};
    s.x = (plot_axis){"energy", "mJ", PLOT_MINIMIZE, 1, 0};
    s.y = (plot_axis){"accuracy", "%", PLOT_MAXIMIZE, 0, 100};
    s.eval_x = PLOT_VEC(ex, 5);
    s.eval_y = PLOT_VEC(ey, 5);
    s.front_x = PLOT_VEC(fx, 5);
    s.front_y = PLOT_VEC(fy, 5);
    em_error err = {0};
    const char *gp = in_dir(dir, "given.gp");
    ck_assert_msg(plot_objective_space(gp, &s, &err) == 0, "%s", err.msg);
    char *script = slurp(gp, NULL);
    double got[20];
    ck_assert_int_eq(gp_block(script, "front", 2, got, 10), 5);
    ck_assert_int_eq(gp_block(script, "stair", 2, got, 10), 4); /* (0.5, 97.5) is dominated */
    const double sx[] = {0.1, 0.2, 0.4, 0.8}, sy[] = {95, 97, 98, 99};
    for (int k = 0; k < 4; k++) {
        ck_assert_close(got[2 * k], sx[k], 1e-12, 0);
        ck_assert_close(got[2 * k + 1], sy[k], 1e-12, 0);
    }
    ck_assert(strstr(script, "set logscale x 10") != NULL);
    ck_assert(strstr(script, "set xtics (\"0.1\" 0.1, \"0.2\" 0.2, \"0.5\" 0.5") != NULL);
    ck_assert(strstr(script, "set ylabel \"accuracy (%)\"") != NULL);
    free(script);
    /* The .gp script stands alone: gnuplot draws given.png from it. */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot given.gp 2>&1", dir);
    ck_assert_int_eq(system(cmd), 0);
    check_png(in_dir(dir, "given.png"), 960, 620);
    /* Non-positive values cannot go on a log axis. */
    ex[2] = 0;
    ck_assert_int_ne(plot_objective_space(in_dir(dir, "bad.png"), &s, &err), 0);
    ck_assert_msg(strstr(err.msg, "eval_x[2]") && strstr(err.msg, "log"), "%s", err.msg);
    ck_assert(!tu_file_exists(in_dir(dir, "bad.png")));
    rm_dir(dir);
}
END_TEST

/* Geometry of the labels: parse the frame, the ranges and each label of the script,
 * and check that no data point lies under a label's box, and that each box is inside
 * the plot area and next to its mark. */
static double parse_after(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    ck_assert_msg(p != NULL, "no \"%s\" in the script", key);
    return strtod(p + strlen(key), NULL);
}

START_TEST(objspace_labels_clear_of_data)
{
    const char *dir = tu_tmpdir();
    double e[N_EVAL], acc[N_EVAL];
    plot_mark ref, picks[2];
    plot_objspace_spec s;
    lenet_objspace(&s, e, acc, &ref, picks);
    for (int lg = 0; lg < 2; lg++) {
        s.x.log_scale = lg;
        em_error err = {0};
        const char *gp = in_dir(dir, "labels.gp");
        ck_assert_msg(plot_objective_space(gp, &s, &err) == 0, "%s", err.msg);
        char *sc = slurp(gp, NULL);
        const double W = 960, H = 620;
        double L = parse_after(sc, "set lmargin at screen ") * W;
        double R = parse_after(sc, "set rmargin at screen ") * W;
        double T = (1 - parse_after(sc, "set tmargin at screen ")) * H;
        double B = (1 - parse_after(sc, "set bmargin at screen ")) * H;
        const char *xr = strstr(sc, "set xrange [");
        const char *yr = strstr(sc, "set yrange [");
        ck_assert(xr && yr);
        double x0 = strtod(xr + 12, NULL), x1 = strtod(strchr(xr, ':') + 1, NULL);
        double y0 = strtod(yr + 12, NULL), y1 = strtod(strchr(yr, ':') + 1, NULL);
        int labels = 0;
        for (const char *p = strstr(sc, "set label \""); p; p = strstr(p + 1, "set label \"")) {
            const char *q = strchr(p + 11, '"');
            int chars = (int)(q - (p + 11));
            double ax = parse_after(p, "at screen ") * W;
            double ay = (1 - parse_after(strstr(p, "at screen ") + 10, "screen ")) * H;
            int right = strstr(p, " right ") && strstr(p, " right ") < strchr(p, '\n');
            int centre = strstr(p, " center ") && strstr(p, " center ") < strchr(p, '\n');
            double tw = chars * 7.0;  /* DejaVu Sans 10 pt: about 7 px a character */
            double bx0 = centre ? ax - tw / 2 : right ? ax - tw : ax, bx1 = bx0 + tw;
            double by0 = ay - 6, by1 = ay + 6;
            ck_assert_msg(bx0 >= L && bx1 <= R && by0 >= T && by1 <= B, "label outside the plot");
            for (int i = 0; i < N_EVAL; i++) {
                double fx = lg ? (log(e[i]) - log(x0)) / (log(x1) - log(x0)) : (e[i] - x0) / (x1 - x0);
                double px = L + fx * (R - L);
                double py = B - (100 * acc[i] - y0) / (y1 - y0) * (B - T);
                ck_assert_msg(!(px > bx0 && px < bx1 && py > by0 && py < by1),
                              "label %d [%g..%g]x[%g..%g] covers evaluation %d at (%g, %g), "
                              "pixel (%g, %g)", labels, bx0, bx1, by0, by1, i, e[i], acc[i], px, py);
            }
            labels++;
        }
        ck_assert_int_eq(labels, 3);
        /* The key starts right of the plot area; the title is above it. */
        ck_assert(parse_after(sc, "set key at screen ") * W >= R);
        ck_assert(T >= 30);
        free(sc);
    }
    rm_dir(dir);
}
END_TEST

/* ---- 2. fronts per dataflow ---------------------------------------------------- */

#define N_DF 4
static const char *df_names[N_DF] = {"X:Y", "CI:CO", "FX:FY", "X:FX"};
static const double df_factor[N_DF] = {1.0, 1.45, 1.12, 0.9};

START_TEST(fronts_png_svg)
{
    const char *dir = tu_tmpdir();
    static double e[N_DF][400], acc[N_DF][400];
    plot_front fr[N_DF];
    for (int d = 0; d < N_DF; d++) {
        lenet_search(400, 100 + d, e[d], acc[d]);
        for (int i = 0; i < 400; i++) e[d][i] *= df_factor[d];
        /* Each front is the non-dominated part of its search. */
        int keep[400], k = 0;
        brute_front(400, e[d], acc[d], 0, 1, keep);
        for (int i = 0; i < 400; i++)
            if (keep[i]) {
                e[d][k] = e[d][i];
                acc[d][k++] = acc[d][i];
            }
        fr[d] = (plot_front){df_names[d], PLOT_VEC(e[d], k), PLOT_VEC(acc[d], k), 1,
                             0.86 * df_factor[d], 0.9915};
    }
    plot_fronts_spec s = {0};
    s.title = "LeNet-5: non-dominated sets per dataflow";
    s.x = (plot_axis){"energy per inference", "mJ", PLOT_MINIMIZE, 0, 0};
    s.y = (plot_axis){"top-1 accuracy", "%", PLOT_MAXIMIZE, 0, 100};
    s.fronts = fr;
    s.n_fronts = N_DF;
    s.reference_label = "uncompressed";
    em_error err = {0};
    ck_assert_msg(plot_fronts(in_dir(dir, "fr.png"), &s, &err) == 0, "%s", err.msg);
    check_png(in_dir(dir, "fr.png"), 960, 620);
    ck_assert_int_eq(plot_fronts(in_dir(dir, "fr.svg"), &s, &err), 0);
    char l[N_DF][64];
    const char *labels[N_DF + 1];
    for (int d = 0; d < N_DF; d++) {
        snprintf(l[d], sizeof l[d], "%s (%d)", df_names[d], fr[d].x.n);
        labels[d] = l[d];
    }
    labels[N_DF] = "uncompressed (in its front's colour)";
    check_svg(in_dir(dir, "fr.svg"), labels, N_DF + 1);
    /* The script holds each front whole, and a staircase equal to it (they are fronts),
     * and one reference point per front. */
    ck_assert_int_eq(plot_fronts(in_dir(dir, "fr.gp"), &s, &err), 0);
    char *sc = slurp(in_dir(dir, "fr.gp"), NULL);
    static double got[800];
    for (int d = 0; d < N_DF; d++) {
        char nm[16];
        snprintf(nm, sizeof nm, "front%d", d);
        ck_assert_int_eq(gp_block(sc, nm, 2, got, 400), fr[d].x.n);
        snprintf(nm, sizeof nm, "stair%d", d);
        ck_assert_int_eq(gp_block(sc, nm, 2, got, 400), fr[d].x.n);
        snprintf(nm, sizeof nm, "ref%d", d);
        ck_assert_int_eq(gp_block(sc, nm, 2, got, 400), 1);
        ck_assert_close(got[0], 0.86 * df_factor[d], 1e-12, 0);
        ck_assert_close(got[1], 99.15, 1e-12, 0);
    }
    free(sc);
    ck_assert_int_eq(dir_entries(dir), 3);
    if (examples_dir()) {
        s.x.log_scale = 1;
        ck_assert_int_eq(plot_fronts(in_dir(examples_dir(), "fronts-per-dataflow.png"), &s, &err), 0);
    }
    rm_dir(dir);
}
END_TEST

/* ---- 3. AScore ----------------------------------------------------------------- */

/* Hand case: A (0.99, 0.50 mJ), B (0.90, 0.40), C (0.60, 0.20), given as C, A, B.
 * AScore/tau = (q*acc - (1 - acc))/E:
 *   q=5:   A 4.94/0.5 = 9.88,   B 4.4/0.4 = 11.0,  C 2.6/0.2 = 13.0  -> C
 *   q=1:   A 0.98/0.5 = 1.96,   B 0.8/0.4 = 2.0,   C 0.2/0.2 = 1.0   -> B
 *   q=0.2: A 0.188/0.5 = 0.376, B 0.08/0.4 = 0.2,  C -0.28/0.2 = -1.4 -> A */
START_TEST(ascore_hand_case)
{
    const double acc[] = {0.60, 0.99, 0.90}, en[] = {0.20, 0.50, 0.40}, q[] = {5, 1, 0.2};
    ck_assert_int_eq(plot_ascore_argmax(3, acc, en, 5), 0);
    ck_assert_int_eq(plot_ascore_argmax(3, acc, en, 1), 2);
    ck_assert_int_eq(plot_ascore_argmax(3, acc, en, 0.2), 1);
    ck_assert_int_eq(plot_ascore_argmax(0, acc, en, 1), -1);
    const char *dir = tu_tmpdir();
    plot_ascore_spec s = {0};
    s.title = "hand case";
    s.accuracy = PLOT_VEC(acc, 3);
    s.energy = PLOT_VEC(en, 3);
    s.ratios = PLOT_VEC(q, 3);
    s.energy_axis = (plot_axis){"energy", "mJ", PLOT_MINIMIZE, 0, 0};
    em_error err = {0};
    ck_assert_msg(plot_ascore(in_dir(dir, "as.gp"), &s, &err) == 0, "%s", err.msg);
    char *sc = slurp(in_dir(dir, "as.gp"), NULL);
    double got[3 * 5];
    ck_assert_int_eq(gp_block(sc, "curves", 5, got, 3), 3);
    /* rows sorted by energy: C, B, A; columns energy, accuracy %, q=5, q=1, q=0.2 */
    const double want[3][5] = {{0.20, 60, 1, 0.5, -1.4 / 0.376},
                               {0.40, 90, 11.0 / 13.0, 1, 0.2 / 0.376},
                               {0.50, 99, 9.88 / 13.0, 0.98, 1}};
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 5; c++) ck_assert_close(got[5 * r + c], want[r][c], 1e-8, 1e-12);
    ck_assert_int_eq(gp_block(sc, "argmax", 2, got, 3), 3);
    ck_assert_close(got[0], 0.20, 1e-12, 0);
    ck_assert_close(got[2], 0.40, 1e-12, 0);
    ck_assert_close(got[4], 0.50, 1e-12, 0);
    free(sc);
    ck_assert_int_eq(plot_ascore(in_dir(dir, "as.svg"), &s, &err), 0);
    const char *labels[] = {"r/τ = 5: max at 0.2 mJ, acc 60.00 %", "r/τ = 1: max at 0.4 mJ, acc 90.00 %",
                            "r/τ = 0.2: max at 0.5 mJ, acc 99.00 %", "AScore / its maximum"};
    check_svg(in_dir(dir, "as.svg"), labels, 4);
    rm_dir(dir);
}
END_TEST

START_TEST(ascore_lenet_png)
{
    const char *dir = tu_tmpdir();
    double e[N_EVAL], acc[N_EVAL], fe[N_EVAL], fa[N_EVAL];
    int keep[N_EVAL];
    lenet_search(N_EVAL, 7, e, acc);
    brute_front(N_EVAL, e, acc, 0, 1, keep);
    int k = 0;
    for (int i = 0; i < N_EVAL; i++)
        if (keep[i]) {
            fe[k] = e[i];
            fa[k++] = acc[i];
        }
    plot_ascore_spec s = {0};
    s.title = "LeNet-5, X:Y: AScore along the non-dominated set";
    s.accuracy = PLOT_VEC(fa, k);
    s.energy = PLOT_VEC(fe, k);
    s.energy_axis = (plot_axis){"energy per inference", "mJ", PLOT_MINIMIZE, 1, 0};
    em_error err = {0};
    ck_assert_msg(plot_ascore(in_dir(dir, "as.png"), &s, &err) == 0, "%s", err.msg);
    check_png(in_dir(dir, "as.png"), 960, 560);
    ck_assert_int_eq(plot_ascore(in_dir(dir, "as.svg"), &s, &err), 0);
    const char *labels[] = {"r/τ = 5: max at", "r/τ = 1: max at", "r/τ = 0.2: max at",
                            "accuracy of the set (right axis)"};
    check_svg(in_dir(dir, "as.svg"), labels, 4);
    if (examples_dir())
        ck_assert_int_eq(plot_ascore(in_dir(examples_dir(), "ascore.png"), &s, &err), 0);
    /* EMOMC's Figure 7 style: against accuracy, relative to the uncompressed model. */
    plot_mark ref = {0.86, 0.9915, "uncompressed model"};
    s.x_accuracy = 1;
    s.reference = &ref;
    s.log_y = 1;
    s.title = "LeNet-5, X:Y: AScore relative to the uncompressed model";
    ck_assert_msg(plot_ascore(in_dir(dir, "as2.svg"), &s, &err) == 0, "%s", err.msg);
    const char *l2[] = {"uncompressed model (= 1)", "energy of the set (right axis)",
                        "AScore / AScore of the reference"};
    check_svg(in_dir(dir, "as2.svg"), l2, 3);
    ck_assert_int_eq(plot_ascore(in_dir(dir, "as2.gp"), &s, &err), 0);
    char *sc = slurp(in_dir(dir, "as2.gp"), NULL);
    static double got[N_EVAL * 5];
    ck_assert_int_eq(gp_block(sc, "curves", 5, got, N_EVAL), k);
    /* Rows by accuracy; the q=1 column is (2a - 1)/(2 a_ref - 1) times the
     * reference's energy over the point's. */
    for (int r = 0; r < k; r++) {
        if (r) ck_assert(got[5 * r] >= got[5 * (r - 1)]);
        double a = got[5 * r] / 100;
        ck_assert_close(got[5 * r + 3], (2 * a - 1) / (2 * 0.9915 - 1) * 0.86 / got[5 * r + 1],
                        1e-8, 0);
    }
    free(sc);
    if (examples_dir())
        ck_assert_int_eq(plot_ascore(in_dir(examples_dir(), "ascore-vs-accuracy.png"), &s, &err), 0);
    rm_dir(dir);
}
END_TEST

/* ---- 4. layers ----------------------------------------------------------------- */

START_TEST(layers_png_svg)
{
    const char *dir = tu_tmpdir();
    const char *names[] = {"conv1", "conv2", "conv3", "fc1", "fc2"};
    const double bits[] = {7, 5, 4, 6, 8}, keep[] = {0.35, 0.35, 0.35, 0.35, 0.35};
    plot_layers_spec s = {0};
    s.title = "LeNet-5, knee solution: bits and keep ratio per layer";
    s.names = names;
    s.n_names = 5;
    s.bits = PLOT_VEC(bits, 5);
    s.keep = PLOT_VEC(keep, 5);
    em_error err = {0};
    ck_assert_msg(plot_layers(in_dir(dir, "ly.png"), &s, &err) == 0, "%s", err.msg);
    check_png(in_dir(dir, "ly.png"), 640, 520);
    ck_assert_int_eq(plot_layers(in_dir(dir, "ly.svg"), &s, &err), 0);
    const char *labels[] = {"conv1", "conv3", "fc2", "weight bits (left axis)",
                            "keep ratio (right axis)"};
    check_svg(in_dir(dir, "ly.svg"), labels, 5);
    ck_assert_int_eq(plot_layers(in_dir(dir, "ly.gp"), &s, &err), 0);
    char *sc = slurp(in_dir(dir, "ly.gp"), NULL);
    ck_assert(strstr(sc, "rotate by") == NULL); /* five short names fit flat */
    double got[15];
    ck_assert_int_eq(gp_block(sc, "layers", 3, got, 5), 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_close(got[3 * i], i, 0, 0);
        ck_assert_close(got[3 * i + 1], bits[i], 0, 0);
        ck_assert_close(got[3 * i + 2], keep[i], 0, 0);
    }
    free(sc);
    if (examples_dir())
        ck_assert_int_eq(plot_layers(in_dir(examples_dir(), "layers-lenet5.png"), &s, &err), 0);

    /* A ResNet-50-like 54 layers, names with dots, underscores and a quote: rotated,
     * drawn literally (no enhanced-text subscripts). */
    static char nbuf[54][32];
    const char *many[54];
    double mb[54], mk[54];
    for (int i = 0; i < 54; i++) {
        if (i == 0) snprintf(nbuf[i], sizeof nbuf[i], "conv_1");
        else if (i == 53) snprintf(nbuf[i], sizeof nbuf[i], "fc\"out\"");
        else snprintf(nbuf[i], sizeof nbuf[i], "layer%d.%d.conv%d", 1 + (i - 1) / 13, ((i - 1) / 3) % 4, 1 + (i - 1) % 3);
        many[i] = nbuf[i];
        mb[i] = 2 + (i * 7) % 11;
        mk[i] = 0.2 + 0.6 * ((i * 5) % 9) / 8.0;
    }
    s.title = "ResNet-50-like: 54 layers";
    s.names = many;
    s.n_names = 54;
    s.bits = PLOT_VEC(mb, 54);
    s.keep = PLOT_VEC(mk, 54);
    ck_assert_int_eq(plot_layers(in_dir(dir, "many.gp"), &s, &err), 0);
    sc = slurp(in_dir(dir, "many.gp"), NULL);
    ck_assert(strstr(sc, "rotate by 45") != NULL);
    ck_assert(strstr(sc, "set termoption noenhanced") != NULL);
    free(sc);
    ck_assert_int_eq(plot_layers(in_dir(dir, "many.svg"), &s, &err), 0);
    const char *ml[] = {"conv_1", "layer4.1.conv3", "fc\"out\""};
    check_svg(in_dir(dir, "many.svg"), ml, 3);
    if (examples_dir())
        ck_assert_int_eq(plot_layers(in_dir(examples_dir(), "layers-54.png"), &s, &err), 0);
    rm_dir(dir);
}
END_TEST

/* ---- 5. convergence ------------------------------------------------------------ */

START_TEST(convergence_png_svg)
{
    const char *dir = tu_tmpdir();
    enum { T = 250, SEEDS = 11 };
    static double ev[T], med[3][T], lo[3][T], hi[3][T];
    const double hv_inf[3] = {0.86, 0.84, 0.78}, tau[3] = {1500, 2200, 3000};
    em_rng r;
    em_rng_seed(&r, 5);
    /* Per seed: a saturating curve with its own speed and limit (monotone, as the
     * hypervolume of an archive is); per algorithm: median and quartiles over seeds. */
    double tk[3][SEEDS], hk[3][SEEDS];
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < SEEDS; k++) {
            tk[a][k] = tau[a] * (1 + 0.25 * em_rng_normal(&r));
            hk[a][k] = hv_inf[a] + 0.012 * em_rng_normal(&r);
        }
    for (int t = 0; t < T; t++) {
        ev[t] = 40.0 * (t + 1);
        for (int a = 0; a < 3; a++) {
            double v[SEEDS];
            for (int k = 0; k < SEEDS; k++) v[k] = hk[a][k] * (1 - exp(-ev[t] / fabs(tk[a][k])));
            for (int i = 1; i < SEEDS; i++)
                for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
                    double w = v[j];
                    v[j] = v[j - 1];
                    v[j - 1] = w;
                }
            med[a][t] = v[5];
            lo[a][t] = v[2];
            hi[a][t] = v[8];
        }
    }
    const char *names[3] = {"NSGA-II", "C-TAEA", "random search"};
    plot_hv_series ser[3];
    for (int a = 0; a < 3; a++)
        ser[a] = (plot_hv_series){names[a], PLOT_VEC(ev, T), PLOT_VEC(med[a], T), PLOT_VEC(lo[a], T),
                                  PLOT_VEC(hi[a], T)};
    plot_hv_spec s = {0};
    s.title = "LeNet-5 EMOMC-energy: hypervolume, median of 11 seeds";
    s.series = ser;
    s.n_series = 3;
    s.band_label = "shaded: interquartile range";
    em_error err = {0};
    ck_assert_msg(plot_convergence(in_dir(dir, "hv.png"), &s, &err) == 0, "%s", err.msg);
    check_png(in_dir(dir, "hv.png"), 900, 540);
    ck_assert_int_eq(plot_convergence(in_dir(dir, "hv.svg"), &s, &err), 0);
    const char *labels[] = {"NSGA-II", "C-TAEA", "random search", "shaded: interquartile range",
                            "true evaluations", "hypervolume"};
    check_svg(in_dir(dir, "hv.svg"), labels, 6);
    ck_assert_int_eq(plot_convergence(in_dir(dir, "hv.gp"), &s, &err), 0);
    char *sc = slurp(in_dir(dir, "hv.gp"), NULL);
    static double got[4 * T];
    for (int a = 0; a < 3; a++) {
        char nm[8];
        snprintf(nm, sizeof nm, "hv%d", a);
        ck_assert_int_eq(gp_block(sc, nm, 4, got, T), T);
        ck_assert_close(got[4 * 100 + 1], med[a][100], 1e-9, 0);
        ck_assert_close(got[4 * 100 + 2], lo[a][100], 1e-9, 0);
    }
    free(sc);
    if (examples_dir())
        ck_assert_int_eq(plot_convergence(in_dir(examples_dir(), "convergence.png"), &s, &err), 0);
    /* Two short runs without bands: lines with points. */
    const double e2[] = {50, 60, 70, 80, 90, 100}, h2[] = {0.5, 0.55, 0.6, 0.6, 0.62, 0.7};
    plot_hv_series two[2] = {{"SBO run 1", PLOT_VEC(e2, 6), PLOT_VEC(h2, 6), {0}, {0}},
                             {"SBO run 2", PLOT_VEC(e2, 5), PLOT_VEC(h2 + 1, 5), {0}, {0}}};
    plot_hv_spec s2 = {0};
    s2.series = two;
    s2.n_series = 2;
    ck_assert_msg(plot_convergence(in_dir(dir, "hv2.svg"), &s2, &err) == 0, "%s", err.msg);
    const char *l2[] = {"SBO run 1", "SBO run 2"};
    check_svg(in_dir(dir, "hv2.svg"), l2, 2);
    rm_dir(dir);
}
END_TEST

/* ---- bad input ----------------------------------------------------------------- */

#define EXPECT_FAIL(call, text)                                                            \
    do {                                                                                   \
        em_error err_ = {0};                                                               \
        em_error *err = &err_;                                                             \
        int rc_ = (call);                                                                  \
        ck_assert_msg(rc_ != 0, "%s succeeded", #call);                                    \
        ck_assert_msg(strstr(err_.msg, text) != NULL, "message \"%s\" lacks \"%s\"",         \
                      err_.msg, text);                                                     \
        ck_assert_msg(dir_entries(dir) == 0, "%s left a file", #call);                     \
    } while (0)

START_TEST(bad_inputs)
{
    const char *dir = tu_tmpdir();
    const char *png = in_dir(dir, "x.png");
    double x[] = {0.1, 0.2, 0.3}, y[] = {0.9, 0.95, 0.97}, yn[] = {0.9, NAN, 0.97};
    plot_objspace_spec os = {0};
    os.x = (plot_axis){"energy", "mJ", PLOT_MINIMIZE, 0, 0};
    os.y = (plot_axis){"accuracy", NULL, PLOT_MAXIMIZE, 0, 0};
    os.eval_x = PLOT_VEC(x, 0);
    os.eval_y = PLOT_VEC(y, 0);
    EXPECT_FAIL(plot_objective_space(png, &os, err), "eval_x has no values");
    os.eval_x = PLOT_VEC(x, 3);
    os.eval_y = PLOT_VEC(y, 2);
    EXPECT_FAIL(plot_objective_space(png, &os, err), "eval_y has 2 values, expected 3");
    os.eval_y = PLOT_VEC(yn, 3);
    EXPECT_FAIL(plot_objective_space(png, &os, err), "eval_y[1] is not a finite number");
    os.eval_y = PLOT_VEC(y, 3);
    os.front_x = PLOT_VEC(x, 3);
    os.front_y = PLOT_VEC(y, 1);
    EXPECT_FAIL(plot_objective_space(png, &os, err), "front_y has 1 values, expected 3");
    os.front_x = os.front_y = PLOT_VEC(NULL, 0);
    plot_mark m = {INFINITY, 0.9, "ref"};
    os.reference = &m;
    EXPECT_FAIL(plot_objective_space(png, &os, err), "reference is not a finite point");
    os.reference = NULL;
    os.x_limit = (plot_limit){1, NAN, "budget"};
    EXPECT_FAIL(plot_objective_space(png, &os, err), "x_limit");
    os.x_limit.on = 0;
    EXPECT_FAIL(plot_objective_space(in_dir(dir, "x.gif"), &os, err), "must end in .png, .svg or .pdf");
    /* A missing folder is made; a regular file where a folder should be is an error. */
    em_error e1 = {0};
    char made[1024], made_svg[1100];
    snprintf(made, sizeof made, "%s/made", dir);
    snprintf(made_svg, sizeof made_svg, "%s/x.svg", made);
    ck_assert_msg(plot_objective_space(made_svg, &os, &e1) == 0, "%s", e1.msg);
    remove(made_svg);
    rmdir(made);
    const char *other = tu_tmpdir(); /* EXPECT_FAIL counts the files of dir */
    char plain[1024];
    snprintf(plain, sizeof plain, "%s/plain", other);
    FILE *pf = fopen(plain, "w");
    fclose(pf);
    strcat(plain, "/x.png");
    EXPECT_FAIL(plot_objective_space(plain, &os, err), "is not a directory");
    /* gnuplot's own failure comes back with its exit status, and no file is left. */
    plot_gnuplot_config("false", getenv("TMPDIR"));
    char failing[1024];
    snprintf(failing, sizeof failing, "%s/x.svg", dir);
    EXPECT_FAIL(plot_objective_space(failing, &os, err), "gnuplot failed (exit status 1)");
    plot_gnuplot_config(NULL, getenv("TMPDIR"));
    EXPECT_FAIL(plot_objective_space(NULL, &os, err), "no output path");
    /* Sanity: the same spec is fine once the path is. */
    em_error e0 = {0};
    ck_assert_msg(plot_objective_space(png, &os, &e0) == 0, "%s", e0.msg);
    remove(png);

    plot_front fr = {"X:Y", PLOT_VEC(x, 3), PLOT_VEC(yn, 3), 0, 0, 0};
    plot_fronts_spec fs = {0};
    fs.x = os.x;
    fs.y = os.y;
    fs.fronts = &fr;
    fs.n_fronts = 1;
    EXPECT_FAIL(plot_fronts(png, &fs, err), "fronts[0] (X:Y) y[1] is not a finite number");
    fr.y = PLOT_VEC(y, 2);
    EXPECT_FAIL(plot_fronts(png, &fs, err), "fronts[0] (X:Y) y has 2 values, expected 3");
    fs.n_fronts = 0;
    EXPECT_FAIL(plot_fronts(png, &fs, err), "n_fronts = 0");

    double acc_bad[] = {0.9, 1.2, 0.95};
    plot_ascore_spec as = {0};
    as.accuracy = PLOT_VEC(y, 3);
    as.energy = PLOT_VEC(x, 2);
    EXPECT_FAIL(plot_ascore(png, &as, err), "energy has 2 values, expected 3");
    as.energy = PLOT_VEC(x, 3);
    as.accuracy = PLOT_VEC(acc_bad, 3);
    EXPECT_FAIL(plot_ascore(png, &as, err), "accuracy[1] = 1.2 is not a fraction");
    as.accuracy = PLOT_VEC(y, 0);
    EXPECT_FAIL(plot_ascore(png, &as, err), "accuracy has no values");
    double e_zero[] = {0.1, 0, 0.3};
    as.accuracy = PLOT_VEC(y, 3);
    as.energy = PLOT_VEC(e_zero, 3);
    EXPECT_FAIL(plot_ascore(png, &as, err), "energy[1] = 0 must be > 0");

    const char *names[] = {"conv1", "fc1", "fc2"};
    double bits[] = {4, 8, 70}, keep[] = {0.5, 0.5};
    plot_layers_spec ls = {0};
    ls.names = names;
    ls.n_names = 3;
    ls.bits = PLOT_VEC(bits, 3);
    EXPECT_FAIL(plot_layers(png, &ls, err), "bits[2] (fc2) = 70 is outside 0..64");
    bits[2] = 8;
    ls.keep = PLOT_VEC(keep, 2);
    EXPECT_FAIL(plot_layers(png, &ls, err), "keep has 2 values, expected 3");
    ls.n_names = 0;
    EXPECT_FAIL(plot_layers(png, &ls, err), "no layer names");

    double ev[] = {10, 20, 15}, hv[] = {0.1, 0.2, NAN};
    plot_hv_series hs = {"NSGA-II", PLOT_VEC(ev, 3), PLOT_VEC(hv, 3), {0}, {0}};
    plot_hv_spec hvs = {0};
    hvs.series = &hs;
    hvs.n_series = 1;
    EXPECT_FAIL(plot_convergence(png, &hvs, err), "evals[2] = 15 decreases");
    ev[2] = 30;
    EXPECT_FAIL(plot_convergence(png, &hvs, err), "series[0] (NSGA-II) hv[2] is not a finite number");
    hv[2] = 0.3;
    hs.lo = PLOT_VEC(hv, 3);
    EXPECT_FAIL(plot_convergence(png, &hvs, err), "give both lo and hi");
    rm_dir(dir);
}
END_TEST

/* gnuplot is a declared dependency: without it, a clear error and no file. */
START_TEST(gnuplot_missing)
{
    const char *dir = tu_tmpdir();
    double x[] = {0.1, 0.2}, y[] = {0.9, 0.95};
    plot_objspace_spec os = {0};
    os.x = (plot_axis){"energy", "mJ", PLOT_MINIMIZE, 0, 0};
    os.y = (plot_axis){"accuracy", NULL, PLOT_MAXIMIZE, 0, 0};
    os.eval_x = PLOT_VEC(x, 2);
    os.eval_y = PLOT_VEC(y, 2);
    plot_gnuplot_config("/nonexistent/gnuplot", getenv("TMPDIR"));
    EXPECT_FAIL(plot_objective_space(in_dir(dir, "x.png"), &os, err), "cannot run gnuplot");
    plot_gnuplot_config(NULL, getenv("TMPDIR"));
    rm_dir(dir);
}
END_TEST

/* The compare chart (emomc compare --plot) still draws through the same runner. */
START_TEST(compare_chart_still_works)
{
    const char *dir = tu_tmpdir();
    const char *df[] = {"X:Y", "CI:CO"}, *cod[] = {"normal", "csr"};
    const double en[] = {0.5, 0.4, 0.7, 0.6}, sz[] = {120, 80};
    em_error err = {0};
    ck_assert_msg(plot_compare_chart(in_dir(dir, "c.png"), "t", 2, df, 2, cod, en, sz, &err) == 0,
                  "%s", err.msg);
    check_png(in_dir(dir, "c.png"), 1100, 450);
    char buf[64];
    plot_escape(buf, sizeof buf, "a\"b\\c\nd");
    ck_assert_str_eq(buf, "a\\\"b\\\\c d");
    rm_dir(dir);
}
END_TEST

/* Box statistics against hand values (numpy's default quantiles, Tukey's whiskers),
 * and the figure: a PNG, and its script's $box block holding those statistics. */
START_TEST(boxes_hand_and_png)
{
    plot_box b;
    /* {1,2,3,4}: h = 3q: q1 at 0.75 -> 1.75, median 2.5, q3 at 2.25 -> 3.25 */
    const double four[] = {4, 1, 3, 2};
    ck_assert_int_eq(plot_box_stats(four, 4, &b), 0);
    ck_assert_close(b.q1, 1.75, 0, 1e-15);
    ck_assert_close(b.median, 2.5, 0, 1e-15);
    ck_assert_close(b.q3, 3.25, 0, 1e-15);
    ck_assert_close(b.whisker_lo, 1, 0, 0);
    ck_assert_close(b.whisker_hi, 4, 0, 0);
    /* {1,2,3,4,100}: q1 2, median 3, q3 4, IQR 2: fences -1 and 7, so 100 is an
     * outlier and the upper whisker stops at 4 */
    const double five[] = {1, 2, 3, 4, 100};
    ck_assert_int_eq(plot_box_stats(five, 5, &b), 0);
    ck_assert_close(b.q1, 2, 0, 0);
    ck_assert_close(b.median, 3, 0, 0);
    ck_assert_close(b.q3, 4, 0, 0);
    ck_assert_close(b.whisker_lo, 1, 0, 0);
    ck_assert_close(b.whisker_hi, 4, 0, 0);
    ck_assert_int_eq(plot_box_stats(five, 0, &b), EM_EINVAL);

    const char *dir = tu_tmpdir();
    const double one[] = {0.7};
    plot_box_group g[] = {{"four", PLOT_VEC(four, 4)}, {"five", PLOT_VEC(five, 5)},
                          {"one", PLOT_VEC(one, 1)}};
    plot_boxes_spec s = {.title = "HV", .groups = g, .n_groups = 3};
    em_error err = {0};
    ck_assert_msg(plot_boxes(in_dir(dir, "b.png"), &s, &err) == 0, "%s", err.msg);
    check_png(in_dir(dir, "b.png"), 640, 560);
    ck_assert_msg(plot_boxes(in_dir(dir, "b.gp"), &s, &err) == 0, "%s", err.msg);
    char *sc = slurp(in_dir(dir, "b.gp"), NULL);
    double rows[3 * 6];
    ck_assert_int_eq(gp_block(sc, "box", 6, rows, 3), 3);
    /* x, q1, whisker_lo, whisker_hi, q3, median */
    const double want[] = {1, 1.75, 1, 4, 3.25, 2.5, 2, 2, 1, 4, 4, 3, 3, 0.7, 0.7, 0.7, 0.7, 0.7};
    for (int i = 0; i < 18; i++) ck_assert_close(rows[i], want[i], 0, 1e-12);
    double pts[10 * 2];
    ck_assert_int_eq(gp_block(sc, "pts", 2, pts, 10), 10);
    ck_assert_close(pts[2 * 9 + 1], 0.7, 0, 1e-12);
    free(sc);
    rm_dir(dir);
}
END_TEST

START_TEST(boxes_bad_inputs)
{
    const char *dir = tu_tmpdir();
    const char *png = in_dir(dir, "b.png");
    double v[] = {1, NAN};
    plot_box_group g[] = {{"a", PLOT_VEC(v, 1)}, {"b", PLOT_VEC(v, 2)}};
    plot_boxes_spec s = {.groups = g, .n_groups = 0};
    EXPECT_FAIL(plot_boxes(png, &s, err), "n_groups = 0");
    s.n_groups = 2;
    EXPECT_FAIL(plot_boxes(png, &s, err), "groups[1] (b) values[1] is not a finite number");
    g[1].values = PLOT_VEC(v, 0);
    EXPECT_FAIL(plot_boxes(png, &s, err), "groups[1] (b) values has no values");
    g[1].values = PLOT_VEC(v, 1);
    plot_gnuplot_config("/nonexistent/gnuplot", getenv("TMPDIR"));
    EXPECT_FAIL(plot_boxes(png, &s, err), "cannot run gnuplot");
    plot_gnuplot_config(NULL, getenv("TMPDIR"));
    rm_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plots");
    TCase *tc = tcase_create("plots");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, objspace_png_svg);
    tcase_add_test(tc, objspace_front_oracle);
    tcase_add_test(tc, objspace_given_front_scale_log);
    tcase_add_test(tc, objspace_labels_clear_of_data);
    tcase_add_test(tc, fronts_png_svg);
    tcase_add_test(tc, ascore_hand_case);
    tcase_add_test(tc, ascore_lenet_png);
    tcase_add_test(tc, layers_png_svg);
    tcase_add_test(tc, convergence_png_svg);
    tcase_add_test(tc, bad_inputs);
    tcase_add_test(tc, gnuplot_missing);
    tcase_add_test(tc, compare_chart_still_works);
    tcase_add_test(tc, boxes_hand_and_png);
    tcase_add_test(tc, boxes_bad_inputs);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
