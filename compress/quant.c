/* compress/quant.c: the EMOMC linear symmetric quantizer and its codes (see
 * compress/quant.h). */
#include "compress/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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
