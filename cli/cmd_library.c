/* cli/cmd_library.c: `emomc library`: flags -> model and data opened (nn/job.h) ->
 * cp_library_build (compress/library.h) -> progress display and the summary. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/progress.h"
#include "compress/library.h"
#include "nn/job.h"
#include "nn/model.h"

#define C "library"

static const char *help =
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
        "  --quiet              no progress and no per-member lines\n";

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

typedef struct {
    const char *model, *weights, *data, *root, *grid, *out;
    long steps, eps, batch, limit, seed, threads;
    double lr, val;
    bool resume, quiet, no_test;
    cp_schedule sched;
} lib_args;

static int flag_schedule(const char *cmd, const char *flag, const char *v, void *ptr)
{
    if (cp_schedule_parse(v, ptr)) return cli_usage_error(cmd, "%s: '%s' is not single or emomc", flag, v);
    return 0;
}

static int parse(int argc, char **argv, lib_args *a)
{
    const cli_flag flags[] = {
        CLI_STRING("--model", &a->model, "model"), CLI_STRING("--weights", &a->weights, "weights"),
        CLI_STRING("--data", &a->data, "data set"), CLI_STRING("--data-root", &a->root, "data folder"),
        CLI_STRING("--keep", &a->grid, "keep grid"), CLI_STRING("--out", &a->out, "library folder"),
        CLI_FUNC("--schedule", flag_schedule, &a->sched, "schedule"),
        CLI_INT("--steps", &a->steps, 1, 1000, "geometric steps"),
        CLI_INT("--epochs-per-step", &a->eps, 1, 1000, "epochs per step"),
        CLI_INT("--batch", &a->batch, 1, 65536, "batch"),
        CLI_INT("--limit", &a->limit, 1, 100000000, "training images"),
        CLI_INT("--seed", &a->seed, 0, 2147483647L, "seed"),
        CLI_INT("--threads", &a->threads, 1, 1024, "threads"),
        CLI_DOUBLE("--lr", &a->lr, 1e-12, 100, "learning rate"),
        CLI_DOUBLE("--val-split", &a->val, 1e-9, 1e9, "validation split"),
        CLI_BOOL("--resume", &a->resume, "keep members built"),
        CLI_BOOL("--no-test", &a->no_test, "no test accuracy"),
        {.name = "--quiet", .alias = "-q", .kind = CLI_FLAG_BOOL, .ptr = &a->quiet, .help = "quiet"},
        CLI_END};
    int rc = cli_flags_parse(C, flags, argc, argv, NULL, help);
    if (rc) return rc;
    if ((rc = cli_require_model_data(C, a->model, a->weights, a->data))) return rc;
    const cli_required need[] = {{"--keep", a->grid != NULL, "e.g. 0.8:0.2:0.01"},
                                 {"--out", a->out != NULL, NULL}};
    if ((rc = cli_flags_require(C, need, 2))) return rc;
    return cli_check_val_split(C, a->val);
}

static void configure(const lib_args *a, const nn_data_splits *d, ui *u, cp_library_cfg *cfg)
{
    cp_library_cfg_default(cfg);
    cfg->schedule = a->sched;
    cfg->steps = (int)a->steps;
    cfg->epochs_per_step = (int)a->eps;
    cfg->train.batch = (int)a->batch;
    cfg->train.optim.lr = a->lr;
    cfg->train.seed = (uint64_t)a->seed;
    cfg->threads = (int)a->threads;
    cfg->resume = a->resume;
    cfg->source = a->weights ? a->weights : a->model;
    cfg->dataset_name = nn_dataset_kind_name(d->kind);
    cfg->progress = on_progress;
    cfg->progress_ctx = u;
}

static int build(const lib_args *a, const double *keeps, int n_keeps, em_error *err)
{
    nn_model_handle m;
    nn_data_splits d;
    int rc = nn_model_open(a->model, a->weights, true, &m, err); /* checks it fits the model */
    if (rc) return rc;
    rc = nn_data_open_splits(a->data, a->root, a->val, (int)a->limit, !a->no_test, &d, err);
    if (!rc) {
        ui u = {.quiet = a->quiet};
        cp_library_cfg cfg;
        configure(a, &d, &u, &cfg);
        if (!a->quiet) {
            printf("library of %s on %s: %d keeps from %.3f to %.3f, %s schedule, %ld epoch(s) "
                   "per step, %d training and %d validation images\n",
                   m.arch->name, d.dir, n_keeps, keeps[0], keeps[n_keeps - 1],
                   cp_schedule_name(a->sched), a->eps, d.train->n, d.val->n);
            fflush(stdout);
        }
        double t0 = em_now_seconds();
        rc = cp_library_build(a->out, m.arch, m.weights, keeps, n_keeps, d.train, d.val, d.test,
                              &cfg, err);
        if (u.bar_on) em_progress_end(&u.bar, "");
        if (!rc && !a->quiet)
            printf("wrote %s/%s (%.1f s)\n", a->out, CP_LIBRARY_INDEX, em_now_seconds() - t0);
    }
    nn_data_close_splits(&d);
    nn_model_close(&m);
    return rc;
}

int cmd_library(int argc, char **argv)
{
    lib_args a = {.steps = 32, .eps = 1, .batch = 128, .seed = 1, .lr = 0.01,
                  .val = NN_VAL_DEFAULT_COUNT, .sched = CP_SCHED_SINGLE};
    int rc = parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    em_error err = {0};
    double keeps[CP_LIBRARY_MAX_GRID];
    int n_keeps = 0;
    if (cp_grid_parse(a.grid, keeps, CP_LIBRARY_MAX_GRID, &n_keeps, &err))
        return cli_usage_error(C, "--keep: %s", err.msg);
    return build(&a, keeps, n_keeps, &err) ? cli_report(C, &err) : 0;
}
