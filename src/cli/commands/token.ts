import type { Command } from 'commander';
import { ago, table } from '../output.js';
import { opCommand, registerTable } from '../table.js';
import { type CommandDeps, outputFor, parseIntOption, withJson } from './shared.js';

const GROUP = { name: 'tokens', description: 'your personal access tokens, for scripts and CI: create, list, revoke' };

const state = (t: { revokedAt: string | null; expiresAt: string | null }, now = Date.now()) =>
  t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) <= now ? 'expired' : 'active';

/** `disco tokens ls|create|revoke`: one op each (`disco token` prints the local admin token instead). */
export const TOKEN_COMMANDS = [
  opCommand('token_list', {
    group: 'tokens',
    name: 'ls',
    aliases: ['list'],
    description: 'list your personal access tokens (never their secrets)',
    human: ({ tokens }) =>
      tokens.length === 0
        ? 'no personal access tokens; make one with `disco tokens create <name>`'
        : table(
            tokens.map((t) => ({
              ...t,
              scopes: t.scopes.join(','),
              created: ago(t.createdAt),
              expires: t.expiresAt ? t.expiresAt.slice(0, 10) : 'never',
              used: t.lastUsedAt ? ago(t.lastUsedAt) : 'never',
              state: state(t),
            })),
            ['id', 'name', 'hint', 'scopes', 'created', 'expires', 'used', 'state'],
          ),
  }),
  opCommand('token_create', {
    group: 'tokens',
    name: 'create',
    description: 'make a personal access token and print its secret (shown this once)',
    args: [{ name: 'name', field: 'name' }],
    flags: [
      {
        flags: '-s, --scopes <list>',
        description: 'comma-separated scopes (default: all of yours)',
        field: 'scopes',
        parse: (v) =>
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
      },
      {
        flags: '-e, --expires-in-days <n>',
        description: 'lifetime in days (default: no expiry)',
        field: 'expiresInDays',
        parse: parseIntOption('--expires-in-days'),
      },
    ],
    human: (t) =>
      [
        `created ${t.name} (${t.id}), scopes ${t.scopes.join(',')}, expires ${t.expiresAt ?? 'never'}`,
        'Store the secret now: it is not shown again.',
        t.token,
      ].join('\n'),
  }),
  opCommand('token_revoke', {
    group: 'tokens',
    name: 'revoke',
    aliases: ['rm'],
    description: 'revoke one of your personal access tokens at once',
    args: [{ name: 'id', field: 'id' }],
    human: (t) => `revoked ${t.name} (${t.id})`,
  }),
] as const;

export function registerToken(program: Command, deps: CommandDeps): void {
  withJson(
    program.command('token').description("print the local daemon's admin token (for curl, scripts, MCP clients)"),
  ).action((opts) => {
    const env = deps.cliEnv();
    if (!env.token) {
      throw new Error(`no admin token in ${env.home}; start the daemon once with \`disco serve\`, or set DISCO_TOKEN`);
    }
    outputFor(deps, opts).result({ token: env.token, url: env.baseUrl }, () => env.token as string);
  });
  registerTable(program, deps, [GROUP], TOKEN_COMMANDS);
}
