/* nn/schedule.c: learning-rate schedules (see nn/schedule.h). */
#include "nn/schedule.h"

#include <math.h>
#include <string.h>

static const char *names[] = {"constant", "step", "cosine", "onecycle"};

const char *nn_sched_kind_name(nn_sched_kind k)
{
    return (k >= 0 && k <= NN_SCHED_ONECYCLE) ? names[k] : "?";
}

int nn_sched_kind_parse(const char *s, nn_sched_kind *k)
{
    for (int i = 0; i <= NN_SCHED_ONECYCLE; i++)
        if (!strcmp(s, names[i])) {
            *k = (nn_sched_kind)i;
            return 0;
        }
    if (!strcmp(s, "one-cycle") || !strcmp(s, "none")) {
        *k = !strcmp(s, "none") ? NN_SCHED_CONSTANT : NN_SCHED_ONECYCLE;
        return 0;
    }
    return -1;
}

int nn_schedule_init(nn_schedule *s, nn_sched_kind kind, double base_lr, int epochs,
                     int64_t steps_per_epoch, em_error *err)
{
    memset(s, 0, sizeof *s);
    if (!(base_lr > 0) || epochs <= 0 || steps_per_epoch <= 0)
        return em_fail(err, EM_EINVAL,
                       "schedule: need lr > 0, epochs > 0 and steps per epoch > 0 (got %g, %d, "
                       "%lld)",
                       base_lr, epochs, (long long)steps_per_epoch);
    s->kind = kind;
    s->base_lr = base_lr;
    s->steps_per_epoch = steps_per_epoch;
    s->total_steps = (int64_t)epochs * steps_per_epoch;
    s->step_epochs = epochs / 3 > 1 ? epochs / 3 : 1;
    s->gamma = 0.1;
    s->min_lr = 0.0;
    s->pct_start = 0.3;
    s->div_factor = 25.0;
    s->final_div_factor = 1e4;
    return EM_OK;
}

static double cos_anneal(double start, double end, double pct)
{
    return end + (start - end) / 2.0 * (cos(M_PI * pct) + 1.0);
}

double nn_schedule_lr(const nn_schedule *s, int64_t t)
{
    if (t < 0) t = 0;
    switch (s->kind) {
    case NN_SCHED_CONSTANT:
        return s->base_lr;
    case NN_SCHED_STEP: {
        int64_t epoch = t / s->steps_per_epoch;
        return s->base_lr * pow(s->gamma, (double)(epoch / (s->step_epochs > 0 ? s->step_epochs : 1)));
    }
    case NN_SCHED_COSINE: {
        if (t > s->total_steps) t = s->total_steps;
        return cos_anneal(s->base_lr, s->min_lr, (double)t / (double)s->total_steps);
    }
    case NN_SCHED_ONECYCLE: {
        /* PyTorch OneCycleLR: phase ends at pct_start*total - 1 and total - 1. */
        double initial = s->base_lr / s->div_factor;
        double min_lr = initial / s->final_div_factor;
        double end1 = s->pct_start * (double)s->total_steps - 1.0;
        double end2 = (double)s->total_steps - 1.0;
        double x = (double)t;
        if (x <= end1) return cos_anneal(initial, s->base_lr, end1 > 0 ? x / end1 : 1.0);
        double pct = end2 > end1 ? (x - end1) / (end2 - end1) : 1.0;
        if (pct > 1.0) pct = 1.0;
        return cos_anneal(s->base_lr, min_lr, pct);
    }
    }
    return s->base_lr;
}
