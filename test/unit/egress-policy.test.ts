import { describe, expect, it } from 'vitest';
import { domainMatches, EgressPolicy, gatedResolver, normalizeHost } from '../../src/daemon/egress/policy.js';
import type { ResolvedAddress } from '../../src/daemon/net/address-policy.js';

describe('egress policy', () => {
  it('matches domains exactly or by *. suffix, case and trailing dot aside', () => {
    expect(domainMatches(normalizeHost('Registry.NPMJS.org.'), 'registry.npmjs.org')).toBe(true);
    expect(domainMatches('a.b.example.com', '*.example.com')).toBe(true);
    expect(domainMatches('example.com', '*.example.com')).toBe(false);
    expect(domainMatches('badexample.com', '*.example.com')).toBe(false);
    expect(domainMatches('example.com.evil.test', 'example.com')).toBe(false);
  });

  it('unwraps mapped IPv6 and refuses this host and non-public ranges; allow-CIDRs open exactly their range', async () => {
    const p = new EgressPolicy({ allowCidrs: ['10.9.0.0/16'], hostAddresses: () => ['203.0.113.7', '8.8.4.4'] });
    expect(p.checkAddress('::ffff:10.9.1.1')).toBeUndefined();
    expect(p.checkAddress('10.10.0.1')?.code).toBe('non_public_address');
    expect(p.checkAddress('::ffff:8.8.4.4')?.code).toBe('host_address');
    expect(p.checkAddress('1.1.1.1')).toBeUndefined();
    const d = await p.decide('[::ffff:1.1.1.1]', 443);
    expect(d).toEqual({ ok: true, addresses: [{ address: '1.1.1.1', family: 4 }] });
    expect((await p.decide('1.1.1.1', 0)).ok).toBe(false);
    expect((await p.decide('1.1.1.1', 70000)).ok).toBe(false);
  });

  it('keeps at most two lookups on the thread pool at once and stops waiting after the timeout', async () => {
    let running = 0;
    let peak = 0;
    const slow = async (): Promise<ResolvedAddress[]> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
      return [{ address: '1.1.1.1', family: 4 }];
    };
    const gated = gatedResolver(slow, 2, 1_000);
    const all = await Promise.all(Array.from({ length: 7 }, () => gated('x')));
    expect(all).toHaveLength(7);
    expect(peak).toBe(2);
    const hung = gatedResolver(() => new Promise(() => {}), 1, 100);
    await expect(hung('x')).rejects.toThrow(/timed out/);
    await expect(hung('y')).rejects.toThrow(/timed out/); // queued behind the hung one, gives up too
  });
});
