/* common/atomicfile.h: write a file through a temporary and rename it into place,
 * so a reader never sees a partial output file (DESIGN.md 8).
 *
 * Guarantees (docs/formats.md, "How outputs are written"):
 * - Missing folders above the output are created (mkdir -p).
 * - Only a regular file, or nothing, is ever replaced. A symlink at the path is
 *   followed: the file it names is the one replaced, and the link stays. A character
 *   device or a FIFO (/dev/null, a pipe) is written directly, in place. A directory,
 *   a socket or a block device is refused with an error naming the path.
 * - The temporary is ".<name>.tmp-XXXXXX" beside the target (same folder, so the
 *   rename is atomic), created by mkstemp: a unique name opened with O_EXCL, never a
 *   file or link planted there, mode 0600 while it is written. It gets the final
 *   mode (the replaced file's, or 0666 less the umask) just before the rename.
 * - Durable: the temporary is fsynced before the rename, the folder after it.
 * - A crash leaves the old file or the new one whole, and at worst a stale
 *   temporary, which em_atomic_remove_stale clears (resumed runs do). */
#ifndef EMOMC_COMMON_ATOMICFILE_H
#define EMOMC_COMMON_ATOMICFILE_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include "../common/error.h"

#define EM_ATOMIC_TEMP_MARK ".tmp-"

typedef struct em_atomic_file {
    FILE *fp;            /* write here */
    char *final_path;    /* the file replaced (a symlink's target) */
    char *temp_path;     /* NULL when written directly */
    bool direct;         /* a device or FIFO, written in place */
    unsigned mode;       /* the target's mode, given to the temporary at commit */
} em_atomic_file;

/* Opens the temporary (or the device) for writing path. */
int em_atomic_open(em_atomic_file *af, const char *path, em_error *err);
/* Flushes, fsyncs and renames over the target. Removes the temporary on failure. */
int em_atomic_commit(em_atomic_file *af, em_error *err);
/* Closes and removes the temporary; the target is left untouched. Safe after commit. */
void em_atomic_abort(em_atomic_file *af);

/* Convenience: write len bytes to path atomically. */
int em_atomic_write(const char *path, const void *data, size_t len, em_error *err);

/* mkdir -p dir; EM_EIO naming the path if a part cannot be made or is no folder. */
int em_make_dirs(const char *dir, em_error *err);
/* em_make_dirs of the folder holding path (nothing for a bare file name). */
int em_make_parent_dirs(const char *path, em_error *err);

/* Checks, before long work, that path can be written as em_atomic_open would: not
 * a folder (nor a name ending in '/'), not a special file it refuses, writable, in
 * a folder that exists or is made now and takes new files. EM_EINVAL or EM_EIO
 * naming the path. */
int em_check_output_file(const char *path, em_error *err);

/* The mkstemp template of the temporary for target (".<name>.tmp-XXXXXX" in its
 * folder); -1 if it does not fit in cap. */
int em_atomic_temp_name(const char *target, char *buf, size_t cap);
/* Whether a file name (no folder) has the form of one of those temporaries. */
bool em_atomic_is_temp_name(const char *name);
/* Removes the regular files of dir whose names are such temporaries: what writers
 * killed mid-write left. Only for a folder the caller owns (a run directory). */
int em_atomic_remove_stale(const char *dir, int *removed, em_error *err);

#endif
