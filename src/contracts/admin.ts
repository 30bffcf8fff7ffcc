import { z } from 'zod';
import { ANNOTATIONS, defineContract } from './contract.js';

export const UserSchema = z.object({
  id: z.string(),
  name: z.string(),
  isAdmin: z.boolean(),
  email: z.string().nullable(),
  github: z.string().nullable(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
});

export const readOnly = ANNOTATIONS.readOnly;

export const userList = defineContract({
  name: 'user_list',
  target: 'none',
  area: 'admin',
  changesWorkspace: false,
  title: 'List users',
  description: 'Admin. Use to list every user (local and GitHub-linked).',
  method: 'GET',
  path: '/users',
  input: z.object({}),
  output: z.object({ users: z.array(UserSchema) }),
  annotations: readOnly,
  scope: 'admin',
});

export const userCreate = defineContract({
  name: 'user_create',
  target: 'none',
  area: 'admin',
  changesWorkspace: false,
  title: 'Create user',
  description: 'Admin. Use to create a local user with a password (at least 10 characters).',
  method: 'POST',
  path: '/users',
  successStatus: 201,
  audit: true,
  input: z.object({
    name: z.string().min(1).max(39),
    password: z.string().max(1024).optional().describe('Omit for a user who only signs in with GitHub or a PAT.'),
    isAdmin: z.boolean().default(false),
    email: z.email().optional(),
  }),
  output: UserSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  scope: 'admin',
});

export const userRevokeTokens = defineContract({
  name: 'user_revoke_tokens',
  target: 'none',
  area: 'admin',
  changesWorkspace: false,
  title: "Revoke a user's tokens",
  description: 'Admin. Use to revoke every token and session of a user at once.',
  method: 'POST',
  path: '/users/:id/revoke-tokens',
  audit: true,
  input: z.object({ id: z.string().min(1).max(64).describe('User id (usr_…, or admin) or name.') }),
  output: z.object({ user: z.string(), personalAccessTokens: z.number(), refreshTokens: z.number() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'admin',
});

export const AuditEntrySchema = z.object({
  id: z.number(),
  at: z.string(),
  userId: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['ok', 'denied', 'failed']),
  via: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

export const auditList = defineContract({
  name: 'audit_list',
  target: 'none',
  area: 'admin',
  changesWorkspace: false,
  title: 'Audit log',
  description:
    'Admin. Use to review sensitive operations (sign-ins, tokens, exec, deletes, pushes, refusals), ' +
    'newest first; page with before (an entry id).',
  method: 'GET',
  path: '/audit',
  input: z.object({
    user: z.string().max(64).optional().describe('Only this user id.'),
    action: z.string().max(64).optional().describe("Only this action, e.g. 'exec' or 'auth.login'."),
    before: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(500).default(100),
  }),
  output: z.object({ entries: z.array(AuditEntrySchema) }),
  annotations: readOnly,
  scope: 'admin',
});
