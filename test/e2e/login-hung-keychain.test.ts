import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { loadKeytar } from '../helpers/secret-service.js';
import { requireSystem } from '../helpers/system.js';

/** A wedged session bus must not keep `disco login` alive after it has finished (it used to hang). */
describe.runIf(requireSystem('keytar (OS keychain)', loadKeytar() !== undefined))(
  'disco login with a hung keychain',
  () => {
    let bus: net.Server;
    let socket = '';
    let t: TestDaemon;
    beforeAll(async () => {
      t = await startTestDaemon();
      socket = path.join(await tempDir('silent-bus-'), 'bus');
      bus = net.createServer((c) => c.on('data', () => {}));
      await new Promise<void>((resolve) => bus.listen(socket, resolve));
    });
    afterAll(async () => {
      bus.close();
      await t.stop();
    });

    it('falls back to the file, says so, and exits', async () => {
      const home = await tempDir('disco-hung-');
      const started = Date.now();
      const r = await disco(['login', '--json'], {
        DISCO_HOME: home,
        DISCO_URL: t.url,
        DISCO_ADMIN_TOKEN: t.token,
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.stderr).toContain('notice: no OS keychain reachable (timed out)');
      expect(JSON.parse(r.stdout)).toMatchObject({ credentials: 'file', user: { name: 'admin' } });
    });
  },
);
