/* tests/test_hwconfig.c: hardware target YAML. Oracles: the vendors' published device
 * resources (Xilinx DS890, DS891, DS180), EMOMC's published constants, the file
 * text itself (every constant commented with a source or "assumed"), and hand-made
 * bad files whose messages must name file, line and key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwconfigs/hw.h"
#include "tests/testutil.h"

static hw_target load_target(const char *name)
{
    char path[4096];
    em_error err = {0};
    hw_target t;
    ck_assert_msg(hw_resolve(name, path, sizeof path, &err) == 0, "%s", err.msg);
    ck_assert_msg(hw_load(path, &t, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(t.path, path);
    return t;
}

START_TEST(shipped_devices)
{
    const struct {
        const char *name;
        int64_t luts, ffs, bram36, uram, dsp;
        int rows, cols;
    } want[] = {
        {"vu9p", 1182240, 2364480, 2160, 960, 6840, 32, 32},
        {"zcu102", 274080, 548160, 912, 0, 2520, 16, 16},
        {"artix7", 63400, 126800, 135, 0, 240, 8, 8},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        hw_target t = load_target(want[i].name);
        ck_assert_str_eq(t.name, want[i].name);
        ck_assert_int_eq(t.cost_model, HW_COST_FPGA);
        ck_assert_str_eq(hw_cost_model_name(t.cost_model), "fpga");
        ck_assert_int_eq(t.device.luts, want[i].luts);
        ck_assert_int_eq(t.device.ffs, want[i].ffs);
        ck_assert_int_eq(t.device.bram36, want[i].bram36);
        ck_assert_int_eq(t.device.uram, want[i].uram);
        ck_assert_int_eq(t.device.dsp, want[i].dsp);
        ck_assert_int_eq(t.pe_rows, want[i].rows);
        ck_assert_int_eq(t.pe_cols, want[i].cols);
        /* A BRAM36 holds 36 Kib, a URAM 288 Kib. */
        ck_assert_int_eq(t.onchip_bits, want[i].bram36 * 36 * 1024 + want[i].uram * 288 * 1024);
        ck_assert_int_eq(t.act_bits, 16);
        ck_assert_int_eq(t.acc_bits, 32);
        ck_assert_double_gt(t.clock_mhz, 0);
        ck_assert_double_gt(t.energy.lut_op, 0);
        ck_assert_double_gt(t.energy.dram_per_bit, 10 * t.energy.buffer_read_per_bit);
        ck_assert_double_gt(t.energy.dram_per_bit, 10 * t.energy.register_per_bit);
        /* the derivation in docs/hwconfigs.md: Horowitz mult / LUT count x 14 */
        ck_assert_close(t.energy.lut_op, 14 * (0.2 / 36 + 3.1 / 528) / 2, 0.01, 0);
        ck_assert_double_gt(t.static_power_w, 0);
        /* The PE array fits with room to spare at the widest searched weight (23 bits):
         * ceil(M/2)*(N+1) LUTs per multiplier plus an accumulator adder of acc_bits. */
        int64_t per_pe = (t.act_bits + 1) / 2 * (23 + 1) + t.acc_bits;
        ck_assert_int_le((int64_t)t.pe_rows * t.pe_cols * per_pe, t.device.luts / 4);
        /* fpga targets without an emomc2021 section get the published constants */
        ck_assert_double_eq(t.emomc.mac, 0.102);
        ck_assert_double_eq(t.emomc.weight_ref_bits, 16);
    }
    hw_target t = load_target("vu9p");
    ck_assert_int_eq(t.onchip_bits, 362741760); /* 2160*36864 + 960*294912 */
    ck_assert_double_eq(t.energy.buffer_read_per_bit, 10.0 / 64); /* Horowitz 8 KB SRAM */
    ck_assert_double_eq(t.energy.dram_per_bit, 1300.0 / 64);      /* Horowitz DRAM */
}
END_TEST

START_TEST(shipped_emomc2021)
{
    hw_target t = load_target("emomc2021");
    ck_assert_str_eq(t.name, "emomc2021");
    ck_assert_int_eq(t.cost_model, HW_COST_EMOMC2021);
    ck_assert_str_eq(hw_cost_model_name(t.cost_model), "emomc2021");
    ck_assert_double_eq(t.emomc.mac, 0.102);
    ck_assert_double_eq(t.emomc.read, 0.728);
    ck_assert_double_eq(t.emomc.write, 0.447);
    ck_assert_double_eq(t.emomc.weight_ref_bits, 16);
    ck_assert_int_eq(t.act_bits, 16);
}
END_TEST

