import type { z } from 'zod';
import type { AnyZodObject, Contract, Scope } from '../../contracts/contract.js';
import { viaThirdPartyClient } from '../auth/first-party.js';
import { ForbiddenError } from '../errors.js';
import type { Transport } from './observe.js';
import type { Services } from './services.js';

export {
  ANNOTATIONS,
  type AnyZodObject,
  AREAS,
  type Area,
  type ClusterEffect,
  type Contract,
  type HttpMethod,
  type OpAnnotations,
  type OpTarget,
  type OpView,
  SCOPES,
  type Scope,
} from '../../contracts/contract.js';

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

export interface Op<I extends AnyZodObject = AnyZodObject, O extends z.ZodType = z.ZodType, N extends string = string>
  extends Contract<I, O, N>,
    Handler<I, O> {}

/** What an op does: bound to its contract by `implement`. */
export interface Handler<I extends AnyZodObject = AnyZodObject, O extends z.ZodType = z.ZodType> {
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

/** An op: its contract (`src/contracts/`) with its handler; the handler's types come from the contract's schemas. */
export function implement<const N extends string, I extends AnyZodObject, O extends z.ZodType>(
  contract: Contract<I, O, N>,
  handler: Handler<I, O>,
): Op<I, O, N> {
  return { ...contract, ...handler };
}

/** Identity function that pins the types of one op written in one piece (contract and handler together). */
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
