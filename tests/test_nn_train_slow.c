/* tests/test_nn_train_slow.c: the committed zoo weights reproduce their recorded
 * accuracy. Each zoo weights file (models/) carries, in its metadata, the test accuracy measured
 * when it was trained (and models/README.md quotes it); evaluating it again on the
 * shared test set, through the library and through `emomc eval`, must give exactly
 * that figure, and it must meet the zoo's target unless models/README.md records the
 * model as below it (ZOO_BELOW_TARGET). Also `emomc train --half`: a
 * float16 file of half the size whose recorded accuracy `emomc eval` reproduces.
 * (A `_slow` suite: it evaluates 10,000 images per model.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/arch.h"
#include "nn/dataset.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/weights.h"
#include "tests/testutil.h"

/* Runs `emomc ARGS` and reads the first number it prints. */
static double emomc_number(const char *args)
{
    char *out = NULL;
    int rc = tu_run_emomc(args, &out);
    double v = -1;
    ck_assert_msg(rc == 0 && sscanf(out, "%lf", &v) == 1, "emomc %s: %s", args, out);
    free(out);
    return v;
}

/* A model committed below its target: only its record's reproduction is checked. */
#define ZOO_BELOW_TARGET (-1.0)

/* The weights file reproduces its recorded test accuracy, which meets target
 * (unless target is ZOO_BELOW_TARGET). */
static void check_zoo(const char *model, const char *data, const char *wpath, double target)
{
    em_error err = {0};
    char path[4096];
    nn_arch *a;
    ck_assert_int_eq(nn_arch_resolve(model, path, sizeof path, &err), 0);
    ck_assert_int_eq(nn_arch_load(path, &a, &err), 0);
    nn_net *net;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_weights *w;
    ck_assert_msg(nn_weights_load_into(wpath, net, &w, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(nn_weights_meta(w, "model"), model);
    ck_assert_str_eq(nn_weights_meta(w, "dataset"), data);
    const char *rec = nn_weights_meta(w, "test_accuracy");
    ck_assert_ptr_nonnull(rec);
    double recorded = atof(rec);

    nn_dataset *ds;
    ck_assert_msg(nn_dataset_open(data, NULL, NN_SPLIT_TEST, NULL, &ds, &err) == 0, "%s",
                  err.msg);
    nn_net_set_threads(net, 2);
    nn_eval_result *r = malloc(sizeof *r);
    ck_assert_int_eq(nn_evaluate(net, ds, 256, 0, r, &err), 0);
    ck_assert_int_eq(r->n, 10000);
    /* The record has 4 decimals: the count of correct images must round to it. */
    ck_assert_msg(r->correct == (int)(recorded * 10000 + 0.5), "%s: %d correct, recorded %s",
                  wpath, r->correct, rec);
    if (target != ZOO_BELOW_TARGET)
        ck_assert_msg(r->accuracy >= target, "%s: test accuracy %.4f below the %.1f%% target",
                      wpath, r->accuracy, 100 * target);

    /* The same through the command line, which prints percent with two decimals. */
    char args[5000], want[32], got[32];
    snprintf(args, sizeof args, "eval --model %s --weights %s --data %s --quiet --threads 2",
             model, wpath, data);
    snprintf(want, sizeof want, "%.2f", 100 * recorded);
    snprintf(got, sizeof got, "%.2f", emomc_number(args));
    ck_assert_str_eq(got, want);
    free(r);
    nn_dataset_free(ds);
    nn_weights_free(w);
    nn_net_free(net);
    nn_arch_free(a);
}

START_TEST(lenet5_zoo_reproduces_recorded_accuracy)
{
    check_zoo("lenet5", "mnist", tu_root_path("models/lenet5-mnist.emw"), 0.99);
}
END_TEST

/* ResNet-20 after its 100-epoch recipe (models/README.md): 88.27 %, target 88 %. */
START_TEST(resnet20_zoo_reproduces_recorded_accuracy)
{
    check_zoo("resnet20", "cifar10", tu_root_path("models/resnet20-cifar10.emw"), 0.88);
}
END_TEST

/* VGG-16 is committed below its 90 % target (87.60 % after its 30-epoch recipe;
 * models/README.md), as float16 weights: its record must still be reproducible. */
START_TEST(vgg16_zoo_reproduces_recorded_accuracy)
{
    check_zoo("vgg16", "cifar10", tu_root_path("models/vgg16-cifar10.emw"), ZOO_BELOW_TARGET);
}
END_TEST

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* `emomc train --half` on an MNIST slice: the file is about half the float32 one,
 * says it is float16, and `emomc eval` reproduces its recorded test accuracy. */
START_TEST(train_half_storage)
{
    char full[4096], half[4096], args[9000];
    snprintf(full, sizeof full, "%s/f.emw", tu_tmpdir());
    snprintf(half, sizeof half, "%s/h.emw", tu_tmpdir());
    const char *common = "train --model lenet5 --data mnist --epochs 1 --limit 1500 "
                         "--val-split 500 --batch 32 --threads 2 --quiet";
    snprintf(args, sizeof args, "%s --out %s", common, full);
    ck_assert_int_eq(tu_run_emomc(args, NULL), 0);
    snprintf(args, sizeof args, "%s --half --out %s", common, half);
    ck_assert_int_eq(tu_run_emomc(args, NULL), 0);
    long nf = file_size(full), nh = file_size(half);
    ck_assert_msg(nh < nf * 0.55 && nh > nf * 0.45, "float32 %ld bytes, float16 %ld", nf, nh);
    nn_weights *w;
    em_error err = {0};
    ck_assert_int_eq(nn_weights_load(half, &w, &err), 0);
    ck_assert_str_eq(nn_weights_meta(w, "storage"), "float16");
    ck_assert(w->store_half);
    nn_weights_free(w);
    check_zoo("lenet5", "mnist", half, 0.5);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("nn_train_slow");
    TCase *tc = tcase_create("zoo");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, lenet5_zoo_reproduces_recorded_accuracy);
    tcase_add_test(tc, resnet20_zoo_reproduces_recorded_accuracy);
    tcase_add_test(tc, vgg16_zoo_reproduces_recorded_accuracy);
    tcase_add_test(tc, train_half_storage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
