import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/daemon/db/audit-repo.js';
import { EgressProxy, type EgressProxyOptions } from '../../src/daemon/egress/proxy.js';
import type { EgressRecord } from '../../src/daemon/egress/record.js';
import { connectVia, eventually, originServer, proxyListener, socksConnect } from '../helpers/egress.js';

/** Names the test owns: every *.test name resolves to the loopback origin (reachable via the allow-CIDR). */
const resolve = async () => [{ address: '127.0.0.1', family: 4 as const }];

async function startProxy(opts: EgressProxyOptions, containerId = 'c-test') {
  const records: EgressRecord[] = [];
  const audits: AuditRecord[] = [];
  const throttled: string[] = [];
  const proxy = new EgressProxy({
    allowCidrs: ['127.0.0.1/32'],
    resolve,
    ...opts,
    audit: (e) => audits.push(e),
    observer: { egressDone: (r) => records.push(r), egressThrottled: (_c, code) => throttled.push(code) },
  });
  const listener = await proxyListener(proxy, containerId);
  return {
    proxy,
    port: listener.port,
    records,
    audits,
    throttled,
    close: async () => {
      proxy.close();
      await listener.close();
    },
  };
}

describe('egress proxy: domain lists, allow-CIDRs, limits, timeouts', () => {
  let origin: Awaited<ReturnType<typeof originServer>>;
  beforeAll(async () => {
    origin = await originServer();
  });
  afterAll(async () => origin.close());

  it('applies the global allow and deny lists (suffix and exact; deny wins)', async () => {
    const p = await startProxy({ allowDomains: ['*.example.test', 'exact.test'], denyDomains: ['bad.example.test'] });
    try {
      const status = async (host: string) => (await connectVia(p.port, `${host}:${origin.port}`)).status;
      expect(await status('a.example.test')).toBe(200);
      expect(await status('deep.a.example.test')).toBe(200);
      expect(await status('exact.test')).toBe(200);
      expect(await status('EXACT.test.')).toBe(200); // case and a trailing dot do not dodge the list
      const denied = await connectVia(p.port, `bad.example.test:${origin.port}`);
      expect(denied).toMatchObject({ status: 403 });
      expect(denied.body).toMatch(/denied by policy/);
      expect((await connectVia(p.port, `example.test:${origin.port}`)).status).toBe(403); // *. is subdomains only
      expect((await connectVia(p.port, `sub.exact.test:${origin.port}`)).status).toBe(403);
      const other = await connectVia(p.port, `other.test:${origin.port}`);
      expect(other.body).toMatch(/not in the allow list/);
      // An address literal is not a way around a non-empty allow list.
      expect((await connectVia(p.port, `127.0.0.1:${origin.port}`)).status).toBe(403);
    } finally {
      await p.close();
    }
  });

  it("applies a container's own lists on top of the global ones (policyFor)", async () => {
    const proxy = { allowDomains: [], denyDomains: ['global-bad.test'] };
    const p = await startProxy({
      ...proxy,
      policyFor: (id) => (id === 'c-test' ? { allow: ['*.mine.test'], deny: ['no.mine.test'] } : undefined),
    });
    try {
      expect((await connectVia(p.port, `yes.mine.test:${origin.port}`)).status).toBe(200);
      expect((await connectVia(p.port, `no.mine.test:${origin.port}`)).status).toBe(403);
      expect((await connectVia(p.port, `elsewhere.test:${origin.port}`)).status).toBe(403);
      expect((await connectVia(p.port, `global-bad.test:${origin.port}`)).status).toBe(403);
    } finally {
      await p.close();
    }
  });

  it('reaches a refused range only when DISCO_EGRESS_ALLOW_CIDRS covers it, and only that range', async () => {
    const p = await startProxy({ allowCidrs: ['127.0.0.2/32'] });
    try {
      expect((await connectVia(p.port, `127.0.0.1:${origin.port}`)).status).toBe(403);
      const side = await originServer('127.0.0.2');
      try {
        expect((await connectVia(p.port, `127.0.0.2:${side.port}`)).status).toBe(200);
      } finally {
        await side.close();
      }
    } finally {
      await p.close();
    }
  });

  it('rate limits new destinations per container with 429 (HTTP) / 0x02 (SOCKS), summed into one audit row', async () => {
    const p = await startProxy({ ratePerSecond: 2 }); // bursts of 4
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await connectVia(p.port, `127.0.0.1:${origin.port}`);
        statuses.push(r.status);
        r.socket?.destroy();
      }
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
      const { reply, socket } = await socksConnect(p.port, '127.0.0.1', origin.port);
      expect(reply).toBe(0x02);
      socket.destroy();
      // Throttled attempts are not audited one by one: one summary row per container.
      expect(p.audits.filter((a) => a.action === 'egress.connect' && a.outcome === 'denied')).toHaveLength(0);
      p.proxy.flushThrottled();
      const summary = p.audits.filter((a) => a.action === 'egress.throttled');
      expect(summary).toHaveLength(1);
      expect(summary[0]?.detail?.rate_limited as number).toBeGreaterThanOrEqual(4);
      // Another container is not affected.
      const q = await proxyListener(p.proxy, 'c-other');
      try {
        expect((await connectVia(q.port, `127.0.0.1:${origin.port}`)).status).toBe(200);
      } finally {
        await q.close();
      }
    } finally {
      await p.close();
    }
  });

  it('caps connections open at once per container; the daemon keeps serving others', async () => {
    const p = await startProxy({ maxConnections: 3, headerTimeoutMs: 5_000 });
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const r = await connectVia(p.port, `127.0.0.1:${origin.port}`);
        expect(r.status).toBe(200);
        held.push(r.socket as net.Socket);
      }
      const extra = net.connect(p.port, '127.0.0.1');
      const closed = await new Promise<boolean>((r) => {
        extra.on('close', () => r(true));
        extra.on('error', () => {});
        setTimeout(() => r(false), 2000);
      });
      expect(closed).toBe(true);
      expect(p.throttled).toContain('too_many_connections');
      const other = await proxyListener(p.proxy, 'c-other');
      try {
        expect((await connectVia(other.port, `127.0.0.1:${origin.port}`)).status).toBe(200);
      } finally {
        await other.close();
      }
      for (const s of held) s.destroy();
      await eventually(() => p.proxy.openConnections('c-test') === 0);
      expect((await connectVia(p.port, `127.0.0.1:${origin.port}`)).status).toBe(200);
    } finally {
      for (const s of held) s.destroy();
      await p.close();
    }
  });

  it('drops clients that never finish their headers or SOCKS handshake (slowloris, half-open)', async () => {
    const p = await startProxy({ headerTimeoutMs: 300 });
    try {
      const closedAfter = (first: Buffer | string) =>
        new Promise<number>((r) => {
          const t0 = Date.now();
          const s = net.connect(p.port, '127.0.0.1', () => s.write(first));
          s.resume(); // read what the proxy answers (the SOCKS greeting) so its close is seen
          s.on('error', () => {});
          s.on('close', () => r(Date.now() - t0));
        });
      const silent = new Promise<number>((r) => {
        const t0 = Date.now();
        const s = net.connect(p.port, '127.0.0.1');
        s.on('close', () => r(Date.now() - t0));
      });
      const [partialHttp, partialSocks, none] = await Promise.all([
        closedAfter('CONNECT example.test:443 HTTP/1.1\r\nHost: exa'),
        closedAfter(Buffer.from([0x05, 0x01, 0x00, 0x05])),
        silent,
      ]);
      for (const ms of [partialHttp, partialSocks, none]) {
        expect(ms).toBeGreaterThanOrEqual(250);
        expect(ms).toBeLessThan(3000);
      }
    } finally {
      await p.close();
    }
  });
});
