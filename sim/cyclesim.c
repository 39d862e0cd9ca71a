/* sim/cyclesim.c: brute-force execution of a mapped loop nest on a PE-array model. */
#include "sim/cyclesim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Schedule levels: 0 group, 1 tile of A, 2 tile of B, 3..6 temporal loops. */
#define NLEV 7

typedef struct {
    int64_t *key;      /* per PE: the value it holds (key), for the current segment */
    int *slot;         /* per PE: index of its distinct value */
    unsigned char *used;
    int nslots;
    int64_t *table;    /* open addressing: key -> slot */
    int *table_slot;
    int table_size;
} operand_state;

static int op_state_init(operand_state *s, int pes)
{
    memset(s, 0, sizeof *s);
    s->table_size = 1;
    while (s->table_size < 2 * pes) s->table_size <<= 1;
    s->key = malloc(sizeof *s->key * (size_t)pes);
    s->slot = malloc(sizeof *s->slot * (size_t)pes);
    s->used = calloc((size_t)pes, 1);
    s->table = malloc(sizeof *s->table * (size_t)s->table_size);
    s->table_slot = malloc(sizeof *s->table_slot * (size_t)s->table_size);
    return s->key && s->slot && s->used && s->table && s->table_slot ? 0 : -1;
}

static void op_state_free(operand_state *s)
{
    free(s->key);
    free(s->slot);
    free(s->used);
    free(s->table);
    free(s->table_slot);
}

static int count_used(const operand_state *s)
{
    int u = 0;
    for (int i = 0; i < s->nslots; i++) u += s->used[i];
    return u;
}

/* Assigns slots to the keys of the active PEs (pe list), deduplicating. */
static void assign_slots(operand_state *s, const int *pes, int npe)
{
    for (int i = 0; i < s->table_size; i++) s->table_slot[i] = -1;
    s->nslots = 0;
    for (int i = 0; i < npe; i++) {
        int pe = pes[i];
        uint64_t h = (uint64_t)s->key[pe] * 0x9e3779b97f4a7c15ULL;
        int t = (int)(h >> 40) & (s->table_size - 1);
        while (s->table_slot[t] >= 0 && s->table[t] != s->key[pe]) t = (t + 1) & (s->table_size - 1);
        if (s->table_slot[t] < 0) {
            s->table[t] = s->key[pe];
            s->table_slot[t] = s->nslots;
            s->used[s->nslots] = 0;
            s->nslots++;
        }
        s->slot[pe] = s->table_slot[t];
    }
}

static int level_relevant(const df_mapping *m, df_operand op, int lev)
{
    if (lev == 0) return 1; /* every operand belongs to one group */
    if (lev == 1) return df_depends(op, m->spatial[0]);
    if (lev == 2) return df_depends(op, m->spatial[1]);
    return df_depends(op, m->order[lev - 3]);
}

