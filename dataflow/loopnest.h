/* dataflow/loopnest.h: a layer as the loop nest the accelerator executes.
 *
 *   for g, co, ci, x, y, fx, fy:
 *       O[g][co][x][y] += I[g][ci][s*x+fx][s*y+fy] * W[g][co][ci][fx][fy]
 *
 * with co < CO/g, ci < CI/g, x < Ho, y < Wo, fx < FX, fy < FY, and s the stride; a
 * linear layer has X = Y = FX = FY = 1. The group loop g is always outermost and
 * temporal; the six loops below are the ones a dataflow maps. */
#ifndef EMOMC_DATAFLOW_LOOPNEST_H
#define EMOMC_DATAFLOW_LOOPNEST_H

#include <stdbool.h>
#include <stdint.h>
#include "../common/error.h"
#include "../spec/arch.h"

typedef enum { DF_CO, DF_CI, DF_X, DF_Y, DF_FX, DF_FY, DF_NLOOP } df_loop;
typedef enum { DF_W, DF_I, DF_O, DF_NOPERAND } df_operand;

typedef struct df_nest {
    char name[NN_NAME_MAX];
    int64_t bound[DF_NLOOP]; /* per group */
    int64_t groups;
    int stride;
    bool linear;
} df_nest;

/* From a conv or linear layer spec; EM_EINVAL for other layer kinds. */
int df_nest_from_layer(const nn_layer_spec *l, df_nest *n, em_error *err);
/* A conv nest from raw sizes (tests, simulate). Linear: x=y=fx=fy=1. */
df_nest df_nest_make(const char *name, int64_t co, int64_t ci, int64_t x, int64_t y,
                     int64_t fx, int64_t fy, int stride, int64_t groups);

int64_t df_nest_macs(const df_nest *n);     /* all groups */
int64_t df_nest_weights(const df_nest *n);  /* all groups */
int64_t df_nest_outputs(const df_nest *n);  /* all groups */

/* Whether operand op's index depends on loop l (W: co ci fx fy; I: ci x y fx fy;
 * O: co x y). */
bool df_depends(df_operand op, df_loop l);

const char *df_loop_name(df_loop l);      /* "co", "ci", "x", "y", "fx", "fy" */
const char *df_operand_name(df_operand o); /* "W", "I", "O" */
int df_loop_parse(const char *s, df_loop *out);

#endif
