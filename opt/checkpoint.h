/* opt/checkpoint.h: the resumable state of any population-based run, written
 * atomically after each generation and read back on --resume.
 *
 * Format: a small binary file, host byte order (a checkpoint is resumed on the machine
 * that wrote it): magic "EMOMCKP1", a fixed header, then the populations (doubles
 * stored bit for bit), and a CRC-32 of everything before it. A truncated or corrupt
 * file is rejected with EM_EFORMAT naming the path. */
#ifndef EMOMC_OPT_CHECKPOINT_H
#define EMOMC_OPT_CHECKPOINT_H

#include <stdint.h>

#include "common/error.h"
#include "common/rng.h"
#include "opt/problem.h"

#define OPT_CKPT_MAX_POPS 4

typedef struct opt_checkpoint {
    char algorithm[32];   /* e.g. "nsga2", "ctaea" */
    char problem[64];     /* problem name */
    int n_var, n_obj, n_con;
    uint64_t seed;
    int pop_size;
    int gen;              /* generations completed */
    em_rng rng;           /* generator state after generation gen */
    int n_pops;           /* algorithm-defined populations (NSGA-II: 1; C-TAEA: CA, DA) */
    opt_pop *pops[OPT_CKPT_MAX_POPS];
    opt_pop *evals;       /* the evaluator archive: every true evaluation so far */
    double extra[8];      /* algorithm-defined scalars */
} opt_checkpoint;

/* Writes ck to path atomically (pops and evals are only read). */
int opt_checkpoint_write(const char *path, const opt_checkpoint *ck, em_error *err);
/* Reads path into ck (allocating its populations). On error ck is left empty. */
int opt_checkpoint_read(const char *path, opt_checkpoint *ck, em_error *err);
/* Frees the populations of a checkpoint filled by opt_checkpoint_read. */
void opt_checkpoint_clear(opt_checkpoint *ck);
/* Checks that ck belongs to this algorithm, problem, seed and population size;
 * EM_EINVAL naming the first field that differs. */
int opt_checkpoint_check(const opt_checkpoint *ck, const char *algorithm,
                         const opt_problem *p, uint64_t seed, int pop_size, em_error *err);

#endif
