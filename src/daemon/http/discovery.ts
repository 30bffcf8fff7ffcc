import { type Request, type Response, Router } from 'express';
import { publicBaseUrl } from '../auth/realm.js';
import type { Config } from '../config.js';
import { type Op, SCOPES } from '../ops/op.js';
import { RUNTIMES } from '../webcontainer/runtimes.js';
import type { SandboxReport } from '../workspace/sandbox.js';

/** One way a client can authenticate; `/config` lists them and the plugin manifest derives its `auth`. */
export type AuthMethod =
  | { type: 'bearer'; header: 'Authorization'; scheme: 'Bearer'; description: string }
  | {
      type: 'oauth2';
      /** RFC 8414 authorization server metadata. */
      metadataUrl: string;
      authorizationUrl: string;
      tokenUrl: string;
      registrationUrl?: string;
      scopes: string[];
    };

/** The auth methods this daemon accepts: bearer tokens, and OAuth 2.1 (how ChatGPT and MCP clients sign in). */
export function authMethods(_config: Config, baseUrl: string): AuthMethod[] {
  return [
    {
      type: 'bearer',
      header: 'Authorization',
      scheme: 'Bearer',
      description: 'A personal access token (the admin token is one), or an access token from sign-in or OAuth.',
    },
    {
      type: 'oauth2',
      metadataUrl: `${baseUrl}/.well-known/oauth-authorization-server`,
      authorizationUrl: `${baseUrl}/oauth/authorize`,
      tokenUrl: `${baseUrl}/oauth/token`,
      registrationUrl: `${baseUrl}/oauth/register`,
      scopes: SCOPES.filter((s) => s !== 'admin'),
    },
  ];
}

/** The ai-plugin manifest's `auth` object for the strongest method offered. */
export function pluginAuth(methods: readonly AuthMethod[]): Record<string, unknown> {
  const oauth = methods.find((m) => m.type === 'oauth2');
  if (oauth) {
    return {
      type: 'oauth',
      client_url: oauth.authorizationUrl,
      authorization_url: oauth.tokenUrl,
      authorization_content_type: 'application/x-www-form-urlencoded',
      scope: oauth.scopes.join(' '),
    };
  }
  if (methods.some((m) => m.type === 'bearer')) return { type: 'user_http', authorization_type: 'bearer' };
  return { type: 'none' };
}

/** `/capabilities`: generated from the op registry. */
export function capabilities(
  ops: readonly Op[],
  version: string,
  baseUrl: string,
  config: Config,
  sandbox?: Pick<SandboxReport, 'mode' | 'commands' | 'reason' | 'seccomp' | 'containerLimits' | 'spawner'>,
) {
  const areas = new Map<string, string[]>();
  for (const op of ops) {
    const area = op.area;
    areas.set(area, [...(areas.get(area) ?? []), op.name]);
  }
  return {
    name: 'disco',
    version,
    areas: [...areas].map(([name, names]) => ({ name, ops: names })),
    ops: ops.map((op) => ({
      name: op.name,
      title: op.title,
      area: op.area,
      scope: op.scope,
      rest: { method: op.method, path: `/api/v1${op.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')}` },
      mcpTool: op.name,
      annotations: op.annotations,
    })),
    mcp: {
      transports: [
        { type: 'streamable-http', url: `${baseUrl}/mcp`, sessions: !config.mcpStateless },
        { type: 'stdio', command: 'disco mcp' },
      ],
      tools: ops.length,
      resources: ['disco://containers/{id}/files/{+path}'],
    },
    terminals: { protocol: 'socket.io', namespace: '/terminals', path: '/socket.io/' },
    // Where a container's commands may run (container_create's `runtime`).
    runtimes: {
      offered: [...RUNTIMES],
      default: 'sandbox',
      webcontainer: {
        page: `${baseUrl}/workbench/{container}`,
        socket: { protocol: 'socket.io', namespace: '/workbench', path: '/socket.io/' },
        headless: config.webcontainerHeadless,
        unsupported: ['git', 'computer-use'],
      },
    },
    // Who may run programs, and whether they are sandboxed (exec, terminals and git need it).
    ...(sandbox
      ? {
          sandbox: {
            mode: sandbox.mode,
            commands: sandbox.commands,
            seccomp: sandbox.seccomp,
            reason: sandbox.reason,
            ...(sandbox.containerLimits ? { containerLimits: sandbox.containerLimits } : {}),
            ...(sandbox.spawner ? { spawner: sandbox.spawner } : {}),
          },
        }
      : {}),
  };
}

export interface DiscoveryDeps {
  ops: readonly Op[];
  config: Config;
  version: string;
  /** The sandbox's report, for /capabilities. */
  sandbox?: () => SandboxReport;
}

const DESCRIPTION =
  'Development containers for AI assistants: files, commands, terminals and git in sandboxed workspaces.';

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="#1d1b3a"/><circle cx="32" cy="32" r="12" fill="#f5c542"/></svg>`;

/**
 * Public, token-free discovery: `/`, `/config`, `/capabilities`, `/.well-known/ai-plugin.json`. URLs use
 * DISCO_PUBLIC_URL when set, else the URL the request came to.
 */
export function discoveryRouter(deps: DiscoveryDeps): Router {
  const { config, ops, version } = deps;
  const baseOf = (req: Request) => publicBaseUrl(req, config);
  const router = Router();
  const send = (res: Response, body: unknown) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.json(body);
  };

  router.get('/', (req, res) => {
    const base = baseOf(req);
    send(res, {
      name: 'disco',
      version,
      description: DESCRIPTION,
      links: {
        config: `${base}/config`,
        capabilities: `${base}/capabilities`,
        openapi: `${base}/openapi.json`,
        docs: `${base}/docs`,
        api: `${base}/api/v1`,
        mcp: `${base}/mcp`,
        health: `${base}/health`,
        ready: `${base}/ready`,
        metrics: `${base}/metrics`,
        aiPlugin: `${base}/.well-known/ai-plugin.json`,
      },
    });
  });

  router.get('/config', (req, res) => {
    const base = baseOf(req);
    const ws = base.replace(/^http/, 'ws');
    send(res, {
      publicUrl: base,
      publicUrlConfigured: config.publicUrl !== undefined,
      restUrl: `${base}/api/v1`,
      openapiUrl: `${base}/openapi.json`,
      mcpUrl: `${base}/mcp`,
      mcp: { stateless: config.mcpStateless },
      websocket: {
        url: `${ws}/socket.io/`,
        protocol: 'socket.io',
        path: '/socket.io/',
        namespaces: { terminals: `${base}/terminals` },
      },
      auth: { methods: authMethods(config, base) },
    });
  });

  router.get('/capabilities', (req, res) => {
    send(res, capabilities(ops, version, baseOf(req), config, deps.sandbox?.()));
  });

  router.get('/.well-known/ai-plugin.json', (req, res) => {
    const base = baseOf(req);
    send(res, {
      schema_version: 'v1',
      name_for_human: 'Disco',
      name_for_model: 'disco',
      description_for_human: DESCRIPTION,
      description_for_model:
        'Work in development containers: create one, read and write files, run commands, use git. ' +
        'Every operation is in the OpenAPI document; the same tools are served over MCP at /mcp.',
      auth: pluginAuth(authMethods(config, base)),
      api: { type: 'openapi', url: `${base}/openapi.json` },
      logo_url: `${base}/logo.svg`,
      mcp: { url: `${base}/mcp` },
    });
  });

  router.get('/logo.svg', (_req, res) => {
    res.setHeader('Content-Type', 'image/svg+xml');
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.end(LOGO);
  });

  return router;
}
