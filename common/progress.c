/* common/progress.c: terminal progress line with rate and ETA. */
#include "common/progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

double em_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void em_progress_begin(em_progress *p, FILE *out, bool quiet, const char *label, long total)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->active = !quiet && out && isatty(fileno(out));
    p->start = em_now_seconds();
    p->total = total;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
}

void em_progress_update(em_progress *p, long done, const char *extra)
{
    if (!p->active) return;
    double now = em_now_seconds();
    if (done < p->total && now - p->last_draw < 0.1) return;
    p->last_draw = now;
    double el = now - p->start;
    double frac = p->total > 0 ? (double)done / (double)p->total : 0.0;
    int width = 24, fill = (int)(frac * width + 0.5);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double eta = frac > 0 ? el * (1 - frac) / frac : 0;
    fprintf(p->out, "\r%s [%s] %ld/%ld %.0fs eta %.0fs %s\033[K", p->label, bar, done,
            p->total, el, eta, extra ? extra : "");
    fflush(p->out);
}

void em_progress_end(em_progress *p, const char *final_text)
{
    if (!p->active) return;
    fprintf(p->out, "\r%s %s (%.1fs)\033[K\n", p->label, final_text ? final_text : "done",
            em_now_seconds() - p->start);
    fflush(p->out);
}
