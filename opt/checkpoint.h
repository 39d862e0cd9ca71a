/* opt/checkpoint.h: the resumable state of any population-based run, written after
 * each generation and read back on --resume, at a cost proportional to what changed.
 *
 * Two files, host byte order (a checkpoint is resumed on the machine that wrote it):
 *  - <path>, the state: magic "EMOMCKP2", a fixed header (algorithm, problem, sizes,
 *    seed, population size, generation, generator state, cache hits, algorithm
 *    scalars), the algorithm's populations (doubles bit for bit), and how much of the
 *    archive file belongs to this state (rows, bytes, and the chained CRC at that
 *    point), closed by a CRC-32 of everything before it. Small; rewritten atomically
 *    (common/atomicfile.h) every generation.
 *  - <path>.archive, every true evaluation: magic "EMOMCAR1" and the sizes, then one
 *    record per generation holding only that generation's new evaluations, appended.
 *    Each record is closed by a CRC-32 chained from the previous record's, so the
 *    state's CRC vouches for the whole prefix it names.
 * A generation first appends its record, then replaces the state. A run killed in
 * the middle of an append leaves a torn tail after the prefix the state names (or a
 * whole record the state does not know yet): reading ignores it, and the next write
 * truncates it away before appending, so a resumed run is bit-identical to an
 * uninterrupted one. A truncated, corrupt or foreign state or archive (one that is
 * not the prefix the state names) fails with EM_EFORMAT naming the file. */
#ifndef EMOMC_OPT_CHECKPOINT_H
#define EMOMC_OPT_CHECKPOINT_H

#include <stdint.h>

#include "../common/error.h"
#include "../common/rng.h"
#include "../opt/problem.h"

#define OPT_CKPT_MAX_POPS 4

/* Where the archive file stands: its committed prefix. A zeroed log means "no archive
 * yet": the next write creates <path>.archive anew. */
typedef struct opt_checkpoint_log {
    long rows;        /* evaluations in the committed prefix */
    uint64_t bytes;   /* its length in bytes */
    uint32_t chain;   /* CRC-32 chained through it */
    int clean;        /* 1 once the file is known to end at `bytes` (after a write) */
} opt_checkpoint_log;

typedef struct opt_checkpoint {
    char algorithm[32];   /* e.g. "nsga2", "ctaea" */
    char problem[64];     /* problem name */
    int n_var, n_obj, n_con;
    uint64_t seed;
    int pop_size;
    int gen;              /* generations completed */
    em_rng rng;           /* generator state after generation gen */
    long cache_hits;      /* the evaluator's cache hits so far (cumulative over resumes) */
    int n_pops;           /* algorithm-defined populations (NSGA-II: 1; C-TAEA: CA, DA) */
    opt_pop *pops[OPT_CKPT_MAX_POPS];
    opt_pop *evals;       /* the evaluator archive: every true evaluation so far */
    double extra[8];      /* algorithm-defined scalars */
} opt_checkpoint;

/* Appends evals rows [log->rows, evals->n) to <path>.archive (creating it, atomically,
 * when log->rows is 0; cutting a tail past log->bytes first), then writes the state
 * to path atomically, and advances *log. pops and evals are only read. */
int opt_checkpoint_write(const char *path, const opt_checkpoint *ck, opt_checkpoint_log *log,
                         em_error *err);
/* Reads the state at path and the archive prefix it names into ck (allocating its
 * populations and evals); log (may be NULL) gets that prefix, to continue appending.
 * Nothing on disk is changed. On error ck is left empty. */
int opt_checkpoint_read(const char *path, opt_checkpoint *ck, opt_checkpoint_log *log,
                        em_error *err);
/* Frees the populations of a checkpoint filled by opt_checkpoint_read. */
void opt_checkpoint_clear(opt_checkpoint *ck);
/* Checks that ck belongs to this algorithm, problem, seed and population size;
 * EM_EINVAL naming the first field that differs. */
int opt_checkpoint_check(const opt_checkpoint *ck, const char *algorithm,
                         const opt_problem *p, uint64_t seed, int pop_size, em_error *err);
/* "<path>.archive" into buf; EM_EINVAL when it does not fit. */
int opt_checkpoint_archive_path(const char *path, char *buf, size_t size, em_error *err);

/* For bench/bench_opt.c only: when on, opt_checkpoint_write instead rewrites one file
 * holding the state and the whole archive every generation (the format before the
 * append-only archive, "EMOMCKP1"), so the old cost can be timed side by side. Such a
 * file cannot be resumed. Process-wide; not for library users. */
void opt_checkpoint_bench_full_rewrite(int on);

#endif
