/* dataflow/counts.h: the event counts of one mapped layer (shared by the analytic
 * model and the cycle-level simulator, so the two can be compared field by field).
 *
 * Semantics (docs/cost-model.md, "fpga model"): each PE holds one value per operand.
 * An operand's register is refilled when the value the PE needs differs from the
 * one it holds (a loop it depends on advanced, the tile loops of the array
 * included, and the address changed); each refill reads one buffer word per
 * distinct value in the array (a value shared by several PEs is multicast; an input
 * pixel reached by several (x, fx) pairs is read once). Zero weights are skipped: a
 * PE with a zero weight does no MAC; an input or partial-sum refill whose value only
 * meets zero weights until the next refill is not performed; an iteration in which
 * every active weight is zero takes no cycle. Weight reads are never skipped. Stalls
 * come from the dense schedule: an iteration whose refills need more words than the
 * buffer delivers per cycle costs ceil(words / bandwidth) - 1 extra cycles. */
#ifndef EMOMC_DATAFLOW_COUNTS_H
#define EMOMC_DATAFLOW_COUNTS_H

#include "../dataflow/loopnest.h"

typedef struct df_array {
    int rows, cols;
    double buffer_words_per_cycle;
} df_array;

typedef struct df_counts {
    double macs;             /* MACs of the dense nest */
    double macs_executed;    /* MACs with a non-zero weight */
    double iterations;       /* temporal iterations of the dense schedule */
    double skipped;          /* iterations in which every active weight is zero */
    double stalls;           /* extra cycles waiting for the buffer */
    double cycles;           /* iterations - skipped + stalls */
    double buffer_reads[DF_NOPERAND];   /* words read from the on-chip buffer */
    double buffer_writes[DF_NOPERAND];  /* words written (partial sums: O only) */
    double reg_accesses[DF_NOPERAND];   /* PE register reads+writes by executed MACs */
    double utilization;      /* macs_executed / (cycles * rows * cols) */
} df_counts;

/* EM_EINVAL unless the array has rows, columns and bandwidth > 0. */
int df_array_check(const df_array *arr, em_error *err);

/* Fills cycles and utilization from the other fields. */
void df_counts_finish(df_counts *c, const df_array *arr);

#endif
