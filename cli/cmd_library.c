/* cli/cmd_library.c: `emomc library`: flag parsing, data loading, progress display
 * and the summary table; the work is cp_library_build (compress/library.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/progress.h"
#include "compress/library.h"
#include "nn/arch.h"
#include "nn/dataset.h"
#include "nn/net.h"
#include "nn/model.h"
#include "nn/weights.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: emomc library --model M --weights W.emw --data D --keep HI:LO:STEP --out DIR\n"
        "                     [options]\n"
        "\n"
        "Builds the stage-I library: fine-tuned, L1-pruned (per layer, conv and linear\n"
        "weights) copies of a trained model on a grid of keep ratios, one DIR/keep-K.emw\n"
        "per member and DIR/index.csv (keep, member, val_acc, test_acc, epochs, seconds).\n"
        "Fine-tuning uses the training data minus the fixed validation split; members\n"
        "are measured on the validation split (the test accuracy is only recorded).\n"
        "\n"
        "  --model M            model name (models/M.yaml), YAML path, or ONNX file (.onnx)\n"
        "  --weights W.emw      the trained model (optional with an .onnx model: its own)\n"
        "  --data D             mnist | fashion-mnist | cifar10, or a folder holding them\n"
        "  --data-root DIR      where to look for data set folders first\n"
        "  --keep HI:LO:STEP    the keep grid, e.g. 0.8:0.2:0.01 (or one keep)\n"
        "  --out DIR            the library folder (created)\n"
        "  --schedule S         single (default): one descending pass, a member saved at\n"
        "                       every grid point; emomc: for every grid point restart from\n"
        "                       the trained model and take --steps geometric steps\n"
        "  --steps N            geometric steps of the emomc schedule (default 32); the\n"
        "                       single pass uses the same largest step ratio\n"
        "  --epochs-per-step E  fine-tuning epochs per step (default 1)\n"
        "  --lr LR              SGD learning rate (default 0.01; momentum 0.9, wd 5e-4)\n"
        "  --batch B            mini-batch size (default 128)\n"
        "  --val-split V        validation images held out of training (default 5000)\n"
        "  --limit N            fine-tune on the first N training images only\n"
        "  --no-test            do not measure the test accuracy\n"
        "  --seed S             fine-tuning seed (default 1)\n"
        "  --threads T          worker threads (default: all cores)\n"
        "  --resume             keep the members already in DIR and build the rest\n"
        "  --quiet              no progress and no per-member lines\n");
}

typedef struct ui {
    em_progress bar;
    bool quiet, bar_on;
} ui;

static void on_progress(const cp_library_progress *p, void *ctx)
{
    ui *u = ctx;
    if (u->quiet) return;
    if (p->member_done) {
        if (u->bar_on) em_progress_end(&u->bar, "");
        u->bar_on = false;
        char test[32] = "";
        if (p->test_acc >= 0) snprintf(test, sizeof test, "  test %.2f%%", 100 * p->test_acc);
        printf("member %d/%d  keep %.3f  val %.2f%%%s  %d epochs  %.1f s%s\n", p->member + 1,
               p->members, p->keep, 100 * p->val_acc, test, p->epochs, p->seconds,
               p->skipped ? "  (done before)" : "");
        fflush(stdout);
        return;
    }
    const nn_train_progress *t = p->train;
    if (!t || t->epoch_done) return;
    if (!u->bar_on || t->batch == 1) {
        char label[64];
        snprintf(label, sizeof label, "keep %.3f step %d/%d", p->keep, p->step, p->steps);
        if (u->bar_on) em_progress_end(&u->bar, "");
        em_progress_begin(&u->bar, stderr, false, label, t->batches);
        u->bar_on = true;
    }
    char extra[96];
    snprintf(extra, sizeof extra, "at %.4f  loss %.4f acc %.2f%%", p->step_keep, t->loss,
             100 * t->accuracy);
    em_progress_update(&u->bar, t->batch, extra);
}

int cmd_library(int argc, char **argv)
{
    const char *C = "library";
    const char *model = NULL, *weights = NULL, *data = NULL, *root = NULL, *grid = NULL;
    const char *out = NULL;
    long steps = 32, eps = 1, batch = 128, limit = 0, seed = 1, threads = 0;
    double lr = 0.01, val = NN_VAL_DEFAULT_COUNT;
    bool resume = false, quiet = false, no_test = false;
    cp_schedule sched = CP_SCHED_SINGLE;
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
        else if (!strcmp(a, "--keep")) { NEED_VALUE(); grid = v; }
        else if (!strcmp(a, "--out")) { NEED_VALUE(); out = v; }
        else if (!strcmp(a, "--schedule")) {
            NEED_VALUE();
            if (cp_schedule_parse(v, &sched))
                return cli_usage_error(C, "--schedule: '%s' is not single or emomc", v);
        } else if (!strcmp(a, "--steps")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 1000, &steps)) return 2;
        } else if (!strcmp(a, "--epochs-per-step")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 1000, &eps)) return 2;
        } else if (!strcmp(a, "--batch")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 65536, &batch)) return 2;
        } else if (!strcmp(a, "--limit")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 100000000, &limit)) return 2;
        } else if (!strcmp(a, "--seed")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 0, 2147483647L, &seed)) return 2;
        } else if (!strcmp(a, "--threads")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 1024, &threads)) return 2;
        } else if (!strcmp(a, "--lr")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 1e-12, 100, &lr)) return 2;
        } else if (!strcmp(a, "--val-split")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 1e-9, 1e9, &val)) return 2;
        } else if (!strcmp(a, "--resume")) resume = true;
        else if (!strcmp(a, "--no-test")) no_test = true;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = true;
        else return cli_usage_error(C, "unknown option '%s'", a);
#undef NEED_VALUE
    }
    if (!model) return cli_usage_error(C, "--model is required");
    if (!weights && !nn_model_is_onnx(model))
        return cli_usage_error(C, "--weights is required (except with an .onnx model)");
    if (!data) return cli_usage_error(C, "--data is required");
    if (!grid) return cli_usage_error(C, "--keep is required (e.g. 0.8:0.2:0.01)");
    if (!out) return cli_usage_error(C, "--out is required");
    if (val >= 1 && val != (double)(long)val)
        return cli_usage_error(C, "--val-split: %g is neither a count nor a fraction below 1", val);

    em_error err = {0};
    double keeps[CP_LIBRARY_MAX_GRID];
    int n_keeps = 0;
    if (cp_grid_parse(grid, keeps, CP_LIBRARY_MAX_GRID, &n_keeps, &err)) {
        fprintf(stderr, "emomc library: --keep: %s\n", err.msg);
        return 2;
    }
    char dir[4096];
    nn_arch *arch = NULL;
    nn_net *net = NULL;
    nn_weights *trained = NULL;
    nn_dataset *full = NULL, *tr = NULL, *va = NULL, *te = NULL;
    nn_dataset_kind dkind = NN_DS_MNIST;
    int rc = nn_model_load(model, &arch, NULL, &err);
    if (!rc) rc = nn_model_weights(model, weights, &trained, &err);
    if (!rc) rc = nn_net_new(arch, &net, &err);
    if (!rc) rc = nn_weights_apply(trained, net, weights ? weights : model, &err); /* checks it fits the model */
    if (!rc) rc = nn_data_resolve(data, root, dir, sizeof dir, &dkind, &err);
    if (!rc) rc = nn_dataset_load_dir(dir, dkind, false, &full, &err);
    if (!rc) {
        nn_split_opts so;
        nn_split_opts_default(&so);
        so.val_count = val >= 1 ? (int)val : 0;
        so.val_fraction = val < 1 ? val : 0;
        rc = nn_dataset_split(full, &so, &tr, &va, &err);
        if (!rc && limit > 0 && limit < tr->n) tr->n = (int)limit;
    }
    if (!rc && !no_test) rc = nn_dataset_load_dir(dir, dkind, true, &te, &err);
    if (rc) goto done;

    cp_library_cfg cfg;
    cp_library_cfg_default(&cfg);
    cfg.schedule = sched;
    cfg.steps = (int)steps;
    cfg.epochs_per_step = (int)eps;
    cfg.train.batch = (int)batch;
    cfg.train.optim.lr = lr;
    cfg.train.seed = (uint64_t)seed;
    cfg.threads = (int)threads;
    cfg.resume = resume;
    cfg.source = weights ? weights : model;
    cfg.dataset_name = nn_dataset_kind_name(dkind);
    ui u = {.quiet = quiet};
    cfg.progress = on_progress;
    cfg.progress_ctx = &u;
    if (!quiet) {
        printf("library of %s on %s: %d keeps from %.3f to %.3f, %s schedule, %ld epoch(s) per "
               "step, %d training and %d validation images\n",
               arch->name, dir, n_keeps, keeps[0], keeps[n_keeps - 1], cp_schedule_name(sched),
               eps, tr->n, va->n);
        fflush(stdout);
    }
    double t0 = em_now_seconds();
    rc = cp_library_build(out, arch, trained, keeps, n_keeps, tr, va, te, &cfg, &err);
    if (u.bar_on) em_progress_end(&u.bar, "");
    if (!rc && !quiet) printf("wrote %s/%s (%.1f s)\n", out, CP_LIBRARY_INDEX, em_now_seconds() - t0);

done:
    nn_dataset_free(full);
    nn_dataset_free(tr);
    nn_dataset_free(va);
    nn_dataset_free(te);
    nn_weights_free(trained);
    nn_net_free(net);
    nn_arch_free(arch);
    return rc ? cli_report(C, &err) : 0;
}
