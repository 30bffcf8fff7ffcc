import { z } from 'zod';
import { NETWORK_MODES, type NetworkMode, RUNTIMES } from './vocabulary.js';

/** Schemas shared by several ops. */
export const containerRef = z.string().min(1).max(128).describe('Container id (ctr_…) or name.');

/**
 * On a result with output: present (true) when the container's runtime cannot tell stderr from stdout
 * (the webcontainer runtime: WebContainer gives a process one terminal stream). Both are then in stdout
 * (records marked stdout), in order, and an empty stderr says nothing.
 */
export const stderrMerged = z
  .literal(true)
  .optional()
  .describe(
    "True when this container's runtime (webcontainer) gives one stream: stderr is in stdout, in order, and stderr is empty.",
  );

export const relPath = z
  .string()
  .max(4096)
  .describe("Path relative to the container's workspace root, e.g. 'src/index.ts'. '.' is the root.");

const NETWORK_DOC =
  "'off' (loopback only), 'egress' (default: the outside only through the daemon's policed proxy) or " +
  "'host' (the host's network: admins only, where DISCO_ALLOW_HOST_NETWORK allows it)";

/** A network mode; the old boolean is still accepted: true is 'egress', false is 'off'. */
export const networkModeInput = z
  .union([z.enum(NETWORK_MODES), z.boolean()])
  .transform((v): NetworkMode => (v === true ? 'egress' : v === false ? 'off' : v))
  .describe(`How commands reach the network: ${NETWORK_DOC}. true means 'egress', false 'off'.`);

/** `example.com` (that name), `*.example.com` (its subdomains) or an IPv4 address, stored lower-case. */
const domainPattern = z
  .string()
  .max(253)
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i,
    "a domain ('example.com'), its subdomains ('*.example.com') or an IPv4 address",
  )
  .transform((s) => s.toLowerCase());

const domainList = z.array(domainPattern).max(100);

const EGRESS_DOC =
  "The container's own egress domain lists, on top of the daemon's: they only narrow it (the daemon's deny " +
  'list always applies, and a destination must pass both allow lists). allow: only these (empty: no list ' +
  'of its own); deny: never these.';

/** A container's egress lists as given to create/update (each list given replaces the stored one). */
export const egressRulesInput = z
  .object({ allow: domainList.optional(), deny: domainList.optional() })
  .strict()
  .describe(EGRESS_DOC);

/** The warning a container in `host` mode carries in every result that returns it. */
export const HOST_NETWORK_WARNING =
  "network mode 'host': commands share the host's network namespace and can reach every service on its " +
  'loopback (the daemon, other containers) and the cloud metadata address';

export const ContainerSchema = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  runtime: z
    .enum(RUNTIMES)
    .describe(
      "Where commands run: 'sandbox' (on the daemon's host) or 'webcontainer' (in a browser page; see disco open).",
    ),
  template: z.string(),
  status: z.string().describe("'ready', 'stopped' (idle: no processes; any use starts it again), 'deleting'"),
  network: z.enum(NETWORK_MODES).describe(`How commands reach the network: ${NETWORK_DOC}.`),
  pinned: z.boolean().describe('Pinned containers are never deleted for being idle.'),
  egress: z.object({ allow: z.array(z.string()), deny: z.array(z.string()) }).describe(EGRESS_DOC),
  createdAt: z.string().describe('ISO 8601'),
  lastUsedAt: z.string().describe('ISO 8601'),
  warning: z.string().optional().describe('Set when the container is less isolated than usual (host network).'),
});
