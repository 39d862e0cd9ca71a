/* cli/flags.h: the one flag parser of every subcommand: a table of flags {name, kind,
 * pointer, range or choices, help} parsed with clear errors (unknown flag, missing
 * value, out of range, bad choice), one optional positional argument, --help (the
 * command's text) and --help-flags (the table, one flag a line: tests check that
 * --help mentions every flag of the table). */
#ifndef EMOMC_CLI_FLAGS_H
#define EMOMC_CLI_FLAGS_H

#include <stdbool.h>

#define CLI_LIST_MAX 128

typedef enum {
    CLI_FLAG_BOOL,   /* bool *: set true */
    CLI_FLAG_CONST,  /* int *: set to (int)lo (e.g. --flip 1, --no-flip 0) */
    CLI_FLAG_INT,    /* long *, in [lo, hi] */
    CLI_FLAG_DOUBLE, /* double *, in [lo, hi] */
    CLI_FLAG_STRING, /* const char ** (points into argv) */
    CLI_FLAG_LIST,   /* cli_list *: v1,v2,... each in [lo, hi] */
    CLI_FLAG_CHOICE, /* int *: index of the value in choices ("a|b|c") */
    CLI_FLAG_FUNC,   /* fn(cmd, flag, value, ptr): returns 0 or an exit code */
} cli_flag_kind;

typedef struct cli_list {
    int n;
    double v[CLI_LIST_MAX];
} cli_list;

typedef int (*cli_flag_fn)(const char *cmd, const char *flag, const char *value, void *ptr);

typedef struct cli_flag {
    const char *name;    /* "--model" */
    cli_flag_kind kind;
    void *ptr;
    double lo, hi;
    const char *choices; /* CHOICE: "table|csv|json" */
    cli_flag_fn fn;      /* FUNC */
    const char *alias;   /* another spelling ("-q"), or NULL */
    const char *help;    /* one line, for --help-flags */
} cli_flag;

#define CLI_BOOL(n, p, h) {.name = n, .kind = CLI_FLAG_BOOL, .ptr = p, .help = h}
#define CLI_CONST(n, p, v, h) {.name = n, .kind = CLI_FLAG_CONST, .ptr = p, .lo = v, .help = h}
#define CLI_INT(n, p, l, u, h) {.name = n, .kind = CLI_FLAG_INT, .ptr = p, .lo = l, .hi = u, .help = h}
#define CLI_DOUBLE(n, p, l, u, h) \
    {.name = n, .kind = CLI_FLAG_DOUBLE, .ptr = p, .lo = l, .hi = u, .help = h}
#define CLI_STRING(n, p, h) {.name = n, .kind = CLI_FLAG_STRING, .ptr = p, .help = h}
#define CLI_LIST(n, p, l, u, h) {.name = n, .kind = CLI_FLAG_LIST, .ptr = p, .lo = l, .hi = u, .help = h}
#define CLI_CHOICE(n, p, c, h) {.name = n, .kind = CLI_FLAG_CHOICE, .ptr = p, .choices = c, .help = h}
#define CLI_FUNC(n, f, p, h) {.name = n, .kind = CLI_FLAG_FUNC, .ptr = p, .fn = f, .help = h}
#define CLI_END {.name = NULL}

/* Parses argv[1..argc) against table (ended by CLI_END). positional (may be NULL:
 * none allowed) takes the one non-flag argument. --help or -h anywhere prints help
 * and returns -1 (the caller then exits 0); --help-flags prints the table. Errors
 * are printed (cli_usage_error) and returned as 2. "--name=value" is accepted. */
int cli_flags_parse(const char *cmd, const cli_flag *table, int argc, char **argv,
                    const char **positional, const char *help);

/* The same with up to max_pos non-flag arguments, stored in positional[0..*n_pos)
 * in order (*n_pos starts at 0). */
int cli_flags_parse_args(const char *cmd, const cli_flag *table, int argc, char **argv,
                         const char **positional, int max_pos, int *n_pos, const char *help);

/* The value of the first `flag VALUE` in argv (NULL if absent): for flags read
 * before the others, such as optimize's --config. */
const char *cli_flags_find(int argc, char **argv, const char *flag);

/* Whether argv asks for help (--help, -h or --help-flags anywhere). */
bool cli_flags_wants_help(int argc, char **argv);

/* A flag a command cannot run without: whether it was given (or is not needed, as
 * --weights with an .onnx model), and a hint for the message (may be NULL). */
typedef struct cli_required {
    const char *flag;
    bool given;
    const char *hint;
} cli_required;

/* The usage error "<flag> is required" (" (<hint>)" after it when there is one) for
 * the first of need[0..n) not given, in that order; 0 when all are. */
int cli_flags_require(const char *cmd, const cli_required *need, int n);

#endif
