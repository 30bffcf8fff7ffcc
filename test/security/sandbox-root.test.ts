import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { waitUntil } from '../helpers/procs.js';
import { hasCommand, requireSystem } from '../helpers/system.js';
import { TerminalProbe } from '../helpers/terminal.js';

/**
 * Item 1 of the security review, performed for real: a command of a container tries to become (or act
 * as) root on the host. Run as root these attacks succeeded before the sandbox dropped to its own uid.
 */
const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));
const daemonIsRoot = process.getuid?.() === 0;
const CORE_PATTERN = '/proc/sys/kernel/core_pattern';

/** Host pids whose command line contains `needle`. */
function hostPids(needle: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle)) out.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** The real, effective, saved and file-system uids of a host process. */
const uidsOf = (pid: number) =>
  (readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(.*)$/m)?.[1] ?? '').split(/\s+/).map(Number);

/** A python3 one-liner calling raw syscalls; prints `name=errno` for each (0 when the call succeeded). */
const syscalls = (calls: Record<string, string>) =>
  `/usr/bin/python3 -c 'import ctypes; l = ctypes.CDLL(None, use_errno=True); s = l.syscall
${Object.entries(calls)
  .map(([name, call]) => `r = ${call}; print("${name}=" + str(ctypes.get_errno() if r == -1 else 0))`)
  .join('\n')}'`;

