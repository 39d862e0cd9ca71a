/* hwconfigs/hw.c: loading and validating accelerator target YAML (docs/formats.md,
 * "Hardware target"; the shipped targets and their constants: docs/hwconfigs.md). */
#include "hwconfigs/hw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/datapath.h"
#include "common/yamldoc_internal.h"

/* The published constants of EMOMC's evaluation.py (DESIGN.md appendix), used for
 * an fpga target that has no emomc2021 section. */
static const hw_emomc2021 emomc_published = {0.102, 0.728, 0.447, 16.0};

const char *hw_cost_model_name(hw_cost_model m)
{
    switch (m) {
    case HW_COST_FPGA: return "fpga";
    case HW_COST_EMOMC2021: return "emomc2021";
    }
    return "?";
}

/* A required or optional sub-mapping, checked for unknown keys. */
static int section(em_yaml *y, em_ynode *root, const char *key, const char *const *keys,
                   int required, em_ynode **out, em_error *err)
{
    *out = em_yaml_get(y, root, key);
    if (!*out) {
        if (!required) return EM_OK;
        return em_fail(err, EM_EFORMAT, "%s:%d: missing required key '%s'", y->path,
                       em_yaml_line(root), key);
    }
    if (!em_yaml_is_map(*out))
        return em_fail(err, EM_EFORMAT, "%s:%d: key '%s': expected a mapping", y->path,
                       em_yaml_line(*out), key);
    return em_yaml_check_keys(y, *out, keys, key, err);
}

/* Positive number (> 0), required. */
static int pos_num(em_yaml *y, em_ynode *map, const char *key, double *out, em_error *err)
{
    int rc = em_yaml_num_req(y, map, key, -INFINITY, INFINITY, out, err);
    if (rc) return rc;
    if (!(*out > 0))
        return em_fail(err, EM_EINVAL, "%s:%d: key '%s': must be positive, got %g", y->path,
                       em_yaml_line(em_yaml_get(y, map, key)), key, *out);
    return EM_OK;
}

static int int_field(em_yaml *y, em_ynode *map, const char *key, long long lo, long long hi,
                     int64_t *out, em_error *err)
{
    long long v;
    int rc = em_yaml_int_req(y, map, key, lo, hi, &v, err);
    if (!rc) *out = v;
    return rc;
}

static int parse_precision(em_yaml *y, em_ynode *root, int required, hw_target *t,
                           em_error *err)
{
    static const char *const keys[] = {"activation_bits", "accumulator_bits", NULL};
    em_ynode *m;
    int64_t a, b;
    int rc = section(y, root, "precision", keys, required, &m, err);
    if (rc || !m) return rc;
    if ((rc = int_field(y, m, "activation_bits", 1, 32, &a, err)) ||
        (rc = int_field(y, m, "accumulator_bits", 1, 64, &b, err)))
        return rc;
    t->act_bits = (int)a;
    t->acc_bits = (int)b;
    return EM_OK;
}

static int parse_emomc(em_yaml *y, em_ynode *root, int required, hw_target *t, em_error *err)
{
    static const char *const keys[] = {"mac", "read", "write", "weight_ref_bits", NULL};
    em_ynode *m;
    int rc = section(y, root, "emomc2021", keys, required, &m, err);
    if (rc || !m) return rc;
    if ((rc = pos_num(y, m, "mac", &t->emomc.mac, err)) ||
        (rc = pos_num(y, m, "read", &t->emomc.read, err)) ||
        (rc = pos_num(y, m, "write", &t->emomc.write, err)) ||
        (rc = pos_num(y, m, "weight_ref_bits", &t->emomc.weight_ref_bits, err)))
        return rc;
    return EM_OK;
}

/* The fields of the fpga model, in file order; `required` is 0 for an emomc2021
 * target, which may still carry them (each one then validated if present). */
