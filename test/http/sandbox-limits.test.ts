import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasPrlimit = requireSystem('prlimit (util-linux)', hasCommand('prlimit', ['--version']));

let t: TestDaemon;
const run = async (container: string, command: string) =>
  (await t.json('POST', '/api/v1/terminal/execute', { container, command, shell: true, timeoutMs: 20_000 })).body;

beforeAll(async () => {
  t = await startTestDaemon({
    DISCO_LIMIT_MEMORY_MB: '256',
    DISCO_LIMIT_FILE_SIZE_MB: '1',
    DISCO_LIMIT_CPU_SECONDS: '1',
  });
  await t.json('POST', '/api/v1/containers', { name: 'limited' });
});
afterAll(async () => {
  await t?.stop();
});

describe.runIf(hasPrlimit)('resource limits', () => {
  it('are reported by /health', async () => {
    const limits = (await t.json('GET', '/health')).body.checks.limits;
    expect(limits).toMatchObject({ applied: true, limits: { memoryMb: 256, fileSizeMb: 1, cpuSeconds: 1 } });
  });

  it('cap the memory a process may allocate', async () => {
    const r = await run(
      'limited',
      `node -e "const a=[];try{for(let i=0;i<16;i++)a.push(Buffer.allocUnsafe(64<<20));console.log('got all')}catch(e){console.log('refused after', a.length)}"`,
    );
    expect(r.stdout, JSON.stringify(r)).toMatch(/refused after [0-3]\b/);
    const small = await run('limited', `node -e "console.log(Buffer.alloc(32<<20,1).length)"`);
    expect(small.stdout.trim()).toBe(String(32 << 20));
  });

  it('cap the size of a file a process writes', async () => {
    const r = await run('limited', 'head -c 3000000 /dev/zero > big.bin; echo "rc=$?"; wc -c < big.bin');
    expect(r.stdout).toMatch(/rc=(?!0)\d+/);
    expect(Number(r.stdout.trim().split('\n').pop())).toBeLessThanOrEqual(1024 * 1024);
  });

  it('are hard limits a command inherits and cannot raise (set once on its sandbox, CPU per command)', async () => {
    const r = await run(
      'limited',
      'grep -E "^Max (cpu time|data size|file size)" /proc/self/limits; ulimit -H -f unlimited && echo raised',
    );
    expect(r.stdout).toMatch(/^Max cpu time +1 +1 /m);
    expect(r.stdout).toMatch(new RegExp(`^Max data size +${256 << 20} +${256 << 20} `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^Max file size +${1 << 20} +${1 << 20} `, 'm'));
    expect(r.stdout).not.toMatch(/raised/);
  });

  it('cap CPU time: a busy loop is killed after its seconds', async () => {
    const started = Date.now();
    const r = await run('limited', 'while :; do :; done');
    expect(r.exitCode === null ? r.signal : `exit ${r.exitCode}`).toMatch(/SIGXCPU|SIGKILL|exit 1(37|52)/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('a daemon without a sandbox', () => {
  it('refuses to run commands of an offline container rather than run them with network', async () => {
    const bare = await startTestDaemon({ DISCO_SANDBOX: 'none' });
    try {
      await bare.json('POST', '/api/v1/containers', { name: 'offline', network: false });
      const r = await bare.json('POST', '/api/v1/terminal/execute', { container: 'offline', command: ['true'] });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('unavailable');
      expect(r.body.error.message).toMatch(/network mode 'off' cannot be enforced/);
    } finally {
      await bare.stop();
    }
  });
});
