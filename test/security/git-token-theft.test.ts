import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepo } from '../../src/daemon/db/audit-repo.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { type GithubStandin, startGithubStandin } from '../helpers/github-standin.js';
import { canMakeNetns, type NetnsHost, startNetnsHost } from '../helpers/netns.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

const enabled = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));
/** As root the stand-in sits behind a network namespace; otherwise the egress proxy is told to allow loopback. */
const netns = canMakeNetns();

const octo = { id: 583231, login: 'octo', name: 'The Octocat', email: 'octo@example.com' };

/**
 * The thief: a background process of the container that reads every process's environment and command
 * line in a tight loop (same uid, same pid namespace as git in the container's live sandbox), and keeps
 * anything that looks like a GitHub token or a Basic header in /tmp/loot.
 */
const THIEF = `
: > /tmp/loot
while [ ! -e /tmp/stop ]; do
  grep -a -h -o -E 'Basic [A-Za-z0-9+/=]{8,}|gho_[0-9a-f]{8,}|eC1hY2Nlc3MtdG9rZW46[A-Za-z0-9+/=]+' \\
    /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null >> /tmp/loot
done
echo done > /tmp/stopped
`;

describe.runIf(enabled)("the user's GitHub token never reaches a container's processes", () => {
  let gh: GithubStandin;
  let outside: NetnsHost | undefined;
  let t: TestDaemon;

  beforeAll(async () => {
    const gitRoot = await tempDir('gh-theft-');
    const bare = path.join(gitRoot, 'octo', 'private.git');
    await mkdir(path.dirname(bare), { recursive: true });
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', args, { cwd, stdio: 'pipe', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
    git(gitRoot, 'init', '-q', '--bare', '-b', 'main', bare);
    const work = await tempDir('gh-theft-work-');
    git(work, 'init', '-q', '-b', 'main');
    execFileSync('sh', ['-c', 'echo "secret sauce" > README.md'], { cwd: work });
    git(work, 'add', '.');
    git(work, '-c', 'user.name=o', '-c', 'user.email=o@x', 'commit', '-q', '-m', 'init');
    git(work, 'push', '-q', bare, 'main');
    // The stand-in looks like an outside host to the sandbox: a network namespace forwards to it (as root;
    // an unprivileged run lets the egress proxy reach loopback instead, which the token theft does not need).
    gh = await startGithubStandin({ gitRoot, user: octo, host: netns ? '0.0.0.0' : '127.0.0.1' });
    if (netns) {
      outside = await startNetnsHost({ forwardTo: Number(new URL(gh.url).port) });
      gh.url = `http://${outside.address}:${outside.port}`;
      gh.apiUrl = `${gh.url}/api`;
    }
    t = await startTestDaemon({
      DISCO_SANDBOX: 'bwrap',
      GITHUB_CLIENT_ID: gh.clientId,
      GITHUB_CLIENT_SECRET: gh.clientSecret,
      DISCO_GITHUB_URL: gh.url,
      DISCO_GITHUB_API_URL: gh.apiUrl,
      DISCO_GITHUB_ALLOWED_USERS: 'octo',
      DISCO_GIT_PROTOCOLS: 'https,http',
      ...(netns ? {} : { DISCO_EGRESS_ALLOW_CIDRS: '127.0.0.1/32' }),
    });
  });
  afterAll(async () => {
    await t?.stop();
    await outside?.stop();
    await gh?.close();
  });

  it('a background process that reads /proc/*/environ and cmdline while git clones, pulls and pushes sees nothing', async () => {
    const start = await fetch(`${t.url}/api/v1/auth/github`, { redirect: 'manual' });
    const approved = await fetch(start.headers.get('location') as string, { redirect: 'manual' });
    const done = await fetch(approved.headers.get('location') as string, { redirect: 'manual' });
    expect(done.status).toBe(200);
    const session = (await done.json()) as Json;
    const auth = { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' };
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${t.url}${p}`, {
        method,
        headers: auth,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const [token] = [...gh.tokens.keys()] as string[];
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');

    const c = await call('POST', '/api/v1/containers', { name: 'victim' });
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    expect(c.body.network).toBe('egress');
    const exec = (command: string, extra: Record<string, unknown> = {}) =>
      call('POST', '/api/v1/terminal/execute', {
        container: c.body.id,
        command,
        shell: true,
        timeoutMs: 20_000,
        ...extra,
      });
    const thief = await exec(THIEF, { background: true, timeoutMs: 120_000 });
    expect(thief.body.running, JSON.stringify(thief.body)).toBe(true);

    const base = `/api/v1/containers/${c.body.id}/git`;
    const clone = await call('POST', `${base}/clone`, { url: `${gh.url}/octo/private.git`, path: 'private' });
    expect(clone.status, JSON.stringify(clone.body)).toBe(200);
    expect(gh.gitRequests.some((r) => r.authorized)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const pull = await call('POST', `${base}/pull`, { path: 'private', remote: 'origin', branch: 'main' });
      expect(pull.status, JSON.stringify(pull.body)).toBe(200);
    }
    const branch = await call('POST', `${base}/checkout`, { path: 'private', ref: 'feature', create: true });
    expect(branch.status, JSON.stringify(branch.body)).toBe(200);
    await exec('cd private && echo more >> README.md');
    const commit = await call('POST', `${base}/commit`, { path: 'private', message: 'more', all: true });
    expect(commit.status, JSON.stringify(commit.body)).toBe(200);
    const push = await call('POST', `${base}/push`, { path: 'private', remote: 'origin', branch: 'feature' });
    expect(push.status, JSON.stringify(push.body)).toBe(200);
    const pushes = gh.gitRequests.filter((r) => r.path.endsWith('/git-receive-pack'));
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((r) => r.authorized)).toBe(true);

    await exec('touch /tmp/stop; for i in $(seq 50); do [ -e /tmp/stopped ] && break; sleep 0.1; done');
    const loot = (await exec('cat /tmp/loot; echo; cat /tmp/stopped')).body.stdout as string;
    expect(loot).toContain('done'); // the thief really ran to the end
    expect(loot).not.toContain(token);
    expect(loot).not.toContain(basic);
    expect(loot).not.toContain('eC1hY2Nlc3MtdG9rZW46');
  });

  it('the relay reaches only the granted repository, service and container (no new SSRF)', async () => {
    const relay = t.daemon.services.egress.gitRelay;
    const mk = async (name: string) => (await t.json('POST', '/api/v1/containers', { name })).body.id as string;
    const mine = await mk('relay-a');
    const other = await mk('relay-b');
    const [token] = [...gh.tokens.keys()] as string[];
    const grant = relay.grant(mine, {
      prefix: `${gh.url}/`,
      token: token as string,
      urls: [`${gh.url}/octo/private.git`],
      push: false,
    });
    const status = async (container: string, url: string, extra = '') =>
      (
        await t.json('POST', '/api/v1/terminal/execute', {
          container,
          command: `curl -sS -m 8 -o /dev/null -w '%{http_code}' ${extra} '${url}'`,
          shell: true,
          timeoutMs: 20_000,
        })
      ).body.stdout as string;
    try {
      const refs = (repo: string, service: string) => `${grant.base}${repo}/info/refs?service=${service}`;
      expect(await status(mine, refs('octo/private.git', 'git-upload-pack'))).toBe('200');
      // Passed on (the stand-in only serves the `.git` spelling and answers 404; GitHub serves both).
      expect(await status(mine, refs('octo/private', 'git-upload-pack'))).toBe('404');
      expect(await status(mine, refs('octo/other.git', 'git-upload-pack'))).toBe('403');
      expect(await status(mine, refs('octo/private.git', 'git-receive-pack'))).toBe('403'); // not a push
      expect(await status(mine, `${grant.base}octo/private.git/HEAD`)).toBe('403');
      expect(await status(mine, `${grant.base}api/user`)).toBe('403');
      expect(await status(mine, `${grant.base}octo/private.git/../../api/user`, '--path-as-is')).toBe('403');
      expect(await status(other, refs('octo/private.git', 'git-upload-pack'))).toBe('403'); // another container
      const forged = grant.base.replace(/\/[\w-]+\/$/, `/${'A'.repeat(32)}/`);
      expect(await status(mine, `${forged}octo/private.git/info/refs?service=git-upload-pack`)).toBe('403');
    } finally {
      grant.close();
    }
    const gone = `${grant.base}octo/private.git/info/refs?service=git-upload-pack`;
    expect(await status(mine, gone)).toBe('403'); // revoked with the op
    // Relayed and refused requests are counted like any egress (audit rows of the container).
    const rows = new AuditRepo(t.daemon.db).list({ action: 'egress.connect', limit: 200 });
    const host = new URL(gh.url).hostname;
    expect(rows.some((r) => r.target === mine && r.outcome === 'ok' && r.detail?.host === host)).toBe(true);
    expect(rows.some((r) => r.target === mine && r.outcome === 'denied' && r.detail?.code === 'git_relay')).toBe(true);
  });
});
