import { describe, expect, it } from 'vitest';
import { fromErrno, toDiscoError } from '../../src/daemon/errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: secret /srv/path`), { code });

describe('storage errors', () => {
  it('maps ENOSPC, EDQUOT and SQLITE_FULL to no_space (507) without their text', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL']) {
      const e = toDiscoError(errno(code));
      expect([e.code, e.status], code).toEqual(['no_space', 507]);
      expect(JSON.stringify(e.toBody())).not.toContain('/srv/path');
    }
    expect(fromErrno(errno('ENOSPC'), 'a.txt').code).toBe('no_space');
  });

  it('maps EIO and SQLITE_IOERR_* to unavailable (503)', () => {
    for (const code of ['EIO', 'SQLITE_IOERR_WRITE']) expect(toDiscoError(errno(code)).status, code).toBe(503);
  });

  it('keeps anything else internal', () => {
    expect(toDiscoError(errno('EWHATEVER')).code).toBe('internal');
    expect(toDiscoError(new Error('plain')).code).toBe('internal');
  });
});
