import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ApiError, type DiscoClient, type OpOutput } from '../client.js';
import { clientFor } from '../context.js';
import { ago, type Output, table } from '../output.js';
import { type Group, opCommand, registerTable } from '../table.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

type ContainerDto = OpOutput<'container_get'>;
type NetworkMode = ContainerDto['network'];

const MODES: readonly string[] = ['off', 'egress', 'host'];

/** `--network` value: a mode, or the old on/off (on is now the policed `egress`). */
export function parseNetwork(value: string): NetworkMode {
  const v = value === 'on' ? 'egress' : value;
  if (!MODES.includes(v)) {
    throw new ApiError('validation_failed', `--network must be off, egress or host (got '${value}')`, 400);
  }
  return v as NetworkMode;
}

export function parseRuntime(value: string): ContainerDto['runtime'] {
  if (value !== 'sandbox' && value !== 'webcontainer')
    throw new ApiError('validation_failed', `--runtime must be sandbox or webcontainer (got '${value}')`, 400);
  return value;
}

const withWarning = (c: ContainerDto, text: string) => (c.warning ? `${text}\nwarning: ${c.warning}` : text);

const describe = (c: ContainerDto) =>
  table(
    [
      { k: 'id', v: c.id },
      { k: 'name', v: c.name },
      { k: 'template', v: c.template },
      { k: 'status', v: c.status },
      { k: 'network', v: c.network },
      { k: 'runtime', v: c.runtime },
      { k: 'pinned', v: c.pinned ? 'yes' : 'no' },
      { k: 'owner', v: c.owner },
      { k: 'created', v: `${c.createdAt} (${ago(c.createdAt)})` },
      { k: 'last used', v: `${c.lastUsedAt} (${ago(c.lastUsedAt)})` },
    ],
    ['k', 'v'],
    ['FIELD', 'VALUE'],
  );

const GROUP: Group = {
  name: 'containers',
  alias: 'c',
  description: 'create, list, inspect and delete containers',
};

/** `disco containers …`: one op each. */
export const CONTAINER_COMMANDS = [
  opCommand('container_create', {
    group: 'containers',
    name: 'create',
    description: 'create a container',
    args: [{ name: 'name', field: 'name', optional: true }],
    flags: [
      { flags: '-t, --template <template>', description: 'starting files', field: 'template' },
      {
        flags: '--network <mode>',
        description: "off (loopback only), egress (default: through the daemon's proxy), host (admins)",
      },
      { flags: '--no-network', description: 'the same as --network off' },
      {
        flags: '--runtime <runtime>',
        description: 'where commands run: sandbox (the default: on the daemon host) or webcontainer (a browser page)',
        field: 'runtime',
      },
    ],
    input: ({ name }, opts) => ({
      ...(name ? { name } : {}),
      template: opts.template as 'blank',
      network: opts.network === false ? 'off' : parseNetwork((opts.network as string | undefined) ?? 'egress'),
      ...(opts.runtime !== undefined ? { runtime: parseRuntime(opts.runtime as string) } : {}),
    }),
    human: (c) =>
      withWarning(
        c,
        `created ${c.name} (${c.id}) from template ${c.template}, network ${c.network}, runtime ${c.runtime}` +
          (c.runtime === 'webcontainer' ? `\nits commands run in its workbench page: disco open ${c.name}` : ''),
      ),
  }),
  opCommand('container_list', {
    group: 'containers',
    name: 'ls',
    aliases: ['list'],
    description: 'list your containers',
    human: ({ containers }) =>
      containers.length === 0
        ? 'no containers yet; create one with `disco containers create`'
        : table(
            containers.map((c) => ({ ...c, created: ago(c.createdAt), used: ago(c.lastUsedAt) })),
            ['id', 'name', 'template', 'status', 'created', 'used'],
          ),
  }),
  opCommand('container_get', {
    group: 'containers',
    name: 'show',
    description: 'show one container (id or name)',
    args: [{ name: 'container', field: 'id' }],
    human: describe,
  }),
  opCommand('container_delete', {
    group: 'containers',
    name: 'rm',
    aliases: ['delete'],
    description: 'delete a container, its files and processes',
    args: [{ name: 'container', field: 'id' }],
    human: (c) => `deleted ${c.name} (${c.id})`,
  }),
  opCommand('container_stop', {
    group: 'containers',
    name: 'stop',
    description: 'kill its processes and terminals; files stay',
    args: [{ name: 'container', field: 'id' }],
    human: (c) => `stopped ${c.name} (${c.id}); any use starts it again`,
  }),
  opCommand('container_update', {
    group: 'containers',
    name: 'set',
    description: 'set its network mode; pin it against idle cleanup',
    args: [{ name: 'container', field: 'id' }],
    flags: [
      { flags: '--network <mode>', description: 'off, egress or host, for commands started from now on' },
      { flags: '--pin', description: 'never delete it for being idle' },
      { flags: '--unpin', description: 'let idle cleanup delete it' },
    ],
    input: ({ container }, opts) => ({
      id: container as string,
      ...(opts.network !== undefined ? { network: parseNetwork(opts.network as string) } : {}),
      ...(opts.pin ? { pinned: true } : opts.unpin ? { pinned: false } : {}),
    }),
    human: (c) => withWarning(c, describe(c)),
  }),
] as const;

export function registerContainers(program: Command, deps: CommandDeps): void {
  registerTable(program, deps, [GROUP], CONTAINER_COMMANDS);
  registerOpen(program, deps);
}

/** Opens `url` in the user's browser when the platform has an opener; never fails when it has none. */
export function openInBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? undefined : 'xdg-open';
  if (!opener) return;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {}); // no xdg-open (a server, a container): the printed URL is enough
    child.unref();
  } catch {
    // same
  }
}

export async function openWorkbench(
  client: DiscoClient,
  out: Output,
  ref: string,
  browser: boolean,
  opener: (url: string) => void = openInBrowser,
) {
  const link = await client.call('workbench_open', { container: ref });
  out.result(link, () =>
    [
      `workbench of ${ref}: ${link.url}`,
      `(the link attaches the page until ${link.expiresAt}${link.attached ? '; a page is attached now and a second one is refused' : ''})`,
    ].join('\n'),
  );
  if (browser) opener(link.url);
}

export function registerOpen(program: Command, deps: CommandDeps): void {
  withJson(
    program
      .command('open <container>')
      .description("open a webcontainer container's workbench page (its terminal and preview) in your browser"),
  )
    .option('--no-browser', 'only print the URL')
    .action((ref: string, opts) => openWorkbench(clientFor(deps.cliEnv()), outputFor(deps, opts), ref, opts.browser));
}
