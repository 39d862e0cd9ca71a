/* cli/cmd_stats.c: `emomc stats GROUP=RUNDIR[,RUNDIR...] ...`: hypervolume of groups of
 * finished runs after N evaluations and at the end, with Friedman and Dunn over
 * seed-paired runs (search/compare.h), as markdown, CSV and a box plot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/atomicfile.h"
#include "search/compare.h"

#define CMD "stats"
#define MAX_GROUPS 256

static const char *help =
    "usage: emomc stats [--at N[,N...]] [--ref a,b[,c]] [--metric hv] [--plot FILE.png|svg]\n"
    "                   [--title TEXT] [--out TABLE.md] [--csv FILE]\n"
    "                   GROUP=RUNDIR[,RUNDIR...] GROUP=...\n"
    "  Compares groups of finished runs (emomc optimize run directories) by the\n"
    "  hypervolume of the feasible non-dominated set of their evaluations\n"
    "  (evaluations.csv, in order), at one reference point for all runs.\n"
    "  Per group: runs, median, mean, sd, min, max (groups in columns). When the\n"
    "  groups have equally many runs that pair up by seed (run.yaml's seed, or the\n"
    "  directory's -sN suffix), the Friedman test (blocks = seeds) with mean ranks and\n"
    "  Dunn's post-hoc test with Holm-adjusted p-values (k x k).\n"
    "  --at N,...    also after the first N true evaluations (runs with fewer count\n"
    "                with all of theirs); the end is always reported\n"
    "  --ref a,b,..  the reference point, objectives minimized (maximized ones negated,\n"
    "                as summary.json's hv_ref); default: the largest hv_ref of the\n"
    "                runs' summary.json per objective. At the same reference the\n"
    "                final hypervolume equals summary.json's \"hv\" (checked, reported)\n"
    "  --metric hv   the indicator (only the hypervolume, for now)\n"
    "  --plot FILE   a box plot of the final hypervolumes per group (gnuplot; .png or .svg)\n"
    "  --title TEXT  the box plot's title (default: Hypervolume per group)\n"
    "  --out FILE    write the markdown report there instead of standard output\n"
    "  --csv FILE    one row per run: group, run, seed, evaluations, hv_at_N..., hv_end,\n"
    "                summary_hv\n"
    "  GROUP=DIRS    a group's name and its run directories, comma-separated\n";

typedef struct stats_args {
    const char *pos[MAX_GROUPS];
    int n_pos, metric;
    cli_list at, ref;
    const char *plot, *title, *out, *csv;
} stats_args;

/* Splits "NAME=DIR,DIR" (text is modified) into a group spec; dirs has room for all. */
static int parse_group(char *text, const char *arg, sp_compare_group_spec *g, const char **dirs)
{
    char *eq = strchr(text, '=');
    if (!eq || eq == text || !eq[1])
        return cli_usage_error(CMD, "'%s': expected GROUP=RUNDIR[,RUNDIR...]", arg);
    *eq = '\0';
    g->name = text;
    g->dirs = dirs;
    g->n_dirs = 0;
    for (char *p = eq + 1, *tok; (tok = strsep(&p, ","));)
        if (*tok) dirs[g->n_dirs++] = tok;
    if (g->n_dirs == 0) return cli_usage_error(CMD, "'%s': no run directory", arg);
    return 0;
}

static int check_outputs(const stats_args *a, em_error *err)
{
    const char *paths[] = {a->out, a->csv, a->plot};
    for (int i = 0; i < 3; i++)
        if (paths[i] && em_check_output_file(paths[i], err)) return 1;
    return 0;
}

