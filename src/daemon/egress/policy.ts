import { isIP } from 'node:net';
import os from 'node:os';
import ipaddr from 'ipaddr.js';
import { classifyAddress, type ResolvedAddress, type Resolver, systemResolver } from '../net/address-policy.js';

/** Domain lists: `example.com` matches that name only, `*.example.com` its subdomains (not itself). */
export interface DomainRules {
  allow: readonly string[];
  deny: readonly string[];
}

/** Why a destination is refused: a stable code (metrics label) and a one-line message for the client. */
export type RefusalCode =
  | 'denied_domain'
  | 'not_allowed_domain'
  | 'unresolvable'
  | 'non_public_address'
  | 'host_address'
  | 'bad_destination'
  | 'rate_limited'
  | 'too_many_connections';

export interface Refusal {
  ok: false;
  code: RefusalCode;
  reason: string;
}

/** The addresses to connect to, in order; each is used as is (no second lookup can rebind it). */
export type Decision = { ok: true; addresses: ResolvedAddress[] } | Refusal;

export interface EgressPolicyOptions {
  allowDomains?: readonly string[];
  denyDomains?: readonly string[];
  /** Ranges reachable although they would be refused (an internal mirror, a test host on loopback). */
  allowCidrs?: readonly string[];
  resolve?: Resolver;
  /** Addresses of this host (default: os.networkInterfaces(), re-read at most every 5 s). */
  hostAddresses?: () => Iterable<string>;
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export const refuse = (code: RefusalCode, reason: string): Refusal => ({ ok: false, code, reason });

/** Lower-cases, drops IPv6 brackets and one trailing dot: the form lists and the resolver see. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

export function domainMatches(host: string, pattern: string): boolean {
  const p = normalizeHost(pattern);
  if (p.startsWith('*.')) return host.endsWith(p.slice(1));
  return host === p;
}

/** Canonical text of an address, IPv4-mapped IPv6 unwrapped (`::ffff:127.0.0.1` → `127.0.0.1`). */
function canonical(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.process(address.replace(/%.*$/, ''));
  } catch {
    return undefined;
  }
}

/**
 * dns.lookup runs on libuv's thread pool (4 threads), which file I/O shares: names that take seconds to
 * fail must not starve the daemon's disk work. At most `max` lookups run at once; the rest wait their turn,
 * and a caller stops waiting after `timeoutMs` (the lookup itself cannot be cancelled; it still holds its slot).
 */
export function gatedResolver(resolve: Resolver, max = 2, timeoutMs = 10_000): Resolver {
  let running = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    running--;
    queue.shift()?.();
  };
  return (host) =>
    new Promise((resolveOut, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new Error('lookup timed out'));
      }, timeoutMs);
      const run = () => {
        if (settled) return release(); // gave up while queued: pass the slot on
        resolve(host)
          .then(resolveOut, reject)
          .finally(() => {
            clearTimeout(timer);
            release();
          });
      };
      running++;
      if (running <= max) run();
      else queue.push(run);
    });
}

function systemHostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}

/**
 * Where a container's egress may go. Security: the name is resolved once, here; every address it
 * resolves to must pass (a name with one private address among public ones is refused, so no answer
 * order or rebinding picks the private one), and the caller connects to exactly these addresses.
 * Refused: everything but global unicast (loopback, RFC 1918, CGNAT, ULA, link-local incl. metadata,
 * multicast, unspecified, reserved, and IPv4-mapped/translated forms of those: see net/address-policy.ts)
 * and every address assigned to this host, unless a configured allow-CIDR covers it.
 */
export class EgressPolicy {
  private readonly allow: readonly string[];
  private readonly deny: readonly string[];
  private readonly cidrs: Cidr[];
  private readonly resolve: Resolver;
  private readonly hostAddresses: () => Iterable<string>;
  private hostCache: { at: number; set: Set<string> } | undefined;
  private readonly protectedPorts = new Set<number>();

