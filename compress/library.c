/* compress/library.c: building the stage-I library with the emomc (restart) and
 * single-pass schedules, its index.csv, resume, and the reader the search uses (see
 * compress/library.h). */
#include "compress/library.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/atomicfile.h"
#include "common/progress.h"
#include "compress/prune.h"

static const char *INDEX_HEADER = "keep,member,val_acc,test_acc,epochs,seconds";

const char *cp_schedule_name(cp_schedule s) { return s == CP_SCHED_EMOMC ? "emomc" : "single"; }

int cp_schedule_parse(const char *s, cp_schedule *out)
{
    if (!strcmp(s, "single")) *out = CP_SCHED_SINGLE;
    else if (!strcmp(s, "emomc")) *out = CP_SCHED_EMOMC;
    else return -1;
    return 0;
}

static double round9(double x) { return rint(x * 1e9) / 1e9; }

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cp_grid_parse(const char *text, double *keeps, int max, int *n, em_error *err)
{
    char buf[128];
    if (!text || strlen(text) >= sizeof buf)
        return em_fail(err, EM_EINVAL, "keep grid: expected hi:lo:step (e.g. 0.8:0.2:0.01)");
    snprintf(buf, sizeof buf, "%s", text);
    char *part[3] = {buf, NULL, NULL};
    int parts = 1;
    for (char *c = buf; *c; c++)
        if (*c == ':') {
            if (parts == 3)
                return em_fail(err, EM_EINVAL, "keep grid '%s': expected hi:lo:step", text);
            *c = 0;
            part[parts++] = c + 1;
        }
    if (parts == 2)
        return em_fail(err, EM_EINVAL, "keep grid '%s': expected hi:lo:step or one keep", text);
    double v[3];
    for (int i = 0; i < parts; i++)
        if (parse_num(part[i], &v[i]))
            return em_fail(err, EM_EINVAL, "keep grid '%s': '%s' is not a number", text, part[i]);
    double hi = v[0], lo = parts == 3 ? v[1] : v[0], step = parts == 3 ? v[2] : 1;
    if (!(hi > 0 && hi <= 1) || !(lo > 0 && lo <= 1))
        return em_fail(err, EM_EINVAL, "keep grid '%s': keeps must lie in (0, 1]", text);
    if (lo > hi)
        return em_fail(err, EM_EINVAL, "keep grid '%s': goes from the highest keep down to the "
                       "lowest (hi:lo:step with hi >= lo)", text);
    if (!(step > 0))
        return em_fail(err, EM_EINVAL, "keep grid '%s': step must be positive", text);
    double span = (hi - lo) / step;
    if (span + 1 > max)
        return em_fail(err, EM_EINVAL, "keep grid '%s': more than %d points", text, max);
    int count = (int)floor(span + 1e-6) + 1;
    for (int i = 0; i < count; i++) keeps[i] = round9(hi - i * step);
    for (int i = 1; i < count; i++)
        if (keeps[i] >= keeps[i - 1])
            return em_fail(err, EM_EINVAL, "keep grid '%s': step too small", text);
    *n = count;
    return EM_OK;
}

void cp_member_filename(double keep, char *buf, size_t n)
{
    if (fabs(keep * 1000 - rint(keep * 1000)) < 1e-6) snprintf(buf, n, "keep-%.3f.emw", keep);
    else snprintf(buf, n, "keep-%.9g.emw", keep);
}

void cp_library_cfg_default(cp_library_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->schedule = CP_SCHED_SINGLE;
    c->steps = 32;
    c->epochs_per_step = 1;
    nn_train_cfg_default(&c->train);
    c->train.batch = 128;
    c->train.optim.lr = 0.01;
    c->train.optim.momentum = 0.9;
    c->train.optim.weight_decay = 5e-4;
    c->train.schedule = NN_SCHED_CONSTANT;
    c->train.seed = 1;
    c->eval_batch = 256;
}

/* ---- index.csv -------------------------------------------------------------------- */

