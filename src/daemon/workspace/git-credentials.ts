import { asNetworkMode } from '../sandbox/modes.js';
import type { GitContext } from './git-context.js';
import { checkRemoteUrl } from './git-remote.js';
import type { GitOptions, GitProtocol } from './git-runner.js';

function credentialEnv(c: GitContext['credentials']): Record<string, string> {
  if (!c) return {};
  const basic = Buffer.from(`x-access-token:${c.token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${c.urlPrefix}.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

export interface Credentialed {
  ctx: GitContext;
  extra: Partial<GitOptions>;
  close: () => void;
}

/**
 * How one network op (clone, pull, push) uses the user's token, for `urls`, every URL git will use.
 * Security: in a container's live sandbox every process shares git's uid and pid namespace and could read
 * git's environment, command line or memory, so the token never enters it. In `egress` mode git talks to
 * the daemon's relay (egress/git-relay.ts) through `-c url.<relay>.insteadOf=<GitHub prefix>`, and the
 * relay adds the header; in `host` mode (admins) git runs in a one-off sandbox with its own pid namespace;
 * in `off` git could not reach GitHub anyway. Without bubblewrap git runs as the daemon's user (nothing
 * is confined then) and gets the header through its environment, as before.
 */
export function credentialed(ctx: GitContext, urls: readonly string[], push: boolean): Credentialed {
  const c = ctx.credentials;
  const none = { ctx, extra: {}, close: () => {} };
  if (!c || !urls.some((u) => u.startsWith(c.urlPrefix))) return none;
  if (!(ctx.live && ctx.sandbox?.mode === 'bwrap')) return { ...none, extra: { extraEnv: credentialEnv(c) } };
  const network = asNetworkMode(ctx.network);
  if (network === 'host') return { ...none, ctx: { ...ctx, isolated: true }, extra: { extraEnv: credentialEnv(c) } };
  if (network !== 'egress' || !ctx.relay) return none;
  // The relay URL is plain http (inside the sandbox only): every URL of the op is checked against the
  // allowed protocols here, since git is then told http is fine.
  for (const u of urls) checkRemoteUrl(u, ctx.protocols);
  const grant = ctx.relay.grant(ctx.live.containerId, { prefix: c.urlPrefix, token: c.token, urls, push });
  const protocols: GitProtocol[] = ctx.protocols.includes('http') ? [...ctx.protocols] : [...ctx.protocols, 'http'];
  return {
    ctx: { ...ctx, protocols },
    extra: { configArgs: ['-c', `url.${grant.base}.insteadOf=${c.urlPrefix}`], protocols },
    close: grant.close,
  };
}
