/* nn/train.c: the epoch loop with checkpoints and resume, and batched evaluation
 * (see nn/train.h). */
#include "nn/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "nn/weights.h"

void nn_train_cfg_default(nn_train_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->epochs = 1;
    c->batch = 64;
    nn_optim_cfg_default(&c->optim, NN_OPT_SGD);
    c->schedule = NN_SCHED_CONSTANT;
    c->seed = 1;
}

void nn_train_recipe(const nn_train_cfg *c, char *buf, size_t n)
{
    const nn_optim_cfg *o = &c->optim;
    int at;
    if (o->kind == NN_OPT_ADAM)
        at = snprintf(buf, n, "optimizer=adam lr=%g betas=%g,%g eps=%g wd=%g", o->lr, o->beta1,
                      o->beta2, o->eps, o->weight_decay);
    else
        at = snprintf(buf, n, "optimizer=sgd lr=%g momentum=%g dampening=%g nesterov=%d wd=%g",
                      o->lr, o->momentum, o->dampening, o->nesterov ? 1 : 0, o->weight_decay);
    if (at < 0 || (size_t)at >= n) return;
    at += snprintf(buf + at, n - (size_t)at, " schedule=%s", nn_sched_kind_name(c->schedule));
    if (c->schedule == NN_SCHED_STEP && (size_t)at < n)
        at += snprintf(buf + at, n - (size_t)at, " step_epochs=%d gamma=%g", c->step_epochs,
                       c->gamma);
    if ((size_t)at < n)
        snprintf(buf + at, n - (size_t)at, " epochs=%d batch=%d crop_pad=%d flip=%d seed=%llu",
                 c->epochs, c->batch, c->aug_pad, c->aug_flip ? 1 : 0,
                 (unsigned long long)c->seed);
}

/* Seed of epoch e's generators: a splitmix-style mix of the run seed and e. */
static uint64_t epoch_seed(uint64_t seed, int e, uint64_t salt)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (uint64_t)(e + 1) + salt;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int write_checkpoint(nn_net *net, const nn_optim *opt, const char *path,
                            const char *recipe, int epochs_done, const nn_train_result *r,
                            int n_train, em_error *err)
{
    nn_weights *w;
    int rc = nn_weights_from_net(net, &w, err);
    if (rc) return rc;
    char v[64];
    rc = nn_weights_set_meta(w, "kind", "checkpoint", err);
    if (!rc) rc = nn_weights_set_meta(w, "model", nn_net_arch(net)->name, err);
    if (!rc) rc = nn_weights_set_meta(w, "train.recipe", recipe, err);
    snprintf(v, sizeof v, "%d", epochs_done);
    if (!rc) rc = nn_weights_set_meta(w, "train.epochs_done", v, err);
    snprintf(v, sizeof v, "%d", n_train);
    if (!rc) rc = nn_weights_set_meta(w, "train.images", v, err);
    snprintf(v, sizeof v, "%.6f", r->train_loss);
    if (!rc) rc = nn_weights_set_meta(w, "train.loss", v, err);
    snprintf(v, sizeof v, "%.6f", r->val_accuracy);
    if (!rc) rc = nn_weights_set_meta(w, "train.val_accuracy", v, err);
    if (!rc) rc = nn_optim_save_state(opt, w, err);
    if (!rc) rc = nn_weights_save(w, path, err);
    nn_weights_free(w);
    return rc;
}

static int read_checkpoint(nn_net *net, nn_optim *opt, const char *path, const char *recipe,
                           int n_train, int *epochs_done, em_error *err)
{
    nn_weights *w;
    int rc = nn_weights_load(path, &w, err);
    if (rc) return rc;
    const char *kind = nn_weights_meta(w, "kind"), *rec = nn_weights_meta(w, "train.recipe");
    const char *done = nn_weights_meta(w, "train.epochs_done");
    const char *imgs = nn_weights_meta(w, "train.images");
    if (!kind || strcmp(kind, "checkpoint") || !rec || !done || !imgs) {
        rc = em_fail(err, EM_EFORMAT, "%s: not a training checkpoint (weights only?)", path);
    } else if (strcmp(rec, recipe)) {
        rc = em_fail(err, EM_EINVAL,
                     "%s: the checkpoint was made with a different recipe:\n  checkpoint: %s\n"
                     "  this run:   %s",
                     path, rec, recipe);
    } else if (atoi(imgs) != n_train) {
        rc = em_fail(err, EM_EINVAL,
                     "%s: the checkpoint was trained on %s images, this run has %d", path, imgs,
                     n_train);
    } else {
        char *end;
        long d = strtol(done, &end, 10);
        if (*end || d < 0)
            rc = em_fail(err, EM_EFORMAT, "%s: bad train.epochs_done '%s'", path, done);
        else
            *epochs_done = (int)d;
    }
    if (!rc) rc = nn_weights_apply(w, net, path, err);
    if (!rc) rc = nn_optim_load_state(opt, w, path, err);
    nn_weights_free(w);
    return rc;
}

