/* plots/gnuplot.c: gnuplot scripts written to a temporary file and run by gnuplot
 * (plot_gnuplot_config names the program and the temporary folder); its messages are captured into a temporary
 * log and the output is renamed into place only on success. */
#include "plots/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomicfile.h"

extern char **environ;

void plot_escape(char *buf, size_t n, const char *s)
{
    size_t k = 0;
    if (n == 0) return;
    for (; *s && k + 2 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') buf[k++] = '\\';
        buf[k++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    buf[k] = '\0';
}

static const char *terminal_for(const char *ext)
{
    if (!strcmp(ext, ".png")) return "pngcairo enhanced font 'sans,10'";
    if (!strcmp(ext, ".svg")) return "svg enhanced font 'sans,10' background rgb 'white'";
    if (!strcmp(ext, ".pdf")) return "pdfcairo enhanced font 'sans,9'";
    return NULL;
}

/* "set terminal ...; set output ..." for a terminal, an output path and a size. */
static char *prologue(const char *term, const char *output, int w, int h)
{
    size_t n = 2 * strlen(output) + 512;
    char *esc = malloc(2 * strlen(output) + 8), *s = malloc(n);
    if (!esc || !s) {
        free(esc);
        free(s);
        return NULL;
    }
    plot_escape(esc, 2 * strlen(output) + 8, output);
    if (strstr(term, "pdf"))
        snprintf(s, n, "set encoding utf8\nset terminal %s size %.2fin,%.2fin\nset output \"%s\"\n",
                 term, w / 96.0, h / 96.0, esc);
    else
        snprintf(s, n, "set encoding utf8\nset terminal %s size %d,%d\nset output \"%s\"\n", term,
                 w, h, esc);
    free(esc);
    return s;
}

/* The script alone, standalone: it draws <base>.png next to where it is run. */
static int write_script(const char *out_path, int w, int h, const char *body, em_error *err)
{
    const char *slash = strrchr(out_path, '/');
    const char *base = slash ? slash + 1 : out_path;
    const char *dot = strrchr(base, '.');
    size_t bl = (size_t)(dot - base);
    char *png = malloc(bl + 8);
    if (!png) return em_fail(err, EM_ENOMEM, "out of memory");
    memcpy(png, base, bl);
    strcpy(png + bl, ".png");
    char *pro = prologue(terminal_for(".png"), png, w, h);
    free(png);
    if (!pro) return em_fail(err, EM_ENOMEM, "out of memory");
    size_t lp = strlen(pro), lb = strlen(body);
    char *all = malloc(lp + lb + 32);
    if (!all) {
        free(pro);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    memcpy(all, pro, lp);
    memcpy(all + lp, body, lb);
    strcpy(all + lp + lb, "\nset output\n");
    free(pro);
    int rc = em_atomic_write(out_path, all, strlen(all), err);
    free(all);
    return rc;
}

/* The gist of gnuplot's complaint: its "line N: ..." message (or the last line), with
 * runs of blanks squeezed, into buf. */
static void log_gist(const char *log_path, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen(log_path, "r");
    if (!f) return;
    char line[1024], last[1024] = "", found[1024] = "";
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '^' || !strncmp(p, "gnuplot>", 8)) continue;
        const char *at = strstr(p, "line ");
        if (!found[0] && at && (at == p || at[-1] == ' ') && at[5] >= '0' && at[5] <= '9') {
            const char *colon = strchr(at, ':');   /* drop "<script>" line N: */
            snprintf(found, sizeof found, "%s", colon ? colon + 1 : p);
        } else if (!found[0] && strstr(p, "rror")) {
            snprintf(found, sizeof found, "%s", p);
        }
        snprintf(last, sizeof last, "%s", p);
    }
    fclose(f);
    const char *src = found[0] ? found : last;
    while (*src == ' ') src++;
    size_t k = 0;
    for (const char *p = src; *p && k + 1 < n; p++) {
        if ((*p == ' ' || *p == '\t') && k > 0 && buf[k - 1] == ' ') continue;
        buf[k++] = (*p == '\t') ? ' ' : *p;
    }
    buf[k] = '\0';
}

static char cfg_program[4096], cfg_tmpdir[4096];

void plot_gnuplot_config(const char *program, const char *tmpdir)
{
    snprintf(cfg_program, sizeof cfg_program, "%s", program ? program : "");
    snprintf(cfg_tmpdir, sizeof cfg_tmpdir, "%s", tmpdir ? tmpdir : "");
}

static int make_temp(char *path, size_t n, const char *stem)
{
    const char *dir = cfg_tmpdir[0] ? cfg_tmpdir : "/tmp";
    int k = snprintf(path, n, "%s/emomc-%s-XXXXXX", dir, stem);
    if (k < 0 || (size_t)k >= n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkstemp(path);
}

/* Runs the gnuplot program on script, its output going to log_fd; returns the exit
 * status, or -1 with errno set when it could not be started. */
static int run_gnuplot(const char *script, int log_fd)
{
    const char *prog = cfg_program[0] ? cfg_program : "gnuplot";
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa)) return -1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
    char *argv[] = {(char *)prog, (char *)script, NULL};
    pid_t pid;
    int e = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e) {
        errno = e;
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int plot_gnuplot(const char *out_path, int width_px, int height_px, const char *body,
                 em_error *err)
{
    const char *slash = strrchr(out_path, '/');
    const char *ext = strrchr(slash ? slash + 1 : out_path, '.');
    if (ext && !strcmp(ext, ".gp")) return write_script(out_path, width_px, height_px, body, err);
    const char *term = ext ? terminal_for(ext) : NULL;
    if (!term)
        return em_fail(err, EM_EINVAL, "%s: plot file must end in .png, .svg or .pdf (or .gp "
                       "for the gnuplot script)", out_path);
    if (width_px < 16 || height_px < 16 || width_px > 20000 || height_px > 20000)
        return em_fail(err, EM_EINVAL, "%s: plot size %dx%d is out of range", out_path,
                       width_px, height_px);
    /* gnuplot draws into a temporary made like the atomic writer's (a unique name
     * beside the output, created here with O_EXCL: common/atomicfile.h), renamed
     * into place on success. */
    size_t n = strlen(out_path) + 32;
    char *tmp = malloc(n), *pro = NULL;
    if (!tmp || em_atomic_temp_name(out_path, tmp, n)) {
        free(tmp);
        return em_fail(err, EM_ENOMEM, "out of memory");
    }
    char script[4096], log[4096];
    int sfd = -1, lfd = -1, rc = em_make_parent_dirs(out_path, err);
    script[0] = log[0] = '\0';
    if (rc) {
        free(tmp);
        return rc;
    }
    int tfd = mkstemp(tmp);
    if (tfd < 0) {
        int e = errno;
        free(tmp);
        return em_fail(err, EM_EIO, "%s: cannot write: %s", out_path, strerror(e));
    }
    close(tfd);
    pro = prologue(term, tmp, width_px, height_px);
    if (!pro) {
        rc = em_fail(err, EM_ENOMEM, "out of memory");
        goto done;
    }
    sfd = make_temp(script, sizeof script, "plot");
    if (sfd >= 0) lfd = make_temp(log, sizeof log, "plotlog");
    if (sfd < 0 || lfd < 0) {
        rc = em_fail(err, EM_EIO, "%s: cannot create a temporary file for gnuplot: %s",
                     out_path, strerror(errno));
        goto done;
    }
    FILE *f = fdopen(sfd, "w");
    if (!f) {
        rc = em_fail(err, EM_EIO, "%s: %s", script, strerror(errno));
        goto done;
    }
    sfd = -1;
    fputs(pro, f);
    fputs(body, f);
    fputs("\nset output\n", f);
    if (fclose(f) != 0) {
        rc = em_fail(err, EM_EIO, "%s: cannot write the gnuplot script: %s", script,
                     strerror(errno));
        goto done;
    }
    int status = run_gnuplot(script, lfd);
    if (status < 0) {
        rc = em_fail(err, EM_EIO, "%s: cannot run gnuplot (%s); it is a dependency: apt-get "
                     "install gnuplot-nox", out_path, strerror(errno));
    } else if (status != 0) {
        char gist[512];
        log_gist(log, gist, sizeof gist);
        rc = em_fail(err, EM_EIO, "%s: gnuplot failed (exit status %d)%s%s", out_path, status,
                     gist[0] ? ": " : "", gist);
    } else {
        mode_t mask = umask(0);
        umask(mask);
        if (chmod(tmp, 0666 & ~mask) != 0 || rename(tmp, out_path) != 0)
            rc = em_fail(err, EM_EIO, "%s: cannot write: %s", out_path, strerror(errno));
    }
done:
    if (rc) remove(tmp);
    if (sfd >= 0) close(sfd);
    if (lfd >= 0) close(lfd);
    if (script[0]) remove(script);
    if (log[0]) remove(log);
    free(pro);
    free(tmp);
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
