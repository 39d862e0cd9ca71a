/* common/yamldoc.c: libyaml document loading and typed field access. */
#include "common/yamldoc_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_into(em_yaml *y, yaml_parser_t *parser, em_error *err)
{
    if (!yaml_parser_load(parser, &y->doc)) {
        int rc = em_fail(err, EM_EFORMAT, "%s:%zu: malformed YAML: %s", y->path,
                         parser->problem_mark.line + 1,
                         parser->problem ? parser->problem : "parse error");
        yaml_parser_delete(parser);
        return rc;
    }
    yaml_parser_delete(parser);
    y->loaded = 1;
    if (!yaml_document_get_root_node(&y->doc))
        return em_fail(err, EM_EFORMAT, "%s: empty YAML document", y->path);
    return EM_OK;
}

int em_yaml_load_file(em_yaml *y, const char *path, em_error *err)
{
    memset(y, 0, sizeof *y);
    y->path = strdup(path);
    if (!y->path) return em_fail(err, EM_ENOMEM, "out of memory");
    FILE *fp = fopen(path, "rb");
    if (!fp) return em_fail(err, EM_EIO, "%s: cannot open: %s", path, strerror(errno));
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, fp);
    int rc = parse_into(y, &parser, err);
    fclose(fp);
    return rc;
}

int em_yaml_load_string(em_yaml *y, const char *text, const char *name, em_error *err)
{
    memset(y, 0, sizeof *y);
    y->path = strdup(name ? name : "<string>");
    if (!y->path) return em_fail(err, EM_ENOMEM, "out of memory");
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    return parse_into(y, &parser, err);
}

void em_yaml_free(em_yaml *y)
{
    if (y->loaded) yaml_document_delete(&y->doc);
    free(y->path);
    memset(y, 0, sizeof *y);
}

em_ynode *em_yaml_root(em_yaml *y) { return yaml_document_get_root_node(&y->doc); }
int em_yaml_line(const em_ynode *n) { return n ? (int)n->start_mark.line + 1 : 0; }
bool em_yaml_is_map(const em_ynode *n) { return n && n->type == YAML_MAPPING_NODE; }
bool em_yaml_is_seq(const em_ynode *n) { return n && n->type == YAML_SEQUENCE_NODE; }
bool em_yaml_is_scalar(const em_ynode *n) { return n && n->type == YAML_SCALAR_NODE; }

