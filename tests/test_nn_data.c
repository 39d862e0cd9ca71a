/* tests/test_nn_data.c: data set readers (IDX, CIFAR-10; plain and gzip), their
 * error messages on bad files, folder resolution, splits, float conversion,
 * augmentation and batching.
 *
 * Oracles: the hand-made files in tests/data/ (written by tests/data/make_tiny.py,
 * whose docstring gives every byte), and facts about the real MNIST test set
 * computed once with Python's gzip module, independently of this code:
 *   python3 -c "import gzip; d=gzip.open('t10k-images-idx3-ubyte.gz').read()[16:];
 *               l=gzip.open('t10k-labels-idx1-ubyte.gz').read()[8:];
 *               print(len(d)//784, l[0], sum(d[:784]), sum(d), sum(d[-784:]), l[-1],
 *                     [l.count(i) for i in range(10)])"
 *   -> 10000 7 18454 264923200 41833 6 [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
 * and of the CIFAR-10 test batch (shared JPEG-decoded copy): first record label 6,
 * pixel sum 413466; labels of the first five records 6 7 6 3 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "nn/dataset.h"
#include "tests/testutil.h"

static void write_bytes(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(d, 1, n, f), n);
    fclose(f);
}

static uint8_t *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    uint8_t *b = malloc(1 << 16);
    *n = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

static void copy_file(const char *from, const char *to)
{
    size_t n;
    uint8_t *b = read_bytes(from, &n);
    write_bytes(to, b, n);
    free(b);
}

static void check_tiny_idx(const char *img, const char *lab)
{
    em_error err = {0};
    int n, r, c, nl;
    uint8_t *px, *lb;
    ck_assert_msg(nn_idx_read_images(tu_path(img), &n, &r, &c, &px, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(r, 2);
    ck_assert_int_eq(c, 3);
    for (int i = 0; i < 18; i++) ck_assert_int_eq(px[i], 10 * i);
    ck_assert_msg(nn_idx_read_labels(tu_path(lab), &nl, &lb, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(nl, 3);
    ck_assert_int_eq(lb[0], 2);
    ck_assert_int_eq(lb[1], 0);
    ck_assert_int_eq(lb[2], 9);
    free(px);
    free(lb);
}

START_TEST(idx_plain_and_gz)
{
    check_tiny_idx("data/tiny-images-idx3-ubyte", "data/tiny-labels-idx1-ubyte");
    check_tiny_idx("data/tiny-images-idx3-ubyte.gz", "data/tiny-labels-idx1-ubyte.gz");
}
END_TEST

START_TEST(cifar_plain_and_gz)
{
    const char *files[] = {"data/tiny_batch.bin", "data/tiny_batch.bin.gz"};
    for (int f = 0; f < 2; f++) {
        em_error err = {0};
        int n;
        uint8_t *px, *lb;
        ck_assert_msg(nn_cifar_read_batch(tu_path(files[f]), &n, &px, &lb, &err) == 0, "%s",
                      err.msg);
        ck_assert_int_eq(n, 2);
        ck_assert_int_eq(lb[0], 3);
        ck_assert_int_eq(lb[1], 9);
        for (int j = 0; j < 3072; j += 97) {
            ck_assert_int_eq(px[j], j % 256);
            ck_assert_int_eq(px[3072 + j], 255 - j % 256);
        }
        free(px);
        free(lb);
    }
}
END_TEST

/* Expects reading `path` as IDX images (kind 0), IDX labels (1) or CIFAR (2) to fail
 * with a message containing both the path and `needle`. */
