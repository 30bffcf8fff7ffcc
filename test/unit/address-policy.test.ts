import { describe, expect, it } from 'vitest';
import { classifyAddress, vetHost } from '../../src/daemon/net/address-policy.js';

/** How the URL parser spells a host: every private encoding arrives here already normalised. */
const hostOf = (spelled: string) => new URL(`https://${spelled}/`).hostname;

describe('classifyAddress', () => {
  it('calls loopback loopback in every spelling', () => {
    for (const host of [
      '127.0.0.1',
      '127.1',
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '0x7f.1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '[0:0:0:0:0:ffff:7f00:1]',
    ]) {
      expect(classifyAddress(hostOf(host)), host).toBe('loopback');
    }
  });

  it('calls private, reserved and IPv4-embedding addresses private', () => {
    for (const ip of [
      '0.0.0.0',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '198.18.0.1',
      '192.0.0.8',
      '192.0.2.1',
      '224.0.0.1',
      '255.255.255.255',
      '240.0.0.1',
      '::',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '::ffff:0:7f00:1',
      '64:ff9b::7f00:1',
      '64:ff9b:1::a00:1',
      '2002:7f00:1::',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      '2001:db8::1',
      'fd00::1',
      'fc00::1',
      'fe80::1',
      'ff02::1',
      '100::1',
      'not-an-ip',
      '',
    ]) {
      expect(classifyAddress(ip), ip).toBe('private');
    }
    // IPv4-compatible IPv6 (deprecated): ipaddr.js 2 reads it as the loopback it embeds; refused either way.
    expect(classifyAddress('::127.0.0.1')).toBe('loopback');
  });

  it('calls global unicast public', () => {
    for (const ip of [
      '8.8.8.8',
      '140.82.112.3',
      '1.1.1.1',
      '2606:4700::1111',
      '2a00:1450:4001::200e',
      '::ffff:8.8.8.8',
    ]) {
      expect(classifyAddress(ip), ip).toBe('public');
    }
  });
});

describe('vetHost', () => {
  const resolveTo =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));

  it('refuses a name when any address it resolves to is not public', async () => {
    expect((await vetHost('mapped.example', { allowLoopback: false, resolve: resolveTo('::ffff:127.0.0.1') })).ok).toBe(
      false,
    );
    expect(
      (await vetHost('mixed.example', { allowLoopback: false, resolve: resolveTo('8.8.8.8', '10.0.0.1') })).ok,
    ).toBe(false);
    expect(
      (await vetHost('nat64.example', { allowLoopback: false, resolve: resolveTo('64:ff9b::a9fe:a9fe') })).ok,
    ).toBe(false);
  });

  it('refuses a name that does not resolve', async () => {
    const r = await vetHost('nowhere.example', {
      allowLoopback: false,
      resolve: async () => {
        throw new Error('ENOTFOUND');
      },
    });
    expect(r).toEqual({ ok: false, reason: 'cannot resolve nowhere.example' });
  });

  it('returns the first address of a public name as the one to connect to', async () => {
    const r = await vetHost('public.example', { allowLoopback: false, resolve: resolveTo('8.8.8.8', '1.1.1.1') });
    expect(r).toEqual({ ok: true, loopback: false, target: { address: '8.8.8.8', family: 4 } });
  });

  it('allows loopback only for a loopback-only dev instance, and only when every address is loopback', async () => {
    expect((await vetHost('[::1]', { allowLoopback: true })).ok).toBe(true);
    expect((await vetHost('[::1]', { allowLoopback: false })).ok).toBe(false);
    expect(
      (await vetHost('dev.example', { allowLoopback: true, resolve: resolveTo('127.0.0.1', '10.0.0.1') })).ok,
    ).toBe(false);
  });
});
