/* fuzz/fuzz_util.h: helpers shared by the libFuzzer targets: a fuzz input as a C
 * string, written to a temporary file (for readers that only take a path), or placed
 * as a named file in a temporary folder (for readers of a run directory). */
#ifndef EMOMC_FUZZ_UTIL_H
#define EMOMC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A NUL-terminated copy of data (caller frees); aborts when out of memory. */
char *fz_cstr(const uint8_t *data, size_t size);

/* Writes data to a fresh file made by mkstemp under $TMPDIR (or /tmp) and puts its
 * path in path (size n). Returns 0, or -1 after printing why. The caller removes it. */
int fz_write_temp(const uint8_t *data, size_t size, char *path, size_t n);

/* Makes a fresh folder by mkdtemp and writes data to dir/file in it. Returns 0, or -1
 * after printing why. fz_remove_dir removes both. */
int fz_write_temp_in_dir(const uint8_t *data, size_t size, const char *file, char *dir,
                         size_t n);
void fz_remove_dir(const char *dir, const char *file);

/* Stores the zlib CRC-32 of data[0 .. size-4) little-endian in its last four bytes,
 * so a fuzzer's mutations reach the checks behind a file's checksum. */
void fz_fix_crc32(uint8_t *data, size_t size);

#endif
