/*
 * disco-spawner: starts the piped processes of one container inside its sandbox, for the daemon, which
 * talks to it directly (native-spawner.ts) and falls back to the supervisor's child_process when it is
 * absent or fails its self-check. The sandbox's first shell starts it, then becomes the supervisor.
 * Node forks its whole (large) process for every child; this program is small and
 * starts each child with clone(CLONE_VM | CLONE_VFORK), the way posix_spawn does, then owns the child's
 * pipes and multiplexes output and exit back. Builtins only: `cc -O2 -o disco-spawner spawner.c`.
 *
 * Usage: disco-spawner <cpu-seconds> [<egress-port>]   (its parent is the supervisor)
 *   cpu-seconds: RLIMIT_CPU (soft and hard) of every child, 0 for none. It comes from the command line,
 *   never from a request, so a forged request cannot start a process without it. Other limits (memory,
 *   file size, processes) are inherited from the prlimit that starts it and the supervisor alike.
 *
 * Requests on stdin, one per line, fields separated by one space; strings are base64:
 *   S <id> <stdin 0|1> <cwd> <argc> <argv...> <envc> <env...>   start a process
 *   I <id> <data>                                                  bytes for its stdin
 *   E <id>                                                         end of its stdin
 *   K <id> <signal number>                                         signal its process group
 * Events on stdout, one JSON object per line, in the daemon's format (protocol.ts): spawned, error, out,
 * exit, log; first a `{"t":"spawner",...}` line of its own.
 *
 * In the sandbox, stdin and stdout are one Node IPC channel of the daemon (JSON lines that may carry a
 * file descriptor): requests then come as JSON strings (`"S ..."`; the fields need no escaping) and the
 * daemon's own `{...}` messages (acknowledgements) are skipped. With an egress port, this program listens
 * on 127.0.0.1:<port> (the sandbox's own loopback) and hands each connection to the daemon's egress proxy
 * as it is (`{"cmd":"NODE_HANDLE","type":"net.Socket","msg":{"t":"egress"}}` with the socket attached),
 * so no process inside copies its bytes.
 *
 * Security: a process of the container runs as the same uid (the channel is held by this program alone,
 * but it is treated as reachable all the same), so every request is hostile input: a malformed line is dropped (and
 * logged), ids are checked, a line has a size cap, and a request can only start a process as this uid
 * in this sandbox or signal a group this program started. This process is not dumpable (no ptrace, no
 * /proc/<pid>/fd, no pidfd_getfd by its children), blocks every catchable signal, and installs a seccomp
 * filter in each child that refuses signals (kill, tkill, tgkill, sigqueue, pidfd_open, F_SETOWN) aimed at
 * itself, the supervisor, their process groups, or every process (-1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LINE (8u << 20)   /* a request line (argv + env, base64) */
#define MAX_ID 64
#define MAX_ARGS 65536
#define READ_CHUNK 65536      /* output is read and sent in pieces of at most this */
#define CHILD_STACK (64 * 1024)

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#if defined(__x86_64__)
#define GUARD_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define GUARD_ARCH AUDIT_ARCH_AARCH64
#endif

struct proc {
  char id[MAX_ID + 1];
  pid_t pid;
  int out, err, in;      /* -1 when closed */
  int reaped, status;
  char *pending;         /* stdin bytes not yet taken by the pipe */
  size_t plen, poff;
  int eof;               /* close stdin once pending is written */
};

static struct proc *procs;
static size_t nprocs, capprocs;
static rlim_t cpu_limit;
static pid_t self_pid, sup_pid, sup_pgid;
static int devnull = -1;
static int egress_fd = -1; /* the egress listener, or -1 */
static char *child_stack;
#ifdef GUARD_ARCH
static struct sock_filter guard[96];
static struct sock_fprog guard_prog;
#endif

/* ---- output -------------------------------------------------------------------------------------- */

static char *obuf;
static size_t olen, ocap;

