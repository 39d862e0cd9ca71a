/* common/yamldoc_internal.h: a loaded YAML document with typed, line-numbered field access.
 *
 * Thin layer over libyaml's document API used by every YAML reader in emomc (model
 * architectures, hardware targets, run configurations). Every accessor reports
 * errors as "FILE:LINE: key 'K': problem", and em_yaml_check_keys rejects keys the
 * reader does not know, so a typo never passes silently. */
#ifndef EMOMC_COMMON_YAMLDOC_INTERNAL_H
#define EMOMC_COMMON_YAMLDOC_INTERNAL_H

#include <stdbool.h>
#include <yaml.h>
#include "../common/error.h"

typedef struct em_yaml {
    yaml_document_t doc;
    char *path;          /* file name used in messages */
    int loaded;
} em_yaml;

typedef yaml_node_t em_ynode;

/* Parses a whole file (path) or a string (text != NULL, path used for messages). */
int em_yaml_load_file(em_yaml *y, const char *path, em_error *err);
int em_yaml_load_string(em_yaml *y, const char *text, const char *name, em_error *err);
void em_yaml_free(em_yaml *y);

em_ynode *em_yaml_root(em_yaml *y);
int em_yaml_line(const em_ynode *n);  /* 1-based */

bool em_yaml_is_map(const em_ynode *n);
bool em_yaml_is_seq(const em_ynode *n);
bool em_yaml_is_scalar(const em_ynode *n);
const char *em_yaml_scalar(const em_ynode *n); /* NULL unless scalar */

/* Mapping lookup; NULL when absent. */
em_ynode *em_yaml_get(em_yaml *y, em_ynode *map, const char *key);
/* Sequence access. */
int em_yaml_seq_len(const em_ynode *seq);
em_ynode *em_yaml_seq_at(em_yaml *y, em_ynode *seq, int i);
/* Iterate mapping pairs: index i in [0, em_yaml_map_len). */
int em_yaml_map_len(const em_ynode *map);
const char *em_yaml_map_key(em_yaml *y, em_ynode *map, int i, int *line);
em_ynode *em_yaml_map_value(em_yaml *y, em_ynode *map, int i);

/* Every key of map must be in allowed (NULL-terminated); ctx names the section. */
int em_yaml_check_keys(em_yaml *y, em_ynode *map, const char *const *allowed,
                       const char *ctx, em_error *err);

/* Typed fields. The _req variants fail when the key is absent; the _opt variants
 * leave *out unchanged. Bounds are inclusive; pass -INFINITY/INFINITY or
 * INT64_MIN/INT64_MAX for none. */
int em_yaml_int_req(em_yaml *y, em_ynode *map, const char *key, long long lo, long long hi,
                    long long *out, em_error *err);
int em_yaml_int_opt(em_yaml *y, em_ynode *map, const char *key, long long lo, long long hi,
                    long long *out, em_error *err);
int em_yaml_num_req(em_yaml *y, em_ynode *map, const char *key, double lo, double hi,
                    double *out, em_error *err);
int em_yaml_num_opt(em_yaml *y, em_ynode *map, const char *key, double lo, double hi,
                    double *out, em_error *err);
int em_yaml_bool_opt(em_yaml *y, em_ynode *map, const char *key, bool *out, em_error *err);
/* Copies a scalar string into buf (size n); fails if longer. */
int em_yaml_str_req(em_yaml *y, em_ynode *map, const char *key, char *buf, size_t n,
                    em_error *err);
int em_yaml_str_opt(em_yaml *y, em_ynode *map, const char *key, char *buf, size_t n,
                    em_error *err);

/* Parse helpers on a scalar node, with the same messages. */
int em_yaml_node_int(em_yaml *y, em_ynode *n, const char *key, long long lo, long long hi,
                     long long *out, em_error *err);
int em_yaml_node_num(em_yaml *y, em_ynode *n, const char *key, double lo, double hi,
                     double *out, em_error *err);

/* Writing: s as a YAML double-quoted scalar, quotes included, into buf (size n): '"'
 * and '\\' escaped, tab, newline and carriage return as \t \n \r, other control
 * characters as \xNN, so that em_yaml_load reads back exactly s. Plain strings come out
 * as "s". Truncated (never inside an escape) when buf is too small. Returns buf. */
const char *em_yaml_quote(char *buf, size_t n, const char *s);

#endif
