import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/open.js';
import type { Resolver } from '../../net/address-policy.js';
import { SCOPES } from '../../ops/op.js';
import { secretDigest } from '../secrets.js';
import { fetchClientMetadataDocument, type MetadataFetchOptions } from './cimd.js';
import { OAuthRequestError } from './errors.js';
import { metadataViolation } from './metadata-limits.js';

/**
 * Perf: the SDK's OAuth schemas module (with the zod build it brings) is loaded by the first registration or
 * metadata document, not on the start path; the MCP SDK preload after listening loads it too.
 */
let metadataSchema:
  | Promise<typeof import('@modelcontextprotocol/sdk/shared/auth.js').OAuthClientMetadataSchema>
  | undefined;
export const clientMetadataSchema = () => {
  metadataSchema ??= import('@modelcontextprotocol/sdk/shared/auth.js').then((m) => m.OAuthClientMetadataSchema);
  return metadataSchema;
};
export { OAuthRequestError };

export const CHATGPT_REDIRECT_URI = 'https://chatgpt.com/connector_platform_oauth_redirect';
/** ChatGPT's per-connector redirect: `https://chatgpt.com/connector/oauth/<callback id>`, nothing else. */
const CHATGPT_CONNECTOR_REDIRECT = /^https:\/\/chatgpt\.com\/connector\/oauth\/[A-Za-z0-9_-]{1,128}$/;

/**
 * Whether a redirect URI is one of ChatGPT's: the older fixed one, or a per-connector one. Security: the
 * whole string must match (exact host, https, default port, no user info, query or fragment), and the URL
 * parser must read it back unchanged, so no spelling of another host or path slips through.
 */
export function isChatgptRedirect(uri: string): boolean {
  if (uri === CHATGPT_REDIRECT_URI) return true;
  if (!CHATGPT_CONNECTOR_REDIRECT.test(uri)) return false;
  try {
    return new URL(uri).href === uri;
  } catch {
    return false;
  }
}

import { CLI_CLIENT_ID } from '../first-party.js';

export { CLI_CLIENT_ID };

export interface OAuthClient {
  clientId: string;
  name: string;
  redirectUris: string[];
  /**
   * `none` for public clients (PKCE only); `private_key_jwt` (metadata documents): a signed assertion
   * (RFC 7523) with a key of its JWKS; else the secret must be presented.
   */
  authMethod: 'none' | 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';
  /** Where a `private_key_jwt` client publishes its public keys (or `jwks`, inline). */
  jwksUri?: string;
  jwks?: unknown;
  source: 'dcr' | 'cimd' | 'builtin';
  scope?: string;
  clientUri?: string;
}

interface RawClient {
  client_id: string;
  secret_hash: string | null;
  name: string | null;
  metadata: string;
  source: OAuthClient['source'];
  expires_at: number | null;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLoopbackHttp = (u: URL) => u.protocol === 'http:' && LOOPBACK.has(u.hostname);
const CIMD_TTL_MS = 60 * 60_000;

/**
 * Registered OAuth clients: dynamic registration (RFC 7591), Client ID Metadata Documents (the client id
 * is an https URL to its metadata), and the CLI's built-in client. Client secrets are stored hashed.
 */
export class ClientRegistry {
  private readonly stmts;

  constructor(
    db: Db,
    private readonly extraRedirectUris: readonly string[],
    private readonly allowLoopbackDocuments: boolean,
    /** Name resolution for metadata documents (tests resolve names to chosen addresses). */
    private readonly resolve?: Resolver,
  ) {
    this.stmts = {
      get: db.prepare('SELECT * FROM oauth_clients WHERE client_id = ?'),
      upsert: db.prepare(
        `INSERT INTO oauth_clients (client_id, secret_hash, name, metadata, source, created_at, expires_at)
         VALUES (@clientId, @secretHash, @name, @metadata, @source, @createdAt, @expiresAt)
         ON CONFLICT(client_id) DO UPDATE SET name = excluded.name, metadata = excluded.metadata,
           expires_at = excluded.expires_at`,
      ),
    };
  }

  /** How documents a client names are fetched (its metadata document, its JWKS). */
  get fetchOptions(): MetadataFetchOptions {
    return { allowLoopback: this.allowLoopbackDocuments, ...(this.resolve ? { resolve: this.resolve } : {}) };
  }

  /** Redirect URIs a client may use: ChatGPT's, configured ones, and loopback (RFC 8252) for native apps. */
  redirectAllowed(uri: string): boolean {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      return false;
    }
    if (u.hash) return false;
    return isChatgptRedirect(uri) || this.extraRedirectUris.includes(uri) || isLoopbackHttp(u);
  }

