/* sim/emomc2021.c: EMOMC's reference energy formulas, per layer. */
#include "sim/emomc2021.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

hw_emomc2021 sim_emomc2021_constants(void)
{
    return (hw_emomc2021){.mac = 0.102, .read = 0.728, .write = 0.447, .weight_ref_bits = 16};
}

/* Dense accesses of a layer under a dataflow, and how zero weights scale the ifmap
 * and ofmap terms: a factor k > 0 means 1 - (1-p)^k, 0 means 1, -1 means p. */
typedef struct {
    double macs, ifm, w, ofw, ofr;
    double ki, ko;
} emomc_terms;

static void layer_terms(const df_nest *n, df_dataflow d, emomc_terms *t)
{
    const double macs = (double)df_nest_macs(n);
    const double co = (double)n->bound[DF_CO], ci = (double)n->bound[DF_CI];
    const double howo = (double)(n->bound[DF_X] * n->bound[DF_Y]);
    const double fx = (double)n->bound[DF_FX], fxfy = fx * (double)n->bound[DF_FY];
    t->macs = macs;
    t->ki = t->ko = 0;
    if (n->linear) {
        *t = (emomc_terms){macs, macs, macs, co, 0, -1, 0};
        return;
    }
    switch (d) {
    case DF_XY:
        *t = (emomc_terms){macs, macs, macs / howo, macs / (fxfy * ci), 0, -1, 0};
        break;
    case DF_CICO: /* the published code's cut-off: no skipping past 24 sharers */
        *t = (emomc_terms){macs, macs / co, macs, macs / ci, macs / ci, co > 24 ? 0 : co,
                           ci > 24 ? 0 : ci};
        break;
    case DF_FXFY:
        *t = (emomc_terms){macs, macs, macs / howo, macs / fxfy, macs / fxfy, -1, fxfy};
        break;
    default: /* DF_XFX */
        *t = (emomc_terms){macs, macs / fx, macs / sqrt(howo), macs / fx, macs / fx, fx, fx};
        break;
    }
}

/* b^k for a whole k >= 1 by squaring (k is a channel or kernel count). */
static double pow_whole(double b, double k)
{
    unsigned long e = (unsigned long)k;
    double r = 1.0;
    for (; e; e >>= 1, b *= b)
        if (e & 1) r *= b;
    return r;
}

static double skip_factor(double p, double k)
{
    if (k == 0) return 1.0;
    if (k < 0) return p;
    return p >= 1.0 ? 1.0 : 1.0 - pow_whole(1.0 - p, k);
}

int sim_emomc2021_layer(const df_nest *n, df_dataflow d, double keep, double bits,
                        const hw_emomc2021 *k, sim_emomc_layer *o, em_error *err)
{
    memset(o, 0, sizeof *o);
    if (d >= DF_NBUILTIN)
        return em_fail(err, EM_EINVAL, "the emomc2021 model knows only the X:Y, CI:CO, FX:FY "
                       "and X:FX dataflows");
    if (!(keep >= 0 && keep <= 1)) return em_fail(err, EM_EINVAL, "keep %g outside [0, 1]", keep);
    if (!(bits >= 1 && bits <= 64)) return em_fail(err, EM_EINVAL, "bits %g outside [1, 64]", bits);
    const double p = keep, q = rint(bits);
    emomc_terms t;
    layer_terms(n, d, &t);
    o->macs = t.macs;
    o->ifmap_reads = t.ifm;
    o->weight_reads = t.w;
    o->ofmap_writes = t.ofw;
    o->ofmap_reads = t.ofr;
    o->skip_ifmap = skip_factor(p, t.ki);
    o->skip_ofmap = skip_factor(p, t.ko);
    o->e_mac = k->mac * t.macs * p * (q + 1);
    o->e_weight = k->read * t.w * (q + 1) / k->weight_ref_bits;
    o->e_ifmap = k->read * t.ifm * o->skip_ifmap;
    o->e_ofmap_write = k->write * t.ofw * o->skip_ofmap;
    o->e_ofmap_read = k->read * t.ofr * o->skip_ofmap;
    o->energy = o->e_mac + o->e_weight + o->e_ifmap + o->e_ofmap_write + o->e_ofmap_read;
    return EM_OK;
}

struct sim_emomc_net {
    int n;
    hw_emomc2021 k;
    emomc_terms *t; /* n x DF_NBUILTIN */
};

int sim_emomc2021_compile(const nn_arch *a, const hw_emomc2021 *k, sim_emomc_net **out,
                          em_error *err)
{
    *out = NULL;
    sim_emomc_net *net = calloc(1, sizeof *net);
    int n = nn_arch_compute_layer_count(a);
    if (net) net->t = calloc((size_t)(n ? n : 1) * DF_NBUILTIN, sizeof *net->t);
    if (!net || !net->t) {
        sim_emomc2021_net_free(net);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    net->n = n;
    net->k = *k;
    int j = 0;
    for (int i = 0; i < a->n_layers; i++) {
        df_nest nest;
        if (df_nest_from_layer(&a->layers[i], &nest, NULL)) continue;
        for (int d = 0; d < DF_NBUILTIN; d++) layer_terms(&nest, (df_dataflow)d, &net->t[j * DF_NBUILTIN + d]);
        j++;
    }
    *out = net;
    return EM_OK;
}

void sim_emomc2021_net_free(sim_emomc_net *net)
{
    if (!net) return;
    free(net->t);
    free(net);
}

double sim_emomc2021_net_energy(const sim_emomc_net *net, df_dataflow d, const double *keep,
                                const double *bits)
{
    const hw_emomc2021 *k = &net->k;
    double e = 0;
    for (int i = 0; i < net->n; i++) {
        const emomc_terms *t = &net->t[i * DF_NBUILTIN + d];
        double p = keep[i], q1 = rint(bits[i]) + 1;
        double fo = skip_factor(p, t->ko);
        e += k->mac * t->macs * p * q1 + k->read * t->w * q1 / k->weight_ref_bits +
             k->read * t->ifm * skip_factor(p, t->ki) + (k->write * t->ofw + k->read * t->ofr) * fo;
    }
    return e;
}
