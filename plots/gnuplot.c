/* plots/gnuplot.c: gnuplot scripts written to a pipe; outputs renamed into place. */
#include "plots/gnuplot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void plot_escape(char *buf, size_t n, const char *s)
{
    size_t k = 0;
    for (; *s && k + 2 < n; s++) {
        if (*s == '"' || *s == '\\') buf[k++] = '\\';
        buf[k++] = *s;
    }
    buf[k] = '\0';
}

static const char *terminal_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return NULL;
    if (!strcmp(dot, ".png")) return "pngcairo enhanced font 'sans,10'";
    if (!strcmp(dot, ".svg")) return "svg enhanced font 'sans,10' background rgb 'white'";
    if (!strcmp(dot, ".pdf")) return "pdfcairo enhanced font 'sans,9'";
    return NULL;
}

int plot_gnuplot(const char *out_path, int width_px, int height_px, const char *body,
                 em_error *err)
{
    const char *term = terminal_for(out_path);
    if (!term)
        return em_fail(err, EM_EINVAL, "%s: plot file must end in .png, .svg or .pdf", out_path);
    size_t n = strlen(out_path) + 32;
    char *tmp = malloc(n), *esc = malloc(2 * n + 8);
    if (!tmp || !esc) {
        free(tmp);
        free(esc);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    const char *ext = strrchr(out_path, '.');
    snprintf(tmp, n, "%.*s.tmp%ld%s", (int)(ext - out_path), out_path, (long)getpid(), ext);
    plot_escape(esc, 2 * n + 8, tmp);
    FILE *gp = popen("gnuplot 2>&1", "w");
    if (!gp) {
        free(tmp);
        free(esc);
        return em_fail(err, EM_EIO, "cannot run gnuplot: %s", strerror(errno));
    }
    int sized = strstr(term, "pdf") == NULL;
    if (sized)
        fprintf(gp, "set terminal %s size %d,%d\n", term, width_px, height_px);
    else
        fprintf(gp, "set terminal %s size %.2fin,%.2fin\n", term, width_px / 96.0, height_px / 96.0);
    fprintf(gp, "set output \"%s\"\n%s\nset output\n", esc, body);
    int status = pclose(gp);
    int rc = EM_OK;
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = em_fail(err, EM_EIO,
                     "%s: gnuplot failed (exit status %d); is gnuplot installed (apt-get "
                     "install gnuplot-nox)?", out_path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        remove(tmp);
    } else if (rename(tmp, out_path) != 0) {
        rc = em_fail(err, EM_EIO, "%s: cannot write: %s", out_path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    free(esc);
    return rc;
}

int plot_compare_chart(const char *out_path, const char *title, int n_df,
                       const char *const *df_names, int n_cod, const char *const *cod_names,
                       const double *energy_mj, const double *size_kb, em_error *err)
{
    size_t cap = 4096 + (size_t)(n_df + 2) * (size_t)(n_cod + 2) * 64;
    char *s = malloc(cap);
    if (!s) return em_fail(err, EM_ENOMEM, "out of memory");
    size_t k = 0;
    char esc[256];
#define PUT(...) (k += (size_t)snprintf(s + k, k < cap ? cap - k : 0, __VA_ARGS__))
    PUT("$energy << EOD\ndataflow");
    for (int c = 0; c < n_cod; c++) PUT(" \"%s\"", cod_names[c]);
    PUT("\n");
    for (int d = 0; d < n_df; d++) {
        plot_escape(esc, sizeof esc, df_names[d]);
        PUT("\"%s\"", esc);
        for (int c = 0; c < n_cod; c++) PUT(" %.9g", energy_mj[d * n_cod + c]);
        PUT("\n");
    }
    PUT("EOD\n$size << EOD\n");
    for (int c = 0; c < n_cod; c++) PUT("\"%s\" %.9g\n", cod_names[c], size_kb[c]);
    PUT("EOD\n");
    plot_escape(esc, sizeof esc, title);
    PUT("set multiplot layout 1,2 title \"%s\" font ',12'\n"
        "set style data histogram\nset style histogram cluster gap 1\n"
        "set style fill solid 0.85 border -1\nset boxwidth 0.9\nset grid ytics\n"
        "set key outside top center horizontal\nset yrange [0:*]\nset xtics nomirror\n"
        "set title 'Energy per inference by dataflow'\nset ylabel 'energy (mJ)'\n"
        "set xlabel 'dataflow'\nset key autotitle columnheader\n"
        "plot for [i=2:%d] $energy using i:xtic(1)\n"
        "set title 'Weight storage by coding'\nset ylabel 'model size (KB)'\n"
        "set xlabel 'coding'\nset key noautotitle\nunset key\n"
        "plot $size using 2:xtic(1) linecolor rgb '#4477aa'\n"
        "unset multiplot\n",
        esc, n_cod + 1);
#undef PUT
    int rc = k >= cap ? em_fail(err, EM_EINTERNAL, "plot script too long")
                      : plot_gnuplot(out_path, 1100, 450, s, err);
    free(s);
    return rc;
}
