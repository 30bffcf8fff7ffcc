import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/daemon/main.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { type GithubStandin, startGithubStandin } from '../helpers/github-standin.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

const octo = { id: 583231, login: 'octo', name: 'The Octocat', email: 'octo@example.com' };

/** A private repository on the stand-in: octo/private.git with one commit. */
async function privateRepo(root: string) {
  const bare = path.join(root, 'octo', 'private.git');
  await mkdir(path.dirname(bare), { recursive: true });
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, stdio: 'pipe', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  const work = await tempDir('gh-work-');
  git(work, 'init', '-q', '-b', 'main');
  execFileSync('sh', ['-c', 'echo "secret sauce" > README.md'], { cwd: work });
  git(work, 'add', '.');
  git(work, '-c', 'user.name=o', '-c', 'user.email=o@x', 'commit', '-q', '-m', 'init');
  git(work, 'push', '-q', bare, 'main');
}

describe('Sign in with GitHub (against a local stand-in speaking its protocol)', () => {
  let gh: GithubStandin;
  let t: TestDaemon;
  beforeAll(async () => {
    const gitRoot = await tempDir('gh-root-');
    await privateRepo(gitRoot);
    gh = await startGithubStandin({ gitRoot, user: octo });
    t = await startTestDaemon({
      GITHUB_CLIENT_ID: gh.clientId,
      GITHUB_CLIENT_SECRET: gh.clientSecret,
      DISCO_GITHUB_URL: gh.url,
      DISCO_GITHUB_API_URL: gh.apiUrl,
      DISCO_GITHUB_ALLOWED_USERS: 'octo',
      DISCO_GIT_PROTOCOLS: 'https,http',
      // The stand-in listens on the host's loopback, which no sandboxed network mode a non-admin may choose
      // reaches (egress refuses loopback); without a sandbox, 'egress' runs with the host's network.
      DISCO_SANDBOX: 'none',
    });
  });
  afterAll(async () => {
    await t.stop();
    await gh.close();
  });

  /** Follows the flow like a browser: daemon → GitHub → daemon callback. */
  async function githubFlow(startPath: string): Promise<Response> {
    const start = await fetch(`${t.url}${startPath}`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const toGithub = new URL(start.headers.get('location') as string);
    expect(toGithub.origin).toBe(gh.url);
    expect(toGithub.searchParams.get('code_challenge_method')).toBe('S256');
    expect(toGithub.searchParams.get('state')).toMatch(/^[\w-]{40,}$/);
    const approved = await fetch(toGithub, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    return fetch(approved.headers.get('location') as string, { redirect: 'manual' });
  }

  it('creates an allowed user, seals their GitHub token, and clones a private repository with it', async () => {
    gh.signedIn = octo;
    const done = await githubFlow('/api/v1/auth/github');
    expect(done.status).toBe(200);
    const session = (await done.json()) as Json;
    expect(session.user.name).toBe('octo');
    const auth = { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' };
    const me = (await (await fetch(`${t.url}/api/v1/auth/me`, { headers: auth })).json()) as Json;
    expect(me.user).toMatchObject({ name: 'octo', github: 'octo', email: 'octo@example.com' });

    // At rest the GitHub token is sealed, never in the clear.
    const [issued] = [...gh.tokens.keys()];
    const db = new Database(path.join(t.home, DB_FILE), { readonly: true });
    const row = db.prepare('SELECT github_token FROM users WHERE github_login = ?').get('octo') as {
      github_token: string;
    };
    db.close();
    expect(row.github_token).toMatch(/^v1\./);
    expect(row.github_token).not.toContain(issued as string);

    // git_clone of the private repository uses the user's token (not in the URL, not in the logs).
    const c = (await (
      await fetch(`${t.url}/api/v1/containers`, { method: 'POST', headers: auth, body: '{}' })
    ).json()) as Json;
    const clone = await fetch(`${t.url}/api/v1/containers/${c.id}/git/clone`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: `${gh.url}/octo/private.git`, path: 'private' }),
    });
    expect(clone.status, await clone.clone().text()).toBe(200);
    expect(gh.gitRequests.some((r) => r.authorized)).toBe(true);
    const readme = await fetch(`${t.url}/api/v1/containers/${c.id}/files/content?path=private/README.md`, {
      headers: auth,
    });
    expect(((await readme.json()) as Json).content).toContain('secret sauce');
    const config = await readFile(path.join(t.home, 'containers', c.id, 'private', '.git', 'config'), 'utf8');
    expect(config).not.toContain(issued as string);
    expect(config).toContain(`${gh.url}/octo/private.git`);

    // Without a linked token (the admin), the same clone is refused by the host.
    const admin = await t.json('POST', '/api/v1/containers', {});
    const refused = await t.json('POST', `/api/v1/containers/${admin.body.id}/git/clone`, {
      url: `${gh.url}/octo/private.git`,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('git_failed');
  });

  it('refuses a GitHub account the operator did not allow', async () => {
    gh.signedIn = { id: 666, login: 'mallory' };
    const done = await githubFlow('/api/v1/auth/github');
    expect(done.status).toBe(403);
    expect(await done.text()).toContain('DISCO_GITHUB_ALLOWED_USERS');
    const users = await t.json('GET', '/api/v1/users');
    expect(users.body.users.map((u: Json) => u.name)).not.toContain('mallory');
  });

  it('signs in with GitHub on the OAuth consent page (ChatGPT connecting)', async () => {
    gh.signedIn = octo;
    const redirect = 'https://chatgpt.com/connector_platform_oauth_redirect';
    const reg = (await (
      await fetch(`${t.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'ChatGPT', redirect_uris: [redirect], token_endpoint_auth_method: 'none' }),
      })
    ).json()) as Json;
    const verifier = randomBytes(32).toString('base64url');
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: reg.client_id,
      redirect_uri: redirect,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'st',
    });
    const page = await (await fetch(`${t.url}/oauth/authorize?${q}`)).text();
    const githubLink = /href="([^"]*\/api\/v1\/auth\/github\?request=[^"]+)"/.exec(page)?.[1] as string;
    expect(githubLink).toBeTruthy();
    const consent = await githubFlow(githubLink.replaceAll('&#38;', '&'));
    expect(consent.status).toBe(200);
    const html = await consent.text();
    expect(html).toContain('Signed in as <b>octo (GitHub: octo)</b>');
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1] as string;
    const consentId = /name="consent" value="([^"]+)"/.exec(html)?.[1] as string;
    const approved = await fetch(`${t.url}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request, consent: consentId, action: 'approve' }).toString(),
      redirect: 'manual',
    });
    expect(approved.status).toBe(303);
    const back = new URL(approved.headers.get('location') as string);
    expect(back.searchParams.get('code')).toBeTruthy();
    const tokens = (await (
      await fetch(`${t.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: back.searchParams.get('code') as string,
          code_verifier: verifier,
          client_id: reg.client_id,
          redirect_uri: redirect,
        }).toString(),
      })
    ).json()) as Json;
    expect(tokens.access_token).toBeTruthy();
    // The consent id is single use.
    const again = await fetch(`${t.url}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request, consent: consentId, action: 'approve' }).toString(),
      redirect: 'manual',
    });
    expect(again.status).toBe(400);
  });
});
