import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { heartbeat, startsBeating, stopsBeating, waitUntil } from '../helpers/procs.js';

let t: TestDaemon;
const X = '/api/v1/terminal/execute';

beforeAll(async () => {
  process.env.DISCO_TEST_DAEMON_SECRET = 'super-secret-value';
  t = await startTestDaemon({
    DISCO_EXEC_MAX_OUTPUT_BYTES: '4096',
    DISCO_EXEC_MAX_TIMEOUT_MS: '20000',
    DISCO_EXEC_TIMEOUT_MS: '10000',
  });
  await t.json('POST', '/api/v1/containers', { name: 'run' });
  await t.json('PUT', '/api/v1/containers/run/files/content', { path: 'sub/marker', content: '' });
});
afterAll(async () => {
  delete process.env.DISCO_TEST_DAEMON_SECRET;
  await t.stop();
});

const exec = (body: Record<string, unknown>) => t.json('POST', X, { container: 'run', ...body });
const readBeat = async (file: string) =>
  (await t.json('GET', `/api/v1/containers/run/files/content?path=${file}`)).body.content as string | undefined;

describe('exec over REST', () => {
  it('runs argv without a shell: metacharacters stay literal', async () => {
    const r = await exec({ command: ['echo', '$(id)', '|', '*'] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      exitCode: 0,
      signal: null,
      stdout: '$(id) | *\n',
      stderr: '',
      timedOut: false,
      truncated: false,
    });
    expect(typeof r.body.durationMs).toBe('number');
  });

  it('runs a string through /bin/sh only with shell: true', async () => {
    expect((await exec({ command: 'echo a && echo b', shell: true })).body.stdout).toBe('a\nb\n');
    const refused = await exec({ command: 'echo a && echo b' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('validation_failed');
  });

  it('reports exit codes and stderr', async () => {
    expect((await exec({ command: ['sh', '-c', 'echo oops >&2; exit 42'] })).body).toMatchObject({
      exitCode: 42,
      stderr: 'oops\n',
    });
  });

  it('runs in a contained cwd and refuses one outside', async () => {
    expect((await exec({ command: ['ls'], cwd: 'sub' })).body.stdout).toBe('marker\n');
    for (const cwd of ['..', '/tmp', 'sub/../../..']) {
      expect((await exec({ command: ['ls'], cwd })).body.error.code, cwd).toBe('path_outside_workspace');
    }
    expect((await exec({ command: ['ls'], cwd: 'nope' })).body.error.code).toBe('not_found');
  });

  it('passes env and stdin, and never the daemon environment', async () => {
    const r = await exec({ command: ['sh', '-c', 'cat; env'], env: { GREETING: 'hello' }, stdin: 'from stdin\n' });
    expect(r.body.stdout).toContain('from stdin\n');
    expect(r.body.stdout).toContain('GREETING=hello');
    expect(r.body.stdout).not.toContain('super-secret-value');
    expect(r.body.stdout).not.toContain(t.token);
    expect((await exec({ command: ['true'], env: { 'BAD-NAME': 'x' } })).status).toBe(400);
  });

  it('kills the whole process group at the timeout', async () => {
    const r = await exec({ command: `(${heartbeat('beat-timeout')}) & wait`, shell: true, timeoutMs: 700 });
    expect(r.body).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(await stopsBeating(() => readBeat('beat-timeout'))).toBe(true);
  });

  it('caps output and marks it truncated', async () => {
    const r = await exec({ command: ['head', '-c', '100000', '/dev/zero'] });
    expect(r.body.stdout.length).toBe(4096);
    expect(r.body.truncated).toBe(true);
  });

  it('answers command_not_found, not_executable, and refuses a timeout above the maximum', async () => {
    expect((await exec({ command: ['no-such-command-anywhere'] })).body.error.code).toBe('command_not_found');
    // A program without its execute bit is not a refusal of the token (forbidden): a shell's 126.
    await exec({ command: ['sh', '-c', 'printf "#!/bin/sh\\necho x\\n" > noexec.sh; chmod 644 noexec.sh'] });
    const noexec = await exec({ command: ['./noexec.sh'] });
    expect(noexec.status).toBe(400);
    expect(noexec.body.error).toMatchObject({
      code: 'not_executable',
      message: 'permission denied: ./noexec.sh is not executable',
    });
    const tooLong = await exec({ command: ['true'], timeoutMs: 60_000 });
    expect(tooLong.body.error).toMatchObject({ code: 'validation_failed', details: { max: 20_000 } });
    expect((await exec({ command: [] })).status).toBe(400);
    expect((await t.json('POST', X, { container: 'ghost', command: ['true'] })).status).toBe(404);
  });

  it('kills the command when the client disconnects', async () => {
    const controller = new AbortController();
    const pending = fetch(`${t.url}${X}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ container: 'run', command: heartbeat('beat-disconnect'), shell: true }),
      signal: controller.signal,
    }).catch((err: Error) => err);
    expect(await waitUntil(() => t.daemon.services.processes.count() > 0)).toBe(true);
    expect(await startsBeating(() => readBeat('beat-disconnect'))).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await stopsBeating(() => readBeat('beat-disconnect'))).toBe(true);
  });
});

describe('command policy over REST', () => {
  it('refuses clearly destructive commands with command_refused and runs nothing', async () => {
    const r = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'run',
      command: 'touch ran && rm -rf /',
      shell: true,
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('command_refused');
    expect((await t.json('GET', '/api/v1/containers/run/files/content?path=ran')).status).toBe(404);
  });

  it('runs only listed programs in allow-list mode', async () => {
    const strict = await startTestDaemon({ DISCO_COMMAND_POLICY: 'allow-list', DISCO_COMMAND_ALLOW: 'echo,ls' });
    try {
      await strict.json('POST', '/api/v1/containers', { name: 'c' });
      const ok = await strict.json('POST', '/api/v1/terminal/execute', {
        container: 'c',
        command: 'echo hi | ls',
        shell: true,
      });
      expect(ok.body.exitCode).toBe(0);
      const refused = await strict.json('POST', '/api/v1/terminal/execute', {
        container: 'c',
        command: ['cat', '/etc/hostname'],
      });
      expect(refused.body.error).toMatchObject({ code: 'command_refused', details: { refused: ['cat'] } });
    } finally {
      await strict.stop();
    }
  });
});
