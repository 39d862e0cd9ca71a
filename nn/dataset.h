/* nn/dataset.h: the image data sets the engine trains and evaluates on.
 *
 * Readers for MNIST / Fashion-MNIST (IDX) and CIFAR-10 (binary batches), straight
 * from `.gz` or plain files, with every header, size, count and label checked; data
 * folder resolution; a fixed, seeded validation split held out from the training
 * data (DESIGN.md 6: never select or tune on the test set); subsets; conversion to
 * normalised float NCHW (zero-padding centrally when the model input is larger than
 * the images); and a seeded, shuffling batcher with optional augmentation.
 *
 * Images stay uint8 in memory (CHW per image) and are converted batch by batch. */
#ifndef EMOMC_NN_DATASET_H
#define EMOMC_NN_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/rng.h"

typedef enum {
    NN_DS_MNIST,
    NN_DS_FASHION_MNIST,
    NN_DS_CIFAR10,
    NN_DS_KIND_COUNT
} nn_dataset_kind;

typedef enum { NN_SPLIT_TRAIN, NN_SPLIT_VAL, NN_SPLIT_TEST } nn_split;

typedef struct nn_dataset {
    nn_dataset_kind kind;
    int n;              /* images */
    int c, h, w;        /* image shape */
    int classes;
    uint8_t *pixels;    /* n * c*h*w bytes, CHW per image */
    uint8_t *labels;    /* n labels in [0, classes) */
    float mean[3], std[3]; /* normalisation per channel, on pixel/255 */
    char source[512];   /* where it came from (for messages and metadata) */
} nn_dataset;

/* Default size of the validation split and the seed that fixes it. Every command
 * uses these unless told otherwise, so `train` and `eval --split val` agree. */
#define NN_VAL_DEFAULT_COUNT 5000
#define NN_VAL_SEED 0x5eedda7aULL

const char *nn_dataset_kind_name(nn_dataset_kind k); /* "mnist", "fashion-mnist", "cifar10" */
int nn_dataset_kind_parse(const char *name, nn_dataset_kind *out); /* 0 or -1 */

/* Low-level readers (plain or gzip, detected by content). IDX images: magic 2051,
 * dims n, rows, cols. IDX labels: magic 2049, dim n. Errors name the file. */
int nn_idx_read_images(const char *path, int *n, int *rows, int *cols, uint8_t **pixels,
                       em_error *err);
int nn_idx_read_labels(const char *path, int *n, uint8_t **labels, em_error *err);
/* Appends the records of one CIFAR-10 binary batch (1 label byte + 3072 pixel bytes
 * per record; the file length must be a whole number of records). */
int nn_cifar_read_batch(const char *path, int *n, uint8_t **pixels, uint8_t **labels,
                        em_error *err);

/* Finds the folder holding a data set. `spec` is either a directory (used as given)
 * or a data set name; names are looked up under, in order: `root_flag` (if not
 * NULL), $EMOMC_DATA, <source tree>/../shared/data, ./../shared/data,
 * <source tree>/data (the MNIST test files shipped for the demo), ./data and
 * /usr/share/datasets. A folder qualifies when it holds the training or the test
 * files of the data set. Writes the folder into buf and the kind into *kind (a
 * directory's kind is detected from its files: CIFAR batches, or IDX files, which
 * count as Fashion-MNIST when the folder's name says "fashion"). */
int nn_data_resolve(const char *spec, const char *root_flag, char *buf, size_t n,
                    nn_dataset_kind *kind, em_error *err);

/* Loads the train (all 60000 / 50000 images) or test split of a resolved folder. */
int nn_dataset_load_dir(const char *dir, nn_dataset_kind kind, bool test,
                        nn_dataset **out, em_error *err);
/* Builds a dataset from raw arrays (copied): for tests and tools. */
int nn_dataset_from_arrays(nn_dataset_kind kind, int n, int c, int h, int w, int classes,
                           const uint8_t *pixels, const uint8_t *labels, nn_dataset **out,
                           em_error *err);
void nn_dataset_free(nn_dataset *ds);

/* Split options: the validation split is `val_count` images (or, when val_count is
 * 0 and val_fraction > 0, rint(val_fraction * n)) drawn by a permutation seeded
 * with `val_seed`; they are held out of the train split. limit > 0 keeps the first
 * `limit` images of the resulting split. */
typedef struct nn_split_opts {
    int val_count;
    double val_fraction;
    uint64_t val_seed;
    int limit;
} nn_split_opts;

void nn_split_opts_default(nn_split_opts *o); /* 5000 images, NN_VAL_SEED, no limit */

/* One call for commands: resolves spec, loads, splits. For NN_SPLIT_TEST the
 * validation options are ignored. */
int nn_dataset_open(const char *spec, const char *root_flag, nn_split split,
                    const nn_split_opts *opts, nn_dataset **out, em_error *err);

/* Splits a training set into (train, val) as described for nn_split_opts (limit is
 * ignored here). Either output may be NULL when not wanted. */
int nn_dataset_split(const nn_dataset *full, const nn_split_opts *opts, nn_dataset **train,
                     nn_dataset **val, em_error *err);
/* A new dataset with images idx[0..count) of ds, in that order. */
int nn_dataset_subset(const nn_dataset *ds, const uint32_t *idx, int count, nn_dataset **out,
                      em_error *err);

/* Converts images idx[0..count) (or 0..count when idx is NULL) to float NCHW of
 * shape (count, c, out_h, out_w): (pixel/255 - mean)/std, placed centrally when the
 * output is larger than the image; the border holds the value of a black pixel,
 * -mean/std (the same as padding before normalising). out_h/out_w smaller than the
 * image or a channel mismatch is refused. labels (may be NULL) gets the labels. */
int nn_dataset_to_float(const nn_dataset *ds, const uint32_t *idx, int count, int c, int out_h,
                        int out_w, float *out, int *labels, em_error *err);

/* Augmentation of one uint8 CHW image, seeded: a random crop of the image padded
 * by `pad` black pixels on every side (pad 0: no crop), then a horizontal flip with
 * probability 1/2 when `flip`. src and dst must not overlap. */
void nn_augment_u8(const uint8_t *src, int c, int h, int w, int pad, bool flip, em_rng *rng,
                   uint8_t *dst);

/* A seeded batcher: each epoch visits every image once in a fresh shuffled order
 * (or in file order when shuffle is false), optionally augmenting. */
typedef struct nn_batcher {
    const nn_dataset *ds;
    int batch;
    bool shuffle;
    int aug_pad;        /* random-crop padding (0 = none) */
    bool aug_flip;
    int out_c, out_h, out_w;
    em_rng rng;         /* drives shuffling and augmentation */
    uint32_t *order;
    int pos;            /* next position in order */
    uint8_t *scratch;   /* one augmented image */
} nn_batcher;

int nn_batcher_init(nn_batcher *b, const nn_dataset *ds, int batch, bool shuffle,
                    uint64_t seed, int out_c, int out_h, int out_w, em_error *err);
void nn_batcher_free(nn_batcher *b);
/* Starts an epoch: draws a new order from the batcher's RNG when shuffling. */
void nn_batcher_reset(nn_batcher *b);
/* Fills x (batch*c*h*w floats) and y with the next batch; returns its size (the
 * last batch of an epoch may be short; 0 at the end of the epoch). */
int nn_batcher_next(nn_batcher *b, float *x, int *y);
int nn_batcher_batches_per_epoch(const nn_batcher *b);

#endif