static void oput(const char *s, size_t n) {
  if (olen + n > ocap) {
    size_t c = ocap ? ocap : 65536;
    while (c < olen + n) c *= 2;
    char *b = realloc(obuf, c);
    if (!b) abort();
    obuf = b;
    ocap = c;
  }
  memcpy(obuf + olen, s, n);
  olen += n;
}
static void ostr(const char *s) { oput(s, strlen(s)); }
static void oint(long v) {
  char b[32];
  int n = snprintf(b, sizeof b, "%ld", v);
  oput(b, (size_t)n);
}
/* A JSON string of plain text (ids are checked; messages are ASCII from this program or strerror). */
static void ojson(const char *s) {
  oput("\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      oput(e, 2);
    } else if (c < 0x20 || c > 0x7e) {
      oput("?", 1);
    } else {
      oput((const char *)&c, 1);
    }
  }
  oput("\"", 1);
}

/* Blocking writes: when the daemon reads slowly, output waits here and children block on full pipes. */
static void flush(void) {
  size_t off = 0;
  while (off < olen) {
    ssize_t w = write(1, obuf + off, olen - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(0); /* the daemon went away */
    }
    off += (size_t)w;
  }
  olen = 0;
}

/* Hands an accepted egress connection to the daemon (SCM_RIGHTS on the IPC channel), then drops it here. */
static void hand_over(int fd) {
  static const char msg[] = "{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Socket\",\"msg\":{\"t\":\"egress\"}}\n";
  flush();
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {(void *)msg, sizeof msg - 1};
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cbuf;
  mh.msg_controllen = sizeof cbuf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t w;
  do w = sendmsg(1, &mh, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w < 0) _exit(0); /* the daemon went away */
  if ((size_t)w < sizeof msg - 1) { /* the rest of the line (the descriptor went with its first byte) */
    oput(msg + w, sizeof msg - 1 - (size_t)w);
    flush();
  }
  close(fd);
}

