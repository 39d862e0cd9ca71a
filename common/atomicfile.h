/* common/atomicfile.h: write a file through a temporary and rename it into place,
 * so a reader never sees a partial output file (DESIGN.md 8). */
#ifndef EMOMC_COMMON_ATOMICFILE_H
#define EMOMC_COMMON_ATOMICFILE_H

#include <stdio.h>
#include "common/error.h"

typedef struct em_atomic_file {
    FILE *fp;            /* write here */
    char *final_path;
    char *temp_path;
} em_atomic_file;

/* Opens "<path>.tmp.<pid>" for writing. */
int em_atomic_open(em_atomic_file *af, const char *path, em_error *err);
/* Flushes, fsyncs and renames over path. Removes the temporary on failure. */
int em_atomic_commit(em_atomic_file *af, em_error *err);
/* Closes and removes the temporary; path is left untouched. Safe after commit. */
void em_atomic_abort(em_atomic_file *af);

/* Convenience: write len bytes to path atomically. */
int em_atomic_write(const char *path, const void *data, size_t len, em_error *err);

#endif
