import { z } from 'zod';
import type { TokenPair } from '../auth/token-pair.js';
import { SCOPES } from '../ops/op.js';

/**
 * The sign-in routes under /api/v1/auth, which take no bearer token (they hand them out): their bodies and
 * results as zod schemas, which the route handlers parse with and the OpenAPI document is generated from.
 */
const scopes = z
  .array(z.enum(SCOPES))
  .min(1)
  .optional()
  .describe('Ask for fewer scopes than the user holds (default: all of them).');

export const LoginBody = z.union([
  z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024), scopes }).strict(),
  z.object({ token: z.string().min(16).max(512), scopes }).strict(),
]);
export const RefreshBody = z.object({ refreshToken: z.string().min(1).max(512), scopes }).strict();
export const LogoutBody = z.object({ refreshToken: z.string().min(1).max(512).optional() }).strict();

export const TokenPairSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('Seconds until the access token expires.'),
  refreshToken: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  user: z.object({ id: z.string(), name: z.string(), isAdmin: z.boolean() }),
  sessionId: z.string().describe('The session (refresh-token family); logout ends it with all its tokens.'),
});
export const LogoutResult = z.object({ revoked: z.boolean() });

// The service's types and the documented schemas cannot drift apart without a type error here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const pairAgrees: Same<z.output<typeof TokenPairSchema>, TokenPair> = true;
void pairAgrees;

export interface AuthRoute {
  path: string;
  operationId: string;
  summary: string;
  description: string;
  body: z.ZodType;
  result: z.ZodType;
  resultDescription: string;
  /** Error statuses it answers with, besides success. */
  errors: number[];
}

const session = 'A session: a short-lived access token and a refresh token (rotated on every use).';

export const AUTH_ROUTES: readonly AuthRoute[] = [
  {
    path: '/auth/login',
    operationId: 'auth_login',
    summary: 'Sign in',
    description:
      'With a user name and password, or by exchanging a personal access token (the bootstrap admin token included).',
    body: LoginBody,
    result: TokenPairSchema,
    resultDescription: session,
    errors: [400, 401, 429],
  },
  {
    path: '/auth/refresh',
    operationId: 'auth_refresh',
    summary: 'Refresh a session',
    description: 'Spends the refresh token and returns a new pair. A spent token used again revokes the whole session.',
    body: RefreshBody,
    result: TokenPairSchema,
    resultDescription: session,
    errors: [400, 401, 429],
  },
  {
    path: '/auth/logout',
    operationId: 'auth_logout',
    summary: 'Sign out',
    description: 'Revokes the session of the refresh token given and/or of the bearer access token.',
    body: LogoutBody,
    result: LogoutResult,
    resultDescription: 'Done',
    errors: [400],
  },
];
