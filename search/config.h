/* search/config.h: the configuration of a compression search (`emomc optimize
 * --config RUN.yaml`, or flags): which problem, model, library, target, data and
 * protocol, the variable ranges, budgets and the algorithm. Loading validates every
 * key (FILE:LINE: key messages). */
#ifndef EMOMC_SEARCH_CONFIG_H
#define EMOMC_SEARCH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "../common/error.h"
#include "../compress/quant.h"
#include "../dataflow/mapping.h"
#include "../sim/estimate.h" /* coding_kind (search includes nothing from coding/) */

typedef enum { SP_EMOMC_ENERGY, SP_EMOMC_SIZE, SP_EMOMC_JOINT, SP_SBO, SP_KIND_COUNT } sp_kind;

/* Where accuracy is measured during the search, and where the final set is re-measured:
 *  val          search: validation split held out from the training file (seeded);
 *               final: the test set. The default: nothing is selected on test data.
 *  test         search and final on the test set: the papers' protocol, labelled as such.
 *  test-halves  search on the first half of the test file, final on the second half
 *               (for machines that have only the test file, like the demo). */
typedef enum { SP_PROTO_VAL, SP_PROTO_TEST, SP_PROTO_TEST_HALVES } sp_protocol;

#define SP_PATH_MAX 1024
#define SP_PARALLEL_MAX 64 /* parallel_candidates at most */

typedef struct sp_config {
    sp_kind kind;
    char model[SP_PATH_MAX];
    char weights[SP_PATH_MAX];  /* trained model: the uncompressed reference, sbo's start */
    char library[SP_PATH_MAX];  /* stage-I library folder (emomc-* problems) */
    char hw[SP_PATH_MAX];
    char data[SP_PATH_MAX];     /* data set spec: mnist, fashion-mnist, cifar10 or a folder */
    char data_root[SP_PATH_MAX];
    char store[SP_PATH_MAX];    /* evaluation store (search/store.h): a file; "" = the run
                                 * directory's store.sqlite; "none" = no store */
    sp_protocol protocol;
    int eval_images;            /* accuracy on this many images of the search split (0 = all) */
    df_mapping mapping;         /* emomc-energy */
    coding_kind coding;         /* emomc-size */
    double keep_lo, keep_hi;    /* library members used (emomc-*) */
    int bits_lo, bits_hi;       /* per-layer weight bits (emomc-*) */
    cp_bn_order bn;             /* key 'bn': fold-then-quantize (default) or
                                 * quantize-then-fold (emomc before issue 12) */
    double energy_budget_mj;    /* constraint energy <= budget (0: none) */
    double size_budget_kb;      /* constraint size <= budget (0: none) */
    double tau;                 /* sbo: constraint accuracy >= tau */
    char algorithm[16];         /* nsga2 | ctaea | random | sbo */
    int pop, gens;
    long budget;                /* true evaluations (0: bounded by gens) */
    uint64_t seed;
    int threads;                /* 0: all cores */
    /* Candidates measured at once (config key parallel_candidates, flag
     * --parallel-candidates): K workers, each with its own work network running its
     * forwards on threads/K threads. 1 (the default): one after the other, each
     * forward on every thread. Results are identical for every K (docs/search.md);
     * not with racing. */
    int parallel_candidates;
    /* algorithm sbo (opt/sbo.h): the initial Latin hypercube (0: min(50, budget / 2)),
     * the infill points per iteration (0: 2), and the variant string (infill=, models=,
     * inner_gens=, ...; "" = the defaults). */
    int sbo_initial, sbo_infill;
    char variant[256];
    /* Racing (emomc-* problems, serial evaluation only): a candidate's accuracy is
     * measured on growing stages of a fixed permutation of the search images and
     * stopped once its upper confidence bound shows it is dominated (docs/search.md).
     * racing_delta: the per-candidate error probability (default 1e-3). */
    bool racing;
    double racing_delta;
} sp_config;

void sp_config_default(sp_config *c);
int sp_config_load(const char *path, sp_config *c, em_error *err);
/* Loads RUNDIR/config.yaml over the defaults (sp_config_default first), the
 * configuration of a compression run. A benchmark run
 * directory (emomc optimize --problem zdt1 ...: run.yaml and summary.json, no
 * config.yaml) fails with EM_EUNSUPPORTED and a message saying so, naming its files. */
int sp_config_load_rundir(const char *rundir, sp_config *c, em_error *err);
/* Whether the run has trained weights: 'weights', or an .onnx 'model' (its own). */
bool sp_config_has_weights(const sp_config *c);
/* The same from a YAML string (name used in messages). */
int sp_config_parse(const char *yaml_text, const char *name, sp_config *c, em_error *err);
/* Checks ranges and the fields the problem kind needs. */
int sp_config_validate(const sp_config *c, em_error *err);

const char *sp_kind_name(sp_kind k);        /* "emomc-energy" ... */
int sp_kind_parse(const char *s, sp_kind *out);
const char *sp_protocol_name(sp_protocol p); /* "val", "test", "test-halves" */
int sp_protocol_parse(const char *s, sp_protocol *out);

#endif
