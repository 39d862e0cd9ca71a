/* sim/layercheck.h: one compute layer of a model through the cycle-level simulator
 * and the analytic fpga model side by side (what `emomc simulate` prints), with the
 * layer's weights taken from a weights set, a seeded random mask, or dense; and the
 * estimator's per-layer plan read off real weights (non-zeros, recorded bits). */
#ifndef EMOMC_SIM_LAYERCHECK_H
#define EMOMC_SIM_LAYERCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../dataflow/counts.h"
#include "../dataflow/mapping.h"
#include "../spec/arch.h"
#include "../nn/weights.h"
#include "../sim/estimate.h"

/* Where the layer's weights come from. */
typedef enum { SIM_W_DENSE, SIM_W_FILE, SIM_W_RANDOM } sim_weights_source;

typedef struct sim_layer_check_cfg {
    int layer;                 /* arch index of a conv or linear layer */
    df_mapping mapping;
    df_array array;
    sim_weights_source source;
    const nn_weights *weights; /* SIM_W_FILE: holds "<layer>.weight" */
    const char *weights_name;  /* for messages */
    double keep;               /* SIM_W_RANDOM: exactly rint(keep * N) non-zeros */
    uint64_t seed;             /* SIM_W_RANDOM: positions */
} sim_layer_check_cfg;

typedef struct sim_layer_check {
    int64_t weights, nnz;      /* N and its non-zeros */
    double keep;               /* nnz / N */
    df_counts simulated, analytic;
} sim_layer_check;

/* Fills out with n floats: 1 at exactly rint(keep * n) seeded random positions, else 0. */
int sim_random_mask(int64_t n, double keep, uint64_t seed, float *out, em_error *err);

/* Runs the simulator and the analytic model on the layer (the analytic model at the
 * weights' real keep ratio). */
int sim_layer_check_run(const nn_arch *a, const sim_layer_check_cfg *cfg, sim_layer_check *out,
                        em_error *err);

/* The statistics of real weights: for every compute layer i, plan[i].nnz is the
 * non-zero count of w's "<layer>.weight" (n its weights, keep nnz / n) and
 * plan[i].bits the bits the file records (metadata "emomc.bits.<layer>", as `emomc
 * export` writes; 0 and 32 are float32, bits 0), else default_bits. *recorded (may be
 * NULL) tells whether every layer's bits were found. plan holds
 * nn_arch_compute_layer_count(a) entries. Errors name `what`. */
int sim_plan_from_weights(const nn_arch *a, const nn_weights *w, const char *what,
                          int default_bits, em_layer_stats *plan, bool *recorded,
                          em_error *err);

#endif
