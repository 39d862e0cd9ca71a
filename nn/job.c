/* nn/job.c: model and data opening, and the training job (nn/job.h). */
#include "nn/job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomicfile.h"
#include "nn/model.h"

int nn_model_open(const char *model, const char *weights_path, bool with_weights,
                  nn_model_handle *out, em_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = nn_model_load(model, &out->arch, NULL, err);
    if (!rc) rc = nn_net_new(out->arch, &out->net, err);
    if (!rc && with_weights) rc = nn_model_weights(model, weights_path, &out->weights, err);
    if (!rc && with_weights && !out->weights)
        rc = em_fail(err, EM_EINVAL, "%s: no weights (give a weights file)", model);
    if (!rc && with_weights)
        rc = nn_weights_apply(out->weights, out->net, weights_path ? weights_path : model, err);
    if (rc) nn_model_close(out);
    return rc;
}

void nn_model_close(nn_model_handle *m)
{
    nn_weights_free(m->weights);
    nn_net_free(m->net);
    nn_arch_free(m->arch);
    memset(m, 0, sizeof *m);
}

bool nn_val_split_valid(double val) { return val >= 0 && (val < 1 || val == (double)(long)val); }

void nn_split_opts_from_val(double val, nn_split_opts *o)
{
    nn_split_opts_default(o);
    o->val_count = val >= 1 ? (int)val : 0;
    o->val_fraction = val < 1 ? val : 0;
}

int nn_data_open_splits(const char *spec, const char *root, double val, int limit,
                        bool with_test, nn_data_splits *out, em_error *err)
{
    memset(out, 0, sizeof *out);
    nn_dataset *full = NULL, *tr = NULL;
    out->kind = NN_DS_MNIST;
    int rc = nn_data_resolve(spec, root, out->dir, sizeof out->dir, &out->kind, err);
    if (!rc) rc = nn_dataset_load_dir(out->dir, out->kind, false, &full, err);
    if (!rc) {
        nn_split_opts so;
        nn_split_opts_from_val(val, &so);
        if (val > 0) rc = nn_dataset_split(full, &so, &tr, &out->val, err);
        else rc = nn_dataset_subset(full, NULL, full->n, &tr, err);
    }
    /* The first `limit` training images (the validation split is drawn from all). */
    if (!rc && limit > 0 && limit < tr->n) rc = nn_dataset_subset(tr, NULL, limit, &out->train, err);
    else if (!rc) out->train = tr, tr = NULL;
    if (!rc && with_test) rc = nn_dataset_load_dir(out->dir, out->kind, true, &out->test, err);
    nn_dataset_free(tr);
    nn_dataset_free(full);
    if (rc) nn_data_close_splits(out);
    return rc;
}

void nn_data_close_splits(nn_data_splits *d)
{
    nn_dataset_free(d->train);
    nn_dataset_free(d->val);
    nn_dataset_free(d->test);
    d->train = d->val = d->test = NULL;
}

void nn_train_job_cfg_default(nn_train_job_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->batch = 128;
    c->seed = 1;
    c->optimizer = NN_OPT_SGD;
    c->lr = -1;
    c->momentum = 0.9;
    c->weight_decay = 5e-4;
    c->val_split = NN_VAL_DEFAULT_COUNT;
    c->schedule = NN_SCHED_COSINE;
    c->crop_pad = -1;
    c->flip = -1;
}

void nn_train_checkpoint_path(const char *out, char *buf, size_t n)
{
    size_t l = strlen(out);
    if (l > 4 && !strcmp(out + l - 4, ".emw"))
        snprintf(buf, n, "%.*s.ckpt.emw", (int)(l - 4), out);
    else
        snprintf(buf, n, "%s.ckpt.emw", out);
}

/* The engine's recipe from the job's. */
static void make_recipe(const nn_train_job_cfg *j, nn_dataset_kind kind, const char *ckpt,
                        nn_train_cfg *c)
{
    nn_train_cfg_default(c);
    c->epochs = j->epochs;
    c->batch = j->batch;
    nn_optim_cfg_default(&c->optim, j->optimizer);
    c->optim.lr = j->lr > 0 ? j->lr : j->optimizer == NN_OPT_ADAM ? 1e-3 : 0.05;
    c->optim.weight_decay = j->weight_decay;
    if (j->optimizer == NN_OPT_SGD) {
        c->optim.momentum = j->momentum;
        c->optim.nesterov = j->nesterov;
    }
    c->schedule = j->schedule;
    c->step_epochs = j->step_epochs;
    c->gamma = j->gamma;
    bool cifar = kind == NN_DS_CIFAR10;
    c->aug_pad = j->crop_pad >= 0 ? j->crop_pad : j->augment ? (cifar ? 4 : 2) : 0;
    c->aug_flip = j->flip >= 0 ? j->flip == 1 : j->augment && cifar;
    c->seed = j->seed;
    c->checkpoint = ckpt;
    c->stop_after = j->stop_after;
    c->progress = j->progress;
    c->progress_ctx = j->progress_ctx;
}

/* --init, else an ONNX model's own weights, is the starting point. */
static int start_weights(const nn_train_job_cfg *j, nn_net *net, em_error *err)
{
    nn_net_set_threads(net, j->threads);
    nn_net_init(net, j->seed);
    if (!j->init && !nn_model_is_onnx(j->model)) return EM_OK;
    nn_weights *iw = NULL;
    int rc = nn_model_weights(j->model, j->init, &iw, err);
    if (!rc) rc = nn_weights_apply(iw, net, j->init ? j->init : j->model, err);
    nn_weights_free(iw);
    return rc;
}

