import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { securityHeaderList, securityHeaders } from '../../src/daemon/http/hardening.js';

describe('securityHeaderList', () => {
  it('is exactly what helmet sets on a real response, plus nosniff', async () => {
    const config = { frameAncestors: ['https://chatgpt.com'] };
    const app = express();
    app.use(securityHeaders(config));
    app.get('/', (_req, res) => {
      res.end('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const fixed = new Map(securityHeaderList(config).map(([k, v]) => [k.toLowerCase(), v]));
      const ignored = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
      const real = new Map([...res.headers].filter(([k]) => !ignored.has(k)));
      expect(fixed).toEqual(real);
      expect(fixed.get('x-content-type-options')).toBe('nosniff');
      expect(fixed.get('content-security-policy')).toContain('frame-ancestors');
    } finally {
      server.close();
    }
  });
});
