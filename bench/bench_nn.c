/* bench/bench_nn.c: inference throughput of the nn engine (images/s, fp32, eval
 * mode with batch norm folded, as `emomc eval` runs it) for LeNet-5, ResNet-20 and
 * VGG-16 at batch sizes 1 and 64, the achieved GFLOP/s of each model's conv layers
 * (each conv timed alone as a one-layer network; direct-convolution FLOPs over time,
 * so Winograd layers count the multiplies they avoid), and the OpenBLAS sgemm peak of
 * the same threads, measured in the same run. Every figure is the median of
 * repeats. bench/bench_nn.sh runs this next to bench/bench_nn_torch.py and prints
 * the ratios.
 *
 * With --train, also training steps (train-mode forward, loss, backward; no
 * optimizer, BN not folded) at each batch size.
 *
 * usage: bench_nn [--threads T] [--repeats R] [--seconds S] [--models a,b,c]
 *                 [--batches 1,64] [--no-forward] [--no-convs] [--no-peak] [--train]
 * Output: one line per measurement, "key value" pairs (parsed by bench_nn.sh). */
#include <cblas.h>
#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/rng.h"
#include "spec/arch.h"
#include "nn/net.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* One eval forward of n images, or with train a training step without the
 * optimizer: train-mode forward, softmax cross-entropy, backward. */
static void step(nn_net *net, const float *x, int n, float *logits, bool train)
{
    em_error err = {0};
    int rc = nn_net_forward(net, x, n, logits, train, &err);
    if (!rc && train) {
        const int classes = nn_net_arch(net)->classes;
        int *labels = malloc(sizeof *labels * (size_t)n);
        float *dl = malloc(sizeof *dl * (size_t)n * classes);
        for (int i = 0; i < n; i++) labels[i] = i % classes;
        nn_net_zero_grad(net);
        nn_softmax_xent(logits, labels, n, classes, dl);
        rc = nn_net_backward(net, dl, NULL, &err);
        free(labels);
        free(dl);
    }
    if (rc) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        exit(1);
    }
}

/* Seconds per step of n images: repeats of as many steps as fit in `secs` (at least
 * one); returns the median. */
static double time_steps(nn_net *net, const float *x, int n, float *logits, bool train,
                         int repeats, double secs)
{
    step(net, x, n, logits, train); /* warm-up, sizes workspaces */
    double t0 = em_now_seconds();
    step(net, x, n, logits, train);
    double one = em_now_seconds() - t0;
    int iters = one > 0 ? (int)(secs / one) : 1;
    if (iters < 1) iters = 1;
    double *t = malloc(sizeof *t * (size_t)repeats);
    for (int r = 0; r < repeats; r++) {
        double s = em_now_seconds();
        for (int i = 0; i < iters; i++) step(net, x, n, logits, train);
        t[r] = (em_now_seconds() - s) / iters;
    }
    double m = median(t, repeats);
    free(t);
    return m;
}

static float *random_floats(size_t n, uint64_t seed)
{
    float *x = malloc(sizeof *x * n);
    em_rng r;
    em_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = (float)(em_rng_uniform(&r) * 2 - 1);
    return x;
}

static nn_net *build(const nn_arch *a, int threads)
{
    em_error err = {0};
    nn_net *net;
    if (nn_net_new(a, &net, &err)) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        exit(1);
    }
    nn_net_init(net, 1);
    nn_net_set_threads(net, threads);
    return net;
}

/* sgemm peak: T threads each multiplying its own 512x512x512 (single-threaded
 * OpenBLAS inside, as the engine runs it). */
static double sgemm_peak(int threads, int repeats)
{
    const int N = 512;
    float *a = random_floats((size_t)N * N, 1), *b = random_floats((size_t)N * N, 2);
    float *c = calloc((size_t)N * N * (size_t)threads, sizeof(float));
    double *t = malloc(sizeof *t * (size_t)repeats);
    const int iters = 8;
    for (int r = -1; r < repeats; r++) {
        double s = em_now_seconds();
#pragma omp parallel for num_threads(threads) schedule(static, 1)
        for (int k = 0; k < threads * iters; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, a, N, b, N,
                        0.0f, c + (size_t)omp_get_thread_num() * N * N, N);
        if (r >= 0) t[r] = em_now_seconds() - s;
    }
    double sec = median(t, repeats);
    free(a), free(b), free(c), free(t);
    return 2.0 * N * N * (double)N * threads * iters / sec / 1e9;
}

