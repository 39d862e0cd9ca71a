/* cli/cmd_report.c: `emomc report RUNDIR`: the tables of a finished compression
 * search (search/report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/atomicfile.h"
#include "search/report.h"

#define CMD "report"

int cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    sp_report_opts o = {0, -1};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            printf("usage: emomc report RUNDIR [--budget X] [--pick N] [--out FILE]\n"
                   "  Tables of a compression search: the non-dominated set with search and\n"
                   "  final accuracies, the knee, the best AScore for r/tau = 5, 1, 0.2, the best\n"
                   "  accuracy within --budget (mJ or KB, the run's cost objective), and for the\n"
                   "  knee (or --pick N) its energy per dataflow and size per coding against the\n"
                   "  uncompressed model (EMOMC Tables II and III).\n");
            return 0;
        }
        if (!strcmp(f, "--budget") || !strcmp(f, "--pick") || !strcmp(f, "--out")) {
            if (i + 1 >= argc) return cli_usage_error(CMD, "%s needs a value", f);
            const char *v = argv[++i];
            long n;
            int rc = 0;
            if (!strcmp(f, "--budget")) rc = cli_parse_double(CMD, f, v, 0, 1e12, &o.budget);
            else if (!strcmp(f, "--pick")) { rc = cli_parse_int(CMD, f, v, 0, 1000000, &n); o.pick = (int)n; }
            else out = v;
            if (rc) return rc;
        } else if (f[0] == '-') {
            return cli_usage_error(CMD, "unknown option '%s'", f);
        } else if (!dir) {
            dir = f;
        } else {
            return cli_usage_error(CMD, "unexpected argument '%s'", f);
        }
    }
    if (!dir) return cli_usage_error(CMD, "give the run directory");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) return 1;
    em_error err = {0};
    int rc = sp_report(dir, mem, &o, &err);
    fclose(mem);
    if (!rc && out) rc = em_atomic_write(out, buf, len, &err);
    else if (!rc) fwrite(buf, 1, len, stdout);
    free(buf);
    return rc ? cli_report(CMD, &err) : 0;
}
