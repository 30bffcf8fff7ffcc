/**
 * The seccomp filter of the sandbox, compiled here to classic BPF (what `bwrap --seccomp FD` loads), so no
 * libseccomp is needed. Pure: it only builds bytes; the sandbox writes them to a 0600 file bwrap reads.
 *
 * Security: a deny-list on top of bubblewrap (unprivileged uid, no capabilities, read-only /proc/sys, no
 * nested user namespaces). Each entry is kernel surface that namespaces do not isolate, or that only
 * serves escapes and kernel exploits; denied calls fail with EPERM so programs see an ordinary error.
 */

/** `struct seccomp_data`: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]. */
const NR = 0;
const ARCH = 4;
/** Low 32 bits of args[n] on a little-endian machine (both supported archs are). */
const argLow = (n: number) => 16 + 8 * n;

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;

const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;

/** Why each syscall is denied; the numbers per arch are in SYSCALLS. */
export const DENIED: Readonly<Record<string, string>> = {
  keyctl: 'the kernel keyring is not namespaced: keys of other users and the host could be reached',
  add_key: 'the kernel keyring is not namespaced',
  request_key: 'the kernel keyring is not namespaced',
  bpf: 'eBPF programs are a frequent kernel-exploit vector',
  perf_event_open: 'performance counters leak kernel addresses and are a frequent exploit vector',
  userfaultfd: 'lets an exploit stall the kernel at a chosen page fault (race widening)',
  kexec_load: 'loads a new kernel',
  kexec_file_load: 'loads a new kernel',
  init_module: 'loads kernel code',
  finit_module: 'loads kernel code',
  delete_module: 'unloads kernel code',
  mount: 'file system layout is fixed by the sandbox',
  umount2: 'could uncover what the sandbox mounted over',
  pivot_root: 'file system layout is fixed by the sandbox',
  move_mount: 'new mount API',
  open_tree: 'new mount API',
  fsopen: 'new mount API',
  fsconfig: 'new mount API',
  fsmount: 'new mount API',
  fspick: 'new mount API',
  mount_setattr: 'could make a read-only mount writable',
  swapon: 'host memory management',
  swapoff: 'host memory management',
  reboot: 'host power state',
  syslog: 'the kernel log leaks addresses and host activity',
  setns: 'entering other namespaces',
  unshare: 'new namespaces (a new user namespace is the usual first step of a kernel exploit)',
  open_by_handle_at: 'opens files by handle, bypassing the mount tree ("shocker" container escape)',
  name_to_handle_at: 'companion of open_by_handle_at',
  iopl: 'raw I/O port access',
  ioperm: 'raw I/O port access',
  acct: 'process accounting of the host',
  quotactl: 'host disk quotas',
  quotactl_fd: 'host disk quotas',
  clock_settime: 'the clock is shared with the host',
  clock_adjtime: 'the clock is shared with the host',
  settimeofday: 'the clock is shared with the host',
  adjtimex: 'the clock is shared with the host',
  io_uring_setup: 'io_uring bypasses seccomp for the operations it runs and has a long exploit record',
  io_uring_enter: 'io_uring',
  io_uring_register: 'io_uring',
  fanotify_init: 'file-system-wide event monitoring',
  lookup_dcookie: 'kernel profiling internals',
};

export type SeccompArch = 'x64' | 'arm64';

/**
 * Syscall numbers, from the kernel's tables: arch/x86/entry/syscalls/syscall_64.tbl (x86_64) and
 * include/uapi/asm-generic/unistd.h (arm64); checked against this machine's <asm/unistd_64.h> and
 * <asm-generic/unistd.h>. arm64 has no iopl/ioperm.
 */
const SYSCALLS: Record<SeccompArch, Record<string, number>> = {
  x64: {
    ioctl: 16,
    personality: 135,
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    bpf: 321,
    perf_event_open: 298,
    userfaultfd: 323,
    kexec_load: 246,
    kexec_file_load: 320,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    mount: 165,
    umount2: 166,
    pivot_root: 155,
    move_mount: 429,
    open_tree: 428,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
    swapon: 167,
    swapoff: 168,
    reboot: 169,
    syslog: 103,
    setns: 308,
    unshare: 272,
    open_by_handle_at: 304,
    name_to_handle_at: 303,
    iopl: 172,
    ioperm: 173,
    acct: 163,
    quotactl: 179,
    quotactl_fd: 443,
    clock_settime: 227,
    clock_adjtime: 305,
    settimeofday: 164,
    adjtimex: 159,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    fanotify_init: 300,
    lookup_dcookie: 212,
  },
  arm64: {
    ioctl: 29,
    personality: 92,
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    bpf: 280,
    perf_event_open: 241,
    userfaultfd: 282,
    kexec_load: 104,
    kexec_file_load: 294,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    mount: 40,
    umount2: 39,
    pivot_root: 41,
    move_mount: 429,
    open_tree: 428,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
    swapon: 224,
    swapoff: 225,
    reboot: 142,
    syslog: 116,
    setns: 268,
    unshare: 97,
    open_by_handle_at: 265,
    name_to_handle_at: 264,
    acct: 89,
    quotactl: 60,
    quotactl_fd: 443,
    clock_settime: 112,
    clock_adjtime: 266,
    settimeofday: 170,
    adjtimex: 171,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    fanotify_init: 262,
    lookup_dcookie: 18,
  },
};