static int parse_fpga(em_yaml *y, em_ynode *root, int required, hw_target *t, em_error *err)
{
    static const char *const dev_keys[] = {"luts", "ffs", "bram36", "uram", "dsp", NULL};
    static const char *const pe_keys[] = {"rows", "cols", NULL};
    static const char *const en_keys[] = {"lut_op", "register_per_bit", "buffer_read_per_bit",
                                          "buffer_write_per_bit", "dram_per_bit", NULL};
    static const char *const bw_keys[] = {"buffer_words_per_cycle", "dram_gbytes_per_s", NULL};
    const int64_t big = (int64_t)1 << 40;
    em_ynode *m;
    int rc;

    if ((rc = section(y, root, "device", dev_keys, required, &m, err))) return rc;
    if (m) {
        hw_device *d = &t->device;
        if ((rc = int_field(y, m, "luts", 1, big, &d->luts, err)) ||
            (rc = int_field(y, m, "ffs", 1, big, &d->ffs, err)) ||
            (rc = int_field(y, m, "bram36", 0, big, &d->bram36, err)) ||
            (rc = int_field(y, m, "uram", 0, big, &d->uram, err)) ||
            (rc = int_field(y, m, "dsp", 0, big, &d->dsp, err)))
            return rc;
        t->onchip_bits = d->bram36 * 36864 + d->uram * 294912;
    }
    if (em_yaml_get(y, root, "clock_mhz") || required)
        if ((rc = pos_num(y, root, "clock_mhz", &t->clock_mhz, err))) return rc;
    if ((rc = section(y, root, "pe_array", pe_keys, required, &m, err))) return rc;
    if (m) {
        int64_t r, c;
        if ((rc = int_field(y, m, "rows", 1, 65536, &r, err)) ||
            (rc = int_field(y, m, "cols", 1, 65536, &c, err)))
            return rc;
        t->pe_rows = (int)r;
        t->pe_cols = (int)c;
    }
    if ((rc = parse_precision(y, root, required, t, err))) return rc;
    if ((rc = section(y, root, "energy", en_keys, required, &m, err))) return rc;
    if (m) {
        hw_energy *e = &t->energy;
        if ((rc = pos_num(y, m, "lut_op", &e->lut_op, err)) ||
            (rc = pos_num(y, m, "register_per_bit", &e->register_per_bit, err)) ||
            (rc = pos_num(y, m, "buffer_read_per_bit", &e->buffer_read_per_bit, err)) ||
            (rc = pos_num(y, m, "buffer_write_per_bit", &e->buffer_write_per_bit, err)) ||
            (rc = pos_num(y, m, "dram_per_bit", &e->dram_per_bit, err)))
            return rc;
    }
    if ((rc = section(y, root, "bandwidth", bw_keys, required, &m, err))) return rc;
    if (m) {
        if ((rc = pos_num(y, m, "buffer_words_per_cycle", &t->buffer_words_per_cycle, err)) ||
            (rc = pos_num(y, m, "dram_gbytes_per_s", &t->dram_gbytes_per_s, err)))
            return rc;
    }
    if (em_yaml_get(y, root, "static_power_w") || required)
        if ((rc = pos_num(y, root, "static_power_w", &t->static_power_w, err))) return rc;
    if (em_yaml_get(y, root, "onchip_bits")) {
        int64_t v;
        if ((rc = int_field(y, root, "onchip_bits", 1, (int64_t)1 << 50, &v, err))) return rc;
        t->onchip_bits = v;
    } else if (required && t->onchip_bits <= 0) {
        return em_fail(err, EM_EINVAL, "%s:%d: key 'device': no on-chip memory (bram36 and "
                       "uram are 0) and no 'onchip_bits' given", y->path,
                       em_yaml_line(em_yaml_get(y, root, "device")));
    }
    return EM_OK;
}

static int parse_doc(em_yaml *y, hw_target *t, em_error *err)
{
    static const char *const keys[] = {"name", "description", "cost_model", "device",
                                       "clock_mhz", "pe_array", "precision", "energy",
                                       "bandwidth", "static_power_w", "onchip_bits",
                                       "emomc2021", NULL};
    em_ynode *root = em_yaml_root(y);
    if (!em_yaml_is_map(root))
        return em_fail(err, EM_EFORMAT, "%s:%d: a hardware target must be a mapping of "
                       "keys (name, cost_model, ...)", y->path, em_yaml_line(root));
    int rc = em_yaml_check_keys(y, root, keys, "hardware target", err);
    if (rc) return rc;
    if ((rc = em_yaml_str_req(y, root, "name", t->name, sizeof t->name, err)) ||
        (rc = em_yaml_str_req(y, root, "description", t->description, sizeof t->description,
                              err)))
        return rc;
    if (!t->name[0])
        return em_fail(err, EM_EINVAL, "%s:%d: key 'name': must not be empty", y->path,
                       em_yaml_line(em_yaml_get(y, root, "name")));

    char model[32];
    if ((rc = em_yaml_str_req(y, root, "cost_model", model, sizeof model, err))) return rc;
    if (strcmp(model, "fpga") == 0) t->cost_model = HW_COST_FPGA;
    else if (strcmp(model, "emomc2021") == 0) t->cost_model = HW_COST_EMOMC2021;
    else
        return em_fail(err, EM_EINVAL, "%s:%d: key 'cost_model': unknown model '%s' (expected "
                       "fpga or emomc2021)", y->path,
                       em_yaml_line(em_yaml_get(y, root, "cost_model")), model);

    int fpga = t->cost_model == HW_COST_FPGA;
    t->act_bits = 16; /* EMOMC's activations; required explicitly for fpga targets */
    t->acc_bits = 32;
    t->emomc = emomc_published;
    if ((rc = parse_fpga(y, root, fpga, t, err)) ||
        (rc = parse_emomc(y, root, !fpga, t, err)))
        return rc;
    return EM_OK;
}

static int load(em_yaml *y, int rc, hw_target *out, em_error *err)
{
    hw_target t;
    memset(&t, 0, sizeof t);
    if (!rc) {
        snprintf(t.path, sizeof t.path, "%s", y->path);
        rc = parse_doc(y, &t, err);
    }
    em_yaml_free(y);
    if (!rc) *out = t;
    return rc;
}

int hw_load(const char *path, hw_target *out, em_error *err)
{
    em_yaml y;
    int rc = em_yaml_load_file(&y, path, err);
    return load(&y, rc, out, err);
}

int hw_parse(const char *yaml_text, const char *name, hw_target *out, em_error *err)
{
    em_yaml y;
    int rc = em_yaml_load_string(&y, yaml_text, name, err);
    return load(&y, rc, out, err);
}

int hw_resolve(const char *name_or_path, char *buf, size_t n, em_error *err)
{
    if (em_find_data_file("hwconfigs", name_or_path, ".yaml", buf, n)) return EM_OK;
    const char *why = em_not_a_file(name_or_path);
    if (why) return em_fail(err, EM_EIO, "hardware target '%s' %s", name_or_path, why);
    return em_fail(err, EM_EIO, "hardware target '%s': no such file, and no "
                   "hwconfigs/%s.yaml in $EMOMC_HOME or the emomc data folders",
                   name_or_path, name_or_path);
}
