import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const guard = fileURLToPath(new URL('../../dist/daemon/process-guard.js', import.meta.url));
const logModule = fileURLToPath(new URL('../../dist/daemon/log.js', import.meta.url));

/** A real Node process with the guard installed that throws in a timer, a stream callback and a promise. */
const script = `
const { installProcessGuard } = await import(${JSON.stringify(guard)});
const { createLogger } = await import(${JSON.stringify(logModule)});
const counts = [];
installProcessGuard(createLogger('error', { write: (line) => process.stderr.write(line) }), (kind) => counts.push(kind));
setTimeout(() => { throw new Error('boom in a timer'); }, 5);
const { Readable } = await import('node:stream');
Readable.from(['x']).on('data', () => { throw new Error('boom in a stream'); });
Promise.reject(new Error('boom in a promise'));
setTimeout(() => { process.stdout.write('still serving ' + counts.join(',')); }, 100);
`;

describe('the process-wide guard', () => {
  it('logs an error thrown in a timer, stream or promise callback and keeps the process running', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          ['--input-type=module', '-e', script],
          { timeout: 10_000 },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin?.end();
      },
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^still serving /);
    expect(stdout.split(' ')[2]?.split(',').sort()).toEqual(['exception', 'exception', 'rejection']);
    for (const what of ['boom in a timer', 'boom in a stream', 'boom in a promise']) expect(stderr).toContain(what);
    expect(stderr).toContain('the daemon keeps serving');
  });
});