static void accept_egress(void) {
  for (;;) {
    int fd = accept4(egress_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN (non-blocking listener), or a connection reset before it was taken */
    hand_over(fd);
  }
}

/* The egress listener on 127.0.0.1:port; -1 when it cannot be had (the supervisor listens instead). */
static int listen_egress(unsigned long port) {
  if (port == 0 || port > 65535) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void logmsg(const char *m) {
  ostr("{\"t\":\"log\",\"message\":\"spawner: ");
  for (; *m; m++) oput(((unsigned char)*m < 0x20 || *m == '"' || *m == '\\') ? "?" : m, 1);
  ostr("\"}\n");
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void ob64(const unsigned char *p, size_t n) {
  size_t need = (n + 2) / 3 * 4;
  if (olen + need > ocap) {
    size_t c = ocap ? ocap : 65536;
    while (c < olen + need) c *= 2;
    char *b = realloc(obuf, c);
    if (!b) abort();
    obuf = b;
    ocap = c;
  }
  char *o = obuf + olen;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    *o++ = B64[v >> 18];
    *o++ = B64[(v >> 12) & 63];
    *o++ = B64[(v >> 6) & 63];
    *o++ = B64[v & 63];
  }
  if (i < n) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
    *o++ = B64[v >> 18];
    *o++ = B64[(v >> 12) & 63];
    *o++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  olen = (size_t)(o - obuf);
}

/* Decodes base64 in place; returns the length, or -1 when it is not base64. */
static long unb64(char *s, size_t n) {
  static signed char T[256];
  if (!T['B']) {
    memset(T, -1, sizeof T);
    for (int i = 0; i < 64; i++) T[(unsigned char)B64[i]] = (signed char)i;
  }
  if (n % 4) return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int a = T[(unsigned char)s[i]], b = T[(unsigned char)s[i + 1]];
    int c = s[i + 2] == '=' && i + 4 == n ? 0 : T[(unsigned char)s[i + 2]];
    int d = s[i + 3] == '=' && i + 4 == n ? 0 : T[(unsigned char)s[i + 3]];
    if (a < 0 || b < 0 || c < 0 || d < 0) return -1;
    if (s[i + 2] == '=' && s[i + 3] != '=') return -1;
    unsigned v = (unsigned)a << 18 | (unsigned)b << 12 | (unsigned)c << 6 | (unsigned)d;
    s[o++] = (char)(v >> 16);
    if (s[i + 2] != '=') s[o++] = (char)(v >> 8);
    if (s[i + 3] != '=') s[o++] = (char)v;
  }
  return (long)o;
}

/* ---- signals ------------------------------------------------------------------------------------- */

static const char *signame(int s) {
  static const char *names[] = {
      [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",       [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
      [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",     [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",
      [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
      [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",     [SIGTERM] = "SIGTERM", [SIGCHLD] = "SIGCHLD",
      [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",     [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
      [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
      [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO",
      [SIGSYS] = "SIGSYS",
  };
  return s > 0 && s < (int)(sizeof names / sizeof names[0]) ? names[s] : NULL;
}

/* ---- the seccomp guard of children ---------------------------------------------------------------- */

#ifdef GUARD_ARCH
#define ARG0 (offsetof(struct seccomp_data, args[0]))
#define ARG1 (offsetof(struct seccomp_data, args[1]))
#define ARG2 (offsetof(struct seccomp_data, args[2]))
#define DENY (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

static size_t g;
static void emit(unsigned short code, unsigned jt, unsigned jf, unsigned k) {
  guard[g++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

/* Loads the low 32 bits of an argument (what the kernel uses for an int) and denies it when it is one of `v`. */
static void deny_values(unsigned off, const int *v, int n) {
  emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
  for (int i = 0; i < n; i++) emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (unsigned)v[i]);
}

static void build_guard(void) {
  int procs_[] = {self_pid, sup_pid};
  int kill_[] = {self_pid, -self_pid, sup_pid, -sup_pid, -sup_pgid, -1};
  /* Jump targets are patched below: every JEQ on a value jumps to the final DENY. */
  g = 0;
  emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
  emit(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, GUARD_ARCH);
  guard[g++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  struct { int nr; unsigned off; const int *v; int n; } rules[] = {
      {SYS_kill, ARG0, kill_, 6},
      {SYS_tkill, ARG0, procs_, 1}, /* a thread id: the spawner is single-threaded */
      {SYS_tgkill, ARG0, procs_, 2},
      {SYS_rt_sigqueueinfo, ARG0, procs_, 2},
      {SYS_rt_tgsigqueueinfo, ARG0, procs_, 2},
      {SYS_pidfd_open, ARG0, procs_, 2},
  };
  size_t deny_jumps[64];
  size_t nd = 0;
  for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
    emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    size_t skip = g;
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (unsigned)rules[r].nr); /* jf patched: to the next rule */
    size_t first = g;
    deny_values(rules[r].off, rules[r].v, rules[r].n);
    for (size_t i = first + 1; i < g; i++) deny_jumps[nd++] = i;
    guard[g++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    guard[skip].jf = (unsigned char)(g - skip - 1);
  }
  /* fcntl(F_SETOWN, pid) aims SIGIO (or any signal, with F_SETSIG) at a process or group; F_SETOWN_EX
   * passes it through a pointer the filter cannot read, so it is refused as a whole. */
  emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
  size_t skip = g;
  emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, SYS_fcntl);
  emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG1);
  deny_jumps[nd++] = g;
  emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, F_SETOWN_EX);
  emit(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, F_SETOWN);
  guard[g++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  size_t first = g;
  deny_values(ARG2, kill_, 6);
  for (size_t i = first + 1; i < g; i++) deny_jumps[nd++] = i;
  guard[skip].jf = (unsigned char)(g - skip - 1);
  guard[g++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  size_t deny = g;
  guard[g++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, DENY);
  for (size_t i = 0; i < nd; i++) guard[deny_jumps[i]].jt = (unsigned char)(deny - deny_jumps[i] - 1);
  guard_prog.len = (unsigned short)g;
  guard_prog.filter = guard;
}
#endif

/* ---- starting a process --------------------------------------------------------------------------- */

struct start {
  char **argv, **envp;
  const char *cwd;
  int in, out, err; /* the child's ends */
  int error;        /* set by the child before it exits, read once the parent resumes */
};

static const char *env_path(char **envp) {
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) return *e + 5;
  return "/usr/local/bin:/usr/bin:/bin";
}

/* Runs in the child (shared memory, own stack, parent suspended): only system calls, no allocation. */
static int child_main(void *arg) {
  struct start *s = arg;
  sigset_t none;
  sigemptyset(&none);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (setsid() < 0) goto fail;
  if (s->cwd[0] && chdir(s->cwd) < 0) goto fail;
  if (cpu_limit > 0) {
    struct rlimit rl = {cpu_limit, cpu_limit};
    if (setrlimit(RLIMIT_CPU, &rl) < 0) goto fail;
  }
  if (dup2(s->in, 0) < 0 || dup2(s->out, 1) < 0 || dup2(s->err, 2) < 0) goto fail;
#ifdef GUARD_ARCH
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &guard_prog) < 0) goto fail;
#endif
  const char *file = s->argv[0];
  if (strchr(file, '/')) {
    execve(file, s->argv, s->envp);
    goto fail;
  }
  /* PATH search with the child's own PATH, as execvpe does: ENOENT/ENOTDIR move on, EACCES is kept. */
  char buf[4096];
  int seen_eacces = 0;
  size_t flen = strlen(file);
  for (const char *p = env_path(s->envp);; p++) {
    const char *end = strchr(p, ':');
    size_t dlen = end ? (size_t)(end - p) : strlen(p);
    if (dlen + flen + 2 <= sizeof buf) {
      size_t n = 0;
      if (dlen == 0) buf[n++] = '.';
      else {
        memcpy(buf, p, dlen);
        n = dlen;
      }
      buf[n++] = '/';
      memcpy(buf + n, file, flen + 1);
      execve(buf, s->argv, s->envp);
      if (errno == EACCES) seen_eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG) goto fail;
    }
    if (!end) break;
    p = end;
  }
  errno = seen_eacces ? EACCES : ENOENT;
fail:
  s->error = errno ? errno : EINVAL;
  _exit(127);
}

static const char *errname(int e) {
  switch (e) {
  case ENOENT: return "ENOENT";
  case EACCES: return "EACCES";
  case ENOTDIR: return "ENOTDIR";
  case E2BIG: return "E2BIG";
  case ENOEXEC: return "ENOEXEC";
  case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM";
  case EPERM: return "EPERM";
  case EMFILE: return "EMFILE";
  default: return "EINVAL";
  }
}

static void send_error(const char *id, int e) {
  ostr("{\"t\":\"error\",\"id\":");
  ojson(id);
  ostr(",\"code\":\"");
  ostr(errname(e));
  ostr("\",\"message\":");
  ojson(strerror(e));
  ostr("}\n");
}

static struct proc *find(const char *id) {
  for (size_t i = 0; i < nprocs; i++)
    if (strcmp(procs[i].id, id) == 0) return &procs[i];
  return NULL;
}

static void start(const char *id, int with_stdin, const char *cwd, char **argv, char **envp) {
  if (find(id)) {
    logmsg("duplicate id");
    return;
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if ((with_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    int e = errno;
    for (int i = 0; i < 2; i++) {
      if (in[i] >= 0) close(in[i]);
      if (out[i] >= 0) close(out[i]);
      if (err[i] >= 0) close(err[i]);
    }
    send_error(id, e);
    return;
  }
  struct start s = {argv, envp, cwd, with_stdin ? in[0] : devnull, out[1], err[1], 0};
  pid_t pid = clone(child_main, child_stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
  int e = errno;
  if (with_stdin) close(in[0]);
  close(out[1]);
  close(err[1]);
  if (pid < 0 || s.error) {
    if (pid > 0) waitpid(pid, NULL, 0);
    if (with_stdin) close(in[1]);
    close(out[0]);
    close(err[0]);
    send_error(id, pid < 0 ? e : s.error);
    return;
  }
  if (nprocs == capprocs) {
    capprocs = capprocs ? capprocs * 2 : 64;
    procs = realloc(procs, capprocs * sizeof *procs);
    if (!procs) abort();
  }
  struct proc *p = &procs[nprocs++];
  memset(p, 0, sizeof *p);
  strcpy(p->id, id);
  p->pid = pid;
  p->out = out[0];
  p->err = err[0];
  p->in = with_stdin ? in[1] : -1;
  if (p->in >= 0) fcntl(p->in, F_SETFL, O_NONBLOCK);
  ostr("{\"t\":\"spawned\",\"id\":");
  ojson(id);
  ostr(",\"pid\":");
  oint(pid);
  ostr("}\n");
}

/* ---- requests -------------------------------------------------------------------------------------- */

static int valid_id(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > MAX_ID) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
          *s == '-'))
      return 0;
  return 1;
}

/* Splits at spaces into `f` (at most `max`); returns the count. */
static size_t fields(char *line, char **f, size_t max) {
  size_t n = 0;
  char *p = line;
  while (n < max) {
    f[n++] = p;
    char *sp = strchr(p, ' ');
    if (!sp) break;
    *sp = 0;
    p = sp + 1;
  }
  return n;
}

/* A base64 string field decoded to a C string (no NUL inside). */
static char *str_field(char *f) {
  long n = unb64(f, strlen(f));
  if (n < 0 || memchr(f, 0, (size_t)n)) return NULL;
  f[n] = 0;
  return f;
}

static char **fv;
static size_t fvcap;

static void request(char *line);

/* A line of the IPC channel: a JSON string is a request (no escapes: its fields are base64, ids and
 * numbers), the daemon's own objects (acknowledgements of handed-over sockets) are skipped; a bare line
 * (tests, `disco doctor`) is a request as it is. */
static void unwrap(char *line) {
  size_t n = strlen(line);
  if (line[0] == '{') return;
  if (line[0] == '"') {
    if (n < 2 || line[n - 1] != '"' || strchr(line + 1, '\\')) {
      logmsg("malformed request");
      return;
    }
    line[n - 1] = 0;
    line++;
  }
  request(line);
}

static void request(char *line) {
  size_t max = 2;
  for (const char *c = line; *c; c++) max += *c == ' ';
  if (max > fvcap) {
    free(fv);
    fvcap = max;
    fv = malloc(fvcap * sizeof *fv);
    if (!fv) abort();
  }
  size_t n = fields(line, fv, fvcap);
  if (n < 2 || fv[0][1] != 0 || !valid_id(fv[1])) {
    logmsg("malformed request");
    return;
  }
  const char *id = fv[1];
  switch (fv[0][0]) {
  case 'S': {
    if (n < 6 || (strcmp(fv[2], "0") && strcmp(fv[2], "1"))) break;
    char *cwd = str_field(fv[3]);
    char *endp;
    unsigned long argc = strtoul(fv[4], &endp, 10);
    if (!cwd || *endp || argc == 0 || argc > MAX_ARGS || 5 + argc >= n) break;
    unsigned long envc = strtoul(fv[5 + argc], &endp, 10);
    if (*endp || envc > MAX_ARGS || 6 + argc + envc != n) break;
    /* argv and envp point into the fields: NULL-terminated arrays built in place of the counts. */
    char **argv = &fv[5];
    for (size_t i = 0; i < argc; i++)
      if (!str_field(argv[i])) goto bad;
    char **envp = &fv[6 + argc];
    for (size_t i = 0; i < envc; i++)
      if (!str_field(envp[i]) || !strchr(envp[i], '=')) goto bad;
    /* Shift argv down by one over fv[4] to make room for its NULL where envc's count was. */
    memmove(&fv[4], &fv[5], argc * sizeof *fv);
    fv[4 + argc] = NULL;
    if (n + 1 > fvcap) goto bad;
    fv[n] = NULL;
    start(id, fv[2][0] == '1', cwd, &fv[4], envp);
    return;
  }
  case 'I': {
    struct proc *p = find(id);
    if (n != 3) break;
    long m = unb64(fv[2], strlen(fv[2]));
    if (m < 0) break;
    if (!p || p->in < 0 || p->eof || m == 0) return;
    char *b = realloc(p->pending, p->plen + (size_t)m);
    if (!b) abort();
    memcpy(b + p->plen, fv[2], (size_t)m);
    p->pending = b;
    p->plen += (size_t)m;
    return;
  }
  case 'E': {
    struct proc *p = find(id);
    if (n != 2) break;
    if (p && p->in >= 0) p->eof = 1;
    return;
  }
  case 'K': {
    struct proc *p = find(id);
    if (n != 3) break;
    char *endp;
    long sig = strtol(fv[2], &endp, 10);
    if (*endp || sig < 1 || sig > 64) break;
    /* Only while the leader is not reaped: its pid (the group's id) cannot have been reused. */
    if (p && !p->reaped) kill(-p->pid, (int)sig);
    return;
  }
  default:
    break;
  }
bad:
  logmsg("malformed request");
  /* A start the daemon waits for: answer it, unless the id names a process that runs. */
  if (fv[0][0] == 'S' && !find(id)) send_error(id, EINVAL);
}

/* ---- the loop --------------------------------------------------------------------------------------- */

static void output(struct proc *p, int *fd, int stream) {
  static unsigned char buf[READ_CHUNK];
  ssize_t r = read(*fd, buf, sizeof buf);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) {
    close(*fd);
    *fd = -1;
    return;
  }
  ostr("{\"t\":\"out\",\"id\":");
  ojson(p->id);
  ostr(stream == 1 ? ",\"s\":1,\"d\":\"" : ",\"s\":2,\"d\":\"");
  ob64(buf, (size_t)r);
  ostr("\"}\n");
}

static void feed(struct proc *p) {
  while (p->poff < p->plen) {
    ssize_t w = write(p->in, p->pending + p->poff, p->plen - p->poff);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      p->poff = p->plen; /* EPIPE: the reader is gone; drop what it will never read */
      p->eof = 1;
      break;
    }
    p->poff += (size_t)w;
  }
  free(p->pending);
  p->pending = NULL;
  p->plen = p->poff = 0;
  if (p->eof) {
    close(p->in);
    p->in = -1;
  }
}

/* Sees every exited child; the group of a leader is killed while its zombie still holds the id. */
static void reap(void) {
  for (;;) {
    siginfo_t si;
    si.si_pid = 0;
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0) return;
    struct proc *p = NULL;
    for (size_t i = 0; i < nprocs; i++)
      if (procs[i].pid == si.si_pid && !procs[i].reaped) p = &procs[i];
    if (p) kill(-p->pid, SIGKILL); /* the leader's exit ends the command: leftovers release the pipes */
    int status = 0;
    if (waitpid(si.si_pid, &status, 0) < 0) return;
    if (p) {
      p->reaped = 1;
      p->status = status;
    }
  }
}

static void finish(size_t i) {
  struct proc *p = &procs[i];
  ostr("{\"t\":\"exit\",\"id\":");
  ojson(p->id);
  if (WIFSIGNALED(p->status)) {
    const char *name = signame(WTERMSIG(p->status));
    ostr(",\"code\":null,\"signal\":");
    if (name) {
      oput("\"", 1);
      ostr(name);
      oput("\"", 1);
    } else oint(WTERMSIG(p->status));
  } else {
    ostr(",\"code\":");
    oint(WEXITSTATUS(p->status));
    ostr(",\"signal\":null");
  }
  ostr("}\n");
  if (p->in >= 0) close(p->in);
  free(p->pending);
  procs[i] = procs[--nprocs];
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: disco-spawner <cpu-seconds> [<egress-port>]\n");
    return 2;
  }
  cpu_limit = (rlim_t)strtoul(argv[1], NULL, 10);
  if (argc == 3) egress_fd = listen_egress(strtoul(argv[2], NULL, 10));
  sup_pid = getppid();
  self_pid = getpid();
  sup_pgid = sup_pid > 0 ? getpgid(sup_pid) : 0;
  if (sup_pgid <= 0) sup_pgid = sup_pid;
  /* Not dumpable: children (same uid) cannot ptrace it, open /proc/<pid>/fd, or take its fds. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Needed for the children's seccomp guard without privileges (bwrap has set it already inside). */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    perror("disco-spawner: no_new_privs");
    return 1;
  }
  /* Children start with default dispositions (an ignored signal would stay ignored across exec). */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL); /* only SIGKILL and SIGSTOP reach it; SIGCHLD is read from a signalfd */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  child_stack = malloc(CHILD_STACK);
  if (sfd < 0 || devnull < 0 || !child_stack) {
    perror("disco-spawner");
    return 1;
  }
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  int guarded = 0;
#ifdef GUARD_ARCH
  build_guard();
  guarded = 1;
