/* common/progress.h: a one-line progress display for long work (training, search).
 * It draws only when the stream is a terminal and quiet is off; otherwise every call
 * is a no-op, so library loops may call it freely via a callback from cli/. */
#ifndef EMOMC_COMMON_PROGRESS_H
#define EMOMC_COMMON_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct em_progress {
    FILE *out;
    bool active;
    double start;
    double last_draw;
    long total;
    char label[64];
} em_progress;

void em_progress_begin(em_progress *p, FILE *out, bool quiet, const char *label, long total);
/* done of total; extra is free text such as "loss 0.12 acc 98.1%". Rate-limited. */
void em_progress_update(em_progress *p, long done, const char *extra);
void em_progress_end(em_progress *p, const char *final_text);

double em_now_seconds(void); /* monotonic clock */

#endif