/** AUDIT_ARCH_* (include/uapi/linux/audit.h): the ABI a syscall entered with. */
export const AUDIT_ARCH: Record<SeccompArch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };

/** x32 syscalls carry this bit on x86_64; the ABI is refused as a whole (it would bypass the numbers above). */
const X32_SYSCALL_BIT = 0x40000000;

/**
 * ioctl requests refused: TIOCSTI pushes bytes into a terminal's input queue and TIOCLINUX (subcode 2/3)
 * can paste the selection, so a command could type into the terminal it shares with the user's shell.
 * Security: only the low 32 bits are compared, as the kernel does (cmd is an unsigned int), so setting
 * high bits cannot slip past the filter (CVE-2017-5226 in Flatpak).
 */
export const DENIED_IOCTLS = { TIOCSTI: 0x5412, TIOCLINUX: 0x541c } as const;

/**
 * personality() values allowed (what Docker's default profile allows): the defaults, the 32-bit
 * personality and queries. Others (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC) turn off exploit mitigations.
 */
export const ALLOWED_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff] as const;

/** The arch of this process in seccomp's terms, or undefined where no filter can be built. */
export function seccompArch(arch: string = process.arch): SeccompArch | undefined {
  return arch === 'x64' || arch === 'arm64' ? arch : undefined;
}

/** One instruction; a jump names a label (resolved to a forward offset) or falls through when omitted. */
interface Step {
  code: number;
  k: number;
  jt?: string;
  jf?: string;
}

/** The filter for `arch` as struct sock_filter[] bytes (8 bytes each, little-endian). */
export function buildSeccompFilter(arch: SeccompArch): Buffer {
  const nr = SYSCALLS[arch];
  const steps: Array<Step | { label: string }> = [];
  const ld = (offset: number) => steps.push({ code: BPF_LD_W_ABS, k: offset });
  const ret = (k: number) => steps.push({ code: BPF_RET_K, k });
  const jeq = (k: number, jumps: Pick<Step, 'jt' | 'jf'>) => steps.push({ code: BPF_JEQ_K, k, ...jumps });
  const label = (name: string) => steps.push({ label: name });

  ld(ARCH);
  jeq(AUDIT_ARCH[arch], { jt: 'arch_ok' });
  ret(RET_KILL_PROCESS); // another ABI (i386 through int 0x80, arm32): none of the numbers below apply
  label('arch_ok');
  ld(NR);
  if (arch === 'x64') steps.push({ code: BPF_JGE_K, k: X32_SYSCALL_BIT, jt: 'deny' });
  for (const name of Object.keys(DENIED)) {
    const n = nr[name];
    if (n !== undefined) jeq(n, { jt: 'deny' });
  }
  // ioctl: look at the request (the accumulator still holds the syscall number when jumping past).
  jeq(nr.ioctl as number, { jf: 'not_ioctl' });
  ld(argLow(1));
  for (const k of Object.values(DENIED_IOCTLS)) jeq(k, { jt: 'deny' });
  ret(RET_ALLOW);
  label('not_ioctl');
  jeq(nr.personality as number, { jf: 'allow' });
  ld(argLow(0));
  for (const k of ALLOWED_PERSONALITIES) jeq(k, { jt: 'allow' });
  ret(RET_ERRNO | EPERM);
  label('allow');
  ret(RET_ALLOW);
  label('deny');
  ret(RET_ERRNO | EPERM);

  const at = new Map<string, number>();
  const prog: Step[] = [];
  for (const s of steps) {
    if ('label' in s) at.set(s.label, prog.length);
    else prog.push(s);
  }
  const offset = (from: number, target: string | undefined) => {
    if (target === undefined) return 0;
    const to = at.get(target);
    if (to === undefined || to <= from || to - from - 1 > 255) throw new Error(`bad seccomp jump to ${target}`);
    return to - from - 1;
  };
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((s, i) => {
    buf.writeUInt16LE(s.code, i * 8);
    buf.writeUInt8(offset(i, s.jt), i * 8 + 2);
    buf.writeUInt8(offset(i, s.jf), i * 8 + 3);
    buf.writeUInt32LE(s.k >>> 0, i * 8 + 4);
  });
  return buf;
}
