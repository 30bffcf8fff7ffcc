import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { gitSh, gitShTry } from '../helpers/git-sh.js';
import { handToSandbox } from '../helpers/sandbox-uid.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

/**
 * Item 5: git is code. The container (here: the test writing into the workspace, as any process in it
 * could) sets one executable config key at a time; a token with only the `git` scope then runs every git
 * op. The program touches a marker; it must never appear. Each case first proves, with plain git, that
 * its setup really runs the program (the positive control), so a passing case means Disco stopped it.
 */
const hasGit = requireSystem('git', hasCommand('git'));

interface Case {
  name: string;
  /** Written with `git config` into the repository's .git/config; `$ROOT` is the workspace. */
  config?: Array<[string, string]>;
  /** Written to .git/info/attributes (container-controlled, never committed). */
  attributes?: string;
  setup?: (root: string) => Promise<void>;
  /** Undoes what the positive control changed, so the case still applies to Disco's ops. */
  rearm?: (root: string) => Promise<void>;
  /** Plain git arguments that run the program today (null: needs a terminal or a merge to show). */
  control: string[] | null;
  /** A remote pulled from as well (besides origin and the in-workspace `inner`). */
  remote?: string;
  /** Keys Disco cannot make inert: every op is refused instead of run. */
  refused?: true;
}

const EVIL = '$ROOT/.git/evil.sh';
const hooks = ['pre-commit', 'commit-msg', 'post-commit', 'post-checkout', 'post-merge', 'pre-push', 'pre-receive'];
const hooksPath = ['pre-receive', 'update', 'post-receive', 'post-update', 'reference-transaction', 'proc-receive'];
const writeHooks = async (dir: string, names: string[]) => {
  await mkdir(dir, { recursive: true });
  for (const h of names) {
    await writeFile(path.join(dir, h), `#!/bin/sh\ntouch "${path.resolve(dir, '../..')}/.git/pwned"\nexit 1\n`);
    await chmod(path.join(dir, h), 0o755);
  }
};
const filterConfig = (root: string) =>
  `[filter "ev"]\n\tclean = ${root}/.git/evil.sh\n\tsmudge = ${root}/.git/evil.sh\n`;

/** A populated submodule whose own config names a filter; its file looks stale, so status would look inside. */
async function submoduleWithFilter(root: string) {
  const sub = path.join(root, 'sub');
  await mkdir(path.join(sub, '.git/info'), { recursive: true });
  gitSh(sub, ['init', '-q']);
  await writeFile(path.join(sub, 'f'), 's\n');
  gitSh(sub, ['add', 'f']);
  gitSh(sub, ['commit', '-qm', 's']);
  gitSh(sub, ['config', 'filter.ev.clean', `${root}/.git/evil.sh`]);
  await writeFile(path.join(sub, '.git/info/attributes'), '* filter=ev\n');
  gitSh(root, ['add', 'sub']);
  gitSh(root, ['commit', '-qm', 'sub']);
  await staleSubmoduleFile(root);
}
/** Same size, other content, old time: git must run the clean filter to tell whether it changed. */
async function staleSubmoduleFile(root: string) {
  await writeFile(path.join(root, 'sub/f'), 't\n');
  await utimes(path.join(root, 'sub/f'), 946684800, 946684800);
}

