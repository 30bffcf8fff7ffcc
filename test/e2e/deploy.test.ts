import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DISCO_BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';

const root = new URL('../../', import.meta.url);
const text = (file: string) => readFile(new URL(file, root), 'utf8');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('deployment', () => {
  it('starts with only PORT set (as the image does on Railway): 0.0.0.0:$PORT, /health and /ready answer', async () => {
    const home = await tempDir('disco-port-only-');
    const port = await freePort();
    // The image sets DISCO_HOME and HOME; the host adds PORT. Nothing else.
    const child = spawn(process.execPath, [DISCO_BIN, 'serve'], {
      env: childEnv({ HOME: home, DISCO_HOME: home, PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stop = async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(home, { recursive: true, force: true });
    };
    let logs = '';
    child.stdout.on('data', (c: Buffer) => {
      logs += c.toString();
    });
    const end = Date.now() + 15_000;
    while (!logs.includes('disco listening') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(logs).toContain('disco listening');
    expect(logs).toContain(`"url":"http://127.0.0.1:${port}"`); // bound to 0.0.0.0, advertised on loopback
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
  });

  it('has a non-root image with git, bubblewrap and $DISCO_HOME on a /data volume', async () => {
    const dockerfile = await text('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\n?[^\n]*git[^\n]*bubblewrap/);
    expect(dockerfile).toContain('VOLUME ["/data"]');
    expect(dockerfile).toContain('DISCO_HOME=/data');
    expect(dockerfile).not.toMatch(/DISCO_PORT=|DISCO_HOST=/);
    const entrypoint = await text('deploy/docker-entrypoint.sh');
    expect(entrypoint).toMatch(/exec setpriv --reuid=disco/);
  });

  it('has railway.json with the start command, a /health check and a restart policy, and a Procfile', async () => {
    const railway = JSON.parse(await text('railway.json'));
    expect(railway.build).toMatchObject({ builder: 'DOCKERFILE', dockerfilePath: 'Dockerfile' });
    expect(railway.deploy).toMatchObject({ healthcheckPath: '/health', restartPolicyType: 'ON_FAILURE' });
    expect(railway.deploy.startCommand).toContain('disco serve');
    expect(await text('Procfile')).toBe('web: disco serve\nworker: disco worker\n');
  });
});