struct cp_library {
    char *dir;
    int n;
    cp_library_member *m;
};

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, file);
    return p;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void cp_library_free(cp_library *lib)
{
    if (!lib) return;
    for (int i = 0; i < lib->n; i++) free(lib->m[i].path);
    free(lib->m);
    free(lib->dir);
    free(lib);
}

static int cmp_keep_desc(const void *a, const void *b)
{
    const cp_library_member *x = a, *y = b;
    return x->keep > y->keep ? -1 : x->keep < y->keep;
}

/* Reads an index; missing_ok: a missing file gives an empty library. */
static int read_index(const char *dir, bool missing_ok, cp_library **out, em_error *err)
{
    *out = NULL;
    char *ipath = join(dir, CP_LIBRARY_INDEX);
    cp_library *lib = calloc(1, sizeof *lib);
    if (!ipath || !lib || !(lib->dir = strdup(dir))) {
        free(ipath);
        cp_library_free(lib);
        return em_fail(err, EM_ENOMEM, "library: out of memory");
    }
    FILE *f = fopen(ipath, "r");
    int rc = EM_OK;
    if (!f) {
        if (missing_ok && errno == ENOENT) {
            free(ipath);
            *out = lib;
            return EM_OK;
        }
        rc = em_fail(err, EM_EIO, "library %s: cannot open %s: %s", dir, ipath, strerror(errno));
        goto done;
    }
    char line[1024];
    int ln = 0, cap = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        ln++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = em_fail(err, EM_EFORMAT, "%s:%d: line too long", ipath, ln);
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (ln == 1) {
            if (strcmp(line, INDEX_HEADER))
                rc = em_fail(err, EM_EFORMAT, "%s:1: header is not '%s'", ipath, INDEX_HEADER);
            continue;
        }
        if (!len) continue;
        char *field[6];
        int nf = 0;
        char *s = line;
        for (;;) {
            if (nf < 6) field[nf] = s;
            nf++;
            char *c = strchr(s, ',');
            if (!c) break;
            *c = 0;
            s = c + 1;
        }
        if (nf != 6) {
            rc = em_fail(err, EM_EFORMAT, "%s:%d: %d fields, expected 6 (%s)", ipath, ln, nf,
                         INDEX_HEADER);
            break;
        }
        cp_library_member m = {0};
        double ep = 0;
        if (parse_num(field[0], &m.keep) || !(m.keep > 0 && m.keep <= 1)) {
            rc = em_fail(err, EM_EFORMAT, "%s:%d: keep '%s' is not in (0, 1]", ipath, ln, field[0]);
            break;
        }
        size_t fl = strlen(field[1]);
        if (fl < 5 || fl >= sizeof m.file || strchr(field[1], '/') ||
            strcmp(field[1] + fl - 4, ".emw")) {
            rc = em_fail(err, EM_EFORMAT, "%s:%d: member '%s' is not a .emw file name", ipath, ln,
                         field[1]);
            break;
        }
        snprintf(m.file, sizeof m.file, "%s", field[1]);
        m.test_acc = -1;
        if (parse_num(field[2], &m.val_acc) || m.val_acc < 0 || m.val_acc > 1 ||
            (*field[3] && (parse_num(field[3], &m.test_acc) || m.test_acc < 0 || m.test_acc > 1))) {
            rc = em_fail(err, EM_EFORMAT, "%s:%d: accuracies must be fractions in [0, 1]", ipath, ln);
            break;
        }
        if (parse_num(field[4], &ep) || ep < 0 || ep != floor(ep) || ep > 1e9 ||
            parse_num(field[5], &m.seconds) || m.seconds < 0) {
            rc = em_fail(err, EM_EFORMAT, "%s:%d: epochs must be a whole number and seconds >= 0",
                         ipath, ln);
            break;
        }
        m.epochs = (int)ep;
        for (int i = 0; i < lib->n; i++)
            if (fabs(lib->m[i].keep - m.keep) < 1e-9) {
                rc = em_fail(err, EM_EFORMAT, "%s:%d: keep %g listed twice", ipath, ln, m.keep);
                break;
            }
        if (rc) break;
        m.path = join(dir, m.file);
        if (!m.path) {
            rc = em_fail(err, EM_ENOMEM, "library: out of memory");
            break;
        }
        if (lib->n == cap) {
            cap = cap ? 2 * cap : 16;
            cp_library_member *nm = realloc(lib->m, sizeof *nm * (size_t)cap);
            if (!nm) {
                free(m.path);
                rc = em_fail(err, EM_ENOMEM, "library: out of memory");
                break;
            }
            lib->m = nm;
        }
        lib->m[lib->n++] = m;
    }
    if (!rc && ferror(f)) rc = em_fail(err, EM_EIO, "%s: read error", ipath);
    if (!rc && ln == 0) rc = em_fail(err, EM_EFORMAT, "%s: empty file (no header)", ipath);
    fclose(f);
