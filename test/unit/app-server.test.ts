import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServer, memoizeClientIp } from '../../src/daemon/http/server.js';

const servers: import('node:http').Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(app: express.Express): Promise<string> {
  const server = createAppServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createAppServer', () => {
  it("builds requests and responses on the app's own prototypes, so express's swap changes nothing", async () => {
    const app = express();
    const seen: boolean[] = [];
    app.use((req, res, next) => {
      seen.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response);
      next();
    });
    app.get('/echo', (req, res) => {
      res.status(201).json({ ip: req.ip, path: req.path, q: req.query.q, host: req.hostname });
    });
    const base = await serve(app);
    const r = await fetch(`${base}/echo?q=1`);
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await r.json()).toEqual({ ip: '127.0.0.1', path: '/echo', q: '1', host: '127.0.0.1' });
    expect(seen).toEqual([true, true]);
  });

  it('answers what express answers: parsed bodies, errors and unknown routes', async () => {
    const app = express();
    app.post('/body', express.json(), (req, res) => res.json(req.body));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    const base = await serve(app);
    const posted = await fetch(`${base}/body`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2] }),
    });
    expect(await posted.json()).toEqual({ a: [1, 2] });
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  it("memoized req.ip still follows the app's trust setting, and reads the same every time", async () => {
    for (const trust of [false, true]) {
      const app = express();
      app.set('trust proxy', trust);
      memoizeClientIp(app);
      app.get('/ip', (req, res) => res.json({ first: req.ip, again: req.ip }));
      const base = await serve(app);
      const r = await fetch(`${base}/ip`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      const ip = trust ? '203.0.113.9' : '127.0.0.1';
      expect(await r.json()).toEqual({ first: ip, again: ip });
    }
  });
});