let locked = '';
const CASES: Case[] = [
  {
    name: 'filter.<driver>.clean',
    config: [['filter.ev.clean', EVIL]],
    attributes: '* filter=ev',
    control: ['hash-object', 'shared.txt'],
  },
  {
    name: 'filter.<driver>.smudge',
    config: [['filter.ev.smudge', EVIL]],
    attributes: '* filter=ev',
    control: ['checkout-index', '-f', '--', 'shared.txt'],
  },
  {
    name: 'filter.<driver>.process',
    config: [['filter.ev.process', EVIL]],
    attributes: '* filter=ev',
    control: ['hash-object', 'shared.txt'],
  },
  {
    name: 'filter.<driver>.required',
    config: [
      ['filter.ev.clean', EVIL],
      ['filter.ev.smudge', EVIL],
      ['filter.ev.required', 'true'],
    ],
    attributes: '* filter=ev',
    control: ['hash-object', 'shared.txt'],
  },
  { name: 'diff.<driver>.textconv', config: [['diff.ev.textconv', EVIL]], attributes: '* diff=ev', control: ['diff'] },
  { name: 'diff.<driver>.command', config: [['diff.ev.command', EVIL]], attributes: '* diff=ev', control: ['diff'] },
  { name: 'diff.external', config: [['diff.external', EVIL]], control: ['diff'] },
  { name: 'merge.<driver>.driver', config: [['merge.ev.driver', EVIL]], attributes: '* merge=ev', control: null },
  {
    name: 'core.hooksPath',
    config: [['core.hooksPath', '$ROOT/.git/evil-hooks']],
    setup: (r) => writeHooks(path.join(r, '.git/evil-hooks'), hooks),
    control: ['commit', '--allow-empty', '-m', 'c'],
  },
  {
    name: 'hooks in .git/hooks',
    setup: (r) => writeHooks(path.join(r, '.git/hooks'), hooks),
    control: ['commit', '--allow-empty', '-m', 'c'],
  },
  {
    name: 'hooks of a local remote (receive-pack side)',
    setup: (r) => writeHooks(path.join(r, 'inner.git/hooks'), hooksPath),
    control: ['push', 'inner', 'HEAD:refs/heads/control'],
  },
  { name: 'core.fsmonitor', config: [['core.fsmonitor', EVIL]], control: ['status'] },
  {
    name: 'core.editor, sequence.editor (pull.rebase=interactive)',
    config: [
      ['core.editor', EVIL],
      ['sequence.editor', EVIL],
      ['pull.rebase', 'interactive'],
    ],
    control: ['commit', '--allow-empty'],
  },
  {
    name: 'core.pager, pager.<cmd>',
    config: [
      ['core.pager', EVIL],
      ['pager.log', EVIL],
      ['pager.status', EVIL],
      ['pager.diff', EVIL],
    ],
    control: null,
  },
  {
    name: 'commit.gpgSign + gpg.program',
    config: [
      ['commit.gpgSign', 'true'],
      ['gpg.program', EVIL],
    ],
    control: ['commit', '--allow-empty', '-m', 's'],
  },
  {
    name: 'gpg.openpgp.program',
    config: [
      ['commit.gpgSign', 'true'],
      ['gpg.openpgp.program', EVIL],
    ],
    control: ['commit', '--allow-empty', '-m', 's'],
  },
  {
    name: 'gpg.ssh.program',
    config: [
      ['commit.gpgSign', 'true'],
      ['gpg.format', 'ssh'],
      ['user.signingKey', 'key::ssh-ed25519 AAAAC3Nza'],
      ['gpg.ssh.program', EVIL],
    ],
    control: ['commit', '--allow-empty', '-m', 's'],
  },
  {
    name: 'gpg.ssh.defaultKeyCommand',
    config: [
      ['commit.gpgSign', 'true'],
      ['gpg.format', 'ssh'],
      ['gpg.ssh.defaultKeyCommand', EVIL],
    ],
    control: ['commit', '--allow-empty', '-m', 's'],
  },
  { name: 'remote.<name>.uploadpack', config: [['remote.origin.uploadpack', EVIL]], control: ['fetch', 'origin'] },
  {
    name: 'remote.<name>.receivepack',
    config: [['remote.inner.receivepack', EVIL]],
    control: ['push', 'inner', 'HEAD:refs/heads/control'],
  },
  {
    name: 'core.sshCommand (ssh:// remote)',
    config: [
      ['core.sshCommand', EVIL],
      ['remote.sshy.url', 'ssh://example.invalid/x.git'],
    ],
    remote: 'sshy',
    control: ['ls-remote', 'sshy'],
  },
  {
    name: 'protocol.ext.allow (ext:: remote)',
    config: [
      ['protocol.ext.allow', 'always'],
      ['remote.exty.url', `ext::${EVIL}`],
    ],
    remote: 'exty',
    control: ['ls-remote', 'exty'],
  },
  {
    name: 'credential.helper',
    config: [
      ['credential.helper', `!${EVIL}`],
      ['remote.locked.url', '$LOCKED'],
    ],
    remote: 'locked',
    control: ['ls-remote', 'locked'],
  },
  {
    name: 'credential.<url>.helper',
    config: [
      ['credential.$LOCKED.helper', `!${EVIL}`],
      ['remote.locked.url', '$LOCKED'],
    ],
    remote: 'locked',
    control: ['ls-remote', 'locked'],
  },
  {
    name: 'core.askPass',
    config: [
      ['core.askPass', EVIL],
      ['remote.locked.url', '$LOCKED'],
    ],
    remote: 'locked',
    control: ['ls-remote', 'locked'],
  },
  {
    name: 'include.path',
    config: [['include.path', '$ROOT/.git/extra.cfg']],
    attributes: '* filter=ev',
    setup: (r) => writeFile(path.join(r, '.git/extra.cfg'), filterConfig(r)),
    control: ['hash-object', 'shared.txt'],
    refused: true,
  },
  {
    name: 'includeIf.<condition>.path',
    config: [['includeIf.onbranch:main.path', '$ROOT/.git/extra.cfg']],
    attributes: '* filter=ev',
    setup: (r) => writeFile(path.join(r, '.git/extra.cfg'), filterConfig(r)),
    control: ['hash-object', 'shared.txt'],
    refused: true,
  },
  {
    name: 'core.alternateRefsCommand',
    config: [['core.alternateRefsCommand', EVIL]],
    setup: (r) => writeFile(path.join(r, '.git/objects/info/alternates'), `${r}/inner.git/objects\n`),
    control: ['fetch', 'origin'],
  },
  {
    name: "a submodule's own filter (status, diff, add inside it)",
    setup: submoduleWithFilter,
    rearm: staleSubmoduleFile,
    control: ['status'],
  },
];

