import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  t = await startTestDaemon({ DISCO_LOG_LEVEL: 'info' }, undefined, { logDestination: sink });
});
afterAll(() => t.stop());

describe('request logs', () => {
  it('writes one JSON line per request with a request id, and never the token', async () => {
    await t.json('POST', '/api/v1/containers', { name: 'logged' });
    await t.request('GET', `/api/v1/containers?token=${t.token}`, { headers: { 'x-request-id': 'trace-me' } });
    await t.request('GET', '/api/v1/containers', { auth: false });
    await new Promise((r) => setTimeout(r, 50));
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.find((l) => l.reqId === 'trace-me')).toMatchObject({ method: 'GET', path: '/api/v1/containers' });
    expect(requests.find((l) => l.status === 401)).toMatchObject({ code: 'unauthorized' });
    expect(lines.find((l) => l.msg === 'container created')).toMatchObject({ name: 'logged' });
    const all = JSON.stringify(lines);
    expect(all).not.toContain(t.token);
    expect(all).toContain('"adminToken":"[redacted]"');
  });
});