  /** RFC 7591. Returns the registration response (the secret, for confidential clients, only here). */
  async register(body: unknown): Promise<Record<string, unknown>> {
    const tooBig = metadataViolation(body);
    if (tooBig) throw new OAuthRequestError(tooBig.error, tooBig.description);
    const parsed = (await clientMetadataSchema()).safeParse(body);
    if (!parsed.success) throw new OAuthRequestError('invalid_client_metadata', parsed.error.issues[0]?.message ?? '');
    const meta = parsed.data;
    if (meta.redirect_uris.length === 0) throw new OAuthRequestError('invalid_redirect_uri', 'redirect_uris is empty');
    const refused = meta.redirect_uris.find((u) => !this.redirectAllowed(u));
    if (refused) {
      throw new OAuthRequestError(
        'invalid_redirect_uri',
        `redirect URI '${refused}' is not allowed here (ChatGPT's, loopback, or DISCO_OAUTH_REDIRECT_URIS)`,
      );
    }
    const method = (meta.token_endpoint_auth_method ?? 'client_secret_basic') as string;
    if (!['none', 'client_secret_post', 'client_secret_basic'].includes(method)) {
      throw new OAuthRequestError('invalid_client_metadata', `token_endpoint_auth_method '${method}' is not supported`);
    }
    const grants = meta.grant_types ?? ['authorization_code', 'refresh_token'];
    if (grants.some((g) => g !== 'authorization_code' && g !== 'refresh_token')) {
      throw new OAuthRequestError('invalid_client_metadata', 'only authorization_code and refresh_token grants');
    }
    const clientId = `mcp_${randomUUID().replaceAll('-', '')}`;
    const secret = method === 'none' ? undefined : randomBytes(32).toString('base64url');
    const now = Date.now();
    const stored = { ...meta, token_endpoint_auth_method: method, grant_types: grants, response_types: ['code'] };
    this.stmts.upsert.run({
      clientId,
      secretHash: secret ? secretDigest(secret) : null,
      name: meta.client_name ?? null,
      metadata: JSON.stringify(stored),
      source: 'dcr',
      createdAt: now,
      expiresAt: null,
    });
    return {
      ...stored,
      client_id: clientId,
      client_id_issued_at: Math.floor(now / 1000),
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    };
  }

  /** Finds a client; an https client id is fetched as a metadata document (cached for an hour). */
  async get(clientId: string): Promise<OAuthClient | undefined> {
    if (clientId === CLI_CLIENT_ID) {
      // The CLI is Disco's own: it may ask for everything its user holds (account and admin included).
      const scope = SCOPES.join(' ');
      return { clientId, name: 'Disco CLI', redirectUris: [], authMethod: 'none', source: 'builtin', scope };
    }
    const row = this.stmts.get.get(clientId) as RawClient | undefined;
    if (row && (row.expires_at === null || row.expires_at > Date.now())) return toClient(row);
    if (!/^https?:\/\//.test(clientId)) return undefined;
    const doc = await fetchClientMetadataDocument(clientId, this.fetchOptions);
    const tooBig = metadataViolation(doc);
    if (tooBig) throw new OAuthRequestError('invalid_client', `the client metadata document: ${tooBig.description}`);
    const parsed = (await clientMetadataSchema()).safeParse(doc);
    if (!parsed.success) throw new OAuthRequestError('invalid_client', 'the client metadata document is not valid');
    const refused = parsed.data.redirect_uris.find((u) => !this.redirectAllowed(u) && !sameOrigin(u, clientId));
    if (refused) throw new OAuthRequestError('invalid_client', `redirect URI '${refused}' is not allowed here`);
    const method = parsed.data.token_endpoint_auth_method ?? 'none';
    if (method !== 'none' && method !== 'private_key_jwt') {
      throw new OAuthRequestError('invalid_client', 'metadata-document clients are public or use private_key_jwt');
    }
    if (method === 'private_key_jwt' && !parsed.data.jwks_uri && !parsed.data.jwks) {
      throw new OAuthRequestError('invalid_client', 'a private_key_jwt client needs jwks_uri or jwks');
    }
    const now = Date.now();
    this.stmts.upsert.run({
      clientId,
      secretHash: null,
      name: parsed.data.client_name ?? null,
      metadata: JSON.stringify({ ...parsed.data, token_endpoint_auth_method: method }),
      source: 'cimd',
      createdAt: now,
      expiresAt: now + CIMD_TTL_MS,
    });
    return toClient(this.stmts.get.get(clientId) as RawClient);
  }

  /** Checks a client secret in constant time against its stored digest. */
  verifySecret(clientId: string, secret: string | undefined): boolean {
    const row = this.stmts.get.get(clientId) as RawClient | undefined;
    if (!row?.secret_hash) return false;
    const a = Buffer.from(secretDigest(secret ?? ''));
    const b = Buffer.from(row.secret_hash);
    return secret !== undefined && a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * Whether a redirect URI matches a client's registration: character for character, except that a
   * loopback URI may name any port (RFC 8252 §7.3). Security: no added query, fragment, user info or path.
   */
  redirectMatches(client: OAuthClient, uri: string): boolean {
    const u = parseUrl(uri);
    if (!u) return false;
    if (client.source === 'builtin') {
      // The CLI's own client: any loopback port, the URI exactly as the CLI builds it.
      return (
        isLoopbackHttp(u) && !u.username && !u.password && !uri.includes('?') && !uri.includes('#') && u.href === uri
      );
    }
    if (client.redirectUris.includes(uri)) return true;
    if (!isLoopbackHttp(u)) return false;
    return client.redirectUris.some((r) => {
      const ru = parseUrl(r);
      if (!ru || !isLoopbackHttp(ru)) return false;
      ru.port = u.port;
      return ru.href === uri;
    });
  }
}

function parseUrl(uri: string): URL | undefined {
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

function toClient(row: RawClient): OAuthClient {
  const meta = JSON.parse(row.metadata) as {
    redirect_uris: string[];
    token_endpoint_auth_method?: OAuthClient['authMethod'];
    scope?: string;
    client_uri?: string;
    jwks_uri?: string;
    jwks?: unknown;
  };
  return {
    clientId: row.client_id,
    name: row.name ?? row.client_id,
    redirectUris: meta.redirect_uris,
    authMethod: meta.token_endpoint_auth_method ?? 'client_secret_basic',
    source: row.source,
    ...(meta.scope ? { scope: meta.scope } : {}),
    ...(meta.client_uri ? { clientUri: meta.client_uri } : {}),
    ...(meta.jwks_uri ? { jwksUri: meta.jwks_uri } : {}),
    ...(meta.jwks ? { jwks: meta.jwks } : {}),
  };
}
