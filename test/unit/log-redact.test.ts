import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACT_PATHS, redact } from '../../src/daemon/log.js';

const SECRET = 'sk-very-secret-value';

/** A logger writing its lines into an array. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}

const flush = () => new Promise((r) => setTimeout(r, 20));

describe('log redaction', () => {
  it('censors every path of REDACT_PATHS and keeps everything else', async () => {
    expect(REDACT_PATHS).toEqual(
      expect.arrayContaining(['token', '*.apiKey', 'req.headers.authorization', 'headers.cookie', 'config.adminToken']),
    );
    const { log, lines } = capture();
    log.info(
      {
        token: SECRET,
        password: SECRET,
        key: SECRET,
        user: { name: 'ada', secret: SECRET, apiKey: SECRET, nested: { kept: 'deep values are kept' } },
        req: { method: 'GET', headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET, host: 'h' } },
        headers: { cookie: SECRET, accept: '*/*' },
        config: { adminToken: SECRET, embeddingsKey: SECRET, webcontainerApiKey: SECRET, port: 7777 },
        list: [1, 2],
        n: 3,
      },
      'hello',
    );
    await flush();
    const line = lines[0] as Record<string, unknown>;
    expect(JSON.stringify(line)).not.toContain(SECRET);
    expect(line).toMatchObject({
      msg: 'hello',
      token: '[redacted]',
      password: '[redacted]',
      key: '[redacted]',
      user: { name: 'ada', secret: '[redacted]', apiKey: '[redacted]', nested: { kept: 'deep values are kept' } },
      req: { method: 'GET', headers: { authorization: '[redacted]', cookie: '[redacted]', host: 'h' } },
      headers: { cookie: '[redacted]', accept: '*/*' },
      config: { adminToken: '[redacted]', embeddingsKey: '[redacted]', webcontainerApiKey: '[redacted]', port: 7777 },
      list: [1, 2],
      n: 3,
    });
  });

  it("never changes the caller's objects, and hands back a line without secrets as it is", () => {
    const user = { name: 'ada', token: SECRET };
    const fields = { user, other: { a: 1 } };
    const out = redact(fields);
    expect(out).not.toBe(fields);
    expect(out.user).toEqual({ name: 'ada', token: '[redacted]' });
    expect(out.other).toBe(fields.other);
    expect(user.token).toBe(SECRET);
    const frozen = Object.freeze({ id: 1, password: SECRET });
    const getter = Object.defineProperty({ id: 2 }, 'token', { get: () => SECRET, enumerable: true });
    expect(redact({ frozen, getter })).toEqual({
      frozen: { id: 1, password: '[redacted]' },
      getter: { id: 2, token: '[redacted]' },
    });
    const plain = { reqId: 'r', method: 'GET', path: '/x', status: 200, ms: 1.5 };
    expect(redact(plain)).toBe(plain);
  });

  it("keeps an error's message and stack when it censors a secret on it, and censors child bindings", async () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error('upstream refused'), { token: SECRET, status: 401 });
    log.error({ err }, 'call failed');
    log
      .child({ token: SECRET, who: { password: SECRET, id: 'u1' } })
      .child({ key: SECRET })
      .info('from a child');
    await flush();
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(lines[0]).toMatchObject({
      err: { type: 'Error', message: 'upstream refused', token: '[redacted]', status: 401 },
    });
    expect(String((lines[0] as { err: { stack: string } }).err.stack)).toContain('upstream refused');
    expect(err.token).toBe(SECRET);
    expect(lines[1]).toMatchObject({
      token: '[redacted]',
      who: { password: '[redacted]', id: 'u1' },
      msg: 'from a child',
    });
  });
});
