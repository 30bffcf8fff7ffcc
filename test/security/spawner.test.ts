import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildEnd } from '../../src/daemon/sandbox/child.js';
import { ContainerSandbox } from '../../src/daemon/sandbox/container-sandbox.js';
import { withSpawnerArgv } from '../../src/daemon/sandbox/native-spawner.js';
import { SPAWNER_BINARY } from '../../src/daemon/sandbox/pool.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));
// `npm run build` compiles it with cc; CI always has one (better-sqlite3 compiles with it).
const hasSpawner = requireSystem('the native spawner (npm run build with cc)', existsSync(SPAWNER_BINARY));

/**
 * From inside a container: finds the supervisor and the native spawner (its child) and tries every way
 * a process of the same uid has to signal them or take their file descriptors. Prints one line per try.
 */
const ATTACKER = `
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
def pid_of(test):
    for d in sorted(os.listdir('/proc')):
        if not d.isdigit(): continue
        try:
            argv = open('/proc/%s/cmdline' % d, 'rb').read().split(b'\\0')
        except OSError: continue
        if test(argv): return int(d)
sup = pid_of(lambda a: len(a) > 1 and a[1].endswith(b'/supervisor.cjs'))
sp = pid_of(lambda a: a[0].endswith(b'/disco-spawner'))
def try_(label, f):
    try:
        r = f()
        print(label, 'ok' if r is None or r >= 0 else 'refused %d' % ctypes.get_errno())
    except OSError as e:
        print(label, 'refused %d' % e.errno)
for who, pid in (('spawner', sp), ('supervisor', sup)):
    try_(who + ' kill TERM', lambda: os.kill(pid, signal.SIGTERM))
    try_(who + ' kill group', lambda: os.kill(-pid, signal.SIGKILL))
    try_(who + ' tgkill', lambda: libc.syscall(234, pid, pid, 9))
    try_(who + ' sigqueue', lambda: libc.syscall(129, pid, 9, ctypes.create_string_buffer(128)))
    try_(who + ' pidfd_open', lambda: libc.syscall(434, pid, 0))
try_('spawner tkill', lambda: libc.syscall(200, sp, 9))
try_('everyone kill -1', lambda: os.kill(-1, signal.SIGKILL))
try_('spawner fds', lambda: os.listdir('/proc/%d/fd' % sp) and None)
import fcntl, socket
a, b = socket.socketpair()
try_('spawner F_SETOWN', lambda: fcntl.fcntl(a.fileno(), fcntl.F_SETOWN, sp))
try_('own F_SETOWN', lambda: fcntl.fcntl(a.fileno(), fcntl.F_SETOWN, os.getpid()))
try_('own kill 0', lambda: os.kill(os.getpid(), 0))
`;

/**
 * The attack: a process in a container goes for the program that starts every process of the container
 * (and the supervisor that feeds it), to kill it, forge its requests or start processes outside its limits.
 */
describe.runIf(hasBwrap && hasSpawner)("a container's processes against the native spawner", () => {
  let t: TestDaemon;
  const run = async (command: string) =>
    (
      await t.json('POST', '/api/v1/terminal/execute', {
        container: 'hostile',
        command,
        shell: true,
        timeoutMs: 30_000,
      })
    ).body;

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap', DISCO_LIMIT_CPU_SECONDS: '7' });
    await t.json('POST', '/api/v1/containers', { name: 'hostile', network: 'off' });
    await t.json('PUT', '/api/v1/containers/hostile/files/content', { path: 'attack.py', content: ATTACKER });
  });
  afterAll(() => t.stop());

  it('is the one that starts processes here', async () => {
    await run('true');
    const health = (await t.json('GET', '/health')).body;
    expect(health.checks.sandbox.spawner).toMatchObject({ path: 'native' });
  });

  it('cannot be signalled, nor can the supervisor, nor can their descriptors be taken', async () => {
    const r = await run('python3 attack.py');
    expect(r.stderr).toBe('');
    const out = r.stdout as string;
    for (const who of ['spawner', 'supervisor']) {
      for (const how of ['kill TERM', 'kill group', 'tgkill', 'sigqueue', 'pidfd_open']) {
        expect(out).toContain(`${who} ${how} refused 1`);
      }
    }
    expect(out).toContain('spawner tkill refused 1');
    expect(out).toContain('everyone kill -1 refused 1');
    expect(out).toContain('spawner fds refused 13'); // not dumpable: its /proc fd directory is closed
    expect(out).toContain('spawner F_SETOWN refused 1');
    // What a process may do to itself still works.
    expect(out).toContain('own F_SETOWN ok');
    expect(out).toContain('own kill 0 ok');
    expect((await run('echo still here')).stdout).toBe('still here\n');
  });

  it('starts each process in its own session and group, under the CPU limit it cannot raise', async () => {
    const r = await run(
      'ps -o pid=,pgid=,sid= -p $$; ulimit -Ht; ulimit -St; (ulimit -t unlimited && echo raised) 2>/dev/null || echo kept',
    );
    const [ids, hard, soft, kept] = (r.stdout as string).trim().split('\n');
    const [pid, pgid, sid] = (ids ?? '').trim().split(/\s+/);
    expect(pgid).toBe(pid);
    expect(sid).toBe(pid);
    expect([hard, soft, kept]).toEqual(['7', '7', 'kept']);
  });

  it('kills what a command leaves behind in its group when it exits, and its stdin streams', async () => {
    const started = await run('sleep 300 & echo $!');
    const left = (started.stdout as string).trim();
    expect(left).toMatch(/^\d+$/);
    // Gone, or a zombie its new parent (the sandbox's init) has not reaped yet.
    const check = await run(
      `for i in $(seq 50); do grep -qs '^State:.[^Z]' /proc/${left}/status || { echo gone; exit; }; sleep 0.1; done; echo alive`,
    );
    expect(check.stdout).toBe('gone\n');
    const cat = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'hostile',
      command: ['cat'],
      stdin: 'fed through the spawner\n',
    });
    expect(cat.body.stdout).toBe('fed through the spawner\n');
    const sig = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'hostile',
      command: 'kill -TERM $$',
      shell: true,
    });
    expect(sig.body).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    const missing = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'hostile',
      command: ['no-such-cmd'],
    });
    expect(missing.body.error?.code ?? missing.body.code).toBe('command_not_found');
  });
});

