/* plots/gnuplot.h: running gnuplot (as a program) to draw a figure into a file.
 * The terminal follows the file extension (.png -> pngcairo, .svg -> svg, .pdf ->
 * pdfcairo); gnuplot writes a temporary file that is renamed into place only when it
 * succeeded, so a failed plot never leaves a partial image. A path ending in .gp
 * gets the gnuplot script itself instead (a standalone script that draws a PNG of the
 * same base name when run with `gnuplot FILE.gp`), for editing a figure by hand.
 *
 * The script goes through a temporary file and gnuplot's own messages are captured:
 * nothing is printed, and a gnuplot error comes back in the em_error. */
#ifndef EMOMC_PLOTS_GNUPLOT_H
#define EMOMC_PLOTS_GNUPLOT_H

#include <stddef.h>

#include "../common/error.h"

/* The gnuplot program to run (NULL or "": "gnuplot", found on PATH) and the folder
 * for the temporary script and log (NULL or "": /tmp), for every later plot of the
 * process. The library reads no environment: the emomc command passes
 * $EMOMC_GNUPLOT and $TMPDIR here at startup. The strings are copied (truncated to
 * 4095 bytes). Not thread-safe: call it before plotting. */
void plot_gnuplot_config(const char *program, const char *tmpdir);

/* body: gnuplot commands after the terminal and output are set. */
int plot_gnuplot(const char *out_path, int width_px, int height_px, const char *body,
                 em_error *err);

/* Writes s into buf as the body of a gnuplot double-quoted string: escapes quotes and
 * backslashes, turns control characters (newlines, tabs) into spaces. Truncates to n. */
void plot_escape(char *buf, size_t n, const char *s);

/* A grouped bar chart of energy per dataflow (one bar per coding within a group) next
 * to a bar chart of model size per coding. energy_mj is n_df x n_cod (row major). */
int plot_compare_chart(const char *out_path, const char *title, int n_df,
                       const char *const *df_names, int n_cod, const char *const *cod_names,
                       const double *energy_mj, const double *size_kb, em_error *err);

#endif
