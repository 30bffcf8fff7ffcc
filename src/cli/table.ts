import { type Command, Option } from 'commander';
import { OP_FIELDS } from '../shared/op-routes.js';
import { ApiError, type OpInput, type OpName, type OpOutput } from './client.js';
import { type CommandDeps, outputFor } from './commands/shared.js';
import { clientFor } from './context.js';

/**
 * The CLI's common shape as data: a command that calls one op, its positional arguments and flags mapped to
 * fields of the op's input, its result printed by `human` (or as JSON with `--json`, which every such
 * command has; errors are JSON then too, see `main.ts`). Field names and result types are checked against
 * the op's contract at compile time (`OpInput`/`OpOutput`); a flag's closed list of values and its default
 * come from the contract too (`OP_FIELDS`: the help shows both, `checkChoices` refuses other values); the
 * daemon validates values with the same contract and its messages name the flags (`errors.ts`). Commands whose behaviour is special (exec
 * streaming, files push/pull, shell, login, serve, the browser…) stay hand-written in `commands/`.
 */
export interface OpCommand<N extends OpName = OpName> {
  op: N;
  /** Its parent group (`containers`), or none for a top-level command. */
  group?: string;
  /** The command's name under its group (or at the top level). */
  name: string;
  aliases?: readonly string[];
  description: string;
  /** Positional arguments in order: `<x>` when required, `[x]` otherwise; each fills one input field. */
  args?: readonly Arg<N>[];
  flags?: readonly Flag<N>[];
  /** The input, when the arguments and flags do not map one to one onto its fields. */
  input?(args: Record<string, string | undefined>, opts: Record<string, unknown>): OpInput<N>;
  /** The human rendering of the result (with the options and positional arguments given). */
  human(result: OpOutput<N>, opts: Record<string, unknown>, args: Record<string, string | undefined>): string;
  /** The exit code a result means (default 0). */
  exitCode?(result: OpOutput<N>): number;
}

/** A row of any op. */
export type AnyOpCommand = { [N in OpName]: OpCommand<N> }[OpName];

/** A row as the generator sees it: field names and results as plain data. */
interface Row {
  op: OpName;
  group?: string;
  name: string;
  aliases?: readonly string[];
  description: string;
  args?: readonly { name: string; field: string; optional?: boolean }[];
  flags?: readonly {
    flags: string;
    description: string;
    field?: string;
    default?: string | boolean | number;
    parse?: (value: string) => unknown;
  }[];
  input?(args: Record<string, string | undefined>, opts: Record<string, unknown>): unknown;
  human(result: unknown, opts: Record<string, unknown>, args: Record<string, string | undefined>): string;
  exitCode?(result: unknown): number;
}

export interface Arg<N extends OpName> {
  name: string;
  field: keyof OpInput<N> & string;
  optional?: boolean;
}

export interface Flag<N extends OpName> {
  /** Commander's flag syntax: `-t, --template <name>`, `--pin`, `--no-network`. */
  flags: string;
  description: string;
  /**
   * The input field it fills (none: the flag only shapes `input` or `human`). With a row's own `input`, it
   * still names the field whose choices and default the flag takes.
   */
  field?: keyof OpInput<N> & string;
  /** Only for a flag whose field has no default of its own (the contract's is taken). */
  default?: string | boolean | number;
  parse?: (value: string) => unknown;
}

/** One table row, its types pinned to its op's contract. */
export const opCommand = <N extends OpName>(op: N, row: Omit<OpCommand<N>, 'op'>): OpCommand<N> => ({ op, ...row });

export interface Group {
  name: string;
  alias?: string;
  description: string;
}

/** The input a row's arguments and flags make (fields left undefined are omitted). */
export function inputOf(
  row: Row,
  args: Record<string, string | undefined>,
  opts: Record<string, unknown>,
): Record<string, unknown> {
  if (row.input) return row.input(args, opts) as Record<string, unknown>;
  const input: Record<string, unknown> = {};
  for (const a of row.args ?? []) if (args[a.name] !== undefined) input[a.field] = args[a.name];
  for (const f of row.flags ?? []) {
    const v = f.field ? opts[new Option(f.flags).attributeName()] : undefined;
    if (f.field && v !== undefined) input[f.field] = v;
  }
  return input;
}

type RowFlag = NonNullable<Row['flags']>[number];

const choicesOf = (op: OpName, f: RowFlag) => (f.field && !f.parse ? OP_FIELDS[op]?.[f.field]?.enum : undefined);

/** A row's flag as a commander option, with the choices and default its field has in the contract. */
export function optionOf(op: OpName, f: RowFlag): Option {
  const option = new Option(f.flags, f.description);
  if (f.parse) option.argParser(f.parse);
  // For the help only: a value off the list is refused by `checkChoices`, as an error like any other
  // (JSON in --json mode), not as a usage error.
  const choices = choicesOf(op, f);
  if (choices && option.required) option.argChoices = [...choices];
  const value = (f.field ? OP_FIELDS[op]?.[f.field]?.default : undefined) ?? f.default;
  // A --no-x flag defaults to true by itself; a contract default speaks of the field, not of the negation.
  if (value !== undefined && !option.negate) option.default(value);
  return option;
}

/** Refuses a flag's value that is not one of its field's choices, naming the flag and the choices. */
export function checkChoices(row: Row, opts: Record<string, unknown>): void {
  for (const f of row.flags ?? []) {
    const choices = choicesOf(row.op, f);
    const option = new Option(f.flags);
    const value = opts[option.attributeName()];
    if (!choices || typeof value !== 'string' || choices.includes(value)) continue;
    const list = `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
    throw new ApiError('validation_failed', `${option.long} must be ${list} (got '${value}')`, 400);
  }
}

/** Adds the table's commands to `program` (each group once, created when `program` lacks it). */
export function registerTable(
  program: Command,
  deps: CommandDeps,
  groups: readonly Group[],
  rows: readonly AnyOpCommand[],
): void {
  const parents = new Map<string, Command>();
  const parentOf = (name: string): Command => {
    const existing = parents.get(name) ?? program.commands.find((c) => c.name() === name);
    if (existing) return existing;
    const g = groups.find((x) => x.name === name);
    const cmd = program.command(name).description(g?.description ?? '');
    if (g?.alias) cmd.alias(g.alias);
    parents.set(name, cmd);
    return cmd;
  };
  for (const row of rows as readonly Row[]) {
    const parent = row.group ? parentOf(row.group) : program;
    const usage = (row.args ?? []).map((a) => (a.optional ? `[${a.name}]` : `<${a.name}>`));
    const cmd = parent.command([row.name, ...usage].join(' ')).description(row.description);
    for (const alias of row.aliases ?? []) cmd.alias(alias);
    cmd.option('--json', 'print the result as JSON');
    for (const f of row.flags ?? []) cmd.addOption(optionOf(row.op, f));
    cmd.action(async (...params: unknown[]) => {
      const positional = params.slice(0, usage.length) as (string | undefined)[];
      const opts = params[usage.length] as Record<string, unknown>;
      const args = Object.fromEntries((row.args ?? []).map((a, i) => [a.name, positional[i]]));
      checkChoices(row, opts);
      const client = clientFor(deps.cliEnv());
      const result: unknown = await client.call(row.op, inputOf(row, args, opts) as OpInput<OpName>);
      outputFor(deps, opts).result(result, () => row.human(result, opts, args));
      const code = row.exitCode?.(result) ?? 0;
      if (code !== 0) deps.setExitCode(code);
    });
  }
}
