import net from 'node:net';
import tls from 'node:tls';

/**
 * One PING to the Redis at `url` (redis:// or rediss://, with optional user:password), over RESP by hand:
 * enough to tell reachable from not without a client library in the CLI. Resolves with the latency in ms.
 */
export function pingRedis(url: string, timeoutMs = 3000): Promise<number> {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    return Promise.reject(new Error(`unsupported scheme ${u.protocol} (use redis:// or rediss://)`));
  }
  const port = Number(u.port || 6379);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const started = performance.now();
  const resp = (...args: string[]) =>
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  const password = decodeURIComponent(u.password);
  const user = decodeURIComponent(u.username);
  const commands = [...(password ? [user ? resp('AUTH', user, password) : resp('AUTH', password)] : []), resp('PING')];
  return new Promise((resolve, reject) => {
    const socket =
      u.protocol === 'rediss:' ? tls.connect({ host, port, servername: host }) : net.connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    let buffer = '';
    socket.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write(commands.join('')));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      if (buffer.startsWith('-')) socket.destroy(new Error(buffer.split('\r\n')[0]?.slice(1) ?? 'error'));
      else if (buffer.includes('+PONG\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(Math.round((performance.now() - started) * 10) / 10);
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('connection closed before PONG'));
    });
  });
}