/**
 * Runs the spawner binary with `input` on its stdin, which is closed (the spawner then ends what still
 * runs, and exits) once the exits of `ids` were reported; resolves with its stdout lines.
 */
function drive(input: string | Buffer, ids: string[]): Promise<{ lines: string[]; code: number | null }> {
  return new Promise((resolve, reject) => {
    const c = spawn(SPAWNER_BINARY, ['0'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (ids.every((id) => out.includes(`{"t":"exit","id":"${id}"`))) c.stdin.end();
    });
    c.once('error', reject);
    c.once('exit', (code) => resolve({ lines: out.trim().split('\n'), code }));
    c.stdin.on('error', () => {});
    c.stdin.write(input);
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const spawnLine = (id: string, argv: string[], env = ['PATH=/usr/bin:/bin']) =>
  `S ${id} 0 ${b64('/')} ${argv.length} ${argv.map(b64).join(' ')} ${env.length} ${env.map(b64).join(' ')}\n`;

/** The spawner reads its requests from a pipe a hostile process may reach: malformed frames do nothing. */
describe.runIf(hasSpawner)('malformed frames to the native spawner', () => {
  it('drops each malformed request, answers an error for a bad start it can name, and keeps working', async () => {
    const bad = [
      'garbage\n',
      '\n',
      'S\n',
      'S ../../etc 0 Lw== 1 dHJ1ZQ== 0\n', // an id that is not [A-Za-z0-9_-]
      `S ${'x'.repeat(65)} 0 Lw== 1 dHJ1ZQ== 0\n`, // too long an id
      'S a1 2 Lw== 1 dHJ1ZQ== 0\n', // stdin flag not 0/1
      'S a2 0 Lw== 5 dHJ1ZQ== 0\n', // argc larger than the fields
      'S a3 0 Lw== 1 dHJ1ZQ== 3 UEFUSD0v\n', // envc larger than the fields
      'S a4 0 Lw== 1 !!!! 0\n', // not base64
      `S a5 0 Lw== 1 ${b64('tr\0ue')} 0\n`, // a NUL inside an argument
      `S a6 0 Lw== 1 dHJ1ZQ== 1 ${b64('NOEQUALS')}\n`, // an env entry without =
      'S a7 0 Lw== 0 0\n', // no argv
      'S a8 0 Lw== 18446744073709551617 dHJ1ZQ== 0\n', // argc overflowing
      'K nobody 9\n', // an id it never started
      'K a1 0\n',
      'K a1 99\n',
      'K a1 -9\n',
      'I nobody aGk=\n',
      'E nobody\n',
      'X a1\n',
      `S big 0 Lw== 1 ${'A'.repeat(9 << 20)}\n`, // a line over its cap (dropped up to its newline)
    ].join('');
    const { lines, code } = await drive(`${bad}${spawnLine('ok', ['sh', '-c', 'echo survived'])}`, ['ok']);
    expect(code).toBe(0);
    const events = lines.map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ t: 'spawner' });
    // Starts it could name get an error (the daemon would otherwise wait for them); nothing was started.
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8']) {
      expect(events).toContainEqual(expect.objectContaining({ t: 'error', id, code: 'EINVAL' }));
    }
    expect(events.filter((e) => e.t === 'spawned').map((e) => e.id)).toEqual(['ok']);
    expect(events.filter((e) => e.t === 'log').length).toBeGreaterThanOrEqual(10);
    expect(events).toContainEqual({ t: 'out', id: 'ok', s: 1, d: b64('survived\n') });
    expect(events).toContainEqual({ t: 'exit', id: 'ok', code: 0, signal: null });
    // Every line is one JSON object (nothing an attacker sent was echoed into the stream).
    for (const l of lines) expect(l.startsWith('{') && l.endsWith('}')).toBe(true);
  });

  it('refuses a second process under an id that runs, and random bytes do not crash it', async () => {
    const noise = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919 + 13) % 256));
    const { lines, code } = await drive(
      Buffer.concat([
        Buffer.from(spawnLine('dup', ['sleep', '0.2']) + spawnLine('dup', ['true'])),
        noise,
        Buffer.from(`\n${spawnLine('after', ['true'])}`),
      ]),
      ['dup', 'after'],
    );
    expect(code).toBe(0);
    const events = lines.map((l) => JSON.parse(l));
    expect(events.filter((e) => e.t === 'spawned').map((e) => e.id)).toEqual(['dup', 'after']);
    expect(events).toContainEqual({ t: 'exit', id: 'after', code: 0, signal: null });
    expect(events).toContainEqual({ t: 'exit', id: 'dup', code: 0, signal: null });
  });
});