static void expect_fail(const char *path, int kind, const char *needle)
{
    em_error err = {0};
    int n, r, c, rc;
    uint8_t *a = NULL, *b = NULL;
    if (kind == 0)
        rc = nn_idx_read_images(path, &n, &r, &c, &a, &err);
    else if (kind == 1)
        rc = nn_idx_read_labels(path, &n, &a, &err);
    else
        rc = nn_cifar_read_batch(path, &n, &a, &b, &err);
    ck_assert_msg(rc != 0, "%s: read succeeded, expected '%s'", path, needle);
    ck_assert_msg(strstr(err.msg, path) != NULL, "message does not name the file: %s", err.msg);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "expected '%s' in: %s", needle, err.msg);
    ck_assert_ptr_null(a);
    ck_assert_ptr_null(b);
}

START_TEST(bad_files)
{
    const char *dir = tu_tmpdir();
    char p[4096];
    size_t n;
    uint8_t *img = read_bytes(tu_path("data/tiny-images-idx3-ubyte"), &n);
    ck_assert_uint_eq(n, 34);

    snprintf(p, sizeof p, "%s/trunc-images", dir);
    write_bytes(p, img, 30);
    expect_fail(p, 0, "truncated");
    snprintf(p, sizeof p, "%s/short-header", dir);
    write_bytes(p, img, 10);
    expect_fail(p, 0, "truncated IDX header");
    snprintf(p, sizeof p, "%s/trailing", dir);
    uint8_t big[40] = {0};
    memcpy(big, img, 34);
    write_bytes(p, big, 40);
    expect_fail(p, 0, "unexpected bytes");
    snprintf(p, sizeof p, "%s/bad-magic", dir);
    img[3] = 0x04;
    write_bytes(p, img, 34);
    expect_fail(p, 0, "bad magic number 2052");
    expect_fail(tu_path("data/tiny-labels-idx1-ubyte"), 0, "label file");
    expect_fail(tu_path("data/tiny-images-idx3-ubyte"), 1, "image file");
    img[3] = 0x03;
    img[7] = 0; /* zero images */
    snprintf(p, sizeof p, "%s/zero-count", dir);
    write_bytes(p, img, 34);
    expect_fail(p, 0, "implausible");
    free(img);

    snprintf(p, sizeof p, "%s/missing-file", dir);
    expect_fail(p, 0, "cannot open");

    /* A gzip stream cut in half, and one with its deflate data damaged. */
    uint8_t *gz = read_bytes(tu_path("data/tiny_batch.bin.gz"), &n);
    snprintf(p, sizeof p, "%s/cut.bin.gz", dir);
    write_bytes(p, gz, n / 2);
    expect_fail(p, 2, "gzip");
    for (size_t k = 30; k < 60 && k < n; k++) gz[k] ^= 0x5a;
    snprintf(p, sizeof p, "%s/damaged.bin.gz", dir);
    write_bytes(p, gz, n);
    expect_fail(p, 2, "gzip");
    free(gz);

    uint8_t *cf = read_bytes(tu_path("data/tiny_batch.bin"), &n);
    snprintf(p, sizeof p, "%s/partial.bin", dir);
    write_bytes(p, cf, 3073 + 100);
    expect_fail(p, 2, "whole number");
    cf[3073] = 10;
    snprintf(p, sizeof p, "%s/badlabel.bin", dir);
    write_bytes(p, cf, n);
    expect_fail(p, 2, "record 1 has label 10");
    free(cf);
}
END_TEST

/* A gzip stream of header + `zeros` zero bytes (written in 1 MiB pieces). */
static void write_bomb(const char *path, const uint8_t *head, size_t hn, size_t zeros)
{
    gzFile gz = gzopen(path, "wb1");
    ck_assert_ptr_nonnull(gz);
    if (hn) ck_assert_int_eq(gzwrite(gz, head, (unsigned)hn), (int)hn);
    static uint8_t z[1 << 20];
    for (size_t done = 0; done < zeros;) {
        size_t k = zeros - done < sizeof z ? zeros - done : sizeof z;
        ck_assert_int_eq(gzwrite(gz, z, (unsigned)k), (int)k);
        done += k;
    }
    gzclose(gz);
}

