import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ApiError, type DiscoClient, type OpOutput } from '../client.js';
import { clientFor } from '../context.js';
import { ago, type Output, table } from '../output.js';
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

export async function containersCreate(
  client: DiscoClient,
  out: Output,
  name: string | undefined,
  template: string,
  network: NetworkMode = 'egress',
  runtime?: ContainerDto['runtime'],
) {
  const c = await client.call('container_create', {
    ...(name ? { name } : {}),
    template: template as 'blank',
    network,
    ...(runtime ? { runtime } : {}),
  });
  out.result(c, () =>
    withWarning(
      c,
      `created ${c.name} (${c.id}) from template ${c.template}, network ${c.network}, runtime ${c.runtime}` +
        (c.runtime === 'webcontainer'
          ? `
its commands run in its workbench page: disco open ${c.name}`
          : ''),
    ),
  );
}

export async function containersList(client: DiscoClient, out: Output) {
  const { containers } = await client.call('container_list', {});
  out.result({ containers }, () =>
    containers.length === 0
      ? 'no containers yet; create one with `disco containers create`'
      : table(
          containers.map((c) => ({ ...c, created: ago(c.createdAt), used: ago(c.lastUsedAt) })),
          ['id', 'name', 'template', 'status', 'created', 'used'],
        ),
  );
}

export async function containersShow(client: DiscoClient, out: Output, ref: string) {
  const c = await client.call('container_get', { id: ref });
  out.result(c, () => describe(c));
}

export async function containersRemove(client: DiscoClient, out: Output, ref: string) {
  const c = await client.call('container_delete', { id: ref });
  out.result(c, () => `deleted ${c.name} (${c.id})`);
}

export function registerContainers(program: Command, deps: CommandDeps): void {
  const group = program.command('containers').alias('c').description('create, list, inspect and delete containers');
  const client = () => clientFor(deps.cliEnv());
  registerOpen(program, deps);
  withJson(group.command('create [name]').description('create a container'))
    .option('-t, --template <template>', 'starting files: blank, node, python', 'blank')
    .option('--network <mode>', "off (loopback only), egress (default: through the daemon's proxy), host (admins)")
    .option('--no-network', 'the same as --network off')
    .option(
      '--runtime <runtime>',
      'sandbox (default: commands run on the daemon host) or webcontainer (in a browser page)',
    )
    .action((name: string | undefined, opts) =>
      containersCreate(
        client(),
        outputFor(deps, opts),
        name,
        opts.template,
        opts.network === false ? 'off' : parseNetwork(opts.network ?? 'egress'),
        opts.runtime === undefined ? undefined : parseRuntime(opts.runtime),
      ),
    );
  withJson(group.command('ls').alias('list').description('list your containers')).action((opts) =>
    containersList(client(), outputFor(deps, opts)),
  );
  withJson(group.command('show <container>').description('show one container (id or name)')).action(
    (ref: string, opts) => containersShow(client(), outputFor(deps, opts), ref),
  );
  withJson(
    group.command('rm <container>').alias('delete').description('delete a container, its files and processes'),
  ).action((ref: string, opts) => containersRemove(client(), outputFor(deps, opts), ref));
  withJson(group.command('stop <container>').description('kill its processes and terminals; files stay')).action(
    async (ref: string, opts) => {
      const c = await client().call('container_stop', { id: ref });
      outputFor(deps, opts).result(c, () => `stopped ${c.name} (${c.id}); any use starts it again`);
    },
  );
  withJson(group.command('set <container>').description('set its network mode; pin it against idle cleanup'))
    .option('--network <mode>', 'off, egress or host, for commands started from now on')
    .option('--pin', 'never delete it for being idle')
    .option('--unpin', 'let idle cleanup delete it')
    .action(async (ref: string, opts) => {
      const c = await client().call('container_update', {
        id: ref,
        ...(opts.network !== undefined ? { network: parseNetwork(opts.network) } : {}),
        ...(opts.pin ? { pinned: true } : opts.unpin ? { pinned: false } : {}),
      });
      outputFor(deps, opts).result(c, () => withWarning(c, describe(c)));
    });
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
