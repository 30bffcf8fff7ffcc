import { rm } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

let serve: ServeProcess | undefined;
afterEach(() => {
  serve?.child.kill('SIGKILL');
  serve = undefined;
});

interface Acked {
  containers: Map<string, string>; // id -> name
  files: Map<string, { container: string; content: string }>; // `${container}/${path}` -> content
}

function integrity(file: string): string {
  const db = new Database(file);
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it('keeps every acknowledged write and container across kill -9, and the database passes integrity_check', async () => {
    const home = await tempDir('disco-crash-safety-');
    const token = 'crash-safety-token-0123456789';
    const env = { DISCO_ADMIN_TOKEN: token, DISCO_LOG_LEVEL: 'info', DISCO_POOL_SIZE: '1' };
    serve = await spawnServe(home, env);
    const url = serve.url;
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${url}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    const acked: Acked = { containers: new Map(), files: new Map() };
    let crashed = false;
    let inFlightAtKill = 0;
    let inFlight = 0;
    // Three clients, each creating a container now and then and writing files into its containers.
    const client = async (n: number) => {
      const mine: string[] = [];
      for (let i = 0; !crashed; i++) {
        inFlight++;
        try {
          if (i % 8 === 0) {
            const r = await call('POST', '/api/v1/containers', { name: `c${n}-${i}` });
            if (r.status === 201) {
              acked.containers.set(r.body.id as string, `c${n}-${i}`);
              mine.push(r.body.id as string);
            }
          } else if (mine.length > 0) {
            const container = mine[i % mine.length] as string;
            const file = `dir${i % 3}/f${i}.txt`;
            const content = `client ${n} write ${i} ${'x'.repeat(i % 200)}\n`;
            const r = await call('PUT', `/api/v1/containers/${container}/files/content`, { path: file, content });
            if (r.status === 200) acked.files.set(`${container}/${file}`, { container, content });
          }
        } catch {
          // The daemon died under this request: not acknowledged, so nothing is promised about it.
        } finally {
          inFlight--;
        }
      }
    };
    const clients = [0, 1, 2].map(client);
    while (acked.files.size < 150) await new Promise((r) => setTimeout(r, 20));
    inFlightAtKill = inFlight;
    serve.child.kill('SIGKILL');
    await new Promise((r) => serve?.child.once('exit', r));
    crashed = true;
    await Promise.all(clients);
    expect(inFlightAtKill).toBeGreaterThan(0); // killed mid-traffic, not between requests

    // The files as the crash left them (the WAL not yet checkpointed) pass SQLite's own check.
    expect(integrity(path.join(home, 'disco.db'))).toBe('ok');

    serve = await spawnServe(home, env);
    const restarted = serve.url;
    const get = async (p: string) => {
      const res = await fetch(`${restarted}${p}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const listed = new Map(
      ((await get('/api/v1/containers')).body.containers as Array<{ id: string; name: string; status: string }>).map(
        (c) => [c.id, c],
      ),
    );
    for (const [id, name] of acked.containers) {
      expect(listed.get(id), id).toMatchObject({ name, status: 'ready' });
    }
    for (const [key, { container, content }] of acked.files) {
      const file = key.slice(container.length + 1);
      const read = await get(`/api/v1/containers/${container}/files/content?path=${encodeURIComponent(file)}`);
      expect(read.status, key).toBe(200);
      expect(read.body.content, key).toBe(content);
    }
    expect((await fetch(`${restarted}/ready`)).status).toBe(200);
    serve.child.kill('SIGTERM');
    await new Promise((r) => serve?.child.once('exit', r));
    serve = undefined;
    expect(integrity(path.join(home, 'disco.db'))).toBe('ok');
    await rm(home, { recursive: true, force: true });
  });
});
