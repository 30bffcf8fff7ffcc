import { spawn } from 'node:child_process';
import { type Command, InvalidArgumentError } from 'commander';
import type { DiscoClient } from '../client.js';
import { clientFor } from '../context.js';
import { type Output, table } from '../output.js';
import { opCommand, registerTable } from '../table.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `15m`, `1h`, `7d` (or plain seconds) to seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 30m, 1h or 7d');
  return Number(m[1]) * (UNIT_SECONDS[m[2] || 's'] ?? 1);
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new InvalidArgumentError(`port: expected a port number (got '${text}')`);
  return Number(text);
}

/** Opens a URL in the desktop's browser; failure is not an error (the link is printed anyway). */
function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no browser here
  }
}

/** `disco ports`: one op. */
export const PORT_COMMANDS = [
  opCommand('ports_list', {
    name: 'ports',
    description: 'list the TCP ports listening in a container, with preview URLs',
    args: [{ name: 'container', field: 'container' }],
    human: (r) =>
      r.ports.length === 0
        ? 'nothing listens in this container'
        : table(
            r.ports.map((p) => ({ ...p, pid: p.pid ?? '', command: p.command ?? '', url: p.urls.host ?? p.urls.path })),
            ['port', 'address', 'pid', 'command', 'url'],
          ),
  }),
] as const;

export async function preview(
  client: DiscoClient,
  out: Output,
  container: string,
  port: number,
  opts: { open?: boolean; share?: boolean; expires?: number },
) {
  if (opts.share) {
    const r = await client.call('preview_share_create', {
      container,
      port,
      ...(opts.expires !== undefined ? { expiresIn: opts.expires } : {}),
    });
    out.result(r, () => `${r.url}\nshare ${r.id}, valid until ${r.expiresAt} (revoke: disco preview --revoke ${r.id})`);
    if (opts.open) openInBrowser(r.url);
    return;
  }
  const r = await client.call('preview_open', { container, port });
  out.result(r, () => `${r.url}\n(single use, valid until ${r.expiresAt})`);
  if (opts.open) openInBrowser(r.url);
}

export function registerPreview(program: Command, deps: CommandDeps): void {
  const client = () => clientFor(deps.cliEnv());
  registerTable(program, deps, [], PORT_COMMANDS);
  withJson(
    program
      .command('preview [container] [port]')
      .description(
        'print a single-use link (60 s) that opens what a container serves on a port in a browser; ' +
          '--share makes a link anyone may use until it expires; --revoke <id> ends a share',
      )
      .option('--open', 'also open the link in the browser')
      .option('--share', 'create a share link instead (anyone holding it may open the preview)')
      .option('--expires <duration>', 'how long a share lasts: 30m, 1h, 7d (default 1h)', parseDuration)
      .option('--revoke <shareId>', 'revoke a share link')
      .option('--list', 'list your share links (of the container, when given)'),
  ).action(async (container: string | undefined, port: string | undefined, opts) => {
    const out = outputFor(deps, opts);
    if (opts.revoke) {
      const r = await client().call('preview_share_revoke', { id: opts.revoke });
      return out.result(r, () => `revoked ${r.id}`);
    }
    if (opts.list) {
      const r = await client().call('preview_share_list', container ? { container } : {});
      return out.result(r, () =>
        r.shares.length === 0 ? 'no shares' : table(r.shares, ['id', 'container', 'port', 'status', 'expiresAt']),
      );
    }
    if (!container || !port)
      throw new InvalidArgumentError(
        'usage: disco preview <container> <port> [--share] · disco preview --list · disco preview --revoke <id>',
      );
    return preview(client(), out, container, parsePort(port), opts);
  });
}
