import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { TestDaemon } from './daemon.js';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
export type Json = any;

/** ChatGPT's two redirect forms: the older fixed one, and the per-connector one. */
export const LEGACY_REDIRECT = 'https://chatgpt.com/connector_platform_oauth_redirect';
export const CONNECTOR_REDIRECT = 'https://chatgpt.com/connector/oauth/cb_7f3Kq2x9ZpL4';
/** What ChatGPT asks for: the challenge's scopes plus OpenID ones Disco does not know. */
export const OPENID_EXTRAS = 'offline_access openid profile email';

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * A stand-in for ChatGPT's side of the connection, against a real daemon over real HTTP: it follows the
 * 401 challenge, walks the consent page as the person would, and uses the token endpoint.
 */
export class ChatgptStandIn {
  constructor(
    private readonly t: TestDaemon,
    /** The daemon's DISCO_PUBLIC_URL, when set (the resource and token audience are named after it). */
    private readonly publicUrl = t.url,
  ) {}

  /** The scope of the 401 challenge on /mcp (what a spec-following client asks for). */
  async challengeScope(): Promise<string> {
    const res = await fetch(`${this.t.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    if (res.status !== 401) throw new Error(`expected a 401 challenge, got ${res.status}`);
    return /scope="([^"]*)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1] ?? '';
  }

  /** Opens the consent page; returns its HTML and the pending request id (or the redirect on an early error). */
  async consentPage(clientId: string, redirectUri: string, scope: string) {
    const { verifier, challenge } = pkce();
    const state = randomBytes(8).toString('hex');
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: `${this.publicUrl}/mcp`,
      scope,
    });
    const page = await fetch(`${this.t.url}/oauth/authorize?${q}`, { redirect: 'manual' });
    const html = await page.text();
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
    return { status: page.status, html, request, verifier, state, location: page.headers.get('location') };
  }

  /** The whole authorization: consent as `user`, back on `redirectUri` with a code. */
  async authorize(clientId: string, redirectUri: string, scope: string, user: { name: string; password: string }) {
    const page = await this.consentPage(clientId, redirectUri, scope);
    if (page.status !== 200 || !page.request) throw new Error(`consent page ${page.status}: ${page.html}`);
    const answer = await fetch(`${this.t.url}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.t.url },
      body: new URLSearchParams({
        request: page.request,
        username: user.name,
        password: user.password,
        action: 'approve',
      }).toString(),
      redirect: 'manual',
    });
    if (answer.status !== 303) throw new Error(`approve answered ${answer.status}: ${await answer.text()}`);
    const back = new URL(answer.headers.get('location') as string);
    return {
      back: `${back.origin}${back.pathname}`,
      state: back.searchParams.get('state'),
      expectedState: page.state,
      code: back.searchParams.get('code') as string,
      verifier: page.verifier,
      html: page.html,
    };
  }

  async token(body: Record<string, string>): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.t.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    return { status: res.status, body: await res.json() };
  }

  /** A raw JSON-RPC call on /mcp with no session (how a sessionless client calls). */
  async rpc(accessToken: string, method: string, params: Json = {}, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.t.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const text = await res.text();
    // An SSE answer may open with a priming event (an id and empty data) before the response's own.
    const events = [...text.matchAll(/^data: ?(.+)$/gm)].map((m) => m[1] as string);
    const data = events.at(-1) ?? text;
    return { status: res.status, body: (text ? JSON.parse(data) : undefined) as Json };
  }
}

/**
 * The client's own web server, as ChatGPT would host it: its Client ID Metadata Documents and its JWKS, on
 * loopback (a loopback-only test daemon may fetch loopback documents; a public one never does).
 */
export class ClientHost {
  private server!: http.Server;
  private readonly docs = new Map<string, unknown>();
  readonly hits = new Map<string, number>();
  private privateKey!: SigningKey;
  private kid = '';

  async start(): Promise<this> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    this.privateKey = privateKey;
    this.kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid: this.kid, alg: 'ES256', use: 'sig' };
    this.server = http.createServer((req, res) => {
      const path = req.url ?? '';
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const body = path === '/jwks.json' ? { keys: [jwk] } : this.docs.get(path);
      if (body === undefined) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Serves a metadata document at `path` whose client_id is its own URL; returns that id. */
  serveClient(path: string, meta: Record<string, unknown>): string {
    const clientId = this.url(path);
    this.docs.set(path, { client_id: clientId, ...meta });
    return clientId;
  }

  /** An RFC 7523 client assertion signed with this host's key (or another, to forge one). */
  async assertion(
    clientId: string,
    audience: string,
    opts: { jti?: string; expiresIn?: string; key?: SigningKey; subject?: string } = {},
  ): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.kid })
      .setIssuer(clientId)
      .setSubject(opts.subject ?? clientId)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '60s')
      .setJti(opts.jti ?? randomUUID())
      .sign(opts.key ?? this.privateKey);
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
