import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PORT } from '../shared/defaults.js';
import { RAG_SETTINGS } from './settings-rag.js';
import { SANDBOX_SETTINGS } from './settings-sandbox.js';
import { bytes, csv, type DefaultContext, intIn } from './settings-schema.js';
import { WEBCONTAINER_SETTINGS } from './settings-webcontainer.js';

export { DEFAULT_PORT, intIn };

/**
 * Every setting in one table, the one place each is stated: the env variable, an optional CLI flag, its
 * schema (parsing from strings; its output type is the type of `Config[key]`), its default (a value, or a
 * function of the settings before it; none means `undefined`), and the documentation the generated
 * configuration reference shows. `config.ts` loads them; `test/unit/config.test.ts` checks each doc states
 * the default given here.
 */
export const SETTINGS = {
  host: {
    env: 'DISCO_HOST',
    default: ({ railwayPort }: DefaultContext) => (railwayPort !== undefined ? '0.0.0.0' : '127.0.0.1'),
    flag: '--host',
    schema: z.string().min(1),
    doc: 'Address to bind. Default `127.0.0.1`, or `0.0.0.0` when `PORT` is set.',
  },
  port: {
    env: 'DISCO_PORT',
    default: ({ railwayPort }: DefaultContext) => railwayPort ?? DEFAULT_PORT,
    flag: '--port',
    schema: intIn(0, 65535),
    doc: `Port to listen on. Default ${DEFAULT_PORT}; \`PORT\` (Railway) is used when set.`,
  },
  home: {
    env: 'DISCO_HOME',
    default: () => path.join(os.homedir(), '.disco'),
    flag: '--home',
    schema: z
      .string()
      .min(1)
      .transform((p) => path.resolve(p)),
    doc: 'State directory (SQLite, admin token, containers). Default `~/.disco`.',
  },
  containersDir: {
    env: 'DISCO_CONTAINERS_DIR',
    default: ({ resolved }: DefaultContext) => path.join(resolved.home as string, 'containers'),
    schema: z
      .string()
      .min(1)
      .transform((p) => path.resolve(p)),
    doc: 'Where workspaces live. Default `$DISCO_HOME/containers`.',
  },
  adminToken: {
    env: 'DISCO_ADMIN_TOKEN',
    schema: z.string().min(16, 'must be at least 16 characters'),
    doc: 'Admin bearer token of `disco serve`. Generated into `$DISCO_HOME/admin-token` (0600) when unset. `disco mcp` and `disco worker` ignore it.',
  },
  logLevel: {
    env: 'DISCO_LOG_LEVEL',
    default: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    doc: 'Log level. Default `info`.',
  },
  allowedOrigins: {
    env: 'DISCO_ALLOWED_ORIGINS',
    default: ['https://chatgpt.com'],
    schema: csv,
    doc: 'Comma-separated browser origins allowed to call the API. Default `https://chatgpt.com`.',
  },
  allowedHosts: {
    env: 'DISCO_ALLOWED_HOSTS',
    default: [],
    schema: csv,
    doc: 'Extra `Host` names accepted when bound to loopback (DNS-rebinding guard).',
  },
  execTimeoutMs: {
    env: 'DISCO_EXEC_TIMEOUT_MS',
    default: 60_000,
    schema: intIn(100, 24 * 3600_000),
    doc: 'Default command timeout. Default 60000.',
  },
  execMaxTimeoutMs: {
    env: 'DISCO_EXEC_MAX_TIMEOUT_MS',
    default: 600_000,
    schema: intIn(100, 24 * 3600_000),
    doc: 'Largest timeout a caller may ask for. Default 600000.',
  },
  execMaxOutputBytes: {
    env: 'DISCO_EXEC_MAX_OUTPUT_BYTES',
    default: 1024 * 1024,
    schema: bytes,
    doc: 'Cap per output stream of a command; beyond it output is dropped and `truncated` set. Default 1 MiB.',
  },
  fileReadMaxBytes: {
    env: 'DISCO_FILE_READ_MAX_BYTES',
    default: 5 * 1024 * 1024,
    schema: bytes,
    doc: 'Largest file returned whole by a read (use a line range past it). Default 5 MiB.',
  },
  resultMaxBytes: {
    env: 'DISCO_RESULT_MAX_BYTES',
    default: 32 * 1024,
    schema: intIn(4096, 16 * 1024 * 1024),
    doc: 'Largest tool result sent to a model over MCP (JSON and text together). Bigger results come back cut, with `truncated: true` and `next`: the call that returns the rest. Default 32768.',
  },
  citationLinkTtlSeconds: {
    env: 'DISCO_CITATION_LINK_TTL_SECONDS',
    default: 3600,
    schema: intIn(60, 7 * 86_400),
    doc: 'Lifetime of the signed links `search` and `fetch` give as citation URLs (a read-only page of one file for whoever opens it). Default 3600.',
  },
  fileWriteMaxBytes: {
    env: 'DISCO_FILE_WRITE_MAX_BYTES',
    default: 25 * 1024 * 1024,
    schema: bytes,
    doc: 'Largest file a write accepts. Default 25 MiB.',
  },
  poolSize: {
    env: 'DISCO_POOL_SIZE',
    default: 2,
    schema: intIn(0, 100),
    doc: 'Prepared workspaces kept ready per template, so creating a container is a rename. Default 2; 0 turns the pool off.',
  },
  commandPolicy: {
    env: 'DISCO_COMMAND_POLICY',
    default: 'deny-list',
    schema: z.enum(['deny-list', 'allow-list']),
    doc: '`deny-list` (default: refuse clearly destructive commands such as `rm -rf /`) or `allow-list` (only `DISCO_COMMAND_ALLOW`).',
  },
  commandDeny: {
    env: 'DISCO_COMMAND_DENY',
    default: [],
    schema: z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z.string().refine((p) => {
            try {
              new RegExp(p);
              return true;
            } catch {
              return false;
            }
          }, 'each entry must be a valid regular expression'),
        ),
      ),
    doc: 'Extra comma-separated regular expressions of command lines to refuse.',
  },
  commandAllow: {
    env: 'DISCO_COMMAND_ALLOW',
    default: [],
    schema: csv,
    doc: 'Comma-separated program names allowed in `allow-list` mode (e.g. `npm,node,git,ls,cat`).',
  },
  gitProtocols: {
    env: 'DISCO_GIT_PROTOCOLS',
    default: ['https'],
    schema: csv.pipe(z.array(z.enum(['https', 'http', 'file'])).min(1)),
    doc: 'Comma-separated transports git remotes may use: `https` (default), `http`, `file` (`file` lets a clone read other repositories on the host).',
  },
  gitTimeoutMs: {
    env: 'DISCO_GIT_TIMEOUT_MS',
    default: 300_000,
    schema: intIn(1000, 24 * 3600_000),
    doc: 'Timeout for one git command (clone, push, pull…). Default 300000.',
  },
  idleStopMinutes: {
    env: 'DISCO_IDLE_STOP_MINUTES',
    default: 60,
    schema: intIn(0, 525_600),
    doc: 'Stop a container (kill its processes and terminals) after this many minutes without use. Default 60; 0 never.',
  },
  idleDeleteHours: {
    env: 'DISCO_IDLE_DELETE_HOURS',
    default: 0,
    schema: intIn(0, 87_600),
    doc: 'Delete a stopped, unpinned container after this many hours without use. Default 0: never (deleting work is opt-in).',
  },
  terminalDetachedMinutes: {
    env: 'DISCO_TERMINAL_DETACHED_MINUTES',
    default: 30,
    schema: intIn(1, 10_080),
    doc: 'A terminal no client has been attached to for this long is closed (reattach before, scrollback kept). Default 30.',
  },
  browserIdleMinutes: {
    env: 'DISCO_BROWSER_IDLE_MINUTES',
    default: 10,
    schema: intIn(1, 10_080),
    doc: "A container's browser session nobody used for this long is closed (its profile is kept). Default 10.",
  },
  browserMax: {
    env: 'DISCO_BROWSER_MAX',
    default: 4,
    schema: intIn(0, 1000),
    doc: 'Browser sessions running at once on this daemon (each a Chromium in its container). Default 4; 0 turns computer use off.',
  },
  processLogMaxBytes: {
    env: 'DISCO_PROCESS_LOG_MAX_BYTES',
    default: 8 * 1024 * 1024,
    schema: bytes,
    doc: 'Disk kept per process for its output log (oldest output rotates out past it). Default 8 MiB.',
  },
  minFreeDiskMb: {
    env: 'DISCO_MIN_FREE_DISK_MB',
    default: 512,
    schema: intIn(0, 1024 * 1024 * 1024),
    doc: '`/ready` fails when the disk holding `$DISCO_HOME` has less free space than this, in MiB. Default 512.',
  },
  diskReserveMb: {
    env: 'DISCO_DISK_RESERVE_MB',
    default: 64,
    schema: intIn(0, 1024 * 1024),
    doc: "Free space kept for the daemon's own state, in MiB (0 = off): below it, file writes on behalf of containers are refused (`no_space`, 507) and process output is dropped with a marker. Default 64.",
  },
  containerDiskMb: {
    env: 'DISCO_CONTAINER_DISK_MB',
    default: 0,
    schema: intIn(0, 1024 * 1024 * 1024),
    doc: 'Per-container disk quota in MiB for writes made through the daemon, measured with `du` in the background (0 = off). Commands inside the sandbox are not stopped by it. Default 0.',
  },
  metricsPort: {
    env: 'DISCO_METRICS_PORT',
    schema: intIn(0, 65535),
    doc: 'Also serve Prometheus `/metrics` without a token on `127.0.0.1:<port>` (on the main port it needs the bearer token). Default: off.',
  },
  publicUrl: {
    env: 'DISCO_PUBLIC_URL',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    doc: 'Public base URL (tunnel or deployment), used in links such as `fetch` results. Default: the URL a request came to.',
  },
  jwtSecret: {
    env: 'DISCO_JWT_SECRET',
    schema: z.string().min(32, 'must be at least 32 characters'),
    doc: "Shared secret for signing access tokens (HS256) and sealing stored GitHub tokens, so several instances accept each other's tokens. Default: an Ed25519 key generated into `$DISCO_HOME/keys` (0600).",
  },
  accessTokenTtlSeconds: {
    env: 'DISCO_ACCESS_TOKEN_TTL_SECONDS',
    default: 900,
    schema: intIn(30, 86_400),
    doc: 'Lifetime of an access token (JWT). Default 900 (15 minutes).',
  },
  refreshTokenTtlDays: {
    env: 'DISCO_REFRESH_TOKEN_TTL_DAYS',
    default: 30,
    schema: intIn(1, 365),
    doc: 'Lifetime of a refresh token (rotated on every use). Default 30.',
  },
  refreshGraceSeconds: {
    env: 'DISCO_REFRESH_GRACE_SECONDS',
    default: 30,
    schema: intIn(0, 300),
    doc: 'Seconds after a refresh token is used in which the same token again gets the same new tokens (a client retrying a refresh), instead of revoking the session as a reuse. `0` turns it off. Default 30.',
  },
  trustProxy: {
    env: 'DISCO_TRUST_PROXY',
    default: false,
    schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
    doc: 'Trust `X-Forwarded-Proto`/`-Host`/`-For` from a reverse proxy for the public URL and client IP. Default `false`; prefer `DISCO_PUBLIC_URL`.',
  },
  oauthRedirectUris: {
    env: 'DISCO_OAUTH_REDIRECT_URIS',
    default: [],
    schema: csv.pipe(z.array(z.url())),
    doc: "Extra redirect URIs OAuth clients may register, besides ChatGPT's (`https://chatgpt.com/connector_platform_oauth_redirect` and `https://chatgpt.com/connector/oauth/<id>`) and loopback `http://127.0.0.1:*` ones.",
  },
  githubClientId: {
    env: 'GITHUB_CLIENT_ID',
    schema: z.string().min(1),
    doc: 'GitHub OAuth app client id; enables "Sign in with GitHub" (callback `<public URL>/api/v1/auth/github/callback`).',
  },
  githubClientSecret: {
    env: 'GITHUB_CLIENT_SECRET',
    schema: z.string().min(1),
    doc: 'GitHub OAuth app client secret.',
  },
  githubUrl: {
    env: 'DISCO_GITHUB_URL',
    default: 'https://github.com',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    doc: 'GitHub web base URL (GitHub Enterprise). Default `https://github.com`.',
  },
  githubApiUrl: {
    env: 'DISCO_GITHUB_API_URL',
    default: 'https://api.github.com',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    doc: 'GitHub API base URL. Default `https://api.github.com`.',
  },
  githubAllowedUsers: {
    env: 'DISCO_GITHUB_ALLOWED_USERS',
    default: [],
    schema: csv,
    doc: 'GitHub logins that may sign in and get an account (`*` for anyone). Default: none; accounts already linked may always sign in.',
  },
  frameAncestors: {
    env: 'DISCO_FRAME_ANCESTORS',
    default: ['https://chatgpt.com'],
    schema: csv,
    doc: 'Origins allowed to frame Disco pages (CSP `frame-ancestors`). Default `https://chatgpt.com`.',
  },
  rateLimitPerMinute: {
    env: 'DISCO_RATE_LIMIT_PER_MINUTE',
    default: 3000,
    schema: intIn(1, 1_000_000),
    doc: 'Requests per minute per signed-in user on `/api/v1` and `/mcp` (per address: twice that). Default 3000.',
  },
  authRateLimitPerMinute: {
    env: 'DISCO_AUTH_RATE_LIMIT_PER_MINUTE',
    default: 30,
    schema: intIn(1, 1_000_000),
    doc: 'Requests per minute per IP on sign-in and token endpoints. Default 30.',
  },
  redisUrl: {
    env: 'REDIS_URL',
    schema: z.url({ protocol: /^rediss?$/ }),
    doc: 'Redis shared by several instances behind one load balancer: sessions and tokens, rate limits, MCP session routing, events, the instance registry. Off loopback it must carry a password (`redis://:PASSWORD@host:6379`), or Disco refuses to start. Default: none (single instance, SQLite only).',
  },
  instanceUrl: {
    env: 'DISCO_INSTANCE_URL',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    doc: "This instance's own address as the other instances reach it (with `REDIS_URL`). Default: the address it listens on.",
  },
  mcpStateless: {
    env: 'DISCO_MCP_STATELESS',
    default: false,
    schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
    doc: 'Serve `/mcp` without sessions (every request stands alone), for several instances behind a load balancer. Default `false`.',
  },
  mcpDirectJson: {
    env: 'DISCO_MCP_DIRECT_JSON',
    default: true,
    schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
    doc: "Answer a session's plain MCP calls over HTTP (one request, no progress token) straight from the SDK's server, without its Web Request/Response conversion: the same answers, cheaper. `false` sends every request through the SDK's transport. Default `true`.",
  },
  shutdownGraceMs: {
    env: 'DISCO_SHUTDOWN_GRACE_MS',
    default: 10_000,
    schema: intIn(0, 600_000),
    doc: 'How long shutdown waits for in-flight requests. Default 10000.',
  },
  ...SANDBOX_SETTINGS,
  ...WEBCONTAINER_SETTINGS,
  ...RAG_SETTINGS,
} as const;

export type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;

/** The loaded configuration: each setting's schema output, `undefined` allowed only where there is no default. */
export type Config = {
  -readonly [K in SettingKey]: 'default' extends keyof Settings[K]
    ? z.output<Settings[K]['schema']>
    : z.output<Settings[K]['schema']> | undefined;
};
