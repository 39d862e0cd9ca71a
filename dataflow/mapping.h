/* dataflow/mapping.h: which two loops a dataflow unrolls onto the PE array, and the
 * order of the four loops that run in time.
 *
 * A mapping "A:B" puts loop A on the array's rows and loop B on its columns. Any of
 * the 15 pairs of the six loops can be named; an explicit temporal order may follow
 * after a slash, outermost first: "x:fx/co,ci,fy,y". The four built-in dataflows of
 * EMOMC have fixed orders that keep their stationary operand in the PE registers:
 *   xy   = x:y   /co,ci,fx,fy   output stationary
 *   cico = ci:co /fx,fy,x,y     weight stationary
 *   fxfy = fx:fy /co,ci,x,y     weight stationary
 *   xfx  = x:fx  /co,ci,fy,y    filter-row stationary (systolic along x+fx)
 * Any other pair without an order gets the weight-stationary order: the remaining
 * weight loops (co, ci, fx, fy order) outside the remaining x, y loops. */
#ifndef EMOMC_DATAFLOW_MAPPING_H
#define EMOMC_DATAFLOW_MAPPING_H

#include "../dataflow/loopnest.h"

typedef enum { DF_XY, DF_CICO, DF_FXFY, DF_XFX, DF_NBUILTIN, DF_CUSTOM = DF_NBUILTIN } df_dataflow;

typedef struct df_mapping {
    df_dataflow kind;      /* DF_CUSTOM unless it is one of the four built-ins */
    df_loop spatial[2];    /* rows, cols */
    df_loop order[4];      /* temporal, outermost first */
    char name[48];         /* canonical text, e.g. "X:Y" or "co:x/ci,fx,fy,y" */
} df_mapping;

df_mapping df_mapping_builtin(df_dataflow d);
/* Accepts xy, cico, fxfy, xfx (any case, ':' allowed: "X:Y", "CI:CO") and "A:B[/order]". */
int df_mapping_parse(const char *text, df_mapping *out, em_error *err);
const char *df_dataflow_short(df_dataflow d); /* "xy", "cico", "fxfy", "xfx" */

#endif
