/* cli/cmd_eval.c: `emomc eval`: flags -> the model opened with its weights (nn/job.h),
 * a compression plan from --keep/--bits applied by cp_plan_apply (compress/plan.h:
 * pruning, then quantization in either order with BN folding) -> nn_evaluate ->
 * top-1 accuracy (optionally per class) and images/s. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "compress/plan.h"
#include "nn/dataset.h"
#include "nn/job.h"
#include "nn/model.h"
#include "nn/train.h"

#define C "eval"

static const char *help =
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
        "                     (L1 magnitude, per layer; no fine-tuning), or p1,p2,... one\n"
        "                     per conv/linear layer\n"
        "  --bits Q           then fold batch norm into the convolutions and quantize the\n"
        "                     folded weights to Q bits (EMOMC linear, 1..23), or q1,q2,...\n"
        "                     one per conv/linear layer: the weights executed lie on the\n"
        "                     Q-bit grid (pruned weights stay 0)\n"
        "  --quantize-before-fold\n"
        "                     with --bits: quantize the unfolded weights, then fold (emomc's\n"
        "                     old order, bn: quantize-then-fold; the executed weights of a\n"
        "                     layer with batch norm are then not on the grid)\n"
        "  --quiet            print only the accuracy (a number in percent)\n";

typedef struct {
    const char *model, *weights, *data, *root;
    long limit, threads, batch;
    double val;
    bool per_class, no_fold, quiet, quantize_first;
    cli_list keep, bits;
    int split; /* 0 test, 1 val */
} eval_args;

static int parse(int argc, char **argv, eval_args *a)
{
    const cli_flag flags[] = {
        CLI_STRING("--model", &a->model, "model"), CLI_STRING("--weights", &a->weights, "weights"),
        CLI_STRING("--data", &a->data, "data set"), CLI_STRING("--data-root", &a->root, "data folder"),
        CLI_CHOICE("--split", &a->split, "test|val", "split"),
        CLI_DOUBLE("--val-split", &a->val, 1e-9, 1e9, "validation split"),
        CLI_INT("--limit", &a->limit, 1, 100000000, "images"),
        CLI_INT("--batch", &a->batch, 1, 65536, "batch"),
        CLI_INT("--threads", &a->threads, 1, 1024, "threads"),
        CLI_BOOL("--per-class", &a->per_class, "per-class accuracy"),
        CLI_BOOL("--no-fold", &a->no_fold, "no BN folding"),
        CLI_BOOL("--quantize-before-fold", &a->quantize_first, "quantize, then fold"),
        CLI_LIST("--keep", &a->keep, 0, 1, "keep ratio(s)"),
        CLI_LIST("--bits", &a->bits, 1, 23, "bit depth(s)"),
        {.name = "--quiet", .alias = "-q", .kind = CLI_FLAG_BOOL, .ptr = &a->quiet, .help = "quiet"},
        CLI_END};
    int rc = cli_flags_parse(C, flags, argc, argv, NULL, help);
    if (rc) return rc;
    if ((rc = cli_require_model_data(C, a->model, a->weights, a->data))) return rc;
    if ((rc = cli_check_val_split(C, a->val))) return rc;
    for (int i = 0; i < a->bits.n; i++)
        if (a->bits.v[i] != (double)(int)a->bits.v[i])
            return cli_usage_error(C, "--bits: %g is not a whole number of bits", a->bits.v[i]);
    return 0;
}

