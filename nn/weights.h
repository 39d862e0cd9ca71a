/* nn/weights.h: the `.emw` weights file: named tensors plus a small metadata block.
 *
 * In memory a weights set is a list of named tensors (float32 or uint8, up to 8
 * dims) and free-text key/value metadata (model, data set, accuracy, recipe...).
 * On disk (all integers little-endian; docs/data-and-weights.md has the full spec):
 *
 *   offset 0   magic "\x89EMW\r\n\x1a\n" (8 bytes)
 *          8   u32 version (1)          12  u32 tensor count     16 u32 meta count
 *         20   u32 reserved (0)         24  u64 file size        32 u64 table offset
 *         40   u64 data offset
 *         48   metadata: per entry u32 key length, key, u32 value length, value
 *   table off  tensor table: per tensor u16 name length, name, u8 dtype (1 f32, 2 u8,
 *              3 f16: IEEE binary16, a storage form that loading widens to f32),
 *              u8 ndim, u64 dims[ndim], u64 offset (from the data offset), u64 bytes
 *   data off   tensor data, each tensor 64-byte aligned
 *   size - 4   u32 CRC-32 (zlib) of every byte before it
 *
 * Loading checks the magic, version, size (truncation), checksum and every table
 * entry's bounds before trusting anything; nn_weights_apply then checks the set
 * against a network (every parameter present with its shape, nothing unknown).
 *
 * Conventions: pruning masks travel as uint8 tensors named "<param>_mask" (PyTorch's
 * torch.nn.utils.prune naming); names beginning "optim." hold optimizer state in
 * training checkpoints and are ignored when applying weights to a network. */
#ifndef EMOMC_NN_WEIGHTS_H
#define EMOMC_NN_WEIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"

struct nn_net;

#define NN_WEIGHTS_VERSION 1
#define NN_WEIGHTS_MAXDIM 8
#define NN_WEIGHTS_NAME_MAX 256

typedef enum { NN_DT_F32 = 1, NN_DT_U8 = 2, NN_DT_F16 = 3 /* in files only */ } nn_dtype;

typedef struct nn_wtensor {
    char *name;
    nn_dtype dtype;
    int ndim;
    int64_t shape[NN_WEIGHTS_MAXDIM];
    int64_t numel;
    void *data;         /* numel elements of dtype, owned by the set */
} nn_wtensor;

typedef struct nn_wmeta {
    char *key, *value;
} nn_wmeta;

typedef struct nn_weights {
    int n;
    nn_wtensor *t;
    int n_meta;
    nn_wmeta *meta;
    bool store_half; /* save float32 tensors (but "optim.*") as float16 */
} nn_weights;

nn_weights *nn_weights_new(void);            /* empty set; NULL when out of memory */
void nn_weights_free(nn_weights *w);

/* Adds a tensor (data copied). Names must be unique, 1..255 bytes. */
int nn_weights_add(nn_weights *w, const char *name, nn_dtype dtype, int ndim,
                   const int64_t *shape, const void *data, em_error *err);
const nn_wtensor *nn_weights_find(const nn_weights *w, const char *name);

/* Metadata: setting an existing key replaces its value. */
int nn_weights_set_meta(nn_weights *w, const char *key, const char *value, em_error *err);
const char *nn_weights_meta(const nn_weights *w, const char *key); /* NULL if absent */

/* Rounds every float32 tensor except "optim.*" to the nearest float16 value and sets
 * store_half, so the saved file is half the size and loads back to exactly these
 * values. Refuses (naming the tensor, set unchanged) a value beyond float16's range. */
int nn_weights_round_half(nn_weights *w, em_error *err);

/* Writes the file atomically (temporary + rename). */
int nn_weights_save(const nn_weights *w, const char *path, em_error *err);
/* Reads and fully validates a file; errors name the file and the fault. */
int nn_weights_load(const char *path, nn_weights **out, em_error *err);
/* The same from a memory image (path only names it in messages). */
int nn_weights_parse(const uint8_t *buf, uint64_t len, const char *path, nn_weights **out,
                     em_error *err);

/* A set holding every parameter and buffer of net (float32, PyTorch shapes) and,
 * for each tensor with a pruning mask, "<name>_mask" as uint8 0/1. */
int nn_weights_from_net(struct nn_net *net, nn_weights **out, em_error *err);
/* Copies the set into net after checking it against the model: every parameter and
 * buffer must be present with the network's shape and dtype float32; masks must
 * match their tensor's shape and hold only 0/1; any other name (except "optim.*")
 * is refused. On error the network is left unchanged. `what` names the set in
 * messages (the file path). Masks in the set are installed; tensors without one
 * keep no mask. */
int nn_weights_apply(const nn_weights *w, struct nn_net *net, const char *what, em_error *err);

/* Convenience: load path and apply it to net. *meta_out (may be NULL) receives the
 * loaded set (owned by the caller) for its metadata. */
int nn_weights_load_into(const char *path, struct nn_net *net, nn_weights **meta_out,
                         em_error *err);

#endif