/* Every line of a shipped target that sets a number carries a comment naming its
 * source, or saying "assumed" or how it was derived. */
START_TEST(every_constant_is_commented)
{
    const char *names[] = {"emomc2021", "vu9p", "zcu102", "artix7"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[4096];
        em_error err = {0};
        ck_assert_int_eq(hw_resolve(names[i], path, sizeof path, &err), 0);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        char line[1024];
        int lineno = 0, numbers = 0;
        while (fgets(line, sizeof line, f)) {
            lineno++;
            char *hash = strchr(line, '#');
            char *colon = strchr(line, ':');
            if (!colon || (hash && hash < colon)) continue;
            char *v = colon + 1;
            while (*v == ' ') v++;
            if (!((*v >= '0' && *v <= '9') || *v == '-' || *v == '.')) continue;
            numbers++;
            ck_assert_msg(hash && (strstr(hash, "source") || strstr(hash, "assumed") ||
                                   strstr(hash, "derived")),
                          "%s:%d: constant without a source or 'assumed'", path, lineno);
        }
        fclose(f);
        ck_assert_int_ge(numbers, 5);
    }
}
END_TEST

START_TEST(resolve)
{
    char buf[4096];
    em_error err = {0};
    const char *p = tu_root_path("hwconfigs/zcu102.yaml");
    ck_assert_int_eq(hw_resolve(p, buf, sizeof buf, &err), 0);
    ck_assert_str_eq(buf, p);
    ck_assert_int_eq(hw_resolve("no_such_target", buf, sizeof buf, &err), EM_EIO);
    ck_assert_msg(strstr(err.msg, "hardware target 'no_such_target'") != NULL, "%s", err.msg);
    hw_target t;
    ck_assert_int_eq(hw_load("/nonexistent/x.yaml", &t, &err), EM_EIO);
    ck_assert_msg(strstr(err.msg, "/nonexistent/x.yaml") != NULL, "%s", err.msg);
}
END_TEST

/* ---- bad files ----------------------------------------------------------------- */

static const char *const base[] = {
    "name: t",                                                          /* 1 */
    "description: test target",                                         /* 2 */
    "cost_model: fpga",                                                 /* 3 */
    "device: {luts: 1000, ffs: 2000, bram36: 10, uram: 0, dsp: 5}",     /* 4 */
    "clock_mhz: 100",                                                   /* 5 */
    "pe_array: {rows: 4, cols: 4}",                                     /* 6 */
    "precision: {activation_bits: 16, accumulator_bits: 32}",           /* 7 */
    "energy: {lut_op: 0.01, register_per_bit: 0.01, buffer_read_per_bit: 0.1, "
    "buffer_write_per_bit: 0.1, dram_per_bit: 20}",                     /* 8 */
    "bandwidth: {buffer_words_per_cycle: 16, dram_gbytes_per_s: 1}",    /* 9 */
    "static_power_w: 0.1",                                              /* 10 */
};
enum { BASE_LINES = sizeof base / sizeof *base };

/* The base file with line `lineno` (1-based) replaced by `repl` (NULL: removed). */
static const char *edited(int lineno, const char *repl)
{
    static char buf[4096];
    buf[0] = 0;
    for (int i = 0; i < BASE_LINES; i++) {
        const char *l = (i + 1 == lineno) ? repl : base[i];
        if (!l) continue;
        strcat(buf, l);
        strcat(buf, "\n");
    }
    return buf;
}

