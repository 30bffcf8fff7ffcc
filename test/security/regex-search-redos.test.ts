import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { HEALTH_BOUND_MS, LOOP_BOUND_MS, measureAttack } from '../helpers/event-loop.js';

// V8's linear-time regex engine is linear in the text but slow per character: a pattern of alternations
// against one long minified line took seconds (minutes for 2 MiB) on the daemon's event loop.
let t: TestDaemon;
const F = '/api/v1/containers/ws/files';

beforeAll(async () => {
  t = await startTestDaemon();
  const c = (await t.json('POST', '/api/v1/containers', { name: 'ws' })).body;
  const root = path.join(t.home, 'containers', c.id);
  await writeFile(path.join(root, 'min.js'), `${'a'.repeat(50_000)}\n`);
  await writeFile(path.join(root, 'src.ts'), 'export function handleRequest() {}\n');
});
afterAll(() => t.stop());

describe('regex content search runs off the event loop', { timeout: 120_000 }, () => {
  it('answers a slow regex over a 50 KB line without blocking /health', async () => {
    const query = `${'(a|aa)*'.repeat(10)}zz`;
    const cost = await measureAttack(t.url, () => t.json('POST', `${F}/search`, { path: '.', query, regex: true }));
    expect(cost.result.status).toBe(200);
    expect(cost.result.body.matches).toEqual([]);
    expect(cost.loopMaxMs).toBeLessThan(LOOP_BOUND_MS);
    expect(cost.healthMaxMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it('still finds lines by regex, and refuses what cannot run in linear time before starting', async () => {
    const hit = await t.json('POST', `${F}/search`, { path: '.', query: 'handle_?request', regex: true });
    expect(hit.body.matches).toEqual([
      { path: 'src.ts', line: 1, column: 17, text: 'export function handleRequest() {}' },
    ]);
    const refused = await t.json('POST', `${F}/search`, { path: '.', query: '(a)\\1', regex: true });
    expect(refused.status).toBe(400);
  });
});
