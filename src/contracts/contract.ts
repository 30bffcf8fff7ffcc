/**
 * What an op is, without what it does: its name, schemas, annotations, scope and the facts other layers act
 * on. Contracts (`src/contracts/*.ts`) import only zod and each other, so the CLI, the docs and the tests can
 * read them without loading the daemon; `src/daemon/ops/*.ts` binds a handler to each (`implement` in op.ts).
 */
import type { z } from 'zod';

/**
 * `account` manages the caller's own tokens and password; `admin` is every scope plus user management and
 * the audit log (only admins can hold it).
 */
export const SCOPES = ['containers', 'files:read', 'files:write', 'exec', 'git', 'account', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The in-conversation view (MCP Apps widget, `src/mcp/apps`) that shows an op's result to a person. */
export type OpView = 'command' | 'file' | 'container' | 'search' | 'screenshot';

/** MCP tool annotations; all four are required so every surface states them explicitly. */
export interface OpAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/**
 * Which instance runs an op when several share one Redis: the one holding the container the input names
 * (`container`, or `id` when the op has no `container` field), the one running the process the input
 * names (`id`), or whichever got the request (`none`).
 */
export type OpTarget = 'container' | 'process' | 'none';

/** The areas ops are grouped in: the REST tag (OpenAPI), the `/capabilities` area and the docs section. */
export const AREAS = {
  containers: 'Workspaces',
  files: 'Files inside a workspace',
  exec: 'Commands, processes and terminals inside a workspace',
  previews: 'Ports a workspace listens on, and links to them',
  git: 'Git repositories inside a workspace',
  search: "Search inside workspaces (the index, and ChatGPT's search and fetch)",
  auth: 'Who you are, personal access tokens, password',
  'computer-use': 'A browser per workspace, inside its sandbox: snapshots, actions, screenshots',
  admin: 'Users and the audit log (admins)',
} as const;
export type Area = keyof typeof AREAS;

/**
 * What the cluster records after an op ran here, so other instances find it: a container made or deleted
 * (from the result's `id` and `name`), a process started (the result's `processId`), or — for the
 * container list — every instance's answer merged.
 */
export type ClusterEffect = 'container_created' | 'container_deleted' | 'process_started' | 'list_merged';

/** The MCP annotation presets most ops use; an op with another combination spells all four out. */
export const ANNOTATIONS = {
  /** Reads only: safe to call any number of times. */
  readOnly: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  /** Adds something without changing or removing what exists. */
  additive: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  /** Changes or removes something; the same call again has no further effect. */
  destructiveIdempotent: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  /** Changes or removes something; the same call again does it again. */
  destructive: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
} as const satisfies Record<string, OpAnnotations>;

// biome-ignore lint/suspicious/noExplicitAny: the registry holds ops of every input/output shape.
export type AnyZodObject = z.ZodObject<any>;

export interface Contract<
  I extends AnyZodObject = AnyZodObject,
  O extends z.ZodType = z.ZodType,
  N extends string = string,
> {
  /** snake_case; also the MCP tool name and the OpenAPI operationId. Nothing is inferred from it. */
  name: N;
  /** Which instance runs it in a cluster (see OpTarget). */
  target: OpTarget;
  /** Its REST tag and `/capabilities` area. */
  area: Area;
  /**
   * True when it may change the files of its container (written, deleted, moved, checked out, or by
   * running a command): after a successful call the container's index, if any, refreshes.
   */
  changesWorkspace: boolean;
  /** What the cluster records after a local call (see ClusterEffect); nothing when absent. */
  cluster?: ClusterEffect;
  title: string;
  /** Written for a model: what it does, when to use it, its limits. */
  description: string;
  method: HttpMethod;
  /** Express-style path under /api/v1, e.g. `/containers/:id`; every `:param` is a key of `input`. */
  path: string;
  /** HTTP status on success (default 200). */
  successStatus?: number;
  input: I;
  output: O;
  annotations: OpAnnotations;
  /** The scope a caller needs; `null` for ops any signed-in caller may use (e.g. who am I). */
  scope: Scope | null;
  /**
   * Security: `false` for ops no third-party OAuth client (ChatGPT…) may call whatever its scopes, such as
   * minting a personal access token (which would outlive the client's revocable session).
   */
  thirdPartyClients?: false;
  /** Sensitive: every call is written to the audit log (who, what, target, outcome, from where). */
  audit?: boolean;
  /** MCP clients that declare the UI extension render the result with this view; others see no difference. */
  view?: OpView;
}

/** Identity function that pins the types of one op's contract. */
export function defineContract<const N extends string, I extends AnyZodObject, O extends z.ZodType>(
  contract: Contract<I, O, N>,
): Contract<I, O, N> {
  return contract;
}
