/* hwconfigs/hw.h: accelerator targets described in YAML (hwconfigs/NAME.yaml).
 *
 * A target names its device resources, clock, PE array, precisions, energy constants
 * per level, bandwidths, static power and which cost model to use. The loader
 * validates every field (unknown keys, missing fields, wrong types, non-positive
 * values) and reports FILE:LINE: key. The cost models in sim/ read this struct. */
#ifndef EMOMC_HWCONFIGS_HW_H
#define EMOMC_HWCONFIGS_HW_H

#include <stdint.h>
#include "../common/error.h"

typedef enum { HW_COST_FPGA, HW_COST_EMOMC2021 } hw_cost_model;

typedef struct hw_device {
    int64_t luts, ffs, bram36, uram, dsp;
} hw_device;

/* Energy constants of the fpga model, in pJ. */
typedef struct hw_energy {
    double lut_op;            /* one LUT toggling once (a LUT-based multiplier/adder op) */
    double register_per_bit;  /* PE register read or write, per bit */
    double buffer_read_per_bit;
    double buffer_write_per_bit;
    double dram_per_bit;      /* read or write */
} hw_energy;

/* Constants of the emomc2021 model, in units of 10 pJ (EMOMC evaluation.py). */
typedef struct hw_emomc2021 {
    double mac;        /* per MAC per (q+1) bits: 0.102 */
    double read;       /* per memory read: 0.728 */
    double write;      /* per memory write: 0.447 */
    double weight_ref_bits; /* weight reads scale by (q+1)/weight_ref_bits: 16 */
} hw_emomc2021;

typedef struct hw_target {
    char name[64];
    char description[256];
    char path[1024];          /* file it was loaded from */
    hw_cost_model cost_model;
    hw_device device;
    double clock_mhz;
    int pe_rows, pe_cols;
    int act_bits;             /* activation (and input of the multiplier, M) */
    int acc_bits;             /* accumulator / partial sum width */
    hw_energy energy;
    double buffer_words_per_cycle;  /* on-chip buffer bandwidth (words of any operand) */
    double dram_gbytes_per_s;
    double static_power_w;
    int64_t onchip_bits;      /* BRAM36*36 Kib + URAM*288 Kib unless given explicitly */
    hw_emomc2021 emomc;       /* used when cost_model == HW_COST_EMOMC2021 */
} hw_target;

/* Loads and validates a target file. */
int hw_load(const char *path, hw_target *out, em_error *err);
/* Same, from a YAML string (name used in messages). */
int hw_parse(const char *yaml_text, const char *name, hw_target *out, em_error *err);
/* A name ("vu9p") or a path: a path is used as given when it exists; otherwise
 * hwconfigs/<name>.yaml under $EMOMC_HOME, the source tree and the install prefix. */
int hw_resolve(const char *name_or_path, char *buf, size_t n, em_error *err);

const char *hw_cost_model_name(hw_cost_model m);

#endif
