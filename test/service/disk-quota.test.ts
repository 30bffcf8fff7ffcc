import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
const F = '/api/v1/containers/quota/files';
const big = 'x'.repeat(700 * 1024);

beforeAll(async () => {
  t = await startTestDaemon({ DISCO_CONTAINER_DISK_MB: '1', DISCO_FILE_WRITE_MAX_BYTES: String(4 * 1024 * 1024) });
  await t.json('POST', '/api/v1/containers', { name: 'quota' });
});
afterAll(() => t.stop());

describe('the per-container disk quota', () => {
  it('refuses daemon-side writes past DISCO_CONTAINER_DISK_MB with no_space, and allows them after a delete', async () => {
    expect((await t.json('PUT', `${F}/content`, { path: 'a.bin', content: big })).status).toBe(200);
    // Usage is measured in the background; the write after the measurement lands is refused.
    let refused: { status: number; body: { error: { code: string; details: Record<string, number> } } } | undefined;
    for (let i = 0; i < 50 && !refused; i++) {
      const r = await t.json('PUT', `${F}/content`, { path: `b${i}.bin`, content: big });
      if (r.status !== 200) refused = r;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused?.status).toBe(507);
    expect(refused?.body.error).toMatchObject({
      code: 'no_space',
      details: { quotaBytes: 1024 * 1024, usedBytes: expect.any(Number) },
    });
    const { stdout } = (await t.json('POST', '/api/v1/terminal/execute', { container: 'quota', command: ['ls'] })).body;
    for (const name of stdout.trim().split('\n'))
      expect((await t.json('DELETE', `${F}?path=${name}`)).status).toBe(200);
    // The delete marks the usage stale; the next measurement lets writes through again.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await t.json('PUT', `${F}/content`, { path: 'c.bin', content: big })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(200);
  });
});
