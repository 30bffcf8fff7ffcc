import { z } from 'zod';
import type { PatRow } from '../db/tokens-repo.js';
import { defineOp, SCOPES } from './op.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const TokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  hint: z
    .string()
    .describe('The first characters of the secret, to recognise it; the secret itself is never shown again.'),
  scopes: z.array(z.string()),
  kind: z.enum(['pat', 'bootstrap']),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const toTokenDto = (p: PatRow): z.input<typeof TokenSchema> => ({
  id: p.id,
  name: p.name,
  hint: p.hint,
  scopes: p.scopes,
  kind: p.kind,
  createdAt: new Date(p.createdAt).toISOString(),
  expiresAt: iso(p.expiresAt),
  lastUsedAt: iso(p.lastUsedAt),
  revokedAt: iso(p.revokedAt),
});

const scopeList = z.array(z.enum(SCOPES));

export const authMe = defineOp({
  name: 'auth_me',
  target: 'none',
  area: 'auth',
  changesWorkspace: false,
  title: 'Who am I',
  description: 'Use to see who you are signed in as, how, and with which scopes.',
  method: 'GET',
  path: '/auth/me',
  input: z.object({}),
  output: z.object({
    user: z.object({
      id: z.string(),
      name: z.string(),
      isAdmin: z.boolean(),
      email: z.string().nullable(),
      github: z.string().nullable().describe('Linked GitHub login, if any.'),
    }),
    via: z.string(),
    scopes: scopeList,
    clientId: z.string().optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: null,
  run: async (_input, { principal, services }) => {
    const user = services.auth.users.get(principal.userId);
    return {
      user: {
        id: principal.userId,
        name: principal.userName,
        isAdmin: principal.isAdmin,
        email: user?.email ?? null,
        github: user?.githubLogin ?? null,
      },
      via: principal.via,
      scopes: SCOPES.filter((s) => principal.scopes.has(s)),
      ...(principal.clientId ? { clientId: principal.clientId } : {}),
    };
  },
});

export const tokenCreate = defineOp({
  name: 'token_create',
  target: 'none',
  area: 'auth',
  changesWorkspace: false,
  title: 'Create personal access token',
  description:
    'Use to make a personal access token for scripts or CI (your scopes at most, optional expiry). The ' +
    'secret is shown once.',
  method: 'POST',
  path: '/tokens',
  successStatus: 201,
  audit: true,
  input: z.object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w .:@-]+$/, 'letters, digits, space and . _ : @ -'),
    scopes: scopeList.min(1).optional().describe('Scopes of the token; default: all of yours.'),
    expiresInDays: z.number().int().min(1).max(3650).optional().describe('Lifetime in days; default: no expiry.'),
  }),
  output: TokenSchema.extend({ token: z.string().describe('The secret. Store it now: it is not shown again.') }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  scope: 'account',
  // A PAT would outlive the OAuth session it was minted from: revoking ChatGPT's access must end it all.
  thirdPartyClients: false,
  run: async (input, { principal, services }) => {
    const { token, pat } = await services.auth.pats.create(principal, input);
    return { ...toTokenDto(pat), token };
  },
});

export const tokenList = defineOp({
  name: 'token_list',
  target: 'none',
  area: 'auth',
  changesWorkspace: false,
  title: 'List personal access tokens',
  description: 'Use to see your personal access tokens (no secrets).',
  method: 'GET',
  path: '/tokens',
  input: z.object({}),
  output: z.object({ tokens: z.array(TokenSchema) }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'account',
  run: async (_input, { principal, services }) => ({
    tokens: (await services.auth.pats.list(principal.userId)).map(toTokenDto),
  }),
});

export const tokenRevoke = defineOp({
  name: 'token_revoke',
  target: 'none',
  area: 'auth',
  changesWorkspace: false,
  title: 'Revoke personal access token',
  description: 'Use to revoke one of your personal access tokens at once.',
  method: 'DELETE',
  path: '/tokens/:id',
  audit: true,
  input: z.object({ id: z.string().min(1).max(64) }),
  output: TokenSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'account',
  run: async ({ id }, { principal, services }) => toTokenDto(await services.auth.pats.revoke(principal, id)),
});

export const passwordChange = defineOp({
  name: 'password_change',
  target: 'none',
  area: 'auth',
  changesWorkspace: false,
  title: 'Change password',
  description:
    'Use to set your local sign-in password (give the current one if you have one). Other sessions end; ' +
    'tokens stay.',
  method: 'PUT',
  path: '/auth/password',
  audit: true,
  input: z.object({
    currentPassword: z.string().max(1024).optional(),
    newPassword: z.string().max(1024),
  }),
  output: z.object({ changed: z.literal(true) }),
  // Ends every other session of the user.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'account',
  run: async ({ currentPassword, newPassword }, { principal, services }) => {
    await services.auth.accounts.setPassword(principal, newPassword, currentPassword);
    return { changed: true as const };
  },
});
