import { readdir, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputLog } from '../../src/daemon/workspace/output-log.js';
import { tempDir } from '../helpers/daemon.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('disco-log-');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('OutputLog', () => {
  it('returns records by offset without repeating or skipping any', () => {
    const log = new OutputLog(dir, 'p1', 1024 * 1024);
    log.append('stdout', 'one\n');
    log.append('stderr', 'oops\n');
    const first = log.read(0);
    expect(first.records.map((r) => [r.stream, r.text])).toEqual([
      ['stdout', 'one\n'],
      ['stderr', 'oops\n'],
    ]);
    expect(first.dropped).toBe(false);
    log.append('stdout', 'two\n');
    const second = log.read(first.nextOffset);
    expect(second.records.map((r) => r.text)).toEqual(['two\n']);
    expect(log.read(second.nextOffset).records).toEqual([]);
    expect(typeof second.records[0]?.t).toBe('number');
  });

  it('pages through large output in bounded reads', () => {
    const log = new OutputLog(dir, 'p2', 10 * 1024 * 1024);
    for (let i = 0; i < 1000; i++) log.append('stdout', `line ${i}\n`);
    const texts: string[] = [];
    let offset = 0;
    for (let guard = 0; guard < 1000; guard++) {
      const page = log.read(offset, 2048);
      if (page.records.length === 0) break;
      texts.push(...page.records.map((r) => r.text));
      offset = page.nextOffset;
    }
    expect(texts).toHaveLength(1000);
    expect(texts[999]).toBe('line 999\n');
  });

  it('stays bounded on disk and says when old output was dropped', async () => {
    const log = new OutputLog(dir, 'p3', 8 * 1024);
    for (let i = 0; i < 2000; i++) log.append('stdout', `${'x'.repeat(50)} ${i}\n`);
    const files = await readdir(dir);
    expect(files.length).toBeLessThanOrEqual(2);
    const page = log.read(0);
    expect(page.dropped).toBe(true);
    expect(page.firstOffset).toBeGreaterThan(0);
    expect(page.records.at(-1)?.text).toContain(' 1999');
    log.remove();
    expect(await readdir(dir)).toEqual([]);
  });
});
