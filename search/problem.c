/* search/problem.c: evaluation of compression candidates (accuracy + hardware cost):
 * the opt/ callbacks (true, cheap, observe), the evaluation store lookups, MPI
 * dealing, the workers that measure several candidates at once (parallel_candidates),
 * and racing (a candidate's accuracy on growing stages of a fixed permutation of the
 * search images, stopped once it is shown dominated). */
#include "search/problem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include "common/atomicfile.h"

#include "common/progress.h"
#include "common/sha256.h"
#include "compress/library.h"
#include "compress/plan.h"
#include "compress/prune.h"
#include "compress/quant.h"
#include "hwconfigs/hw.h"
#include "nn/model.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/weights.h"
#include "opt/evaluator.h"
#include "search/mpi.h"
#include "search/parallel.h"

#define EVAL_BATCH 256
#define RACE_MAX_STAGES 32
#define PLAN_TEXT 1024 /* a plan in words (the store's key) */
/* The racing permutation's seed: a constant, not the run's seed, so that every
 * racing run of a data set measures the same image sets and shares the store. */
#define RACE_PERM_SEED 0x7261636520696d67ULL

/* One racing record per evaluated genotype (x: n_var doubles at xs + i * n_var). */
typedef struct race_table {
    double *xs;
    sp_race_record *rec;
    int n, cap;
    int *slot;    /* open addressing, -1 empty */
    size_t nslot; /* power of two */
} race_table;

struct sp_context {
    sp_config cfg;
    nn_arch *arch;
    hw_target hw;
    bool have_hw;
    nn_net *net;              /* work network: reloaded for every candidate */
    nn_dataset *search_ds, *final_ds;
    int n_compute;
    int *compute;             /* arch indices of the conv/linear layers */
    int n_members;            /* library members inside [keep_lo, keep_hi] */
    double *member_keep;
    nn_weights **members;     /* loaded on first use */
    char **member_path;
    nn_weights *trained;      /* cfg.weights, when given */
    sim_estimator *estimator; /* every cost goes through it */
    char protocol_text[768];
    char search_images[256], final_images[256]; /* which images each accuracy is on */
    sp_timing timing;
    /* The evaluation store (borrowed; NULL: none) and the keys of what is loaded. */
    sp_store *store;
    char trained_sha[65];     /* cfg.weights' file */
    char (*member_sha)[65];   /* each member's file, "" until first loaded */
    char search_sha[65], final_sha[65]; /* the image sets (search: its first eval_images) */
    int search_used;          /* images the search accuracy is measured on */
    const char *cur_weights;  /* SHA of the weights the work network started from */
    char cur_plan[PLAN_TEXT]; /* the compression applied to them, in words (store key) */
    cp_plan plan;             /* the same compression as a value (compress/plan.h) */
    cp_plan_stats *stats;     /* what cp_plan_apply / cp_plan_measure measured of it */
    /* Racing (cfg.racing): the search images permuted (race_ds, its full set is the
     * search set), cut into stages of 256, 512, 1024, ... images; stage_ds[j] holds
     * images [stage_end[j-1], stage_end[j]), stage_sha[j] keys the prefix up to
     * stage_end[j] in the store (the last one is search_sha). */
    nn_dataset *race_ds;
    int n_stages;
    int stage_end[RACE_MAX_STAGES];
    nn_dataset *stage_ds[RACE_MAX_STAGES];
    char stage_sha[RACE_MAX_STAGES][65];
    double *ref;              /* reference points (n_ref x n_obj: accuracy, costs) */
    int n_ref, cap_ref;
    race_table races;
    FILE *journal;            /* racing records, appended per batch (for resume) */
    bool race_missing;        /* an archived row had no racing record */
    /* Parallel evaluation (cfg.parallel_candidates): workers 1..K-1 (worker 0 is the
     * context itself), made on first use. A worker borrows everything of its parent
     * but its work network, its plan and stats, and what its network was last given
     * (cur_*). */
    sp_context *parent;       /* a worker's context (NULL: a real one) */
    sp_context **workers;
    int n_workers;
};

void sp_context_set_store(sp_context *ctx, sp_store *store) { ctx->store = store; }

sp_timing sp_context_timing(const sp_context *ctx) { return ctx->timing; }

const sp_config *sp_context_config(const sp_context *ctx) { return &ctx->cfg; }
int sp_context_search_used(const sp_context *ctx) { return ctx->search_used; }
const nn_arch *sp_context_arch(const sp_context *ctx) { return ctx->arch; }
const char *sp_context_protocol_text(const sp_context *ctx) { return ctx->protocol_text; }
const char *sp_context_search_images(const sp_context *ctx) { return ctx->search_images; }
const char *sp_context_final_images(const sp_context *ctx) { return ctx->final_images; }

int sp_context_members(const sp_context *ctx, const double **keeps)
{
    *keeps = ctx->member_keep;
    return ctx->n_members;
}

void sp_context_free(sp_context *c)
{
    if (!c) return;
    if (c->parent) { /* a worker owns only its network and its stats */
        nn_net_free(c->net);
        free(c->stats);
        free(c);
        return;
    }
    for (int w = 0; w < c->n_workers; w++) sp_context_free(c->workers[w]);
    free(c->workers);
    nn_arch_free(c->arch);
    nn_net_free(c->net);
    nn_dataset_free(c->search_ds);
    nn_dataset_free(c->final_ds);
    free(c->compute);
    for (int i = 0; i < c->n_members; i++) {
        nn_weights_free(c->members[i]);
        free(c->member_path[i]);
    }
    free(c->members);
    free(c->member_path);
    free(c->member_keep);
    free(c->member_sha);
    free(c->stats);
    nn_dataset_free(c->race_ds);
    for (int j = 0; j < c->n_stages; j++) nn_dataset_free(c->stage_ds[j]);
    free(c->ref);
    free(c->races.xs);
    free(c->races.rec);
    free(c->races.slot);
    if (c->journal) fclose(c->journal);
    nn_weights_free(c->trained);
    sim_estimator_free(c->estimator);
    free(c);
}

/* The store's key of an image set: its shape, count, pixels and labels. */
static void image_set_sha(const nn_dataset *ds, int n, char out[65])
{
    em_sha256 s;
    em_sha256_init(&s);
    int32_t head[4] = {ds->c, ds->h, ds->w, n};
    em_sha256_update(&s, head, sizeof head);
    em_sha256_update(&s, ds->pixels, (size_t)n * (size_t)ds->c * (size_t)ds->h * (size_t)ds->w);
    em_sha256_update(&s, ds->labels, (size_t)n);
    em_sha256_hex(&s, out);
}

int sp_racing_permutation(int n, uint32_t *idx)
{
    em_rng r;
    em_rng_seed(&r, RACE_PERM_SEED);
    for (int i = 0; i < n; i++) idx[i] = (uint32_t)i;
    em_rng_shuffle_u32(&r, idx, (uint32_t)n);
    return n;
}

int sp_racing_stages(int n, int *end, int cap)
{
    int s = 0;
    for (long m = EVAL_BATCH; m < n && s < cap - 1; m *= 2) end[s++] = (int)m;
    end[s++] = n;
    return s;
}

double sp_racing_bound(long k, long m, long n, int stages, double delta)
{
    return (double)k / (double)m +
           sqrt(log(stages / delta) * (1.0 - (double)(m - 1) / (double)n) / (2.0 * (double)m));
}

/* The permuted search set, its stages and their store keys; search_sha becomes the
 * permuted set's (its images are those of the plain search set, in another order,
 * so batch composition, and possibly an accuracy's last bits, differ). */
