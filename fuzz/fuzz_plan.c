/* fuzz/fuzz_plan.c: libFuzzer target for the compression plan text form
 * (cp_plan_parse). The first input byte picks the layer count (0..130, so counts out
 * of range are tried too); the rest is the text. A parsed plan must survive
 * cp_plan_format and parse back to the same plan (the header's promise). */
#include <stdlib.h>
#include <string.h>

#include "compress/plan.h"
#include "fuzz/fuzz_util.h"

static int same_plan(const cp_plan *a, const cp_plan *b)
{
    if (a->n_layers != b->n_layers || a->global_l1 != b->global_l1) return 0;
    for (int i = 0; i < a->n_layers; i++) {
        const cp_layer_plan *x = &a->layer[i], *y = &b->layer[i];
        if (x->keep != y->keep || x->bits != y->bits || x->method != y->method ||
            x->target != y->target || x->dynq != y->dynq)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int n_layers = data[0] % (CP_PLAN_MAX_LAYERS + 3);
    char *text = fz_cstr(data + 1, size - 1);
    cp_plan p, q;
    em_error err = {0};
    if (cp_plan_parse(text, n_layers, &p, &err) == EM_OK) {
        int len = cp_plan_format(&p, NULL, 0);
        if (len < 0) abort();
        char *out = malloc((size_t)len + 1);
        if (!out) abort();
        cp_plan_format(&p, out, (size_t)len + 1);
        if (cp_plan_parse(out, n_layers, &q, &err) != EM_OK || !same_plan(&p, &q)) abort();
        free(out);
    }
    free(text);
    return 0;
}
