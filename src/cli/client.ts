import type { z } from 'zod';
import type { ErrorBody } from '../daemon/errors.js';
import { OPS, type OpName } from '../daemon/ops/index.js';
import { pathParams } from '../daemon/ops/op.js';
import type { TokenSource } from './session.js';

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
    const op = OPS.find((o) => o.name === name);
    if (!op) throw new Error(`unknown op ${name}`);
    const rest: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    let path = op.path;
    for (const param of pathParams(op)) {
      path = path.replace(`:${param}`, encodeURIComponent(String(rest[param])));
      delete rest[param];
    }
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
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError('bad_response', `the daemon answered ${res.status} with a non-JSON body`, res.status);
    }
    if (!res.ok) {
      const e = (json as Partial<ErrorBody> | undefined)?.error;
      throw new ApiError(e?.code ?? 'http_error', e?.message ?? `HTTP ${res.status}`, res.status, e?.details);
    }
    return json;
  }

  private async send(method: string, url: URL, body: unknown, token: string | undefined): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      // fetch rejects only for network failures (refused, DNS, reset, blocked port): the daemon is not reachable.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new DaemonUnreachableError(this.baseUrl, cause?.code ?? cause?.message);
    }
  }
}
