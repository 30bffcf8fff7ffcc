import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let serve: ServeProcess;
let env: Record<string, string>;

const me = async (token: string) =>
  (await fetch(`${serve.url}/api/v1/containers`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('disco tokens: personal access tokens from the CLI', () => {
  beforeAll(async () => {
    home = await tempDir('disco-e2e-tokens-');
    serve = await spawnServe(home);
    env = { DISCO_URL: serve.url, DISCO_HOME: home };
  });
  afterAll(async () => {
    await serve.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('creates one with its scopes and expiry, lists it without its secret, and revokes it', async () => {
    const made = await disco(['tokens', 'create', 'ci bot', '--scopes', 'containers,files:read', '-e', '30'], env);
    expect(made.code, made.stderr).toBe(0);
    const lines = made.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^created ci bot \(tok_\w+\), scopes containers,files:read, expires 20\d\d-/);
    const secret = lines.at(-1) as string;
    expect(secret).toMatch(/^disco_/);
    expect(await me(secret)).toBe(200);

    const listed = await disco(['tokens', 'ls'], env);
    expect(listed.stdout).toMatch(/ci bot .* containers,files:read .* active/);
    expect(listed.stdout).not.toContain(secret);
    const { tokens } = JSON.parse((await disco(['tokens', 'ls', '--json'], env)).stdout);
    const id = tokens.find((t: { name: string }) => t.name === 'ci bot').id;

    const revoked = await disco(['tokens', 'revoke', id], env);
    expect(revoked.stdout).toBe(`revoked ci bot (${id})\n`);
    expect(await me(secret)).toBe(401);
    expect((await disco(['tokens', 'ls'], env)).stdout).toMatch(/ci bot .* revoked/);
  });

  it('refuses a scope that does not exist and an unknown id, changing nothing', async () => {
    // What the refusals must not change (last use moves with every call the CLI makes: left out).
    const tokens = async () =>
      JSON.parse((await disco(['tokens', 'ls', '--json'], env)).stdout).tokens.map(
        ({ lastUsedAt: _, ...t }: Record<string, unknown>) => t,
      );
    const before = await tokens();
    const bad = await disco(['tokens', 'create', 'x', '--scopes', 'root'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/validation_failed/);
    const missing = await disco(['tokens', 'revoke', 'tok_nope'], env);
    expect(missing.stderr).toMatch(/not found \[not_found\]/);
    expect(await tokens()).toEqual(before);
  });
});
