/*
 * Times repeated name lookups in one process, so that process start-up is not
 * part of the figure: getaddrinfo(name, AF_INET) COUNT times, then prints the
 * median, the 90th percentile and the mean per lookup in microseconds.
 *
 *   lookup-loop NAME [COUNT]
 *
 * glibc rereads /etc/resolv.conf only when it changes and keeps no cache, so
 * every call sends one A query to the nameserver in /etc/resolv.conf.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int compare_doubles(const void *left, const void *right) {
    double a = *(const double *)left;
    double b = *(const double *)right;
    return (a > b) - (a < b);
}

static double now_microseconds(void) {
    struct timespec clock;
    clock_gettime(CLOCK_MONOTONIC, &clock);
    return clock.tv_sec * 1e6 + clock.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s NAME [COUNT]\n", argv[0]);
        return 2;
    }
    const char *name = argv[1];
    int count = argc > 2 ? atoi(argv[2]) : 1000;
    if (count <= 0) {
        fprintf(stderr, "lookup-loop: invalid COUNT %s: use a positive integer\n", argv[2]);
        return 2;
    }

    double *samples = calloc((size_t)count, sizeof(double));
    if (samples == NULL) {
        perror("lookup-loop: allocate samples");
        return 1;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;

    double total = 0;
    for (int index = 0; index < count; index++) {
        struct addrinfo *result = NULL;
        double start = now_microseconds();
        int status = getaddrinfo(name, NULL, &hints, &result);
        samples[index] = now_microseconds() - start;
        if (status != 0) {
            fprintf(stderr, "lookup-loop: lookup %d of %s failed: %s\n", index + 1, name, gai_strerror(status));
            return 1;
        }
        freeaddrinfo(result);
        total += samples[index];
    }

    qsort(samples, (size_t)count, sizeof(double), compare_doubles);
    printf("{\"lookups\":%d,\"medianMicroseconds\":%.1f,\"p90Microseconds\":%.1f,\"meanMicroseconds\":%.1f}\n",
           count, samples[count / 2], samples[(count * 9) / 10], total / count);
    free(samples);
    return 0;
}
