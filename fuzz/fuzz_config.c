/* fuzz/fuzz_config.c: libFuzzer target for search run configurations
 * (sp_config_parse, the in-memory form of sp_config_load). */
#include <stdlib.h>

#include "fuzz/fuzz_util.h"
#include "search/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_cstr(data, size);
    sp_config c;
    sp_config_default(&c);
    em_error err = {0};
    sp_config_parse(text, "fuzz.yaml", &c, &err);
    free(text);
    return 0;
}
