import type { Command } from 'commander';
import { ApiError, type DiscoClient, type OpOutput } from '../client.js';
import { clientFor } from '../context.js';
import { ago, type Output, table } from '../output.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

type ContainerDto = OpOutput<'container_get'>;

const describe = (c: ContainerDto) =>
  table(
    [
      { k: 'id', v: c.id },
      { k: 'name', v: c.name },
      { k: 'template', v: c.template },
      { k: 'status', v: c.status },
      { k: 'network', v: c.network ? 'on' : 'off' },
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
  network = true,
) {
  const c = await client.call('container_create', {
    ...(name ? { name } : {}),
    template: template as 'blank',
    network,
  });
  out.result(c, () => `created ${c.name} (${c.id}) from template ${c.template}`);
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
  withJson(group.command('create [name]').description('create a container'))
    .option('-t, --template <template>', 'starting files: blank, node, python', 'blank')
    .option('--no-network', 'commands in it get no network')
    .action((name: string | undefined, opts) =>
      containersCreate(client(), outputFor(deps, opts), name, opts.template, opts.network !== false),
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
  withJson(group.command('set <container>').description('turn its network on or off; pin it against idle cleanup'))
    .option('--network <on|off>', 'network for commands started from now on')
    .option('--pin', 'never delete it for being idle')
    .option('--unpin', 'let idle cleanup delete it')
    .action(async (ref: string, opts) => {
      if (opts.network !== undefined && opts.network !== 'on' && opts.network !== 'off') {
        throw new ApiError('validation_failed', `--network must be on or off (got '${opts.network}')`, 400);
      }
      const c = await client().call('container_update', {
        id: ref,
        ...(opts.network ? { network: opts.network === 'on' } : {}),
        ...(opts.pin ? { pinned: true } : opts.unpin ? { pinned: false } : {}),
      });
      outputFor(deps, opts).result(c, () => describe(c));
    });
}
