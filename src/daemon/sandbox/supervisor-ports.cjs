'use strict';
/*
 * The listening TCP ports of the sandbox's network namespace, read from /proc/net/tcp{,6}, with the
 * process that holds each (its /proc/<pid>/fd links). Part of the supervisor (supervisor.cjs requires it
 * from beside itself, in the sandbox's read-only lib directory): node: builtins only.
 */
const fs = require('node:fs');

/** A read shorter than a page's worth of lines (150 bytes each) means the kernel reached the end. */
const SHORT_READ = 4096 - 2 * 150;
/** A socket line whose state is not listening (0A): the listening part is over. */
const NOT_LISTENING = /^ *\d+: \S+ \S+ (?!0A)[0-9A-F]{2} /m;
const netBuf = Buffer.alloc(64 * 1024);

/**
 * The listening part of /proc/net/tcp or tcp6 (the kernel lists listening sockets first). Perf: a read
 * that reaches the end walks the host's whole established-socket table (~5-10 ms here), and readFileSync
 * does it twice; this stops at the first line that is not listening or at a short read: usually one read.
 */
function readListening(file) {
  const fd = fs.openSync(file, 'r');
  try {
    let text = '';
    for (;;) {
      const n = fs.readSync(fd, netBuf, 0, netBuf.length, null);
      const chunk = netBuf.toString('latin1', 0, n);
      text += chunk;
      if (n <= SHORT_READ || NOT_LISTENING.test(chunk)) return text;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function listeningInodes(skipPort) {
  const found = new Map(); // inode -> {port, address}
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ]) {
    let text = '';
    try {
      text = readListening(file);
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      const [addrHex, portHex] = f[1].split(':');
      const port = Number.parseInt(portHex, 16);
      if (port === skipPort) continue;
      found.set(f[9], { port, address: v6 ? v6Address(addrHex) : v4Address(addrHex) });
    }
  }
  return found;
}

function v4Address(hex) {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255].join('.');
}

function v6Address(hex) {
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex.startsWith('0000000000000000FFFF0000')) return v4Address(hex.slice(24));
  return 'v6';
}

/** The TCP ports listening in this network namespace but `skipPort`, each with the process that owns it. */
function listening(skipPort) {
  const inodes = listeningInodes(skipPort);
  const owners = new Map();
  if (inodes.size > 0) {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      let fds = [];
      try {
        fds = fs.readdirSync(`/proc/${name}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let link = '';
        try {
          link = fs.readlinkSync(`/proc/${name}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1]) && !owners.has(m[1])) owners.set(m[1], Number(name));
      }
    }
  }
  const byPort = new Map();
  for (const [inode, { port, address }] of inodes) {
    const pid = owners.get(inode) ?? null;
    let command = null;
    if (pid !== null) {
      try {
        command = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        // exited
      }
    }
    const prev = byPort.get(port);
    if (!prev || (prev.pid === null && pid !== null)) byPort.set(port, { port, address, pid, command });
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

module.exports = { listening };
