import type { Duplex } from 'node:stream';
import ipaddr from 'ipaddr.js';

/** SOCKS5 reply codes (RFC 1928 §6). */
export const SOCKS = {
  ok: 0x00,
  failure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

export interface SocksRequest {
  host: string;
  port: number;
  /** Bytes the client sent after its request (optimistic data), to forward once connected. */
  rest: Buffer;
}

const MAX_HANDSHAKE = 2 + 255 + 4 + 1 + 255 + 2;

/** Writes a reply (bound address 0.0.0.0:0: the client learns nothing about the daemon's side). */
export function socksReply(conn: Duplex, code: number): void {
  if (conn.writable) conn.write(Buffer.from([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
}

type Parsed = { need: true } | { fail: number } | { req: SocksRequest; used: number };

function parseRequest(buf: Buffer, at: number): Parsed {
  if (buf.length < at + 5) return { need: true };
  if (buf[at] !== 0x05) return { fail: SOCKS.failure };
  const cmd = buf[at + 1];
  const atyp = buf[at + 3];
  let host: string;
  let end: number;
  if (atyp === 0x01) {
    end = at + 4 + 4;
    if (buf.length < end + 2) return { need: true };
    host = Array.from(buf.subarray(at + 4, end)).join('.');
  } else if (atyp === 0x04) {
    end = at + 4 + 16;
    if (buf.length < end + 2) return { need: true };
    host = ipaddr.fromByteArray(Array.from(buf.subarray(at + 4, end))).toString();
  } else if (atyp === 0x03) {
    const len = buf[at + 4] ?? 0;
    end = at + 5 + len;
    if (buf.length < end + 2) return { need: true };
    host = buf.subarray(at + 5, end).toString('latin1');
    if (len === 0 || !/^[A-Za-z0-9._-]+$/.test(host)) return { fail: SOCKS.hostUnreachable };
  } else return { fail: SOCKS.addressTypeNotSupported };
  if (cmd !== 0x01) return { fail: SOCKS.commandNotSupported }; // CONNECT only: no BIND, no UDP ASSOCIATE
  return { req: { host, port: buf.readUInt16BE(end), rest: Buffer.alloc(0) }, used: end + 2 };
}

/**
 * Runs the SOCKS5 greeting (no authentication) and reads the CONNECT request, starting from the bytes
 * already read. Resolves the request, or undefined after answering a refusal (the caller closes).
 */
export function socksHandshake(conn: Duplex, first: Buffer): Promise<SocksRequest | undefined> {
  return new Promise((resolve) => {
    let buf = first;
    let greeted = false;
    let offset = 0;
    const finish = (r: SocksRequest | undefined) => {
      conn.off('data', onData);
      conn.off('close', onClose);
      conn.pause();
      resolve(r);
    };
    const onClose = () => finish(undefined);
    const step = () => {
      if (!greeted) {
        if (buf.length < 2) return;
        const n = buf[1] ?? 0;
        if (buf.length < 2 + n) return;
        if (buf[0] !== 0x05 || !buf.subarray(2, 2 + n).includes(0x00)) {
          conn.end(Buffer.from([0x05, 0xff])); // no acceptable method
          return finish(undefined);
        }
        conn.write(Buffer.from([0x05, 0x00]));
        greeted = true;
        offset = 2 + n;
      }
      const parsed = parseRequest(buf, offset);
      if ('need' in parsed) {
        if (buf.length > MAX_HANDSHAKE) {
          socksReply(conn, SOCKS.failure);
          finish(undefined);
        }
        return;
      }
      if ('fail' in parsed) {
        socksReply(conn, parsed.fail);
        return finish(undefined);
      }
      finish({ ...parsed.req, rest: Buffer.from(buf.subarray(parsed.used)) });
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      step();
    };
    conn.on('data', onData);
    conn.once('close', onClose);
    step();
    conn.resume(); // the caller paused it after reading the first bytes
  });
}
