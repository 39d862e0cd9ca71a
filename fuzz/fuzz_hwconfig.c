/* fuzz/fuzz_hwconfig.c: libFuzzer target for hardware target YAML (hw_parse). */
#include <stdlib.h>

#include "fuzz/fuzz_util.h"
#include "hwconfigs/hw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_cstr(data, size);
    hw_target t;
    em_error err = {0};
    hw_parse(text, "fuzz.yaml", &t, &err);
    free(text);
    return 0;
}