done:
    free(ipath);
    if (rc) {
        cp_library_free(lib);
        return rc;
    }
    if (lib->n > 1) qsort(lib->m, (size_t)lib->n, sizeof *lib->m, cmp_keep_desc);
    *out = lib;
    return EM_OK;
}

static int write_index(const cp_library *lib, em_error *err)
{
    char *ipath = join(lib->dir, CP_LIBRARY_INDEX);
    if (!ipath) return em_fail(err, EM_ENOMEM, "library: out of memory");
    em_atomic_file af;
    int rc = em_atomic_open(&af, ipath, err);
    if (!rc) {
        fprintf(af.fp, "%s\n", INDEX_HEADER);
        for (int i = 0; i < lib->n; i++) {
            const cp_library_member *m = &lib->m[i];
            char test[32] = "";
            if (m->test_acc >= 0) snprintf(test, sizeof test, "%.6f", m->test_acc);
            fprintf(af.fp, "%.9g,%s,%.6f,%s,%d,%.3f\n", m->keep, m->file, m->val_acc, test,
                    m->epochs, m->seconds);
        }
        rc = em_atomic_commit(&af, err);
    }
    free(ipath);
    return rc;
}

int cp_library_open(const char *dir, cp_library **out, em_error *err)
{
    int rc = read_index(dir, false, out, err);
    if (rc) return rc;
    cp_library *lib = *out;
    for (int i = 0; i < lib->n; i++)
        if (!file_exists(lib->m[i].path)) {
            rc = em_fail(err, EM_EIO, "library %s: member file %s (keep %g) is missing", dir,
                         lib->m[i].path, lib->m[i].keep);
            cp_library_free(lib);
            *out = NULL;
            return rc;
        }
    if (lib->n == 0) {
        cp_library_free(lib);
        *out = NULL;
        return em_fail(err, EM_EFORMAT, "library %s: index.csv lists no member", dir);
    }
    return EM_OK;
}

int cp_library_count(const cp_library *lib) { return lib->n; }

const cp_library_member *cp_library_member_at(const cp_library *lib, int i)
{
    return i >= 0 && i < lib->n ? &lib->m[i] : NULL;
}

int cp_library_nearest(const cp_library *lib, double keep)
{
    int best = -1;
    for (int i = 0; i < lib->n; i++) /* descending keeps: the first of a tie is larger */
        if (best < 0 || fabs(lib->m[i].keep - keep) < fabs(lib->m[best].keep - keep) - 1e-12)
            best = i;
    return best;
}

int cp_library_find(const cp_library *lib, double keep)
{
    for (int i = 0; i < lib->n; i++)
        if (fabs(lib->m[i].keep - keep) < 1e-9) return i;
    return -1;
}

int cp_library_load(const cp_library *lib, int i, nn_net *net, em_error *err)
{
    if (i < 0 || i >= lib->n)
        return em_fail(err, EM_EINVAL, "library %s: member %d of %d", lib->dir, i, lib->n);
    nn_net_clear_masks(net);
    return nn_weights_load_into(lib->m[i].path, net, NULL, err);
}