static int accuracy(nn_net *net, const nn_dataset *ds, double *acc, em_error *err)
{
    nn_eval_result *ev = malloc(sizeof *ev);
    int rc = ev ? nn_evaluate(net, ds, 256, 0, ev, err) : em_fail(err, EM_ENOMEM, "out of memory");
    if (!rc) *acc = ev->accuracy;
    free(ev);
    return rc;
}

static int meta_f(nn_weights *w, const char *k, const char *fmt, double v, em_error *err)
{
    char b[64];
    snprintf(b, sizeof b, fmt, v);
    return nn_weights_set_meta(w, k, b, err);
}

static int write_meta(nn_weights *w, const nn_train_job_cfg *j, const char *model,
                      const nn_data_splits *d, const char *recipe, const nn_train_job_result *r,
                      em_error *err)
{
    const nn_train_result *t = &r->train;
    int rc = nn_weights_set_meta(w, "kind", "weights", err);
    if (!rc) rc = nn_weights_set_meta(w, "storage", j->half ? "float16" : "float32", err);
    if (!rc) rc = nn_weights_set_meta(w, "model", model, err);
    if (!rc) rc = nn_weights_set_meta(w, "dataset", nn_dataset_kind_name(d->kind), err);
    if (!rc) rc = nn_weights_set_meta(w, "recipe", recipe, err);
    if (!rc) rc = meta_f(w, "epochs", "%.0f", t->epochs_done, err);
    if (!rc) rc = meta_f(w, "train_images", "%.0f", d->train->n, err);
    if (!rc) rc = meta_f(w, "val_images", "%.0f", d->val ? d->val->n : 0, err);
    if (!rc && t->epochs_run > 0) rc = meta_f(w, "train_accuracy", "%.4f", t->train_accuracy, err);
    if (!rc && t->val_accuracy >= 0) rc = meta_f(w, "val_accuracy", "%.4f", t->val_accuracy, err);
    if (!rc && r->test_accuracy >= 0) rc = meta_f(w, "test_accuracy", "%.4f", r->test_accuracy, err);
    if (!rc) rc = meta_f(w, "train_seconds_last_run", "%.1f", t->seconds, err);
    return rc;
}

/* After training: the stored weights (float16 rounds them, and the network takes the
 * rounded ones so that the accuracies recorded are the file's), test accuracy, file. */
static int finish(const nn_train_job_cfg *j, nn_model_handle *m, const nn_data_splits *d,
                  const char *recipe, nn_train_job_result *r, em_error *err)
{
    nn_weights *w = NULL;
    r->test_accuracy = -1;
    int rc = nn_weights_from_net(m->net, &w, err);
    if (!rc && j->half) rc = nn_weights_round_half(w, err);
    if (!rc && j->half) rc = nn_weights_apply(w, m->net, j->out, err);
    if (!rc && j->half && d->val) rc = accuracy(m->net, d->val, &r->train.val_accuracy, err);
    if (!rc && d->test) rc = accuracy(m->net, d->test, &r->test_accuracy, err);
    if (!rc) rc = write_meta(w, j, m->arch->name, d, recipe, r, err);
    if (!rc) rc = nn_weights_save(w, j->out, err);
    nn_weights_free(w);
    return rc;
}

int nn_train_job(const nn_train_job_cfg *j, nn_train_job_result *res, em_error *err)
{
    if (!j->model || !j->data || !j->out || j->epochs < 1 || !nn_val_split_valid(j->val_split))
        return em_fail(err, EM_EINVAL, "train: model, data, out, epochs >= 1 and a validation "
                                       "split (a count or a fraction below 1) are needed");
    if (j->init && j->resume) return em_fail(err, EM_EINVAL, "train: init and resume exclude each other");
    char ckpt[4200];
    if (j->checkpoint) snprintf(ckpt, sizeof ckpt, "%s", j->checkpoint);
    else nn_train_checkpoint_path(j->out, ckpt, sizeof ckpt);
    /* Both files must be writable before any work. */
    if (em_check_output_file(j->out, err) || em_check_output_file(ckpt, err)) return err->code;
    nn_model_handle m;
    nn_data_splits d;
    int rc = nn_model_open(j->model, NULL, false, &m, err);
    if (rc) return rc;
    rc = nn_data_open_splits(j->data, j->data_root, j->val_split, j->limit, !j->no_test, &d, err);
    if (!rc) rc = start_weights(j, m.net, err);
    if (!rc) {
        nn_train_cfg c;
        char recipe[512];
        make_recipe(j, d.kind, ckpt, &c);
        nn_train_recipe(&c, recipe, sizeof recipe);
        nn_train_job_info info = {m.arch->name, d.dir, recipe, ckpt, d.train->n,
                                  d.val ? d.val->n : 0, nn_net_threads(m.net)};
        if (j->on_start) j->on_start(&info, j->progress_ctx);
        rc = nn_train(m.net, d.train, d.val, &c, j->resume, &res->train, err);
        if (!rc) rc = finish(j, &m, &d, recipe, res, err);
    }
    nn_data_close_splits(&d);
    nn_model_close(&m);
    return rc;
}
