/* nn/job.h: the jobs commands run on a model, whole: opening a model (architecture,
 * network, weights applied) and a data set with its fixed validation split, and
 * training from a recipe to a weights file with its metadata (`emomc train`). The
 * caller only fills a configuration and prints; nothing here prints. */
#ifndef EMOMC_NN_JOB_H
#define EMOMC_NN_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"
#include "../spec/arch.h"
#include "../nn/dataset.h"
#include "../nn/net.h"
#include "../nn/optim.h"
#include "../nn/schedule.h"
#include "../nn/train.h"
#include "../nn/weights.h"

/* A model opened for work. */
typedef struct nn_model_handle {
    nn_arch *arch;
    nn_net *net;
    nn_weights *weights; /* the set applied to net (NULL when none was asked for) */
} nn_model_handle;

/* Loads the model (nn_model_load), builds its network and, when with_weights, applies
 * the weights of nn_model_weights(model, weights_path) (a missing set is an error
 * naming the model). Frees what it made on error. */
int nn_model_open(const char *model, const char *weights_path, bool with_weights,
                  nn_model_handle *out, em_error *err);
void nn_model_close(nn_model_handle *m);

/* A data set opened for training: resolved folder and kind, the train split (the
 * training file minus the validation split, then its first `limit` images when
 * limit > 0), the validation split (NULL when val is 0) and the test file (NULL unless
 * asked for). */
typedef struct nn_data_splits {
    char dir[4096];
    nn_dataset_kind kind;
    nn_dataset *train, *val, *test;
} nn_data_splits;

/* val: the validation split, a count (>= 1, whole) or a fraction below 1; 0 = none. */
int nn_data_open_splits(const char *spec, const char *root, double val, int limit,
                        bool with_test, nn_data_splits *out, em_error *err);
void nn_data_close_splits(nn_data_splits *d);
/* The split options of a validation size given as a count or a fraction. */
void nn_split_opts_from_val(double val, nn_split_opts *o);
/* Whether val is a count (whole, >= 1) or a fraction below 1 (0 included). */
bool nn_val_split_valid(double val);

/* What a training job tells on_start. */
typedef struct nn_train_job_info {
    const char *model_name, *data_dir, *recipe, *checkpoint;
    int train_images, val_images, threads;
} nn_train_job_info;

/* `emomc train`, as a value. */
typedef struct nn_train_job_cfg {
    const char *model, *data, *data_root, *out;
    const char *init;        /* start from these weights (else an ONNX model's own) */
    const char *checkpoint;  /* NULL: out with .ckpt.emw (nn_train_checkpoint_path) */
    const char *resume;      /* continue from this checkpoint */
    int epochs, batch, limit, threads, step_epochs, stop_after;
    uint64_t seed;
    nn_optim_kind optimizer;
    double lr;               /* <= 0: 0.05 for SGD, 0.001 for Adam */
    double momentum, weight_decay, gamma, val_split;
    bool nesterov;
    nn_sched_kind schedule;
    bool augment;            /* random crop (pad 4 on CIFAR-10, 2 otherwise), CIFAR flips */
    int crop_pad;            /* >= 0 overrides augment's padding */
    int flip;                /* 0 or 1 overrides augment's flips; -1 keeps them */
    bool half, no_test;
    nn_train_progress_fn progress;
    void *progress_ctx;
    /* Called once the model and data are open, before the first epoch. */
    void (*on_start)(const nn_train_job_info *info, void *ctx);
} nn_train_job_cfg;

typedef struct nn_train_job_result {
    nn_train_result train;   /* val_accuracy measured on the stored (maybe float16) weights */
    double test_accuracy;    /* negative with no_test */
} nn_train_job_result;

/* The defaults of `emomc train` (batch 128, SGD momentum 0.9, wd 5e-4, cosine,
 * validation 5000, seed 1, no augmentation). */
void nn_train_job_cfg_default(nn_train_job_cfg *c);
/* The default checkpoint of an output: W.emw -> W.ckpt.emw, else W.ckpt.emw. */
void nn_train_checkpoint_path(const char *out, char *buf, size_t n);
/* Checks both outputs are writable, opens the model and data, trains, measures and
 * writes cfg->out with its metadata (kind, storage, model, dataset, recipe, epochs,
 * image counts, accuracies, seconds). */
int nn_train_job(const nn_train_job_cfg *cfg, nn_train_job_result *res, em_error *err);

#endif