  constructor(opts: EgressPolicyOptions = {}) {
    this.allow = opts.allowDomains ?? [];
    this.deny = opts.denyDomains ?? [];
    this.cidrs = (opts.allowCidrs ?? []).map((c) => ipaddr.parseCIDR(c));
    this.resolve = opts.resolve ?? gatedResolver(systemResolver);
    this.hostAddresses = opts.hostAddresses ?? systemHostAddresses;
  }

  /** Checks the name against the global and the container's lists (no network). */
  checkName(host: string, rules?: DomainRules): Refusal | undefined {
    const deny = [...this.deny, ...(rules?.deny ?? [])];
    if (deny.some((p) => domainMatches(host, p))) return refuse('denied_domain', `${host} is denied by policy`);
    for (const allow of [this.allow, rules?.allow ?? []]) {
      if (allow.length > 0 && !allow.some((p) => domainMatches(host, p)))
        return refuse('not_allowed_domain', `${host} is not in the allow list`);
    }
    return undefined;
  }

  /** Resolves `rawHost` once and decides; never throws. */
  async decide(rawHost: string, port: number, rules?: DomainRules): Promise<Decision> {
    const host = normalizeHost(rawHost);
    if (!host || host.length > 253 || !Number.isInteger(port) || port < 1 || port > 65535)
      return refuse('bad_destination', 'bad destination host or port');
    const named = this.checkName(host, rules);
    if (named) return named;
    let resolved: ResolvedAddress[];
    const literal = isIP(host);
    if (literal) resolved = [{ address: host, family: literal === 6 ? 6 : 4 }];
    else {
      try {
        resolved = await this.resolve(host);
      } catch {
        resolved = [];
      }
    }
    if (resolved.length === 0) return refuse('unresolvable', `cannot resolve ${host}`);
    const addresses: ResolvedAddress[] = [];
    for (const r of resolved) {
      const verdict = this.checkAddress(r.address, port);
      if (verdict) return refuse(verdict.code, `${host} resolves to ${verdict.reason}`);
      const addr = canonical(r.address) as ipaddr.IPv4 | ipaddr.IPv6;
      addresses.push({ address: addr.toString(), family: addr.kind() === 'ipv6' ? 6 : 4 });
    }
    // IPv4 first: a host without IPv6 connectivity still reaches dual-stack names at once.
    addresses.sort((a, b) => a.family - b.family);
    return { ok: true, addresses };
  }

  /** Why this address is refused, or undefined when it may be reached. */
  checkAddress(address: string, port?: number): Refusal | undefined {
    const addr = canonical(address);
    if (!addr) return refuse('non_public_address', 'an unreadable address');
    if (port !== undefined && this.protectedPorts.has(port) && this.isHostAddress(addr))
      return refuse('host_address', `the daemon's own listener (${addr.toString()}:${port})`);
    if (this.cidrs.some(([base, bits]) => addr.kind() === base.kind() && addr.match(base, bits))) return undefined;
    const text = addr.toString();
    if (classifyAddress(text) !== 'public') return refuse('non_public_address', `a non-public address (${text})`);
    if (this.ownAddresses().has(text)) return refuse('host_address', `an address of this host (${text})`);
    return undefined;
  }

  /**
   * The daemon's own listening ports: refused on every address of this host even where an allow-CIDR
   * opens loopback or a host address (a deployment that allows its internal network still keeps
   * containers off the daemon's API and metrics).
   */
  protectPort(port: number): void {
    this.protectedPorts.add(port);
  }

  private isHostAddress(addr: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    const range = addr.range();
    return range === 'loopback' || range === 'unspecified' || this.ownAddresses().has(addr.toString());
  }

  private ownAddresses(): Set<string> {
    const now = Date.now();
    if (!this.hostCache || now - this.hostCache.at > 5_000) {
      const set = new Set<string>();
      for (const a of this.hostAddresses()) {
        const c = canonical(a);
        if (c) set.add(c.toString());
      }
      this.hostCache = { at: now, set };
    }
    return this.hostCache.set;
  }
}
