/* cli/cmd_train.c: `emomc train`: flag parsing, progress display and the final
 * weights file with its metadata; the work is nn_train (nn/train.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/atomicfile.h"
#include "common/progress.h"
#include "nn/arch.h"
#include "nn/dataset.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/model.h"
#include "nn/weights.h"

static void usage(FILE *out)
{
    fprintf(out,
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
        "  --quiet              no progress and no per-epoch lines\n");
}

typedef struct {
    em_progress bar;
    bool quiet;
    int epochs;
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

static int set_meta_f(nn_weights *w, const char *k, const char *fmt, double v, em_error *err)
{
    char b[64];
    snprintf(b, sizeof b, fmt, v);
    return nn_weights_set_meta(w, k, b, err);
}

int cmd_train(int argc, char **argv)
{
    const char *C = "train";
    const char *model = NULL, *data = NULL, *root = NULL, *out = NULL, *init = NULL;
    const char *ckpt = NULL, *resume = NULL;
    long epochs = 0, batch = 128, limit = 0, threads = 0, seed = 1, step_epochs = 0, crop = -1;
    long stop_after = 0;
    double lr = -1, momentum = 0.9, wd = 5e-4, gamma = 0, val = NN_VAL_DEFAULT_COUNT;
    int flip = -1;
    bool nesterov = false, augment = false, quiet = false, no_test = false, half = false;
    nn_optim_kind okind = NN_OPT_SGD;
    nn_sched_kind sched = NN_SCHED_COSINE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE() do { if (!v) return cli_usage_error(C, "%s needs a value", a); i++; } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--model")) { NEED_VALUE(); model = v; }
        else if (!strcmp(a, "--data")) { NEED_VALUE(); data = v; }
        else if (!strcmp(a, "--data-root")) { NEED_VALUE(); root = v; }
        else if (!strcmp(a, "--out")) { NEED_VALUE(); out = v; }
        else if (!strcmp(a, "--init")) { NEED_VALUE(); init = v; }
        else if (!strcmp(a, "--checkpoint")) { NEED_VALUE(); ckpt = v; }
        else if (!strcmp(a, "--resume")) { NEED_VALUE(); resume = v; }
        else if (!strcmp(a, "--epochs")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 100000, &epochs)) return 2;
        } else if (!strcmp(a, "--batch")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 65536, &batch)) return 2;
        } else if (!strcmp(a, "--limit")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 100000000, &limit)) return 2;
        } else if (!strcmp(a, "--threads")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 1024, &threads)) return 2;
        } else if (!strcmp(a, "--seed")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 0, 2147483647L, &seed)) return 2;
        } else if (!strcmp(a, "--step-epochs")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 100000, &step_epochs)) return 2;
        } else if (!strcmp(a, "--stop-after")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 1, 100000, &stop_after)) return 2;
        } else if (!strcmp(a, "--crop-pad")) {
            NEED_VALUE();
            if (cli_parse_int(C, a, v, 0, 16, &crop)) return 2;
        } else if (!strcmp(a, "--lr")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 1e-12, 100, &lr)) return 2;
        } else if (!strcmp(a, "--momentum")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 0, 0.999999, &momentum)) return 2;
        } else if (!strcmp(a, "--wd")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 0, 1, &wd)) return 2;
        } else if (!strcmp(a, "--gamma")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 1e-9, 1, &gamma)) return 2;
        } else if (!strcmp(a, "--val-split")) {
            NEED_VALUE();
            if (cli_parse_double(C, a, v, 0, 1e9, &val)) return 2;
        } else if (!strcmp(a, "--optimizer")) {
            NEED_VALUE();
            if (!strcmp(v, "sgd")) okind = NN_OPT_SGD;
            else if (!strcmp(v, "adam")) okind = NN_OPT_ADAM;
            else return cli_usage_error(C, "--optimizer: '%s' is not sgd or adam", v);
        } else if (!strcmp(a, "--schedule")) {
            NEED_VALUE();
            if (nn_sched_kind_parse(v, &sched))
                return cli_usage_error(C, "--schedule: '%s' is not constant, step, cosine or "
                                          "onecycle", v);
        } else if (!strcmp(a, "--nesterov")) nesterov = true;
        else if (!strcmp(a, "--augment")) augment = true;
        else if (!strcmp(a, "--flip")) flip = 1;
        else if (!strcmp(a, "--no-flip")) flip = 0;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = true;
        else if (!strcmp(a, "--no-test")) no_test = true;
        else if (!strcmp(a, "--half")) half = true;
        else return cli_usage_error(C, "unknown option '%s'", a);
#undef NEED_VALUE
    }
    if (!model) return cli_usage_error(C, "--model is required");
    if (!data) return cli_usage_error(C, "--data is required");
    if (!epochs) return cli_usage_error(C, "--epochs is required");
    if (!out) return cli_usage_error(C, "--out is required");
    if (val >= 1 && val != (double)(long)val)
        return cli_usage_error(C, "--val-split: %g is neither a count nor a fraction below 1", val);
    if (init && resume) return cli_usage_error(C, "--init and --resume exclude each other");

    em_error err = {0};
    char ckbuf[4200];
    nn_arch *arch = NULL;
    nn_net *net = NULL;
    nn_dataset *full = NULL, *tr = NULL, *va = NULL, *te = NULL;
    nn_weights *w = NULL;
    /* Both files must be writable before any work; the checkpoint of a device or
     * pipe output has no place beside it. */
    struct stat ost;
    if (!ckpt && stat(out, &ost) == 0 && !S_ISREG(ost.st_mode) && !S_ISDIR(ost.st_mode))
        return cli_usage_error(C, "--out %s is not a regular file: give --checkpoint PATH", out);
    if (!ckpt) {
        size_t l = strlen(out);
        if (l > 4 && !strcmp(out + l - 4, ".emw"))
            snprintf(ckbuf, sizeof ckbuf, "%.*s.ckpt.emw", (int)(l - 4), out);
        else
            snprintf(ckbuf, sizeof ckbuf, "%s.ckpt.emw", out);
        ckpt = ckbuf;
    }
    if (em_check_output_file(out, &err) || em_check_output_file(ckpt, &err))
        return cli_report(C, &err);
    int rc = nn_model_load(model, &arch, NULL, &err);
    if (!rc) rc = nn_net_new(arch, &net, &err);
    char dir[4096];
    nn_dataset_kind dkind = NN_DS_MNIST;
    if (!rc) rc = nn_data_resolve(data, root, dir, sizeof dir, &dkind, &err);
    if (!rc) rc = nn_dataset_load_dir(dir, dkind, false, &full, &err);
    if (!rc) {
        nn_split_opts so;
        nn_split_opts_default(&so);
        so.val_count = val >= 1 ? (int)val : 0;
        so.val_fraction = val < 1 ? val : 0;
        if (val > 0)
            rc = nn_dataset_split(full, &so, &tr, &va, &err);
        else
            rc = nn_dataset_subset(full, NULL, full->n, &tr, &err);
        if (!rc && limit > 0 && limit < tr->n) tr->n = (int)limit;
    }
    if (rc) goto done;

    nn_net_set_threads(net, (int)threads);
    nn_net_init(net, (uint64_t)seed);
    /* --init, else an ONNX model's own weights, is the starting point. */
    if (init || nn_model_is_onnx(model)) {
        nn_weights *iw = NULL;
        rc = nn_model_weights(model, init, &iw, &err);
        if (!rc) rc = nn_weights_apply(iw, net, init ? init : model, &err);
        nn_weights_free(iw);
        if (rc) goto done;
    }

    nn_train_cfg c;
    nn_train_cfg_default(&c);
    c.epochs = (int)epochs;
    c.batch = (int)batch;
    nn_optim_cfg_default(&c.optim, okind);
    if (lr > 0) c.optim.lr = lr;
    else c.optim.lr = okind == NN_OPT_ADAM ? 1e-3 : 0.05;
    c.optim.weight_decay = wd;
    if (okind == NN_OPT_SGD) {
        c.optim.momentum = momentum;
        c.optim.nesterov = nesterov;
    }
    c.schedule = sched;
    c.step_epochs = (int)step_epochs;
    c.gamma = gamma;
    bool cifar = dkind == NN_DS_CIFAR10;
    c.aug_pad = crop >= 0 ? (int)crop : augment ? (cifar ? 4 : 2) : 0;
    c.aug_flip = flip >= 0 ? flip == 1 : augment && cifar;
    c.seed = (uint64_t)seed;
    c.checkpoint = ckpt;
    c.stop_after = (int)stop_after;
    ui u = {.quiet = quiet, .epochs = (int)epochs};
    c.progress = on_progress;
    c.progress_ctx = &u;
    char recipe[512];
    nn_train_recipe(&c, recipe, sizeof recipe);
    if (!quiet) {
        printf("training %s on %s (%d images, %d held out for validation), %d threads\n"
               "recipe: %s\ncheckpoint: %s\n",
               arch->name, dir, tr->n, va ? va->n : 0, nn_net_threads(net), recipe, ckpt);
        fflush(stdout);
    }
    nn_train_result r;
    rc = nn_train(net, tr, va, &c, resume, &r, &err);
    if (rc) goto done;

    /* Float16 storage: the network takes the rounded weights, so the accuracies
     * recorded below are those of the file. */
    rc = nn_weights_from_net(net, &w, &err);
    if (!rc && half) rc = nn_weights_round_half(w, &err);
    if (!rc && half) rc = nn_weights_apply(w, net, out, &err);
    if (!rc && half && va) {
        nn_eval_result *ev = malloc(sizeof *ev);
        rc = ev ? nn_evaluate(net, va, 256, 0, ev, &err) : em_fail(&err, EM_ENOMEM, "out of memory");
        if (!rc) r.val_accuracy = ev->accuracy;
        free(ev);
    }
    if (rc) goto done;
    double test_acc = -1;
    if (!no_test) {
        rc = nn_dataset_load_dir(dir, dkind, true, &te, &err);
        nn_eval_result *ev = rc ? NULL : malloc(sizeof *ev);
        if (!rc && !ev) rc = em_fail(&err, EM_ENOMEM, "out of memory");
        if (!rc) rc = nn_evaluate(net, te, 256, 0, ev, &err);
        if (!rc) test_acc = ev->accuracy;
        free(ev);
        if (rc) goto done;
    }
    rc = nn_weights_set_meta(w, "kind", "weights", &err);
    if (!rc) rc = nn_weights_set_meta(w, "storage", half ? "float16" : "float32", &err);
    if (!rc) rc = nn_weights_set_meta(w, "model", arch->name, &err);
    if (!rc) rc = nn_weights_set_meta(w, "dataset", nn_dataset_kind_name(dkind), &err);
    if (!rc) rc = nn_weights_set_meta(w, "recipe", recipe, &err);
    if (!rc) rc = set_meta_f(w, "epochs", "%.0f", r.epochs_done, &err);
    if (!rc) rc = set_meta_f(w, "train_images", "%.0f", tr->n, &err);
    if (!rc) rc = set_meta_f(w, "val_images", "%.0f", va ? va->n : 0, &err);
    if (!rc && r.epochs_run > 0)
        rc = set_meta_f(w, "train_accuracy", "%.4f", r.train_accuracy, &err);
    if (!rc && r.val_accuracy >= 0) rc = set_meta_f(w, "val_accuracy", "%.4f", r.val_accuracy, &err);
    if (!rc && test_acc >= 0) rc = set_meta_f(w, "test_accuracy", "%.4f", test_acc, &err);
    if (!rc) rc = set_meta_f(w, "train_seconds_last_run", "%.1f", r.seconds, &err);
    if (!rc) rc = nn_weights_save(w, out, &err);
    if (rc) goto done;
    printf("wrote %s: %d epochs", out, r.epochs_done);
    if (r.epochs_run > 0) printf(", train %.2f%%", 100 * r.train_accuracy);
    if (r.val_accuracy >= 0) printf(", val %.2f%%", 100 * r.val_accuracy);
    if (test_acc >= 0) printf(", test %.2f%%", 100 * test_acc);
    printf(" (%.1f s)\n", r.seconds);

done:
    nn_weights_free(w);
    nn_dataset_free(full);
    nn_dataset_free(tr);
    nn_dataset_free(va);
    nn_dataset_free(te);
    nn_net_free(net);
    nn_arch_free(arch);
    return rc ? cli_report(C, &err) : 0;
}
