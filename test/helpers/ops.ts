import { rm } from 'node:fs/promises';
import type { z } from 'zod';
import { type Config, loadConfig } from '../../src/daemon/config.js';
import { type Core, openCore } from '../../src/daemon/core.js';
import { createLogger } from '../../src/daemon/log.js';
import { OPS } from '../../src/daemon/ops/index.js';
import { invokeOp } from '../../src/daemon/ops/invoke.js';
import { type Op, type Principal, SCOPES, type Scope } from '../../src/daemon/ops/op.js';
import { tempDir } from './daemon.js';

type Registry = (typeof OPS)[number];
type OpNamed<N extends Registry['name']> = Extract<Registry, { name: N }>;
/** What a caller may pass to an op (defaults optional), and what it gets back, from the op's zod schemas. */
export type OpInput<N extends Registry['name']> = z.input<OpNamed<N>['input']>;
export type OpOutput<N extends Registry['name']> = z.output<OpNamed<N>['output']>;

export interface CallOptions {
  /** Who calls: the admin (default) or a principal from `harness.user()`. */
  as?: Principal;
  signal?: AbortSignal;
}

export interface OpHarness {
  core: Core;
  home: string;
  /** The admin, as `disco mcp` acts. */
  admin: Principal;
  /**
   * Calls an op in-process the way REST and MCP do — through ops/invoke.ts: scope check, input validation,
   * ownership, the handler, output shaping, audit — with input and result typed from the op's schemas.
   */
  call<N extends Registry['name']>(name: N, input: OpInput<N>, options?: CallOptions): Promise<OpOutput<N>>;
  /** A real user in the database (made by `user_create`), holding `scopes` (default every non-admin one). */
  user(name: string, scopes?: Scope[]): Promise<Principal>;
  close(): Promise<void>;
}

/** Real services over real SQLite in a temp $DISCO_HOME, no HTTP: for behaviour tests of ops. */
export async function opHarness(env: Record<string, string> = {}, mutate?: (c: Config) => void): Promise<OpHarness> {
  const home = await tempDir('disco-ops-');
  const config = loadConfig({ DISCO_HOME: home, DISCO_LOG_LEVEL: 'silent', ...env });
  mutate?.(config);
  const log = createLogger('silent');
  const core = await openCore(config, log, { bootstrapToken: false });
  const byName = new Map<string, Op>((OPS as unknown as readonly Op[]).map((op) => [op.name, op]));
  const harness: OpHarness = {
    core,
    home,
    admin: core.admin,
    call: async (name, input, options = {}) => {
      const op = byName.get(name);
      if (!op) throw new Error(`no op ${name}`);
      const result = await invokeOp(op, input, {
        principal: options.as ?? core.admin,
        services: core.services,
        signal: options.signal ?? new AbortController().signal,
        baseUrl: 'http://127.0.0.1:0',
        progress: () => {},
        transport: 'rest',
      });
      return result as OpOutput<typeof name>;
    },
    user: async (name, scopes = SCOPES.filter((s) => s !== 'admin')) => {
      const u = await harness.call('user_create', { name, password: 'a password long enough' });
      return { userId: u.id, userName: u.name, isAdmin: false, scopes: new Set(scopes), via: 'pat' };
    },
    close: async () => {
      await core.close();
      await rm(home, { recursive: true, force: true });
    },
  };
  return harness;
}
