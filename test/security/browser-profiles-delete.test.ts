import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));
const hasPython = requireSystem('python3', hasCommand('python3', ['--version']));

/**
 * The attack: a container's browser profiles (`$DISCO_HOME/browser/<container>`) are bound read-write at
 * /run/disco/browser, and deleting the container removes that directory on the host. A process of the
 * container leaves its process group (a kill of the command's group misses it) and fills the profiles with
 * a directory `d` of many files, some named like files of a host directory. It waits (inotify) for the
 * delete to unlink the first one, then swaps `d` with a symlink to the host directory (renameat2
 * RENAME_EXCHANGE). A delete that walks the tree by name (readdir `d`, then lstat and unlink `d/<child>`)
 * unlinks the rest of those names in the host directory.
 */
const SWAPPER = `
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
os.chdir('/run/disco/browser')
target, names = sys.argv[1], sys.argv[2].split(',')
os.mkdir('d')
for i in range(3000):
    open('d/filler-%d' % i, 'w').close()
for n in names:
    open('d/' + n, 'w').close()
if os.fork():
    while not os.path.exists('ready'):
        time.sleep(0.02)
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
null = os.open('/dev/null', os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
ino = libc.inotify_init()
libc.inotify_add_watch(ino, b'd', 0x200)  # IN_DELETE
open('ready', 'w').close()
os.read(ino, 4096)
os.symlink(target, 'l')
libc.renameat2(-100, b'd', -100, b'l', 2)  # RENAME_EXCHANGE
time.sleep(60)
`;

describe.runIf(hasBwrap && hasPython)('deleting a container whose browser profiles are being swapped', () => {
  let t: TestDaemon;
  let hostDir: string;
  const hostFiles = Array.from({ length: 40 }, (_, i) => `host-${i}.txt`);

  beforeAll(async () => {
    hostDir = await tempDir('disco-host-');
    for (const f of hostFiles) await writeFile(path.join(hostDir, f), `HOST-${randomBytes(4).toString('hex')}`);
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap', DISCO_POOL_SIZE: '0' });
  });

  afterAll(async () => {
    await t?.stop();
    await rm(hostDir, { recursive: true, force: true });
  });

  it('never deletes a file outside the profiles directory', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const c = (await t.json('POST', '/api/v1/containers', { name: `victim-${attempt}` })).body;
      const profiles = path.join(t.home, 'browser', c.id);
      expect(
        (await t.json('PUT', `/api/v1/containers/${c.id}/files/content`, { path: 'swap.py', content: SWAPPER })).status,
      ).toBe(200);
      const r = await t.json('POST', '/api/v1/terminal/execute', {
        container: c.id,
        command: ['python3', 'swap.py', hostDir, hostFiles.join(',')],
        timeoutMs: 30_000,
      });
      expect(r.body).toMatchObject({ exitCode: 0 });
      // Positive control: the attacker is in place, waiting for the delete.
      expect(await lstat(path.join(profiles, 'ready')).catch(() => undefined)).toBeDefined();
      const del = await t.json('DELETE', `/api/v1/containers/${c.id}`);
      expect(del.status).toBe(200);
      // The profiles go with the container (once its sandbox has ended), and nothing else does.
      let gone = false;
      for (const until = Date.now() + 10_000; !gone && Date.now() < until; await sleep(50)) {
        gone = (await lstat(profiles).catch(() => undefined)) === undefined;
      }
      expect((await readdir(hostDir)).sort()).toEqual([...hostFiles].sort());
      expect(gone).toBe(true);
    }
  }, 180_000);
});
