import type { z } from 'zod';
import { ERROR_STATUS } from '../errors.js';
import { jsonSchemaOf } from '../ops/input.js';
import { type Op, pathParams } from '../ops/op.js';

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
    tags: [tagOf(op)],
    'x-required-scope': op.scope,
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

/** The area an op belongs to, from its name: `file_read` → files, `container_get` → containers. */
function tagOf(op: Op): string {
  if (op.name.startsWith('container_')) return 'containers';
  if (op.name.startsWith('file_')) return 'files';
  if (op.name === 'search' || op.name === 'fetch') return 'search';
  if (op.name === 'exec' || op.name.startsWith('process_') || op.name.startsWith('terminal_')) return 'exec';
  return op.name.split('_')[0] ?? op.name;
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
    tags: [
      { name: 'containers', description: 'Workspaces' },
      { name: 'files', description: 'Files inside a workspace' },
      { name: 'exec', description: 'Commands inside a workspace' },
      { name: 'git', description: 'Git repositories inside a workspace' },
      { name: 'search', description: "Search and fetch across workspaces (ChatGPT's connector tools)" },
    ],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Admin token (`disco token`).' } },
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
