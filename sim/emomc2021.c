/* sim/emomc2021.c: EMOMC's reference energy formulas, per layer. */
#include "sim/emomc2021.h"

#include <math.h>
#include <string.h>

hw_emomc2021 sim_emomc2021_constants(void)
{
    return (hw_emomc2021){.mac = 0.102, .read = 0.728, .write = 0.447, .weight_ref_bits = 16};
}

/* 1 - (1-p)^k, or 1 when k exceeds 24 (the published code's cut-off, CI:CO only). */
static double share(double p, double k) { return 1.0 - pow(1.0 - p, k); }

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
    const double macs = (double)df_nest_macs(n);
    const double co = (double)n->bound[DF_CO], ci = (double)n->bound[DF_CI];
    const double howo = (double)(n->bound[DF_X] * n->bound[DF_Y]);
    const double fx = (double)n->bound[DF_FX], fxfy = fx * (double)n->bound[DF_FY];
    double fi = 1, fo = 1;
    o->macs = macs;
    if (n->linear) {
        o->ifmap_reads = macs;
        o->weight_reads = macs;
        o->ofmap_writes = co;
        o->ofmap_reads = 0;
        fi = p;
    } else {
        switch (d) {
        case DF_XY:
            o->ifmap_reads = macs;
            o->weight_reads = macs / howo;
            o->ofmap_writes = macs / (fxfy * ci);
            o->ofmap_reads = 0;
            fi = p;
            break;
        case DF_CICO:
            o->ifmap_reads = macs / co;
            o->weight_reads = macs;
            o->ofmap_writes = macs / ci;
            o->ofmap_reads = o->ofmap_writes;
            fi = co > 24 ? 1 : share(p, co);
            fo = ci > 24 ? 1 : share(p, ci);
            break;
        case DF_FXFY:
            o->ifmap_reads = macs;
            o->weight_reads = macs / howo;
            o->ofmap_writes = macs / fxfy;
            o->ofmap_reads = o->ofmap_writes;
            fi = p;
            fo = share(p, fxfy);
            break;
        default: /* DF_XFX */
            o->ifmap_reads = macs / fx;
            o->weight_reads = macs / sqrt(howo);
            o->ofmap_writes = macs / fx;
            o->ofmap_reads = o->ofmap_writes;
            fi = fo = share(p, fx);
            break;
        }
    }
    o->skip_ifmap = fi;
    o->skip_ofmap = fo;
    o->e_mac = k->mac * macs * p * (q + 1);
    o->e_weight = k->read * o->weight_reads * (q + 1) / k->weight_ref_bits;
    o->e_ifmap = k->read * o->ifmap_reads * fi;
    o->e_ofmap_write = k->write * o->ofmap_writes * fo;
    o->e_ofmap_read = k->read * o->ofmap_reads * fo;
    o->energy = o->e_mac + o->e_weight + o->e_ifmap + o->e_ofmap_write + o->e_ofmap_read;
    return EM_OK;
}
