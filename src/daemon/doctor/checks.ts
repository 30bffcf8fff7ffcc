import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Config } from '../config.js';
import { probeSqlite } from '../db/open.js';
import { freeDiskBytes } from '../observability/readiness.js';
import { detectCgroups } from '../sandbox/cgroups-detect.js';
import { CHECK_ID, selfCheckLine } from '../sandbox/native-spawner.js';
import { SPAWNER_BINARY } from '../sandbox/pool.js';
import { findExecutable } from '../workspace/sandbox.js';
import { detectSandbox, sandboxOptions } from '../workspace/sandbox-detect.js';
import { pingRedis } from './redis-ping.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

export interface DoctorInput {
  config: Config;
  /** REDIS_URL, when set. */
  redisUrl?: string | undefined;
  /** Reaches the public URL's /health (off in offline runs). */
  checkPublicUrl?: boolean;
  nodeVersion?: string;
}

const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
const bad = (name: string, status: 'warn' | 'fail', detail: string, fix: string): Check => ({
  name,
  status,
  detail,
  fix,
});

export function checkNode(version: string): Check {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  return major >= 20
    ? ok('node', `Node ${version}`)
    : bad('node', 'fail', `Node ${version} is too old`, 'install Node 20 or newer (e.g. from nodesource or nvm)');
}

function checkSqlite(): Check {
  try {
    const v = probeSqlite();
    return ok('sqlite-vec', `SQLite ${v.sqlite}, sqlite-vec ${v.vec}`);
  } catch (err) {
    return bad(
      'sqlite-vec',
      'fail',
      `cannot load the SQLite driver or sqlite-vec: ${(err as Error).message}`,
      'reinstall with `npm ci` on this platform (python3, make and g++ are needed to build better-sqlite3)',
    );
  }
}

async function checkSandbox(config: Config): Promise<Check> {
  try {
    const s = await detectSandbox(config.sandbox, { ...sandboxOptions(config), stateDir: undefined });
    if (s.mode === 'bwrap') {
      const who = s.owner ? `uid ${s.owner.uid}` : "the daemon's uid in a user namespace";
      return ok(
        'bubblewrap',
        `container commands run in a bubblewrap sandbox as ${who}${s.seccomp ? ', with seccomp' : ''}`,
      );
    }
    if (config.sandbox === 'none') {
      return bad(
        'bubblewrap',
        'warn',
        "sandbox disabled (DISCO_SANDBOX=none): everyone's commands run unsandboxed, beside the daemon's keys",
        'unset DISCO_SANDBOX to sandbox commands',
      );
    }
    return bad(
      'bubblewrap',
      'warn',
      `${s.reason}: only admins may run commands, terminals and git`,
      'apt-get install bubblewrap; if it is installed, allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1); ' +
        'or set DISCO_SANDBOX=none to let every user run commands unsandboxed',
    );
  } catch (err) {
    return bad('bubblewrap', 'fail', (err as Error).message, 'apt-get install bubblewrap, or set DISCO_SANDBOX=auto');
  }
}

/** Which per-container limits (cgroups) this host lets the daemon enforce, and why not. */
export async function checkContainerLimits(config: Config): Promise<Check> {
  const cgroups = detectCgroups(config);
  try {
    const r = cgroups.report();
    const parts = (['memory', 'pids', 'cpu'] as const).map((n) => ({ n, ...r[n] }));
    const asked = parts.filter((p) => p.limit > 0);
    const missing = asked.filter((p) => !p.enforced);
    const detail = parts.map((p) => `${p.n} ${p.enforced ? `${p.limit} enforced` : `not enforced: ${p.reason}`}`);
    if (missing.length === 0)
      return ok('container-limits', `per-container limits (${r.version}): ${detail.join('; ')}`);
    return bad(
      'container-limits',
      'warn',
      `per-container limits: ${detail.join('; ')}`,
      'run the daemon as root, or in a cgroup v2 subtree delegated to it (systemd Delegate=yes, with memory, pids and cpu controllers); ' +
        'per-process limits (DISCO_LIMIT_*) still apply',
    );
  } finally {
    await cgroups.shutdown();
  }
}

/**
 * Who starts piped processes in container sandboxes: the native spawner (checked the way the daemon
 * checks it in each sandbox, NativeSpawner: it must start `true` and report its exit 0) or Node.
 */
export async function checkSpawner(config: Config, binary = SPAWNER_BINARY): Promise<Check> {
  if (config.sandboxSpawner === 'node')
    return ok('spawner', 'processes in sandboxes start from Node (DISCO_SANDBOX_SPAWNER=node)');
  const fix =
    'install a C compiler (apt-get install gcc) and run `npm run build`; Node is used meanwhile (slower exec)';
  if (!existsSync(binary)) return bad('spawner', 'warn', `no native spawner at ${binary}`, fix);
  const r = await spawnerSelfCheck(binary);
  if (r.ok) return ok('spawner', `the native spawner (${binary}) starts processes in sandboxes`);
  return bad('spawner', 'warn', `the native spawner failed its self-check: ${r.detail.slice(0, 200)}`, fix);
}

/**
 * Starts `true` through the spawner as a sandbox's check does. Its input stays open until the exit is
 * reported: the spawner reads the end of its input as "the daemon went away" and kills what it runs.
 */
