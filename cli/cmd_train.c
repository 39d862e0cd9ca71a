/* cli/cmd_train.c: `emomc train`: flags -> nn_train_job_cfg -> nn_train_job (nn/job.h)
 * -> progress display and the summary line. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/progress.h"
#include "nn/job.h"

#define C "train"

static const char *help =
        "usage: emomc train --model M --data D --epochs N --out W.emw [options]\n"
        "\n"
        "Trains a model with the built-in engine on the training data minus a fixed,\n"
        "seeded validation split, writes a checkpoint after every epoch and the final\n"
        "weights (with recipe and accuracies as metadata) to W.emw.\n"
        "\n"
        "  --model M            model name (models/M.yaml), YAML path, or ONNX file (.onnx)\n"
        "  --data D             mnist | fashion-mnist | cifar10, or a folder holding them\n"
        "  --data-root DIR      where to look for data set folders first (then $EMOMC_DATA,\n"
        "                       ../shared/data, data/, /usr/share/datasets)\n"
        "  --epochs N           epochs to train\n"
        "  --out W.emw          final weights\n"
        "  --batch B            mini-batch size (default 128)\n"
        "  --optimizer sgd|adam (default sgd)\n"
        "  --lr LR              base learning rate (default 0.05 sgd, 0.001 adam)\n"
        "  --momentum M         SGD momentum (default 0.9)\n"
        "  --nesterov           Nesterov momentum\n"
        "  --wd WD              weight decay, L2 as in PyTorch (default 5e-4)\n"
        "  --schedule S         constant | step | cosine | onecycle (default cosine)\n"
        "  --step-epochs K      step schedule: decay every K epochs (default epochs/3)\n"
        "  --gamma G            step schedule: decay factor (default 0.1)\n"
        "  --augment            random crop (padding 4 on CIFAR-10, 2 on MNIST-like data)\n"
        "                       and, on CIFAR-10, horizontal flips\n"
        "  --crop-pad P         random-crop padding (overrides --augment's)\n"
        "  --flip / --no-flip   horizontal flips on or off (overrides --augment's)\n"
        "  --val-split V        validation images held out of training: a count, or a\n"
        "                       fraction below 1 (default 5000; 0 = none)\n"
        "  --limit N            train on the first N training images only\n"
        "  --seed S             shuffling, augmentation, dropout and initialisation (default 1)\n"
        "  --threads T          worker threads (default: all cores)\n"
        "  --init W.emw         start from these weights (fine-tuning) instead of a fresh init\n"
        "                       (an .onnx --model starts from its own weights unless --init)\n"
        "  --checkpoint PATH    checkpoint file (default: W with .ckpt.emw)\n"
        "  --resume PATH        continue from a checkpoint made with the same recipe\n"
        "  --stop-after K       stop after K more epochs (the checkpoint then lets --resume\n"
        "                       continue; W.emw is written with the epochs done so far)\n"
        "  --half               store W.emw as float16 (half the size; the checkpoint stays\n"
        "                       float32); validation and test accuracy are then measured\n"
        "                       with the rounded weights\n"
        "  --no-test            do not measure test accuracy at the end\n"
        "  --quiet              no progress and no per-epoch lines\n";

typedef struct {
    em_progress bar;
    bool quiet;
} ui;

static void on_progress(const nn_train_progress *p, void *ctx)
{
    ui *u = ctx;
    if (u->quiet) return;
    if (p->batch == 1 && !p->epoch_done) {
        char label[64];
        snprintf(label, sizeof label, "epoch %d/%d", p->epoch + 1, p->epochs);
        em_progress_begin(&u->bar, stderr, false, label, p->batches);
    }
    if (!p->epoch_done) {
        char extra[128];
        snprintf(extra, sizeof extra, "loss %.4f acc %.2f%% %.0f img/s lr %.3g", p->loss,
                 100 * p->accuracy, p->images_per_s, p->lr);
        em_progress_update(&u->bar, p->batch, extra);
        return;
    }
    em_progress_end(&u->bar, "");
    char val[32] = "";
    if (p->val_accuracy >= 0) snprintf(val, sizeof val, "  val %.2f%%", 100 * p->val_accuracy);
    printf("epoch %d/%d  loss %.4f  train %.2f%%%s  %.1f s  %.0f img/s\n", p->epoch + 1,
           p->epochs, p->loss, 100 * p->accuracy, val, p->epoch_seconds, p->images_per_s);
    fflush(stdout);
}

static int flag_schedule(const char *cmd, const char *flag, const char *v, void *ptr)
{
    if (nn_sched_kind_parse(v, ptr))
        return cli_usage_error(cmd, "%s: '%s' is not constant, step, cosine or onecycle", flag, v);
    return 0;
}

static void on_start(const nn_train_job_info *i, void *ctx)
{
    ui *u = ctx;
    if (u->quiet) return;
    printf("training %s on %s (%d images, %d held out for validation), %d threads\n"
           "recipe: %s\ncheckpoint: %s\n",
           i->model_name, i->data_dir, i->train_images, i->val_images, i->threads, i->recipe,
           i->checkpoint);
    fflush(stdout);
}

/* The flags into c; 0, -1 (help shown) or a usage error. */
static int parse(int argc, char **argv, nn_train_job_cfg *c, bool *quiet)
{
    long epochs = 0, batch = 128, limit = 0, threads = 0, seed = 1, step = 0, crop = -1, stop = 0;
    int opt = 0;
    const cli_flag flags[] = {
        CLI_STRING("--model", &c->model, "model"), CLI_STRING("--data", &c->data, "data set"),
        CLI_STRING("--data-root", &c->data_root, "data folder"), CLI_STRING("--out", &c->out, "weights"),
        CLI_STRING("--init", &c->init, "start weights"),
        CLI_STRING("--checkpoint", &c->checkpoint, "checkpoint file"),
        CLI_STRING("--resume", &c->resume, "checkpoint to continue"),
        CLI_INT("--epochs", &epochs, 1, 100000, "epochs"), CLI_INT("--batch", &batch, 1, 65536, "batch"),
        CLI_INT("--limit", &limit, 1, 100000000, "training images"),
        CLI_INT("--threads", &threads, 1, 1024, "threads"),
        CLI_INT("--seed", &seed, 0, 2147483647L, "seed"),
        CLI_INT("--step-epochs", &step, 1, 100000, "step schedule period"),
        CLI_INT("--stop-after", &stop, 1, 100000, "epochs in this run"),
        CLI_INT("--crop-pad", &crop, 0, 16, "crop padding"),
        CLI_DOUBLE("--lr", &c->lr, 1e-12, 100, "learning rate"),
        CLI_DOUBLE("--momentum", &c->momentum, 0, 0.999999, "momentum"),
        CLI_DOUBLE("--wd", &c->weight_decay, 0, 1, "weight decay"),
        CLI_DOUBLE("--gamma", &c->gamma, 1e-9, 1, "step decay"),
        CLI_DOUBLE("--val-split", &c->val_split, 0, 1e9, "validation split"),
        CLI_CHOICE("--optimizer", &opt, "sgd|adam", "optimizer"),
        CLI_FUNC("--schedule", flag_schedule, &c->schedule, "lr schedule"),
        CLI_BOOL("--nesterov", &c->nesterov, "Nesterov momentum"),
        CLI_BOOL("--augment", &c->augment, "augmentation"),
        CLI_CONST("--flip", &c->flip, 1, "flips on"), CLI_CONST("--no-flip", &c->flip, 0, "flips off"),
        {.name = "--quiet", .alias = "-q", .kind = CLI_FLAG_BOOL, .ptr = quiet, .help = "quiet"},
        CLI_BOOL("--no-test", &c->no_test, "no test accuracy"),
        CLI_BOOL("--half", &c->half, "float16 storage"), CLI_END};
    int rc = cli_flags_parse(C, flags, argc, argv, NULL, help);
    if (rc) return rc;
    c->epochs = (int)epochs, c->batch = (int)batch, c->limit = (int)limit;
    c->threads = (int)threads, c->seed = (uint64_t)seed, c->step_epochs = (int)step;
    c->crop_pad = (int)crop, c->stop_after = (int)stop;
    c->optimizer = opt ? NN_OPT_ADAM : NN_OPT_SGD;
    return 0;
}

