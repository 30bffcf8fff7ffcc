import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { csv, type DefaultContext, domainList, intIn } from './settings-schema.js';

/** The settings of the sandbox, container limits, network modes, egress and previews (part of SETTINGS). */
export const SANDBOX_SETTINGS = {
  sandbox: {
    env: 'DISCO_SANDBOX',
    default: 'auto',
    schema: z.enum(['auto', 'bwrap', 'none']),
    doc: 'Run container commands in a bubblewrap sandbox: `auto` (default: when bwrap works, else only admins may run commands), `bwrap` (required), `none` (everyone runs commands unsandboxed).',
  },
  bwrap: {
    env: 'DISCO_BWRAP',
    default: 'bwrap',
    schema: z.string().min(1),
    doc: 'The bubblewrap program. Default `bwrap` on `PATH`.',
  },
  sandboxUid: {
    env: 'DISCO_SANDBOX_UID',
    default: 65534,
    schema: intIn(1, 2 ** 31 - 2),
    doc: 'Host uid commands run as when the daemon runs as root (never root itself). Default 65534 (nobody); a dedicated uid is better.',
  },
  sandboxGid: {
    env: 'DISCO_SANDBOX_GID',
    default: ({ resolved }: DefaultContext) => resolved.sandboxUid as number,
    schema: intIn(1, 2 ** 31 - 2),
    doc: 'Host gid commands run as when the daemon runs as root. Default the sandbox uid.',
  },
  sandboxSpawner: {
    env: 'DISCO_SANDBOX_SPAWNER',
    default: 'auto',
    schema: z.enum(['auto', 'node']),
    doc: 'Who starts piped processes inside a container sandbox: `auto` (default: the native spawner `dist/native/disco-spawner`, built by `npm run build` with `cc`, when it is there and passes its self-check; else Node), `node` (always Node, which forks the supervisor for each process and is slower).',
  },
  limitMemoryMb: {
    env: 'DISCO_LIMIT_MEMORY_MB',
    default: 4096,
    schema: intIn(0, 1024 * 1024),
    doc: 'Memory (heap, RLIMIT_DATA) per container process, in MiB. Default 4096; 0 for none.',
  },
  limitCpuSeconds: {
    env: 'DISCO_LIMIT_CPU_SECONDS',
    default: 0,
    schema: intIn(0, 365 * 86400),
    doc: 'CPU time per container process, in seconds (RLIMIT_CPU). Default 0 (none): dev servers run for days.',
  },
  limitProcesses: {
    env: 'DISCO_LIMIT_PROCESSES',
    default: 2048,
    schema: intIn(0, 1_000_000),
    doc: 'Processes of the user commands run as (RLIMIT_NPROC, a fork-bomb guard; the sandbox uid when the daemon runs as root, so shared by its containers; not enforced when commands run as root without a sandbox). Default 2048.',
  },
  limitFileSizeMb: {
    env: 'DISCO_LIMIT_FILE_SIZE_MB',
    default: 4096,
    schema: intIn(0, 1024 * 1024),
    doc: 'Largest file a container process may write, in MiB (RLIMIT_FSIZE). Default 4096; 0 for none.',
  },
  containerMemoryMb: {
    env: 'DISCO_CONTAINER_MEMORY_MB',
    default: 8192,
    schema: intIn(0, 1024 * 1024),
    doc: 'Memory of all processes of one container together, in MiB (a cgroup; `disco doctor` says whether this host enforces it). Default 8192; 0 for none.',
  },
  containerPids: {
    env: 'DISCO_CONTAINER_PIDS',
    default: 4096,
    schema: intIn(0, 4_000_000),
    doc: 'Processes and threads of one container together (a cgroup). Default 4096; 0 for none.',
  },
  containerCpus: {
    env: 'DISCO_CONTAINER_CPUS',
    default: 0,
    schema: z.coerce.number().min(0).max(4096),
    doc: 'CPUs one container may use together, e.g. `1.5` (a cgroup CPU quota). Default 0 (none).',
  },
  maxLiveSandboxes: {
    env: 'DISCO_MAX_LIVE_SANDBOXES',
    default: 32,
    schema: intIn(0, 100_000),
    doc: 'Live container sandboxes (a bubblewrap and its supervisor each, tens of MB) this daemon process runs at once. A start over it first stops the least recently used idle sandbox (nothing running in it, no terminal, browser or preview WebSocket open: its container stops as an idle stop does and its next command starts it again); with none idle the start is refused (`unavailable`, 503). A warm container is prestarted only while fewer than half run. Default 32; 0 for no limit.',
  },
  maxLiveSandboxesPerUser: {
    env: 'DISCO_MAX_LIVE_SANDBOXES_PER_USER',
    default: 8,
    schema: intIn(0, 100_000),
    doc: "Live container sandboxes one user (admins too) runs at once in this daemon process. A start over it first stops that user's own least recently used idle sandbox, never another user's; with none idle it is refused (`conflict`, 409). Default 8; 0 for no limit.",
  },
  maxContainersPerUser: {
    env: 'DISCO_MAX_CONTAINERS_PER_USER',
    default: 50,
    schema: intIn(0, 1_000_000),
    doc: 'Containers one user (admins too) may have, running or stopped; a create over it is refused (`conflict`, 409) and changes nothing. Default 50; 0 for no limit.',
  },
  allowHostNetwork: {
    env: 'DISCO_ALLOW_HOST_NETWORK',
    default: false,
    schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
    doc: "Let admins give a container the `host` network mode (the host's network namespace: its loopback services, the cloud metadata address). Default `false`.",
  },
  previewDomain: {
    env: 'DISCO_PREVIEW_DOMAIN',
    schema: z
      .string()
      .toLowerCase()
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/, 'a domain name'),
    doc: 'Wildcard domain for previews in their own origin: `https://<port>--<container>.<domain>` (point `*.<domain>` at the daemon; the container id without `ctr_`). The scheme is `http` when `DISCO_PUBLIC_URL` is `http://` or the domain is under `localhost`. Default: none (path form `/preview/<container>/<port>/` only).',
  },
  egressAllowDomains: {
    env: 'DISCO_EGRESS_ALLOW_DOMAINS',
    default: [],
    schema: domainList,
    doc: 'Comma-separated domains the egress proxy may reach (`example.com` exact, `*.example.com` its subdomains). Empty (default): every domain not denied.',
  },
  egressDenyDomains: {
    env: 'DISCO_EGRESS_DENY_DOMAINS',
    default: [],
    schema: domainList,
    doc: 'Comma-separated domains the egress proxy refuses (same forms; deny wins over allow).',
  },
  egressAllowCidrs: {
    env: 'DISCO_EGRESS_ALLOW_CIDRS',
    default: [],
    schema: csv.pipe(
      z.array(z.string().refine((c) => ipaddr.isValidCIDR(c), 'each entry must be a CIDR such as 10.1.2.0/24')),
    ),
    doc: 'Comma-separated address ranges the egress proxy may reach although it would refuse them (private, loopback, …), e.g. an internal package mirror.',
  },
  egressRatePerSecond: {
    env: 'DISCO_EGRESS_RATE_PER_SECOND',
    default: 50,
    schema: intIn(1, 100_000),
    doc: 'New egress connections per second per container (bursts of twice that). Default 50.',
  },
  egressMaxConnections: {
    env: 'DISCO_EGRESS_MAX_CONNECTIONS',
    default: 256,
    schema: intIn(1, 100_000),
    doc: 'Egress connections open at once per container. Default 256.',
  },
} as const;