function spawnerSelfCheck(binary: string): Promise<{ ok: boolean; detail: string }> {
  const exited = `{"t":"exit","id":"${CHECK_ID}"`;
  return new Promise((resolve) => {
    let out = '';
    let settled = false;
    const child = spawn(binary, ['0'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const done = (ok: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdin.end();
      if (!ok) child.kill('SIGKILL');
      resolve({ ok, detail });
    };
    const timer = setTimeout(() => done(false, `no exit reported within 10 s: ${out}`), 10_000);
    child.on('error', (err) => done(false, `it does not run: ${err.message}`));
    child.on('close', () => done(out.includes(`${exited},"code":0,`), out));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes(`${exited},"code":0,`)) done(true, out);
      else if (out.includes(exited)) done(false, out);
    });
    child.stdin.on('error', () => {});
    child.stdin.write(`${selfCheckLine()}\n`);
  });
}

function checkGit(): Check {
  try {
    const out = execFileSync('git', ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    return ok('git', out);
  } catch {
    return bad('git', 'fail', 'git is not installed', 'apt-get install git (the git ops run the real binary)');
  }
}

function checkChromium(): Check {
  const path = process.env.PATH ?? '/usr/bin:/bin';
  const found = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'].find((b) =>
    findExecutable(b, '/', path),
  );
  return found
    ? ok('chromium', `${found} found`)
    : bad(
        'chromium',
        'warn',
        'no Chromium found',
        'apt-get install chromium (needed for browser and computer-use tools)',
      );
}

/** keytar is optional (it compiles against libsecret and needs a D-Bus secret service at run time). */
function checkKeychain(): Check {
  const require = createRequire(import.meta.url);
  try {
    require('keytar');
    return ok('keychain', 'keytar loads: tokens can be kept in the system keychain');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    return bad(
      'keychain',
      'warn',
      missing
        ? 'keytar is not installed: tokens are kept in a 0600 file'
        : `keytar does not load: ${(err as Error).message}`,
      'optional: apt-get install libsecret-1-dev, then npm install keytar (needs a D-Bus secret service at run time)',
    );
  }
}

async function checkRedis(url: string | undefined): Promise<Check> {
  if (!url) return ok('redis', 'not configured (REDIS_URL unset): single-instance mode');
  const shown = url.replace(/\/\/[^@/]*@/, '//***@');
  try {
    const ms = await pingRedis(url);
    return ok('redis', `${shown} answered PING in ${ms} ms`);
  } catch (err) {
    return bad('redis', 'fail', `${shown}: ${(err as Error).message}`, 'start Redis or fix REDIS_URL');
  }
}

/** Free bytes where `dir` is or will be: its nearest existing ancestor (a fresh home has no containers yet). */
async function freeDiskBytesNear(dir: string): Promise<number> {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      return await freeDiskBytes(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(at) === at) throw err;
    }
  }
}

async function checkDisk(config: Config): Promise<Check> {
  const min = config.minFreeDiskMb * 1024 * 1024;
  try {
    mkdirSync(config.home, { recursive: true, mode: 0o700 });
    const free = await freeDiskBytes(config.home);
    const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
    const workspaces = await freeDiskBytesNear(config.containersDir);
    const reserve = config.diskReserveMb * 1024 * 1024;
    const where = `${gib(free)} free at ${config.home}; ${gib(workspaces)} free for workspaces at ${config.containersDir} (reserve ${config.diskReserveMb} MiB)`;
    if (free < min)
      return bad('disk', 'fail', where, `free space, or lower DISCO_MIN_FREE_DISK_MB (${config.minFreeDiskMb})`);
    if (reserve > 0 && workspaces < reserve)
      return bad(
        'disk',
        'fail',
        where,
        'free space: file writes for containers are refused (no_space) below the reserve',
      );
    return ok('disk', where);
  } catch (err) {
    return bad(
      'disk',
      'fail',
      `cannot use ${config.home}: ${(err as Error).message}`,
      'set DISCO_HOME to a writable directory',
    );
  }
}

async function checkPublicUrl(config: Config, reach: boolean): Promise<Check> {
  const url = config.publicUrl;
  if (!url) {
    return bad(
      'public-url',
      'warn',
      'DISCO_PUBLIC_URL is not set: fine locally, but ChatGPT needs a public HTTPS URL',
      'run behind a tunnel or deploy, then set DISCO_PUBLIC_URL=https://<host>',
    );
  }
  if (!url.startsWith('https://')) {
    return bad(
      'public-url',
      'fail',
      `${url} is not HTTPS`,
      'ChatGPT connects over HTTPS only: put TLS in front and use https://',
    );
  }
  if (!reach) return ok('public-url', `${url} (not contacted)`);
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
    return res.ok
      ? ok('public-url', `${url}/health answered ${res.status} over TLS`)
      : bad('public-url', 'fail', `${url}/health answered ${res.status}`, 'check that the URL reaches this daemon');
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return bad(
      'public-url',
      'fail',
      `${url} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      'check DNS, the tunnel or proxy, and that the TLS certificate is valid for this host',
    );
  }
}

/** Every check, in a fixed order; none throws. */
export async function runDoctor(input: DoctorInput): Promise<Check[]> {
  const { config } = input;
  return [
    checkNode(input.nodeVersion ?? process.version),
    checkSqlite(),
    await checkSandbox(config),
    await checkContainerLimits(config),
    ...(config.sandbox === 'none' ? [] : [await checkSpawner(config)]),
    checkGit(),
    checkChromium(),
    checkKeychain(),
    await checkRedis(input.redisUrl),
    await checkDisk(config),
    await checkPublicUrl(config, input.checkPublicUrl ?? true),
  ];
}