int nn_train(nn_net *net, const nn_dataset *train, const nn_dataset *val,
             const nn_train_cfg *cfg, const char *resume, nn_train_result *res, em_error *err)
{
    const nn_arch *a = nn_net_arch(net);
    nn_train_result r = {0};
    r.val_accuracy = -1;
    if (cfg->epochs <= 0 || cfg->batch <= 0)
        return em_fail(err, EM_EINVAL, "train: epochs (%d) and batch (%d) must be positive",
                       cfg->epochs, cfg->batch);
    if (train->classes > a->classes)
        return em_fail(err, EM_EINVAL, "train: data set has %d classes, model %s has %d outputs",
                       train->classes, a->name, a->classes);
    if (nn_net_is_folded(net))
        return em_fail(err, EM_EINVAL, "train: the network's batch norm is folded (inference only)");
    if (cfg->aug_pad < 0 || cfg->aug_pad > 16)
        return em_fail(err, EM_EINVAL, "train: crop padding %d out of range [0, 16]", cfg->aug_pad);

    char recipe[512];
    nn_train_recipe(cfg, recipe, sizeof recipe);
    nn_batcher b;
    int rc = nn_batcher_init(&b, train, cfg->batch, true, cfg->seed, a->input.c, a->input.h,
                             a->input.w, err);
    if (rc) return rc;
    b.aug_pad = cfg->aug_pad;
    b.aug_flip = cfg->aug_flip;
    nn_schedule sched;
    rc = nn_schedule_init(&sched, cfg->schedule, cfg->optim.lr, cfg->epochs,
                          nn_batcher_batches_per_epoch(&b), err);
    if (cfg->step_epochs > 0) sched.step_epochs = cfg->step_epochs;
    if (cfg->gamma > 0) sched.gamma = cfg->gamma;
    nn_optim *opt = NULL;
    if (!rc) rc = nn_optim_new_for_net(&cfg->optim, net, &opt, err);
    int start = 0;
    if (!rc && resume) rc = read_checkpoint(net, opt, resume, recipe, train->n, &start, err);
    size_t in_size = (size_t)a->input.c * a->input.h * a->input.w;
    float *x = NULL, *logits = NULL, *dlogits = NULL;
    int *y = NULL;
    if (!rc) {
        x = malloc(sizeof *x * in_size * (size_t)cfg->batch);
        logits = malloc(sizeof *logits * (size_t)a->classes * (size_t)cfg->batch);
        dlogits = malloc(sizeof *dlogits * (size_t)a->classes * (size_t)cfg->batch);
        y = malloc(sizeof *y * (size_t)cfg->batch);
        if (!x || !logits || !dlogits || !y) rc = em_fail(err, EM_ENOMEM, "train: out of memory");
    }
    r.epochs_done = start;
    double t_start = em_now_seconds();
    int end = cfg->epochs;
    if (cfg->stop_after > 0 && start + cfg->stop_after < end) end = start + cfg->stop_after;
    for (int e = start; e < end && !rc; e++) {
        em_rng_seed(&b.rng, epoch_seed(cfg->seed, e, 1));
        nn_net_seed_dropout(net, epoch_seed(cfg->seed, e, 2));
        nn_batcher_reset(&b);
        int64_t t = (int64_t)e * sched.steps_per_epoch;
        double loss_sum = 0, t0 = em_now_seconds();
        long correct = 0, seen = 0;
        nn_train_progress pr = {0};
        pr.epoch = e;
        pr.epochs = cfg->epochs;
        pr.batches = nn_batcher_batches_per_epoch(&b);
        pr.val_accuracy = -1;
        int m;
        while (!rc && (m = nn_batcher_next(&b, x, y)) > 0) {
            double lr = nn_schedule_lr(&sched, t++);
            nn_optim_set_lr(opt, lr);
            nn_net_zero_grad(net);
            rc = nn_net_forward(net, x, m, logits, true, err);
            if (rc) break;
            double loss = nn_softmax_xent(logits, y, m, a->classes, dlogits);
            if (!isfinite(loss)) {
                rc = em_fail(err, EM_EINVAL,
                             "train: loss became %g in epoch %d (learning rate %g too high?)",
                             loss, e + 1, lr);
                break;
            }
            rc = nn_net_backward(net, dlogits, NULL, err);
            if (rc) break;
            nn_optim_step(opt);
            nn_net_apply_masks(net);
            loss_sum += loss * m;
            for (int i = 0; i < m; i++) correct += nn_argmax(logits + (size_t)i * a->classes,
                                                             a->classes) == y[i];
            seen += m;
            if (cfg->progress) {
                double dt = em_now_seconds() - t0;
                pr.batch++;
                pr.loss = loss_sum / (double)seen;
                pr.accuracy = (double)correct / (double)seen;
                pr.images_per_s = dt > 0 ? (double)seen / dt : 0;
                pr.lr = lr;
                cfg->progress(&pr, cfg->progress_ctx);
            }
        }
        if (rc) break;
        r.train_loss = seen ? loss_sum / (double)seen : 0;
        r.train_accuracy = seen ? (double)correct / (double)seen : 0;
        if (val) {
            nn_eval_result *ev = malloc(sizeof *ev);
            if (!ev) {
                rc = em_fail(err, EM_ENOMEM, "train: out of memory");
                break;
            }
            rc = nn_evaluate(net, val, cfg->batch < 256 ? 256 : cfg->batch, 0, ev, err);
            r.val_accuracy = ev->accuracy;
            free(ev);
            if (rc) break;
        }
        r.epochs_done = e + 1;
        if (cfg->checkpoint)
            rc = write_checkpoint(net, opt, cfg->checkpoint, recipe, e + 1, &r, train->n, err);
        if (cfg->progress) {
            pr.epoch_done = true;
            pr.loss = r.train_loss;
            pr.accuracy = r.train_accuracy;
            pr.val_accuracy = r.val_accuracy;
            pr.epoch_seconds = em_now_seconds() - t0;
            pr.images_per_s = pr.epoch_seconds > 0 ? seen / pr.epoch_seconds : 0;
            cfg->progress(&pr, cfg->progress_ctx);
        }
    }
    if (!rc && r.epochs_done == start && val) {
        /* Nothing left to train (a finished checkpoint): still report validation. */
        nn_eval_result *ev = malloc(sizeof *ev);
        if (!ev) rc = em_fail(err, EM_ENOMEM, "train: out of memory");
        if (!rc) rc = nn_evaluate(net, val, 256, 0, ev, err);
        if (!rc) r.val_accuracy = ev->accuracy;
        free(ev);
    }
    r.epochs_run = r.epochs_done - start;
    r.seconds = em_now_seconds() - t_start;
    free(x);
    free(logits);
    free(dlogits);
    free(y);
    nn_optim_free(opt);
    nn_batcher_free(&b);
    if (res) *res = r;
    return rc;
}

