import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A TCP socket in LISTEN state, as /proc/net/tcp{,6} shows it. */
export interface ProcListener {
  inode: number;
  address: string;
  port: number;
}

const TCP_LISTEN = '0A';

/** Decodes the little-endian hex address of /proc/net/tcp (IPv4) or tcp6 (IPv6). */
function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const n = Number.parseInt(hex, 16);
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
  }
  // Four 32-bit words, each little-endian.
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = word.match(/../g)?.reverse().join('') ?? '';
    groups.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  const full = groups.map((g) => g.replace(/^0+(?=.)/, '').toLowerCase());
  if (full.slice(0, 5).every((g) => g === '0') && full[5] === 'ffff') {
    // IPv4-mapped
    const v4 = Number.parseInt(`${groups[6] ?? ''}${groups[7] ?? ''}`, 16);
    return `::ffff:${[v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff].join('.')}`;
  }
  if (full.every((g) => g === '0')) return '::';
  if (full.slice(0, 7).every((g) => g === '0') && full[7] === '1') return '::1';
  return full.join(':');
}

/** Listening TCP sockets of a network namespace (`base` is `/proc/net` or `/proc/<pid>/net`). */
export function listeningSockets(base = '/proc/net'): ProcListener[] {
  const out: ProcListener[] = [];
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`${base}/${file}`, 'latin1');
    } catch {
      continue; // no IPv6 here
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
      const [addr, port] = (f[1] ?? '').split(':');
      const inode = Number(f[9]);
      if (!addr || !port || !inode) continue;
      out.push({ inode, address: decodeAddress(addr), port: Number.parseInt(port, 16) });
    }
  }
  return out;
}

/** Socket inodes a process holds open (`socket:[N]` links in /proc/<pid>/fd); empty when unreadable. */
export function socketInodes(pid: number): number[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: number[] = [];
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.push(Number(link.slice(8, -1)));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** The network namespace of a process (`net:[N]`), or undefined when it is gone or unreadable. */
export function netNamespace(pid: number | 'self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** The command line of a process, arguments joined by spaces, cut at 200 characters. */
export function commandLine(pid: number): string | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    const text = raw.split('\0').filter(Boolean).join(' ');
    return text ? text.slice(0, 200) : null;
  } catch {
    return null;
  }
}
