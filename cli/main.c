/* cli/main.c: the `emomc` command: dispatches to subcommands. */
#include <cblas.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "plots/gnuplot.h"
#include "search/mpi.h"

static const cli_command commands[] = {
    {"estimate", cmd_estimate, "hardware cost of a model on a target (energy, cycles, size)"},
    {"compare", cmd_compare, "all dataflows x codings side by side, optional bar chart"},
    {"simulate", cmd_simulate, "cycle-level simulation of one layer, against the analytic model"},
    {"train", cmd_train, "train a model with the built-in engine"},
    {"eval", cmd_eval, "top-1 accuracy of a model's weights on a data set"},
    {"library", cmd_library, "stage-I library: fine-tuned pruned models on a keep grid"},
    {"optimize", cmd_optimize, "multi-objective search (benchmark and compression problems)"},
    {"report", cmd_report, "tables of a compression search (knee, AScore, Tables II/III); --joint-vs"},
    {"export", cmd_export, "one solution of a search as an ONNX or .emw model file"},
    {"plot", cmd_plot, "figures of a compression search, or --compare several (gnuplot)"},
    {"stats", cmd_stats, "groups of runs by hypervolume: medians, Friedman, Dunn, box plot"},
    {"demo", cmd_demo, "the embedded default, end to end (LeNet-5, MNIST, VU9P)"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: emomc <command> [options]   (emomc <command> --help for details)\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

/* Standard output is flushed and checked before exit, as coreutils do: a full disk
 * or a closed pipe must not pass for success. */
static int finish(int rc)
{
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "emomc: error: write error on standard output: %s\n",
                errno ? strerror(errno) : "I/O error");
        return rc ? rc : 1;
    }
    return rc;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("emomc %s\n", EMOMC_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "emomc: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}

/* The process settings the library takes from its caller, never from the
 * environment: one OpenBLAS thread (the engine and the surrogates thread with
 * OpenMP themselves; nn/net.h), the gnuplot program and temporary folder, and
 * whether an MPI launcher started this process. */
static bool process_setup(void)
{
    openblas_set_num_threads(1);
    plot_gnuplot_config(getenv("EMOMC_GNUPLOT"), getenv("TMPDIR"));
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_SIZE");
}

int main(int argc, char **argv)
{
    sp_mpi_init(&argc, &argv, process_setup()); /* only under mpirun (search/mpi.h) */
    int rc = finish(dispatch(argc, argv));
    sp_mpi_finish(rc);
    return rc;
}
