/* common/atomicfile.c: the temp-file-then-rename writer (guarantees in atomicfile.h).
 *
 * The temporary is made by mkstemp (O_CREAT | O_EXCL, mode 0600), so a name planted
 * in the directory, a symlink included, is never opened; it is fsynced before the
 * rename and the directory after it. What sits at the output path decides the way:
 * nothing or a regular file is replaced; a symlink is followed to the file it names,
 * which is replaced (the link stays); a character device or FIFO is written directly
 * (there is nothing to rename over); a directory or anything else is refused. */
#include "common/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The path to replace: path itself, or the file a symlink at path names (resolved
 * link by link, a relative target against the link's folder). */
static int resolve_target(const char *path, char **out, em_error *err)
{
    char *cur = strdup(path);
    for (int depth = 0; cur; depth++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
            *out = cur;
            return EM_OK;
        }
        if (depth >= 40) {
            free(cur);
            return em_fail(err, EM_EIO, "%s: too many levels of symbolic links", path);
        }
        char link[PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) {
            int e = errno;
            free(cur);
            return em_fail(err, EM_EIO, "%s: cannot read the link: %s", path, strerror(e));
        }
        link[n] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (link[0] == '/' || !slash) {
            next = strdup(link);
        } else {
            size_t dl = (size_t)(slash - cur) + 1, len = dl + (size_t)n + 1;
            next = malloc(len);
            if (next) {
                memcpy(next, cur, dl);
                memcpy(next + dl, link, (size_t)n + 1);
            }
        }
        free(cur);
        cur = next;
    }
    return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
}

/* fsync the folder holding path, so the rename itself is durable. */
static void sync_dir_of(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return;
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash == dir) d = "/";
    else if (slash) {
        *slash = '\0';
        d = dir;
    }
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int em_make_dirs(const char *dir, em_error *err)
{
    char path[PATH_MAX];
    if (!dir || !*dir) return em_fail(err, EM_EINVAL, "empty folder path");
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return em_fail(err, EM_EINVAL, "%s: path too long", dir);
    for (char *s = path + 1;; s++) {
        char c = *s;
        if (c == '/' || c == 0) {
            *s = 0;
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return em_fail(err, EM_EIO, "%s: cannot create directory: %s", path, strerror(errno));
            *s = c;
        }
        if (!c) break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return em_fail(err, EM_EIO, "%s: not a directory", dir);
    return EM_OK;
}

int em_make_parent_dirs(const char *path, em_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return EM_OK;
    char dir[PATH_MAX];
    if ((size_t)(slash - path) >= sizeof dir) return em_fail(err, EM_EINVAL, "%s: path too long", path);
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return EM_OK;
        return em_fail(err, EM_EIO, "%s: cannot write: %s is not a directory", path, dir);
    }
    return em_make_dirs(dir, err);
}

int em_check_output_file(const char *path, em_error *err)
{
    size_t len = strlen(path);
    if (!len) return em_fail(err, EM_EINVAL, "empty output path");
    if (path[len - 1] == '/')
        return em_fail(err, EM_EINVAL, "%s: names a folder; give a file name", path);
    char *target = NULL;
    int rc = resolve_target(path, &target, err);
    if (rc) return rc;
    struct stat st;
    if (stat(target, &st) == 0) {
        if (S_ISDIR(st.st_mode)) rc = em_fail(err, EM_EINVAL, "%s: is a directory, not a file "
                                              "to write", path);
        else if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
            rc = em_fail(err, EM_EIO, "%s: not a regular file, a device or a pipe", path);
        else if (access(target, W_OK) != 0)
            rc = em_fail(err, EM_EIO, "%s: not writable: %s", path, strerror(errno));
        if (rc || !S_ISREG(st.st_mode)) {
            free(target);
            return rc;
        }
    }
    /* The folder must exist (or be made) and take a new file (the temporary). */
    rc = em_make_parent_dirs(target, err);
    if (!rc) {
        char *slash = strrchr(target, '/');
        if (slash == target) slash[1] = '\0';
        else if (slash) *slash = '\0';
        const char *dir = slash ? target : ".";
        if (access(dir, W_OK | X_OK) != 0)
            rc = em_fail(err, EM_EIO, "%s: cannot write in %s: %s", path, dir, strerror(errno));
    }
    free(target);
    return rc;
}

