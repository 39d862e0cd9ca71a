/* nn/train.h: the training loop and evaluation.
 *
 * nn_train runs epochs of shuffled mini-batches (optionally augmented) through a
 * network with an optimizer and a learning-rate schedule, measures the validation
 * accuracy after each epoch and writes a checkpoint (weights, optimizer state, the
 * epoch and the recipe) after each one. A run resumed from a checkpoint ends with
 * the same weights as an uninterrupted run: the shuffling, augmentation and dropout
 * generators of epoch e are seeded from (seed, e), so the random state at every
 * epoch boundary is a function of the stored seed and epoch.
 *
 * nn_evaluate measures top-1 accuracy (overall and per class), mean loss and
 * images/s in eval mode, batched. Neither prints: progress goes to a callback. */
#ifndef EMOMC_NN_TRAIN_H
#define EMOMC_NN_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../nn/dataset.h"
#include "../nn/net.h"
#include "../nn/optim.h"
#include "../nn/schedule.h"

typedef struct nn_train_progress {
    int epoch, epochs;        /* epoch is 0-based */
    int batch, batches;       /* batches done in this epoch, of */
    double loss, accuracy;    /* running means over this epoch (accuracy in [0,1]) */
    double images_per_s;      /* this epoch so far */
    double lr;
    bool epoch_done;          /* true once per epoch, after validation */
    double val_accuracy;      /* valid when epoch_done (negative: no validation set) */
    double epoch_seconds;
} nn_train_progress;

typedef void (*nn_train_progress_fn)(const nn_train_progress *p, void *ctx);

typedef struct nn_train_cfg {
    int epochs;
    int batch;
    nn_optim_cfg optim;
    nn_sched_kind schedule;
    int step_epochs;          /* step schedule: 0 = default (epochs/3) */
    double gamma;             /* step schedule: 0 = default (0.1) */
    int aug_pad;              /* random-crop padding, 0 = none */
    bool aug_flip;
    uint64_t seed;            /* shuffling, augmentation and dropout */
    const char *checkpoint;   /* written after every epoch; NULL = none */
    int stop_after;           /* stop after this many epochs in this call (0 = run to the end) */
    nn_train_progress_fn progress;
    void *progress_ctx;
} nn_train_cfg;

void nn_train_cfg_default(nn_train_cfg *c); /* SGD lr 0.01, batch 64, 1 epoch, constant lr */

typedef struct nn_train_result {
    int epochs_done;          /* total, counting epochs before a resume */
    int epochs_run;           /* in this call */
    double train_loss, train_accuracy; /* of the last epoch run in this call */
    double val_accuracy;      /* after the last epoch; negative without validation */
    double seconds;           /* this call */
} nn_train_result;

/* A one-line description of the recipe (optimizer, rates, schedule, augmentation,
 * seed, epochs, batch), as stored in checkpoints and weights metadata. */
void nn_train_recipe(const nn_train_cfg *c, char *buf, size_t n);

/* Trains net in place on `train` (the caller initialises or loads the net first);
 * `val` may be NULL. When `resume` names a checkpoint, the weights, optimizer state
 * and epoch are restored from it first; its recipe must equal this one. */
int nn_train(nn_net *net, const nn_dataset *train, const nn_dataset *val,
             const nn_train_cfg *cfg, const char *resume, nn_train_result *res, em_error *err);

#define NN_EVAL_MAX_CLASSES 1000

typedef struct nn_eval_result {
    int n, correct;
    double accuracy;          /* correct / n */
    double loss;              /* mean cross-entropy */
    double seconds, images_per_s;
    int classes;
    int class_total[NN_EVAL_MAX_CLASSES];
    int class_correct[NN_EVAL_MAX_CLASSES];
} nn_eval_result;

/* Evaluates the first `limit` images of ds (all when limit <= 0) in batches of
 * `batch`. The result struct is large; allocate it where that matters. */
int nn_evaluate(nn_net *net, const nn_dataset *ds, int batch, int limit, nn_eval_result *r,
                em_error *err);

#endif
