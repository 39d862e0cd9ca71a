/* tests/test_nn_train_slow.c: the committed zoo weights reproduce their recorded
 * accuracy. models/lenet5-mnist.emw carries, in its metadata, the test accuracy
 * measured when it was trained (and models/README.md quotes it); evaluating it
 * again on the shared MNIST test set must give exactly that figure, and it must
 * meet the zoo's target of 99.0 %. (A `_slow` suite: it evaluates 10,000 images.) */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/arch.h"
#include "nn/dataset.h"
#include "nn/net.h"
#include "nn/train.h"
#include "nn/weights.h"
#include "tests/testutil.h"

START_TEST(lenet5_zoo_reproduces_recorded_accuracy)
{
    em_error err = {0};
    char path[4096];
    nn_arch *a;
    ck_assert_int_eq(nn_arch_resolve("lenet5", path, sizeof path, &err), 0);
    ck_assert_int_eq(nn_arch_load(path, &a, &err), 0);
    nn_net *net;
    ck_assert_int_eq(nn_net_new(a, &net, &err), 0);
    nn_weights *w;
    const char *wpath = tu_root_path("models/lenet5-mnist.emw");
    ck_assert_msg(nn_weights_load_into(wpath, net, &w, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(nn_weights_meta(w, "model"), "lenet5");
    ck_assert_str_eq(nn_weights_meta(w, "dataset"), "mnist");
    const char *rec = nn_weights_meta(w, "test_accuracy");
    ck_assert_ptr_nonnull(rec);
    double recorded = atof(rec);

    nn_dataset *ds;
    ck_assert_msg(nn_dataset_open("mnist", NULL, NN_SPLIT_TEST, NULL, &ds, &err) == 0, "%s",
                  err.msg);
    nn_net_set_threads(net, 2);
    nn_eval_result *r = malloc(sizeof *r);
    ck_assert_int_eq(nn_evaluate(net, ds, 256, 0, r, &err), 0);
    ck_assert_int_eq(r->n, 10000);
    /* The record has 4 decimals: the count of correct images must round to it. */
    ck_assert_msg(r->correct == (int)(recorded * 10000 + 0.5), "%d correct, recorded %s",
                  r->correct, rec);
    ck_assert_msg(r->accuracy >= 0.99, "test accuracy %.4f below the 99.0%% target",
                  r->accuracy);

    /* The same through the command line: `emomc eval` (built beside tests/) prints
     * the accuracy in percent with two decimals. */
    char self[4096], cmd[9000];
    ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
    ck_assert_int_gt(l, 0);
    self[l] = 0;
    snprintf(cmd, sizeof cmd,
             "OPENBLAS_NUM_THREADS=1 %s/../emomc eval --model lenet5 --weights %s --data mnist "
             "--quiet --threads 2",
             dirname(self), wpath);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    double printed = -1;
    ck_assert_int_eq(fscanf(p, "%lf", &printed), 1);
    ck_assert_int_eq(pclose(p), 0);
    char want[32], got[32];
    snprintf(want, sizeof want, "%.2f", 100 * recorded);
    snprintf(got, sizeof got, "%.2f", printed);
    ck_assert_str_eq(got, want);
    free(r);
    nn_dataset_free(ds);
    nn_weights_free(w);
    nn_net_free(net);
    nn_arch_free(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("nn_train_slow");
    TCase *tc = tcase_create("zoo");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, lenet5_zoo_reproduces_recorded_accuracy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