/* The plan of --keep/--bits: L1 pruning where keep < 1, quantization where bits. */
static int make_plan(const eval_args *a, const nn_arch *arch, cp_plan *p)
{
    int n = nn_arch_compute_layer_count(arch);
    const cli_list *l[2] = {&a->keep, &a->bits};
    const char *name[2] = {"--keep", "--bits"};
    for (int k = 0; k < 2; k++)
        if (l[k]->n > 1 && l[k]->n != n)
            return cli_usage_error(C, "%s lists %d values but %s has %d conv/linear layers",
                                   name[k], l[k]->n, arch->name, n);
    cp_plan_identity(p, n);
    for (int i = 0; i < n; i++) {
        cp_layer_plan *lp = &p->layer[i];
        lp->keep = a->keep.n ? a->keep.v[a->keep.n > 1 ? i : 0] : 1.0;
        lp->method = lp->keep < 1 ? CP_PRUNE_L1 : CP_PRUNE_NONE;
        lp->target = CP_TARGET_WEIGHTS;
        lp->bits = a->bits.n ? (int)a->bits.v[a->bits.n > 1 ? i : 0] : 0;
    }
    /* Without folding there is nothing to quantize after: the unfolded weights. */
    p->bn = a->quantize_first || a->no_fold ? CP_BN_QUANTIZE_THEN_FOLD : CP_BN_FOLD_THEN_QUANTIZE;
    return 0;
}

static void print_result(const eval_args *a, const nn_model_handle *m, const nn_dataset *ds,
                         const nn_eval_result *r)
{
    bool test = a->split == 0;
    if (a->quiet) {
        printf("%.2f\n", 100 * r->accuracy);
    } else {
        /* Say which images: the split, and whether only its first ones. */
        printf("%s on %s %s (%s%d images%s): top-1 %.2f%% (%d/%d), loss %.4f, %.0f images/s "
               "(batch %ld, %d threads)\n",
               m->arch->name, nn_dataset_kind_name(ds->kind), test ? "test set" : "validation split",
               a->limit > 0 && r->n == a->limit ? "the first " : "", r->n,
               test ? "" : ", held out from the training file", 100 * r->accuracy, r->correct,
               r->n, r->loss, r->images_per_s, a->batch, nn_net_threads(m->net));
    }
    if (!a->per_class) return;
    printf("class  images  correct  accuracy\n");
    for (int k = 0; k < ds->classes; k++)
        printf("%5d  %6d  %7d  %7.2f%%\n", k, r->class_total[k], r->class_correct[k],
               r->class_total[k] ? 100.0 * r->class_correct[k] / r->class_total[k] : 0.0);
}

/* Opens the data, compresses the network, evaluates it. */
static int evaluate(const eval_args *a, nn_model_handle *m, const cp_plan *plan, nn_dataset **ds,
                    nn_eval_result *r, em_error *err)
{
    nn_split_opts so;
    nn_split_opts_from_val(a->val, &so);
    so.limit = (int)a->limit;
    int rc = nn_dataset_open(a->data, a->root, a->split ? NN_SPLIT_VAL : NN_SPLIT_TEST, &so, ds, err);
    if (rc) return rc;
    nn_net_set_threads(m->net, (int)a->threads);
    rc = cp_plan_apply(m->net, plan, 1, NULL, err);
    if (!rc && !a->no_fold) rc = nn_net_fold_bn(m->net, NULL, err);
    if (!rc) rc = nn_evaluate(m->net, *ds, (int)a->batch, 0, r, err);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    eval_args a = {.batch = 256, .val = NN_VAL_DEFAULT_COUNT};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    em_error err = {0};
    nn_model_handle m;
    nn_dataset *ds = NULL;
    nn_eval_result *r = malloc(sizeof *r);
    if (!r) return cli_report(C, &(em_error){EM_ENOMEM, "out of memory"});
    rc = nn_model_open(a.model, a.weights, true, &m, &err);
    if (rc) {
        free(r);
        return cli_report(C, &err);
    }
    cp_plan plan;
    if (!(rc = make_plan(&a, m.arch, &plan))) {
        if (evaluate(&a, &m, &plan, &ds, r, &err)) rc = cli_report(C, &err);
        else print_result(&a, &m, ds, r);
    }
    free(r);
    nn_dataset_free(ds);
    nn_model_close(&m);
    return rc;
}
