/*
 * The relay floor for bench/egress.mjs: a TCP relay in C that moves bytes with splice(2) (socket -> pipe ->
 * socket, no copy through user space) on a thread per direction, with nothing else (no CONNECT, no policy).
 * Usage: splice-relay <origin port>; prints the loopback port it listens on, then relays each connection it
 * accepts to 127.0.0.1:<origin port>. What no relay can beat on this machine: every byte still crosses
 * loopback twice. Bench code only; never built into Disco.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (1 << 20)

/* One accepted connection and its dial to the origin; closed when both directions have ended. */
struct pair {
  int fd[2];
  int open;
};

struct direction {
  struct pair *pair;
  int from; /* index into pair->fd; the other one is written */
};

static void *pump(void *arg) {
  struct direction d = *(struct direction *)arg;
  free(arg);
  int from = d.pair->fd[d.from], to = d.pair->fd[1 - d.from];
  int p[2];
  if (pipe2(p, O_CLOEXEC) == 0) {
    fcntl(p[1], F_SETPIPE_SZ, CHUNK);
    ssize_t n;
    while ((n = splice(from, NULL, p[1], NULL, CHUNK, SPLICE_F_MOVE)) > 0) {
      while (n > 0) {
        ssize_t m = splice(p[0], NULL, to, NULL, (size_t)n, SPLICE_F_MOVE);
        if (m <= 0) goto done;
        n -= m;
      }
    }
  done:
    close(p[0]);
    close(p[1]);
  }
  shutdown(to, SHUT_WR);
  if (__atomic_sub_fetch(&d.pair->open, 1, __ATOMIC_ACQ_REL) == 0) {
    close(d.pair->fd[0]);
    close(d.pair->fd[1]);
    free(d.pair);
  }
  return NULL;
}

static void start(struct pair *pair, int from) {
  struct direction *d = malloc(sizeof *d);
  pthread_t t;
  if (!d) abort();
  d->pair = pair;
  d->from = from;
  if (pthread_create(&t, NULL, pump, d) != 0) abort();
  pthread_detach(t);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int one = 1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct sockaddr_in origin = addr;
  origin.sin_port = htons((unsigned short)atoi(argv[1]));
  socklen_t len = sizeof addr;
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof addr) || listen(l, 128) ||
      getsockname(l, (struct sockaddr *)&addr, &len))
    return 1;
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  for (;;) {
    int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (u < 0 || connect(u, (struct sockaddr *)&origin, sizeof origin)) {
      close(c);
      if (u >= 0) close(u);
      continue;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct pair *pair = malloc(sizeof *pair);
    if (!pair) abort();
    pair->fd[0] = c;
    pair->fd[1] = u;
    pair->open = 2;
    start(pair, 0);
    start(pair, 1);
  }
}
