import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerSandbox } from '../../src/daemon/sandbox/container-sandbox.js';
import { ControlSocket } from '../../src/daemon/sandbox/control-socket.js';
import { withSpawnerArgv } from '../../src/daemon/sandbox/native-spawner.js';
import { SPAWNER_BINARY } from '../../src/daemon/sandbox/pool.js';
import { requireSystem } from '../helpers/system.js';

const hasSpawner = requireSystem('the native spawner (npm run build with cc)', existsSync(SPAWNER_BINARY));
const SUPERVISOR = new URL('../../src/daemon/sandbox/supervisor.cjs', import.meta.url).pathname;
const dir = mkdtempSync(path.join(os.tmpdir(), 'disco-egress-spawner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A sandbox's first processes as the pool starts them in `egress` mode (outside bwrap here, so the
 * "sandbox loopback" is the host's): the spawner and the supervisor, with the control socket at `ctl`.
 */
function firstProcesses(spawner: string, port: number, ctl: string): ContainerSandbox {
  const config = JSON.stringify({ socket: ctl, egressPort: port, egressLater: true });
  const argv = withSpawnerArgv('/bin/sh', spawner, 0, port, [process.execPath, SUPERVISOR, config]);
  return new ContainerSandbox('c1', '/', 'egress', argv, {}, (a) => a, true);
}

/**
 * Connects to the egress port and says `hello`; resolves with the first bytes a connection handed to the
 * daemon's side carries (`arrive` is given each one).
 */
async function through(port: number, arrive: (take: (conn: net.Socket) => void) => void): Promise<string> {
  const got = new Promise<string>((resolve) =>
    arrive((conn) => conn.once('data', (d: Buffer) => resolve(d.toString()))),
  );
  const client = net.connect(port, '127.0.0.1');
  client.on('error', () => {});
  client.write('hello');
  const text = await got;
  client.destroy();
  return text;
}

describe.runIf(hasSpawner)("the egress port of a container's sandbox", () => {
  it('is taken by the native spawner, which hands each connection to the daemon as it is', async () => {
    const port = await freePort();
    const box = firstProcesses(SPAWNER_BINARY, port, '/nonexistent');
    try {
      await box.ready;
      expect(box.spawner).toEqual({ path: 'native' });
      expect(await through(port, (take) => box.on('egress', take))).toBe('hello');
    } finally {
      box.stop();
    }
  });

  it('is taken by the supervisor (bridged to the control socket) when the spawner fails its check', async () => {
    const port = await freePort();
    let onEgress: (s: net.Socket) => void = (s) => s.destroy();
    const ctl = await ControlSocket.open(
      path.join(dir, 'ctl'),
      undefined,
      (c) => onEgress(c),
      () => false,
    );
    const box = firstProcesses('/bin/false', port, ctl.file);
    try {
      await box.ready;
      expect(box.spawner).toMatchObject({ path: 'node' });
      // The supervisor listens once told; it may take a moment after `ready`.
      for (let i = 0; i < 50; i++) {
        const open = await new Promise<boolean>((resolve) => {
          const c = net.connect(port, '127.0.0.1', () => {
            c.destroy();
            resolve(true);
          });
          c.once('error', () => resolve(false));
        });
        if (open) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(
        await through(port, (take) => {
          onEgress = take;
        }),
      ).toBe('hello');
    } finally {
      box.stop();
      ctl.close();
    }
  });
});
