import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses an outbound request made on a client's behalf may reach. Security: the classification
 * is ipaddr.js's (a maintained table of special ranges), applied after unwrapping IPv4-mapped IPv6, plus
 * the ranges below that older versions of the table lack. Only global unicast counts as public; IPv6 must
 * also be in 2000::/3 outside the blocks that embed or tunnel IPv4 (6to4, Teredo, NAT64), so no encoding
 * of a private IPv4 address (mapped, compatible, translated, decimal, octal or hex, which the URL parser
 * and the resolver have already turned into a plain address) slips through.
 */
export type AddressClass = 'public' | 'loopback' | 'private';

const EXTRA_NON_PUBLIC = [
  '198.18.0.0/15', // benchmarking (RFC 2544)
  '192.0.0.0/24', // IETF protocol assignments
  '2001::/23', // IETF protocol assignments: Teredo, benchmarking, ORCHID, AMT, …
  '2001:db8::/32', // documentation
  '2002::/16', // 6to4
  '64:ff9b::/96', // NAT64 (well-known prefix)
  '64:ff9b:1::/48', // NAT64 (local use, RFC 8215)
  '100::/64', // discard only
].map((cidr): Cidr => ipaddr.parseCIDR(cidr));

const GLOBAL_UNICAST_V6: Cidr = ipaddr.parseCIDR('2000::/3');

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function inRange(addr: ipaddr.IPv4 | ipaddr.IPv6, [base, bits]: Cidr): boolean {
  if (addr.kind() !== base.kind()) return false;
  return addr.kind() === 'ipv4'
    ? (addr as ipaddr.IPv4).match(base as ipaddr.IPv4, bits)
    : (addr as ipaddr.IPv6).match(base as ipaddr.IPv6, bits);
}

/** Classifies one IP address (as `dns.lookup` or the URL parser spells it); anything odd is private. */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 0) return 'private';
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(bare);
  } catch {
    return 'private'; // a spelling the table cannot read (e.g. `::127.0.0.1` in old versions) is not vetted
  }
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  const range = addr.range();
  if (range === 'loopback') return 'loopback';
  if (range !== 'unicast') return 'private';
  if (addr.kind() === 'ipv6' && !inRange(addr, GLOBAL_UNICAST_V6)) return 'private';
  return EXTRA_NON_PUBLIC.some((cidr) => inRange(addr, cidr)) ? 'private' : 'public';
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (the daemon's seam for tests and other resolvers). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/**
 * Resolves a URL's host once and vets every address. Returns the address to connect to (the request must
 * use exactly this one, so a second DNS answer cannot rebind it), or why the host is refused.
 */
export async function vetHost(
  hostname: string,
  opts: { allowLoopback: boolean; resolve?: Resolver },
): Promise<{ ok: true; target: ResolvedAddress; loopback: boolean } | { ok: false; reason: string }> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(bare);
  let addresses: ResolvedAddress[];
  if (literal) addresses = [{ address: bare, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await (opts.resolve ?? systemResolver)(bare);
    } catch {
      addresses = [];
    }
  }
  const first = addresses[0];
  if (!first) return { ok: false, reason: `cannot resolve ${hostname}` };
  const classes = addresses.map((a) => classifyAddress(a.address));
  if (classes.every((c) => c === 'public')) return { ok: true, target: first, loopback: false };
  if (opts.allowLoopback && classes.every((c) => c === 'loopback')) return { ok: true, target: first, loopback: true };
  return { ok: false, reason: `${hostname} resolves to a non-public address` };
}