int sim_cycle_simulate(const df_nest *n, const df_mapping *m, const df_array *arr,
                       const float *weights, df_counts *out, em_error *err)
{
    memset(out, 0, sizeof *out);
    if (df_array_check(arr, err)) return EM_EINVAL;
    const int R = arr->rows, C = arr->cols, P = R * C;
    const df_loop A = m->spatial[0], B = m->spatial[1];
    const int64_t *bd = n->bound;
    int64_t lb[NLEV];
    lb[0] = n->groups;
    lb[1] = (bd[A] + R - 1) / R;
    lb[2] = (bd[B] + C - 1) / C;
    for (int i = 0; i < 4; i++) lb[3 + i] = bd[m->order[i]];

    operand_state st[DF_NOPERAND];
    int *pes = malloc(sizeof *pes * (size_t)P);
    int ok = pes != NULL;
    for (int op = 0; op < DF_NOPERAND; op++) ok &= op_state_init(&st[op], P) == 0;
    if (!ok) {
        for (int op = 0; op < DF_NOPERAND; op++) op_state_free(&st[op]);
        free(pes);
        return em_fail(err, EM_ENOMEM, "simulator: out of memory");
    }

    const int64_t s = n->stride;
    const int64_t HH = s * (bd[DF_X] - 1) + bd[DF_FX], WW = s * (bd[DF_Y] - 1) + bd[DF_FY];
    const int64_t wper = bd[DF_CO] * bd[DF_CI] * bd[DF_FX] * bd[DF_FY];
    int64_t idx[NLEV] = {0}, prev[NLEV];
    for (int i = 0; i < NLEV; i++) prev[i] = -1;
    double used_reads[DF_NOPERAND] = {0};
    const double bw = arr->buffer_words_per_cycle;

    for (;;) {
        /* Active PEs of this tile. */
        int64_t aAct = bd[A] - idx[1] * R, bAct = bd[B] - idx[2] * C;
        if (aAct > R) aAct = R;
        if (bAct > C) bAct = C;
        int npe = 0;
        for (int r = 0; r < aAct; r++)
            for (int c = 0; c < bAct; c++) pes[npe++] = r * C + c;

        int64_t v[DF_NLOOP];
        for (int i = 0; i < 4; i++) v[m->order[i]] = idx[3 + i];
        double words = 0;
        for (int op = 0; op < DF_NOPERAND; op++) {
            int event = 0;
            for (int lev = 0; lev < NLEV; lev++)
                if (idx[lev] != prev[lev] && level_relevant(m, (df_operand)op, lev)) event = 1;
            if (!event) continue;
            used_reads[op] += op == DF_W ? st[op].nslots : count_used(&st[op]);
            for (int i = 0; i < npe; i++) {
                int pe = pes[i];
                v[A] = idx[1] * R + pe / C;
                v[B] = idx[2] * C + pe % C;
                int64_t key;
                if (op == DF_W)
                    key = ((v[DF_CO] * bd[DF_CI] + v[DF_CI]) * bd[DF_FX] + v[DF_FX]) * bd[DF_FY] + v[DF_FY];
                else if (op == DF_I)
                    key = (v[DF_CI] * HH + s * v[DF_X] + v[DF_FX]) * WW + s * v[DF_Y] + v[DF_FY];
                else
                    key = (v[DF_CO] * bd[DF_X] + v[DF_X]) * bd[DF_Y] + v[DF_Y];
                st[op].key[pe] = key;
            }
            assign_slots(&st[op], pes, npe);
            words += st[op].nslots;
        }
        if (words > bw) out->stalls += ceil(words / bw - 1e-9) - 1;

        /* Execute the MACs of this iteration. */
        int any = 0;
        for (int i = 0; i < npe; i++) {
            int pe = pes[i];
            v[A] = idx[1] * R + pe / C;
            v[B] = idx[2] * C + pe % C;
            out->macs += 1;
            float w = 1.0f;
            if (weights)
                w = weights[idx[0] * wper +
                            ((v[DF_CO] * bd[DF_CI] + v[DF_CI]) * bd[DF_FX] + v[DF_FX]) * bd[DF_FY] +
                            v[DF_FY]];
            if (w != 0.0f) {
                any = 1;
                out->macs_executed += 1;
                st[DF_I].used[st[DF_I].slot[pe]] = 1;
                st[DF_O].used[st[DF_O].slot[pe]] = 1;
            }
        }
        out->iterations += 1;
        if (!any) out->skipped += 1;

        memcpy(prev, idx, sizeof prev);
        int lev = NLEV - 1;
        while (lev >= 0 && ++idx[lev] == lb[lev]) idx[lev--] = 0;
        if (lev < 0) break;
    }
    for (int op = 0; op < DF_NOPERAND; op++) {
        used_reads[op] += op == DF_W ? st[op].nslots : count_used(&st[op]);
        out->buffer_reads[op] = used_reads[op];
        op_state_free(&st[op]);
    }
    free(pes);
    out->buffer_writes[DF_O] = out->buffer_reads[DF_O];
    out->reg_accesses[DF_W] = out->macs_executed;
    out->reg_accesses[DF_I] = out->macs_executed;
    out->reg_accesses[DF_O] = 2 * out->macs_executed;
    df_counts_finish(out, arr);
    return EM_OK;
}