/** A sandbox's first processes as the pool starts them (outside bwrap here): `spawner` beside the supervisor. */
function firstProcesses(spawner: string): ContainerSandbox {
  const file = new URL('../../src/daemon/sandbox/supervisor.cjs', import.meta.url).pathname;
  const config = JSON.stringify({ socket: '/nonexistent', egressPort: 0 });
  const argv = withSpawnerArgv('/bin/sh', spawner, 0, 0, [process.execPath, file, config]);
  return new ContainerSandbox('c1', '/', 'host', argv, {}, (a) => a, true);
}

/** Runs `argv` in `box`: its stdout and how it ended. */
async function runIn(box: ContainerSandbox, argv: string[]): Promise<{ out: string; end: ChildEnd }> {
  const child = await box.spawn({ argv, cwd: '/', env: { PATH: '/usr/bin:/bin' }, stdin: false });
  let out = '';
  child.stderr.resume();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const end = await new Promise<ChildEnd>((resolve) => child.onClose(resolve));
  return { out, end };
}

/** Who starts processes once `box` is ready, and one spawned `echo`. */
async function supervise(spawner: string): Promise<{ spawner: ContainerSandbox['spawner']; out: string }> {
  const box = firstProcesses(spawner);
  try {
    await box.ready;
    const { out } = await runIn(box, ['echo', 'hi']);
    return { spawner: box.spawner, out };
  } finally {
    box.stop();
  }
}

describe('the daemon choosing who starts processes in a sandbox', () => {
  it('falls back to Node when the spawner fails its self-check, and says why', async () => {
    const r = await supervise('/bin/false');
    expect(r.spawner).toMatchObject({ path: 'node', reason: expect.stringContaining('self-check') });
    expect(r.out).toBe('hi\n');
  });

  it.runIf(hasSpawner)('uses the native spawner when it passes', async () => {
    const r = await supervise(SPAWNER_BINARY);
    expect(r.spawner).toEqual({ path: 'native' });
    expect(r.out).toBe('hi\n');
  });

  it.runIf(hasSpawner)(
    'reports what a killed spawner ran as killed, and starts later processes from Node',
    async () => {
      const box = firstProcesses(SPAWNER_BINARY);
      try {
        await box.ready;
        await box.supervisorReady;
        const sleeping = runIn(box, ['sleep', '30']);
        await new Promise((r) => setTimeout(r, 200));
        const spawner = execFileSync('pgrep', ['-P', String(box.hostPid), '-x', 'disco-spawner'], { encoding: 'utf8' });
        process.kill(Number(spawner.trim()), 'SIGKILL');
        expect((await sleeping).end).toEqual({ code: null, signal: 'SIGKILL', lost: false });
        expect(await runIn(box, ['echo', 'after'])).toMatchObject({ out: 'after\n', end: { code: 0 } });
        expect(box.spawner).toMatchObject({ path: 'node', reason: 'the native spawner ended' });
      } finally {
        box.stop();
      }
    },
  );
});
