import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResolvedAddress } from '../net/address-policy.js';

/** Connection failures as the client is told them (a code, never a stack). */
export class DialError extends Error {
  constructor(
    readonly code: string,
    readonly address: string,
  ) {
    super(`cannot connect to ${address}: ${code}`);
  }
}

function dialOne(target: ResolvedAddress, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // An IP literal: net.connect does no lookup, so the vetted address is the one connected to.
    // Perf: ordinary reads (Node's own 64 KiB buffers). Reading through one shared 1 MiB buffer (`onread`)
    // and copying each read out cost ~3× the CPU per MiB here (a fresh large allocation per read).
    const socket = net.connect({ host: target.address, port, family: target.family, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError('ETIMEDOUT', target.address));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError(err.code ?? 'ECONNFAILED', target.address));
    });
  });
}

/** Connects to the first of `addresses` that answers, trying them in order. */
export async function dial(addresses: ResolvedAddress[], port: number, timeoutMs: number): Promise<net.Socket> {
  let last: DialError | undefined;
  for (const a of addresses) {
    try {
      return await dialOne(a, port, timeoutMs);
    } catch (err) {
      last = err as DialError;
    }
  }
  throw last ?? new DialError('ENOADDRESS', '');
}

/** Bytes one direction of a tunnel may hold in the daemon before it stops reading the sender. */
const WINDOW = 256 * 1024;

/**
 * Copies `from` into `to` until `from` ends. Like pipe, but reading pauses only once `WINDOW` bytes wait
 * for `to` (a socket's own high-water mark is 16 KiB, less than one 64 KiB read: pipe would stop and
 * restart reading on nearly every chunk, which halves a tunnel's throughput).
 */
function pump(from: Duplex, to: Duplex): void {
  from.on('data', (chunk: Buffer) => {
    to.write(chunk);
    if (to.writableLength >= WINDOW) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
}

/**
 * Copies two streams both ways until both have closed; `idleMs` without traffic either way ends both.
 * One side closing ends (not destroys) the other, so what is already buffered for it is still delivered;
 * an error destroys both. At most `WINDOW` bytes per direction wait in the daemon.
 */
export function splice(client: Duplex, upstream: net.Socket, idleMs: number, done: () => void): void {
  let open = 2;
  const closed = (other: Duplex) => () => {
    if (!other.destroyed) other.end();
    if (--open === 0) done();
  };
  const fail = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.setTimeout(idleMs, fail);
  client.on('error', fail);
  upstream.on('error', fail);
  client.once('close', closed(upstream));
  upstream.once('close', closed(client));
  pump(client, upstream);
  pump(upstream, client);
  client.resume();
}
