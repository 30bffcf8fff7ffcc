import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fairDispatch } from '../../src/daemon/http/fair-dispatch.js';

const servers: Server[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.destroy();
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  );
});

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* a handler's synchronous work */
  }
};

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function get(port: number, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Fake requests for the queue alone: it reads nothing of them but whether their client is still there. */
const pending = (id: number, destroyed = false) =>
  [{ id, socket: { destroyed } } as unknown as IncomingMessage, { id } as unknown as ServerResponse] as const;

describe('fairDispatch', () => {
  it('runs a request at once when nothing waits, then queues the rest in arrival order, letting the event loop run between slices', async () => {
    const order: (number | string)[] = [];
    const dispatch = fairDispatch((req) => {
      order.push((req as unknown as { id: number }).id);
      busy(2);
    }, 1);
    for (let i = 0; i < 4; i++) dispatch(...pending(i));
    expect(order).toEqual([0]); // the first at once; it used the turn's slice, so the others wait
    setImmediate(() => order.push('loop'));
    await new Promise((r) => setTimeout(r, 50));
    // A slice of 1 ms takes one 2 ms request, then the loop runs.
    expect(order.indexOf('loop')).toBeLessThan(order.indexOf(3));
    expect(order.filter((x) => x !== 'loop')).toEqual([0, 1, 2, 3]);
  });

  it('drops a request whose client left while it waited, and goes on past a listener that throws', async () => {
    const seen: number[] = [];
    const destroyed: number[] = [];
    const dispatch = fairDispatch((req) => {
      const id = (req as unknown as { id: number }).id;
      seen.push(id);
      if (id === 0) busy(1); // spends the slice: the others are queued
      if (id === 1) throw new Error('listener bug');
    }, 0.5);
    const thrown: unknown[] = [];
    const onUncaught = (err: unknown) => thrown.push(err);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      dispatch(...pending(0));
      const [req1, res1] = pending(1);
      (res1 as unknown as { destroy: () => void }).destroy = () => destroyed.push(1);
      dispatch(req1, res1);
      dispatch(...pending(2, true));
      dispatch(...pending(3));
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
    expect(seen).toEqual([0, 1, 3]);
    expect(destroyed).toEqual([1]);
    expect(thrown).toHaveLength(1);
    expect((thrown[0] as Error).message).toBe('listener bug');
  });

  it('takes new connections while every open one keeps the server busy', async () => {
    // libuv accepts one connection per loop turn. Served straight from the socket reads, a turn runs the
    // request of every open connection, so the last of several newcomers waits behind all of them many times
    // over; through the queue, a turn runs about one.
    const handledBeforeAccepting = async (fair: boolean) => {
      let handled = 0;
      const handler = (_req: IncomingMessage, res: ServerResponse) => {
        handled++;
        busy(1);
        res.end('ok');
      };
      const server = createServer(fair ? fairDispatch(handler) : handler);
      const port = await listen(server);
      const agent = new Agent({ keepAlive: true, maxSockets: 20 });
      agents.push(agent);
      let running = true;
      const loops = Array.from({ length: 20 }, async () => {
        while (running) await get(port, agent);
      });
      await new Promise((r) => setTimeout(r, 300)); // every connection open and busy
      let waiting = 10;
      const accepted = new Promise<number>((resolve) =>
        server.on('connection', () => {
          if (--waiting === 0) resolve(handled);
        }),
      );
      const at = handled;
      const fresh = new Agent({ keepAlive: false });
      agents.push(fresh);
      const firsts = Array.from({ length: 10 }, () => get(port, fresh));
      const count = (await accepted) - at;
      await Promise.all(firsts);
      running = false;
      await Promise.all(loops);
      return count;
    };
    const plain = await handledBeforeAccepting(false);
    const fair = await handledBeforeAccepting(true);
    expect(plain).toBeGreaterThanOrEqual(50);
    expect(fair).toBeLessThanOrEqual(30);
  });
});
