import type { z } from 'zod';
import { ForbiddenError } from '../errors.js';
import type { Services } from './services.js';

export const SCOPES = ['containers', 'files:read', 'files:write', 'exec', 'git', 'admin'] as const;
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
  scopes: ReadonlySet<Scope>;
  /** How the caller authenticated, for logs and audit. */
  via: 'admin_token';
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
  scope: Scope;
  run: (input: z.output<I>, ctx: OpContext) => Promise<z.input<O>>;
}

/** Identity function that pins the types of one op definition. */
export function defineOp<const N extends string, I extends AnyZodObject, O extends z.ZodType>(
  op: Op<I, O, N>,
): Op<I, O, N> {
  return op;
}

/** The one scope check, shared by REST and MCP. */
export function authorize(op: Pick<Op, 'name' | 'scope'>, principal: Principal): void {
  if (!principal.scopes.has(op.scope) && !principal.scopes.has('admin')) {
    throw new ForbiddenError(`'${op.name}' needs the '${op.scope}' scope`);
  }
}

/** Path parameter names of an op, in order. */
export function pathParams(op: Pick<Op, 'path'>): string[] {
  return [...op.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string);
}
