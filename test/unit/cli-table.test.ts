import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CONTAINER_COMMANDS } from '../../src/cli/commands/containers.js';
import { GIT_COMMANDS } from '../../src/cli/commands/git.js';
import { PORT_COMMANDS } from '../../src/cli/commands/preview.js';
import { PROCESS_COMMANDS } from '../../src/cli/commands/processes.js';
import { TERMINAL_COMMANDS } from '../../src/cli/commands/shell.js';
import { buildProgram } from '../../src/cli/main.js';
import { type AnyOpCommand, checkChoices, inputOf, type OpCommand } from '../../src/cli/table.js';
import { OP_FIELDS, OP_ROUTES } from '../../src/shared/op-routes.js';

const ROWS: readonly AnyOpCommand[] = [
  ...CONTAINER_COMMANDS,
  ...PROCESS_COMMANDS,
  ...PORT_COMMANDS,
  ...TERMINAL_COMMANDS,
  ...GIT_COMMANDS,
];
const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
const program = buildProgram({ io, processEnv: {}, cliEnv: () => ({}) as never, setExitCode: () => {} });

function find(row: AnyOpCommand): Command | undefined {
  const parent = row.group ? program.commands.find((c) => c.name() === row.group) : program;
  return parent?.commands.find((c) => c.name() === row.name);
}

describe('the CLI command table (src/cli/table.ts)', () => {
  it.each(ROWS.map((r) => [`${r.group ?? ''} ${r.name}`.trim(), r] as const))(
    '%s is a command with --json that calls a known op',
    (_name, row) => {
      expect(Object.keys(OP_ROUTES)).toContain(row.op);
      const cmd = find(row);
      expect(cmd).toBeDefined();
      expect(cmd?.options.map((o) => o.long)).toContain('--json');
      expect(cmd?.description()).toBe(row.description);
    },
  );

  it('takes each flag’s choices and default from its field in the contract, never states them again', () => {
    for (const row of ROWS) {
      const cmd = find(row);
      for (const f of row.flags ?? []) {
        const facts = f.field ? OP_FIELDS[row.op]?.[f.field] : undefined;
        const option = cmd?.options.find((o) => o.flags === f.flags);
        const name = `${row.name} ${f.flags}`;
        if (facts?.default !== undefined) {
          expect(f.default, `${name}: the contract says the default`).toBeUndefined();
          if (!option?.negate) expect(option?.defaultValue, name).toBe(facts.default);
        }
        if (facts?.enum && !f.parse && option?.required) expect(option.argChoices, name).toEqual(facts.enum);
      }
    }
    const kill = program.commands.find((c) => c.name() === 'kill');
    expect(kill?.helpInformation()).toMatch(/choices: "SIGTERM", "SIGKILL",\s+"SIGINT", "SIGHUP", default: "SIGTERM"/);
    const create = program.commands.find((c) => c.name() === 'containers')?.commands.find((c) => c.name() === 'create');
    expect(create?.helpInformation()).toMatch(/choices: "blank", "node", "python",\s+default: "blank"/);
  });

  it('refuses a value off the contract’s list as an error naming the flag and the choices', () => {
    const kill = PROCESS_COMMANDS[2];
    expect(() => checkChoices(kill, { signal: 'SIGSTOP' })).toThrow(
      "--signal must be SIGTERM, SIGKILL, SIGINT or SIGHUP (got 'SIGSTOP')",
    );
    expect(() => checkChoices(kill, { signal: 'SIGKILL' })).not.toThrow();
    const create = CONTAINER_COMMANDS[0];
    expect(() => checkChoices(create, { template: 'rust' })).toThrow(
      "--template must be blank, node or python (got 'rust')",
    );
  });

  it('maps positional arguments and flags onto the input fields they name', () => {
    const history = PROCESS_COMMANDS[1];
    expect(inputOf(history, { container: 'web' }, { limit: 5, json: true })).toEqual({ container: 'web', limit: 5 });
    expect(inputOf(history, { container: 'web' }, {})).toEqual({ container: 'web' });
    const kill = PROCESS_COMMANDS[2];
    expect(inputOf(kill, { processId: 'p1' }, { signal: 'SIGKILL' })).toEqual({ id: 'p1', signal: 'SIGKILL' });
  });

  it('uses a row’s own input mapping when fields are not one to one', () => {
    const create = CONTAINER_COMMANDS[0];
    expect(inputOf(create, { name: undefined }, { template: 'node', network: false })).toEqual({
      template: 'node',
      network: 'off',
    });
    expect(() => inputOf(create, { name: 'x' }, { template: 'blank', network: 'wide' })).toThrow(/--network must be/);
  });
});

describe('git log for people', () => {
  it('says a repository has no commits yet instead of printing nothing', () => {
    const log = GIT_COMMANDS.find((c) => c.name === 'log') as unknown as OpCommand<'git_log'>;
    expect(log.human({ commits: [] }, {}, {})).toBe('no commits yet');
    const commit = {
      hash: 'a'.repeat(40),
      date: '2026-12-02T10:00:00Z',
      author: 'admin',
      email: 'a@x',
      subject: 'first',
    };
    expect(log.human({ commits: [commit] }, {}, {})).toBe('aaaaaaaaaa  2026-12-02  admin  first');
  });
});
