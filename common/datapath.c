/* common/datapath.c: lookup of shipped data files (order in datapath.h). */
#define _GNU_SOURCE /* dladdr */
#include "common/datapath.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool em_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether the running program is one of the build tree's (the command, tests,
 * benchmarks): those read the source tree's data first; any other program (the
 * installed command, a program linking the installed library) the installed data. */
static bool in_build_tree(void)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return false;
    exe[len] = '\0';
    size_t k = strlen(EMOMC_BUILD_DIR);
    return strncmp(exe, EMOMC_BUILD_DIR, k) == 0 && exe[k] == '/';
}

/* share/emomc beside the installed library or command that holds this code
 * (<prefix>/lib/libemomc.so, <prefix>/lib/<multiarch>/libemomc.so, <prefix>/bin/emomc),
 * so an install moved to another prefix still finds its data. "" if none. */
static void beside_install(char *out, size_t n)
{
    out[0] = '\0';
    Dl_info info;
    char obj[PATH_MAX];
    if (dladdr((void *)em_find_data_file, &info) && info.dli_fname && strchr(info.dli_fname, '/'))
        snprintf(obj, sizeof obj, "%s", info.dli_fname);
    else {
        ssize_t len = readlink("/proc/self/exe", obj, sizeof obj - 1);
        if (len <= 0) return;
        obj[len] = '\0';
    }
    char *slash = strrchr(obj, '/');
    if (!slash) return;
    *slash = '\0';
    const char *up[] = {"/../share/emomc", "/../../share/emomc"};
    for (int i = 0; i < 2; i++) {
        char cand[PATH_MAX + 32];
        snprintf(cand, sizeof cand, "%s%s", obj, up[i]);
        char real[PATH_MAX];
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode) && realpath(cand, real)) {
            if (strlen(real) < n) memcpy(out, real, strlen(real) + 1);
            return;
        }
    }
}

bool em_find_data_file(const char *subdir, const char *name_or_path, const char *ext,
                       char *buf, size_t n)
{
    if (em_file_exists(name_or_path)) {
        snprintf(buf, n, "%s", name_or_path);
        return true;
    }
    const bool build = in_build_tree();
    char beside[PATH_MAX];
    beside_install(beside, sizeof beside);
    const char *roots[] = {getenv("EMOMC_HOME"), build ? EMOMC_SOURCE_DIR : beside,
                           build ? EMOMC_SOURCE_DIR : EMOMC_DATA_DIR,
                           build ? EMOMC_DATA_DIR : EMOMC_SOURCE_DIR, "/usr/share/emomc"};
    for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
        if (!roots[i] || !roots[i][0]) continue;
        snprintf(buf, n, "%s/%s/%s%s", roots[i], subdir, name_or_path, ext);
        if (em_file_exists(buf)) return true;
    }
    return false;
}

const char *em_data_env_root(void)
{
    const char *env = getenv("EMOMC_DATA");
    return env && *env ? env : NULL;
}

const char *em_not_a_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) return NULL;
    return S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file";
}
