import http from 'node:http';
import type { z } from 'zod';
import type { ErrorBody } from '../daemon/errors.js';
import type { OPS, OpName } from '../daemon/ops/index.js';
import { OP_ROUTES } from '../shared/op-routes.js';
import type { TokenSource } from './session.js';

export type { OpName };

type OpOf<N extends OpName> = Extract<(typeof OPS)[number], { name: N }>;
export type OpInput<N extends OpName> = z.input<OpOf<N>['input']>;
export type OpOutput<N extends OpName> = z.output<OpOf<N>['output']>;

/** An error answered by the daemon: the same code and message every surface uses. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class DaemonUnreachableError extends Error {
  override name = 'DaemonUnreachableError';
  constructor(
    readonly baseUrl: string,
    reason?: string,
  ) {
    super(
      `no Disco daemon answers at ${baseUrl}${reason ? ` (${reason})` : ''}; start one with \`disco serve\` (or set DISCO_URL to a running daemon)`,
    );
  }
}

/**
 * The CLI's one way to reach the daemon: calls an op by name over REST, using the method and path the
 * op declares, so the CLI can never drift from the API.
 */
export class DiscoClient {
  constructor(
    readonly baseUrl: string,
    private readonly tokens: TokenSource | string | undefined,
  ) {}

  /** The bearer token to send (a stored login's access token is refreshed when due). */
  token(): Promise<string | undefined> {
    return typeof this.tokens === 'object' ? this.tokens.get() : Promise.resolve(this.tokens);
  }

  async call<N extends OpName>(name: N, input: OpInput<N>): Promise<OpOutput<N>> {
    const op = (OP_ROUTES as Record<string, (typeof OP_ROUTES)[keyof typeof OP_ROUTES] | undefined>)[name];
    if (!op) throw new Error(`unknown op ${name}`);
    const rest: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    // Every `:param` of the path is a key of the input (the op registry checks it).
    const path = op.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, param: string) => {
      // `disco call container_get` with no id asked for container 'undefined'.
      if (rest[param] === undefined || rest[param] === null || rest[param] === '') {
        throw new ApiError('validation_failed', `${param}: required (${name} takes it in its path)`, 400);
      }
      const value = encodeURIComponent(String(rest[param]));
      delete rest[param];
      return value;
    });
    const url = new URL(`/api/v1${path}`, this.baseUrl);
    const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
    if (!hasBody) {
      for (const [k, v] of Object.entries(rest)) if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return (await this.request(op.method, url, hasBody ? rest : undefined)) as OpOutput<N>;
  }

  async request(method: string, url: URL, body?: unknown): Promise<unknown> {
    let res = await this.send(method, url, body, await this.token());
    if (res.status === 401 && typeof this.tokens === 'object') {
      // An access token can lapse between check and use: refresh once and retry.
      const retry = await this.tokens.retryToken();
      if (retry) res = await this.send(method, url, body, retry);
    }
    const text = res.text;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError('bad_response', `the daemon answered ${res.status} with a non-JSON body`, res.status);
    }
    if (res.status < 200 || res.status >= 300) {
      const e = (json as Partial<ErrorBody> | undefined)?.error;
      let message = e?.message ?? `HTTP ${res.status}`;
      // Which token was refused: the environment's, a stored login's, the admin token (and from where).
      if (res.status === 401 && typeof this.tokens === 'object') {
        message += ` (sent ${this.tokens.source})`;
        if (/revoked/.test(message)) message += this.tokens.revokedHint();
      }
      throw new ApiError(e?.code ?? 'http_error', message, res.status, e?.details);
    }
    return json;
  }

  private async send(
    method: string,
    url: URL,
    body: unknown,
    token: string | undefined,
  ): Promise<{ status: number; text: string }> {
    const payload = body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined;
    const headers: Record<string, string | number> = {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
    };
    // Perf: node:http(s) rather than fetch, whose undici bundle costs a client command ~60 ms to load.
    const transport = url.protocol === 'https:' ? await import('node:https') : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      // A request that fails before an answer (refused, DNS, reset): the daemon is not reachable.
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(new DaemonUnreachableError(this.baseUrl, err.code ?? err.message)),
      );
      req.end(payload);
    });
  }
}
