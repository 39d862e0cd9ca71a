/* common/atomicfile.c: temp-file-then-rename writer. */
#include "common/atomicfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int em_atomic_open(em_atomic_file *af, const char *path, em_error *err)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path) + 32;
    af->final_path = strdup(path);
    af->temp_path = malloc(n);
    if (!af->final_path || !af->temp_path) {
        em_atomic_abort(af);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    }
    snprintf(af->temp_path, n, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->temp_path, "wb");
    if (!af->fp) {
        int e = errno;
        em_atomic_abort(af);
        return em_fail(err, EM_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return EM_OK;
}

int em_atomic_commit(em_atomic_file *af, em_error *err)
{
    if (!af->fp) return em_fail(err, EM_EINTERNAL, "atomic file not open");
    int bad = ferror(af->fp) || fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0;
    int e = errno;
    bad |= fclose(af->fp) != 0;
    af->fp = NULL;
    if (bad || rename(af->temp_path, af->final_path) != 0) {
        if (!bad) e = errno;
        int rc = em_fail(err, EM_EIO, "%s: write failed: %s", af->final_path, strerror(e));
        em_atomic_abort(af);
        return rc;
    }
    free(af->temp_path);
    free(af->final_path);
    af->temp_path = af->final_path = NULL;
    return EM_OK;
}

void em_atomic_abort(em_atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->temp_path) remove(af->temp_path);
    free(af->temp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
}

int em_atomic_write(const char *path, const void *data, size_t len, em_error *err)
{
    em_atomic_file af;
    int rc = em_atomic_open(&af, path, err);
    if (rc) return rc;
    if (len && fwrite(data, 1, len, af.fp) != len) {
        em_atomic_abort(&af);
        return em_fail(err, EM_EIO, "%s: short write", path);
    }
    return em_atomic_commit(&af, err);
}
