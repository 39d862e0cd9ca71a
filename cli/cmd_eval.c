/* cli/cmd_eval.c: `emomc eval`: top-1 accuracy (optionally per class) and images/s
 * of a model's weights on the test split or the validation split, optionally after
 * pruning and quantization (in either order with BN folding, compress/quant.h); the
 * work is nn_evaluate (nn/train.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compress/prune.h"
#include "compress/quant.h"
#include "nn/arch.h"
#include "nn/dataset.h"
#include "nn/model.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/weights.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: emomc eval --model M --weights W.emw --data D [options]\n"
        "\n"
        "Top-1 accuracy of the weights on a data set's test split (or the validation\n"
        "split held out of the training data), with images per second.\n"
        "\n"
        "  --model M          model name (models/M.yaml), YAML path, or ONNX file (.onnx)\n"
        "  --weights W.emw    weights file (or a training checkpoint); optional with an\n"
        "                     ONNX model, whose own weights are used otherwise\n"
        "  --data D           mnist | fashion-mnist | cifar10, or a folder holding them\n"
        "  --data-root DIR    where to look for data set folders first\n"
        "  --split S          test (default) or val\n"
        "  --val-split V      size of the validation split, as given to train (default 5000)\n"
        "  --limit N          only the first N images\n"
        "  --per-class        also print the accuracy of each class\n"
        "  --batch B          images per forward pass (default 256)\n"
        "  --threads T        worker threads (default: all cores)\n"
        "  --no-fold          do not fold batch norm into the convolutions (with --bits:\n"
        "                     the unfolded weights are quantized, as --quantize-before-fold)\n"
        "  --keep P           first prune every conv/linear layer's weights to a fraction P\n"
        "                     (L1 magnitude, per layer; no fine-tuning)\n"
        "  --bits Q           then fold batch norm into the convolutions and quantize the\n"
        "                     folded weights to Q bits (EMOMC linear, 1..23): the weights\n"
        "                     executed lie on the Q-bit grid (pruned weights stay 0)\n"
        "  --quantize-before-fold\n"
        "                     with --bits: quantize the unfolded weights, then fold (emomc's\n"
        "                     old order, bn: quantize-then-fold; the executed weights of a\n"
        "                     layer with batch norm are then not on the grid)\n"
        "  --quiet            print only the accuracy (a number in percent)\n");
}

int cmd_eval(int argc, char **argv)
{
    const char *C = "eval";
    const char *model = NULL, *weights = NULL, *data = NULL, *root = NULL;
    long limit = 0, threads = 0, batch = 256;
    double val = NN_VAL_DEFAULT_COUNT;
    bool per_class = false, fold = true, quiet = false, quantize_first = false;
    double keep = 1.0;
    long bits = 0;
    nn_split split = NN_SPLIT_TEST;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE() do { if (!v) return cli_usage_error(C, "%s needs a value", a); i++; } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--model")) { NEED_VALUE(); model = v; }
        else if (!strcmp(a, "--weights")) { NEED_VALUE(); weights = v; }
        else if (!strcmp(a, "--data")) { NEED_VALUE(); data = v; }
        else if (!strcmp(a, "--data-root")) { NEED_VALUE(); root = v; }
        else if (!strcmp(a, "--split")) {
            NEED_VALUE();
            if (!strcmp(v, "test")) split = NN_SPLIT_TEST;
            else if (!strcmp(v, "val")) split = NN_SPLIT_VAL;
            else return cli_usage_error(C, "--split: '%s' is not test or val", v);
        } else if (!strcmp(a, "--val-split")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 1e-9, 1e9, &val)) return 2;
        } else if (!strcmp(a, "--limit")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 100000000, &limit)) return 2;
        } else if (!strcmp(a, "--batch")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 65536, &batch)) return 2;
        } else if (!strcmp(a, "--threads")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 1024, &threads)) return 2;
        } else if (!strcmp(a, "--per-class")) per_class = true;
        else if (!strcmp(a, "--no-fold")) fold = false;
        else if (!strcmp(a, "--quantize-before-fold")) quantize_first = true;
        else if (!strcmp(a, "--keep")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 0, 1, &keep)) return 2;
        } else if (!strcmp(a, "--bits")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 23, &bits)) return 2;
        }
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = true;
        else return cli_usage_error(C, "unknown option '%s'", a);
#undef NEED_VALUE
    }
    if (!model) return cli_usage_error(C, "--model is required");
    if (!weights && !nn_model_is_onnx(model))
        return cli_usage_error(C, "--weights is required (except with an .onnx model)");
    if (!data) return cli_usage_error(C, "--data is required");
    if (val >= 1 && val != (double)(long)val)
        return cli_usage_error(C, "--val-split: %g is neither a count nor a fraction below 1", val);

    em_error err = {0};
    nn_arch *arch = NULL;
    nn_net *net = NULL;
    nn_dataset *ds = NULL;
    nn_weights *wset = NULL;
    nn_eval_result *r = malloc(sizeof *r);
    if (!r) return cli_report(C, &(em_error){EM_ENOMEM, "out of memory"});
    int rc = nn_model_load(model, &arch, NULL, &err);
    if (!rc) rc = nn_net_new(arch, &net, &err);
    if (!rc) rc = nn_model_weights(model, weights, &wset, &err);
    if (!rc) rc = nn_weights_apply(wset, net, weights ? weights : model, &err);
    if (!rc) {
        nn_split_opts so;
        nn_split_opts_default(&so);
        so.val_count = val >= 1 ? (int)val : 0;
        so.val_fraction = val < 1 ? val : 0;
        so.limit = (int)limit;
        rc = nn_dataset_open(data, root, split, &so, &ds, &err);
    }
    if (rc) goto done;
    nn_net_set_threads(net, (int)threads);
    for (int l = 0; l < arch->n_layers && !rc && keep < 1; l++)
        if (nn_layer_is_compute(&arch->layers[l]))
            rc = cp_prune_layer(net, l, CP_PRUNE_L1, CP_TARGET_WEIGHTS, keep, 1, &err);
    if (!rc && bits) {
        int n = nn_arch_compute_layer_count(arch);
        int *lb = malloc(sizeof *lb * (size_t)(n ? n : 1));
        if (!lb) rc = em_fail(&err, EM_ENOMEM, "out of memory");
        for (int i = 0; i < n && lb; i++) lb[i] = (int)bits;
        /* Without folding there is nothing to quantize after: the unfolded weights. */
        cp_bn_order order = quantize_first || !fold ? CP_BN_QUANTIZE_THEN_FOLD
                                                    : CP_BN_FOLD_THEN_QUANTIZE;
        if (!rc) rc = cp_quantize_net(net, lb, order, &err);
        free(lb);
    }
    if (rc) goto done;
    if (fold && (rc = nn_net_fold_bn(net, NULL, &err))) goto done;
    rc = nn_evaluate(net, ds, (int)batch, 0, r, &err);
    if (rc) goto done;
    if (quiet) {
        printf("%.2f\n", 100 * r->accuracy);
    } else {
        /* Say which images: the split, and whether only its first ones. */
        printf("%s on %s %s (%s%d images%s): top-1 %.2f%% (%d/%d), loss %.4f, %.0f images/s "
               "(batch %ld, %d threads)\n",
               arch->name, nn_dataset_kind_name(ds->kind),
               split == NN_SPLIT_TEST ? "test set" : "validation split",
               limit > 0 && r->n == limit ? "the first " : "", r->n,
               split == NN_SPLIT_TEST ? "" : ", held out from the training file", 100 * r->accuracy,
               r->correct, r->n, r->loss, r->images_per_s, batch, nn_net_threads(net));
    }
    if (per_class) {
        printf("class  images  correct  accuracy\n");
        for (int k = 0; k < ds->classes; k++)
            printf("%5d  %6d  %7d  %7.2f%%\n", k, r->class_total[k], r->class_correct[k],
                   r->class_total[k] ? 100.0 * r->class_correct[k] / r->class_total[k] : 0.0);
    }
done:
    free(r);
    nn_weights_free(wset);
    nn_dataset_free(ds);
    nn_net_free(net);
    nn_arch_free(arch);
    return rc ? cli_report(C, &err) : 0;
}
