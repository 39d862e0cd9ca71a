/* common/datapath.c: lookup of shipped data files. */
#include "common/datapath.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

bool em_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool em_find_data_file(const char *subdir, const char *name_or_path, const char *ext,
                       char *buf, size_t n)
{
    if (em_file_exists(name_or_path)) {
        snprintf(buf, n, "%s", name_or_path);
        return true;
    }
    const char *roots[] = {getenv("EMOMC_HOME"), EMOMC_SOURCE_DIR, EMOMC_DATA_DIR,
                           "/usr/share/emomc"};
    for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
        if (!roots[i]) continue;
        snprintf(buf, n, "%s/%s/%s%s", roots[i], subdir, name_or_path, ext);
        if (em_file_exists(buf)) return true;
    }
    return false;
}

const char *em_not_a_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) return NULL;
    return S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file";
}
