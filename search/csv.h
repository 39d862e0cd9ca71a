/* search/csv.h: reading the small CSV files of a run directory (a header line, then
 * rows of comma-separated fields without quoting), with access by column name. */
#ifndef EMOMC_SEARCH_CSV_H
#define EMOMC_SEARCH_CSV_H

#include "../common/error.h"

typedef struct sp_csv {
    int n_cols, n_rows;
    char **header;   /* n_cols names */
    char **cells;    /* n_rows x n_cols strings (empty string when the field is empty) */
    char *path;
} sp_csv;

int sp_csv_read(const char *path, sp_csv *out, em_error *err);
void sp_csv_free(sp_csv *c);
int sp_csv_col(const sp_csv *c, const char *name); /* index or -1 */
const char *sp_csv_cell(const sp_csv *c, int row, int col);
/* Numeric cell; EM_EFORMAT naming file, line and column when it is not a number. */
int sp_csv_num(const sp_csv *c, int row, int col, double *out, em_error *err);

#endif
