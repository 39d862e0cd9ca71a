/* fuzz/fuzz_checkpoint.c: libFuzzer target for optimizer checkpoints
 * (opt_checkpoint_read): a small state file and its append-only archive. The input
 * is framed as [u32 little-endian length of the state][state][archive]; the state's
 * trailing CRC-32 is rewritten to match so mutations reach the checks behind it (the
 * archive's chained record CRCs are left as they come). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/fuzz_util.h"
#include "opt/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    size_t k = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
    if (k > size - 4) k = size - 4;
    uint8_t *state = malloc(k ? k : 1);
    if (!state) abort();
    memcpy(state, data + 4, k);
    if (k >= 12) fz_fix_crc32(state, k);
    char path[4096], apath[4200];
    int rc = fz_write_temp(state, k, path, sizeof path);
    free(state);
    if (rc) abort();
    em_error err = {0};
    if (opt_checkpoint_archive_path(path, apath, sizeof apath, &err)) abort();
    FILE *f = fopen(apath, "wb");
    if (!f) abort();
    if (size - 4 - k) fwrite(data + 4 + k, 1, size - 4 - k, f);
    fclose(f);
    opt_checkpoint ck;
    opt_checkpoint_log log;
    if (opt_checkpoint_read(path, &ck, &log, &err) == EM_OK) opt_checkpoint_clear(&ck);
    unlink(path);
    unlink(apath);
    return 0;
}