#endif
  ostr("{\"t\":\"spawner\",\"pid\":");
  oint(self_pid);
  ostr(guarded ? ",\"guard\":true" : ",\"guard\":false");
  ostr(egress_fd >= 0 ? ",\"egress\":true}\n" : ",\"egress\":false}\n");
  flush();

  size_t lcap = 65536, llen = 0;
  char *line = malloc(lcap);
  int skipping = 0; /* inside a line over MAX_LINE: dropped up to its newline */
  int in_open = 1;
  struct pollfd *pfd = NULL;
  size_t pcap = 0;
  while (in_open || nprocs > 0) {
    size_t need = 3 + nprocs * 3;
    if (need > pcap) {
      pcap = need * 2;
      pfd = realloc(pfd, pcap * sizeof *pfd);
      if (!pfd) abort();
    }
    size_t k = 0;
    pfd[k++] = (struct pollfd){in_open ? 0 : -1, POLLIN, 0};
    pfd[k++] = (struct pollfd){sfd, POLLIN, 0};
    pfd[k++] = (struct pollfd){egress_fd, POLLIN, 0}; /* -1: ignored by poll */
    for (size_t i = 0; i < nprocs; i++) {
      struct proc *p = &procs[i];
      pfd[k++] = (struct pollfd){p->out, POLLIN, 0};
      pfd[k++] = (struct pollfd){p->err, POLLIN, 0};
      pfd[k++] = (struct pollfd){p->in >= 0 && (p->plen > p->poff || p->eof) ? p->in : -1, POLLOUT, 0};
    }
    if (poll(pfd, k, -1) < 0 && errno != EINTR) return 1;
    if (pfd[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
    }
    /* Output first (it was written before the exit that follows it), then reaping, then requests. */
    for (size_t i = 0; i < nprocs; i++) {
      struct proc *p = &procs[i];
      struct pollfd *f = &pfd[3 + i * 3];
      if (f[0].revents && p->out >= 0) output(p, &p->out, 1);
      if (f[1].revents && p->err >= 0) output(p, &p->err, 2);
      if (f[2].revents && p->in >= 0) feed(p);
    }
    if (pfd[2].revents && egress_fd >= 0) accept_egress();
    reap();
    for (size_t i = nprocs; i-- > 0;)
      if (procs[i].reaped && procs[i].out < 0 && procs[i].err < 0) finish(i);
    if (pfd[0].revents) {
      if (llen + READ_CHUNK > lcap) {
        lcap = (llen + READ_CHUNK) * 2;
        line = realloc(line, lcap);
        if (!line) abort();
      }
      ssize_t r = read(0, line + llen, READ_CHUNK);
      if (r <= 0 && !(r < 0 && (errno == EINTR || errno == EAGAIN))) {
        /* The daemon went away: end every process this program started, and take no more connections. */
        in_open = 0;
        if (egress_fd >= 0) close(egress_fd);
        egress_fd = -1;
        for (size_t i = 0; i < nprocs; i++)
          if (!procs[i].reaped) kill(-procs[i].pid, SIGKILL);
      } else if (r > 0) {
        size_t start_ = 0, end = llen + (size_t)r;
        for (size_t i = llen; i < end; i++) {
          if (line[i] != '\n') continue;
          line[i] = 0;
          if (!skipping) unwrap(line + start_);
          skipping = 0;
          start_ = i + 1;
        }
        memmove(line, line + start_, end - start_);
        llen = end - start_;
        if (llen > MAX_LINE) {
          logmsg("request line too long");
          skipping = 1;
          llen = 0;
        }
      }
    }
    flush();
  }
  return 0;
}