int nn_evaluate(nn_net *net, const nn_dataset *ds, int batch, int limit, nn_eval_result *r,
                em_error *err)
{
    const nn_arch *a = nn_net_arch(net);
    memset(r, 0, sizeof *r);
    if (batch <= 0) return em_fail(err, EM_EINVAL, "eval: batch %d must be positive", batch);
    if (ds->classes > a->classes || a->classes > NN_EVAL_MAX_CLASSES)
        return em_fail(err, EM_EINVAL, "eval: data set has %d classes, model %s has %d outputs",
                       ds->classes, a->name, a->classes);
    int n = limit > 0 && limit < ds->n ? limit : ds->n;
    size_t in_size = (size_t)a->input.c * a->input.h * a->input.w;
    float *x = malloc(sizeof *x * in_size * (size_t)batch);
    float *logits = malloc(sizeof *logits * (size_t)a->classes * (size_t)batch);
    int *y = malloc(sizeof *y * (size_t)batch);
    uint32_t *idx = malloc(sizeof *idx * (size_t)batch);
    int rc = EM_OK;
    if (!x || !logits || !y || !idx) rc = em_fail(err, EM_ENOMEM, "eval: out of memory");
    r->classes = a->classes;
    double loss_sum = 0, t0 = em_now_seconds();
    for (int at = 0; at < n && !rc; at += batch) {
        int m = n - at < batch ? n - at : batch;
        for (int i = 0; i < m; i++) idx[i] = (uint32_t)(at + i);
        rc = nn_dataset_to_float(ds, idx, m, a->input.c, a->input.h, a->input.w, x, y, err);
        if (rc) break;
        rc = nn_net_forward(net, x, m, logits, false, err);
        if (rc) break;
        loss_sum += nn_softmax_xent(logits, y, m, a->classes, NULL) * m;
        for (int i = 0; i < m; i++) {
            int p = nn_argmax(logits + (size_t)i * a->classes, a->classes);
            r->class_total[y[i]]++;
            if (p == y[i]) {
                r->class_correct[y[i]]++;
                r->correct++;
            }
        }
    }
    free(x);
    free(logits);
    free(y);
    free(idx);
    if (rc) return rc;
    r->n = n;
    r->accuracy = n ? (double)r->correct / n : 0;
    r->loss = n ? loss_sum / n : 0;
    r->seconds = em_now_seconds() - t0;
    r->images_per_s = r->seconds > 0 ? n / r->seconds : 0;
    return EM_OK;
}
