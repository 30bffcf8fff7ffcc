import type { Command } from 'commander';
import { isLoopbackHost } from '../../shared/defaults.js';
import { browserLogin } from '../browser-login.js';
import { ApiError, DiscoClient } from '../client.js';
import { readTokenFile } from '../context.js';
import { readAll } from '../output.js';
import { postJson, type StoredLogin } from '../session.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

interface TokenPairBody {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  scopes: string[];
  user: { id: string; name: string; isAdmin: boolean };
}

const normalizeUrl = (url: string) => {
  let u: URL;
  try {
    u = new URL(/^https?:\/\//.test(url) ? url : `https://${url}`);
  } catch {
    throw new ApiError('validation_failed', `'${url}' is not a URL`, 400);
  }
  return u.origin;
};

const isLocal = (url: string) => isLoopbackHost(new URL(url).hostname.replace(/^\[|\]$/g, ''));

async function readPassword(deps: CommandDeps, fromStdin: boolean): Promise<string> {
  if (fromStdin || !(deps.io.stdin as NodeJS.ReadStream).isTTY) {
    return (await readAll(deps.io.stdin)).toString('utf8').replace(/\r?\n$/, '');
  }
  const stdin = deps.io.stdin as NodeJS.ReadStream;
  deps.io.stderr.write('Password: ');
  stdin.setRawMode(true);
  stdin.resume();
  let pw = '';
  try {
    for await (const chunk of stdin) {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return pw;
        if (ch === '\u0003') throw new Error('cancelled');
        if (ch === '\u007f') pw = pw.slice(0, -1);
        else pw += ch;
      }
    }
    return pw;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    deps.io.stderr.write('\n');
  }
}

export function registerAuth(program: Command, deps: CommandDeps): void {
  withJson(
    program
      .command('login [url]')
      .description(
        'sign in to a daemon and keep the session (OS keychain, or a 0600 file): the local daemon with its admin ' +
          'token, any daemon with --user (password) or --token (a personal access token), a remote one in the browser',
      )
      .option('-u, --user <name>', 'sign in with a user name and password')
      .option('--password-stdin', 'read the password from standard input')
      .option('--token <token>', 'exchange a personal access token (or the bootstrap admin token)')
      .option('--web', 'sign in through the browser even for a local daemon'),
  ).action(
    async (
      url: string | undefined,
      opts: { user?: string; passwordStdin?: boolean; token?: string; web?: boolean; json?: boolean },
    ) => {
      const env = deps.cliEnv();
      const out = outputFor(deps, opts);
      const base = url ? normalizeUrl(url) : env.baseUrl;
      let login: StoredLogin;
      if (opts.user || opts.token || (isLocal(base) && !opts.web)) {
        const token =
          opts.token ?? (opts.user ? undefined : deps.processEnv.DISCO_ADMIN_TOKEN || readTokenFile(env.home));
        if (!opts.user && !token) {
          throw new ApiError(
            'validation_failed',
            `no admin token found in ${env.home}; use --user, --token or --web`,
            400,
          );
        }
        const body = opts.user
          ? { username: opts.user, password: await readPassword(deps, opts.passwordStdin === true) }
          : { token: token as string };
        const pair = (await postJson(base, '/api/v1/auth/login', body)) as TokenPairBody;
        login = {
          url: base,
          user: pair.user,
          scopes: pair.scopes,
          kind: 'session',
          refreshToken: pair.refreshToken,
          accessToken: pair.accessToken,
          accessExpiresAt: Date.now() + pair.expiresIn * 1000,
        };
      } else {
        const t = await browserLogin(base, (link) => {
          out.info(
            `Open this link in a browser to sign in to ${base}:\n\n  ${link}\n\nWaiting for the browser… (Ctrl-C to cancel)`,
          );
        });
        const me = await new DiscoClient(base, t.access_token).call('auth_me', {});
        login = {
          url: base,
          user: { id: me.user.id, name: me.user.name, isAdmin: me.user.isAdmin },
          scopes: t.scope.split(' ').filter(Boolean),
          kind: 'oauth',
          refreshToken: t.refresh_token,
          accessToken: t.access_token,
          accessExpiresAt: Date.now() + t.expires_in * 1000,
        };
      }
      const store = await env.store();
      await store.save(login);
      await store.setDefault?.(base);
      if (store.notice) out.info(store.notice);
      out.result(
        { url: base, user: login.user, scopes: login.scopes, credentials: store.backend },
        () =>
          `Logged in to ${base} as ${login.user.name}${login.user.isAdmin ? ' (admin)' : ''} · credentials in the ${store.backend === 'keychain' ? 'OS keychain' : 'credentials file'}`,
      );
    },
  );

  withJson(
    program.command('logout [url]').description('end the session with a daemon and forget its credentials'),
  ).action(async (url: string | undefined, opts: { json?: boolean }) => {
    const env = deps.cliEnv();
    const base = url ? normalizeUrl(url) : env.baseUrl;
    const store = await env.store();
    const login = await store.load(base);
    if (!login) {
      outputFor(deps, opts).result({ url: base, loggedOut: false }, () => `Not logged in to ${base}`);
      return;
    }
    // Revoke on the daemon first; forget locally whatever happens (an unreachable daemon must not trap you).
    const revoked = await postJson(
      base,
      '/api/v1/auth/logout',
      { refreshToken: login.refreshToken },
      login.accessToken,
    ).then(
      () => true,
      () => false,
    );
    await store.remove(base);
    outputFor(deps, opts).result(
      { url: base, loggedOut: true, revoked },
      () =>
        `Logged out of ${base}${revoked ? '' : ' (the daemon could not be reached; the session expires on its own)'}`,
    );
  });

  withJson(program.command('whoami').description('show who the CLI is signed in as, and where')).action(
    async (opts: { json?: boolean }) => {
      const env = deps.cliEnv();
      const me = await env.client().call('auth_me', {});
      const store = await env.store();
      const logins = (await store.list()).map((l) => ({ url: l.url, user: l.user.name }));
      outputFor(deps, opts).result({ url: env.baseUrl, ...me, credentials: store.backend, logins }, () =>
        [
          `${me.user.name}${me.user.isAdmin ? ' (admin)' : ''} at ${env.baseUrl}`,
          `  via     ${me.via}${me.clientId ? ` (${me.clientId})` : ''}`,
          `  scopes  ${me.scopes.join(' ')}`,
          ...(me.user.github ? [`  github  ${me.user.github}`] : []),
          ...(logins.length > 1
            ? [
                '  also logged in to:',
                ...logins.filter((l) => l.url !== env.baseUrl).map((l) => `    ${l.url} (${l.user})`),
              ]
            : []),
        ].join('\n'),
      );
    },
  );
}
