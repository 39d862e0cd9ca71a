/* search/mpi.c: the MPI process layer and transport (see mpi.h); stubs when emomc is
 * built without MPI. */
#include "search/mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef EMOMC_HAVE_MPI
#include <mpi.h>

static int started, rank_, size_ = 1;

bool sp_mpi_available(void) { return true; }

void sp_mpi_init(int *argc, char ***argv, bool launched)
{
    /* Only under a launcher: a plain `emomc` never touches MPI. */
    if (!launched) return;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) return;
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

void sp_mpi_finish(int rc)
{
    if (!started) return;
    if (rc != 0 && size_ > 1) MPI_Abort(MPI_COMM_WORLD, rc);
    MPI_Finalize();
    started = 0;
}

int sp_mpi_rank(void) { return rank_; }
int sp_mpi_size(void) { return size_; }

int sp_mpi_send_ints(const int *v, int n, int to, int tag)
{
    return MPI_Send(v, n, MPI_INT, to, tag, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int sp_mpi_recv_ints(int *v, int n, int from, int tag)
{
    return MPI_Recv(v, n, MPI_INT, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) == MPI_SUCCESS ? 0 : -1;
}

int sp_mpi_send_doubles(const double *v, int n, int to, int tag)
{
    return MPI_Send(v, n, MPI_DOUBLE, to, tag, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int sp_mpi_recv_doubles(double *v, int n, int from, int tag)
{
    return MPI_Recv(v, n, MPI_DOUBLE, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) == MPI_SUCCESS ? 0 : -1;
}

int sp_mpi_send_text(const char *s, int to, int tag)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    return MPI_Send(buf, (int)sizeof buf, MPI_CHAR, to, tag, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int sp_mpi_recv_text(char *out, int cap, int from, int tag)
{
    char buf[512];
    if (MPI_Recv(buf, (int)sizeof buf, MPI_CHAR, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
        MPI_SUCCESS)
        return -1;
    buf[sizeof buf - 1] = '\0';
    snprintf(out, (size_t)cap, "%s", buf);
    return 0;
}

#else /* no MPI: one process */

bool sp_mpi_available(void) { return false; }
void sp_mpi_init(int *argc, char ***argv, bool launched) { (void)argc, (void)argv, (void)launched; }
void sp_mpi_finish(int rc) { (void)rc; }
int sp_mpi_rank(void) { return 0; }
int sp_mpi_size(void) { return 1; }
int sp_mpi_send_ints(const int *v, int n, int to, int tag) { (void)v, (void)n, (void)to, (void)tag; return -1; }
int sp_mpi_recv_ints(int *v, int n, int from, int tag) { (void)v, (void)n, (void)from, (void)tag; return -1; }
int sp_mpi_send_doubles(const double *v, int n, int to, int tag) { (void)v, (void)n, (void)to, (void)tag; return -1; }
int sp_mpi_recv_doubles(double *v, int n, int from, int tag) { (void)v, (void)n, (void)from, (void)tag; return -1; }
int sp_mpi_send_text(const char *s, int to, int tag) { (void)s, (void)to, (void)tag; return -1; }
int sp_mpi_recv_text(char *b, int cap, int from, int tag) { (void)b, (void)cap, (void)from, (void)tag; return -1; }

#endif
