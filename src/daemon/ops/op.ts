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
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds ops of every input/output shape.
export type AnyZodObject = z.ZodObject<any>;

export interface Op<I extends AnyZodObject = AnyZodObject, O extends z.ZodType = z.ZodType, N extends string = string> {
  /** snake_case; also the MCP tool name and the OpenAPI operationId. */
  name: N;
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
  /**
   * An image in the result (screenshots): MCP sends it as image content beside `rest`; REST sends the bytes
   * with their media type unless the input asks `encoding: 'json'` or `jsonOnRest` (then the JSON as is).
   */
  binary?: (output: unknown) => BinaryPart | undefined;
  run: (input: z.output<I>, ctx: OpContext) => Promise<z.input<O>>;
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

/** Path parameter names of an op, in order. */
export function pathParams(op: Pick<Op, 'path'>): string[] {
  return [...op.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string);
}
