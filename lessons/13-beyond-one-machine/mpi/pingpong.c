/* Part 3: ping-pong between ranks 0 and 1.
 *
 *     pingpong REPEAT LIMIT_MS BYTES:ROUNDS...
 *
 * Rank 0 sends a message of BYTES bytes, rank 1 sends back what it got,
 * ROUNDS times, or as many as fit in LIMIT_MS (then a message of tag STOP
 * ends the size); half a round trip is the one-way time. (MPI's waits
 * spin: on a machine busy with other work, a rank may wait for its turn on
 * a CPU at every message, and the rounds take milliseconds each. The limit
 * keeps the lesson's time bounded then.) One round of each
 * size goes first, untimed (the first message of a size sets things up:
 * buffers touched, MPICH's transport chosen). The payload is a pattern of
 * this size and repeat: rank 1 checks every byte of the untimed message and
 * of the last one it got, rank 0 every byte of the last one that came back
 * (each check outside the timed rounds), so a message that arrived changed
 * is caught. Rank 0 prints
 *
 *     pingpong BYTES ROUNDS_DONE REP SECONDS_ONE_WAY INTACT
 *
 * INTACT is 1 when every checked byte was right. Ranks past 1 wait quietly. */
#include "ranks.h"

#include <stdlib.h>
#include <string.h>

enum { TAG_DATA, TAG_CHECK, TAG_STOP };

static unsigned char pattern(long i, long bytes, long rep)
{
    return (unsigned char)(i * 131 + bytes * 7 + rep * 29 + 1);
}

static int intact(const unsigned char *b, long bytes, long rep)
{
    for (long i = 0; i < bytes; i++)
        if (b[i] != pattern(i, bytes, rep))
            return 0;
    return 1;
}

int pingpong(int argc, char **argv)
{
    if (argc < 3 || nranks < 2) {
        if (rank == 0)
            say("error rank 0: pingpong REPEAT LIMIT_MS BYTES:ROUNDS... on at least 2 ranks");
        return 1;
    }
    long repeat = number(argv[0]), most = 1;
    double limit_s = (double)number(argv[1]) / 1e3;
    for (int j = 2; j < argc; j++) {
        long bytes, rounds;
        number_pair(argv[j], &bytes, &rounds);
        most = bytes > most ? bytes : most;
    }
    unsigned char *out = malloc((size_t)most), *in = malloc((size_t)most);
    if (!out || !in) {
        say("error rank %d: out of memory for %ld bytes", rank, most);
        return 1;
    }
    for (long rep = 0; rep < repeat; rep++)
        for (int j = 2; j < argc; j++) {
            long bytes, rounds;
            number_pair(argv[j], &bytes, &rounds);
            int n = (int)bytes;
            if (rank == 0) {
                for (long i = 0; i < bytes; i++)
                    out[i] = pattern(i, bytes, rep);
                memset(in, 0, (size_t)bytes);
                MPI_Send(out, n, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD); /* the untimed round */
                MPI_Recv(in, n, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                memset(in, 0, (size_t)bytes);
                double t0 = MPI_Wtime(), t = t0;
                long r = 0;
                while (r < rounds && t - t0 < limit_s) {
                    MPI_Send(out, n, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD);
                    MPI_Recv(in, n, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                    r++;
                    t = MPI_Wtime();
                }
                MPI_Send(NULL, 0, MPI_BYTE, 1, TAG_STOP, MPI_COMM_WORLD);
                double one_way = (t - t0) / (double)r / 2;
                int ok1, ok0 = intact(in, bytes, rep);
                MPI_Recv(&ok1, 1, MPI_INT, 1, TAG_CHECK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                say("pingpong %ld %ld %ld %.9f %d", bytes, r, rep, one_way, ok0 && ok1);
            } else if (rank == 1) {
                memset(in, 0, (size_t)bytes);
                /* the untimed round, checked before it goes back */
                MPI_Recv(in, n, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                int ok = intact(in, bytes, rep);
                MPI_Send(in, n, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD);
                for (;;) { /* until STOP: its 0 bytes leave the last message in place */
                    MPI_Status st;
                    MPI_Recv(in, n, MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
                    if (st.MPI_TAG == TAG_STOP)
                        break;
                    MPI_Send(in, n, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD);
                }
                ok = ok && intact(in, bytes, rep); /* the last one, after rank 0's clock stopped */
                MPI_Send(&ok, 1, MPI_INT, 0, TAG_CHECK, MPI_COMM_WORLD);
            }
            quiet_barrier();
        }
    free(out);
    free(in);
    return 0;
}