/* Decompression bombs and lying headers (issue 18): the readers stream what the
 * header announces and no more, so a small gzip that inflates far beyond it is an
 * error after the announced bytes, not a read of everything. */
START_TEST(decompression_bombs)
{
    const char *dir = tu_tmpdir();
    char p[1024];
    em_error err = {0};
    int n, r, c;
    uint8_t *px = NULL, *lb = NULL;
    /* 100 images of 28x28 announced, 64 MiB follow (a few hundred KB of gzip). */
    uint8_t h[16] = {0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28};
    snprintf(p, sizeof p, "%s/bomb-images.gz", dir);
    write_bomb(p, h, 16, (size_t)64 << 20);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert(st.st_size < 2 << 20);
    ck_assert_int_eq(nn_idx_read_images(p, &n, &r, &c, &px, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "unexpected bytes after 100 images"), "%s", err.msg);
    /* A header announcing more than a data file may hold: refused before reading. */
    uint8_t huge[16] = {0, 0, 8, 3, 0, 0x98, 0x96, 0x80, 0, 0, 0x10, 0, 0, 0, 0x10, 0};
    snprintf(p, sizeof p, "%s/huge-images.gz", dir);
    write_bomb(p, huge, 16, 1000);
    ck_assert_int_eq(nn_idx_read_images(p, &n, &r, &c, &px, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "more than the 2147483648 bytes"), "%s", err.msg);
    /* Labels: 10 announced, 64 MiB follow. */
    uint8_t hl[8] = {0, 0, 8, 1, 0, 0, 0, 10};
    snprintf(p, sizeof p, "%s/bomb-labels.gz", dir);
    write_bomb(p, hl, 8, (size_t)64 << 20);
    ck_assert_int_eq(nn_idx_read_labels(p, &n, &lb, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "unexpected bytes after 10 labels"), "%s", err.msg);
    /* CIFAR: no header; zero records (label 0) past the record limit. */
    snprintf(p, sizeof p, "%s/bomb_batch.bin.gz", dir);
    write_bomb(p, NULL, 0, (size_t)100001 * 3073);
    ck_assert_int_eq(nn_cifar_read_batch(p, &n, &px, &lb, &err), EM_EFORMAT);
    ck_assert_msg(strstr(err.msg, "more than 100000 records"), "%s", err.msg);
    /* Just under it reads, every record there. */
    snprintf(p, sizeof p, "%s/ok_batch.bin.gz", dir);
    write_bomb(p, NULL, 0, (size_t)3 * 3073);
    ck_assert_msg(nn_cifar_read_batch(p, &n, &px, &lb, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(n, 3);
    free(px);
    free(lb);
}
END_TEST

START_TEST(label_range_and_count_mismatch)
{
    const char *dir = tu_tmpdir();
    char p[4096];
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
    copy_file(tu_path("data/tiny-images-idx3-ubyte"), p);
    uint8_t labs[11] = {0, 0, 8, 1, 0, 0, 0, 3, 2, 12, 1};
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
    write_bytes(p, labs, 11);
    em_error err = {0};
    nn_dataset *ds = NULL;
    ck_assert_int_ne(nn_dataset_load_dir(dir, NN_DS_MNIST, true, &ds, &err), 0);
    ck_assert_msg(strstr(err.msg, "label 12 of item 1 is out of range"), "%s", err.msg);
    labs[7] = 2; /* two labels for three images */
    labs[9] = 1;
    write_bytes(p, labs, 10);
    ck_assert_int_ne(nn_dataset_load_dir(dir, NN_DS_MNIST, true, &ds, &err), 0);
    ck_assert_msg(strstr(err.msg, "holds 2 labels but"), "%s", err.msg);
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(resolve_order)
{
    /* A root with mnist/ holding the tiny files under the standard names. */
    const char *root = tu_tmpdir(), *root2 = tu_tmpdir();
    char p[4096];
    snprintf(p, sizeof p, "%s/mnist", root);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/mnist/t10k-images-idx3-ubyte.gz", root);
    copy_file(tu_path("data/tiny-images-idx3-ubyte.gz"), p);
    snprintf(p, sizeof p, "%s/mnist/t10k-labels-idx1-ubyte.gz", root);
    copy_file(tu_path("data/tiny-labels-idx1-ubyte.gz"), p);

    char buf[4096], want[4096];
    nn_dataset_kind k;
    em_error err = {0};
    snprintf(want, sizeof want, "%s/mnist", root);
    /* The flag wins over the environment. */
    setenv("EMOMC_DATA", root2, 1);
    ck_assert_msg(nn_data_resolve("mnist", root, buf, sizeof buf, &k, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(k, NN_DS_MNIST);
    /* Then the environment. */
    setenv("EMOMC_DATA", root, 1);
    ck_assert_msg(nn_data_resolve("mnist", NULL, buf, sizeof buf, &k, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(buf, want);
    /* A folder is used as given and its format detected. */
    ck_assert_int_eq(nn_data_resolve(want, NULL, buf, sizeof buf, &k, &err), 0);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(k, NN_DS_MNIST);
    ck_assert_int_ne(nn_data_resolve(root2, NULL, buf, sizeof buf, &k, &err), 0);
    ck_assert_msg(strstr(err.msg, "holds neither"), "%s", err.msg);
    ck_assert_int_ne(nn_data_resolve("imagenet", NULL, buf, sizeof buf, &k, &err), 0);
    ck_assert_msg(strstr(err.msg, "neither a data set name"), "%s", err.msg);
    unsetenv("EMOMC_DATA");

    /* Loading the test split through the whole path. */
    nn_dataset *ds = NULL;
    ck_assert_msg(nn_dataset_open(want, NULL, NN_SPLIT_TEST, NULL, &ds, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(ds->n, 3);
    ck_assert_int_eq(ds->labels[2], 9);
    nn_dataset_free(ds);
}
END_TEST

START_TEST(float_conversion_pads_centrally)
{
    em_error err = {0};
    int n, r, c, nl;
    uint8_t *px, *lb;
    ck_assert_int_eq(nn_idx_read_images(tu_path("data/tiny-images-idx3-ubyte"), &n, &r, &c, &px,
                                        &err), 0);
    ck_assert_int_eq(nn_idx_read_labels(tu_path("data/tiny-labels-idx1-ubyte"), &nl, &lb, &err),
                     0);
    nn_dataset *ds;
    ck_assert_int_eq(nn_dataset_from_arrays(NN_DS_MNIST, 3, 1, 2, 3, 10, px, lb, &ds, &err), 0);
    /* 2x3 images into 4x5: one row above, one column left (floor of the margin / 2). */
    float out[2 * 20];
    int y[2];
    uint32_t idx[2] = {2, 0};
    ck_assert_int_eq(nn_dataset_to_float(ds, idx, 2, 1, 4, 5, out, y, &err), 0);
    ck_assert_int_eq(y[0], 9);
    ck_assert_int_eq(y[1], 2);
    const double mean = 0.1307, sd = 0.3081, pad = -mean / sd;
    for (int i = 0; i < 2; i++)
        for (int yy = 0; yy < 4; yy++)
            for (int xx = 0; xx < 5; xx++) {
                double want = pad;
                if (yy >= 1 && yy < 3 && xx >= 1 && xx < 4) {
                    int img = i == 0 ? 2 : 0, k = (yy - 1) * 3 + (xx - 1);
                    want = (10.0 * (6 * img + k) / 255.0 - mean) / sd;
                }
                ck_assert_close(out[i * 20 + yy * 5 + xx], want, 1e-5, 1e-6);
            }
    /* Smaller outputs and wrong channel counts are refused. */
    ck_assert_int_ne(nn_dataset_to_float(ds, NULL, 1, 1, 1, 3, out, NULL, &err), 0);
    ck_assert_int_ne(nn_dataset_to_float(ds, NULL, 1, 3, 2, 3, out, NULL, &err), 0);
    ck_assert_msg(strstr(err.msg, "channel"), "%s", err.msg);
    nn_dataset_free(ds);
    free(px);
    free(lb);
}
END_TEST

static nn_dataset *counting_dataset(int n)
{
    /* Image i is 1x2x2 with pixels i%256 (and label i%10), so a batch's first
     * pixel identifies its image (for n <= 256). */
    uint8_t *px = malloc((size_t)n * 4), *lb = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++) px[i * 4 + k] = (uint8_t)(i % 256);
        lb[i] = (uint8_t)(i % 10);
    }
    nn_dataset *ds;
    em_error err = {0};
    ck_assert_int_eq(nn_dataset_from_arrays(NN_DS_MNIST, n, 1, 2, 2, 10, px, lb, &ds, &err), 0);
    free(px);
    free(lb);
    return ds;
}

START_TEST(split_is_fixed_and_disjoint)
{
    nn_dataset *full = counting_dataset(200), *tr, *va, *tr2, *va2;
    nn_split_opts o;
    nn_split_opts_default(&o);
    o.val_count = 30;
    em_error err = {0};
    ck_assert_int_eq(nn_dataset_split(full, &o, &tr, &va, &err), 0);
    ck_assert_int_eq(va->n, 30);
    ck_assert_int_eq(tr->n, 170);
    int seen[200] = {0};
    for (int i = 0; i < va->n; i++) seen[va->pixels[i * 4]]++;
    for (int i = 0; i < tr->n; i++) seen[tr->pixels[i * 4]] += 2;
    for (int i = 0; i < 200; i++) ck_assert_msg(seen[i] == 1 || seen[i] == 2, "image %d", i);
    /* Both parts keep file order, and the split is a function of its seed only. */
    for (int i = 1; i < va->n; i++) ck_assert_int_lt(va->pixels[(i - 1) * 4], va->pixels[i * 4]);
    ck_assert_int_eq(nn_dataset_split(full, &o, &tr2, &va2, &err), 0);
    ck_assert_mem_eq(va->pixels, va2->pixels, 30 * 4);
    nn_dataset_free(tr2);
    nn_dataset_free(va2);
    o.val_seed = 99;
    ck_assert_int_eq(nn_dataset_split(full, &o, &tr2, &va2, &err), 0);
    ck_assert_int_ne(memcmp(va->pixels, va2->pixels, 30 * 4), 0);
    /* A fraction. */
    nn_dataset_free(tr2);
    nn_dataset_free(va2);
    o.val_count = 0;
    o.val_fraction = 0.25;
    ck_assert_int_eq(nn_dataset_split(full, &o, &tr2, &va2, &err), 0);
    ck_assert_int_eq(va2->n, 50);
    o.val_count = 200;
    ck_assert_int_ne(nn_dataset_split(full, &o, NULL, &va, &err), 0);
    ck_assert_msg(strstr(err.msg, "no training data"), "%s", err.msg);
    nn_dataset_free(tr2);
    nn_dataset_free(va2);
    nn_dataset_free(tr);
    nn_dataset_free(va);
    nn_dataset_free(full);
}
END_TEST

START_TEST(batcher_epochs)
{
    nn_dataset *ds = counting_dataset(23);
    nn_batcher b, b2;
    em_error err = {0};
    ck_assert_int_eq(nn_batcher_init(&b, ds, 5, true, 7, 1, 2, 2, &err), 0);
    ck_assert_int_eq(nn_batcher_init(&b2, ds, 5, true, 7, 1, 2, 2, &err), 0);
    ck_assert_int_eq(nn_batcher_batches_per_epoch(&b), 5);
    int first_order[23], order2[23];
    for (int epoch = 0; epoch < 2; epoch++) {
        nn_batcher_reset(&b);
        nn_batcher_reset(&b2);
        int seen[23] = {0}, at = 0, m;
        float x[5 * 4], x2[5 * 4];
        int y[5], y2[5];
        while ((m = nn_batcher_next(&b, x, y)) > 0) {
            ck_assert_int_eq(nn_batcher_next(&b2, x2, y2), m);
            ck_assert_mem_eq(x, x2, sizeof(float) * (size_t)m * 4);
            ck_assert_int_eq(m, at < 20 ? 5 : 3);
            for (int i = 0; i < m; i++) {
                /* Recover the image index from its normalised pixel. */
                int id = (int)((x[i * 4] * 0.3081 + 0.1307) * 255.0 + 0.5);
                ck_assert_int_eq(y[i], id % 10);
                seen[id]++;
                if (epoch == 0) first_order[at + i] = id;
                else order2[at + i] = id;
            }
            at += m;
        }
        ck_assert_int_eq(at, 23);
        for (int i = 0; i < 23; i++) ck_assert_int_eq(seen[i], 1);
    }
    ck_assert_int_ne(memcmp(first_order, order2, sizeof order2), 0); /* reshuffled */
    nn_batcher_free(&b);
    nn_batcher_free(&b2);
    nn_dataset_free(ds);
}
END_TEST

START_TEST(augment_is_a_crop_or_flip)
{
    /* Oracle: brute force over every offset in [-pad, pad]^2 and both flips; the
     * augmented image must equal one of those candidates. */
    enum { C = 2, H = 5, W = 6, PAD = 2 };
    uint8_t src[C * H * W], dst[C * H * W], cand[C * H * W];
    for (int i = 0; i < C * H * W; i++) src[i] = (uint8_t)(1 + i * 3);
    em_rng rng;
    em_rng_seed(&rng, 3);
    int flips = 0, shifts = 0;
    for (int trial = 0; trial < 200; trial++) {
        nn_augment_u8(src, C, H, W, PAD, true, &rng, dst);
        bool found = false;
        for (int dy = -PAD; dy <= PAD && !found; dy++)
            for (int dx = -PAD; dx <= PAD && !found; dx++)
                for (int f = 0; f < 2 && !found; f++) {
                    for (int ch = 0; ch < C; ch++)
                        for (int y = 0; y < H; y++)
                            for (int x = 0; x < W; x++) {
                                int sx = (f ? W - 1 - x : x) + dx, sy = y + dy;
                                cand[(ch * H + y) * W + x] =
                                    (sy >= 0 && sy < H && sx >= 0 && sx < W)
                                        ? src[(ch * H + sy) * W + sx] : 0;
                            }
                    if (!memcmp(cand, dst, sizeof dst)) {
                        found = true;
                        flips += f;
                        shifts += dx != 0 || dy != 0;
                    }
                }
        ck_assert_msg(found, "trial %d: not a padded crop or flip of the source", trial);
    }
    ck_assert_int_gt(flips, 60);  /* about 100 expected */
    ck_assert_int_lt(flips, 140);
    ck_assert_int_gt(shifts, 150); /* 24 of 25 offsets move the image */
    /* No padding and no flip: identity. */
    nn_augment_u8(src, C, H, W, 0, false, &rng, dst);
    ck_assert_mem_eq(src, dst, sizeof src);
}
END_TEST

START_TEST(real_mnist_test_set)
{
    em_error err = {0};
    nn_dataset *ds = NULL;
    int rc = nn_dataset_open("mnist", NULL, NN_SPLIT_TEST, NULL, &ds, &err);
    ck_assert_msg(rc == 0, "the shared MNIST copy is needed: %s", err.msg);
    ck_assert_int_eq(ds->n, 10000);
    ck_assert_int_eq(ds->h, 28);
    ck_assert_int_eq(ds->w, 28);
    ck_assert_int_eq(ds->labels[0], 7);
    ck_assert_int_eq(ds->labels[9999], 6);
    long long s0 = 0, s_last = 0, total = 0;
    for (int k = 0; k < 784; k++) s0 += ds->pixels[k], s_last += ds->pixels[9999 * 784 + k];
    for (long k = 0; k < 10000L * 784; k++) total += ds->pixels[k];
    ck_assert_int_eq(s0, 18454);
    ck_assert_int_eq(s_last, 41833);
    ck_assert_int_eq(total, 264923200LL);
    const int hist[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    int h[10] = {0};
    for (int i = 0; i < 10000; i++) h[ds->labels[i]]++;
    for (int c = 0; c < 10; c++) ck_assert_int_eq(h[c], hist[c]);
    nn_dataset_free(ds);

    /* The default validation split: 5000 of the 60000 training images, and --limit. */
    nn_split_opts o;
    nn_split_opts_default(&o);
    o.limit = 123;
    ck_assert_msg(nn_dataset_open("mnist", NULL, NN_SPLIT_VAL, &o, &ds, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(ds->n, 123);
    nn_dataset_free(ds);
    o.limit = 0;
    ck_assert_int_eq(nn_dataset_open("mnist", NULL, NN_SPLIT_TRAIN, &o, &ds, &err), 0);
    ck_assert_int_eq(ds->n, 55000);
    nn_dataset_free(ds);
}
END_TEST

START_TEST(real_cifar_test_batch)
{
    em_error err = {0};
    nn_dataset *ds = NULL;
    int rc = nn_dataset_open("cifar10", NULL, NN_SPLIT_TEST, NULL, &ds, &err);
    ck_assert_msg(rc == 0, "the shared CIFAR-10 copy is needed: %s", err.msg);
    ck_assert_int_eq(ds->n, 10000);
    ck_assert_int_eq(ds->c, 3);
    const int first[5] = {6, 7, 6, 3, 1};
    for (int i = 0; i < 5; i++) ck_assert_int_eq(ds->labels[i], first[i]);
    long long s = 0;
    for (int k = 0; k < 3072; k++) s += ds->pixels[k];
    ck_assert_int_eq(s, 413466);
    nn_dataset_free(ds);
}
END_TEST

START_TEST(real_fashion_mnist_test_set)
{
    /* Debian's dataset-fashion-mnist package; first label 9 and first image's pixel
     * sum 33456 computed with Python's gzip module. */
    em_error err = {0};
    nn_dataset *ds = NULL;
    int rc = nn_dataset_open("fashion-mnist", NULL, NN_SPLIT_TEST, NULL, &ds, &err);
    ck_assert_msg(rc == 0, "Fashion-MNIST (apt-get install dataset-fashion-mnist): %s", err.msg);
    ck_assert_int_eq(ds->kind, NN_DS_FASHION_MNIST);
    ck_assert_int_eq(ds->n, 10000);
    ck_assert_int_eq(ds->labels[0], 9);
    long s = 0;
    for (int k = 0; k < 784; k++) s += ds->pixels[k];
    ck_assert_int_eq(s, 33456);
    ck_assert_float_eq(ds->mean[0], 0.2860f);
    nn_dataset_free(ds);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("nn_data");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, idx_plain_and_gz);
    tcase_add_test(tc, cifar_plain_and_gz);
    tcase_add_test(tc, bad_files);
    tcase_add_test(tc, decompression_bombs);
    tcase_add_test(tc, label_range_and_count_mismatch);
    tcase_add_test(tc, resolve_order);
    tcase_add_test(tc, float_conversion_pads_centrally);
    tcase_add_test(tc, split_is_fixed_and_disjoint);
    tcase_add_test(tc, batcher_epochs);
    tcase_add_test(tc, augment_is_a_crop_or_flip);
    tcase_add_test(tc, real_mnist_test_set);
    tcase_add_test(tc, real_cifar_test_batch);
    tcase_add_test(tc, real_fashion_mnist_test_set);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
