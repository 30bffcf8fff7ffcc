import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REGEX_THREADS } from '../../src/daemon/workspace/regex-thread.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// The attack: each regex search runs in a worker thread of its own until its deadline (10 s); a files:read
// token that sends many slow ones at once started one thread each, with no bound, and took every core (and
// a V8 isolate's memory each) from the event loop and from everyone else.
let t: TestDaemon;
const F = '/api/v1/containers/ws/files';
const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);

beforeAll(async () => {
  t = await startTestDaemon();
  const c = (await t.json('POST', '/api/v1/containers', { name: 'ws' })).body;
  await writeFile(path.join(t.home, 'containers', c.id, 'min.js'), `${'a'.repeat(200_000)}\n`);
});
afterAll(() => t.stop());

describe('regex searches share a bounded number of threads', { timeout: 120_000 }, () => {
  it('runs at most MAX_REGEX_THREADS at once; the rest wait their turn or are refused, none fails', async () => {
    const before = threads();
    const query = `${'(a|aa)*'.repeat(10)}zz`;
    const searches = Array.from({ length: 16 }, () => t.json('POST', `${F}/search`, { path: '.', query, regex: true }));
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, threads() - before);
    }, 20);
    const answers = await Promise.all(searches);
    clearInterval(watch);
    for (const a of answers) expect([200, 429]).toContain(a.status);
    expect(answers.some((a) => a.status === 200)).toBe(true);
    // One worker is one thread (a few more may come and go around it).
    expect(most).toBeLessThanOrEqual(MAX_REGEX_THREADS + 3);
  });
});
