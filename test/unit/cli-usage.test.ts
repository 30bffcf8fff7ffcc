import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';

/** Runs the CLI in-process on a usage error (no daemon is reached) and returns its exit code and stderr. */
async function usage(argv: string[]) {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (c) => {
    err += c;
  });
  const code = await run(
    ['node', 'disco', ...argv],
    { stdout: new PassThrough(), stderr, stdin: new PassThrough() },
    {},
  );
  return { code, err };
}

describe('CLI usage errors', () => {
  it('says when the container came before a subcommand that takes it', async () => {
    const git = await usage(['git', 'web', 'status']);
    expect(git.code).toBe(2);
    expect(git.err).toContain('the subcommand comes before the container: disco git status web');
    const files = await usage(['files', 'web', 'read', 'a.txt']);
    expect(files.err).toContain('disco files read web a.txt');
  });

  it('keeps commander’s own message otherwise, with its suggestion', async () => {
    const typo = await usage(['git', 'statsu', 'web']);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain("unknown command 'statsu'");
    expect(typo.err).toContain('Did you mean status?');
    // `containers ls` takes no container: no reordering is offered.
    const ls = await usage(['containers', 'web', 'ls']);
    expect(ls.err).toContain("unknown command 'web'");
  });

  it('says what is wrong when an action finds a bad argument (it exited 2 in silence)', async () => {
    const none = await usage(['preview', 'web']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('disco: usage: disco preview <container> <port>');
    const port = await usage(['preview', 'web', 'abc']);
    expect(port.code).toBe(2);
    expect(port.err).toContain("port: expected a port number (got 'abc')");
    const json = await usage(['preview', '--json']);
    expect(JSON.parse(json.err).error.message).toContain('usage: disco preview');
  });
});
