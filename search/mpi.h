/* search/mpi.h: many machines through MPI (OpenMPI). `mpirun -np N emomc optimize ...`
 * starts N copies; rank 0 owns the optimizer, the evaluation store and the run
 * directory, and each generation's inferences are spread over all ranks (rank 0
 * included); the other ranks only measure accuracies of the genotypes rank 0 sends
 * them. Every accuracy is a deterministic function of its genotype (bit-identical
 * whatever the thread count or rank), so the run is byte-identical to a serial run
 * with the same seed, whatever N. Without mpirun (or in a build without MPI) all
 * of this is a single process and these functions say so.
 *
 * A rank that fails or dies ends the whole job (MPI's default): rank 0's last
 * checkpoint stays, and `--resume` continues from it. */
#ifndef EMOMC_SEARCH_MPI_H
#define EMOMC_SEARCH_MPI_H

#include <stdbool.h>

/* Initializes MPI when launched (the process was started by mpirun: the caller
 * tells, from the launcher's environment, see cli/main.c) and emomc was built with
 * MPI; otherwise nothing. Call once, first thing in main. */
void sp_mpi_init(int *argc, char ***argv, bool launched);
/* Finalizes MPI if sp_mpi_init started it. rc != 0 on a rank while others may still
 * wait for it: the job is aborted instead, so no rank hangs. */
void sp_mpi_finish(int rc);

int sp_mpi_rank(void);  /* 0 without MPI */
int sp_mpi_size(void);  /* 1 without MPI */
bool sp_mpi_available(void); /* built with MPI */

/* Point to point transport of doubles and ints (tags below); no-ops without MPI. */
enum { SP_MPI_TAG_WORK = 1, SP_MPI_TAG_RESULT = 2, SP_MPI_TAG_MSG = 3 };
int sp_mpi_send_ints(const int *v, int n, int to, int tag);
int sp_mpi_recv_ints(int *v, int n, int from, int tag);
int sp_mpi_send_doubles(const double *v, int n, int to, int tag);
int sp_mpi_recv_doubles(double *v, int n, int from, int tag);
int sp_mpi_send_text(const char *s, int to, int tag);    /* at most 511 bytes */
int sp_mpi_recv_text(char *buf, int cap, int from, int tag);

#endif