/* ---- building ---------------------------------------------------------------------- */

typedef struct builder {
    const char *dir;
    const nn_arch *arch;
    const nn_weights *trained;
    const nn_dataset *train, *val, *test;
    const cp_library_cfg *cfg;
    nn_net *net;
    cp_library *lib;            /* members so far */
    cp_library_progress pr;
    nn_eval_result *ev;
} builder;

static void train_progress(const nn_train_progress *p, void *ctx)
{
    builder *b = ctx;
    b->pr.train = p;
    b->cfg->progress(&b->pr, b->cfg->progress_ctx);
    b->pr.train = NULL;
}

static uint64_t keep_key(double keep) { return (uint64_t)llrint(keep * 1e9); }

/* One step: prune every conv/linear weight tensor to `keep` (L1, per layer), then
 * fine-tune. */
static int step(builder *b, double keep, uint64_t seed, em_error *err)
{
    const nn_arch *a = b->arch;
    int rc = EM_OK;
    for (int i = 0; i < a->n_layers && !rc; i++)
        if (nn_layer_is_compute(&a->layers[i]))
            rc = cp_prune_layer(b->net, i, CP_PRUNE_L1, CP_TARGET_WEIGHTS, keep, 0, err);
    if (rc) return rc;
    nn_train_cfg c = b->cfg->train;
    c.epochs = b->cfg->epochs_per_step;
    c.seed = seed;
    c.checkpoint = NULL;
    c.stop_after = 0;
    c.progress = b->cfg->progress ? train_progress : NULL;
    c.progress_ctx = b;
    nn_train_result r;
    return nn_train(b->net, b->train, NULL, &c, NULL, &r, err);
}

