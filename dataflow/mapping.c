/* dataflow/mapping.c: built-in dataflows and parsing of "A:B[/order]" mappings. */
#include "dataflow/mapping.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *shortname, *display;
    df_loop sp[2], ord[4];
} builtins[DF_NBUILTIN] = {
    {"xy", "X:Y", {DF_X, DF_Y}, {DF_CO, DF_CI, DF_FX, DF_FY}},
    {"cico", "CI:CO", {DF_CI, DF_CO}, {DF_FX, DF_FY, DF_X, DF_Y}},
    {"fxfy", "FX:FY", {DF_FX, DF_FY}, {DF_CO, DF_CI, DF_X, DF_Y}},
    {"xfx", "X:FX", {DF_X, DF_FX}, {DF_CO, DF_CI, DF_FY, DF_Y}},
};

const char *df_dataflow_short(df_dataflow d)
{
    return d < DF_NBUILTIN ? builtins[d].shortname : "custom";
}

df_mapping df_mapping_builtin(df_dataflow d)
{
    df_mapping m;
    memset(&m, 0, sizeof m);
    m.kind = d;
    memcpy(m.spatial, builtins[d].sp, sizeof m.spatial);
    memcpy(m.order, builtins[d].ord, sizeof m.order);
    snprintf(m.name, sizeof m.name, "%s", builtins[d].display);
    return m;
}

static void lower(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++) dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

int df_mapping_parse(const char *text, df_mapping *out, em_error *err)
{
    char s[128];
    if (strlen(text) >= sizeof s) return em_fail(err, EM_EINVAL, "dataflow '%s': too long", text);
    lower(s, text, sizeof s);
    /* Built-in short or display names. */
    for (int d = 0; d < DF_NBUILTIN; d++) {
        char disp[16];
        lower(disp, builtins[d].display, sizeof disp);
        if (!strcmp(s, builtins[d].shortname) || !strcmp(s, disp)) {
            *out = df_mapping_builtin((df_dataflow)d);
            return EM_OK;
        }
    }
    char *slash = strchr(s, '/');
    if (slash) *slash = '\0';
    char *colon = strchr(s, ':');
    df_mapping m;
    memset(&m, 0, sizeof m);
    m.kind = DF_CUSTOM;
    if (!colon)
        return em_fail(err, EM_EINVAL, "dataflow '%s': expected xy, cico, fxfy, xfx or A:B "
                       "with loops from co, ci, x, y, fx, fy", text);
    *colon = '\0';
    if (df_loop_parse(s, &m.spatial[0]) || df_loop_parse(colon + 1, &m.spatial[1]))
        return em_fail(err, EM_EINVAL, "dataflow '%s': unknown loop (use co, ci, x, y, fx, fy)",
                       text);
    if (m.spatial[0] == m.spatial[1])
        return em_fail(err, EM_EINVAL, "dataflow '%s': the two spatial loops must differ", text);
    int used[DF_NLOOP] = {0};
    used[m.spatial[0]] = used[m.spatial[1]] = 1;
    if (slash) {
        char *tok = slash + 1, *save = NULL;
        int k = 0;
        for (char *t = strtok_r(tok, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            df_loop l;
            if (k >= 4 || df_loop_parse(t, &l) || used[l])
                return em_fail(err, EM_EINVAL, "dataflow '%s': the order must list the four "
                               "loops that are not spatial, once each", text);
            used[l] = 1;
            m.order[k++] = l;
        }
        if (k != 4)
            return em_fail(err, EM_EINVAL, "dataflow '%s': the order must list the four loops "
                           "that are not spatial, once each", text);
    } else {
        /* Weight-stationary default: weight loops outside x, y. */
        static const df_loop pref[DF_NLOOP] = {DF_CO, DF_CI, DF_FX, DF_FY, DF_X, DF_Y};
        int k = 0;
        for (int i = 0; i < DF_NLOOP; i++)
            if (!used[pref[i]]) m.order[k++] = pref[i];
    }
    /* A built-in named through its loops with its own order is that built-in. */
    for (int d = 0; d < DF_NBUILTIN; d++)
        if (!memcmp(m.spatial, builtins[d].sp, sizeof m.spatial) &&
            !memcmp(m.order, builtins[d].ord, sizeof m.order)) {
            *out = df_mapping_builtin((df_dataflow)d);
            return EM_OK;
        }
    snprintf(m.name, sizeof m.name, "%s:%s/%s,%s,%s,%s", df_loop_name(m.spatial[0]),
             df_loop_name(m.spatial[1]), df_loop_name(m.order[0]), df_loop_name(m.order[1]),
             df_loop_name(m.order[2]), df_loop_name(m.order[3]));
    *out = m;
    return EM_OK;
}