/* Writes the report (stdout or --out) and the CSV, each whole or not at all. */
static int write_outputs(const stats_args *a, const sp_comparison *c, em_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return em_fail(err, EM_ENOMEM, "out of memory");
    sp_compare_markdown(c, mem);
    fclose(mem);
    int rc = EM_OK;
    if (a->out) rc = em_atomic_write(a->out, buf, len, err);
    else fwrite(buf, 1, len, stdout);
    free(buf);
    if (rc || !a->csv) return rc;
    buf = NULL, len = 0;
    if (!(mem = open_memstream(&buf, &len))) return em_fail(err, EM_ENOMEM, "out of memory");
    sp_compare_csv(c, mem);
    fclose(mem);
    rc = em_atomic_write(a->csv, buf, len, err);
    free(buf);
    return rc;
}

static void print_done(const stats_args *a, const sp_comparison *c)
{
    if (!a->out) return; /* the report itself went to standard output */
    printf("reference point (");
    for (int j = 0; j < c->n_obj; j++) printf("%s%.10g", j ? ", " : "", c->ref[j]);
    printf("): %s\n%s", c->ref_source, c->no_test[0] ? "" : "test: Friedman, Dunn (Holm)\n");
    printf("wrote %s%s%s%s%s\n", a->out, a->csv ? ", " : "", a->csv ? a->csv : "",
           a->plot ? ", " : "", a->plot ? a->plot : "");
}

static int run_stats(const stats_args *a, sp_compare_spec *spec)
{
    long at[CLI_LIST_MAX];
    for (int i = 0; i < a->at.n; i++) at[i] = (long)a->at.v[i];
    spec->at = at;
    spec->n_at = a->at.n;
    spec->ref = a->ref.n ? a->ref.v : NULL;
    spec->n_ref = a->ref.n;
    em_error err = {0};
    sp_comparison c;
    if (check_outputs(a, &err) || sp_compare(spec, &c, &err)) return cli_report(CMD, &err);
    int rc = a->plot ? sp_compare_plot(&c, a->plot, a->title, &err) : EM_OK; /* first: it may fail */
    if (!rc) rc = write_outputs(a, &c, &err);
    if (!rc) print_done(a, &c);
    sp_comparison_free(&c);
    return rc ? cli_report(CMD, &err) : 0;
}

int cmd_stats(int argc, char **argv)
{
    stats_args a = {0};
    const cli_flag flags[] = {
        CLI_LIST("--at", &a.at, 1, 1e9, "also after the first N true evaluations"),
        CLI_LIST("--ref", &a.ref, -1e300, 1e300, "reference point (minimized sense)"),
        CLI_CHOICE("--metric", &a.metric, "hv", "indicator: hv"),
        CLI_STRING("--plot", &a.plot, "box plot of the final hypervolumes (.png, .svg)"),
        CLI_STRING("--title", &a.title, "the box plot's title"),
        CLI_STRING("--out", &a.out, "markdown report file (default: standard output)"),
        CLI_STRING("--csv", &a.csv, "one CSV row per run"), CLI_END};
    int rc = cli_flags_parse_args(CMD, flags, argc, argv, a.pos, MAX_GROUPS, &a.n_pos, help);
    if (rc) return rc < 0 ? 0 : rc;
    if (a.n_pos == 0) return cli_usage_error(CMD, "give at least one GROUP=RUNDIR[,RUNDIR...]");
    sp_compare_group_spec groups[MAX_GROUPS];
    char *text[MAX_GROUPS] = {0};
    const char **dirs[MAX_GROUPS] = {0};
    for (int g = 0; g < a.n_pos && !rc; g++) {
        text[g] = strdup(a.pos[g]);
        dirs[g] = calloc(strlen(a.pos[g]) / 2 + 1, sizeof *dirs[g]);
        if (!text[g] || !dirs[g]) rc = cli_usage_error(CMD, "out of memory");
        else rc = parse_group(text[g], a.pos[g], &groups[g], dirs[g]);
    }
    sp_compare_spec spec = {.groups = groups, .n_groups = a.n_pos};
    if (!rc) rc = run_stats(&a, &spec);
    for (int g = 0; g < a.n_pos; g++) free(text[g]), free(dirs[g]);
    return rc;
}
