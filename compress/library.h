/* compress/library.h: the stage-I library: fine-tuned L1-pruned models on a grid of
 * keep ratios (DESIGN.md 6), how to build one and how to read one.
 *
 * A library is a folder:
 *   index.csv          keep,member,val_acc,test_acc,epochs,seconds  (one row per
 *                      finished member, in build order; rewritten atomically)
 *   keep-0.800.emw     one weights file per member, masks included, with metadata
 *                      (kind=library-member, model, dataset, keep, schedule, recipe,
 *                      val_accuracy, test_accuracy, epochs, seed, source)
 *
 * Schedules (per-layer L1 on conv/linear weights, as EMOMC prunes; each step prunes
 * to its keep, already-pruned weights staying pruned, then fine-tunes on the training
 * split only):
 *   emomc   for every grid keep k, restart from the trained model and take `steps`
 *           (32) geometric steps k^(s/steps), s = 1..steps, of `epochs_per_step`
 *           epochs each (EMOMC's restart schedule).
 *   single  one descending pass over the grid from the highest keep to the lowest;
 *           between grid points (and from 1 down to the first one) extra geometric
 *           steps are inserted so that no step shrinks the keep by more than the
 *           emomc schedule's step at the lowest grid keep (ratio k_min^(1/steps));
 *           every step fine-tunes `epochs_per_step` epochs, and every grid point is
 *           saved as a member (a checkpoint the pass resumes from).
 * Members are selected and reported on the fixed validation split held out of the
 * training data; the test accuracy is only recorded (never used for a choice).
 *
 * Resume: members in index.csv whose file exists are kept; emomc rebuilds the
 * missing ones, single continues from the last member it finds. Each member's
 * fine-tuning seeds are a function of (seed, member, step), so a resumed build writes
 * the same member files, byte for byte, as an uninterrupted one (only the seconds
 * column differs). */
#ifndef EMOMC_COMPRESS_LIBRARY_H
#define EMOMC_COMPRESS_LIBRARY_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../nn/dataset.h"
#include "../nn/net.h"
#include "../nn/train.h"
#include "../nn/weights.h"

#define CP_LIBRARY_INDEX "index.csv"
#define CP_LIBRARY_MAX_GRID 1001

typedef enum { CP_SCHED_SINGLE, CP_SCHED_EMOMC } cp_schedule;
const char *cp_schedule_name(cp_schedule s);            /* "single", "emomc" */
int cp_schedule_parse(const char *s, cp_schedule *out); /* 0 or -1 */

/* Parses "hi:lo:step" (descending, e.g. 0.8:0.2:0.01; 0 < lo <= hi <= 1, step > 0)
 * or a single keep "0.5", into keeps[] (descending, each rounded to 1e-9 so that
 * 0.8 - 3*0.01 prints as 0.77). lo is included when (hi - lo)/step is a whole
 * number (within 1e-6). Returns the count in *n. */
int cp_grid_parse(const char *text, double *keeps, int max, int *n, em_error *err);

/* File name of a member: "keep-0.800.emw" (keep rounded to 1e-3; a finer keep
 * uses more digits, e.g. "keep-0.8125.emw"). */
void cp_member_filename(double keep, char *buf, size_t n);

typedef struct cp_library_progress {
    int member, members;        /* 0-based index of the member being built, of */
    double keep;                /* its grid keep */
    int step, steps;            /* fine-tuning step within the member (emomc) or the
                                   pass (single), 1-based, of */
    double step_keep;           /* keep of this step */
    bool member_done;           /* once per member, after it is saved */
    bool skipped;               /* member_done for a member found done (resume) */
    double val_acc, test_acc;   /* member_done: accuracies (test < 0: none) */
    int epochs;                 /* member_done: epochs spent on it */
    double seconds;             /* member_done: seconds spent on it */
    const nn_train_progress *train; /* during fine-tuning: the epoch's progress */
} cp_library_progress;

typedef void (*cp_library_progress_fn)(const cp_library_progress *p, void *ctx);

typedef struct cp_library_cfg {
    cp_schedule schedule;
    int steps;                  /* emomc: geometric steps per member (32) */
    int epochs_per_step;        /* 1 */
    nn_train_cfg train;         /* optimizer, batch, schedule per step, seed (epochs set
                                   by the builder to epochs_per_step) */
    int eval_batch;             /* 256 */
    int threads;                /* worker threads, 0 = all cores */
    bool resume;                /* keep finished members; else the folder must not
                                   hold an index.csv */
    int stop_after;             /* stop after this many members built in this call
                                   (0 = all): for tests of resume */
    const char *source;         /* the trained weights' path, for metadata */
    const char *dataset_name;   /* for metadata */
    cp_library_progress_fn progress;
    void *progress_ctx;
} cp_library_cfg;

/* Defaults: single schedule, 32 steps, 1 epoch per step, SGD lr 0.01 momentum 0.9
 * wd 5e-4 constant, batch 128, seed 1, eval batch 256. */
void cp_library_cfg_default(cp_library_cfg *c);

/* Builds (or completes) the library in dir for the grid keeps[0..n) (any order;
 * built in descending order), starting from `trained` (weights of `arch`, without
 * masks). train is the training split, val the validation split (required), test
 * may be NULL. Creates dir if needed. */
int cp_library_build(const char *dir, const nn_arch *arch, const nn_weights *trained,
                     const double *keeps, int n, const nn_dataset *train,
                     const nn_dataset *val, const nn_dataset *test, const cp_library_cfg *cfg,
                     em_error *err);

/* ---- reading ------------------------------------------------------------------- */

typedef struct cp_library_member {
    double keep;
    char file[64];              /* as in index.csv */
    char *path;                 /* dir/file */
    double val_acc, test_acc;   /* test_acc < 0: not measured */
    int epochs;
    double seconds;
} cp_library_member;

typedef struct cp_library cp_library;

/* Reads dir/index.csv (strictly: header, six fields per row, numbers in range,
 * unique keeps, member files present). Members are sorted by keep, descending. */
int cp_library_open(const char *dir, cp_library **out, em_error *err);
void cp_library_free(cp_library *lib);
int cp_library_count(const cp_library *lib);
const cp_library_member *cp_library_member_at(const cp_library *lib, int i);
/* Index of the member whose keep is nearest (ties: the larger keep). */
int cp_library_nearest(const cp_library *lib, double keep);
/* Index of the member with exactly this keep (within 1e-9), or -1. */
int cp_library_find(const cp_library *lib, double keep);
/* Loads member i (weights and masks) into net, checking it against the model. */
int cp_library_load(const cp_library *lib, int i, nn_net *net, em_error *err);

#endif
