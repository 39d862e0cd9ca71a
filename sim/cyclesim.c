/* sim/cyclesim.c: the cycle-level oracle. It executes a mapped loop nest iteration by
 * iteration on a model of the PE array in which every PE has one register per operand
 * (the value it holds and the buffer word that value came from), and counts every
 * field of df_counts as events: a PE fetches when the value it needs differs from the
 * one its register holds; a cycle reads one buffer word per distinct value fetched
 * (multicast to every PE that needs it); a MAC reads the W and I registers and reads
 * and writes the O register of its PE; a fetched I or O word is read only if some PE
 * uses it in a non-zero MAC before letting it go, and an O word (the partial sums of
 * the PEs sharing it, reduced by the adder tree) is written back when the last PE
 * holding it moves on. It uses none of the closed forms of dataflow/analytic.c. */
#include "sim/cyclesim.h"

#include <stdlib.h>
#include <string.h>

/* Schedule levels: 0 group, 1 tile of A, 2 tile of B, 3..6 temporal loops. */
#define NLEV 7

typedef struct {
    int refs;           /* PE registers holding this word */
    unsigned char used; /* a PE used it in a MAC with a non-zero weight */
} sim_word;

/* One operand's registers across the array, plus the live buffer words. */
typedef struct {
    int64_t *held;      /* per PE: key of the value in the register, -1 if empty */
    int *word_of;       /* per PE: live word the value came from, -1 if none */
    sim_word *words;    /* at most one live word per PE */
    int *free_words;
    int nfree;
    int64_t *hkey;      /* this cycle's fetches: key -> word (open addressing) */
    int *hword;
    unsigned *hstamp;
    unsigned stamp;
    int hsize;
} reg_file;

static int reg_file_init(reg_file *f, int pes)
{
    memset(f, 0, sizeof *f);
    f->hsize = 1;
    while (f->hsize < 2 * pes) f->hsize <<= 1;
    f->held = malloc(sizeof *f->held * (size_t)pes);
    f->word_of = malloc(sizeof *f->word_of * (size_t)pes);
    f->words = calloc((size_t)pes, sizeof *f->words);
    f->free_words = malloc(sizeof *f->free_words * (size_t)pes);
    f->hkey = malloc(sizeof *f->hkey * (size_t)f->hsize);
    f->hword = malloc(sizeof *f->hword * (size_t)f->hsize);
    f->hstamp = calloc((size_t)f->hsize, sizeof *f->hstamp);
    if (!f->held || !f->word_of || !f->words || !f->free_words || !f->hkey || !f->hword ||
        !f->hstamp)
        return -1;
    for (int i = 0; i < pes; i++) {
        f->held[i] = -1;
        f->word_of[i] = -1;
        f->free_words[i] = pes - 1 - i;
    }
    f->nfree = pes;
    return 0;
}

static void reg_file_free(reg_file *f)
{
    free(f->held);
    free(f->word_of);
    free(f->words);
    free(f->free_words);
    free(f->hkey);
    free(f->hword);
    free(f->hstamp);
}

/* Totals a word contributes when it dies (no register holds it any more). */
typedef struct {
    double reads;  /* I and O: words actually read (used ones) */
    double writes; /* O: partial sums written back */
} word_tally;

static void release(reg_file *f, df_operand op, int w, word_tally *t)
{
    if (--f->words[w].refs > 0) return;
    if (f->words[w].used && op != DF_W) {
        t->reads += 1;
        if (op == DF_O) t->writes += 1;
    }
    f->free_words[f->nfree++] = w;
}

/* PE pe needs the value `key`: fetch it unless its register already holds it.
 * Returns 1 if this starts a new buffer word in this cycle. */
static int need(reg_file *f, df_operand op, int pe, int64_t key, word_tally *t)
{
    if (f->held[pe] == key) return 0;
    if (f->word_of[pe] >= 0) release(f, op, f->word_of[pe], t);
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ULL;
    int slot = (int)(h >> 40) & (f->hsize - 1);
    while (f->hstamp[slot] == f->stamp && f->hkey[slot] != key) slot = (slot + 1) & (f->hsize - 1);
    int fresh = 0;
    if (f->hstamp[slot] != f->stamp) {
        int w = f->free_words[--f->nfree];
        f->words[w].refs = 0;
        f->words[w].used = 0;
        f->hstamp[slot] = f->stamp;
        f->hkey[slot] = key;
        f->hword[slot] = w;
        fresh = 1;
    }
    int w = f->hword[slot];
    f->words[w].refs++;
    f->word_of[pe] = w;
    f->held[pe] = key;
    return fresh;
}

/* Buffer cycles needed to deliver `words` words at `bw` words per cycle (at least 1). */
static double port_cycles(int words, double bw)
{
    double k = 1;
    while (k * bw < (double)words) k += 1;
    return k;
}