describe.runIf(hasBwrap)('a command cannot act as host root', () => {
  let t: TestDaemon;
  let root: string;
  const savedCorePattern = readFileSync(CORE_PATTERN, 'utf8');
  const run = async (command: string) =>
    (await t.json('POST', '/api/v1/terminal/execute', { container: 'box', command, shell: true })).body;

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap' });
    root = path.join(t.home, 'containers', (await t.json('POST', '/api/v1/containers', { name: 'box' })).body.id);
  });
  afterAll(async () => {
    // A broken sandbox lets the attack through: never leave the host's core_pattern changed.
    if (readFileSync(CORE_PATTERN, 'utf8') !== savedCorePattern) writeFileSync(CORE_PATTERN, savedCorePattern);
    await t?.stop();
  });

  it('runs commands under an unprivileged uid on the host (seen from the host)', async () => {
    const marker = `sleep 29.${String(Date.now()).slice(-6)}`;
    await t.json('POST', '/api/v1/terminal/execute', {
      container: 'box',
      command: marker.split(' '),
      background: true,
    });
    expect(await waitUntil(() => hostPids(marker).length > 0)).toBe(true);
    for (const pid of hostPids(marker)) {
      const uids = uidsOf(pid);
      if (daemonIsRoot) for (const uid of uids) expect(uid).not.toBe(0);
      else for (const uid of uids) expect(uid).toBe(process.getuid?.());
    }
    await run(`pkill -f '${marker}' || true`);
  });

  it('leaves files it writes owned by that uid, and the workspace root writable by it', async () => {
    const r = await run('echo mine > written-by-command.txt && mkdir made-by-command && echo ok');
    expect(r.stdout).toBe('ok\n');
    const file = await lstat(path.join(root, 'written-by-command.txt'));
    const dir = await lstat(root);
    if (daemonIsRoot) {
      expect(file.uid).not.toBe(0);
      expect(dir.uid).toBe(file.uid);
    } else {
      expect(file.uid).toBe(process.getuid?.());
    }
  });

  it('gets template files it can change (warm pool or not)', async () => {
    const made = (await t.json('POST', '/api/v1/containers', { name: 'from-template', template: 'node' })).body;
    const r = (
      await t.json('POST', '/api/v1/terminal/execute', {
        container: 'from-template',
        command: 'echo "// edited" >> index.js && rm .gitignore && echo ok',
        shell: true,
      })
    ).body;
    expect(r.stdout, r.stderr).toBe('ok\n');
    const pkg = await lstat(path.join(t.home, 'containers', made.id, 'package.json'));
    if (daemonIsRoot) expect(pkg.uid).not.toBe(0);
  });

  it('cannot rewrite kernel.core_pattern (the core-dump-handler escape)', async () => {
    const r = await run(`echo '|/bin/sh -c "id > /tmp/pwned"' > ${CORE_PATTERN} 2>&1; echo "rc=$?"`);
    const after = readFileSync(CORE_PATTERN, 'utf8');
    if (after !== savedCorePattern) writeFileSync(CORE_PATTERN, savedCorePattern);
    expect(after).toBe(savedCorePattern);
    expect(r.stdout).toMatch(/rc=[1-9]/);
    expect(`${r.stdout}${r.stderr}`).toMatch(/Read-only file system|Permission denied/);
  });

  it('sees /proc/sys read-only', async () => {
    const r = await run('grep -E " /proc/sys " /proc/self/mounts');
    expect(r.stdout).toMatch(/ \/proc\/sys proc ro,/);
  });

  it('cannot create a user namespace (no nested sandboxes, no fresh capabilities)', async () => {
    const r = await run('unshare -U true 2>&1; echo "user=$?"; unshare -r id -u 2>&1; echo "map-root=$?"');
    expect(r.stdout).toMatch(/user=[1-9]/);
    expect(r.stdout).toMatch(/map-root=[1-9]/);
    expect(r.stdout).not.toMatch(/^0$/m);
  });

  it('holds no capabilities at all', async () => {
    const r = await run('grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status');
    const caps = r.stdout.trim().split('\n');
    expect(caps).toHaveLength(5);
    for (const line of caps) expect(line).toMatch(/:\s+0{16}$/);
  });

  it('runs under the seccomp filter: the deny-list fails with EPERM', async () => {
    const r = await run(
      `grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; ${syscalls({
        // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create): works for any uid without the filter
        keyctl: 's(250, 0, -3, 1)',
        // add_key("user", "disco", "x", 1, KEY_SPEC_PROCESS_KEYRING)
        add_key: 's(248, b"user", b"disco", b"x", 1, -2)',
        // io_uring_setup(1, params)
        io_uring_setup: 's(425, 1, ctypes.create_string_buffer(120))',
        // open_by_handle_at(AT_FDCWD, handle, O_RDONLY): the "shocker" escape
        open_by_handle_at: 's(304, -100, ctypes.create_string_buffer(16), 0)',
        // unshare(CLONE_NEWNS)
        unshare: 's(272, 0x20000)',
        // mount("none", "/tmp", "tmpfs", 0, 0)
        mount: 's(165, b"none", b"/tmp", b"tmpfs", 0, 0)',
        bpf: 's(321, 0, 0, 0)',
        perf_event_open: 's(298, ctypes.create_string_buffer(128), 0, -1, -1, 0)',
        // personality(ADDR_NO_RANDOMIZE): turning ASLR off for what it runs next
        personality: 's(135, 0x0040000)',
        // the x32 ABI's getpid: another syscall table, which the numbers above would not cover
        x32: 's(0x40000000 + 39)',
      })}`,
    );
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    for (const name of [
      'keyctl',
      'add_key',
      'io_uring_setup',
      'open_by_handle_at',
      'unshare',
      'mount',
      'bpf',
      'perf_event_open',
      'personality',
      'x32',
    ]) {
      expect(r.stdout, name).toMatch(new RegExp(`^${name}=1$`, 'm'));
    }
  });

  it('keeps ordinary programs working under the filter', async () => {
    const r = await run(
      'node -e "console.log(require(\'os\').cpus().length > 0)" && git --version >/dev/null && echo ok',
    );
    expect(r.stdout).toBe('true\nok\n');
  });

  it('cannot inject keystrokes into its terminal with TIOCSTI', async () => {
    const probe = await TerminalProbe.connect(t.url, t.token);
    try {
      const opened = await probe.client.open({ container: 'box' });
      const id = opened.terminal.id;
      probe.take(id, opened);
      const tiocsti =
        '/usr/bin/python3 -c \'import fcntl, termios\ntry:\n  fcntl.ioctl(0, termios.TIOCSTI, b"#")\n  print("TIOCSTI-" + "ALLOWED")\nexcept OSError as e:\n  print("TIOCSTI-" + "DENIED", e.errno)\'';
      await probe.client.input(id, `${tiocsti}\r`);
      const out = await probe.waitFor(id, /TIOCSTI-(ALLOWED|DENIED)/);
      expect(out).toMatch(/TIOCSTI-DENIED 1/);
    } finally {
      probe.close();
    }
  });
});