static void expect_error(const char *yaml, const char *needle)
{
    em_error err = {0};
    hw_target t;
    int rc = hw_parse(yaml, "bad.yaml", &t, &err);
    ck_assert_msg(rc != 0, "accepted, expected '%s'", needle);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

START_TEST(base_is_valid)
{
    em_error err = {0};
    hw_target t;
    ck_assert_msg(hw_parse(edited(0, NULL), "ok.yaml", &t, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(t.path, "ok.yaml");
    ck_assert_int_eq(t.onchip_bits, 10 * 36864);
    ck_assert_double_eq(t.energy.dram_per_bit, 20);
    ck_assert_double_eq(t.buffer_words_per_cycle, 16);
    /* optional onchip_bits overrides the BRAM/URAM total */
    char buf[4096];
    snprintf(buf, sizeof buf, "%sonchip_bits: 12345\n", edited(0, NULL));
    ck_assert_msg(hw_parse(buf, "ok.yaml", &t, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(t.onchip_bits, 12345);
}
END_TEST

START_TEST(unknown_keys)
{
    char buf[4096];
    expect_error(edited(5, "clock_mhzz: 100"), "bad.yaml:5: hardware target: unknown key 'clock_mhzz'");
    expect_error(edited(4, "device: {luts: 1000, ffs: 2000, bram: 10, uram: 0, dsp: 5}"),
                 "bad.yaml:4: device: unknown key 'bram'");
    expect_error(edited(8, "energy: {lut_op: 1, register_per_bit: 1, buffer_read_per_bit: 1, "
                           "buffer_write_per_bit: 1, dram_per_bit: 1, mac: 2}"),
                 "bad.yaml:8: energy: unknown key 'mac'");
    snprintf(buf, sizeof buf, "%sclock_mhz: 50\n", edited(0, NULL));
    expect_error(buf, "bad.yaml:11: hardware target: duplicate key 'clock_mhz'");
}
END_TEST

START_TEST(missing_keys)
{
    expect_error(edited(5, NULL), "missing required key 'clock_mhz'");
    expect_error(edited(1, NULL), "missing required key 'name'");
    expect_error(edited(2, NULL), "missing required key 'description'");
    expect_error(edited(3, NULL), "missing required key 'cost_model'");
    expect_error(edited(7, NULL), "missing required key 'precision'");
    expect_error(edited(9, NULL), "missing required key 'bandwidth'");
    expect_error(edited(10, NULL), "missing required key 'static_power_w'");
    expect_error(edited(4, "device: {luts: 1000, bram36: 10, uram: 0, dsp: 5}"),
                 "bad.yaml:4: missing required key 'ffs'");
    expect_error(edited(6, "pe_array: {rows: 4}"), "bad.yaml:6: missing required key 'cols'");
    expect_error(edited(8, "energy: {lut_op: 1, register_per_bit: 1, buffer_read_per_bit: 1, "
                           "buffer_write_per_bit: 1}"),
                 "bad.yaml:8: missing required key 'dram_per_bit'");
}
END_TEST

START_TEST(wrong_types)
{
    expect_error(edited(4, "device: {luts: many, ffs: 2000, bram36: 10, uram: 0, dsp: 5}"),
                 "bad.yaml:4: key 'luts': 'many' is not an integer");
    expect_error(edited(4, "device: {luts: 1.5e3, ffs: 2000, bram36: 10, uram: 0, dsp: 5}"),
                 "bad.yaml:4: key 'luts': '1.5e3' is not an integer");
    expect_error(edited(4, "device: 5"), "bad.yaml:4: key 'device': expected a mapping");
    expect_error(edited(6, "pe_array: [4, 4]"), "bad.yaml:6: key 'pe_array': expected a mapping");
    expect_error(edited(5, "clock_mhz: fast"), "bad.yaml:5: key 'clock_mhz': 'fast' is not a finite number");
    expect_error(edited(5, "clock_mhz: [100]"), "bad.yaml:5: key 'clock_mhz': expected a number");
    expect_error(edited(1, "name: [a, b]"), "bad.yaml:1: key 'name': expected a string");
    expect_error(edited(3, "cost_model: asic"), "bad.yaml:3: key 'cost_model': unknown model 'asic'");
    expect_error(edited(5, "clock_mhz: .nan"), "key 'clock_mhz'");
    expect_error("- a\n- b\n", "bad.yaml:1: a hardware target must be a mapping");
    expect_error("just a string\n", "must be a mapping");
}
END_TEST

START_TEST(non_positive_values)
{
    expect_error(edited(5, "clock_mhz: 0"), "bad.yaml:5: key 'clock_mhz': must be positive, got 0");
    expect_error(edited(5, "clock_mhz: -200"), "bad.yaml:5: key 'clock_mhz': must be positive, got -200");
    expect_error(edited(10, "static_power_w: 0"), "bad.yaml:10: key 'static_power_w': must be positive");
    expect_error(edited(4, "device: {luts: 0, ffs: 2000, bram36: 10, uram: 0, dsp: 5}"),
                 "bad.yaml:4: key 'luts': 0 is out of range");
    expect_error(edited(4, "device: {luts: 10, ffs: 2000, bram36: -1, uram: 0, dsp: 5}"),
                 "bad.yaml:4: key 'bram36': -1 is out of range");
    expect_error(edited(4, "device: {luts: 10, ffs: 2000, bram36: 0, uram: 0, dsp: 5}"),
                 "bad.yaml:4: key 'device': no on-chip memory");
    expect_error(edited(6, "pe_array: {rows: 0, cols: 4}"), "bad.yaml:6: key 'rows': 0 is out of range");
    expect_error(edited(7, "precision: {activation_bits: -16, accumulator_bits: 32}"),
                 "bad.yaml:7: key 'activation_bits': -16 is out of range");
    expect_error(edited(8, "energy: {lut_op: -0.01, register_per_bit: 1, buffer_read_per_bit: 1, "
                           "buffer_write_per_bit: 1, dram_per_bit: 1}"),
                 "bad.yaml:8: key 'lut_op': must be positive");
    expect_error(edited(9, "bandwidth: {buffer_words_per_cycle: 0, dram_gbytes_per_s: 1}"),
                 "bad.yaml:9: key 'buffer_words_per_cycle': must be positive");
    char buf[4096];
    snprintf(buf, sizeof buf, "%sonchip_bits: 0\n", edited(0, NULL));
    expect_error(buf, "bad.yaml:11: key 'onchip_bits': 0 is out of range");
    expect_error(edited(1, "name: ''"), "bad.yaml:1: key 'name': must not be empty");
}
END_TEST

START_TEST(malformed_and_empty)
{
    expect_error(edited(6, "pe_array: {rows: 4, cols: 4"), "bad.yaml:");
    expect_error(edited(6, "pe_array: {rows: 4, cols: 4"), "malformed YAML");
    expect_error("name: t\n  description: x\n bad: [\n", "malformed YAML");
    expect_error("", "bad.yaml: empty YAML document");
    /* an empty and a truncated file on disk */
    const char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/empty.yaml", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    em_error err = {0};
    hw_target t;
    ck_assert_int_ne(hw_load(path, &t, &err), 0);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "empty"), "%s", err.msg);
    snprintf(path, sizeof path, "%s/trunc.yaml", dir);
    f = fopen(path, "w");
    const char *full = edited(0, NULL);
    fwrite(full, 1, strlen(full) / 2, f); /* cut in the middle of a flow mapping */
    fclose(f);
    ck_assert_int_ne(hw_load(path, &t, &err), 0);
    ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
    remove(path);
    snprintf(path, sizeof path, "%s/empty.yaml", dir);
    remove(path);
    remove(dir);
}
END_TEST

START_TEST(emomc2021_targets)
{
    const char *ok = "name: e\ndescription: x\ncost_model: emomc2021\n"
                     "emomc2021: {mac: 0.2, read: 1, write: 0.5, weight_ref_bits: 8}\n";
    em_error err = {0};
    hw_target t;
    ck_assert_msg(hw_parse(ok, "e.yaml", &t, &err) == 0, "%s", err.msg);
    ck_assert_double_eq(t.emomc.mac, 0.2);
    ck_assert_double_eq(t.emomc.weight_ref_bits, 8);
    ck_assert_int_eq(t.act_bits, 16); /* EMOMC default when precision is absent */
    ck_assert_int_eq(t.pe_rows, 0);   /* fpga fields stay zero unless given */
    expect_error("name: e\ndescription: x\ncost_model: emomc2021\n",
                 "bad.yaml:1: missing required key 'emomc2021'");
    expect_error("name: e\ndescription: x\ncost_model: emomc2021\n"
                 "emomc2021: {mac: 0.2, read: 1, write: 0.5}\n",
                 "bad.yaml:4: missing required key 'weight_ref_bits'");
    expect_error("name: e\ndescription: x\ncost_model: emomc2021\n"
                 "emomc2021: {mac: 0, read: 1, write: 0.5, weight_ref_bits: 16}\n",
                 "bad.yaml:4: key 'mac': must be positive");
    expect_error("name: e\ndescription: x\ncost_model: emomc2021\n"
                 "emomc2021: {mac: 1, read: 1, write: 0.5, weight_ref_bits: 16, extra: 1}\n",
                 "bad.yaml:4: emomc2021: unknown key 'extra'");
    /* optional fpga sections of an emomc2021 target are still validated */
    expect_error("name: e\ndescription: x\ncost_model: emomc2021\nclock_mhz: -1\n"
                 "emomc2021: {mac: 1, read: 1, write: 0.5, weight_ref_bits: 16}\n",
                 "bad.yaml:4: key 'clock_mhz': must be positive");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hwconfig");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, shipped_devices);
    tcase_add_test(tc, shipped_emomc2021);
    tcase_add_test(tc, every_constant_is_commented);
    tcase_add_test(tc, resolve);
    tcase_add_test(tc, base_is_valid);
    tcase_add_test(tc, unknown_keys);
    tcase_add_test(tc, missing_keys);
    tcase_add_test(tc, wrong_types);
    tcase_add_test(tc, non_positive_values);
    tcase_add_test(tc, malformed_and_empty);
    tcase_add_test(tc, emomc2021_targets);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