int sim_cycle_simulate(const df_nest *n, const df_mapping *m, const df_array *arr,
                       const float *weights, df_counts *out, em_error *err)
{
    memset(out, 0, sizeof *out);
    if (df_array_check(arr, err)) return EM_EINVAL;
    if (n->groups < 1 || n->stride < 1)
        return em_fail(err, EM_EINVAL, "layer '%s': groups %lld, stride %d", n->name,
                       (long long)n->groups, n->stride);
    for (int i = 0; i < DF_NLOOP; i++)
        if (n->bound[i] < 1)
            return em_fail(err, EM_EINVAL, "layer '%s': loop %s has bound %lld", n->name,
                           df_loop_name((df_loop)i), (long long)n->bound[i]);
    const int R = arr->rows, C = arr->cols, P = R * C;
    const df_loop A = m->spatial[0], B = m->spatial[1];
    const int64_t *bd = n->bound;
    int64_t lb[NLEV];
    lb[0] = n->groups;
    lb[1] = (bd[A] + R - 1) / R;
    lb[2] = (bd[B] + C - 1) / C;
    for (int i = 0; i < 4; i++) lb[3 + i] = bd[m->order[i]];

    reg_file rf[DF_NOPERAND];
    int ok = 1;
    for (int op = 0; op < DF_NOPERAND; op++) ok &= reg_file_init(&rf[op], P) == 0;
    if (!ok) {
        for (int op = 0; op < DF_NOPERAND; op++) reg_file_free(&rf[op]);
        return em_fail(err, EM_ENOMEM, "simulator: out of memory");
    }

    /* Keys: a value's address in its operand's buffer (group included). */
    const int64_t s = n->stride;
    const int64_t HH = s * (bd[DF_X] - 1) + bd[DF_FX], WW = s * (bd[DF_Y] - 1) + bd[DF_FY];
    const int64_t wper = bd[DF_CO] * bd[DF_CI] * bd[DF_FX] * bd[DF_FY];
    const double bw = arr->buffer_words_per_cycle;
    word_tally tally[DF_NOPERAND];
    memset(tally, 0, sizeof tally);
    int64_t idx[NLEV] = {0};

    for (;;) {
        const int64_t g = idx[0];
        int64_t v[DF_NLOOP];
        for (int i = 0; i < 4; i++) v[m->order[i]] = idx[3 + i];
        for (int op = 0; op < DF_NOPERAND; op++) rf[op].stamp++;
        int words = 0, any = 0;
        for (int r = 0; r < R; r++) {
            v[A] = idx[1] * R + r;
            if (v[A] >= bd[A]) break; /* idle rows of a partial tile */
            for (int c = 0; c < C; c++) {
                v[B] = idx[2] * C + c;
                if (v[B] >= bd[B]) break; /* idle columns */
                const int pe = r * C + c;
                const int64_t wi =
                    g * wper + ((v[DF_CO] * bd[DF_CI] + v[DF_CI]) * bd[DF_FX] + v[DF_FX]) * bd[DF_FY] +
                    v[DF_FY];
                const int64_t ii =
                    ((g * bd[DF_CI] + v[DF_CI]) * HH + s * v[DF_X] + v[DF_FX]) * WW + s * v[DF_Y] + v[DF_FY];
                const int64_t oi = ((g * bd[DF_CO] + v[DF_CO]) * bd[DF_X] + v[DF_X]) * bd[DF_Y] + v[DF_Y];
                if (need(&rf[DF_W], DF_W, pe, wi, &tally[DF_W])) {
                    words++;
                    out->buffer_reads[DF_W] += 1; /* weights are read to learn they are zero */
                }
                words += need(&rf[DF_I], DF_I, pe, ii, &tally[DF_I]);
                words += need(&rf[DF_O], DF_O, pe, oi, &tally[DF_O]);

                /* The MAC of this PE in this cycle. */
                out->macs += 1;
                if (weights && weights[wi] == 0.0f) continue;
                any = 1;
                out->macs_executed += 1;
                out->reg_accesses[DF_W] += 1; /* read W */
                out->reg_accesses[DF_I] += 1; /* read I */
                out->reg_accesses[DF_O] += 2; /* read and write the partial sum */
                rf[DF_I].words[rf[DF_I].word_of[pe]].used = 1;
                rf[DF_O].words[rf[DF_O].word_of[pe]].used = 1;
            }
        }
        out->iterations += 1;
        if (!any) out->skipped += 1;
        out->stalls += port_cycles(words, bw) - 1;

        int lev = NLEV - 1;
        while (lev >= 0 && ++idx[lev] == lb[lev]) idx[lev--] = 0;
        if (lev < 0) break;
    }
    /* Drain: every value still in a register leaves the array. */
    for (int op = 0; op < DF_NOPERAND; op++) {
        for (int pe = 0; pe < P; pe++)
            if (rf[op].word_of[pe] >= 0) release(&rf[op], (df_operand)op, rf[op].word_of[pe], &tally[op]);
        if (op != DF_W) out->buffer_reads[op] = tally[op].reads;
        out->buffer_writes[op] = tally[op].writes;
        reg_file_free(&rf[op]);
    }
    df_counts_finish(out, arr);
    return EM_OK;
}
