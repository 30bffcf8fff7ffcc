import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS_FILE, openLoginStore } from '../../src/cli/login-store.js';
import { tempDir } from '../helpers/daemon.js';
import { loadKeytar } from '../helpers/secret-service.js';
import { requireSystem } from '../helpers/system.js';

/**
 * A session bus that accepts connections and never answers (a wedged D-Bus or Secret Service): the store
 * must give up on the keychain after its probe timeout and use the 0600 file, saying why in one line.
 * Runs in its own test file because the stuck keytar call keeps this worker's D-Bus connection busy.
 */
describe.runIf(requireSystem('keytar (OS keychain)', loadKeytar() !== undefined))(
  'login store when the keychain hangs',
  () => {
    let bus: net.Server;
    beforeAll(async () => {
      const dir = await tempDir('silent-bus-');
      const socket = path.join(dir, 'bus');
      bus = net.createServer((c) => c.on('data', () => {}));
      await new Promise<void>((resolve) => bus.listen(socket, resolve));
      process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${socket}`;
    });
    afterAll(() => {
      bus.close();
    });

    it('falls back to the file within the probe timeout', async () => {
      const home = await tempDir('login-store-hung-');
      const started = Date.now();
      const store = await openLoginStore(home);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(store.backend).toBe('file');
      expect(store.notice).toBe(
        `notice: no OS keychain reachable (timed out); credentials are kept in ${path.join(home, CREDENTIALS_FILE)} (mode 0600)`,
      );
    });
  },
);
