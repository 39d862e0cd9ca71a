/* tests/consumer/app.c: a program outside emomc that links the installed library:
 * the energy of the shipped LeNet-5 on the shipped emomc2021 target (found in the
 * installed data folder) under X:Y, through the public headers only. */
#include <stdio.h>

#include <emomc/emomc.h>

int main(void)
{
    em_error err = {0};
    char mpath[4096], hpath[4096];
    nn_arch *a = NULL;
    hw_target hw;
    if (nn_arch_resolve("lenet5", mpath, sizeof mpath, &err) || nn_arch_load(mpath, &a, &err) ||
        hw_resolve("emomc2021", hpath, sizeof hpath, &err) || hw_load(hpath, &hw, &err)) {
        fprintf(stderr, "consumer: %s\n", err.msg);
        return 1;
    }
    sim_options o = sim_options_default();
    sim_report r;
    if (sim_estimate(a, &hw, &o, NULL, 16, &r, &err)) {
        fprintf(stderr, "consumer: %s\n", err.msg);
        return 1;
    }
    printf("%s %s %.9g mJ\n", a->name, mpath, r.energy_pj * 1e-9);
    sim_report_free(&r);
    nn_arch_free(a);
    return 0;
}