static int open_racing(sp_context *c, em_error *err)
{
    const int n = c->search_used;
    uint32_t *idx = malloc(sizeof *idx * (size_t)(n ? n : 1));
    if (!idx) return em_fail(err, EM_ENOMEM, "out of memory");
    sp_racing_permutation(n, idx);
    int rc = nn_dataset_subset(c->search_ds, idx, n, &c->race_ds, err);
    free(idx);
    if (rc) return rc;
    int s = sp_racing_stages(n, c->stage_end, RACE_MAX_STAGES);
    uint32_t *ix = malloc(sizeof *ix * (size_t)(n ? n : 1));
    if (!ix) return em_fail(err, EM_ENOMEM, "out of memory");
    for (int j = 0; j < s && !rc; j++) {
        int lo = j ? c->stage_end[j - 1] : 0, len = c->stage_end[j] - lo;
        for (int i = 0; i < len; i++) ix[i] = (uint32_t)(lo + i);
        rc = nn_dataset_subset(c->race_ds, ix, len, &c->stage_ds[j], err);
        if (!rc) c->n_stages = j + 1;
        image_set_sha(c->race_ds, c->stage_end[j], c->stage_sha[j]);
    }
    free(ix);
    if (!rc) memcpy(c->search_sha, c->stage_sha[s - 1], sizeof c->search_sha);
    return rc;
}

/* The search and final data sets of the protocol, and the words that say which
 * images each accuracy is on (search_images, final_images, protocol_text). */
static int open_data(sp_context *c, em_error *err)
{
    const sp_config *g = &c->cfg;
    const char *root = g->data_root[0] ? g->data_root : NULL;
    nn_split_opts so;
    nn_split_opts_default(&so);
    int rc;
    nn_dataset *test = NULL;
    if (g->protocol == SP_PROTO_VAL) {
        if ((rc = nn_dataset_open(g->data, root, NN_SPLIT_VAL, &so, &c->search_ds, err))) return rc;
        if ((rc = nn_dataset_open(g->data, root, NN_SPLIT_TEST, &so, &c->final_ds, err))) return rc;
    } else if ((rc = nn_dataset_open(g->data, root, NN_SPLIT_TEST, &so, &test, err))) {
        return rc;
    } else if (g->protocol == SP_PROTO_TEST) {
        c->search_ds = test;
        if ((rc = nn_dataset_subset(test, NULL, test->n, &c->final_ds, err))) return rc;
    } else {
        int half = test->n / 2;
        uint32_t *idx = malloc(sizeof *idx * (size_t)test->n);
        if (!idx) {
            nn_dataset_free(test);
            return em_fail(err, EM_ENOMEM, "out of memory");
        }
        for (int i = 0; i < test->n; i++) idx[i] = (uint32_t)i;
        rc = nn_dataset_subset(test, idx, half, &c->search_ds, err);
        if (!rc) rc = nn_dataset_subset(test, idx + half, test->n - half, &c->final_ds, err);
        free(idx);
        nn_dataset_free(test);
        if (rc) return rc;
    }
    const int ns = c->search_ds->n, nf = c->final_ds->n;
    const int used = g->eval_images > 0 && g->eval_images < ns ? g->eval_images : ns;
    c->search_used = used;
    image_set_sha(c->search_ds, used, c->search_sha);
    image_set_sha(c->final_ds, nf, c->final_sha);
    if (g->racing && (rc = open_racing(c, err))) return rc;
    char first[64] = "";
    if (used < ns) snprintf(first, sizeof first, "the first %d of ", used);
    if (g->racing) snprintf(first + strlen(first), sizeof first - strlen(first),
                            "(in a fixed permutation, racing) ");
    switch (g->protocol) {
    case SP_PROTO_VAL:
        snprintf(c->search_images, sizeof c->search_images,
                 "%sthe %d validation images held out from the %.100s training file (seeded)",
                 first, ns, g->data);
        snprintf(c->final_images, sizeof c->final_images, "the %d %.100s test images", nf,
                 g->data);
        snprintf(c->protocol_text, sizeof c->protocol_text,
                 "search accuracy on %s; final accuracy on %s", c->search_images,
                 c->final_images);
        break;
    case SP_PROTO_TEST:
        snprintf(c->search_images, sizeof c->search_images, "%sthe %d %.100s test images", first,
                 ns, g->data);
        snprintf(c->final_images, sizeof c->final_images,
                 "the %d %.100s test images (the search's images)", nf, g->data);
        snprintf(c->protocol_text, sizeof c->protocol_text,
                 "PAPER PROTOCOL: search accuracy on %s; final accuracy on %s", c->search_images,
                 c->final_images);
        break;
    default:
        snprintf(c->search_images, sizeof c->search_images,
                 "%sthe first %d images of the %.100s test file", first, ns, g->data);
        snprintf(c->final_images, sizeof c->final_images,
                 "the other %d images of the %.100s test file (its second half)", nf, g->data);
        snprintf(c->protocol_text, sizeof c->protocol_text,
                 "TEST-HALVES PROTOCOL: search accuracy on %s; final accuracy on %s (no image "
                 "is used for both)", c->search_images, c->final_images);
        break;
    }
    return EM_OK;
}

