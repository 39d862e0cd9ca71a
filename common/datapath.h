/* common/datapath.h: finding emomc's shipped data files (models/, hwconfigs/).
 * A name or path is used as given when it names a file; otherwise
 * <root>/<subdir>/<name><ext> is tried under $EMOMC_HOME, then the installed data
 * (share/emomc beside the installed library or command, then the configured
 * install prefix's) before the source tree, then /usr/share/emomc. Programs of the
 * build tree (the command, tests, benchmarks) read the source tree first. */
#ifndef EMOMC_COMMON_DATAPATH_H
#define EMOMC_COMMON_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>

bool em_file_exists(const char *path);
/* Writes the found path into buf; returns false when nothing matched. */
bool em_find_data_file(const char *subdir, const char *name_or_path, const char *ext,
                       char *buf, size_t n);
/* Why an existing path is not a file to read: "is a directory", "is not a regular
 * file"; NULL when nothing is there or it is a regular file. For error messages. */
const char *em_not_a_file(const char *path);

/* $EMOMC_DATA (NULL when unset or empty): the data-set root of the documented lookup
 * (docs/data-and-weights.md), read by nn/dataset.c. With $EMOMC_HOME above, these
 * two data-file lookups are the only environment reads in library code
 * (scripts/check-library-env): every other setting comes in as an argument. */
const char *em_data_env_root(void);

#endif
