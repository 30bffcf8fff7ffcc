import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';

/** What of the SDK's types module the direct path needs (loaded with the SDK, never at start). */
export interface DirectSdk {
  JSONRPCRequestSchema: typeof import('@modelcontextprotocol/sdk/types.js').JSONRPCRequestSchema;
  SUPPORTED_PROTOCOL_VERSIONS: readonly string[];
}

/** The fields of the SDK's web-standard session transport this path reads (checked at install). */
interface WebTransport {
  sessionId?: string;
  _initialized: boolean;
  _closed: boolean;
  _requestToStreamMapping: Map<RequestId, string>;
  onmessage?: (message: JSONRPCMessage, extra: { authInfo?: unknown; requestInfo: unknown }) => void;
  send: (message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }) => Promise<void>;
}

const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } =>
  'id' in m && ('result' in m || 'error' in m) && !('method' in m);

/**
 * Perf: a session's plain call — one JSON-RPC request, no progress token, answered as one JSON body — served
 * without the SDK's conversion of Node's request and response into Web `Request`/`Response` objects and
 * back (`@hono/node-server`: about a fifth of an MCP call over HTTP). The SDK still does the JSON-RPC work:
 * the message goes to the session transport's `onmessage` (the SDK's server and protocol: request
 * validation, capability checks, the tool handler), and the answer comes back through the transport's
 * `send`, caught here by its request id.
 *
 * Everything the SDK's transport checks first is checked here the same way (Accept, Content-Type, the
 * session being initialized and open, its id, the protocol version header, the JSON-RPC shape); anything
 * else — an error to report, a batch, a notification, an initialize, a call with a progress token (an SSE
 * stream), a request id already in flight — is not taken, and the SDK's transport serves it as before.
 */
export class DirectJson {
  private readonly pending = new Map<RequestId, (message: JSONRPCMessage) => void>();

  private constructor(
    private readonly web: WebTransport,
    private readonly sdk: DirectSdk,
  ) {
    const send = web.send.bind(web);
    web.send = async (message, options) => {
      const id = isResponse(message) ? message.id : options?.relatedRequestId;
      const reply = id === undefined ? undefined : this.pending.get(id);
      if (!reply) return send(message, options);
      // Notifications tied to a direct call are dropped, as the SDK's JSON response mode drops them.
      if (isResponse(message)) {
        this.pending.delete(message.id);
        reply(message);
      }
    };
  }

  /** The direct path for a session transport, or undefined when this SDK's transport is not shaped as expected. */
  static install(transport: StreamableHTTPServerTransport, sdk: DirectSdk): DirectJson | undefined {
    const web = (transport as unknown as { _webStandardTransport?: Partial<WebTransport> })._webStandardTransport;
    if (
      !web ||
      typeof web.send !== 'function' ||
      typeof web._initialized !== 'boolean' ||
      typeof web._closed !== 'boolean' ||
      !(web._requestToStreamMapping instanceof Map)
    ) {
      return undefined;
    }
    return new DirectJson(web as WebTransport, sdk);
  }

  /** Serves the request and returns true, or returns false (nothing done) for the SDK's transport to serve. */
  serve(req: Request, res: Response, authInfo: unknown): boolean {
    const { web, sdk } = this;
    const body = req.body as { id?: unknown; method?: unknown; params?: { _meta?: { progressToken?: unknown } } };
    if (req.method !== 'POST' || body === null || typeof body !== 'object' || Array.isArray(body)) return false;
    if (typeof body.method !== 'string' || body.method === 'initialize' || body.id === undefined) return false;
    if (body.params?._meta?.progressToken !== undefined) return false;
    const accept = req.headers.accept;
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return false;
    if (req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/json') return false;
    if (!web._initialized || web._closed || web.sessionId === undefined) return false;
    if (req.headers['mcp-session-id'] !== web.sessionId) return false;
    const version = req.headers['mcp-protocol-version'];
    if (version !== undefined && (typeof version !== 'string' || !sdk.SUPPORTED_PROTOCOL_VERSIONS.includes(version))) {
      return false;
    }
    // The SDK parses with the union of every JSON-RPC message, whose first member (and so its answer for a
    // request) is this schema.
    const parsed = sdk.JSONRPCRequestSchema.safeParse(body);
    if (!parsed.success) return false;
    const message: JSONRPCMessage = parsed.data;
    const id: RequestId = parsed.data.id;
    if (this.pending.has(id) || web._requestToStreamMapping.has(id) || !web.onmessage) return false;

    const sessionId = web.sessionId;
    this.pending.set(id, (reply) => {
      if (res.destroyed) return;
      const text = JSON.stringify(reply);
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('mcp-session-id', sessionId);
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    });
    // The same request info the SDK's transport hands its handlers.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const requestInfo = { headers, url: new URL(req.originalUrl, `${req.protocol}://${req.headers.host}`) };
    web.onmessage(message, { authInfo, requestInfo });
    return true;
  }
}
