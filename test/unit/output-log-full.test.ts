import { existsSync, symlinkSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputLog } from '../../src/daemon/workspace/output-log.js';
import { tempDir } from '../helpers/daemon.js';
import { requireSystem } from '../helpers/system.js';

// /dev/full answers every write with ENOSPC: a real full device, with no need to mount one.
const runs = requireSystem('/dev/full', existsSync('/dev/full'));

let dir: string;
beforeEach(async () => {
  dir = await tempDir('disco-log-full-');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const texts = (log: OutputLog, offset = 0) => log.read(offset).records.map((r) => r.text);

describe.runIf(runs)('OutputLog on a full device', () => {
  it('drops output with a marker instead of throwing ENOSPC', () => {
    symlinkSync('/dev/full', path.join(dir, 'p1.0.log'));
    const log = new OutputLog(dir, 'p1', 1024 * 1024, 60_000);
    expect(() => log.append('stdout', 'lost\n')).not.toThrow();
    expect(() => log.append('stdout', 'lost too\n')).not.toThrow();
    expect(texts(log)).toEqual(['\n[disco: output dropped: no space left on the device]\n']);
    expect(log.read(log.read(0).nextOffset).records).toEqual([]);
    expect(() => log.close()).not.toThrow();
  });

  it('resumes by itself when a write succeeds again, counting what was dropped', async () => {
    symlinkSync('/dev/full', path.join(dir, 'p2.0.log'));
    const log = new OutputLog(dir, 'p2', 1024 * 1024, 0);
    log.append('stdout', 'lost\n');
    // The retry opens a new segment at the next logical offset: a regular file, so space is back.
    log.append('stdout', 'kept\n');
    const all = texts(log);
    expect(all[0]).toContain('output dropped');
    expect(all[1]).toMatch(/^\[disco: output resumed; \d+ bytes were dropped\]\n$/);
    expect(all[2]).toBe('kept\n');
    const first = log.read(0, 1);
    expect(texts(log, first.nextOffset)).toEqual(all.slice(1));
    log.remove();
    expect((await readdir(dir)).filter((f) => f.startsWith('p2.') && f !== 'p2.0.log')).toEqual([]);
  });

  it('drops output while the daemon reserve is reached, and resumes once it is not', () => {
    let refusal: string | undefined = 'the disk is below the daemon reserve';
    const log = new OutputLog(dir, 'p3', 1024 * 1024, 0, () => refusal);
    log.append('stdout', 'lost\n');
    expect(texts(log)).toEqual(['\n[disco: output dropped: the disk is below the daemon reserve]\n']);
    refusal = undefined;
    log.append('stdout', 'kept\n');
    expect(texts(log).slice(1)).toEqual(['[disco: output resumed; 5 bytes were dropped]\n', 'kept\n']);
  });
});
