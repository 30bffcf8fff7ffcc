import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressProxy } from '../../src/daemon/egress/proxy.js';
import type { EgressRecord } from '../../src/daemon/egress/record.js';
import { connectVia, curl, eventually, getOverSocket, proxyListener, socksConnect } from '../helpers/egress.js';
import { canMakeNetns, type NetnsHost, startNetnsHost } from '../helpers/netns.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const enabled = requireSystem('network namespaces (root and iproute2)', canMakeNetns());
const HAS_CURL = requireSystem('curl', hasCommand('curl'));

/** The proxy with no allow-CIDR at all: the test host is reached because its address is public. */
describe.runIf(enabled)('egress proxy to an outside host (a network namespace the test makes)', () => {
  let outside: NetnsHost;
  let proxy: EgressProxy;
  let listener: Awaited<ReturnType<typeof proxyListener>>;
  const records: EgressRecord[] = [];
  beforeAll(async () => {
    outside = await startNetnsHost();
    proxy = new EgressProxy({
      // The one stand-in: a DNS name for the namespace's address (there is no DNS server to ask here).
      resolve: async (name) => (name === 'outside.test' ? [{ address: outside.address, family: 4 }] : []),
      observer: { egressDone: (r) => records.push(r), egressThrottled: () => {} },
    });
    listener = await proxyListener(proxy, 'c-netns');
  });
  afterAll(async () => {
    proxy?.close();
    await listener?.close();
    await outside?.stop();
  });

  it('reaches it through CONNECT, plain HTTP and SOCKS5 (Node clients)', async () => {
    const tunnel = await connectVia(listener.port, `outside.test:${outside.port}`);
    expect(tunnel.status).toBe(200);
    expect(await getOverSocket(tunnel.socket as import('node:net').Socket, 'outside.test', '/t')).toMatch(
      /hello from the outside outside\.test \/t/,
    );
    const plain = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: listener.port, path: `http://outside.test:${outside.port}/p` }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(`${res.statusCode} ${b}`));
        })
        .on('error', reject);
    });
    expect(plain).toBe(`200 hello from the outside outside.test:${outside.port} /p`);
    const socks = await socksConnect(listener.port, outside.address, outside.port);
    expect(socks.reply).toBe(0);
    expect(await getOverSocket(socks.socket, 'x', '/s')).toMatch(/hello from the outside x \/s/);
    await eventually(() => records.filter((r) => r.outcome === 'ok').length >= 3);
    expect(records.filter((r) => r.outcome === 'ok').map((r) => r.address)).toEqual([
      outside.address,
      outside.address,
      outside.address,
    ]);
  });

  it.runIf(HAS_CURL)('reaches it with curl (-x, -p -x, --socks5-hostname) and counts a 1 MiB download', async () => {
    const url = `http://outside.test:${outside.port}`;
    for (const via of [
      ['-x', `http://127.0.0.1:${listener.port}`],
      ['-p', '-x', `http://127.0.0.1:${listener.port}`],
      ['--socks5-hostname', `127.0.0.1:${listener.port}`],
    ]) {
      const r = await curl([...via, `${url}/c`]);
      expect(r.stderr, via.join(' ')).toBe('');
      expect(r.stdout).toBe(`hello from the outside outside.test:${outside.port} /c`);
    }
    const before = records.length;
    const big = await curl([
      '-p',
      '-x',
      `http://127.0.0.1:${listener.port}`,
      `${url}/bytes/1048576`,
      '-o',
      '/dev/null',
      '-w',
      '%{size_download}',
    ]);
    expect(big.stdout).toBe('1048576');
    await eventually(() => records.slice(before).some((r) => r.protocol === 'connect'));
    const rec = records.slice(before).find((r) => r.protocol === 'connect');
    expect(rec?.bytesDown).toBeGreaterThan(1048576);
  });

  it("refuses the host's side of the veth (an address of this host), and unknown names", async () => {
    const own = await connectVia(listener.port, `${outside.hostSide}:${outside.port}`);
    expect(own.status).toBe(403);
    expect(own.body).toMatch(/address of this host/);
    const unknown = await connectVia(listener.port, `nowhere.test:${outside.port}`);
    expect(unknown.status).toBe(403);
    expect(unknown.body).toMatch(/cannot resolve/);
  });

  it('refuses it when the domain lists say so', async () => {
    const strict = new EgressProxy({
      denyDomains: ['outside.test'],
      resolve: async () => [{ address: outside.address, family: 4 }],
    });
    const l = await proxyListener(strict, 'c-strict');
    try {
      expect((await connectVia(l.port, `outside.test:${outside.port}`)).status).toBe(403);
      expect((await connectVia(l.port, `other.test:${outside.port}`)).status).toBe(200);
    } finally {
      strict.close();
      await l.close();
    }
  });
});