int em_atomic_temp_name(const char *target, char *buf, size_t cap)
{
    const char *slash = strrchr(target, '/');
    int dl = slash ? (int)(slash - target) + 1 : 0;
    int n = snprintf(buf, cap, "%.*s.%s" EM_ATOMIC_TEMP_MARK "XXXXXX", dl, target,
                     slash ? slash + 1 : target);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int em_atomic_open(em_atomic_file *af, const char *path, em_error *err)
{
    memset(af, 0, sizeof *af);
    int rc = resolve_target(path, &af->final_path, err);
    if (!rc) rc = em_make_parent_dirs(af->final_path, err);
    if (rc) {
        em_atomic_abort(af);
        return rc;
    }
    struct stat st;
    bool exists = stat(af->final_path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        em_atomic_abort(af);
        return em_fail(err, EM_EIO, "%s: is a directory, not a file to write", path);
    }
    if (exists && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
        /* A device or a pipe: written in place, never replaced. */
        int fd = open(af->final_path, O_WRONLY | O_NOCTTY);
        if (fd < 0 || !(af->fp = fdopen(fd, "wb"))) {
            int e = errno;
            if (fd >= 0) close(fd);
            em_atomic_abort(af);
            return em_fail(err, EM_EIO, "%s: cannot write: %s", path, strerror(e));
        }
        af->direct = true;
        return EM_OK;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        em_atomic_abort(af);
        return em_fail(err, EM_EIO, "%s: not a regular file, a device or a pipe; refusing to "
                       "replace it", path);
    }
    size_t cap = strlen(af->final_path) + 32;
    if (!(af->temp_path = malloc(cap)) || em_atomic_temp_name(af->final_path, af->temp_path, cap)) {
        em_atomic_abort(af);
        return em_fail(err, EM_ENOMEM, "%s: out of memory", path);
    }
    int fd = mkstemp(af->temp_path);
    if (fd < 0) {
        int e = errno;
        free(af->temp_path);
        af->temp_path = NULL; /* nothing was created: nothing to remove */
        em_atomic_abort(af);
        return em_fail(err, EM_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    /* The final mode, set at commit: the replaced file's, or what a new file gets
     * under the umask. Until then the temporary stays 0600. */
    if (exists) {
        af->mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        af->mode = 0666 & ~mask;
    }
    if (!(af->fp = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        em_atomic_abort(af);
        return em_fail(err, EM_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return EM_OK;
}

int em_atomic_commit(em_atomic_file *af, em_error *err)
{
    if (!af->fp) return em_fail(err, EM_EINTERNAL, "atomic file not open");
    int bad = ferror(af->fp) || fflush(af->fp) != 0;
    if (!bad && !af->direct &&
        (fchmod(fileno(af->fp), (mode_t)af->mode) != 0 || fsync(fileno(af->fp)) != 0))
        bad = 1;
    int e = errno;
    if (fclose(af->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    af->fp = NULL;
    if (!bad && !af->direct && rename(af->temp_path, af->final_path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        int rc = em_fail(err, EM_EIO, "%s: write failed: %s", af->final_path,
                         e ? strerror(e) : "I/O error");
        em_atomic_abort(af);
        return rc;
    }
    if (!af->direct) sync_dir_of(af->final_path);
    free(af->temp_path);
    free(af->final_path);
    memset(af, 0, sizeof *af);
    return EM_OK;
}

void em_atomic_abort(em_atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->temp_path && !af->direct) remove(af->temp_path);
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

bool em_atomic_is_temp_name(const char *name)
{
    if (name[0] != '.') return false;
    const char *m = strstr(name, EM_ATOMIC_TEMP_MARK);
    if (!m) return false;
    m += strlen(EM_ATOMIC_TEMP_MARK);
    return strlen(m) == 6 && !strchr(m, '.');
}

int em_atomic_remove_stale(const char *dir, int *removed, em_error *err)
{
    if (removed) *removed = 0;
    DIR *d = opendir(dir);
    if (!d) return em_fail(err, EM_EIO, "%s: cannot list: %s", dir, strerror(errno));
    struct dirent *e;
    char path[PATH_MAX];
    int rc = EM_OK;
    while ((e = readdir(d))) {
        if (!em_atomic_is_temp_name(e->d_name)) continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue; /* only our own kind */
        if (remove(path) != 0) {
            rc = em_fail(err, EM_EIO, "%s: cannot remove a stale temporary: %s", path,
                         strerror(errno));
            break;
        }
        if (removed) (*removed)++;
    }
    closedir(d);
    return rc;
}
