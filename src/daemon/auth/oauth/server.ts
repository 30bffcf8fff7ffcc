import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GrantsRepo } from '../../db/grants-repo.js';
import type { UserRow } from '../../db/users-repo.js';
import { DiscoError } from '../../errors.js';
import { SCOPES, type Scope } from '../../ops/op.js';
import { parseScopes } from '../scopes.js';
import { secretDigest } from '../secrets.js';
import type { AuthService } from '../service.js';
import type { TokenStore } from '../token-store.js';
import { ASSERTION_ALGORITHMS, assertionSubject, ClientAssertions } from './client-assertion.js';
import { type ClientRegistry, type OAuthClient, OAuthRequestError } from './clients.js';

/** What an OAuth client gets when it asks for no scope: working in containers, not account or admin. */
export const DEFAULT_OAUTH_SCOPES: Scope[] = ['containers', 'files:read', 'files:write', 'exec', 'git'];
/** Scopes over the account itself (tokens, password) and over Disco (users, audit): never granted by default. */
export const PRIVILEGED_SCOPES: readonly Scope[] = ['account', 'admin'];
/**
 * Scopes the metadata advertises besides Disco's own: `offline_access` (OpenID's name for "give me a refresh
 * token"; Disco always does, so asking for it changes nothing). Clients may ask for it without failing.
 */
export const OFFLINE_ACCESS = 'offline_access';

/**
 * What an authorization request is granted. Unknown scopes (`offline_access`, OpenID's `openid`, `profile`,
 * `email`, …) are ignored: what is known is granted. Security: `account` and `admin` are granted only to a
 * client whose registration (or metadata document) lists them, and the consent page then says so in plain
 * words; any other client that asks for them gets the rest. An empty result (only privileged scopes were
 * asked for, and refused) is the caller's `invalid_scope`.
 */
export function grantedScopes(client: Pick<OAuthClient, 'scope'>, requested: string | undefined): Scope[] {
  const asked = parseScopes(requested ?? '');
  if (asked.length === 0) return [...DEFAULT_OAUTH_SCOPES];
  const registered = parseScopes(client.scope ?? '');
  return asked.filter((s) => !PRIVILEGED_SCOPES.includes(s) || registered.includes(s));
}
const REQUEST_TTL_MS = 10 * 60_000;
/** `private_key_jwt` is for clients known by a metadata document (dynamic registration takes the others). */
const AUTH_METHODS = ['none', 'client_secret_post', 'client_secret_basic', 'private_key_jwt'];

/** What a token or revocation request carries to authenticate its client. */
export interface ClientCredentials {
  id?: string;
  secret?: string;
  /** RFC 7523 `client_assertion` and `client_assertion_type`. */
  assertion?: string;
  assertionType?: string;
}
const CODE_TTL_MS = 2 * 60_000;

export interface PendingAuthorization {
  clientId: string;
  clientName: string;
  redirectUri: string;
  state?: string;
  codeChallenge: string;
  scopes: Scope[];
  resource: string;
  issuer: string;
}

interface CodeGrant extends PendingAuthorization {
  userId: string;
  /** Set once exchanged: a replayed code revokes what it produced (RFC 6749 §4.1.2). */
  familyId?: string;
}

/** An authorization error that cannot be redirected (bad client or redirect URI): shown to the person. */
export class AuthorizePageError extends DiscoError {
  constructor(message: string) {
    super('validation_failed', message);
  }
}

const newId = () => randomBytes(32).toString('base64url');

/** The resources a token may be for: the daemon, its MCP endpoint, its REST API. */
export function resourceFor(base: string, requested: string | undefined): string | undefined {
  if (requested === undefined || requested === '') return `${base}/mcp`;
  const r = requested.replace(/\/+$/, '');
  return [base, `${base}/mcp`, `${base}/api/v1`].includes(r) ? r : undefined;
}

