import type { Command } from 'commander';
import type { OpName } from '../../daemon/ops/index.js';
import { OP_ROUTES } from '../../shared/op-routes.js';
import { ApiError } from '../client.js';
import { clientFor } from '../context.js';
import { table } from '../output.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

/**
 * `disco call <op> [json]` reaches every op of the registry by name, so nothing the daemon can do is
 * missing from the CLI; `disco ops` lists them. The named commands are friendlier shortcuts.
 */
export function registerCall(program: Command, deps: CommandDeps): void {
  withJson(program.command('ops').description('list every operation the daemon offers (for `disco call`)')).action(
    (opts) => {
      const rows = Object.entries(OP_ROUTES).map(([name, o]) => ({
        name,
        method: o.method,
        path: `/api/v1${o.path}`,
        scope: o.scope,
        title: o.title,
      }));
      outputFor(deps, opts).result({ ops: rows }, () => table(rows, ['name', 'method', 'path', 'scope', 'title']));
    },
  );
  program
    .command('call <op> [input]')
    .description(
      'call any operation with a JSON input, print its JSON result: disco call git_status \'{"container":"web"}\'',
    )
    .action(async (name: string, input: string | undefined) => {
      if (!Object.hasOwn(OP_ROUTES, name)) {
        throw new ApiError('not_found', `unknown operation '${name}' (see \`disco ops\`)`, 404);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(input ?? '{}');
      } catch {
        throw new ApiError('validation_failed', 'input must be a JSON object', 400);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new ApiError('validation_failed', 'input must be a JSON object', 400);
      }
      const result = await clientFor(deps.cliEnv()).call(name as OpName, parsed as never);
      outputFor(deps, { json: true }).result(result, () => '');
    });
}
