import { describe, expect, it } from 'vitest';
import { DiscoError, ERROR_STATUS, fromErrno, NotFoundError, toDiscoError } from '../../src/daemon/errors.js';

describe('error model', () => {
  it('maps every code to an HTTP status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(new DiscoError(code as keyof typeof ERROR_STATUS, 'm').status).toBe(status);
    }
  });

  it('serialises to { error: { code, message, details } } without a stack', () => {
    const body = new NotFoundError("container 'x'", { container: 'x' }).toBody();
    expect(body).toEqual({
      error: { code: 'not_found', message: "container 'x' not found", details: { container: 'x' } },
    });
    expect(JSON.stringify(body)).not.toContain('at ');
  });

  it('omits details when there are none', () => {
    expect(new DiscoError('conflict', 'c').toBody()).toEqual({ error: { code: 'conflict', message: 'c' } });
  });

  it('hides the text of unexpected errors', () => {
    const e = toDiscoError(new Error('SQLITE_CORRUPT at /root/.disco/disco.db'));
    expect(e.code).toBe('internal');
    expect(e.message).toBe('internal error');
  });

  it('maps errno codes to typed errors that carry the client path, not the absolute one', () => {
    const enoent = Object.assign(new Error('ENOENT: /abs/path/x'), { code: 'ENOENT' });
    const e = fromErrno(enoent, 'x');
    expect(e.code).toBe('not_found');
    expect(e.message).not.toContain('/abs');
    expect(fromErrno(Object.assign(new Error(), { code: 'EISDIR' }), 'd').code).toBe('not_a_file');
    expect(fromErrno(Object.assign(new Error(), { code: 'EEXIST' }), 'd').code).toBe('conflict');
  });
});
