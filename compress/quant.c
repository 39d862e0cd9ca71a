/* compress/quant.c: the EMOMC linear symmetric quantizer, its codes, and quantizing a
 * whole network in either order with batch-norm folding (see compress/quant.h). */
#include "compress/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/prune.h"

int cp_quant_check_bits(int bits, const char *what, em_error *err)
{
    if (bits < 0 || bits > CP_QUANT_MAX_BITS)
        return em_fail(err, EM_EINVAL,
                       "%s: bit depth %d is outside 1..%d (0 = float32; above 23 bits the "
                       "codes would not survive float32 storage)",
                       what ? what : "quantize", bits, CP_QUANT_MAX_BITS);
    return EM_OK;
}

double cp_quant_spacing(double maxabs, int bits)
{
    if (maxabs == 0) return 0;
    if (bits <= 1) return INFINITY;
    return maxabs / (double)((1L << (bits - 1)) - 1);
}

int cp_quantize(const float *w, int64_t n, int bits, float *out, int32_t *codes,
                double *spacing, em_error *err)
{
    if (bits < 1 || bits > CP_QUANT_MAX_BITS)
        return em_fail(err, EM_EINVAL, "quantize: bit depth %d is outside 1..%d", bits,
                       CP_QUANT_MAX_BITS);
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(w[i]))
            return em_fail(err, EM_EINVAL, "quantize: non-finite weight at index %lld",
                           (long long)i);
        double a = fabs((double)w[i]);
        if (a > m) m = a;
    }
    double s = cp_quant_spacing(m, bits);
    if (spacing) *spacing = s;
    double L = (double)((1L << (bits - 1)) - 1);
    for (int64_t i = 0; i < n; i++) {
        double c = 0;
        if (s > 0 && isfinite(s)) {
            c = rint((double)w[i] / s);
            if (c > L) c = L; /* cannot happen (|w| <= m); kept as a guard */
            if (c < -L) c = -L;
        }
        if (codes) codes[i] = (int32_t)c;
        out[i] = c == 0 ? 0.0f : (float)(c * s);
    }
    return EM_OK;
}

int cp_quantize_layer(nn_net *net, int layer, int bits, em_error *err)
{
    int rc = cp_quant_check_bits(bits, "quantize", err);
    if (rc || bits == 0) return rc;
    nn_param *p = cp_layer_param(net, layer, false);
    if (!p)
        return em_fail(err, EM_EINVAL, "quantize: layer %d of %s is not a conv or linear layer",
                       layer, nn_net_arch(net)->name);
    rc = cp_quantize(p->data, p->numel, bits, p->data, NULL, NULL, err);
    if (rc) em_error_prefix(err, "%s", p->name);
    return rc;
}

int cp_layer_codes(nn_net *net, int layer, int bits, int32_t *codes, em_error *err)
{
    nn_param *p = cp_layer_param(net, layer, false);
    if (!p)
        return em_fail(err, EM_EINVAL, "quantize: layer %d of %s is not a conv or linear layer",
                       layer, nn_net_arch(net)->name);
    float *tmp = malloc(sizeof *tmp * (size_t)p->numel);
    if (!tmp) return em_fail(err, EM_ENOMEM, "quantize: out of memory");
    int rc = cp_quantize(p->data, p->numel, bits, tmp, codes, NULL, err);
    if (rc) em_error_prefix(err, "%s", p->name);
    free(tmp);
    return rc;
}

static const char *const bn_order_names[CP_BN_ORDER_COUNT] = {"fold-then-quantize",
                                                              "quantize-then-fold"};

const char *cp_bn_order_name(cp_bn_order o)
{
    return (unsigned)o < CP_BN_ORDER_COUNT ? bn_order_names[o] : "?";
}

int cp_bn_order_parse(const char *s, cp_bn_order *out)
{
    for (int i = 0; i < CP_BN_ORDER_COUNT; i++)
        if (s && !strcmp(s, bn_order_names[i])) {
            *out = (cp_bn_order)i;
            return 0;
        }
    return -1;
}

int cp_quantize_net(nn_net *net, const int *bits, cp_bn_order order, em_error *err)
{
    const nn_arch *a = nn_net_arch(net);
    if ((unsigned)order >= CP_BN_ORDER_COUNT)
        return em_fail(err, EM_EINVAL, "quantize: bad batch-norm order %d", (int)order);
    bool any = false;
    for (int l = 0, i = 0; l < a->n_layers; l++)
        if (nn_layer_is_compute(&a->layers[l])) {
            int rc = cp_quant_check_bits(bits[i], a->layers[l].name, err);
            if (rc) return rc;
            any |= bits[i++] > 0;
        }
    if (!any) return EM_OK;
    if (order == CP_BN_FOLD_THEN_QUANTIZE) {
        int rc = nn_net_fold_bn(net, NULL, err);
        if (rc) return rc;
    }
    for (int l = 0, i = 0; l < a->n_layers; l++) {
        if (!nn_layer_is_compute(&a->layers[l])) continue;
        int rc = cp_quantize_layer(net, l, bits[i++], err);
        if (rc) return rc;
    }
    return EM_OK;
}