static int save_member(builder *b, double keep, int epochs, int epochs_total, double t0,
                       em_error *err)
{
    const cp_library_cfg *cfg = b->cfg;
    int rc = nn_evaluate(b->net, b->val, cfg->eval_batch, 0, b->ev, err);
    if (rc) return rc;
    double val = b->ev->accuracy, test = -1;
    if (b->test) {
        if ((rc = nn_evaluate(b->net, b->test, cfg->eval_batch, 0, b->ev, err))) return rc;
        test = b->ev->accuracy;
    }
    nn_weights *w = NULL;
    rc = nn_weights_from_net(b->net, &w, err);
    char v[512], file[64];
    nn_train_cfg tc = cfg->train;
    tc.epochs = cfg->epochs_per_step;
    tc.seed = cfg->train.seed;
    nn_train_recipe(&tc, v, sizeof v);
    const char *src = cfg->source ? strrchr(cfg->source, '/') : NULL;
    src = src ? src + 1 : cfg->source ? cfg->source : "";
    if (!rc) rc = nn_weights_set_meta(w, "kind", "library-member", err);
    if (!rc) rc = nn_weights_set_meta(w, "model", b->arch->name, err);
    if (!rc) rc = nn_weights_set_meta(w, "dataset", cfg->dataset_name ? cfg->dataset_name : "", err);
    if (!rc) rc = nn_weights_set_meta(w, "source", src, err);
    if (!rc) rc = nn_weights_set_meta(w, "schedule", cp_schedule_name(cfg->schedule), err);
    if (!rc) rc = nn_weights_set_meta(w, "recipe", v, err);
    snprintf(v, sizeof v, "%.9g", keep);
    if (!rc) rc = nn_weights_set_meta(w, "keep", v, err);
    snprintf(v, sizeof v, "per-layer L1 on conv/linear weights, %d steps of %d epoch(s)%s",
             cfg->steps, cfg->epochs_per_step,
             cfg->schedule == CP_SCHED_EMOMC ? " from the trained model" : " per geometric step");
    if (!rc) rc = nn_weights_set_meta(w, "pruning", v, err);
    snprintf(v, sizeof v, "%.6f", val);
    if (!rc) rc = nn_weights_set_meta(w, "val_accuracy", v, err);
    snprintf(v, sizeof v, "%d", b->val->n);
    if (!rc) rc = nn_weights_set_meta(w, "val_images", v, err);
    snprintf(v, sizeof v, "%d", b->train->n);
    if (!rc) rc = nn_weights_set_meta(w, "train_images", v, err);
    if (!rc && test >= 0) {
        snprintf(v, sizeof v, "%.6f", test);
        rc = nn_weights_set_meta(w, "test_accuracy", v, err);
    }
    snprintf(v, sizeof v, "%d", epochs);
    if (!rc) rc = nn_weights_set_meta(w, "epochs", v, err);
    snprintf(v, sizeof v, "%d", epochs_total);
    if (!rc) rc = nn_weights_set_meta(w, "epochs_from_trained", v, err);
    cp_member_filename(keep, file, sizeof file);
    char *path = join(b->dir, file);
    if (!rc && !path) rc = em_fail(err, EM_ENOMEM, "library: out of memory");
    if (!rc) rc = nn_weights_save(w, path, err);
    nn_weights_free(w);
    if (rc) {
        free(path);
        return rc;
    }
    /* Record it (replacing an old row with the same keep) and rewrite the index. */
    cp_library *lib = b->lib;
    int at = cp_library_find(lib, keep);
    if (at < 0) {
        cp_library_member *nm = realloc(lib->m, sizeof *nm * (size_t)(lib->n + 1));
        if (!nm) {
            free(path);
            return em_fail(err, EM_ENOMEM, "library: out of memory");
        }
        lib->m = nm;
        at = lib->n++;
    } else {
        free(lib->m[at].path);
    }
    cp_library_member *m = &lib->m[at];
    memset(m, 0, sizeof *m);
    m->keep = keep;
    snprintf(m->file, sizeof m->file, "%s", file);
    m->path = path;
    m->val_acc = val;
    m->test_acc = test;
    m->epochs = epochs;
    m->seconds = em_now_seconds() - t0;
    qsort(lib->m, (size_t)lib->n, sizeof *lib->m, cmp_keep_desc);
    rc = write_index(lib, err);
    if (!rc && cfg->progress) {
        b->pr.member_done = true;
        b->pr.skipped = false;
        b->pr.val_acc = val;
        b->pr.test_acc = test;
        b->pr.epochs = epochs;
        b->pr.seconds = em_now_seconds() - t0;
        cfg->progress(&b->pr, cfg->progress_ctx);
        b->pr.member_done = false;
    }
    return rc;
}

/* A member counts as done when the index lists it and its file exists. */
static bool member_done(const builder *b, double keep)
{
    int i = cp_library_find(b->lib, keep);
    return i >= 0 && file_exists(b->lib->m[i].path);
}

static void report_skip(builder *b, double keep)
{
    if (!b->cfg->progress) return;
    const cp_library_member *m = &b->lib->m[cp_library_find(b->lib, keep)];
    b->pr.member_done = b->pr.skipped = true;
    b->pr.val_acc = m->val_acc;
    b->pr.test_acc = m->test_acc;
    b->pr.epochs = m->epochs;
    b->pr.seconds = m->seconds;
    b->cfg->progress(&b->pr, b->cfg->progress_ctx);
    b->pr.member_done = b->pr.skipped = false;
}

static int restart_from_trained(builder *b, em_error *err)
{
    nn_net_clear_masks(b->net);
    return nn_weights_apply(b->trained, b->net, b->cfg->source ? b->cfg->source : "trained weights",
                            err);
}