/* GFLOP/s of the conv layers of a: each conv alone, batch 64, times summed. */
static void conv_gflops(const nn_arch *a, int threads, int repeats, double secs,
                        double *gflops, double *seconds_per_image)
{
    double flops = 0, time = 0;
    for (int i = 0; i < a->n_layers; i++) {
        const nn_layer_spec *l = &a->layers[i];
        if (l->kind != NN_L_CONV) continue;
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "name: %s\ninput: [%d, %d, %d]\nclasses: %d\nlayers:\n"
                 "  - {name: c, type: conv, out: %d, kernel: %d, stride: %d, pad: %d, "
                 "groups: %d, bias: %s}\n",
                 l->name, l->in.c, l->in.h, l->in.w, l->out.c * l->out.h * l->out.w,
                 l->out_channels, l->kh, l->stride, l->pad, l->groups, l->bias ? "true" : "false");
        nn_arch *one;
        em_error err = {0};
        if (nn_arch_parse(yaml, l->name, &one, &err)) {
            fprintf(stderr, "bench_nn: %s\n", err.msg);
            exit(1);
        }
        nn_net *net = build(one, threads);
        const int n = 64;
        float *x = random_floats((size_t)n * l->in.c * l->in.h * l->in.w, 3);
        float *y = malloc(sizeof *y * (size_t)n * one->classes);
        double s = time_steps(net, x, n, y, false, repeats, secs / 4);
        flops += 2.0 * (double)nn_layer_macs(l) * n;
        time += s;
        free(x), free(y);
        nn_net_free(net);
        nn_arch_free(one);
    }
    *gflops = flops / time / 1e9;
    *seconds_per_image = time / 64;
}

int main(int argc, char **argv)
{
    int threads = omp_get_num_procs(), repeats = 5;
    double secs = 1.0;
    char models[256] = "lenet5,resnet20,vgg16", blist[64] = "1,64";
    bool do_forward = true, do_convs = true, do_peak = true, do_train = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--models") && i + 1 < argc)
            snprintf(models, sizeof models, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--batches") && i + 1 < argc)
            snprintf(blist, sizeof blist, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--no-forward")) do_forward = false;
        else if (!strcmp(argv[i], "--no-convs")) do_convs = false;
        else if (!strcmp(argv[i], "--no-peak")) do_peak = false;
        else if (!strcmp(argv[i], "--train")) do_train = true;
        else {
            fprintf(stderr, "usage: bench_nn [--threads T] [--repeats R] [--seconds S] "
                            "[--models a,b,c] [--batches 1,64] [--no-forward] [--no-convs] [--no-peak] [--train]\n");
            return 2;
        }
    }
    if (threads < 1 || repeats < 1) return 2;
    openblas_set_num_threads(1);
    int batches[8], nb = 0;
    for (char *b = strtok(blist, ","); b && nb < 8; b = strtok(NULL, ",")) batches[nb++] = atoi(b);
    double peak = 0;
    if (do_peak) {
        peak = sgemm_peak(threads, repeats);
        printf("sgemm_peak threads %d gflops %.2f\n", threads, peak);
        fflush(stdout);
    }
    char *save = NULL;
    for (char *m = strtok_r(models, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        char path[4096];
        em_error err = {0};
        nn_arch *a;
        if (nn_arch_resolve(m, path, sizeof path, &err) || nn_arch_load(path, &a, &err)) {
            fprintf(stderr, "bench_nn: %s\n", err.msg);
            return 1;
        }
        for (int bi = 0; bi < nb && do_forward; bi++) {
            int n = batches[bi];
            nn_net *net = build(a, threads);
            nn_net_fold_bn(net, NULL, &err);
            float *x = random_floats((size_t)n * a->input.c * a->input.h * a->input.w, 4);
            float *y = malloc(sizeof *y * (size_t)n * a->classes);
            double s = time_steps(net, x, n, y, false, repeats, secs);
            double conv_macs = 0;
            for (int i = 0; i < a->n_layers; i++)
                if (a->layers[i].kind == NN_L_CONV) conv_macs += (double)nn_layer_macs(&a->layers[i]);
            printf("model %s batch %d threads %d images_per_s %.1f net_conv_gflops %.2f\n", m, n,
                   threads, n / s, 2.0 * conv_macs * n / s / 1e9);
            fflush(stdout);
            free(x), free(y);
            nn_net_free(net);
        }
        for (int bi = 0; bi < nb && do_train; bi++) {
            int n = batches[bi];
            nn_net *net = build(a, threads);
            float *x = random_floats((size_t)n * a->input.c * a->input.h * a->input.w, 4);
            float *y = malloc(sizeof *y * (size_t)n * a->classes);
            double s = time_steps(net, x, n, y, true, repeats, secs);
            printf("train_model %s batch %d threads %d images_per_s %.1f\n", m, n, threads,
                   n / s);
            fflush(stdout);
            free(x), free(y);
            nn_net_free(net);
        }
        if (do_convs) {
            double g, spi;
            conv_gflops(a, threads, repeats, secs, &g, &spi);
            printf("convs %s batch 64 threads %d gflops %.2f peak_fraction %.3f\n", m, threads,
                   g, peak > 0 ? g / peak : 0);
            fflush(stdout);
        }
        nn_arch_free(a);
    }
    return 0;
}