static int open_library(sp_context *c, em_error *err)
{
    cp_library *lib = NULL;
    int rc = cp_library_open(c->cfg.library, &lib, err);
    if (rc) return rc;
    int n = cp_library_count(lib);
    c->members = calloc((size_t)n, sizeof *c->members);
    c->member_path = calloc((size_t)n, sizeof *c->member_path);
    c->member_keep = calloc((size_t)n, sizeof *c->member_keep);
    c->member_sha = calloc((size_t)(n ? n : 1), sizeof *c->member_sha);
    if (!c->members || !c->member_path || !c->member_keep || !c->member_sha) {
        cp_library_free(lib);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    /* Members in the configured keep range, in increasing keep order. */
    for (int i = 0; i < n; i++) {
        const cp_library_member *m = cp_library_member_at(lib, i);
        if (m->keep < c->cfg.keep_lo - 1e-9 || m->keep > c->cfg.keep_hi + 1e-9) continue;
        int k = c->n_members++;
        c->member_keep[k] = m->keep;
        c->member_path[k] = strdup(m->path);
    }
    for (int i = 1; i < c->n_members; i++) /* insertion sort by keep */
        for (int j = i; j > 0 && c->member_keep[j] < c->member_keep[j - 1]; j--) {
            double t = c->member_keep[j];
            c->member_keep[j] = c->member_keep[j - 1];
            c->member_keep[j - 1] = t;
            char *p = c->member_path[j];
            c->member_path[j] = c->member_path[j - 1];
            c->member_path[j - 1] = p;
        }
    cp_library_free(lib);
    if (c->n_members == 0)
        return em_fail(err, EM_EINVAL, "library %s has no member with keep in [%g, %g]",
                       c->cfg.library, c->cfg.keep_lo, c->cfg.keep_hi);
    return EM_OK;
}

int sp_context_new(const sp_config *cfg, bool with_data, sp_context **out, em_error *err)
{
    *out = NULL;
    int rc = sp_config_validate(cfg, err);
    if (rc) return rc;
    sp_context *c = calloc(1, sizeof *c);
    if (!c) return em_fail(err, EM_ENOMEM, "out of memory");
    c->cfg = *cfg;
    char path[4096];
    if ((rc = nn_model_load(cfg->model, &c->arch, NULL, err))) goto fail;
    if (cfg->hw[0]) {
        if ((rc = hw_resolve(cfg->hw, path, sizeof path, err)) || (rc = hw_load(path, &c->hw, err)))
            goto fail;
        c->have_hw = true;
        if ((rc = sim_estimator_new(c->arch, &c->hw, &c->estimator, err))) goto fail;
        if (c->hw.cost_model == HW_COST_EMOMC2021) {
            if (cfg->kind != SP_SBO && cfg->kind != SP_EMOMC_SIZE &&
                cfg->mapping.kind == DF_CUSTOM) {
                rc = em_fail(err, EM_EINVAL, "%s: the emomc2021 model has only the four "
                             "built-in dataflows, not %s", c->hw.name, cfg->mapping.name);
                goto fail;
            }
        }
    }
    if ((rc = nn_net_new(c->arch, &c->net, err))) goto fail;
    if (cfg->threads > 0) nn_net_set_threads(c->net, cfg->threads);
    c->n_compute = nn_arch_compute_layer_count(c->arch);
    c->compute = malloc(sizeof *c->compute * (size_t)(c->n_compute ? c->n_compute : 1));
    if (!c->compute) { rc = em_fail(err, EM_ENOMEM, "out of memory"); goto fail; }
    for (int i = 0, k = 0; i < c->arch->n_layers; i++)
        if (nn_layer_is_compute(&c->arch->layers[i])) c->compute[k++] = i;
    /* The trained weights: 'weights', else an ONNX model's own (then c->cfg.weights
     * names the model file, for messages and the store's key). */
    if (!cfg->weights[0] && nn_model_is_onnx(cfg->model))
        snprintf(c->cfg.weights, sizeof c->cfg.weights, "%s", cfg->model);
    if (c->cfg.weights[0] && (rc = nn_model_weights(cfg->model, c->cfg.weights, &c->trained, err)))
        goto fail;
    if (c->cfg.weights[0] && em_sha256_file(c->cfg.weights, c->trained_sha)) {
        rc = em_fail(err, EM_EIO, "%s: cannot read: %s", c->cfg.weights, strerror(errno));
        goto fail;
    }
    if (cfg->kind != SP_SBO && (rc = open_library(c, err))) goto fail;
    if (with_data && (rc = open_data(c, err))) goto fail;
    *out = c;
    return EM_OK;
fail:
    sp_context_free(c);
    return rc;
}

/* ---- evaluation ---------------------------------------------------------------- */

/* Puts weights w (from file `path`) into the work network, which the last candidate
 * may have left with its BN folded (fold-then-quantize): the fold is undone first. */
static int load_work_net(sp_context *c, const nn_weights *w, const char *path, em_error *err)
{
    nn_net_unfold_bn(c->net);
    nn_net_clear_masks(c->net);
    return nn_weights_apply(w, c->net, path, err);
}

/* Loads library member m (and its file's SHA) once. Workers never load: they share
 * their parent's members, loaded before they start (accuracies()). */
static int member_ready(sp_context *c, int m, em_error *err)
{
    if (c->members[m]) return EM_OK;
    if (c->parent)
        return em_fail(err, EM_EINTERNAL, "parallel evaluation: library member %d was not "
                       "loaded before the workers started", m);
    int rc = nn_weights_load(c->member_path[m], &c->members[m], err);
    if (rc) return rc;
    if (em_sha256_file(c->member_path[m], c->member_sha[m]))
        return em_fail(err, EM_EIO, "%s: cannot read: %s", c->member_path[m], strerror(errno));
    return EM_OK;
}

static int load_member(sp_context *c, int m, em_error *err)
{
    int rc = member_ready(c, m, err);
    if (rc) return rc;
    c->cur_weights = c->member_sha[m];
    return load_work_net(c, c->members[m], c->member_path[m], err);
}

static int nvars_emomc(const sp_context *c) { return 1 + c->n_compute; }

static int problem_nvar(const sp_context *c)
{
    if (c->cfg.kind == SP_SBO) return 7;
    return nvars_emomc(c) + (c->cfg.kind == SP_EMOMC_JOINT ? 2 : 0);
}

static int problem_nobj(const sp_context *c) { return c->cfg.kind == SP_EMOMC_JOINT ? 3 : 2; }

static int problem_ncon(const sp_context *c)
{
    return (c->cfg.kind == SP_SBO) + (c->cfg.energy_budget_mj > 0) + (c->cfg.size_budget_kb > 0);
}

/* Measures the work network as c->plan left it (cp_plan_measure) into stats[]. */
static int measure_net(sp_context *c, cp_layer_stats *stats, em_error *err)
{
    if (!c->stats && !(c->stats = malloc(sizeof *c->stats)))
        return em_fail(err, EM_ENOMEM, "out of memory");
    cp_plan_measure(c->net, &c->plan, c->stats);
    memcpy(stats, c->stats->layer, sizeof *stats * (size_t)c->n_compute);
    return EM_OK;
}

int sp_cost(sp_context *c, const cp_layer_stats *plan, const df_mapping *map, coding_kind coding,
            double *energy_mj, double *size_kb, em_error *err)
{
    if (!c->have_hw) return em_fail(err, EM_EINVAL, "no hardware target configured");
    return sim_estimator_cost(c->estimator, plan, map, coding, energy_mj, size_kb, err);
}

static int accuracy_untimed(sp_context *c, bool final, double *acc, em_error *err);

/* The accuracy of the work network as compress_candidate left it: from the store
 * when it holds it, else by inference (then stored). */
static int accuracy(sp_context *c, bool final, double *acc, em_error *err)
{
    sp_store_key key;
    if (c->store && c->search_ds) {
        snprintf(key.weights, sizeof key.weights, "%s", c->cur_weights ? c->cur_weights : "");
        key.plan = c->cur_plan;
        snprintf(key.images, sizeof key.images, "%s", final ? c->final_sha : c->search_sha);
        bool found = false;
        int rc = sp_store_get(c->store, &key, acc, &found, err);
        if (rc) return rc;
        if (found) {
            c->timing.store_hits++;
            return EM_OK;
        }
    }
    double t0 = em_now_seconds();
    int rc = accuracy_untimed(c, final, acc, err);
    double dt = em_now_seconds() - t0;
    c->timing.inference += dt;
    c->timing.inferences++;
    if (!rc && c->store && c->search_ds)
        rc = sp_store_put(c->store, &key, *acc, final ? c->final_ds->n : c->search_used, dt, err);
    return rc;
}

/* The plain engine, or dynamic int8 for the plan's dynq layers (cp_plan_evaluate). */
static int accuracy_untimed(sp_context *c, bool final, double *acc, em_error *err)
{
    if (!c->search_ds) return em_fail(err, EM_EINVAL, "no data set loaded");
    const nn_dataset *ds = final ? c->final_ds : c->race_ds ? c->race_ds : c->search_ds;
    int limit = final || c->race_ds ? 0 : c->cfg.eval_images;
    return cp_plan_evaluate(c->net, &c->plan, ds, EVAL_BATCH, limit, acc, err);
}

/* SBO genotype: x1 method linear, x2 method conv (0 none, 1 L1, 2 random), x3 x4
 * fraction pruned, x5 x6 what (0 weights, 1 biases, 2 both), x7 dynamic int8 (every
 * linear layer), as a plan: float32 weights, per-layer method, target, keep, dynq. */
static void sbo_plan(const sp_context *c, const double *x, cp_plan *p)
{
    cp_plan_identity(p, c->n_compute);
    for (int i = 0; i < c->n_compute; i++) {
        cp_layer_plan *l = &p->layer[i];
        bool lin = c->arch->layers[c->compute[i]].kind == NN_L_LINEAR;
        int method = (int)x[lin ? 0 : 1];
        l->method = method == 0 ? CP_PRUNE_NONE : method == 1 ? CP_PRUNE_L1 : CP_PRUNE_RANDOM;
        l->keep = 1.0 - x[lin ? 2 : 3];
        l->target = (cp_prune_target)(int)x[lin ? 4 : 5];
        l->dynq = lin && x[6] >= 0.5;
    }
}

/* Prunes the trained weights per the SBO plan. Not cp_plan_apply: random pruning of
 * compute layer i is seeded with seed + i (cp_plan_apply mixes cp_mix_seed(seed, i)),
 * and the stored evaluations and archived runs hold those masks. */
static int apply_sbo(sp_context *c, em_error *err)
{
    int rc = load_work_net(c, c->trained, c->cfg.weights, err);
    for (int i = 0; i < c->n_compute && !rc; i++) {
        const cp_layer_plan *l = &c->plan.layer[i];
        if (l->method == CP_PRUNE_NONE) continue;
        rc = cp_prune_layer(c->net, c->compute[i], l->method, l->target, l->keep,
                            c->cfg.seed + (uint64_t)i, err);
    }
    return rc;
}

/* The plan of an emomc genotype: the library member is already pruned (method none),
 * x gives each compute layer's bits, the configuration the BN order. */
static void emomc_plan(const sp_context *c, const double *x, cp_plan *p)
{
    cp_plan_identity(p, c->n_compute);
    p->bn = c->cfg.bn;
    for (int i = 0; i < c->n_compute; i++) {
        p->layer[i].method = CP_PRUNE_NONE;
        p->layer[i].bits = (int)x[1 + i];
    }
}

static double nonzero_rate(sp_context *c)
{
    int64_t nz = 0, n = 0;
    for (int i = 0; i < c->n_compute; i++)
        for (int b = 0; b < 2; b++) {
            nn_param *p = cp_layer_param(c->net, c->compute[i], b == 1);
            if (!p) continue;
            nz += cp_count_nonzero(p->data, p->numel);
            n += p->numel;
        }
    return n ? (double)nz / (double)n : 0;
}

void sp_measure_free(sp_measure *m)
{
    free(m->plan);
    m->plan = NULL;
}

/* Compresses the work network per genotype x (c->plan, applied); fills bits[] and
 * the measured statistics. */
static int compress_candidate(sp_context *c, const double *x, int *bits, cp_layer_stats *plan,
                              em_error *err)
{
    const sp_config *g = &c->cfg;
    int rc;
    if (!x) { /* the uncompressed reference */
        if (!c->trained) return em_fail(err, EM_EINVAL, "no trained weights configured");
        cp_plan_identity(&c->plan, c->n_compute);
        rc = load_work_net(c, c->trained, g->weights, err);
        c->cur_weights = c->trained_sha;
        snprintf(c->cur_plan, sizeof c->cur_plan, "uncompressed");
        return rc ? rc : measure_net(c, plan, err);
    }
    if (g->kind == SP_SBO) {
        sbo_plan(c, x, &c->plan);
        rc = apply_sbo(c, err);
        c->cur_weights = c->trained_sha;
        snprintf(c->cur_plan, sizeof c->cur_plan,
                 "sbo=%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g;seed=%llu", x[0], x[1], x[2],
                 x[3], x[4], x[5], x[6], (unsigned long long)g->seed);
        return rc ? rc : measure_net(c, plan, err);
    }
    emomc_plan(c, x, &c->plan);
    if ((rc = load_member(c, (int)x[0], err))) return rc;
    size_t k = (size_t)snprintf(c->cur_plan, sizeof c->cur_plan, "bits=");
    for (int i = 0; i < c->n_compute; i++) {
        bits[i] = c->plan.layer[i].bits;
        if (k < sizeof c->cur_plan)
            k += (size_t)snprintf(c->cur_plan + k, sizeof c->cur_plan - k, "%s%d", i ? "," : "",
                                  bits[i]);
    }
    if (k < sizeof c->cur_plan)
        snprintf(c->cur_plan + k, sizeof c->cur_plan - k, ";bn=%s", cp_bn_order_name(g->bn));
    /* cp_plan_apply quantizes in the configured order with BN folding;
     * fold-then-quantize leaves the work net folded (load_work_net undoes it for the
     * next candidate). */
    if (!c->stats && !(c->stats = malloc(sizeof *c->stats)))
        return em_fail(err, EM_ENOMEM, "out of memory");
    rc = cp_plan_apply(c->net, &c->plan, g->seed, c->stats, err);
    if (!rc) memcpy(plan, c->stats->layer, sizeof *plan * (size_t)c->n_compute);
    return rc;
}

int sp_compress_candidate(sp_context *c, const double *x, nn_net **net, int *bits,
                          em_error *err)
{
    *net = NULL;
    cp_layer_stats *plan = calloc((size_t)(c->n_compute ? c->n_compute : 1), sizeof *plan);
    int *b = calloc((size_t)(c->n_compute ? c->n_compute : 1), sizeof *b);
    int rc = !plan || !b ? em_fail(err, EM_ENOMEM, "out of memory") : EM_OK;
    if (!rc) rc = compress_candidate(c, x, b, plan, err);
    if (!rc && bits) memcpy(bits, b, sizeof *b * (size_t)c->n_compute);
    if (!rc) *net = c->net;
    free(plan);
    free(b);
    return rc;
}

static void candidate_choices(const sp_context *c, const double *x, df_mapping *map,
                              coding_kind *coding)
{
    *map = c->cfg.mapping;
    *coding = c->cfg.coding;
    if (x && c->cfg.kind == SP_EMOMC_JOINT) {
        *map = df_mapping_builtin((df_dataflow)(int)x[nvars_emomc(c)]);
        *coding = (coding_kind)(int)x[nvars_emomc(c) + 1];
    }
}

int sp_measure_candidate(sp_context *c, const double *x, bool final, sp_measure *m,
                         em_error *err)
{
    memset(m, 0, sizeof *m);
    m->n_layers = c->n_compute;
    m->plan = calloc((size_t)c->n_compute, sizeof *m->plan);
    int *bits = calloc((size_t)c->n_compute, sizeof *bits);
    int rc = !m->plan || !bits ? em_fail(err, EM_ENOMEM, "out of memory") : EM_OK;
    if (!rc) rc = compress_candidate(c, x, bits, m->plan, err);
    if (!rc) {
        m->nonzero_rate = nonzero_rate(c);
        rc = accuracy(c, final, &m->accuracy, err);
    }
    if (!rc && c->have_hw) {
        df_mapping map;
        coding_kind coding;
        candidate_choices(c, x, &map, &coding);
        rc = sp_cost(c, m->plan, &map, coding, &m->energy_mj, &m->size_kb, err);
    }
    free(bits);
    if (rc) sp_measure_free(m);
    return rc;
}

/* One candidate up to its accuracy: compressed (the work net is left so), its cost,
 * its non-zero rate, and whether a budget rejects it before any inference (its
 * accuracy then does not matter to a constrained comparison; it is reported as 0). */
typedef struct row_eval {
    double energy, size, nonzero, acc;
    bool over;
} row_eval;

/* Compression, cost, non-zero rate and budget test of one row, without inference. */
static int row_cost(sp_context *c, const double *x, int *bits, cp_layer_stats *plan,
                    row_eval *e, em_error *err)
{
    const sp_config *g = &c->cfg;
    memset(e, 0, sizeof *e);
    double t0 = em_now_seconds();
    int rc = compress_candidate(c, x, bits, plan, err);
    if (rc) return rc;
    double t1 = em_now_seconds();
    c->timing.compress += t1 - t0;
    if (c->have_hw) {
        df_mapping map;
        coding_kind coding;
        candidate_choices(c, x, &map, &coding);
        if ((rc = sp_cost(c, plan, &map, coding, &e->energy, &e->size, err))) return rc;
        c->timing.cost += em_now_seconds() - t1;
    }
    if (g->kind == SP_SBO) e->nonzero = nonzero_rate(c);
    if (g->energy_budget_mj > 0) e->over |= e->energy > g->energy_budget_mj;
    if (g->size_budget_kb > 0) e->over |= e->size > g->size_budget_kb;
    return EM_OK;
}

static int row_prepare(sp_context *c, const double *x, int *bits, cp_layer_stats *plan,
                       row_eval *e, em_error *err)
{
    int rc = row_cost(c, x, bits, plan, e, err);
    if (rc) return rc;
    c->timing.evaluated++;
    if (e->over) c->timing.rejected++;
    return EM_OK;
}

/* Natural-sense objectives and constraints of a measured row. */
static void row_objectives(const sp_context *c, const row_eval *e, double *f, double *gg)
{
    const sp_config *g = &c->cfg;
    int k = 0;
    switch (g->kind) {
    case SP_EMOMC_ENERGY: f[0] = e->acc; f[1] = e->energy; break;
    case SP_EMOMC_SIZE: f[0] = e->acc; f[1] = e->size; break;
    case SP_EMOMC_JOINT: f[0] = e->acc; f[1] = e->energy; f[2] = e->size; break;
    default: f[0] = e->nonzero; f[1] = e->acc; break;
    }
    if (g->kind == SP_SBO) gg[k++] = g->tau - e->acc;
    if (g->energy_budget_mj > 0) gg[k++] = e->energy - g->energy_budget_mj;
    if (g->size_budget_kb > 0) gg[k++] = e->size - g->size_budget_kb;
}

static int evaluate_dealt(sp_context *c, int n, const double *X, double *F, double *G,
                          em_error *err);

/* ---- racing (cfg.racing) ------------------------------------------------------- */


static int race_find(const race_table *t, const double *x, int nv)
{
    if (!t->nslot) return -1;
    for (size_t h = opt_genotype_hash(x, nv) & (t->nslot - 1);; h = (h + 1) & (t->nslot - 1)) {
        int r = t->slot[h];
        if (r < 0) return -1;
        if (!memcmp(t->xs + (size_t)r * nv, x, sizeof *x * (size_t)nv)) return r;
    }
}

static void race_slot_put(race_table *t, int nv, int r)
{
    size_t h = opt_genotype_hash(t->xs + (size_t)r * nv, nv) & (t->nslot - 1);
    while (t->slot[h] >= 0) h = (h + 1) & (t->nslot - 1);
    t->slot[h] = r;
}

/* Sets (or replaces) the record of genotype x. */
static int race_put(race_table *t, int nv, const double *x, const sp_race_record *rec)
{
    int r = race_find(t, x, nv);
    if (r >= 0) {
        t->rec[r] = *rec;
        return EM_OK;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        double *xs = realloc(t->xs, sizeof *xs * (size_t)cap * (size_t)nv);
        if (!xs) return EM_ENOMEM;
        t->xs = xs;
        sp_race_record *rc = realloc(t->rec, sizeof *rc * (size_t)cap);
        if (!rc) return EM_ENOMEM;
        t->rec = rc;
        t->cap = cap;
    }
    if ((size_t)(t->n + 1) * 2 > t->nslot) {
        size_t ns = t->nslot ? 2 * t->nslot : 128;
        int *slot = malloc(sizeof *slot * ns);
        if (!slot) return EM_ENOMEM;
        memset(slot, 0xff, sizeof *slot * ns);
        free(t->slot);
        t->slot = slot;
        t->nslot = ns;
        for (int i = 0; i < t->n; i++) race_slot_put(t, nv, i);
    }
    memcpy(t->xs + (size_t)t->n * nv, x, sizeof *x * (size_t)nv);
    t->rec[t->n] = *rec;
    race_slot_put(t, nv, t->n++);
    return EM_OK;
}

bool sp_context_race_record(const sp_context *c, const double *x, sp_race_record *out)
{
    int r = race_find(&c->races, x, problem_nvar(c));
    if (r < 0) return false;
    if (out) *out = c->races.rec[r];
    return true;
}

/* Adds a fully evaluated feasible point (natural accuracy, costs f[1..]). */
static int ref_push(sp_context *c, double acc, const double *f, int n_obj)
{
    if (c->n_ref == c->cap_ref) {
        int cap = c->cap_ref ? 2 * c->cap_ref : 64;
        double *r = realloc(c->ref, sizeof *r * (size_t)cap * (size_t)n_obj);
        if (!r) return EM_ENOMEM;
        c->ref = r;
        c->cap_ref = cap;
    }
    double *row = c->ref + (size_t)c->n_ref++ * (size_t)n_obj;
    row[0] = acc;
    for (int j = 1; j < n_obj; j++) row[j] = f[j];
    return EM_OK;
}

/* a_req: the largest accuracy of a reference point that costs no more than f (every
 * cost objective), -INFINITY when there is none. */
static double required_accuracy(const sp_context *c, const double *f, int n_obj)
{
    double best = -INFINITY;
    for (int i = 0; i < c->n_ref; i++) {
        const double *r = c->ref + (size_t)i * (size_t)n_obj;
        bool le = true;
        for (int j = 1; j < n_obj && le; j++) le = r[j] <= f[j];
        if (le && r[0] > best) best = r[0];
    }
    return best;
}

/* The observe callback (opt/problem.h): the reference set is the feasible, fully
 * evaluated (not raced) rows of the archive, in archive order. f is minimized:
 * f[0] = -accuracy. */
static void observe_row(void *user, const double *x, const double *f, const double *g)
{
    sp_context *c = user;
    if (!c->cfg.racing) return;
    const int n_con = problem_ncon(c), n_obj = problem_nobj(c);
    for (int j = 0; j < n_con; j++)
        if (g[j] > 0) return; /* over a budget: never measured */
    sp_race_record rec;
    if (!sp_context_race_record(c, x, &rec)) {
        c->race_missing = true;
        return;
    }
    if (!rec.raced && ref_push(c, -f[0], f, n_obj)) c->race_missing = true;
}

static void journal_line(sp_context *c, const double *x, const sp_race_record *r)
{
    const int nv = problem_nvar(c);
    for (int i = 0; i < nv; i++) fprintf(c->journal, "%.17g,", x[i]);
    fprintf(c->journal, "%d,%ld,%.17g,%.17g,%.17g,%d\n", r->images, r->correct, r->estimate,
            r->upper, r->required, r->raced ? 1 : 0);
}

int sp_context_racing_journal(sp_context *c, const char *path, bool resume, em_error *err)
{
    if (!c->cfg.racing) return EM_OK;
    const int nv = problem_nvar(c);
    if (resume) {
        FILE *f = fopen(path, "r");
        if (!f) return em_fail(err, EM_EIO, "%s: cannot read the racing journal: %s", path,
                               strerror(errno));
        char line[4096];
        double *x = malloc(sizeof *x * (size_t)nv);
        int rc = x ? EM_OK : em_fail(err, EM_ENOMEM, "out of memory");
        while (!rc && fgets(line, sizeof line, f)) {
            size_t len = strlen(line);
            if (!len || line[len - 1] != '\n') break; /* a torn last line: ignored */
            char *p = line, *end;
            sp_race_record r;
            memset(&r, 0, sizeof r);
            bool ok = true;
            for (int i = 0; i < nv && ok; i++, p = end + 1) {
                x[i] = strtod(p, &end);
                ok = end != p && *end == ',';
            }
            int raced = 0;
            if (ok && sscanf(p, "%d,%ld,%lf,%lf,%lf,%d", &r.images, &r.correct, &r.estimate,
                             &r.upper, &r.required, &raced) != 6)
                ok = false;
            if (!ok) {
                rc = em_fail(err, EM_EFORMAT, "%s: a malformed racing record", path);
                break;
            }
            r.raced = raced != 0;
            if (race_put(&c->races, nv, x, &r)) rc = em_fail(err, EM_ENOMEM, "out of memory");
        }
        free(x);
        fclose(f);
        if (rc) return rc;
        /* rewrite it whole (dropping a torn tail), then append */
        em_atomic_file af;
        if ((rc = em_atomic_open(&af, path, err))) return rc;
        c->journal = af.fp;
        for (int i = 0; i < c->races.n; i++) journal_line(c, c->races.xs + (size_t)i * nv, &c->races.rec[i]);
        c->journal = NULL;
        if ((rc = em_atomic_commit(&af, err))) return rc;
    }
    c->journal = fopen(path, resume ? "a" : "w");
    if (!c->journal) return em_fail(err, EM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return EM_OK;
}

int sp_context_racing_status(const sp_context *c, em_error *err)
{
    if (c->race_missing)
        return em_fail(err, EM_EFORMAT, "racing: an archived evaluation has no racing record "
                       "(racing.journal is missing or older than the checkpoint): the run "
                       "cannot be resumed exactly");
    return EM_OK;
}

/* The racing accuracy of the work network as compress_candidate left it (costs f,
 * natural sense): the stages of the permuted search set in turn, each chunk from the
 * store (its prefix's accuracy) or by inference (then stored), until the upper bound
 * falls below a_req (raced: the accuracy is the estimate k/m) or every image is
 * counted (the full accuracy, exactly that of the whole permuted set). */
static int accuracy_race(sp_context *c, const double *x, const double *f, double *acc,
                         em_error *err)
{
    const int N = c->search_used, S = c->n_stages, n_obj = problem_nobj(c);
    sp_race_record rec;
    memset(&rec, 0, sizeof rec);
    rec.upper = NAN;
    const double areq = required_accuracy(c, f, n_obj);
    rec.required = isfinite(areq) ? areq : NAN;
    long k = 0;
    int m = 0, rc = EM_OK;
    bool done = false, inferred = false;
    sp_store_key key;
    snprintf(key.weights, sizeof key.weights, "%s", c->cur_weights ? c->cur_weights : "");
    key.plan = c->cur_plan;
    if (!isfinite(areq) && c->store) { /* no race: the whole set's accuracy may be stored */
        snprintf(key.images, sizeof key.images, "%s", c->stage_sha[S - 1]);
        double a;
        if ((rc = sp_store_get(c->store, &key, &a, &done, err))) return rc;
        if (done) k = lrint(a * N), m = N;
    }
    nn_eval_result *r = malloc(sizeof *r);
    if (!r) return em_fail(err, EM_ENOMEM, "out of memory");
    double t0 = em_now_seconds();
    for (int j = 0; j < S && !done && !rc; j++) {
        const int mj = c->stage_end[j];
        bool found = false;
        snprintf(key.images, sizeof key.images, "%s", c->stage_sha[j]);
        double a;
        if (c->store && (rc = sp_store_get(c->store, &key, &a, &found, err))) break;
        if (found) {
            k = lrint(a * mj);
        } else {
            double ts = em_now_seconds();
            if ((rc = nn_evaluate(c->net, c->stage_ds[j], EVAL_BATCH, 0, r, err))) break;
            k += r->correct;
            inferred = true;
            if (c->store && (rc = sp_store_put(c->store, &key, (double)k / (double)mj, mj,
                                               em_now_seconds() - ts, err)))
                break;
        }
        m = mj;
        if (m < N) {
            rec.upper = sp_racing_bound(k, m, N, S, c->cfg.racing_delta);
            if (rec.upper < areq) rec.raced = done = true;
        }
    }
    free(r);
    if (rc) return rc;
    if (inferred) {
        c->timing.inference += em_now_seconds() - t0;
        c->timing.inferences++;
    } else {
        c->timing.store_hits++;
    }
    rec.images = m;
    rec.correct = k;
    rec.estimate = (double)k / (double)m;
    *acc = rec.estimate;
    if (race_put(&c->races, problem_nvar(c), x, &rec)) return em_fail(err, EM_ENOMEM, "out of memory");
    if (c->journal) journal_line(c, x, &rec);
    return EM_OK;
}

/* The opt/ callback: n candidates, natural-sense objectives. Under MPI, or with
 * parallel_candidates > 1, the inferences are dealt (evaluate_dealt); racing
 * (never with either: sp_config_validate, sp_run) measures them in turn here. */
static int evaluate_batch(void *user, int n, const double *X, double *F, double *G, em_error *err)
{
    sp_context *c = user;
    if (!c->cfg.racing && (sp_mpi_size() > 1 || c->cfg.parallel_candidates > 1))
        return evaluate_dealt(c, n, X, F, G, err);
    if (c->race_missing) return sp_context_racing_status(c, err);
    cp_layer_stats *plan = calloc((size_t)c->n_compute, sizeof *plan);
    int *bits = calloc((size_t)c->n_compute, sizeof *bits);
    int rc = !plan || !bits ? em_fail(err, EM_ENOMEM, "out of memory") : EM_OK;
    const int n_var = problem_nvar(c), n_obj = problem_nobj(c), n_con = problem_ncon(c);
    const int n_ref0 = c->n_ref;
    for (int r = 0; r < n && !rc; r++) {
        const double *x = X + (size_t)r * (size_t)n_var;
        double *f = F + (size_t)r * (size_t)n_obj;
        row_eval e;
        if ((rc = row_prepare(c, x, bits, plan, &e, err))) break;
        if (!e.over && c->cfg.racing) {
            row_objectives(c, &e, f, G ? G + (size_t)r * (size_t)n_con : NULL); /* the costs */
            if ((rc = accuracy_race(c, x, f, &e.acc, err))) break;
            sp_race_record rec;
            /* a kept row joins the reference set for the rest of the batch (the
             * evaluator's observe calls rebuild the same set after it) */
            if (sp_context_race_record(c, x, &rec) && !rec.raced &&
                ref_push(c, e.acc, f, n_obj))
                rc = em_fail(err, EM_ENOMEM, "out of memory");
        } else if (!e.over && (rc = accuracy(c, false, &e.acc, err))) {
            break;
        }
        row_objectives(c, &e, f, G ? G + (size_t)r * (size_t)n_con : NULL);
    }
    c->n_ref = n_ref0;
    if (c->journal && (fflush(c->journal) || fsync(fileno(c->journal))) && !rc)
        rc = em_fail(err, EM_EIO, "racing journal: cannot write: %s", strerror(errno));
    free(plan);
    free(bits);
    return rc;
}

/* The cheap callback (opt_problem_set_cheap) of the emomc-* problems: the cost
 * objectives and the budget constraints of n candidates, by compressing each and
 * calling the estimator exactly as evaluate_batch does (row_cost), without inference.
 * The accuracy entries are left alone. */
static int evaluate_cheap(void *user, int n, const double *X, double *F, double *G,
                          em_error *err)
{
    sp_context *c = user;
    double t0 = em_now_seconds();
    cp_layer_stats *plan = calloc((size_t)c->n_compute, sizeof *plan);
    int *bits = calloc((size_t)c->n_compute, sizeof *bits);
    int rc = !plan || !bits ? em_fail(err, EM_ENOMEM, "out of memory") : EM_OK;
    const int n_var = problem_nvar(c), n_obj = problem_nobj(c), n_con = problem_ncon(c);
    double *f = malloc(sizeof *f * (size_t)n_obj), *gg = malloc(sizeof *gg * (size_t)(n_con + 1));
    if (!rc && (!f || !gg)) rc = em_fail(err, EM_ENOMEM, "out of memory");
    for (int r = 0; r < n && !rc; r++) {
        row_eval e;
        if ((rc = row_cost(c, X + (size_t)r * (size_t)n_var, bits, plan, &e, err))) break;
        row_objectives(c, &e, f, gg);
        for (int j = 1; j < n_obj; j++) F[(size_t)r * (size_t)n_obj + j] = f[j];
        for (int j = 0; j < n_con; j++) G[(size_t)r * (size_t)n_con + j] = gg[j];
    }
    c->timing.cheap_evals += n;
    c->timing.cheap += em_now_seconds() - t0;
    free(plan);
    free(bits);
    free(f);
    free(gg);
    return rc;
}

/* ---- several candidates at once (cfg.parallel_candidates) ----------------------- */

/* Makes workers 1..k-1: shallow copies of c that borrow its model, library members,
 * weights and data sets (read-only while workers run), each with its own work
 * network, plan and stats, and nothing of c's store, racing state or journal. */
static int ensure_workers(sp_context *c, int k, em_error *err)
{
    if (c->n_workers >= k - 1) return EM_OK;
    sp_context **ws = realloc(c->workers, sizeof *ws * (size_t)(k - 1));
    if (!ws) return em_fail(err, EM_ENOMEM, "out of memory");
    c->workers = ws;
    while (c->n_workers < k - 1) {
        sp_context *w = malloc(sizeof *w);
        if (!w) return em_fail(err, EM_ENOMEM, "out of memory");
        *w = *c;
        w->parent = c;
        w->workers = NULL, w->n_workers = 0;
        w->store = NULL, w->journal = NULL, w->ref = NULL, w->n_ref = w->cap_ref = 0;
        memset(&w->races, 0, sizeof w->races);
        w->net = NULL, w->stats = NULL;
        int rc = nn_net_new(c->arch, &w->net, err);
        if (rc) {
            free(w);
            return rc;
        }
        c->workers[c->n_workers++] = w;
    }
    return EM_OK;
}

/* Splits the run's threads (cfg.threads, 0: all cores) over k workers, the first
 * ones taking the remainder, at least one each; k = 0 restores c's own setting. */
static void split_threads(sp_context *c, int k)
{
    nn_net_set_threads(c->net, c->cfg.threads);
    if (k <= 1) return;
    const int T = nn_net_threads(c->net);
    for (int w = 0; w < k; w++) {
        int t = T / k + (w < T % k);
        nn_net_set_threads(w ? c->workers[w - 1]->net : c->net, t > 0 ? t : 1);
    }
}

typedef struct acc_job {
    sp_context *c;
    const double *xs; /* k x n_var genotypes */
    double *acc, *sec;
} acc_job;

/* One item of accuracies(): candidate i compressed and measured by worker w. */
static int acc_item(void *user, int w, int i, em_error *err)
{
    acc_job *j = user;
    sp_context *c = w ? j->c->workers[w - 1] : j->c;
    const double *x = j->xs + (size_t)i * (size_t)problem_nvar(c);
    const size_t nl = (size_t)(c->n_compute ? c->n_compute : 1);
    cp_layer_stats *plan = calloc(nl, sizeof *plan);
    int *bits = calloc(nl, sizeof *bits);
    double t0 = em_now_seconds();
    int rc = !plan || !bits ? em_fail(err, EM_ENOMEM, "out of memory") : EM_OK;
    if (!rc) rc = compress_candidate(c, x, bits, plan, err);
    if (!rc) rc = accuracy_untimed(c, false, &j->acc[i], err);
    j->sec[i] = em_now_seconds() - t0;
    free(plan);
    free(bits);
    return rc;
}

/* The search-set accuracies of k genotypes xs (no store, no racing), by up to
 * cfg.parallel_candidates workers at once; sec[i] the seconds candidate i took.
 * Each accuracy is what measuring it alone on c's network gives: compression starts
 * from the member's weights, and forwards do not depend on the thread count. The
 * library members the genotypes name are loaded here, before the workers start. */
static int accuracies(sp_context *c, const double *xs, int k, double *acc, double *sec,
                      em_error *err)
{
    int K = c->cfg.parallel_candidates < k ? c->cfg.parallel_candidates : k;
    int rc = K > 1 ? ensure_workers(c, K, err) : EM_OK;
    for (int i = 0; i < k && K > 1 && !rc && c->cfg.kind != SP_SBO; i++) /* members first */
        rc = member_ready(c, (int)xs[(size_t)i * (size_t)problem_nvar(c)], err);
    if (rc) return rc;
    acc_job j = {c, xs, acc, sec};
    split_threads(c, K);
    rc = sp_parallel_for(K, k, acc_item, &j, err);
    split_threads(c, 0);
    return rc;
}

/* ---- dealing a batch (parallel workers, MPI ranks) -------------------------------- */

/* A batch being dealt: each row's measurement, the rows that need inference
 * (miss[0..n_miss-1], in row order) and, with a store, each row's store key and the
 * earlier miss with the same key (dup_of, -1: none), which a serial run would find
 * in the store. */
typedef struct dealt {
    int n, n_miss;
    row_eval *e;
    int *miss, *dup_of;
    char (*plans)[PLAN_TEXT];
    const char **weights;
    double *row_sec;        /* seconds each miss's measurement took */
    double *xs, *acc, *sec; /* scratch: genotypes, accuracies and seconds of a share */
} dealt;

static void dealt_free(dealt *d)
{
    free(d->e), free(d->miss), free(d->dup_of), free(d->plans), free(d->weights);
    free(d->row_sec), free(d->xs), free(d->acc), free(d->sec);
}

static int dealt_alloc(dealt *d, int n, int n_var, em_error *err)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->e = calloc((size_t)n, sizeof *d->e);
    d->miss = malloc(sizeof *d->miss * (size_t)n);
    d->dup_of = malloc(sizeof *d->dup_of * (size_t)n);
    d->plans = malloc(sizeof *d->plans * (size_t)n);
    d->weights = calloc((size_t)n, sizeof *d->weights);
    d->xs = malloc(sizeof *d->xs * (size_t)n * (size_t)n_var);
    d->acc = malloc(sizeof *d->acc * 2 * (size_t)n);
    d->sec = malloc(sizeof *d->sec * (size_t)n);
    d->row_sec = calloc((size_t)n, sizeof *d->row_sec);
    if (!d->e || !d->miss || !d->dup_of || !d->plans || !d->weights || !d->xs || !d->acc || !d->sec ||
        !d->row_sec)
        return em_fail(err, EM_ENOMEM, "out of memory");
    return EM_OK;
}

static void dealt_key(const sp_context *c, const dealt *d, int r, sp_store_key *key)
{
    snprintf(key->weights, sizeof key->weights, "%s", d->weights[r] ? d->weights[r] : "");
    key->plan = d->plans[r];
    snprintf(key->images, sizeof key->images, "%s", c->search_sha);
}

/* The earlier miss whose store key equals row r's, or -1. */
static int dealt_dup(const dealt *d, int r)
{
    for (int j = 0; j < d->n_miss; j++) {
        int q = d->miss[j];
        if (!strcmp(d->plans[q], d->plans[r]) &&
            !strcmp(d->weights[q] ? d->weights[q] : "", d->weights[r] ? d->weights[r] : ""))
            return q;
    }
    return -1;
}

/* Every row's compression, cost, budget and store lookup, on c's network and in row
 * order (this also loads every library member the batch names); fills the misses. */
static int dealt_prepare(sp_context *c, const double *X, dealt *d, em_error *err)
{
    const int n_var = problem_nvar(c);
    cp_layer_stats *plan = calloc((size_t)(c->n_compute ? c->n_compute : 1), sizeof *plan);
    int *bits = calloc((size_t)(c->n_compute ? c->n_compute : 1), sizeof *bits);
    int rc = !plan || !bits ? em_fail(err, EM_ENOMEM, "out of memory") : EM_OK;
    for (int r = 0; r < d->n && !rc; r++) {
        const double *x = X + (size_t)r * (size_t)n_var;
        d->dup_of[r] = -1;
        if ((rc = row_prepare(c, x, bits, plan, &d->e[r], err)) || d->e[r].over) continue;
        d->weights[r] = c->cur_weights;
        memcpy(d->plans[r], c->cur_plan, sizeof d->plans[r]);
        bool found = false;
        if (c->store) {
            sp_store_key key;
            dealt_key(c, d, r, &key);
            if ((rc = sp_store_get(c->store, &key, &d->e[r].acc, &found, err))) break;
            if (!found && (d->dup_of[r] = dealt_dup(d, r)) >= 0) found = true;
            if (found) c->timing.store_hits++;
        }
        if (!found) d->miss[d->n_miss++] = r;
    }
    free(plan);
    free(bits);
    return rc;
}

/* Rank 0's share of the misses (j % size == 0), measured by its workers. */
static int dealt_local(sp_context *c, const double *X, dealt *d, int size, em_error *err)
{
    const int n_var = problem_nvar(c);
    int k = 0;
    for (int j = 0; j < d->n_miss; j += size)
        memcpy(d->xs + (size_t)k++ * (size_t)n_var, X + (size_t)d->miss[j] * (size_t)n_var,
               sizeof *d->xs * (size_t)n_var);
    double t0 = em_now_seconds();
    int rc = accuracies(c, d->xs, k, d->acc, d->sec, err);
    if (rc) return rc;
    c->timing.inference += em_now_seconds() - t0; /* wall time, however many workers */
    c->timing.inferences += k;
    for (int j = 0, i = 0; j < d->n_miss; j += size, i++) {
        d->e[d->miss[j]].acc = d->acc[i];
        d->row_sec[d->miss[j]] = d->sec[i];
    }
    return EM_OK;
}

/* Sends rank w its share of the misses (j % size == w). */
static int dealt_send(sp_context *c, const double *X, dealt *d, int w, int size, em_error *err)
{
    const int n_var = problem_nvar(c);
    int k = 0;
    for (int j = w; j < d->n_miss; j += size)
        memcpy(d->xs + (size_t)k++ * (size_t)n_var, X + (size_t)d->miss[j] * (size_t)n_var,
               sizeof *d->xs * (size_t)n_var);
    if (sp_mpi_send_ints(&k, 1, w, SP_MPI_TAG_WORK) ||
        (k && sp_mpi_send_doubles(d->xs, k * n_var, w, SP_MPI_TAG_WORK)))
        return em_fail(err, EM_EIO, "MPI: cannot send work to rank %d", w);
    return EM_OK;
}

/* Receives rank w's accuracies and seconds (pairs), or its error. */
static int dealt_gather(sp_context *c, dealt *d, int w, int size, em_error *err)
{
    int k = 0;
    for (int j = w; j < d->n_miss; j += size) k++;
    if (!k) return EM_OK;
    if (sp_mpi_recv_doubles(d->acc, 2 * k, w, SP_MPI_TAG_RESULT))
        return em_fail(err, EM_EIO, "MPI: no results from rank %d", w);
    int status = 0;
    sp_mpi_recv_ints(&status, 1, w, SP_MPI_TAG_MSG);
    if (status) {
        char msg[512];
        sp_mpi_recv_text(msg, sizeof msg, w, SP_MPI_TAG_MSG);
        return em_fail(err, EM_EIO, "rank %d: %s", w, msg);
    }
    for (int j = w, i = 0; j < d->n_miss; j += size, i++) {
        d->e[d->miss[j]].acc = d->acc[2 * i];
        d->row_sec[d->miss[j]] = d->acc[2 * i + 1];
        c->timing.inference += d->acc[2 * i + 1];
        c->timing.inferences++;
    }
    return EM_OK;
}

/* A batch dealt (MPI, or parallel_candidates > 1): costs, budgets and store lookups
 * here, in row order; the misses dealt round-robin over the ranks (this one too:
 * its share over its workers); then, in row order again, the accuracies stored and
 * the copies of a miss (the same key) given its accuracy. Every number, the store's
 * rows and their order are those of measuring the rows one after the other. */
static int evaluate_dealt(sp_context *c, int n, const double *X, double *F, double *G,
                          em_error *err)
{
    const int n_obj = problem_nobj(c), n_con = problem_ncon(c), size = sp_mpi_size();
    dealt d;
    int rc = dealt_alloc(&d, n, problem_nvar(c), err);
    if (!rc) rc = dealt_prepare(c, X, &d, err);
    int sent = 1; /* ranks 1..sent-1 have their share */
    for (; sent < size && !rc; sent++) rc = dealt_send(c, X, &d, sent, size, err);
    if (rc) sent--;
    if (!rc) rc = dealt_local(c, X, &d, size, err);
    for (int w = 1; w < sent; w++) { /* gather, also after an error, so no rank waits */
        int grc = dealt_gather(c, &d, w, size, rc ? NULL : err);
        if (!rc) rc = grc;
    }
    for (int j = 0; j < d.n_miss && !rc && c->store; j++) {
        const int r = d.miss[j];
        sp_store_key key;
        dealt_key(c, &d, r, &key);
        rc = sp_store_put(c->store, &key, d.e[r].acc, c->search_used, d.row_sec[r], err);
    }
    for (int r = 0; r < n && !rc; r++) {
        if (d.dup_of[r] >= 0) d.e[r].acc = d.e[d.dup_of[r]].acc;
        row_objectives(c, &d.e[r], F + (size_t)r * (size_t)n_obj, G ? G + (size_t)r * (size_t)n_con : NULL);
    }
    dealt_free(&d);
    return rc;
}

/* ---- many ranks (search/mpi.h) --------------------------------------------------- */

/* One share of work from rank 0: k genotypes measured, the pairs (accuracy,
 * seconds) and a status (with the message on error) sent back. */
static int serve_share(sp_context *c, int k, em_error *err)
{
    const int n_var = problem_nvar(c);
    double *xs = malloc(sizeof *xs * (size_t)k * (size_t)n_var);
    double *acc = calloc((size_t)k, sizeof *acc), *sec = calloc((size_t)k, sizeof *sec);
    double *res = calloc(2 * (size_t)k, sizeof *res);
    if (!xs || !acc || !sec || !res || sp_mpi_recv_doubles(xs, k * n_var, 0, SP_MPI_TAG_WORK)) {
        free(xs), free(acc), free(sec), free(res);
        return em_fail(err, EM_EIO, "MPI: cannot receive work");
    }
    em_error werr = {0};
    int status = accuracies(c, xs, k, acc, sec, &werr) != EM_OK;
    for (int i = 0; i < k; i++) res[2 * i] = acc[i], res[2 * i + 1] = sec[i];
    sp_mpi_send_doubles(res, 2 * k, 0, SP_MPI_TAG_RESULT);
    sp_mpi_send_ints(&status, 1, 0, SP_MPI_TAG_MSG);
    if (status) sp_mpi_send_text(werr.msg, 0, SP_MPI_TAG_MSG);
    free(xs), free(acc), free(sec), free(res);
    return EM_OK;
}

int sp_context_serve(sp_context *c, em_error *err)
{
    for (;;) {
        int k = 0;
        if (sp_mpi_recv_ints(&k, 1, 0, SP_MPI_TAG_WORK)) return em_fail(err, EM_EIO, "MPI: lost rank 0");
        if (k < 0) return EM_OK; /* the run is over */
        if (k == 0) continue;    /* nothing for this rank in this batch, and no reply */
        int rc = serve_share(c, k, err);
        if (rc) return rc;
    }
}

void sp_mpi_stop_workers(void)
{
    const int stop = -1;
    for (int w = 1; w < sp_mpi_size(); w++) sp_mpi_send_ints(&stop, 1, w, SP_MPI_TAG_WORK);
}

int sp_problem_new(sp_context *c, opt_problem **out, em_error *err)
{
    const sp_config *g = &c->cfg;
    const int n_var = problem_nvar(c), n_obj = problem_nobj(c), n_con = problem_ncon(c);
    opt_problem *p = NULL;
    int rc = opt_problem_new(sp_kind_name(g->kind), n_var, n_obj, n_con, evaluate_batch, c, &p, err);
    if (rc) return rc;
    if (g->kind == SP_SBO) {
        static const char *const names[7] = {"method_linear", "method_conv", "pruned_linear",
                                             "pruned_conv", "what_linear", "what_conv", "dynq"};
        for (int i = 0; i < 7 && !rc; i++) {
            if (i == 2 || i == 3) rc = opt_var_real(p, i, names[i], 0.0, 0.95, err);
            else rc = opt_var_cat(p, i, names[i], i == 6 ? 2 : 3, err);
        }
        snprintf(p->obj_names[0], sizeof p->obj_names[0], "nonzero_rate");
        snprintf(p->obj_names[1], sizeof p->obj_names[1], "accuracy");
        p->maximize[1] = true;
        snprintf(p->con_names[0], sizeof p->con_names[0], "tau_minus_accuracy");
    } else {
        rc = opt_var_int(p, 0, "member", 0, c->n_members - 1, err);
        for (int i = 0; i < c->n_compute && !rc; i++) {
            char name[32];
            snprintf(name, sizeof name, "bits_%.26s", c->arch->layers[c->compute[i]].name);
            rc = opt_var_int(p, 1 + i, name, g->bits_lo, g->bits_hi, err);
        }
        if (!rc && g->kind == SP_EMOMC_JOINT) {
            rc = opt_var_cat(p, n_var - 2, "dataflow", DF_NBUILTIN, err);
            if (!rc) rc = opt_var_cat(p, n_var - 1, "coding", CODING_KIND_COUNT, err);
        }
        snprintf(p->obj_names[0], sizeof p->obj_names[0], "accuracy");
        p->maximize[0] = true;
        snprintf(p->obj_names[1], sizeof p->obj_names[1], "%s",
                 g->kind == SP_EMOMC_SIZE ? "size_kb" : "energy_mj");
        if (n_obj == 3) snprintf(p->obj_names[2], sizeof p->obj_names[2], "size_kb");
        int k = 0;
        if (g->energy_budget_mj > 0) snprintf(p->con_names[k++], 32, "energy_over_budget");
        if (g->size_budget_kb > 0) snprintf(p->con_names[k++], 32, "size_over_budget");
        /* Costs and budgets are exact without inference: cheap (opt/sbo.h never
         * models them); only the accuracy is expensive. */
        bool mask[3 + 2];
        for (int t = 0; t < n_obj + n_con; t++) mask[t] = t > 0;
        if (!rc) rc = opt_problem_set_cheap(p, mask, evaluate_cheap, c, err);
        if (g->racing) opt_problem_set_observe(p, observe_row, c);
    }
    if (rc) {
        opt_problem_free(p);
        return rc;
    }
    *out = p;
    return EM_OK;
}