const char *em_yaml_scalar(const em_ynode *n)
{
    return em_yaml_is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

int em_yaml_map_len(const em_ynode *map)
{
    if (!em_yaml_is_map(map)) return 0;
    return (int)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

const char *em_yaml_map_key(em_yaml *y, em_ynode *map, int i, int *line)
{
    yaml_node_pair_t *p = map->data.mapping.pairs.start + i;
    em_ynode *k = yaml_document_get_node(&y->doc, p->key);
    if (line) *line = em_yaml_line(k);
    return em_yaml_scalar(k);
}

em_ynode *em_yaml_map_value(em_yaml *y, em_ynode *map, int i)
{
    yaml_node_pair_t *p = map->data.mapping.pairs.start + i;
    return yaml_document_get_node(&y->doc, p->value);
}

em_ynode *em_yaml_get(em_yaml *y, em_ynode *map, const char *key)
{
    int n = em_yaml_map_len(map);
    for (int i = 0; i < n; i++) {
        const char *k = em_yaml_map_key(y, map, i, NULL);
        if (k && strcmp(k, key) == 0) return em_yaml_map_value(y, map, i);
    }
    return NULL;
}

int em_yaml_seq_len(const em_ynode *seq)
{
    if (!em_yaml_is_seq(seq)) return 0;
    return (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

em_ynode *em_yaml_seq_at(em_yaml *y, em_ynode *seq, int i)
{
    return yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
}

int em_yaml_check_keys(em_yaml *y, em_ynode *map, const char *const *allowed,
                       const char *ctx, em_error *err)
{
    if (!em_yaml_is_map(map))
        return em_fail(err, EM_EFORMAT, "%s:%d: %s must be a mapping", y->path,
                       em_yaml_line(map), ctx);
    int n = em_yaml_map_len(map);
    for (int i = 0; i < n; i++) {
        int line;
        const char *k = em_yaml_map_key(y, map, i, &line);
        if (!k) return em_fail(err, EM_EFORMAT, "%s:%d: %s: keys must be plain strings",
                               y->path, line, ctx);
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k) == 0) { ok = 1; break; }
        if (!ok) return em_fail(err, EM_EFORMAT, "%s:%d: %s: unknown key '%s'", y->path,
                                line, ctx, k);
        for (int j = 0; j < i; j++) {
            const char *kj = em_yaml_map_key(y, map, j, NULL);
            if (kj && strcmp(kj, k) == 0)
                return em_fail(err, EM_EFORMAT, "%s:%d: %s: duplicate key '%s'", y->path,
                               line, ctx, k);
        }
    }
    return EM_OK;
}

int em_yaml_node_int(em_yaml *y, em_ynode *n, const char *key, long long lo, long long hi,
                     long long *out, em_error *err)
{
    const char *s = em_yaml_scalar(n);
    if (!s || !*s)
        return em_fail(err, EM_EFORMAT, "%s:%d: key '%s': expected an integer", y->path,
                       em_yaml_line(n), key);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return em_fail(err, EM_EFORMAT, "%s:%d: key '%s': '%s' is not an integer", y->path,
                       em_yaml_line(n), key, s);
    if (v < lo || v > hi)
        return em_fail(err, EM_EINVAL, "%s:%d: key '%s': %lld is out of range [%lld, %lld]",
                       y->path, em_yaml_line(n), key, v, lo, hi);
    *out = v;
    return EM_OK;
}

int em_yaml_node_num(em_yaml *y, em_ynode *n, const char *key, double lo, double hi,
                     double *out, em_error *err)
{
    const char *s = em_yaml_scalar(n);
    if (!s || !*s)
        return em_fail(err, EM_EFORMAT, "%s:%d: key '%s': expected a number", y->path,
                       em_yaml_line(n), key);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return em_fail(err, EM_EFORMAT, "%s:%d: key '%s': '%s' is not a finite number",
                       y->path, em_yaml_line(n), key, s);
    if (v < lo || v > hi)
        return em_fail(err, EM_EINVAL, "%s:%d: key '%s': %g is out of range [%g, %g]",
                       y->path, em_yaml_line(n), key, v, lo, hi);
    *out = v;
    return EM_OK;
}

static int missing(em_yaml *y, em_ynode *map, const char *key, em_error *err)
{
    return em_fail(err, EM_EFORMAT, "%s:%d: missing required key '%s'", y->path,
                   em_yaml_line(map), key);
}

int em_yaml_int_req(em_yaml *y, em_ynode *map, const char *key, long long lo, long long hi,
                    long long *out, em_error *err)
{
    em_ynode *n = em_yaml_get(y, map, key);
    if (!n) return missing(y, map, key, err);
    return em_yaml_node_int(y, n, key, lo, hi, out, err);
}

int em_yaml_int_opt(em_yaml *y, em_ynode *map, const char *key, long long lo, long long hi,
                    long long *out, em_error *err)
{
    em_ynode *n = em_yaml_get(y, map, key);
    return n ? em_yaml_node_int(y, n, key, lo, hi, out, err) : EM_OK;
}

int em_yaml_num_req(em_yaml *y, em_ynode *map, const char *key, double lo, double hi,
                    double *out, em_error *err)
{
    em_ynode *n = em_yaml_get(y, map, key);
    if (!n) return missing(y, map, key, err);
    return em_yaml_node_num(y, n, key, lo, hi, out, err);
}

int em_yaml_num_opt(em_yaml *y, em_ynode *map, const char *key, double lo, double hi,
                    double *out, em_error *err)
{
    em_ynode *n = em_yaml_get(y, map, key);
    return n ? em_yaml_node_num(y, n, key, lo, hi, out, err) : EM_OK;
}

int em_yaml_bool_opt(em_yaml *y, em_ynode *map, const char *key, bool *out, em_error *err)
{
    em_ynode *n = em_yaml_get(y, map, key);
    if (!n) return EM_OK;
    const char *s = em_yaml_scalar(n);
    if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1"))) {
        *out = true;
        return EM_OK;
    }
    if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0"))) {
        *out = false;
        return EM_OK;
    }
    return em_fail(err, EM_EFORMAT, "%s:%d: key '%s': expected true or false", y->path,
                   em_yaml_line(n), key);
}

static int copy_str(em_yaml *y, em_ynode *n, const char *key, char *buf, size_t sz,
                    em_error *err)
{
    const char *s = em_yaml_scalar(n);
    if (!s)
        return em_fail(err, EM_EFORMAT, "%s:%d: key '%s': expected a string", y->path,
                       em_yaml_line(n), key);
    if (strlen(s) >= sz)
        return em_fail(err, EM_EINVAL, "%s:%d: key '%s': longer than %zu characters",
                       y->path, em_yaml_line(n), key, sz - 1);
    strcpy(buf, s);
    return EM_OK;
}

int em_yaml_str_req(em_yaml *y, em_ynode *map, const char *key, char *buf, size_t n,
                    em_error *err)
{
    em_ynode *v = em_yaml_get(y, map, key);
    if (!v) return missing(y, map, key, err);
    return copy_str(y, v, key, buf, n, err);
}

int em_yaml_str_opt(em_yaml *y, em_ynode *map, const char *key, char *buf, size_t n,
                    em_error *err)
{
    em_ynode *v = em_yaml_get(y, map, key);
    return v ? copy_str(y, v, key, buf, n, err) : EM_OK;
}

const char *em_yaml_quote(char *buf, size_t n, const char *s)
{
    size_t o = 0;
    if (n < 3) {
        if (n) buf[0] = '\0';
        return buf;
    }
    buf[o++] = '"';
    for (; *s; s++) {
        char e[8];
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') snprintf(e, sizeof e, "\\%c", c);
        else if (c == '\t') snprintf(e, sizeof e, "\\t");
        else if (c == '\n') snprintf(e, sizeof e, "\\n");
        else if (c == '\r') snprintf(e, sizeof e, "\\r");
        else if (c < 0x20 || c == 0x7f) snprintf(e, sizeof e, "\\x%02x", c);
        else e[0] = (char)c, e[1] = '\0';
        size_t k = strlen(e);
        if (o + k + 2 > n) break; /* room for the closing quote and the NUL */
        memcpy(buf + o, e, k);
        o += k;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}
