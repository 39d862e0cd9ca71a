/* fuzz/fuzz_util.c: temporary files and checksum repair for the fuzz targets. */
#include "fuzz/fuzz_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

char *fz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static const char *tmp_root(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

static int write_all(int fd, const uint8_t *data, size_t size)
{
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += w;
        size -= (size_t)w;
    }
    return 0;
}

int fz_write_temp(const uint8_t *data, size_t size, char *path, size_t n)
{
    if (snprintf(path, n, "%s/emomc-fuzz-XXXXXX", tmp_root()) >= (int)n) return -1;
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("fuzz: mkstemp");
        return -1;
    }
    int rc = write_all(fd, data, size);
    if (close(fd) || rc) {
        perror("fuzz: write");
        unlink(path);
        return -1;
    }
    return 0;
}

int fz_write_temp_in_dir(const uint8_t *data, size_t size, const char *file, char *dir,
                         size_t n)
{
    if (snprintf(dir, n, "%s/emomc-fuzz-XXXXXX", tmp_root()) >= (int)n) return -1;
    if (!mkdtemp(dir)) {
        perror("fuzz: mkdtemp");
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp)) {
        perror("fuzz: write");
        fz_remove_dir(dir, file);
        return -1;
    }
    return 0;
}

void fz_remove_dir(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    unlink(path);
    rmdir(dir);
}

void fz_fix_crc32(uint8_t *data, size_t size)
{
    if (size < 4) return;
    uint32_t c = (uint32_t)crc32(0L, data, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) data[size - 4 + i] = (uint8_t)(c >> (8 * i));
}