static int build_emomc(builder *b, const double *keeps, int n, em_error *err)
{
    const cp_library_cfg *cfg = b->cfg;
    int built = 0, rc = EM_OK;
    for (int m = 0; m < n && !rc; m++) {
        b->pr.member = m;
        b->pr.keep = keeps[m];
        if (member_done(b, keeps[m])) {
            report_skip(b, keeps[m]);
            continue;
        }
        if (cfg->stop_after > 0 && built == cfg->stop_after) break;
        double t0 = em_now_seconds();
        if ((rc = restart_from_trained(b, err))) break;
        uint64_t mseed = cp_mix_seed(cfg->train.seed, keep_key(keeps[m]));
        b->pr.steps = cfg->steps;
        for (int s = 1; s <= cfg->steps && !rc; s++) {
            double k = s == cfg->steps ? keeps[m] : pow(keeps[m], (double)s / cfg->steps);
            b->pr.step = s;
            b->pr.step_keep = k;
            rc = step(b, k, cp_mix_seed(mseed, (uint64_t)s), err);
        }
        int ep = cfg->steps * cfg->epochs_per_step;
        if (!rc) rc = save_member(b, keeps[m], ep, ep, t0, err);
        built++;
    }
    return rc;
}

/* Geometric steps from keep `from` down to `to`, none shrinking by more than `ratio`. */
static int steps_between(double from, double to, double ratio)
{
    if (to >= from) return 1;
    double t = log(to / from) / log(ratio);
    int s = (int)ceil(t - 1e-9);
    return s < 1 ? 1 : s;
}

static int build_single(builder *b, const double *keeps, int n, em_error *err)
{
    const cp_library_cfg *cfg = b->cfg;
    double ratio = pow(keeps[n - 1], 1.0 / cfg->steps);
    /* Resume point: the longest prefix of done members. */
    int start = 0;
    while (start < n && member_done(b, keeps[start])) {
        b->pr.member = start;
        b->pr.keep = keeps[start];
        report_skip(b, keeps[start]);
        start++;
    }
    if (start == n) return EM_OK;
    int rc;
    double cur = 1.0;
    int total = 0;
    if (start == 0) {
        rc = restart_from_trained(b, err);
    } else {
        int i = cp_library_find(b->lib, keeps[start - 1]);
        cur = keeps[start - 1];
        nn_net_clear_masks(b->net);
        nn_weights *w = NULL;
        rc = nn_weights_load(b->lib->m[i].path, &w, err);
        if (!rc) rc = nn_weights_apply(w, b->net, b->lib->m[i].path, err);
        const char *tot = !rc ? nn_weights_meta(w, "epochs_from_trained") : NULL;
        total = tot ? atoi(tot) : 0;
        nn_weights_free(w);
    }
    /* The steps of the whole pass, for the progress display. */
    int pass_steps = 0, done_steps = 0;
    for (int m = 0; m < n; m++) {
        int s = steps_between(m ? keeps[m - 1] : 1.0, keeps[m], ratio);
        pass_steps += s;
        if (m < start) done_steps += s;
    }
    b->pr.steps = pass_steps;
    int built = 0;
    for (int m = start; m < n && !rc; m++) {
        if (cfg->stop_after > 0 && built == cfg->stop_after) break;
        b->pr.member = m;
        b->pr.keep = keeps[m];
        double t0 = em_now_seconds();
        int s = steps_between(cur, keeps[m], ratio);
        uint64_t mseed = cp_mix_seed(cfg->train.seed, keep_key(keeps[m]));
        for (int j = 1; j <= s && !rc; j++) {
            double k = j == s ? keeps[m] : cur * pow(keeps[m] / cur, (double)j / s);
            b->pr.step = ++done_steps;
            b->pr.step_keep = k;
            rc = step(b, k, cp_mix_seed(mseed, (uint64_t)j), err);
        }
        int ep = s * cfg->epochs_per_step;
        total += ep;
        if (!rc) rc = save_member(b, keeps[m], ep, total, t0, err);
        cur = keeps[m];
        built++;
    }
    return rc;
}

static int make_dirs(const char *dir, em_error *err)
{
    char buf[4096];
    if (strlen(dir) >= sizeof buf) return em_fail(err, EM_EINVAL, "library: folder name too long");
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST)
                return em_fail(err, EM_EIO, "library: cannot create folder %s: %s", buf,
                               strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        return em_fail(err, EM_EIO, "library: %s is not a folder", dir);
    return EM_OK;
}

