import { z } from 'zod';
import { defineContract, SCOPES } from './contract.js';

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

export const scopeList = z.array(z.enum(SCOPES));

export const authMe = defineContract({
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
});

export const tokenCreate = defineContract({
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
});

export const tokenList = defineContract({
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
});

export const tokenRevoke = defineContract({
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
});

export const passwordChange = defineContract({
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
});
