/* search/store.h: the evaluation store, a SQLite file of measured accuracies that
 * searches share. Accuracy depends on the weights, the compression applied to them,
 * the images and the engine, never on the dataflow, coding or target; so every
 * search consults the store before running inference, and seven EMOMC searches of
 * one model measure each candidate they share once.
 *
 * Schema (docs/search.md, "Evaluation store"; query it with the sqlite3 command):
 *   meta(key TEXT PRIMARY KEY, value TEXT)    application = emomc-evaluation-store,
 *                                             schema = 1
 *   accuracy(weights TEXT, plan TEXT, images TEXT, engine TEXT,
 *            accuracy REAL, n_images INTEGER, seconds REAL, created TEXT,
 *            PRIMARY KEY (weights, plan, images, engine))
 * weights: SHA-256 of the weights file the candidate starts from (a library member,
 * or the trained model); plan: the compression applied, in words (bits per layer and
 * the BN order, or the sbo genotype); images: SHA-256 of the image set's pixels and
 * labels; engine: the emomc version and engine revision whose arithmetic produced
 * the number. Accuracies are stored as 8-byte doubles, so a hit returns exactly what
 * inference returned, and a run with a store is bit-identical to one without.
 *
 * Concurrent writers (several runs, MPI ranks) are safe: WAL journal, a busy
 * timeout, one transaction per insert, INSERT OR IGNORE (the first value stays; any
 * other would be equal). A file that is not SQLite, or a SQLite file that is not an
 * emomc store, or a store of another schema, is an error naming the file. */
#ifndef EMOMC_SEARCH_STORE_H
#define EMOMC_SEARCH_STORE_H

#include <stdbool.h>
#include "../common/error.h"

#define SP_STORE_SCHEMA 1
/* Bumped whenever the engine's arithmetic changes what an accuracy comes out as. */
#define SP_STORE_ENGINE_REVISION "2"

typedef struct sp_store sp_store;

typedef struct sp_store_key {
    char weights[65];  /* hex SHA-256 */
    const char *plan;  /* the compression, in words */
    char images[65];   /* hex SHA-256 */
} sp_store_key;

/* Opens (creating when missing) the store at path. */
int sp_store_open(const char *path, sp_store **out, em_error *err);
void sp_store_close(sp_store *s);
const char *sp_store_path(const sp_store *s);

/* *found tells whether key has a stored accuracy, then in *accuracy. */
int sp_store_get(sp_store *s, const sp_store_key *key, double *accuracy, bool *found,
                 em_error *err);
int sp_store_put(sp_store *s, const sp_store_key *key, double accuracy, int n_images,
                 double seconds, em_error *err);
/* Rows in the store (for tests and reports). */
int sp_store_count(sp_store *s, long *rows, em_error *err);

/* The engine column's value: "emomc <version> engine <revision>". */
const char *sp_store_engine(void);

#endif
