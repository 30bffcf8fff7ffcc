import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/cli/commands/exec.js';
import { run } from '../../src/cli/main.js';

describe('disco exec -e', () => {
  it('passes this shell’s value for -e KEY, as docker exec -e KEY does', () => {
    // It refused: "--env expects KEY=VALUE (got 'FOO')".
    expect(parseEnv(['A=1', 'FOO', 'B=x=y'], { FOO: 'from here' })).toEqual({ A: '1', FOO: 'from here', B: 'x=y' });
    expect(parseEnv(['EMPTY'], { EMPTY: '' })).toEqual({ EMPTY: '' });
  });

  it('is a usage error (exit 2, said) for a KEY that is not set here, or no name at all', async () => {
    expect(() => parseEnv(['=x'], {})).toThrowError("--env expects KEY=VALUE or KEY (got '=x')");
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c) => {
      err += c;
    });
    const code = await run(
      ['node', 'disco', 'exec', 'web', '-e', 'NOT_SET_HERE', '--', 'true'],
      { stdout: new PassThrough(), stderr, stdin: new PassThrough() },
      { DISCO_URL: 'http://127.0.0.1:9', DISCO_TOKEN: 't' },
    );
    expect(code).toBe(2);
    expect(err).toBe('disco: --env NOT_SET_HERE: NOT_SET_HERE is not set here; give NOT_SET_HERE=VALUE\n');
  });
});
