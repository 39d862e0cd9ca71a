/* tests/test_arch.c: model YAML loading, shape inference and its error messages. */
#include <stdio.h>
#include <string.h>

#include "spec/arch.h"
#include "tests/testutil.h"

static nn_arch *load_model(const char *name)
{
    char path[4096];
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_int_eq(nn_arch_resolve(name, path, sizeof path, &err), 0);
    int rc = nn_arch_load(path, &a, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return a;
}

static int64_t conv_macs(const nn_arch *a)
{
    int64_t s = 0;
    for (int i = 0; i < a->n_layers; i++)
        if (a->layers[i].kind == NN_L_CONV) s += nn_layer_macs(&a->layers[i]);
    return s;
}

START_TEST(lenet5_shapes)
{
    nn_arch *a = load_model("lenet5");
    /* Hand count: conv1 6*1*25*28*28 = 117600; conv2 16*6*25*10*10 = 240000;
     * conv3 120*16*25 = 48000; fc1 120*84 = 10080; fc2 84*10 = 840. */
    const char *names[] = {"conv1", "conv2", "conv3", "fc1", "fc2"};
    const int64_t macs[] = {117600, 240000, 48000, 10080, 840};
    const int64_t weights[] = {150, 2400, 48000, 10080, 840};
    for (int i = 0; i < 5; i++) {
        int k = nn_arch_find(a, names[i]);
        ck_assert_int_ge(k, 0);
        ck_assert_int_eq(nn_layer_macs(&a->layers[k]), macs[i]);
        ck_assert_int_eq(nn_layer_weight_count(&a->layers[k]), weights[i]);
    }
    int k = nn_arch_find(a, "pool2");
    ck_assert_int_eq(a->layers[k].out.c, 16);
    ck_assert_int_eq(a->layers[k].out.h, 5);
    ck_assert_int_eq(nn_arch_macs(a), 416520);
    ck_assert_int_eq(nn_arch_compute_layer_count(a), 5);
    nn_arch_free(a);
}
END_TEST

START_TEST(vgg16_counts)
{
    nn_arch *a = load_model("vgg16");
    /* Independent count of the 13 conv layers on CIFAR (32x32, pad 1):
     * sum over layers of 9*ci*co*h*w = 313,196,544. */
    ck_assert_int_eq(conv_macs(a), 313196544);
    ck_assert_int_eq(nn_arch_compute_layer_count(a), 14);
    int64_t w = nn_arch_weight_count(a);
    ck_assert_int_eq(w, 14710464 + 5120); /* 13 convs + linear 512x10 */
    nn_arch_free(a);
}
END_TEST

START_TEST(mobilenet_resnet_counts)
{
    nn_arch *m = load_model("mobilenet_v1");
    /* published CIFAR MobileNet-v1: ~46.4 M MACs, ~3.2 M params */
    ck_assert_int_ge(nn_arch_macs(m), 46000000);
    ck_assert_int_le(nn_arch_macs(m), 46800000);
    ck_assert_int_ge(nn_arch_param_count(m), 3150000);
    ck_assert_int_le(nn_arch_param_count(m), 3300000);
    int k = nn_arch_find(m, "dw2");
    ck_assert_int_eq(m->layers[k].groups, 64);
    ck_assert_int_eq(m->layers[k].out.h, 16);
    nn_arch_free(m);

    nn_arch *r = load_model("resnet20");
    /* ResNet-20: 40.55 M MACs with identity (option A) shortcuts; our 1x1 projections
     * add 2 * 131,072 MACs. Params ~0.27 M. */
    ck_assert_int_ge(nn_arch_macs(r), 40500000);
    ck_assert_int_le(nn_arch_macs(r), 41000000);
    ck_assert_int_ge(nn_arch_param_count(r), 265000);
    ck_assert_int_le(nn_arch_param_count(r), 280000);
    nn_arch_free(r);

    nn_arch *r50 = load_model("resnet50");
    ck_assert_int_ge(nn_arch_param_count(r50), 23400000);
    ck_assert_int_le(nn_arch_param_count(r50), 23600000);
    nn_arch_free(r50);
}
END_TEST

static void expect_error(const char *yaml, const char *needle)
{
    em_error err = {0};
    nn_arch *a = NULL;
    int rc = nn_arch_parse(yaml, "bad.yaml", &a, &err);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_null(a);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

START_TEST(bad_models)
{
    const char *head = "name: t\ninput: [1, 8, 8]\nclasses: 2\nlayers:\n";
    char buf[1024];
#define BAD(body, needle) (snprintf(buf, sizeof buf, "%s%s", head, body), expect_error(buf, needle))
    BAD("  - {type: conv, out: 2, kernel: 3, strid: 1}\n", "bad.yaml:5: layer 1: unknown key 'strid'");
    BAD("  - {type: conv, out: 2}\n", "missing required key 'kernel'");
    BAD("  - {type: conv, out: -2, kernel: 3}\n", "key 'out': -2 is out of range");
    BAD("  - {type: conv, out: 2, kernel: 9}\n", "larger than padded input");
    BAD("  - {type: conv, out: 3, kernel: 3, groups: 2}\n", "groups 2 must divide");
    BAD("  - {type: frob}\n", "unknown layer type 'frob'");
    BAD("  - {type: add, from: [input, nope]}\n", "no earlier layer named 'nope'");
    BAD("  - {type: relu, kernel: 3}\n", "key 'kernel' does not apply to relu");
    BAD("  - {type: linear, out: 3}\n", "gives 3 outputs but classes is 2");
    BAD("  - {type: linear, out: [3}\n", "malformed YAML");
    BAD("  - {name: a, type: relu}\n  - {name: a, type: relu}\n", "duplicate layer name 'a'");
#undef BAD
    expect_error("name: t\ninput: [1, 8]\nclasses: 2\nlayers: []\n", "key 'input'");
    expect_error("name: t\ninput: [1, 8, 8]\nclasses: 2\n", "key 'layers'");
}
END_TEST

/* Found while adding fuzz/fuzz_arch (by a hand-made input; the fuzzer had not hit it
 * in 120 s): shapes whose c*h*w passes an int overflowed (UB) in the flatten layer's
 * channel count and in the final classes check. */
START_TEST(oversized_shapes)
{
    expect_error("name: t\ninput: [65536, 65536, 1]\nclasses: 2\nlayers:\n"
                 "  - {type: relu}\n",
                 "bad.yaml:2: key 'input': 65536x65536x1 holds more than 2147483647 values");
    expect_error("name: t\ninput: [1, 40000, 40000]\nclasses: 2\nlayers:\n"
                 "  - {name: up, type: conv, out: 2, kernel: 1}\n"
                 "  - {type: flatten}\n  - {type: linear, out: 2}\n",
                 "layer 'up': output 2x40000x40000 holds more than 2147483647 values");
}
END_TEST

/* Counts that would not be exact (issue 18: MACs of 2^64 wrapped to 0) are refused,
 * naming the layer, and models just under the limits parse with exact counts. */
START_TEST(oversized_counts)
{
    /* 100000 x 50000 x 16 x 16 = 1.28e12 weights > 2^40. */
    expect_error("name: t\ninput: [50000, 16, 16]\nclasses: 100000\nlayers:\n"
                 "  - {name: wide, type: conv, out: 100000, kernel: 16}\n  - {type: flatten}\n",
                 "layer 'wide': too large to count exactly");
    /* 32768 x 4095^2 = 5.5e11 weights (under 2^40) on 128 x 128 outputs: 9.0e15 MACs
     * > 2^52. */
    expect_error("name: t\ninput: [1, 128, 128]\nclasses: 2\nlayers:\n"
                 "  - {name: big, type: conv, out: 32768, kernel: 4095, pad: 2047}\n"
                 "  - {type: gap}\n  - {type: flatten}\n  - {type: linear, out: 2}\n",
                 "layer 'big': too large to count exactly");
    /* Three layers of 2.2496e15 MACs each: two fit (4.4993e15 < 2^52 = 4.5036e15), the
     * third does not. */
    const char *three = "name: t\ninput: [1, 128, 128]\nclasses: 2\nlayers:\n"
                        "  - {name: a, type: conv, out: 32768, kernel: 2047, pad: 1023}\n"
                        "  - {name: b, type: conv, out: 32768, kernel: 2047, pad: 1023, from: input}\n"
                        "  - {name: c, type: conv, out: 32768, kernel: 2047, pad: 1023, from: input}\n"
                        "  - {type: gap}\n  - {type: flatten}\n  - {type: linear, out: 2}\n";
    expect_error(three, "too large to count exactly (more than 1099511627776 weights or "
                        "4503599627370496 MACs in all, reached at layer 'c')");
    /* Two of them fit, and the counts are the exact products. */
    const char *two = "name: t\ninput: [1, 128, 128]\nclasses: 2\nlayers:\n"
                      "  - {name: a, type: conv, out: 32768, kernel: 2047, pad: 1023}\n"
                      "  - {name: b, type: conv, out: 32768, kernel: 2047, pad: 1023, from: input}\n"
                      "  - {type: gap}\n  - {type: flatten}\n  - {type: linear, out: 2}\n";
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_msg(nn_arch_parse(two, "two.yaml", &a, &err) == 0, "%s", err.msg);
    const int64_t w = (int64_t)32768 * 2047 * 2047, m = w * 128 * 128;
    ck_assert(nn_layer_weight_count(&a->layers[0]) == w);
    ck_assert(nn_layer_macs(&a->layers[1]) == m);
    ck_assert(nn_arch_macs(a) == 2 * m + (int64_t)32768 * 2);
    nn_arch_free(a);
}
END_TEST

START_TEST(residual_add_shapes)
{
    const char *y = "name: r\ninput: [2, 6, 6]\nclasses: 4\nlayers:\n"
                    "  - {name: c1, type: conv, out: 4, kernel: 3, stride: 2, pad: 1}\n"
                    "  - {name: s, type: conv, out: 4, kernel: 1, stride: 2, from: input}\n"
                    "  - {name: a, type: add, from: [c1, s]}\n"
                    "  - {type: gap}\n  - {type: flatten}\n";
    em_error err = {0};
    nn_arch *a = NULL;
    ck_assert_msg(nn_arch_parse(y, "r.yaml", &a, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(a->layers[0].out.h, 3);
    ck_assert_int_eq(a->layers[1].src[0], NN_INPUT_SRC);
    ck_assert_int_eq(a->layers[2].src[0], 0);
    ck_assert_int_eq(a->layers[2].src[1], 1);
    ck_assert_int_eq(a->layers[4].out.c, 4);
    nn_arch_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("arch");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, lenet5_shapes);
    tcase_add_test(tc, vgg16_counts);
    tcase_add_test(tc, mobilenet_resnet_counts);
    tcase_add_test(tc, bad_models);
    tcase_add_test(tc, residual_add_shapes);
    tcase_add_test(tc, oversized_shapes);
    tcase_add_test(tc, oversized_counts);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
