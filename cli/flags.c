/* cli/flags.c: the table-driven flag parser of every subcommand (cli/flags.h). */
#include "cli/flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

bool cli_flags_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help-flags"))
            return true;
    return false;
}

const char *cli_flags_find(int argc, char **argv, const char *flag)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], flag)) return argv[i + 1];
    return NULL;
}

int cli_flags_require(const char *cmd, const cli_required *need, int n)
{
    for (int i = 0; i < n; i++) {
        if (need[i].given) continue;
        if (need[i].hint) return cli_usage_error(cmd, "%s is required (%s)", need[i].flag, need[i].hint);
        return cli_usage_error(cmd, "%s is required", need[i].flag);
    }
    return 0;
}

static const cli_flag *lookup(const cli_flag *t, const char *name, size_t len)
{
    for (; t->name; t++) {
        if (strlen(t->name) == len && !strncmp(t->name, name, len)) return t;
        if (t->alias && strlen(t->alias) == len && !strncmp(t->alias, name, len)) return t;
    }
    return NULL;
}

static int parse_list(const char *cmd, const cli_flag *f, const char *s, cli_list *out)
{
    cli_list l = {0};
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (n >= sizeof item) return cli_usage_error(cmd, "%s: '%s' is too long", f->name, s);
        memcpy(item, p, n);
        item[n] = '\0';
        if (n > 0) { /* empty items are skipped, as strtok did */
            if (l.n >= CLI_LIST_MAX)
                return cli_usage_error(cmd, "%s: at most %d values", f->name, CLI_LIST_MAX);
            int rc = cli_parse_double(cmd, f->name, item, f->lo, f->hi, &l.v[l.n++]);
            if (rc) return rc;
        }
        if (!comma) break;
        p = comma + 1;
    }
    if (l.n == 0) return cli_usage_error(cmd, "%s: empty list", f->name);
    *out = l;
    return 0;
}

static int parse_choice(const char *cmd, const cli_flag *f, const char *v, int *out)
{
    const char *p = f->choices;
    for (int k = 0; p && *p; k++) {
        size_t n = strcspn(p, "|");
        if (strlen(v) == n && !strncmp(p, v, n)) {
            *out = k;
            return 0;
        }
        p += n + (p[n] == '|');
    }
    char expected[256];
    size_t k = 0;
    for (const char *c = f->choices; *c && k + 8 < sizeof expected; c++)
        k += (size_t)(*c == '|' ? snprintf(expected + k, sizeof expected - k, ", ")
                                : snprintf(expected + k, sizeof expected - k, "%c", *c));
    return cli_usage_error(cmd, "%s: '%s' (expected one of %s)", f->name, v, expected);
}

static int set_value(const char *cmd, const cli_flag *f, const char *v)
{
    switch (f->kind) {
    case CLI_FLAG_INT: return cli_parse_int(cmd, f->name, v, (long)f->lo, (long)f->hi, f->ptr);
    case CLI_FLAG_DOUBLE: return cli_parse_double(cmd, f->name, v, f->lo, f->hi, f->ptr);
    case CLI_FLAG_STRING: *(const char **)f->ptr = v; return 0;
    case CLI_FLAG_LIST: return parse_list(cmd, f, v, f->ptr);
    case CLI_FLAG_CHOICE: return parse_choice(cmd, f, v, f->ptr);
    case CLI_FLAG_FUNC: return f->fn(cmd, f->name, v, f->ptr);
    default: return cli_usage_error(cmd, "%s takes no value", f->name);
    }
}

static void print_table(const cli_flag *t)
{
    for (; t->name; t++) printf("%s%s%s\t%s\n", t->name, t->alias ? "," : "",
                                t->alias ? t->alias : "", t->help ? t->help : "");
}

int cli_flags_parse(const char *cmd, const cli_flag *table, int argc, char **argv,
                    const char **positional, const char *help)
{
    int n = 0;
    return cli_flags_parse_args(cmd, table, argc, argv, positional, positional ? 1 : 0, &n, help);
}

int cli_flags_parse_args(const char *cmd, const cli_flag *table, int argc, char **argv,
                         const char **positional, int max_pos, int *n_pos, const char *help)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help-flags")) return print_table(table), -1;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return fputs(help, stdout), -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (*n_pos < max_pos) {
                positional[(*n_pos)++] = a;
                continue;
            }
            return cli_usage_error(cmd, "unexpected argument '%s'", a);
        }
        const char *eq = !strncmp(a, "--", 2) ? strchr(a, '=') : NULL;
        const cli_flag *f = lookup(table, a, eq ? (size_t)(eq - a) : strlen(a));
        if (!f) return cli_usage_error(cmd, "unknown or incomplete option '%s'", a);
        int rc = 0;
        if (f->kind == CLI_FLAG_BOOL || f->kind == CLI_FLAG_CONST) {
            if (eq) return cli_usage_error(cmd, "%s takes no value", f->name);
            if (f->kind == CLI_FLAG_BOOL) *(bool *)f->ptr = true;
            else *(int *)f->ptr = (int)f->lo;
        } else if (eq) {
            rc = set_value(cmd, f, eq + 1);
        } else if (i + 1 >= argc) {
            return cli_usage_error(cmd, "%s needs a value", f->name);
        } else {
            rc = set_value(cmd, f, argv[++i]);
        }
        if (rc) return rc;
    }
    return 0;
}
