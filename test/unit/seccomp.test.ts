import { describe, expect, it } from 'vitest';
import {
  ALLOWED_PERSONALITIES,
  AUDIT_ARCH,
  buildSeccompFilter,
  DENIED,
  type SeccompArch,
  seccompArch,
} from '../../src/daemon/workspace/seccomp.js';

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const KILL = 0x80000000;

/** A classic-BPF interpreter for the few instructions the filter uses, over a seccomp_data. */
function run(prog: Buffer, data: { nr: number; arch: number; args?: number[] }): number {
  const word = (offset: number): number => {
    if (offset === 0) return data.nr >>> 0;
    if (offset === 4) return data.arch >>> 0;
    const arg = (offset - 16) / 8;
    const v = BigInt(data.args?.[Math.floor(arg)] ?? 0);
    return Number(Number.isInteger(arg) ? v & 0xffffffffn : v >> 32n);
  };
  let acc = 0;
  for (let pc = 0; pc < prog.length / 8; pc++) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = word(k);
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x35) pc += acc >= k ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected opcode ${code}`);
  }
  throw new Error('fell off the end of the program');
}

const NUMBERS: Record<SeccompArch, Record<string, number>> = {
  x64: { read: 0, write: 1, openat: 257, clone: 56, keyctl: 250, bpf: 321, ioctl: 16, personality: 135, mount: 165 },
  arm64: { read: 63, write: 64, openat: 56, clone: 220, keyctl: 219, bpf: 280, ioctl: 29, personality: 92, mount: 40 },
};

describe.each(['x64', 'arm64'] as const)('the seccomp filter for %s', (arch) => {
  const prog = buildSeccompFilter(arch);
  const nr = NUMBERS[arch];
  const call = (n: number, args: number[] = []) => run(prog, { nr: n, arch: AUDIT_ARCH[arch], args });

  it('is a whole number of 8-byte instructions, within the kernel limit', () => {
    expect(prog.length % 8).toBe(0);
    expect(prog.length / 8).toBeLessThan(4096);
  });

  it('allows ordinary syscalls', () => {
    for (const name of ['read', 'write', 'openat', 'clone']) expect(call(nr[name] as number), name).toBe(ALLOW);
  });

  it('refuses the deny-list with EPERM', () => {
    for (const name of ['keyctl', 'bpf', 'mount']) expect(call(nr[name] as number), name).toBe(EPERM);
    expect(Object.keys(DENIED).length).toBeGreaterThan(30);
  });

  it('kills a process entering through another ABI', () => {
    expect(run(prog, { nr: nr.read as number, arch: 0x40000003 })).toBe(KILL); // i386
  });

  it('refuses TIOCSTI and TIOCLINUX, even with high bits set, and allows other ioctls', () => {
    expect(call(nr.ioctl as number, [0, 0x5412])).toBe(EPERM);
    expect(call(nr.ioctl as number, [0, 0x541c])).toBe(EPERM);
    expect(call(nr.ioctl as number, [0, 0x1_0000_5412])).toBe(EPERM);
    expect(call(nr.ioctl as number, [0, 0x5401])).toBe(ALLOW); // TCGETS
  });

  it('allows only harmless personalities', () => {
    for (const p of ALLOWED_PERSONALITIES) expect(call(nr.personality as number, [p])).toBe(ALLOW);
    expect(call(nr.personality as number, [0x0040000])).toBe(EPERM); // ADDR_NO_RANDOMIZE
    expect(call(nr.personality as number, [0x0400000])).toBe(EPERM); // READ_IMPLIES_EXEC
  });
});

describe('the seccomp filter', () => {
  it('refuses the x32 ABI on x86_64', () => {
    const prog = buildSeccompFilter('x64');
    expect(run(prog, { nr: 0x40000000 + 39, arch: AUDIT_ARCH.x64 })).toBe(EPERM);
  });

  it('exists only for the arches it has syscall tables for', () => {
    expect(seccompArch('x64')).toBe('x64');
    expect(seccompArch('arm64')).toBe('arm64');
    expect(seccompArch('riscv64')).toBeUndefined();
    expect(seccompArch('ia32')).toBeUndefined();
  });
});