/* What train needs before any work (the library checks the rest). */
static int check(const nn_train_job_cfg *c)
{
    const cli_required need[] = {{"--model", c->model != NULL, NULL},
                                 {"--data", c->data != NULL, NULL},
                                 {"--epochs", c->epochs != 0, NULL},
                                 {"--out", c->out != NULL, NULL}};
    int rc = cli_flags_require(C, need, 4);
    if (!rc) rc = cli_check_val_split(C, c->val_split);
    if (rc) return rc;
    if (c->init && c->resume) return cli_usage_error(C, "--init and --resume exclude each other");
    /* The checkpoint of a device or pipe output has no place beside it. */
    struct stat st;
    if (!c->checkpoint && stat(c->out, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return cli_usage_error(C, "--out %s is not a regular file: give --checkpoint PATH", c->out);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    nn_train_job_cfg c;
    nn_train_job_cfg_default(&c);
    bool quiet = false;
    int rc = parse(argc, argv, &c, &quiet);
    if (!rc) rc = check(&c);
    if (rc) return rc < 0 ? 0 : rc;
    ui u = {.quiet = quiet};
    c.progress = on_progress;
    c.progress_ctx = &u;
    c.on_start = on_start;
    em_error err = {0};
    nn_train_job_result r;
    if (nn_train_job(&c, &r, &err)) return cli_report(C, &err);
    const nn_train_result *t = &r.train;
    printf("wrote %s: %d epochs", c.out, t->epochs_done);
    if (t->epochs_run > 0) printf(", train %.2f%%", 100 * t->train_accuracy);
    if (t->val_accuracy >= 0) printf(", val %.2f%%", 100 * t->val_accuracy);
    if (r.test_accuracy >= 0) printf(", test %.2f%%", 100 * r.test_accuracy);
    printf(" (%.1f s)\n", t->seconds);
    return 0;
}