static int cmp_double_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* An existing member must come from the same kind of build. */
static int check_compatible(builder *b, em_error *err)
{
    for (int i = 0; i < b->lib->n; i++) {
        if (!file_exists(b->lib->m[i].path)) continue;
        nn_weights *w = NULL;
        int rc = nn_weights_load(b->lib->m[i].path, &w, err);
        if (rc) return rc;
        const char *sched = nn_weights_meta(w, "schedule"), *model = nn_weights_meta(w, "model");
        if (!sched || strcmp(sched, cp_schedule_name(b->cfg->schedule)) || !model ||
            strcmp(model, b->arch->name))
            rc = em_fail(err, EM_EINVAL, "library %s: member %s was built for model %s with the "
                         "%s schedule; this build is %s with %s (use another folder)", b->dir,
                         b->lib->m[i].file, model ? model : "?", sched ? sched : "?",
                         b->arch->name, cp_schedule_name(b->cfg->schedule));
        nn_weights_free(w);
        return rc; /* one member tells */
    }
    return EM_OK;
}

int cp_library_build(const char *dir, const nn_arch *arch, const nn_weights *trained,
                     const double *keeps_in, int n, const nn_dataset *train,
                     const nn_dataset *val, const nn_dataset *test, const cp_library_cfg *cfg,
                     em_error *err)
{
    if (n < 1 || n > CP_LIBRARY_MAX_GRID)
        return em_fail(err, EM_EINVAL, "library: %d grid points (1..%d)", n, CP_LIBRARY_MAX_GRID);
    if (!train || !val)
        return em_fail(err, EM_EINVAL, "library: needs the training and the validation split");
    if (cfg->steps < 1 || cfg->epochs_per_step < 1 || cfg->eval_batch < 1)
        return em_fail(err, EM_EINVAL, "library: steps, epochs per step and eval batch must be >= 1");
    double *keeps = malloc(sizeof *keeps * (size_t)n);
    if (!keeps) return em_fail(err, EM_ENOMEM, "library: out of memory");
    for (int i = 0; i < n; i++) keeps[i] = round9(keeps_in[i]);
    qsort(keeps, (size_t)n, sizeof *keeps, cmp_double_desc);
    int rc = EM_OK;
    for (int i = 0; i < n && !rc; i++) {
        if (!(keeps[i] > 0 && keeps[i] <= 1))
            rc = em_fail(err, EM_EINVAL, "library: keep %g is not in (0, 1]", keeps[i]);
        else if (i && keeps[i] == keeps[i - 1])
            rc = em_fail(err, EM_EINVAL, "library: keep %g appears twice in the grid", keeps[i]);
    }
    builder b = {.dir = dir, .arch = arch, .trained = trained, .train = train, .val = val,
                 .test = test, .cfg = cfg};
    b.pr.members = n;
    if (!rc) rc = make_dirs(dir, err);
    if (!rc) rc = em_atomic_remove_stale(dir, NULL, err); /* what a killed build left */
    if (!rc && !cfg->resume) {
        char *ip = join(dir, CP_LIBRARY_INDEX);
        if (ip && file_exists(ip))
            rc = em_fail(err, EM_EINVAL, "library: %s already holds a library (%s); resume it "
                         "or use another folder", dir, CP_LIBRARY_INDEX);
        free(ip);
    }
    if (!rc) rc = read_index(dir, true, &b.lib, err);
    if (!rc) rc = nn_net_new(arch, &b.net, err);
    if (!rc) rc = check_compatible(&b, err);
    if (!rc && !(b.ev = malloc(sizeof *b.ev))) rc = em_fail(err, EM_ENOMEM, "library: out of memory");
    if (!rc) rc = restart_from_trained(&b, err);
    if (!rc) {
        nn_net_set_threads(b.net, cfg->threads);
        rc = cfg->schedule == CP_SCHED_EMOMC ? build_emomc(&b, keeps, n, err)
                                             : build_single(&b, keeps, n, err);
    }
    free(b.ev);
    nn_net_free(b.net);
    cp_library_free(b.lib);
    free(keeps);
    return rc;
}