let t: TestDaemon;
let remotes: string;
let origin: string;
let other: string;
let gitToken: string;
let server: http.Server;

/** The git-only token's call; every status is kept for the failure message. */
async function asGit(method: string, url: string, body?: unknown) {
  const res = await fetch(`${t.url}/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${gitToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return `${method} ${url} → ${res.status} ${text.slice(0, 160)}`;
}

describe.runIf(hasGit)('a git-only token runs no program the repository configures', () => {
  beforeAll(async () => {
    remotes = await tempDir('disco-sec-git-');
    origin = path.join(remotes, 'origin.git');
    other = path.join(remotes, 'other');
    gitSh(remotes, ['init', '-q', '--bare', '--initial-branch=main', origin]);
    gitSh(remotes, ['clone', '-q', origin, other]);
    await writeFile(path.join(other, 'shared.txt'), 'base\n');
    gitSh(other, ['add', '.']);
    gitSh(other, ['commit', '-qm', 'seed']);
    gitSh(other, ['push', '-q', 'origin', 'HEAD:main']);
    // A remote that always asks for credentials: what makes git call a helper or askpass.
    server = http.createServer((_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    locked = `http://127.0.0.1:${(server.address() as AddressInfo).port}/locked.git`;
    // The locked remote listens on the host's loopback: the containers use the 'host' network mode to reach it.
    t = await startTestDaemon({ DISCO_GIT_PROTOCOLS: 'https,http,file', DISCO_ALLOW_HOST_NETWORK: 'true' });
    const pat = await t.json('POST', '/api/v1/tokens', { name: 'git-only', scopes: ['git'] });
    expect(pat.status).toBe(201);
    gitToken = pat.body.token;
  });
  afterAll(async () => {
    await t?.stop();
    server?.close();
    if (remotes) await rm(remotes, { recursive: true, force: true });
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', { timeout: 60_000 }, async (_name, c, i) => {
    const created = await t.json('POST', '/api/v1/containers', { name: `k${i}`, network: 'host' });
    const root = path.join(t.home, 'containers', created.body.id);
    const cloned = await t.json('POST', `/api/v1/containers/k${i}/git/clone`, { url: `file://${origin}` });
    expect(cloned.status, JSON.stringify(cloned.body)).toBe(200);
    const marker = path.join(root, '.git/pwned');
    const subst = (s: string) => s.replaceAll('$ROOT', root).replaceAll('$LOCKED', locked);
    await writeFile(path.join(root, '.git/evil.sh'), `#!/bin/sh\ntouch "${marker}"\nexit 1\n`);
    await chmod(path.join(root, '.git/evil.sh'), 0o755);
    gitSh(root, ['init', '-q', '--bare', 'inner.git']);
    await appendFile(path.join(root, '.git/info/exclude'), 'inner.git/\n');
    gitSh(root, ['config', 'remote.inner.url', path.join(root, 'inner.git')]);
    // Someone else moves origin on, so that pull merges (and conflicts on shared.txt).
    gitSh(other, ['pull', '-q', '--no-rebase', 'origin', 'main']);
    await writeFile(path.join(other, 'shared.txt'), `theirs ${i}\n`);
    await writeFile(path.join(other, `other-${i}.txt`), 'theirs\n');
    gitSh(other, ['add', '.']);
    gitSh(other, ['commit', '-qm', `theirs ${i}`]);
    gitSh(other, ['push', '-q', 'origin', 'HEAD:main']);

    await c.setup?.(root);
    for (const [key, value] of c.config ?? []) gitSh(root, ['config', '--add', subst(key), subst(value)]);
    if (c.attributes) await writeFile(path.join(root, '.git/info/attributes'), `${c.attributes}\n`);
    if (c.control) {
      await writeFile(path.join(root, 'shared.txt'), 'control\n');
      await gitShTry(root, c.control, { GIT_TERMINAL_PROMPT: '0' });
      expect(existsSync(marker), `positive control: plain git ${c.control.join(' ')} runs the program`).toBe(true);
      await rm(marker);
      await c.rearm?.(root);
    }

    await writeFile(path.join(root, 'shared.txt'), `mine ${i}\n`);
    await writeFile(path.join(root, `new-${i}.txt`), 'mine\n');
    handToSandbox(root);
    const G = `/containers/k${i}/git`;
    const trail = [
      await asGit('GET', `${G}/status`),
      await asGit('GET', `${G}/diff`),
      await asGit('GET', `${G}/diff?file=shared.txt`),
      await asGit('GET', `${G}/log?limit=3`),
      await asGit('POST', `${G}/commit`, { message: 'mine', all: true }),
      await asGit('GET', `${G}/diff?staged=true`),
      await asGit('POST', `${G}/branch`, { action: 'create', name: 'side' }),
      await asGit('POST', `${G}/branch`, { action: 'switch', name: 'side' }),
      await asGit('POST', `${G}/checkout`, { ref: 'main' }),
      await asGit('POST', `${G}/checkout`, { paths: ['shared.txt'] }),
      await asGit('POST', `${G}/push`, { remote: 'inner', branch: 'main' }),
      ...(c.remote ? [await asGit('POST', `${G}/pull`, { remote: c.remote, branch: 'main' })] : []),
      await asGit('POST', `${G}/pull`, { remote: 'origin', branch: 'main' }),
      await asGit('POST', `${G}/pull`, { remote: 'origin', branch: 'main', rebase: true }),
    ];
    expect(existsSync(marker), trail.join('\n')).toBe(false);
    for (const line of trail) expect(line).not.toMatch(/→ 5\d\d/);
    // Not refusing everything: the everyday ops still work, or, for what cannot be made inert, are refused.
    const [status, , , log, commit] = trail;
    for (const line of [status, log, commit]) {
      expect(line).toMatch(c.refused ? /→ 403 .*command_refused/ : /→ 200 /);
    }
  });
});
