import type { z } from 'zod';
import { ERROR_STATUS } from '../errors.js';
import { jsonSchemaOf } from '../ops/input.js';
import { AREAS, type Op, pathParams, SCOPES, type Scope } from '../ops/op.js';
import { AUTH_ROUTES } from './auth-contract.js';

type Schema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): Schema => jsonSchemaOf(schema, io);

const errorResponse = { $ref: '#/components/responses/Error' };

function operation(op: Op): Schema {
  const input = jsonSchema(op.input, 'input') as { properties?: Record<string, Schema>; required?: string[] };
  const props = input.properties ?? {};
  const required = new Set(input.required ?? []);
  const inPath = new Set(pathParams(op));
  const parameters: Schema[] = [...inPath].map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: props[name] ?? { type: 'string' },
  }));
  const rest = Object.entries(props).filter(([name]) => !inPath.has(name));
  const bodyless = op.method === 'GET' || op.method === 'DELETE';
  if (bodyless) {
    for (const [name, schema] of rest) {
      parameters.push({
        name,
        in: 'query',
        required: required.has(name),
        schema,
        ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
      });
    }
  }
  const bodyRequired = rest.filter(([name]) => required.has(name)).map(([name]) => name);
  const status = String(op.successStatus ?? 200);
  return {
    operationId: op.name,
    summary: op.title,
    description: op.description,
    tags: [op.area],
    'x-required-scope': op.scope,
    security: [{ bearer: [] }, { oauth2: op.scope ? [op.scope] : [] }],
    'x-mcp-annotations': op.annotations,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(!bodyless && rest.length > 0
      ? {
          requestBody: {
            required: bodyRequired.length > 0,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: Object.fromEntries(rest),
                  ...(bodyRequired.length > 0 ? { required: bodyRequired } : {}),
                  additionalProperties: false,
                },
              },
            },
          },
        }
      : {}),
    responses: {
      [status]: { description: op.title, content: { 'application/json': { schema: jsonSchema(op.output, 'output') } } },
      '400': errorResponse,
      '401': errorResponse,
      '403': errorResponse,
      ...(inPath.size > 0 ? { '404': errorResponse } : {}),
      default: errorResponse,
    },
  };
}

/** The OpenAPI 3.1 document, generated from the registry. */
export function buildOpenApi(ops: readonly Op[], info: { version: string; serverUrl?: string }): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const op of ops) {
    const p = `/api/v1${op.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')}`;
    paths[p] ??= {};
    paths[p][op.method.toLowerCase()] = operation(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Disco API',
      version: info.version,
      description:
        'Containers, files and commands for AI assistants and developers. Every operation is also an MCP tool ' +
        'of the same name. Errors are `{ error: { code, message, details? } }`.',
    },
    servers: [{ url: info.serverUrl ?? '/' }],
    security: [{ bearer: [] }],
    tags: Object.entries(AREAS).map(([name, description]) => ({ name, description })),
    paths: { ...paths, ...authPaths() },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An access token from /api/v1/auth/login or OAuth, or a personal access token (the bootstrap admin token is one).',
        },
        oauth2: {
          type: 'oauth2',
          description: 'OAuth 2.1 with PKCE (S256); dynamic client registration at /oauth/register.',
          flows: {
            authorizationCode: {
              authorizationUrl: '/oauth/authorize',
              tokenUrl: '/oauth/token',
              refreshUrl: '/oauth/token',
              scopes: Object.fromEntries(SCOPES.map((s) => [s, SCOPE_DOCS[s]])),
            },
          },
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
                message: { type: 'string' },
                details: { type: 'object', additionalProperties: true },
              },
            },
          },
        },
      },
      responses: {
        Error: {
          description: 'Typed error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  };
}

const SCOPE_DOCS: Record<Scope, string> = {
  containers: 'Create, list, stop and delete containers',
  'files:read': 'Read files',
  'files:write': 'Write, move and delete files',
  exec: 'Run commands and terminals',
  git: 'Git operations',
  account: 'Own tokens and password',
  admin: 'Everything, plus users and the audit log',
};

/** The sign-in endpoints, which take no bearer token (they hand them out), from their zod schemas. */
function authPaths(): Record<string, Record<string, Schema>> {
  return Object.fromEntries(
    AUTH_ROUTES.map((r) => [
      `/api/v1${r.path}`,
      {
        post: {
          operationId: r.operationId,
          summary: r.summary,
          description: r.description,
          tags: ['auth'],
          security: [],
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } },
          responses: {
            '200': {
              description: r.resultDescription,
              content: { 'application/json': { schema: jsonSchema(r.result, 'output') } },
            },
            ...Object.fromEntries(r.errors.map((status) => [String(status), errorResponse])),
          },
        },
      },
    ]),
  );
}
