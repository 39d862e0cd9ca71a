/* search/csv.c: a minimal reader for the run directory's CSV files. */
#include "search/csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sp_csv_free(sp_csv *c)
{
    if (c->header)
        for (int i = 0; i < c->n_cols; i++) free(c->header[i]);
    if (c->cells)
        for (long i = 0; i < (long)c->n_rows * c->n_cols; i++) free(c->cells[i]);
    free(c->header);
    free(c->cells);
    free(c->path);
    memset(c, 0, sizeof *c);
}

/* Splits line (modified) at commas into at most max fields; returns the number of
 * fields the line has (which may exceed max: the extra ones are not stored). */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (n < max) fields[n] = p;
        n++;
        if (!comma) break;
        if (n <= max) *comma = '\0';
        p = comma + 1;
    }
    return n;
}

int sp_csv_read(const char *path, sp_csv *c, em_error *err)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) return em_fail(err, EM_EIO, "%s: cannot open: %s", path, strerror(errno));
    c->path = strdup(path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = EM_OK, lineno = 0, cap_rows = 0;
    char **fields = NULL;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (lineno == 1) {
            int n = 1;
            for (const char *q = line; *q; q++) n += *q == ',';
            fields = calloc((size_t)n, sizeof *fields);
            c->header = calloc((size_t)n, sizeof *c->header);
            if (!fields || !c->header) { rc = em_fail(err, EM_ENOMEM, "out of memory"); break; }
            c->n_cols = split(line, fields, n);
            for (int i = 0; i < n; i++) c->header[i] = strdup(fields[i]);
            continue;
        }
        if (len == 0) continue;
        int n = split(line, fields, c->n_cols);
        if (n != c->n_cols) {
            rc = em_fail(err, EM_EFORMAT, "%s:%d: %d fields, the header has %d", path, lineno, n,
                         c->n_cols);
            break;
        }
        if (c->n_rows == cap_rows) {
            cap_rows = cap_rows ? 2 * cap_rows : 64;
            char **grown = realloc(c->cells, sizeof *grown * (size_t)cap_rows * (size_t)c->n_cols);
            if (!grown) { rc = em_fail(err, EM_ENOMEM, "out of memory"); break; }
            c->cells = grown;
        }
        for (int i = 0; i < n; i++) c->cells[(size_t)c->n_rows * (size_t)c->n_cols + (size_t)i] = strdup(fields[i]);
        c->n_rows++;
    }
    free(line);
    free(fields);
    fclose(f);
    if (!rc && c->n_cols == 0) rc = em_fail(err, EM_EFORMAT, "%s: empty file", path);
    if (rc) sp_csv_free(c);
    return rc;
}

int sp_csv_col(const sp_csv *c, const char *name)
{
    for (int i = 0; i < c->n_cols; i++)
        if (!strcmp(c->header[i], name)) return i;
    return -1;
}

const char *sp_csv_cell(const sp_csv *c, int row, int col)
{
    return c->cells[(size_t)row * (size_t)c->n_cols + (size_t)col];
}

int sp_csv_num(const sp_csv *c, int row, int col, double *out, em_error *err)
{
    const char *s = sp_csv_cell(c, row, col);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || isnan(v))
        return em_fail(err, EM_EFORMAT, "%s:%d: column '%s': '%s' is not a number", c->path,
                       row + 2, c->header[col], s);
    *out = v;
    return EM_OK;
}
