import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

/**
 * Takes a copy of the supervisor's stdout (a socket, so /proc/<pid>/fd cannot open it) with pidfd_getfd,
 * which a process of the same uid in the same pid namespace may call, and writes argv[1] to it: a list of
 * frames, or `endless` for 64 MiB without a newline. Prints `wrote` when everything was written.
 */
const ATTACKER = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = next(int(d) for d in os.listdir('/proc') if d.isdigit() and b'supervisor.cjs' in open('/proc/%s/cmdline' % d, 'rb').read())
fd = libc.syscall(438, libc.syscall(434, pid, 0), 1, 0)
if fd < 0:
    print('pidfd_getfd failed', ctypes.get_errno()); sys.exit(1)
os.set_blocking(fd, True)
if sys.argv[1] == 'endless':
    chunk = b'a' * 65536
    for _ in range(1024):
        os.write(fd, chunk)
else:
    os.write(fd, sys.argv[1].encode())
print('wrote')
`;

/**
 * The attack: a process in a container writes to its supervisor's pipe (it may: same uid, same pid
 * namespace) to forge frames or to feed the daemon one endless line.
 */
describe.runIf(hasBwrap)("a container's processes writing to their supervisor's pipe", () => {
  let t: TestDaemon;
  const run = async (command: string) =>
    (await t.json('POST', '/api/v1/terminal/execute', { container: 'noisy', command, shell: true, timeoutMs: 30_000 }))
      .body;

  beforeAll(async () => {
    // Node starts the processes here: under the native spawner, pidfd_open of the supervisor is refused
    // (spawner.test.ts), and the daemon's own validation of frames is what this file attacks.
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap', DISCO_SANDBOX_SPAWNER: 'node' });
    await t.json('POST', '/api/v1/containers', { name: 'noisy', network: 'off' });
    await t.json('PUT', '/api/v1/containers/noisy/files/content', { path: 'attack.py', content: ATTACKER });
  });
  afterAll(() => t.stop());

  it('cannot make the daemon throw with frames of the wrong shape', async () => {
    const forged = [
      // The attacker's own process is one of the first ids of this sandbox (ids count up from 1, base 36).
      ...Array.from({ length: 36 }, (_, i) => `{"t":"out","id":"${(i + 1).toString(36)}","s":1,"d":{}}`),
      '{"t":"exit","id":{"x":1},"code":"zero","signal":[]}',
      '{"t":"ports","req":1,"list":[{"port":{}}]}',
      '[1,2,3]',
      'null',
    ];
    const r = await run(`python3 attack.py '${forged.join('\n')}\n'`);
    expect(r.stdout).toBe('wrote\n');
    expect((await run('echo still here')).stdout).toBe('still here\n');
  });

  it('cannot grow the daemon with an endless line: the sandbox is ended instead', async () => {
    global.gc?.();
    const before = process.memoryUsage();
    const r = await run('python3 attack.py endless');
    const after = process.memoryUsage();
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    expect(grown).toBeLessThan(32 * 1024 * 1024);
    // The writer was in the sandbox that ended: it did not finish its write.
    expect(r.stdout).not.toBe('wrote\n');
    expect((await run('echo fresh sandbox')).stdout).toBe('fresh sandbox\n');
  });
});
