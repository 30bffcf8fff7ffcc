import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiError, DiscoClient } from '../../src/cli/client.js';
import { TokenSource } from '../../src/cli/session.js';

describe('CLI client: path parameters', () => {
  it('refuses a call without a path parameter instead of asking for "undefined"', async () => {
    // Nothing listens there: the call must fail before any request.
    const client = new DiscoClient('http://127.0.0.1:9', 'token');
    const err = await client.call('container_get', {} as { id: string }).catch((e: unknown) => e);
    // It asked GET /api/v1/containers/undefined and printed "container 'undefined' not found".
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: 'validation_failed',
      message: 'id: required (container_get takes it in its path)',
    });
  });
});

describe('CLI client: a revoked admin token', () => {
  it('says how to get a new one, not only that it was revoked', async () => {
    // `disco tokens revoke <bootstrap id>` locked the CLI out; every command, and a restart, said only
    // "token was revoked or has expired (sent the admin token from …/admin-token)".
    const server = http.createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'token was revoked or has expired' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const file = new TokenSource(url, { adminToken: 'x', adminTokenFrom: '/home/me/.disco/admin-token' });
      await expect(new DiscoClient(url, file).call('container_list', {})).rejects.toMatchObject({
        code: 'unauthorized',
        message:
          'token was revoked or has expired (sent the admin token from /home/me/.disco/admin-token); a revoked admin ' +
          'token stays revoked: delete /home/me/.disco/admin-token and restart `disco serve` to make a new one',
      });
      const env = new TokenSource(url, { adminToken: 'x', adminTokenFrom: 'DISCO_ADMIN_TOKEN' });
      await expect(new DiscoClient(url, env).call('container_list', {})).rejects.toMatchObject({
        message: expect.stringMatching(/start `disco serve` with another DISCO_ADMIN_TOKEN$/),
      });
      // A token of the user's own (DISCO_TOKEN) gets no advice about the daemon's.
      const own = new TokenSource(url, { envToken: 'mine', adminToken: 'x', adminTokenFrom: 'DISCO_ADMIN_TOKEN' });
      await expect(new DiscoClient(url, own).call('container_list', {})).rejects.toMatchObject({
        message: 'token was revoked or has expired (sent DISCO_TOKEN from the environment)',
      });
    } finally {
      server.close();
    }
  });
});
