/* dataflow/loopnest.c: building loop nests from layer specs. */
#include "dataflow/loopnest.h"

#include <stdio.h>
#include <string.h>

static const char *const loop_names[DF_NLOOP] = {"co", "ci", "x", "y", "fx", "fy"};

const char *df_loop_name(df_loop l) { return (l >= 0 && l < DF_NLOOP) ? loop_names[l] : "?"; }

const char *df_operand_name(df_operand o)
{
    static const char *const n[DF_NOPERAND] = {"W", "I", "O"};
    return (o >= 0 && o < DF_NOPERAND) ? n[o] : "?";
}

int df_loop_parse(const char *s, df_loop *out)
{
    for (int i = 0; i < DF_NLOOP; i++)
        if (strcmp(s, loop_names[i]) == 0) { *out = (df_loop)i; return EM_OK; }
    return EM_EINVAL;
}

bool df_depends(df_operand op, df_loop l)
{
    switch (op) {
    case DF_W: return l == DF_CO || l == DF_CI || l == DF_FX || l == DF_FY;
    case DF_I: return l != DF_CO;
    case DF_O: return l == DF_CO || l == DF_X || l == DF_Y;
    default: return false;
    }
}

df_nest df_nest_make(const char *name, int64_t co, int64_t ci, int64_t x, int64_t y,
                     int64_t fx, int64_t fy, int stride, int64_t groups)
{
    df_nest n;
    memset(&n, 0, sizeof n);
    snprintf(n.name, sizeof n.name, "%s", name ? name : "layer");
    n.bound[DF_CO] = co;
    n.bound[DF_CI] = ci;
    n.bound[DF_X] = x;
    n.bound[DF_Y] = y;
    n.bound[DF_FX] = fx;
    n.bound[DF_FY] = fy;
    n.stride = stride;
    n.groups = groups;
    n.linear = x == 1 && y == 1 && fx == 1 && fy == 1;
    return n;
}

int df_nest_from_layer(const nn_layer_spec *l, df_nest *n, em_error *err)
{
    if (l->kind == NN_L_CONV) {
        *n = df_nest_make(l->name, l->out_channels / l->groups, l->in.c / l->groups, l->out.h,
                          l->out.w, l->kh, l->kw, l->stride, l->groups);
        n->linear = false;
        return EM_OK;
    }
    if (l->kind == NN_L_LINEAR) {
        *n = df_nest_make(l->name, l->out_channels, (int64_t)l->in.c * l->in.h * l->in.w, 1, 1,
                          1, 1, 1, 1);
        n->linear = true;
        return EM_OK;
    }
    return em_fail(err, EM_EINVAL, "layer '%s' (%s) has no loop nest", l->name,
                   nn_layer_kind_name(l->kind));
}

int64_t df_nest_macs(const df_nest *n)
{
    int64_t m = n->groups;
    for (int i = 0; i < DF_NLOOP; i++) m *= n->bound[i];
    return m;
}

int64_t df_nest_weights(const df_nest *n)
{
    return n->groups * n->bound[DF_CO] * n->bound[DF_CI] * n->bound[DF_FX] * n->bound[DF_FY];
}

int64_t df_nest_outputs(const df_nest *n)
{
    return n->groups * n->bound[DF_CO] * n->bound[DF_X] * n->bound[DF_Y];
}