export function redirectWith(uri: string, params: Record<string, string | undefined>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

/**
 * OAuth 2.1 authorization server: authorization code with PKCE S256 (required), refresh tokens (rotated,
 * with reuse detection), RFC 8707 resource indicators bound into the token audience, RFC 9207 `iss`.
 */
export class AuthorizationServer {
  private readonly assertions: ClientAssertions;

  constructor(
    private readonly auth: AuthService,
    readonly clients: ClientRegistry,
    readonly grants: GrantsRepo,
    /** Where used client-assertion ids are remembered: the token store (Redis when shared). */
    private readonly marks: Pick<TokenStore, 'putMarkOnce'>,
  ) {
    this.assertions = new ClientAssertions(clients.fetchOptions);
  }

  /**
   * Validates an authorization request. Errors about the client or redirect URI are shown, not redirected;
   * later errors go back to the client's redirect URI.
   */
  async begin(
    q: Record<string, unknown>,
    issuer: string,
  ): Promise<{ requestId: string; pending: PendingAuthorization; client: OAuthClient } | { redirect: string }> {
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
    const clientId = str('client_id');
    if (!clientId) throw new AuthorizePageError('client_id is missing');
    const client = await this.clients.get(clientId).catch((err: unknown) => {
      throw new AuthorizePageError(err instanceof DiscoError ? err.message : 'unknown client');
    });
    if (!client) throw new AuthorizePageError(`unknown client '${clientId}'`);
    const redirectUri = str('redirect_uri') ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (!redirectUri || !this.clients.redirectMatches(client, redirectUri)) {
      throw new AuthorizePageError('redirect_uri is missing or not registered for this client');
    }
    const state = str('state');
    const fail = (error: string, description: string) => ({
      redirect: redirectWith(redirectUri, { error, error_description: description, state, iss: issuer }),
    });
    if (str('response_type') !== 'code') return fail('unsupported_response_type', "response_type must be 'code'");
    const challenge = str('code_challenge');
    if (!challenge || !/^[A-Za-z0-9_-]{43,128}$/.test(challenge)) {
      return fail('invalid_request', 'code_challenge (PKCE) is required');
    }
    if (str('code_challenge_method') !== 'S256') return fail('invalid_request', "code_challenge_method must be 'S256'");
    const scopes = grantedScopes(client, str('scope'));
    if (scopes.length === 0) {
      return fail('invalid_scope', 'admin and account are granted only to clients that registered for them');
    }
    const resource = resourceFor(issuer, str('resource'));
    if (!resource) return fail('invalid_target', `resource must be ${issuer}/mcp (or ${issuer})`);
    const pending: PendingAuthorization = {
      clientId: client.clientId,
      clientName: client.name,
      redirectUri,
      ...(state !== undefined ? { state } : {}),
      codeChallenge: challenge,
      scopes,
      resource,
      issuer,
    };
    const requestId = newId();
    this.grants.put(secretDigest(requestId), 'authz_request', pending, REQUEST_TTL_MS);
    return { requestId, pending, client };
  }

  /** The pending request behind a consent page, still unanswered. */
  pending(requestId: string): PendingAuthorization | undefined {
    return this.grants.peek<PendingAuthorization>(secretDigest(requestId), 'authz_request');
  }

  /** The person approved: a single-use code goes back to the client (with `iss`, RFC 9207). */
  approve(requestId: string, user: UserRow): string {
    const pending = this.grants.take<PendingAuthorization>(secretDigest(requestId), 'authz_request');
    if (!pending) throw new AuthorizePageError('this sign-in request has expired or was already answered; start again');
    const scopes = pending.scopes.filter((s) => s !== 'admin' || user.isAdmin);
    const code = newId();
    this.grants.put(
      secretDigest(code),
      'code',
      { ...pending, scopes, userId: user.id } satisfies CodeGrant,
      CODE_TTL_MS,
    );
    return redirectWith(pending.redirectUri, { code, state: pending.state, iss: pending.issuer });
  }

  /**
   * A person signed in another way (GitHub) for a pending request: a single-use consent id, bound to the
   * request and the user, lets the consent page finish without a password.
   */
  issueConsent(requestId: string, userId: string): string {
    const consentId = newId();
    this.grants.put(secretDigest(consentId), 'consent', { requestId, userId }, REQUEST_TTL_MS);
    return consentId;
  }

  takeConsent(consentId: string, requestId: string): UserRow {
    const c = this.grants.take<{ requestId: string; userId: string }>(secretDigest(consentId), 'consent');
    const user = c && c.requestId === requestId ? this.auth.users.get(c.userId) : undefined;
    if (!user) throw new AuthorizePageError('this sign-in has expired; start again');
    return user;
  }

  deny(requestId: string): string {
    const pending = this.grants.take<PendingAuthorization>(secretDigest(requestId), 'authz_request');
    if (!pending) throw new AuthorizePageError('this sign-in request has expired or was already answered');
    return redirectWith(pending.redirectUri, {
      error: 'access_denied',
      error_description: 'the user denied access',
      state: pending.state,
      iss: pending.issuer,
    });
  }

  /**
   * Authenticates the client of a token or revocation request: public clients by nothing (PKCE binds the
   * code), `private_key_jwt` clients by a signed assertion (its `sub` names the client when no client_id is
   * sent), others by their secret. Security: a client registered for one method is held to it.
   */
  async authenticateClient(creds: ClientCredentials, endpoint: string, issuer: string): Promise<OAuthClient> {
    const clientId = creds.id ?? (creds.assertion ? await assertionSubject(creds.assertion) : undefined);
    if (!clientId) throw new OAuthRequestError('invalid_client', 'client_id is required', 401);
    const client = await this.clients.get(clientId).catch(() => undefined);
    if (!client) throw new OAuthRequestError('invalid_client', 'unknown client', 401);
    if (client.authMethod === 'private_key_jwt') {
      await this.assertions.verify(client, creds.assertion, creds.assertionType, {
        endpoint,
        issuer,
        rememberOnce: (key, expiresAt) => this.marks.putMarkOnce(key, '1', expiresAt),
      });
    } else if (creds.assertion !== undefined) {
      throw new OAuthRequestError('invalid_client', 'this client does not authenticate with an assertion', 401);
    } else if (client.authMethod !== 'none' && !this.clients.verifySecret(clientId, creds.secret)) {
      throw new OAuthRequestError('invalid_client', 'client authentication failed', 401);
    }
    return client;
  }

  async token(client: OAuthClient, body: Record<string, unknown>, issuer: string): Promise<Record<string, unknown>> {
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const grantType = str('grant_type');
    if (grantType === 'authorization_code') return this.exchangeCode(client, str, issuer);
    if (grantType === 'refresh_token') {
      const refresh = str('refresh_token');
      if (!refresh) throw new OAuthRequestError('invalid_request', 'refresh_token is required');
      // Unknown scopes (offline_access, openid…) are ignored here too; naming none of Disco's keeps the grant.
      const known = parseScopes(str('scope') ?? '');
      const requested = known.length > 0 ? known : undefined;
      const resource = str('resource') ? resourceFor(issuer, str('resource')) : undefined;
      if (str('resource') && !resource) throw new OAuthRequestError('invalid_target', 'unknown resource');
      const pair = await this.auth
        .refresh(
          refresh,
          { issuer, audiences: [resource ?? `${issuer}/mcp`] },
          {
            clientId: client.clientId,
            grace: true,
            ...(requested ? { scopes: requested } : {}),
            ...(resource ? { audience: resource } : {}),
          },
        )
        .catch(asInvalidGrant);
      return tokenResponse(pair);
    }
    throw new OAuthRequestError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  }

  private async exchangeCode(client: OAuthClient, str: (k: string) => string | undefined, issuer: string) {
    const code = str('code');
    const verifier = str('code_verifier');
    if (!code || !verifier) throw new OAuthRequestError('invalid_request', 'code and code_verifier are required');
    const hash = secretDigest(code);
    const grant = this.grants.take<CodeGrant>(hash, 'code');
    if (!grant) {
      const replayed = this.grants.spent<CodeGrant>(hash, 'code');
      if (replayed?.familyId) await this.auth.revokeSession(replayed.familyId);
      throw new OAuthRequestError('invalid_grant', 'the authorization code is invalid, expired or already used');
    }
    if (grant.clientId !== client.clientId)
      throw new OAuthRequestError('invalid_grant', 'the code was issued to another client');
    if (str('redirect_uri') !== undefined && str('redirect_uri') !== grant.redirectUri) {
      throw new OAuthRequestError('invalid_grant', 'redirect_uri does not match the authorization request');
    }
    if (!pkceMatches(verifier, grant.codeChallenge)) {
      throw new OAuthRequestError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    const resource = str('resource') ? resourceFor(issuer, str('resource')) : grant.resource;
    if (resource !== grant.resource)
      throw new OAuthRequestError('invalid_target', 'resource differs from the authorization request');
    const user = this.auth.users.get(grant.userId);
    if (!user) throw new OAuthRequestError('invalid_grant', 'the user is gone');
    const pair = await this.auth.startSession(user, grant.scopes, { issuer, audiences: [resource] }, client.clientId);
    this.grants.update(hash, 'code', { ...grant, familyId: pair.sessionId });
    return tokenResponse(pair);
  }

  async revoke(client: OAuthClient, token: string, issuer: string): Promise<void> {
    await this.auth.revokeAny(
      token,
      { issuer, audiences: [issuer, `${issuer}/mcp`, `${issuer}/api/v1`] },
      client.clientId,
    );
  }

  /** RFC 8414 metadata. */
  metadata(issuer: string) {
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      registration_endpoint: `${issuer}/oauth/register`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: AUTH_METHODS,
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      revocation_endpoint_auth_methods_supported: AUTH_METHODS,
      revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      scopes_supported: [...SCOPES, OFFLINE_ACCESS],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      service_documentation: `${issuer}/docs`,
    };
  }

  /** RFC 9728 metadata of a protected resource (the MCP endpoint, or the daemon as a whole). */
  resourceMetadata(issuer: string, resource: string) {
    return {
      resource,
      authorization_servers: [issuer],
      // Security: a spec-following client asks for every scope listed here; account and admin are not.
      scopes_supported: resource.endsWith('/mcp') ? [...DEFAULT_OAUTH_SCOPES] : [...SCOPES],
      bearer_methods_supported: ['header'],
      resource_name: 'Disco',
      resource_documentation: `${issuer}/docs`,
    };
  }
}

/** PKCE S256: BASE64URL(SHA256(verifier)) equals the challenge (RFC 7636 §4.6), compared in constant time. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const a = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

function tokenResponse(pair: { accessToken: string; expiresIn: number; refreshToken: string; scopes: Scope[] }) {
  return {
    access_token: pair.accessToken,
    token_type: 'Bearer',
    expires_in: pair.expiresIn,
    refresh_token: pair.refreshToken,
    scope: pair.scopes.join(' '),
  };
}

function asInvalidGrant(err: unknown): never {
  if (err instanceof DiscoError && err.code === 'unauthorized')
    throw new OAuthRequestError('invalid_grant', err.message);
  throw err;
}
