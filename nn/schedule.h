/* nn/schedule.h: learning-rate schedules, as functions of the global iteration.
 *
 *   constant: base.
 *   step:     base * gamma^floor(epoch / step_epochs)   (PyTorch StepLR, per epoch).
 *   cosine:   min + (base - min) * (1 + cos(pi * t / T)) / 2, per iteration over the
 *             whole run (PyTorch CosineAnnealingLR with T_max = T iterations).
 *   onecycle: PyTorch OneCycleLR (two phases, cosine annealing): from base/div_factor
 *             up to base over pct_start of the iterations, then down to
 *             base/div_factor/final_div_factor. Momentum is not cycled.
 * t counts iterations from 0; the rate returned is the one used by update t. */
#ifndef EMOMC_NN_SCHEDULE_H
#define EMOMC_NN_SCHEDULE_H

#include <stdint.h>

#include "../common/error.h"

typedef enum { NN_SCHED_CONSTANT, NN_SCHED_STEP, NN_SCHED_COSINE, NN_SCHED_ONECYCLE } nn_sched_kind;

typedef struct nn_schedule {
    nn_sched_kind kind;
    double base_lr;
    int64_t steps_per_epoch;
    int64_t total_steps;      /* epochs * steps_per_epoch */
    int step_epochs;          /* step: epochs between decays */
    double gamma;             /* step: decay factor */
    double min_lr;            /* cosine: floor */
    double pct_start, div_factor, final_div_factor; /* onecycle */
} nn_schedule;

const char *nn_sched_kind_name(nn_sched_kind k);          /* "constant", "step", ... */
int nn_sched_kind_parse(const char *s, nn_sched_kind *k); /* 0 or -1 */

/* Fills in the defaults (step: every max(1, epochs/3) epochs, gamma 0.1; cosine:
 * min 0; onecycle: pct_start 0.3, div_factor 25, final_div_factor 1e4) and checks. */
int nn_schedule_init(nn_schedule *s, nn_sched_kind kind, double base_lr, int epochs,
                     int64_t steps_per_epoch, em_error *err);
double nn_schedule_lr(const nn_schedule *s, int64_t t);

#endif
