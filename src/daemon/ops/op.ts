import type { z } from 'zod';
import { viaThirdPartyClient } from '../auth/first-party.js';
import { ForbiddenError } from '../errors.js';
import type { Transport } from './observe.js';
import type { Services } from './services.js';

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

export interface Principal {
  userId: string;
  userName: string;
  isAdmin: boolean;
  scopes: ReadonlySet<Scope>;
  /**
   * How the caller authenticated: the bootstrap token, a personal access token, a first-party session
   * (password or GitHub sign-in, the CLI), an OAuth client (ChatGPT…), or the local stdio transport.
   */
  via: 'admin_token' | 'pat' | 'session' | 'oauth' | 'local';
  /** PAT id or access-token jti, for audit. */
  tokenId?: string;
  /** The session (refresh-token family) of an access token; logout revokes it. */
  sessionId?: string;
  /** OAuth client id when via is `oauth`. */
  clientId?: string;
  /** Where the request came from, for the audit log. */
  from?: { ip?: string; userAgent?: string };
}

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

export interface OpContext {
  principal: Principal;
  services: Services;
  /** Aborted when the client goes away or cancels; long work must stop. */
  signal: AbortSignal;
  /** Public base URL of this daemon, for links in results (config, or the URL the request came to). */
  baseUrl: string;
  /** Reports progress of long work (MCP progress notifications, CLI progress); a no-op when nobody listens. */
  progress: (p: Progress) => void;
  /** True when somebody listens to `progress` (an MCP client gave a progress token). */
  wantsProgress?: boolean;
  /** Set when another instance forwarded this call here: run it locally, never forward again. */
  forwarded?: boolean;
  /** The surface of this call, for metrics (default `rest`). */
  transport?: Transport;
  /**
   * Bytes of JSON the result may take when it goes to a model (MCP): ops that can return a lot return a page
   * that fits, with `truncated: true` and `next` (the call that returns the rest). Undefined over REST, where
   * each op's own limits bound a page.
   */
  resultBudget?: number;
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

export interface Op<I extends AnyZodObject = AnyZodObject, O extends z.ZodType = z.ZodType, N extends string = string> {
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
  /**
   * An image in the result (screenshots): MCP sends it as image content beside `rest`; REST sends the bytes
   * with their media type unless the input asks `encoding: 'json'` or `jsonOnRest` (then the JSON as is).
   */
  binary?: (output: unknown) => BinaryPart | undefined;
  run: (input: z.output<I>, ctx: OpContext) => Promise<z.input<O>>;
  /**
   * The text a model reads beside the structured result: a short human summary (exit status and the tail
   * of the output, a file's first lines, counts and first entries), never a second copy of the JSON.
   * Without it, MCP writes a generic one (`src/mcp/summary.ts`).
   */
  summary?: (output: z.output<O>) => string;
}

export interface BinaryPart {
  mimeType: string;
  base64: string;
  /** The result without the image data. */
  rest: Record<string, unknown>;
  jsonOnRest?: boolean;
}

/** Identity function that pins the types of one op definition. */
export function defineOp<const N extends string, I extends AnyZodObject, O extends z.ZodType>(
  op: Op<I, O, N>,
): Op<I, O, N> {
  return op;
}

/** Why a caller may not call an op, or undefined when it may: the one check shared by REST, MCP and tools/list. */
export function refusal(
  op: Pick<Op, 'name' | 'scope' | 'thirdPartyClients'>,
  principal: Principal,
): string | undefined {
  if (op.thirdPartyClients === false && viaThirdPartyClient(principal)) {
    return `'${op.name}' cannot be called with a token issued to an OAuth client`;
  }
  if (op.scope === null) return undefined;
  if (!principal.scopes.has(op.scope) && !principal.scopes.has('admin'))
    return `'${op.name}' needs the '${op.scope}' scope`;
  return undefined;
}

/** The one scope check, shared by REST and MCP. */
export function authorize(op: Pick<Op, 'name' | 'scope' | 'thirdPartyClients'>, principal: Principal): void {
  const why = refusal(op, principal);
  if (why) throw new ForbiddenError(why);
}

/** The container or process an op's input names, per its declared target (undefined when none). */
export function targetRef(op: Pick<Op, 'target' | 'input'>, input: Record<string, unknown>): string | undefined {
  if (op.target === 'none') return undefined;
  const key = op.target === 'container' && 'container' in op.input.shape ? 'container' : 'id';
  const ref = input[key];
  return typeof ref === 'string' ? ref : undefined;
}

/** Path parameter names of an op, in order. */
export function pathParams(op: Pick<Op, 'path'>): string[] {
  return [...op.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string);
}
